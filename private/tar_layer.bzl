"""Implementation of tar_layer: any tar file (plain, gzip, zstd, ...) as one normalised layer."""

load(":layer_action.bzl", "DEBIMAGE_ATTRS", "layer_action")

def _tar_layer_impl(ctx):
    args = ctx.actions.args()
    args.add("--tar", ctx.file.tar)
    if ctx.attr.strip_prefix:
        args.add("--tar-strip-prefix", ctx.attr.strip_prefix)
    if ctx.attr.prefix:
        args.add("--tar-prefix", ctx.attr.prefix)
    args.add_all(ctx.attr.exclude, before_each = "--tar-exclude")
    if ctx.attr.keep_owners:
        args.add("--tar-keep-owners")
    if ctx.attr.compression != "gzip":
        args.add("--compression", ctx.attr.compression)
    return layer_action(ctx, args, [ctx.file.tar], "TarLayer")

tar_layer = rule(
    implementation = _tar_layer_impl,
    doc = """Any tar file as one layer, normalised like every layer of rules_debimage.

The tar may be plain, gzip, zstd, xz or bzip2 compressed (told by its first bytes), made by
rules_pkg's `pkg_tar`, a genrule, GNU tar, bsdtar or `git archive`, or downloaded (a release
tarball). Its entries are sorted, their mtimes set to `mtime`, and every entry is owned by
root (0:0) unless `keep_owners`: the uid a tar records is usually its maker's, which differs
from one machine to the next. Owner names are never used. Modes are kept. The checks are those
of a .deb's data: no absolute paths or `..`, no symlink out of the root, no devices or FIFOs,
hardlinks only to files of the same tar, a path twice only with the same content; the
compression's checksum is verified. Like any layer, it may not change what an earlier layer of
the image put down.""",
    attrs = DEBIMAGE_ATTRS | {
        "compression": attr.string(
            doc = "Compression of the layer blob: gzip (every runtime) or zstd.",
            default = "gzip",
            values = ["gzip", "zstd"],
        ),
        "exclude": attr.string_list(
            doc = "Globs of paths (after `strip_prefix`, before `prefix`) to leave out with what lies below, e.g. `lib/node_modules/npm`, `bin/npm` or `include` of nodejs.org's tarball. `*` matches within a path component, `**` any number of them.",
        ),
        "keep_owners": attr.bool(
            doc = "Keep the tar's numeric owners (e.g. a `pkg_tar` with `owner`) instead of 0:0.",
        ),
        "prefix": attr.string(
            doc = "A directory every entry goes under, after `strip_prefix`, e.g. `/nodejs` or `/opt/java`.",
        ),
        "strip_prefix": attr.string(
            doc = "A directory of the tar whose contents become the root, e.g. `node-v22.11.0-linux-x64` of nodejs.org's tarball; an entry outside it is an error.",
        ),
        "tar": attr.label(
            doc = "The tar file.",
            allow_single_file = True,
            mandatory = True,
        ),
    },
)
