"""Implementation of oci_push: `bazel run` pushes an image or index layout to a registry."""

load(":launcher.bzl", "write_launcher")
load(":providers.bzl", "ImageInfo", "IndexInfo")

def _oci_push_impl(ctx):
    image = ctx.attr.image
    layout = image[IndexInfo].layout if IndexInfo in image else image[ImageInfo].layout
    tool = ctx.executable._push
    args = ["--layout", layout]
    if ctx.attr.repository:
        args += ["--repository", ctx.attr.repository]
    if ctx.file.sbom:
        args += ["--sbom", ctx.file.sbom]
    launcher = write_launcher(ctx, tool, args)
    runfiles = ctx.runfiles(files = [tool, layout] + ([ctx.file.sbom] if ctx.file.sbom else []))
    runfiles = runfiles.merge(ctx.attr._push[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = launcher, runfiles = runfiles)]

oci_push = rule(
    implementation = _oci_push_impl,
    doc = """Pushes an image or image index to a registry: `bazel run :target -- REFERENCE`.

REFERENCE is `REGISTRY/REPOSITORY[:TAG]` (no tag: by digest only) or
`REGISTRY/REPOSITORY@sha256:...` (which must be the layout's digest); `--tag TAG` adds tags.
Blobs the registry already has are not uploaded; images are pushed before their index. Prints
`REGISTRY/REPOSITORY[:TAG]@sha256:...`. Credentials come from Docker's config.json
(`$DOCKER_CONFIG` or `~/.docker`, credential helpers included); localhost and 127.0.0.0/8 are
reached over plain HTTP.

With `--key KEY` (cosign's encrypted format with `$COSIGN_PASSWORD`, or a PEM ECDSA P-256
key; a file or `env://NAME`), the pushed digest is signed and `sbom` attested as cosign does,
for `cosign verify --key` and `cosign verify-attestation --type spdxjson --key`.
`bazel run :target -- --help` lists every option.
""",
    attrs = {
        "image": attr.label(
            doc = "An oci_image or oci_index (e.g. a distroless_image target).",
            providers = [[ImageInfo], [IndexInfo]],
            mandatory = True,
        ),
        "repository": attr.string(
            doc = "Default reference when none is given at run time, e.g. `ghcr.io/me/app:latest`.",
        ),
        "sbom": attr.label(
            doc = "The image's SPDX JSON SBOM (an image_sbom target), attested when signing with `--key`.",
            allow_single_file = [".json"],
        ),
        "_push": attr.label(
            default = Label("//tools/push:debimage-push"),
            executable = True,
            cfg = "target",
        ),
    },
    executable = True,
)
