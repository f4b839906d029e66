"""Implementation of image_test: assertions on a built image, checked by `debimage check-image`."""

load(":debimage_tool.bzl", "DEBIMAGE_TOOL")
load(":providers.bzl", "ImageInfo")

def _image_test_impl(ctx):
    image = ctx.attr.image[ImageInfo]
    checks = ctx.actions.declare_file(ctx.label.name + ".checks.json")
    ctx.actions.write(checks, ctx.attr.checks)
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        script,
        "#!/bin/sh\nexec %s check-image --image %s --checks %s\n" % (
            ctx.executable._debimage.short_path,
            image.layout.short_path,
            checks.short_path,
        ),
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = [image.layout, checks]).merge(ctx.attr._debimage[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

image_structure_test = rule(
    implementation = _image_test_impl,
    doc = "Checks files, configuration and packages of a single-platform image.",
    attrs = {
        "checks": attr.string(mandatory = True, doc = "JSON: {files, config, packages}."),
        "image": attr.label(providers = [ImageInfo], mandatory = True),
        # The toolchain's binary, the one the image actions run: tests run on an execution
        # platform, and a first `bazel test` compiles (or downloads) debimage only once.
        "_debimage": DEBIMAGE_TOOL,
    },
    test = True,
)
