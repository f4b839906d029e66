"""image_for_platform: an image target built for another target platform, as --platforms would."""

load("//private:providers.bzl", "ImageInfo")

def _platform_transition_impl(_settings, attr):
    return {"//command_line_option:platforms": [str(attr.platform)]}

_platform_transition = transition(
    implementation = _platform_transition_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _image_for_platform_impl(ctx):
    image = ctx.attr.image[0]
    return [image[DefaultInfo], image[ImageInfo]]

image_for_platform = rule(
    implementation = _image_for_platform_impl,
    doc = "Forwards `image` (e.g. a `<name>_for_platform` alias) configured for `platform`.",
    attrs = {
        "image": attr.label(mandatory = True, providers = [ImageInfo], cfg = _platform_transition),
        "platform": attr.label(mandatory = True),
    },
)
