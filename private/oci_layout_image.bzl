"""Implementation of oci_layout_image: one image of any OCI image layout, as a base image."""

load(":debimage_tool.bzl", "DEBIMAGE_TOOL")
load(":providers.bzl", "ImageInfo")

def _layout_dir(ctx):
    """The layout's directory: the one directory given, or where the files' index.json is."""
    files = ctx.files.layout
    if len(files) == 1 and files[0].is_directory:
        return files[0].path
    indexes = sorted([f for f in files if f.basename == "index.json"], key = lambda f: len(f.path))
    if not indexes:
        fail("%s: layout %s is no OCI image layout: neither one directory nor files with an index.json" % (ctx.label, ctx.attr.layout.label))
    return indexes[0].dirname

def _oci_layout_image_impl(ctx):
    layout = ctx.actions.declare_directory(ctx.label.name)
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    args = ctx.actions.args()
    args.add("import")
    args.add("--layout", _layout_dir(ctx))
    for flag, value in [
        ("--ref-name", ctx.attr.ref_name),
        ("--os", ctx.attr.os),
        ("--architecture", ctx.attr.architecture),
        ("--variant", ctx.attr.variant),
        ("--tag", ctx.attr.tag),
    ]:
        if value:
            args.add(flag, value)
    args.add("--out", layout.path)
    args.add("--digest-out", digest)
    ctx.actions.run(
        executable = ctx.executable._debimage,
        arguments = [args],
        inputs = ctx.files.layout,
        outputs = [layout, digest],
        mnemonic = "OciLayoutImport",
        progress_message = "Checking and importing the OCI layout of %{label}",
    )
    return [
        DefaultInfo(files = depset([layout])),
        OutputGroupInfo(digest = depset([digest])),
        # The layers are only in the layout: oci_image's conflict check reads them from there.
        ImageInfo(digest = digest, layers = [], layout = layout),
    ]

oci_layout_image = rule(
    implementation = _oci_layout_image_impl,
    doc = """One image of an OCI image layout made elsewhere, as a base for `distroless_image`.

The layout is any OCI image layout: rules_oci's `oci_image` or `oci_pull`, a directory
written by `skopeo copy`, `umoci`, `crane pull --format=oci` or `docker buildx`, checked in or
made by a rule. It is read as untrusted input (`debimage import`): every blob is checked
against its digest and size, every layer's content against the config's diff_id, only OCI and
Docker tar, tar+gzip and tar+zstd layers are taken, and a blob linked outside the layout is
refused. The image chosen (by `ref_name` and/or platform; the layout's only image if none is
given) is written, byte for byte, as a single-platform layout.

As `base` of `distroless_image` (per architecture: `base = ":base_{oci_arch}"` with one
`oci_layout_image` per architecture) or of `oci_image`, its layers come first and the
layer-conflict check covers them: a path one of our layers would change is a build error
naming both layers (the base's by its place, digest and history line). An image for another
architecture than the one built is refused.""",
    attrs = {
        "architecture": attr.string(doc = "OCI architecture of the image to take (amd64, arm64, arm, s390x, ppc64le, riscv64, 386)."),
        "layout": attr.label(
            mandatory = True,
            allow_files = True,
            doc = "The layout: a directory (a rule's output directory, or a source directory) or its files (e.g. a glob); the shallowest index.json marks its root.",
        ),
        "os": attr.string(doc = "OS of the image to take (linux)."),
        "ref_name": attr.string(doc = "Take the index.json entry with this org.opencontainers.image.ref.name."),
        "tag": attr.string(doc = "org.opencontainers.image.ref.name of the image in the written layout."),
        "variant": attr.string(doc = "Platform variant (v8 for arm64 and v7 for arm also match none)."),
        "_debimage": DEBIMAGE_TOOL,
    },
    provides = [ImageInfo],
)
