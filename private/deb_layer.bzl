"""Implementation of deb_layer: the data of Debian packages as one deterministic layer."""

load(":providers.bzl", "LayerInfo")

def _deb_layer_impl(ctx):
    blob = ctx.actions.declare_file(ctx.label.name + ".tar.gz")
    digests = ctx.actions.declare_file(ctx.label.name + ".digests.json")
    listing = ctx.actions.declare_file(ctx.label.name + ".listing")
    args = ctx.actions.args()
    args.add("layer")
    args.add_all(ctx.files.debs, before_each = "--deb")
    args.add("--out", blob)
    args.add("--digests-out", digests)
    args.add("--listing-out", listing)
    args.add("--mtime", ctx.attr.mtime)
    ctx.actions.run(
        executable = ctx.executable._debimage,
        arguments = [args],
        inputs = ctx.files.debs,
        outputs = [blob, digests, listing],
        mnemonic = "DebLayer",
        progress_message = "Building layer %{label}",
    )
    return [
        DefaultInfo(files = depset([blob])),
        OutputGroupInfo(digests = depset([digests]), listing = depset([listing])),
        LayerInfo(blob = blob, digests = digests, listing = listing),
    ]

deb_layer = rule(
    implementation = _deb_layer_impl,
    doc = "The files of one or more .deb packages as one layer (gzip tar, sorted, fixed mtime).",
    attrs = {
        "debs": attr.label_list(
            doc = "The .deb files, in order; a path may only appear twice with identical content.",
            allow_files = [".deb"],
            mandatory = True,
        ),
        "mtime": attr.int(
            doc = "Modification time of every entry, in seconds since the epoch.",
            default = 0,
        ),
        "_debimage": attr.label(
            default = Label("//tools/debimage"),
            executable = True,
            cfg = "exec",
        ),
    },
)
