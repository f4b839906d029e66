"""Implementation of cc_deb_library: a locked -dev package's headers and libraries as a C/C++ library."""

load(":debimage_tool.bzl", "DEBIMAGE_TOOL")

# cc_common and CcInfo are Bazel 7's built-ins here (buildifier: native-cc-* disabled below):
# their rules_cc homes (cc/common/*.bzl) need a newer rules_cc than the 0.0.9 rules_rust
# brings into the module graph.

# Debian architecture -> its multiarch triplet (the directory of its libraries and of its
# architecture-dependent headers).
TRIPLETS = {
    "amd64": "x86_64-linux-gnu",
    "arm64": "aarch64-linux-gnu",
    "armhf": "arm-linux-gnueabihf",
    "i386": "i386-linux-gnu",
    "ppc64el": "powerpc64le-linux-gnu",
    "riscv64": "riscv64-linux-gnu",
    "s390x": "s390x-linux-gnu",
}

_CC_TOOLCHAIN = "@bazel_tools//tools/cpp:toolchain_type"

def _cc_deb_library_impl(ctx):
    if ctx.attr.architecture not in TRIPLETS:
        fail("%s: architecture %r is not one of %s" % (ctx.label, ctx.attr.architecture, ", ".join(TRIPLETS)))
    triplet = TRIPLETS[ctx.attr.architecture]
    headers = ctx.actions.declare_directory(ctx.label.name + "/include")
    args = ctx.actions.args()
    args.add("cc-files")
    args.add_all(ctx.files.debs, before_each = "--deb")
    args.add("--headers-out", headers.path)
    libraries = []
    suffix = ".a" if ctx.attr.linkstatic else ".so"
    for name in ctx.attr.libraries:
        out = ctx.actions.declare_file("%s/lib/lib%s%s" % (ctx.label.name, name, suffix))
        args.add("--library", "usr/lib/%s/lib%s%s=%s" % (triplet, name, suffix, out.path))
        libraries.append(out)
    ctx.actions.run(
        executable = ctx.executable._debimage,
        arguments = [args],
        inputs = ctx.files.debs,
        outputs = [headers] + libraries,
        mnemonic = "CcDebFiles",
        progress_message = "Taking headers and libraries of %{label} from its packages",
    )

    cc_toolchain = ctx.toolchains[_CC_TOOLCHAIN].cc

    # buildifier: disable=native-cc-common
    features = cc_common.configure_features(
        ctx = ctx,
        cc_toolchain = cc_toolchain,
        requested_features = ctx.features,
        unsupported_features = ctx.disabled_features,
    )
    to_link = [
        # buildifier: disable=native-cc-common
        cc_common.create_library_to_link(
            actions = ctx.actions,
            cc_toolchain = cc_toolchain,
            feature_configuration = features,
            static_library = library if ctx.attr.linkstatic else None,
            dynamic_library = None if ctx.attr.linkstatic else library,
        )
        for library in libraries
    ]

    # buildifier: disable=native-cc-common
    compilation = cc_common.create_compilation_context(
        headers = depset([headers]),
        system_includes = depset([headers.path, "%s/%s" % (headers.path, triplet)]),
    )

    # buildifier: disable=native-cc-common
    linking = cc_common.create_linking_context(
        # buildifier: disable=native-cc-common
        linker_inputs = depset([cc_common.create_linker_input(
            owner = ctx.label,
            libraries = depset(to_link),
        )]),
    )
    return [
        DefaultInfo(files = depset([headers] + libraries)),
        # buildifier: disable=native-cc-info
        CcInfo(compilation_context = compilation, linking_context = linking),
    ]

cc_deb_library = rule(
    implementation = _cc_deb_library_impl,
    doc = """A locked `-dev` package's headers and libraries as a C/C++ library (`CcInfo`), for one architecture.

Headers: everything below `/usr/include` of `debs`, on the include path as system headers with
the architecture's multiarch directory (`/usr/include/<triplet>`, where e.g. libssl-dev's
`opensslconf.h` is). Libraries: `lib<name>.a` (`linkstatic`, the default) or `lib<name>.so`
of each of `libraries` in `/usr/lib/<triplet>`, symlinks followed into the other packages of
`debs` (zlib1g-dev's `libz.so` is a link into zlib1g). A binary linked with the shared library
records its soname (`libz.so.1`), which it finds at run time where it runs (the image's
package, e.g. zlib1g), not in the build.""",
    attrs = {
        "architecture": attr.string(mandatory = True, doc = "The Debian architecture of `debs`: " + ", ".join(TRIPLETS) + "."),
        "debs": attr.label_list(
            allow_files = [".deb"],
            mandatory = True,
            doc = "The -dev package and the runtime packages its libraries link into (deb_package targets or .deb files), e.g. `@debian12//zlib1g-dev:amd64` and `@debian12//zlib1g:amd64`.",
        ),
        "libraries": attr.string_list(doc = "Library names to link, e.g. `[\"z\"]` for libz.a or libz.so."),
        "linkstatic": attr.bool(default = True, doc = "Link the static libraries (`lib<name>.a`); False: the shared ones (`lib<name>.so`)."),
        "_debimage": DEBIMAGE_TOOL,
    },
    fragments = ["cpp"],
    toolchains = [_CC_TOOLCHAIN],
    # buildifier: disable=native-cc-info
    provides = [CcInfo],
)
