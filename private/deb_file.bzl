"""Implementation of deb_file: a locked .deb from the first of its URLs that serves the pinned bytes.

As http_file (the same downloader: repository cache, --experimental_downloader_config rewrites,
netrc and --credential_helper; the URLs tried in order), but when no URL serves the pinned
sha256 the error names the package, its lockfile and every URL, where http_file's names only
the last URL's failure (an unreachable snapshot.debian.org would hide a tampering mirror).
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "read_netrc", "read_user_netrc", "use_netrc")

def _auth(rctx):
    """Authorization per URL from a netrc file (the attribute's, else $NETRC, else ~/.netrc)."""
    if rctx.attr.netrc:
        netrc = read_netrc(rctx, rctx.attr.netrc)
    elif "NETRC" in rctx.os.environ:
        netrc = read_netrc(rctx, rctx.os.environ["NETRC"])
    else:
        netrc = read_user_netrc(rctx)
    return use_netrc(netrc, rctx.attr.urls, rctx.attr.auth_patterns)

def _deb_file_impl(rctx):
    path = "file/" + rctx.attr.downloaded_file_path
    result = rctx.download(
        url = rctx.attr.urls,
        output = path,
        sha256 = rctx.attr.sha256,
        auth = _auth(rctx),
        allow_fail = True,
    )
    if not result.success:
        # Bazel's own error would name only the last URL's failure (often an unreachable
        # fallback), while a warning per URL says why each failed.
        fail("%s: none of its %d URLs served the pinned sha256 %s (Bazel's warnings above say why for each: a 404, an unreachable host, or \"Checksum was ... but wanted ...\" for a file of other bytes):\n  %s" % (
            rctx.attr.package,
            len(rctx.attr.urls),
            rctx.attr.sha256,
            "\n  ".join(rctx.attr.urls),
        ))
    rctx.file("file/BUILD.bazel", 'filegroup(\n    name = "file",\n    srcs = [%r],\n    visibility = ["//visibility:public"],\n)\n' % rctx.attr.downloaded_file_path)
    rctx.file("BUILD.bazel", "")

deb_file = repository_rule(
    implementation = _deb_file_impl,
    doc = "A locked .deb as `@<name>//file`, from the first of `urls` that serves `sha256`.",
    attrs = {
        "auth_patterns": attr.string_dict(doc = "As http_file's."),
        "downloaded_file_path": attr.string(mandatory = True, doc = "The file's name under file/."),
        "netrc": attr.string(doc = "As http_file's: a netrc file; empty for $NETRC, else ~/.netrc."),
        "package": attr.string(mandatory = True, doc = "Names the package and its lockfile in errors."),
        "sha256": attr.string(mandatory = True),
        "urls": attr.string_list(mandatory = True, doc = "Tried in order."),
    },
)
