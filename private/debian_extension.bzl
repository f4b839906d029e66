"""Implementation of the `debian` module extension: lockfiles to pinned, lazy downloads."""

load(":deb_file.bzl", "deb_file")
load(":lockfile.bzl", "hub_build_files", "lockfile_errors", "repo_safe", "spoke_name")

def _deb_hub_impl(rctx):
    for path, content in json.decode(rctx.attr.build_files).items():
        rctx.file(path, content)
    rctx.file("BUILD.bazel", 'exports_files(["lock.json"])\n')
    rctx.file("lock.json", rctx.attr.lock)

_deb_hub = repository_rule(
    implementation = _deb_hub_impl,
    doc = "Readable labels for a lockfile's packages: @<name>//<package>:<arch>, @<name>//sets:<set>_<arch>.",
    attrs = {
        "build_files": attr.string(mandatory = True),
        "lock": attr.string(mandatory = True),
    },
)

def _declare_locks(module_ctx, only_module = None):
    root_deps = []
    root_dev_deps = []
    for mod in module_ctx.modules:
        for lock in mod.tags.lock:
            if only_module and mod.name != only_module:
                fail("%s: the image_locks extension holds the lockfiles of %s's own images; use `debian` from @rules_debimage//distroless:extensions.bzl for yours" % (mod.name, only_module))
            text = module_ctx.read(lock.lockfile)
            data = json.decode(text, default = None)
            if data == None:
                fail("%s: not valid JSON" % lock.lockfile)
            problem = lockfile_errors(data, str(lock.lockfile))
            if problem:
                fail(problem)
            packages = data["packages"]
            for p in packages:
                # Credentials never come from the lockfile: deb_file sends those of the
                # netrc file (the tag's, else $NETRC, else ~/.netrc) for each URL's host, as
                # http_file does, and Bazel's --credential_helper applies to every download by
                # itself. The URLs (pool, mirrors, snapshot.debian.org) are tried in order.
                deb_file(
                    name = spoke_name(lock.name, p),
                    downloaded_file_path = "%s_%s_%s.deb" % (p["name"], repo_safe(p["version"]), p["arch"]),
                    package = "%s %s for %s (%s)" % (p["name"], p["version"], p["for_arch"], lock.lockfile),
                    sha256 = p["sha256"],
                    urls = p["urls"],
                    netrc = lock.netrc,
                    auth_patterns = lock.auth_patterns,
                )
            _deb_hub(
                name = lock.name,
                build_files = json.encode(hub_build_files(lock.name, packages)),
                lock = text,
            )
            if mod.is_root:
                (root_dev_deps if module_ctx.is_dev_dependency(lock) else root_deps).append(lock.name)

    # reproducible: the repositories follow from the lockfiles alone (each download is pinned
    # by sha256), so Bazel need not record them in a MODULE.bazel.lock.
    return module_ctx.extension_metadata(
        root_module_direct_deps = root_deps,
        root_module_direct_dev_deps = root_dev_deps,
        reproducible = True,
    )

def _debian_impl(module_ctx):
    return _declare_locks(module_ctx)

def _image_locks_impl(module_ctx):
    return _declare_locks(module_ctx, only_module = "rules_debimage")

_lock = tag_class(
    doc = "A lockfile written by debimage-lock.",
    attrs = {
        "auth_patterns": attr.string_dict(doc = "As http_file's: per host, an Authorization header pattern (`Bearer <password>`) filled in from the netrc file's login and password for that host. Empty: basic authentication."),
        "lockfile": attr.label(mandatory = True, allow_single_file = [".json"], doc = "The lockfile (`<distribution>.lock.json`) written by debimage-lock from a manifest."),
        "name": attr.string(mandatory = True, doc = "The hub repository's name, e.g. debian12."),
        "netrc": attr.string(doc = "Absolute path of a netrc file with the logins and passwords of authenticated sources. Empty: `$NETRC`, else `~/.netrc` (as http_file). Bazel's `--credential_helper` applies as well, without this."),
    },
)

debian = module_extension(
    implementation = _debian_impl,
    doc = """Declares one sha256-pinned download per locked .deb (fetched only when a build needs it) and a hub repository per lockfile.

Each package is downloaded from the first of its lockfile `urls` that serves the pinned sha256,
in order: the archive's pool, the manifest's `mirrors`, then snapshot.debian.org (see the
README, "Fallback URLs"). Bazel's downloader config (`--experimental_downloader_config`,
`--downloader_config` from Bazel 8) rewrites them, e.g. to a company mirror. When no URL
serves the pinned bytes, the error names the package, its lockfile and every URL.
""",
    tag_classes = {"lock": _lock},
)

# The lockfiles of this repository's own images (debian12, debian13), used without
# dev_dependency so that any module can build @rules_debimage//static:debian12 and the like.
# A separate extension rather than a `debian` tag: an extension's repositories share one
# namespace across every module that uses it, so a user's own `debian.lock(name = "debian12")`
# would clash with ours, and each evaluation of the user's `debian` would re-read our locks.
# This one is evaluated only when a build needs one of its repositories.
image_locks = module_extension(
    implementation = _image_locks_impl,
    doc = "Internal: the lockfiles of rules_debimage's own images (tags from other modules are refused).",
    tag_classes = {"lock": _lock},
)
