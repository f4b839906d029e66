"""Unit tests of private/annotations.bzl, and oci_image refusing a base_name without a base."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts", "unittest")

# buildifier: disable=bzl-visibility (the rules' own helper, tested directly)
load("//private:annotations.bzl", "upstream_version")

def _upstream_version_test_impl(ctx):
    env = unittest.begin(ctx)
    for debian, upstream in [
        ("3.11.2-6+deb12u9", "3.11.2"),
        ("17.0.21.1+2-1~deb12u1", "17.0.21.1"),
        ("20.19.2+dfsg-1+deb13u3", "20.19.2"),
        ("1:2.3-4", "2.3"),
        ("2:1.0~rc1-1-2", "1.0"),
        ("5.2", "5.2"),
    ]:
        asserts.equals(env, upstream, upstream_version(debian))
    return unittest.end(env)

_upstream_version_test = unittest.make(_upstream_version_test_impl)

def _refused_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.message)
    return analysistest.end(env)

_refused_test = analysistest.make(
    _refused_test_impl,
    expect_failure = True,
    attrs = {"message": attr.string()},
)

def annotations_test_suite(name, base_name_without_base):
    """The unit tests, and the analysis failure of `base_name_without_base`.

    Args:
      name: the suite's name.
      base_name_without_base: an oci_image with a base_name and no base (tagged manual).
    """
    _upstream_version_test(name = name + "_upstream_version")
    _refused_test(
        name = name + "_base_name_without_base",
        message = 'base_name "registry.example/nothing:latest" is given, but there is no base',
        target_under_test = base_name_without_base,
    )
    native.test_suite(
        name = name,
        tests = [
            name + "_upstream_version",
            name + "_base_name_without_base",
        ],
    )
