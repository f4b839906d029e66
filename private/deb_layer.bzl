"""Implementation of deb_layer: the files of Debian packages as one layer."""

load(":layer_action.bzl", "DEBIMAGE_ATTRS", "layer_action")

def _deb_layer_impl(ctx):
    args = ctx.actions.args()
    args.add_all(ctx.files.debs, before_each = "--deb")
    if ctx.attr.status:
        args.add("--status")
    args.add_all(ctx.attr.include, before_each = "--include")
    args.add_all(ctx.attr.exclude, before_each = "--exclude")
    if ctx.attr.merged_usr:
        args.add("--merged-usr")
    if ctx.attr.compression != "gzip":
        args.add("--compression", ctx.attr.compression)
    for source, target in ctx.attr.moves.items():
        args.add("--move", "%s=%s" % (source, target))
    return layer_action(ctx, args, ctx.files.debs, "DebLayer")

deb_layer = rule(
    implementation = _deb_layer_impl,
    doc = """The files of one or more .deb packages as one layer (gzip tar, sorted, fixed mtime).

With `status` (the default), each package's dpkg metadata goes in too, so that scanners
(syft, trivy) see it: `/var/lib/dpkg/status.d/<package>` and `<package>.md5sums`.""",
    attrs = DEBIMAGE_ATTRS | {
        "compression": attr.string(
            doc = "Layer compression: gzip (every runtime) or zstd (containerd >= 1.5, podman, Docker >= 23).",
            default = "gzip",
            values = ["gzip", "zstd"],
        ),
        "debs": attr.label_list(
            doc = "The .deb files (or deb_package targets), in order; a path may only appear twice with identical content.",
            allow_files = [".deb"],
            mandatory = True,
        ),
        "exclude": attr.string_list(
            doc = "Globs of paths to leave out (`*`, `?` within a segment, `**` across), e.g. `usr/share/man`.",
        ),
        "include": attr.string_list(
            doc = "Globs of paths to keep (with what lies below them); all when empty.",
        ),
        "moves": attr.string_dict(
            doc = "Paths to relocate (with what lies below): from -> to, e.g. `{\"bin/busybox\": \"busybox/busybox\"}`.",
        ),
        "merged_usr": attr.bool(
            doc = "Move /bin, /sbin and /lib* into /usr and make them symlinks (Debian 13 and later).",
        ),
        "status": attr.bool(
            doc = "Also write the packages' dpkg metadata under /var/lib/dpkg/status.d.",
            default = True,
        ),
    },
)
