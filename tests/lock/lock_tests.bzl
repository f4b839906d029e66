"""Analysis tests of the debian extension's hub repository."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//distroless:defs.bzl", "DebInfo")

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

def lock_test_suite(name):
    _deb_package_test(name = name + "_deb_package", target_under_test = "@mini//bzip2:amd64")
    native.test_suite(name = name, tests = [name + "_deb_package"])
