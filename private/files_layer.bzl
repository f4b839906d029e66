"""Implementation of files_layer: declared files, directories and symlinks as one layer."""

load(":layer_action.bzl", "DEBIMAGE_ATTRS", "json_file", "layer_action")

def _files_layer_impl(ctx):
    entries = [json.decode(e) for e in ctx.attr.entries]
    inputs = []
    for target, path in ctx.attr.files.items():
        files = target.files.to_list()
        if len(files) != 1:
            fail("files: %s must be exactly one file" % target.label)
        entries.append({
            "mode": ctx.attr.file_modes.get(path, "0644"),
            "path": path,
            "source": files[0].path,
            "type": "file",
        })
        inputs.append(files[0])
    unknown = [p for p in ctx.attr.file_modes if p not in ctx.attr.files.values()]
    if unknown:
        fail("file_modes: %s not among the paths of `files`" % unknown)

    args = ctx.actions.args()
    if entries:
        data = json_file(ctx, "entries", entries)
        args.add("--entries", data)
        inputs.append(data)
    return layer_action(ctx, args, inputs, "FilesLayer")

files_layer = rule(
    implementation = _files_layer_impl,
    doc = "Declared files, directories and symlinks as one layer. Used through the `files_layer` macro of //distroless.",
    attrs = DEBIMAGE_ATTRS | {
        "entries": attr.string_list(
            doc = "JSON objects: {path, type: file|directory|symlink, mode, uid, gid, content, target}.",
        ),
        "file_modes": attr.string_dict(
            doc = "Octal mode per path of `files` (default 0644).",
        ),
        "files": attr.label_keyed_string_dict(
            doc = "Files to copy into the layer: label -> absolute path in the image.",
            allow_files = True,
        ),
    },
)
