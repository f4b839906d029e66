"""Implementation of flatten: many layers or tar files as one layer."""

load(":layer_action.bzl", "DEBIMAGE_ATTRS", "layer_action")
load(":providers.bzl", "LayerInfo")

TAR_EXTENSIONS = [".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar.bz2"]

def _flatten_impl(ctx):
    args = ctx.actions.args()
    inputs = []
    for target in ctx.attr.layers:
        if LayerInfo in target:
            files = [target[LayerInfo].blob]
        else:
            files = target.files.to_list()
            if not files:
                fail("layers: %s has no files" % target.label)
        for f in files:
            name = str(target.label) if len(files) == 1 else "%s (%s)" % (target.label, f.basename)
            args.add("--input", "%s=%s" % (name, f.path))
            inputs.append(f)
    return layer_action(ctx, args, inputs, "FlattenLayer", command = "flatten")

flatten = rule(
    implementation = _flatten_impl,
    doc = """Many layers or tar files as one layer, each identical entry once.

An entry that several inputs hold identically (same type, mode, owner and bytes) is kept once.
Any other clash is a build error naming both inputs: a path with two different contents, or
an entry below a path that another input made a symlink or a file. Nothing is replaced
silently: to override a file, leave it out of the input that has it (e.g. `deb_layer`'s
`exclude`). A directory an input only implies (a tar with entries below it but not the
directory itself) takes the mode and owner another input declares.

Entries are sorted, with the rule's `mtime` and numeric owners, as every layer of
rules_debimage; modification times and owner names of the inputs are not kept.""",
    attrs = DEBIMAGE_ATTRS | {
        "layers": attr.label_list(
            doc = "Layers (LayerInfo, e.g. `deb_layer`) and tar files (%s, uncompressed, gzip, zstd, xz or bzip2), in order." % ", ".join(TAR_EXTENSIONS),
            allow_files = TAR_EXTENSIONS,
            mandatory = True,
            allow_empty = False,
        ),
    },
)
