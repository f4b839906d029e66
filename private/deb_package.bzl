"""Implementation of deb_package: one locked Debian package and what is known of it."""

DebInfo = provider(
    doc = "A locked Debian package.",
    fields = {
        "arch": "Debian architecture of the file (`all` or the target's).",
        "deb": "File: the .deb.",
        "depends": "Names of the locked packages it depends on (same architecture). Names, not labels: Debian dependencies may be cyclic (libc6 <-> libgcc-s1), Bazel's graph may not.",
        "name": "Package name.",
        "sha256": "sha256 of the .deb, from the lockfile.",
        "urls": "Download URLs.",
        "version": "Debian version.",
    },
)

def _deb_package_impl(ctx):
    info = DebInfo(
        arch = ctx.attr.arch,
        deb = ctx.file.deb,
        depends = ctx.attr.depends,
        name = ctx.attr.package,
        sha256 = ctx.attr.sha256,
        urls = ctx.attr.urls,
        version = ctx.attr.version,
    )
    return [DefaultInfo(files = depset([ctx.file.deb])), info]

deb_package = rule(
    implementation = _deb_package_impl,
    doc = "A locked .deb with its metadata; generated in the hub repository of a lockfile.",
    attrs = {
        "arch": attr.string(mandatory = True),
        "deb": attr.label(allow_single_file = [".deb"], mandatory = True),
        "depends": attr.string_list(),
        "package": attr.string(mandatory = True),
        "sha256": attr.string(mandatory = True),
        "urls": attr.string_list(),
        "version": attr.string(mandatory = True),
    },
    provides = [DebInfo],
)
