"""Declares one sha256-pinned download per test package (a dev_dependency of the root module)."""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_file")
load(":debs.bzl", "TEST_DEBS", "test_deb_repo")

def _test_debs_impl(module_ctx):
    for name, (sha256, url) in TEST_DEBS.items():
        http_file(
            name = test_deb_repo(name),
            downloaded_file_path = url.rsplit("/", 1)[1],
            sha256 = sha256,
            urls = [url],
        )
    return module_ctx.extension_metadata(
        root_module_direct_deps = [],
        root_module_direct_dev_deps = [test_deb_repo(n) for n in TEST_DEBS],
    )

test_debs = module_extension(implementation = _test_debs_impl)
