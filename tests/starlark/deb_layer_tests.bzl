"""Analysis tests of deb_layer: the action it registers and what it provides."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//distroless:defs.bzl", "LayerInfo")

def _outputs_and_args_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    actions = analysistest.target_actions(env)
    asserts.equals(env, ["DebLayer"], [a.mnemonic for a in actions])
    argv = actions[0].argv
    asserts.true(env, "layer" in argv, "runs `debimage layer`: %s" % argv)
    asserts.equals(env, 2, len([a for a in argv if a == "--deb"]))
    asserts.equals(env, "1700000000", argv[argv.index("--mtime") + 1])
    info = target[LayerInfo]
    asserts.equals(env, "two_debs.tar.gz", info.blob.basename)
    asserts.equals(env, "two_debs.digests.json", info.digests.basename)
    asserts.equals(env, [info.blob], target[DefaultInfo].files.to_list())
    return analysistest.end(env)

_outputs_and_args_test = analysistest.make(_outputs_and_args_test_impl)

def _rejects_non_deb_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, "is misplaced here (expected .deb)")
    return analysistest.end(env)

_rejects_non_deb_test = analysistest.make(_rejects_non_deb_test_impl, expect_failure = True)

def deb_layer_test_suite(name, two_debs, not_a_deb):
    """Declares the analysis tests.

    Args:
      name: name of the test_suite.
      two_debs: a deb_layer of two packages with mtime 1700000000.
      not_a_deb: a deb_layer given a file that is not a .deb (tagged manual).
    """
    _outputs_and_args_test(name = name + "_outputs_and_args", target_under_test = two_debs)
    _rejects_non_deb_test(name = name + "_rejects_non_deb", target_under_test = not_a_deb)
    native.test_suite(name = name, tests = [name + "_outputs_and_args", name + "_rejects_non_deb"])
