"""A check that a registered debimage toolchain is the one the rules run, and changes no byte."""

load("//private:debimage_toolchain.bzl", "DebimageBinaryInfo")
load("//private:providers.bzl", "IndexInfo")

_EXTRA_TOOLCHAINS = "//command_line_option:extra_toolchains"
_PREBUILT = str(Label(":prebuilt_toolchain"))

def _add_prebuilt_impl(settings, _attr):
    return {_EXTRA_TOOLCHAINS: settings[_EXTRA_TOOLCHAINS] + [_PREBUILT]}

# As `--extra_toolchains=//tests/toolchain:prebuilt_toolchain` on the command line.
_add_prebuilt = transition(
    implementation = _add_prebuilt_impl,
    inputs = [_EXTRA_TOOLCHAINS],
    outputs = [_EXTRA_TOOLCHAINS],
)

def _drop_prebuilt_impl(settings, _attr):
    return {_EXTRA_TOOLCHAINS: [t for t in settings[_EXTRA_TOOLCHAINS] if Label(t) != Label(_PREBUILT)]}

# Back to the build's own configuration: the "prebuilt" binary is the one a plain build compiles,
# not a second compile of every crate.
_drop_prebuilt = transition(
    implementation = _drop_prebuilt_impl,
    inputs = [_EXTRA_TOOLCHAINS],
    outputs = [_EXTRA_TOOLCHAINS],
)

def _built_apart_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.run_shell(
        command = 'cp "$1" "$2"',
        arguments = [ctx.executable.binary.path, out.path],
        inputs = [ctx.executable.binary],
        outputs = [out],
        mnemonic = "CopyDebimage",
    )
    return [DefaultInfo(files = depset([out]))]

built_apart = rule(
    implementation = _built_apart_impl,
    doc = "A copy of a binary as it is built without the test toolchain: a plain file, as a download is.",
    attrs = {
        "binary": attr.label(executable = True, cfg = _drop_prebuilt, mandatory = True),
    },
)

def _under_prebuilt_impl(ctx):
    return [
        ctx.attr.index[IndexInfo],
        ctx.attr.current[DebimageBinaryInfo],
    ]

_under_prebuilt = rule(
    implementation = _under_prebuilt_impl,
    doc = "An index and the resolved debimage, both with the prebuilt toolchain registered.",
    cfg = _add_prebuilt,
    attrs = {
        "current": attr.label(default = Label("//tools/debimage:current"), cfg = "exec"),
        "index": attr.label(providers = [IndexInfo], mandatory = True),
    },
)

def _toolchain_test_impl(ctx):
    default = ctx.attr.default_current[DebimageBinaryInfo].binary
    prebuilt = ctx.attr.prebuilt[DebimageBinaryInfo].binary
    default_digest = ctx.attr.index[IndexInfo].digest
    prebuilt_digest = ctx.attr.prebuilt[IndexInfo].digest
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, """#!/bin/sh
set -eu
fail() {{ echo "$*" >&2; exit 1; }}
[ "{default}" = "{expected_default}" ] || fail "without the test toolchain, the rules run {default}, not {expected_default}"
[ "{prebuilt}" = "{expected_prebuilt}" ] || fail "with the test toolchain registered, the rules run {prebuilt}, not {expected_prebuilt}"
cmp -s "{default_bin}" "{prebuilt_bin}" && [ "{default_bin}" != "{prebuilt_bin}" ] ||
  fail "the test toolchain's binary is not a copy of the default one: {prebuilt_bin}"
default_digest=$(cat "{default_digest}")
prebuilt_digest=$(cat "{prebuilt_digest}")
[ "$default_digest" = "$prebuilt_digest" ] ||
  fail "{index}: $default_digest with the default toolchain, $prebuilt_digest with a prebuilt binary"
echo "{index}: $default_digest with the from-source and the prebuilt toolchain"
""".format(
        default = default.short_path,
        expected_default = ctx.attr.expected_default,
        prebuilt = prebuilt.short_path,
        expected_prebuilt = ctx.attr.expected_prebuilt,
        default_bin = default.short_path,
        prebuilt_bin = prebuilt.short_path,
        default_digest = default_digest.short_path,
        prebuilt_digest = prebuilt_digest.short_path,
        index = ctx.attr.index.label,
    ), is_executable = True)
    files = [default, prebuilt, default_digest, prebuilt_digest]
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = files))]

_toolchain_test = rule(
    implementation = _toolchain_test_impl,
    attrs = {
        "default_current": attr.label(default = Label("//tools/debimage:current"), cfg = "exec"),
        "expected_default": attr.string(mandatory = True),
        "expected_prebuilt": attr.string(mandatory = True),
        "index": attr.label(providers = [IndexInfo], mandatory = True),
        "prebuilt": attr.label(providers = [IndexInfo, DebimageBinaryInfo], mandatory = True),
    },
    test = True,
)

def toolchain_test(name, index, expected_default, expected_prebuilt, **kwargs):
    """Builds `index` with and without the test toolchain; the digests must be equal.

    Args:
      name: the test.
      index: an image index target.
      expected_default: short_path of the binary the default toolchain resolves to.
      expected_prebuilt: short_path of the test toolchain's binary.
      **kwargs: common test attributes.
    """
    _under_prebuilt(
        name = name + "_prebuilt",
        index = index,
    )
    _toolchain_test(
        name = name,
        expected_default = expected_default,
        expected_prebuilt = expected_prebuilt,
        index = index,
        prebuilt = name + "_prebuilt",
        **kwargs
    )
