"""The `_debimage` attribute of every rule whose actions run the debimage CLI."""

# Built for the execution platform, as a tool of the build (image_test, whose test runs it,
# declares its own in the target configuration).
DEBIMAGE_TOOL = attr.label(default = Label("//tools/debimage"), executable = True, cfg = "exec")
