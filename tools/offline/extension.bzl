"""Development-only repositories for building offline with Debian's Bazel (--config=debian)."""

_BUILD = """\
load("@rules_rust//rust:toolchain.bzl", "rust_stdlib_filegroup", "rust_toolchain")

package(default_visibility = ["//visibility:public"])

# {rustc_version}
rust_stdlib_filegroup(
    name = "rust_std",
    srcs = glob(["lib/rustlib/{triple}/lib/**"]),
)

filegroup(
    name = "rustc_lib",
    srcs = glob(["rustc_lib/*"]),
)

rust_toolchain(
    name = "rust_toolchain",
    binary_ext = "",
    cargo = "bin/cargo",
    default_edition = "2021",
    dylib_ext = ".so",
    exec_triple = "{triple}",
    rust_doc = "bin/rustdoc",
    rust_std = ":rust_std",
    rustc = "bin/rustc",
    rustc_lib = ":rustc_lib",
    staticlib_ext = ".a",
    stdlib_linkflags = ["-ldl", "-lpthread"],
    target_triple = "{triple}",
)

toolchain(
    name = "toolchain",
    exec_compatible_with = {constraints},
    target_compatible_with = {constraints},
    toolchain = ":rust_toolchain",
    toolchain_type = "@rules_rust//rust:toolchain_type",
)
"""

_CPUS = {"aarch64": "aarch64", "x86_64": "x86_64"}

def _local_rust_impl(rctx):
    rustc = rctx.which("rustc")
    if not rustc:
        fail("--config=debian needs rustc on PATH (tools/bazel installs Debian's in its chroot)")
    info = rctx.execute([rustc, "-vV"])
    if info.return_code != 0:
        fail("rustc -vV failed: " + info.stderr)
    fields = dict([line.split(": ", 1) for line in info.stdout.splitlines() if ": " in line])
    triple = fields["host"]
    cpu = triple.split("-")[0]
    if cpu not in _CPUS:
        fail("unsupported host " + triple)
    sysroot = rctx.execute([rustc, "--print", "sysroot"]).stdout.strip()
    for tool in ["rustc", "rustdoc", "cargo"]:
        path = rctx.which(tool)
        if not path:
            fail(tool + " not found on PATH")
        rctx.symlink(path, "bin/" + tool)
    rctx.symlink("%s/lib/rustlib/%s/lib" % (sysroot, triple), "lib/rustlib/%s/lib" % triple)

    # rustc's own shared library lives in the multiarch directory on Debian.
    for libdir in ["%s/lib" % sysroot, "%s/lib/%s-linux-gnu" % (sysroot, cpu)]:
        for lib in rctx.path(libdir).readdir() if rctx.path(libdir).exists else []:
            if lib.basename.startswith("librustc_driver-"):
                rctx.symlink(lib, "rustc_lib/" + lib.basename)
    rctx.file("BUILD.bazel", _BUILD.format(
        rustc_version = fields.get("release", "?"),
        triple = triple,
        constraints = repr(["@platforms//os:linux", "@platforms//cpu:" + _CPUS[cpu]]),
    ))

_local_rust = repository_rule(
    implementation = _local_rust_impl,
    doc = "The rustc, rustdoc and cargo found on PATH, as a rules_rust toolchain.",
    environ = ["PATH"],
    local = True,
)

def _offline_impl(module_ctx):
    _local_rust(name = "local_rust")
    return module_ctx.extension_metadata(
        root_module_direct_deps = [],
        root_module_direct_dev_deps = ["local_rust"],
    )

offline = module_extension(
    implementation = _offline_impl,
    doc = "Repositories for the offline Debian mode; a dev_dependency of the root module only.",
)
