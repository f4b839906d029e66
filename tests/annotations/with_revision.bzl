"""with_revision: targets built with `--@rules_debimage//distroless:revision` set, for the tests."""

_FLAG = str(Label("//distroless:revision"))

def _revision_transition_impl(_settings, attr):
    return {_FLAG: attr.revision}

_revision_transition = transition(
    implementation = _revision_transition_impl,
    inputs = [],
    outputs = [_FLAG],
)

def _with_revision_impl(ctx):
    return [DefaultInfo(files = depset(transitive = [t[DefaultInfo].files for t in ctx.attr.srcs]))]

with_revision = rule(
    implementation = _with_revision_impl,
    doc = "The files of `srcs` as built with the revision flag set to `revision`.",
    attrs = {
        "revision": attr.string(mandatory = True),
        "srcs": attr.label_list(cfg = _revision_transition, mandatory = True),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
)
