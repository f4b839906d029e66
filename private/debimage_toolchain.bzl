"""The debimage toolchain: which `debimage` binary the rules' actions run.

The default toolchain (//tools/debimage:from_source_toolchain, registered by this module) builds
the tool from source with rules_rust. A user or team can register their own, whose binary is
any executable file (a release download through `http_file`, a binary built elsewhere): a
toolchain registered by the root module, or with `--extra_toolchains`, wins over the default.
"""

DEBIMAGE_TOOLCHAIN_TYPE = Label("//distroless:debimage_toolchain_type")

DebimageBinaryInfo = provider(
    doc = "The debimage binary a `current_debimage` target resolved (for tests of the toolchain).",
    fields = {"binary": "File: the toolchain's executable."},
)

def _debimage_toolchain_impl(ctx):
    target = ctx.attr.debimage
    return [platform_common.ToolchainInfo(
        debimage = ctx.executable.debimage,
        runfiles = target[DefaultInfo].default_runfiles,
    )]

debimage_toolchain = rule(
    implementation = _debimage_toolchain_impl,
    doc = """A `debimage` binary for the rules' actions, to use in a `toolchain()` of type
`@rules_debimage//distroless:debimage_toolchain_type`.

The binary must be rules_debimage's `debimage` CLI (`tools/debimage`) of the same version as
the rules: prebuilt by `cargo build --release -p debimage` or by Bazel, and downloaded, say, with
`http_file(executable = True, sha256 = ...)`. Constrain the `toolchain()` with
`exec_compatible_with` to the platforms the binary runs on.

```starlark
# MODULE.bazel
http_file = use_repo_rule("@bazel_tools//tools/build_defs/repo:http.bzl", "http_file")
http_file(
    name = "debimage_linux_amd64",
    executable = True,
    sha256 = "...",
    urls = ["https://example.com/debimage-linux-amd64"],
)
register_toolchains("//tools:debimage_linux_amd64")

# tools/BUILD.bazel
load("@rules_debimage//distroless:toolchain.bzl", "debimage_toolchain")

debimage_toolchain(
    name = "debimage_prebuilt",
    debimage = "@debimage_linux_amd64//file",
)

toolchain(
    name = "debimage_linux_amd64",
    exec_compatible_with = ["@platforms//os:linux", "@platforms//cpu:x86_64"],
    toolchain = ":debimage_prebuilt",
    toolchain_type = "@rules_debimage//distroless:debimage_toolchain_type",
)
```
""",
    attrs = {
        "debimage": attr.label(
            doc = "The `debimage` executable: a file or an executable target.",
            mandatory = True,
            executable = True,
            allow_files = True,
            cfg = "exec",
        ),
    },
    provides = [platform_common.ToolchainInfo],
)

def _current_debimage_impl(ctx):
    toolchain = ctx.toolchains[DEBIMAGE_TOOLCHAIN_TYPE]
    binary = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = binary, target_file = toolchain.debimage, is_executable = True)
    return [
        DefaultInfo(
            executable = binary,
            runfiles = ctx.runfiles(files = [binary]).merge(toolchain.runfiles),
        ),
        DebimageBinaryInfo(binary = toolchain.debimage),
    ]

# The rules' `_debimage` attribute points here (private/debimage_tool.bzl): the one target that
# resolves the toolchain, so no rule needs toolchain plumbing of its own. It is configured for
# the execution platform of the rule's actions, and so resolves the toolchain for that platform.
current_debimage = rule(
    implementation = _current_debimage_impl,
    doc = "The `debimage` binary of the resolved debimage toolchain, as an executable target.",
    executable = True,
    toolchains = [DEBIMAGE_TOOLCHAIN_TYPE],
)
