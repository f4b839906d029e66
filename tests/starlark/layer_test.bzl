"""Test helpers: compare what a layer rule built with expected files."""

load("@bazel_skylib//rules:diff_test.bzl", "diff_test")

def layer_listing_test(name, layer, expected):
    """The listing of `layer` (path type mode uid:gid size target) equals `expected`.

    Args:
      name: test name.
      layer: a target providing LayerInfo.
      expected: the expected listing file.
    """
    native.filegroup(
        name = name + "_listing",
        srcs = [layer],
        output_group = "listing",
        testonly = True,
    )
    diff_test(name = name, file1 = name + "_listing", file2 = expected)

def layer_file_test(name, layer, path, expected):
    """The file at `path` in `layer` (extracted with GNU tar) equals `expected`.

    Args:
      name: test name.
      layer: a target providing LayerInfo.
      path: the file's path in the layer, without a leading slash.
      expected: the expected content.
    """
    native.genrule(
        name = name + "_extract",
        srcs = [layer],
        outs = [name + ".extracted"],
        cmd = "tar -xzOf $(execpath %s) %s > $@" % (layer, path),
        testonly = True,
    )
    diff_test(name = name, file1 = name + "_extract", file2 = expected)
