"""Tests of the debian extension: its hub repository (analysis), and the lockfile checks and
BUILD file writing it runs on crafted lockfiles (unit tests of private/lockfile.bzl)."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts", "unittest")
load("//distroless:defs.bzl", "DebInfo")

# buildifier: disable=bzl-visibility (the extension's own helpers, tested directly)
load("//private:lockfile.bzl", "hub_build_files", "lockfile_errors")

def _deb_package_test_impl(ctx):
    env = analysistest.begin(ctx)
    info = analysistest.target_under_test(env)[DebInfo]
    asserts.equals(env, "bzip2", info.name)
    asserts.equals(env, "1.0.8-5+b1", info.version)
    asserts.equals(env, "amd64", info.arch)
    asserts.equals(env, "438871b3f5c5c7a357a9840951dab9dab8db7eb1ff760a563226fafa111b99e5", info.sha256)
    asserts.equals(env, ["netbase"], info.depends)
    asserts.true(env, info.deb.basename.endswith(".deb"), info.deb.basename)
    return analysistest.end(env)

_deb_package_test = analysistest.make(_deb_package_test_impl)

def _package(**changes):
    """bzip2 as tests/lock/mini.lock.json has it, with `changes`."""
    p = {
        "arch": "amd64",
        "depends": ["netbase"],
        "for_arch": "amd64",
        "name": "bzip2",
        "sets": ["tools"],
        "sha256": "438871b3f5c5c7a357a9840951dab9dab8db7eb1ff760a563226fafa111b99e5",
        "size": 49804,
        "source": "bzip2",
        "suite": "bookworm",
        "urls": ["https://deb.debian.org/debian/pool/main/b/bzip2/bzip2_1.0.8-5+b1_amd64.deb"],
        "version": "1.0.8-5+b1",
    }
    p.update(changes)
    return p

def _lock(*packages):
    return {
        "distribution": "mini",
        "lockfile_version": 1,
        "manifest_sha256": "0" * 64,
        "packages": list(packages),
    }

_INJECTION = '1.0", visibility = ["//visibility:public"], x = ("'

def _crafted_lockfiles_test_impl(ctx):
    env = unittest.begin(ctx)

    # A flat repository's suite is its directory.
    for suite in ["./", "stable/", "debian/12/"]:
        asserts.equals(env, None, lockfile_errors(_lock(_package(suite = suite)), "l.json"), suite)
    asserts.equals(env, None, lockfile_errors(_lock(_package()), "ok.json"))
    for package, message in [
        (
            _package(version = _INJECTION),
            "l.json: package bzip2 %s for amd64: bad version %r: the epoch (before ':') is a number" % (_INJECTION, _INJECTION),
        ),
        (
            _package(version = '1.0"\n)\nsh_binary(name = "x"'),
            "bad version",
        ),
        (_package(version = "1.0-1 "), "the revision (after the last '-') is letters, digits and . + ~"),
        (_package(version = "a1"), "the upstream version starts with a digit"),
        (_package(name = "bzip2\", x = \""), "bad name"),
        (_package(name = "../x"), "a package name has only a-z, 0-9, +, - and ."),
        (_package(for_arch = "amd64//x"), "bad for_arch"),
        (_package(arch = "arm64"), 'bad arch "arm64": a package file is for its for_arch or for all'),
        (_package(sha256 = "438871B3F5C5C7A357A9840951DAB9DAB8DB7EB1FF760A563226FAFA111B99E5"), "a sha256 is 64 lower-case hex digits"),
        (_package(sha256 = "0"), "bad sha256"),
        (_package(size = "49804"), "a size is a number of bytes"),
        (_package(size = -1), "a size is a number of bytes"),
        (_package(depends = ["netbase\"]"]), "bad depends"),
        (_package(sets = ["tools:x"]), "bad sets"),
        (_package(suite = "a b"), "bad suite"),
        (_package(suite = "../"), "bad suite"),
        (_package(suite = "a/./"), "bad suite"),
        (_package(suite = "a/b"), "bad suite"),
        (_package(urls = []), "at least one URL"),
        (_package(urls = ["file:///etc/passwd"]), "a URL is http:// or https://"),
        (_package(urls = ["https://deb.debian.org/debian/pool/../../x.deb"]), "a URL has no . or .. path segments"),
        (_package(urls = ["https://deb.debian.org/\"x.deb"]), "a URL is printable ASCII"),
        (_package(urls = ["https://deb.debian.org/x y.deb"]), "a URL is printable ASCII"),
        (_package(urls = ["https://user:secret@deb.example/x.deb"]), "a URL has no user:password@"),
    ]:
        got = lockfile_errors(_lock(package), "l.json")
        asserts.true(env, got != None and message in got, "%r: got %r" % (message, got))
    for data, message in [
        ([], "l.json: not a JSON object"),
        (dict(_lock(), lockfile_version = 2), "l.json: lockfile_version 2, expected 1"),
        (dict(_lock(), distribution = "a-b"), 'l.json: distribution "a-b"'),
        (dict(_lock(), packages = {}), "l.json: packages: a list"),
        (_lock(_package(), _package()), "listed twice for amd64"),
        (_lock({"name": "bzip2"}), "l.json: package bzip2 None for None: no arch"),
    ]:
        got = lockfile_errors(data, "l.json")
        asserts.true(env, got != None and message in got, "%r: got %r" % (message, got))
    return unittest.end(env)

_crafted_lockfiles_test = unittest.make(_crafted_lockfiles_test_impl)

def _build_files_escape_test_impl(ctx):
    env = unittest.begin(ctx)

    # Escaping does not depend on the checks: a crafted version (which the checks refuse)
    # still becomes one string literal.
    files = hub_build_files("mini", [_package(version = _INJECTION)])
    text = files["bzip2/BUILD.bazel"]
    asserts.true(env, "    version = %r,\n)" % _INJECTION in text, text)
    asserts.true(env, '    version = "1.0\\", visibility' in text, text)
    asserts.equals(env, 1, text.count("visibility = [\"//visibility:public\"]"), text)
    asserts.equals(env, ["bzip2/BUILD.bazel", "sets/BUILD.bazel"], sorted(files))
    asserts.true(env, 'srcs = ["//bzip2:amd64"]' in files["sets/BUILD.bazel"], files["sets/BUILD.bazel"])
    return unittest.end(env)

_build_files_escape_test = unittest.make(_build_files_escape_test_impl)

def lock_test_suite(name):
    _deb_package_test(name = name + "_deb_package", target_under_test = "@mini//bzip2:amd64")
    _crafted_lockfiles_test(name = name + "_crafted_lockfiles")
    _build_files_escape_test(name = name + "_build_files_escape")
    native.test_suite(name = name, tests = [name + s for s in ["_deb_package", "_crafted_lockfiles", "_build_files_escape"]])
