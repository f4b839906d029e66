"""The debimage toolchain: point rules_debimage at a prebuilt `debimage` binary.

Every action of the rules runs `debimage`, found through the toolchain type
`@rules_debimage//distroless:debimage_toolchain_type`. The toolchain rules_debimage registers
builds it from source (Rust, with rules_rust); register a `debimage_toolchain` of your own (from
the root module, or with `--extra_toolchains`) to use a prebuilt binary instead, so that a
first build compiles no Rust. Images are the same bytes either way.

Load from `@rules_debimage//distroless:toolchain.bzl`.
"""

load("//private:debimage_toolchain.bzl", _debimage_toolchain = "debimage_toolchain")

debimage_toolchain = _debimage_toolchain
