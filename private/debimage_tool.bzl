"""The `_debimage` attribute of every rule whose actions run the debimage CLI."""

# The binary of the resolved debimage toolchain (private/debimage_toolchain.bzl), built for the
# execution platform, as a tool of the build. image_test's test runs it too.
DEBIMAGE_TOOL = attr.label(default = Label("//tools/debimage:current"), executable = True, cfg = "exec")
