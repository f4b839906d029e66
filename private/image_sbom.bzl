"""Implementation of image_sbom: an SPDX 2.3 document of one or more images."""

load(":debimage_tool.bzl", "DEBIMAGE_TOOL")
load(":providers.bzl", "ImageInfo")

def _image_sbom_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".spdx.json")
    images = [i[ImageInfo] for i in ctx.attr.images]
    args = ctx.actions.args()
    args.add("sbom")
    for image in images:
        args.add("--image", image.layout.path)
    args.add("--name", ctx.attr.document_name or str(ctx.label))
    inputs = [i.layout for i in images]
    if ctx.file.lock:
        args.add("--lock", ctx.file.lock)
        inputs.append(ctx.file.lock)
    args.add("--out", out)
    ctx.actions.run(
        executable = ctx.executable._debimage,
        arguments = [args],
        inputs = inputs,
        outputs = [out],
        mnemonic = "Sbom",
        progress_message = "Writing SBOM %{label}",
    )
    return [DefaultInfo(files = depset([out]))]

image_sbom = rule(
    implementation = _image_sbom_impl,
    doc = "An SPDX 2.3 JSON SBOM: every Debian package of the images (name, version, architecture, purl, source, declared license, .deb sha256) and their layers.",
    attrs = {
        "document_name": attr.string(doc = "The document's name; default: the target's label."),
        "images": attr.label_list(providers = [ImageInfo], mandatory = True, doc = "The single-platform images (`oci_image` targets) the document describes."),
        "lock": attr.label(allow_single_file = [".json"], doc = "The lockfile the packages came from."),
        "_debimage": DEBIMAGE_TOOL,
    },
)
