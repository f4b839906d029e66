"""Implementation of ld_so_cache: an image's /etc/ld.so.cache as one layer."""

load(":layer_action.bzl", "DEBIMAGE_ATTRS", "json_file", "layer_action")
load(":providers.bzl", "ImageInfo", "LayerInfo")

def _ld_so_cache_impl(ctx):
    layers = [t[LayerInfo] for t in ctx.attr.layers]
    cache = ctx.actions.declare_file(ctx.label.name + ".ld.so.cache")
    args = ctx.actions.args()
    args.add("ld-so-cache")
    args.add("--arch", ctx.attr.architecture)
    inputs = []
    if ctx.attr.base:
        # Read from the base's layout, each layer by its manifest's mediaType.
        base = ctx.attr.base[ImageInfo]
        args.add("--base", base.layout.path)
        inputs.append(base.layout)
    for layer in layers:
        args.add("--layer", "%s=%s" % (layer.blob.path, layer.digests.path))
        inputs.extend([layer.blob, layer.digests])
    args.add("--out", cache)
    ctx.actions.run(
        executable = ctx.executable._debimage,
        arguments = [args],
        inputs = inputs,
        outputs = [cache],
        mnemonic = "LdSoCache",
        progress_message = "Writing /etc/ld.so.cache for %{label}",
    )
    entries = json_file(ctx, "entries", [{
        "mode": "0644",
        "path": "/etc/ld.so.cache",
        "source": cache.path,
        "type": "file",
    }])
    layer_args = ctx.actions.args()
    layer_args.add("--entries", entries)
    return layer_action(ctx, layer_args, [entries, cache], "LdSoCacheLayer")

ld_so_cache = rule(
    implementation = _ld_so_cache_impl,
    doc = """`/etc/ld.so.cache` of an image, as one layer to put on top of it.

The cache is what glibc's `ldconfig -X` would write in the image (without running anything
from it): every shared library of the directories its `/etc/ld.so.conf` names and of the
architecture's system directories, in glibc's format (`glibc-ld.so.cache1.1`). The dynamic
loader finds libraries through it, and `ldconfig -p` (what Python's
`ctypes.util.find_library` runs) lists them. The same layers give the same bytes.""",
    attrs = DEBIMAGE_ATTRS | {
        "architecture": attr.string(
            doc = "The image's Debian architecture: amd64, arm64, armhf, ppc64el, riscv64 or s390x.",
            mandatory = True,
        ),
        "base": attr.label(
            doc = "An image whose layers come first.",
            providers = [ImageInfo],
        ),
        "layers": attr.label_list(
            doc = "Layers above `base`, bottom first: the image's other layers.",
            providers = [LayerInfo],
        ),
    },
)
