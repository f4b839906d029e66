"""Implementation of oci_index: a multi-platform image layout."""

load(":annotations.bzl", "SOURCE_ATTRS", "source_annotations")
load(":debimage_tool.bzl", "DEBIMAGE_TOOL")
load(":providers.bzl", "ImageInfo", "IndexInfo")

def _oci_index_impl(ctx):
    layout = ctx.actions.declare_directory(ctx.label.name)
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    images = [i[ImageInfo] for i in ctx.attr.images]
    args = ctx.actions.args()
    args.add("index")
    for image in images:
        args.add("--image", image.layout.path)
    for key, value in sorted(source_annotations(ctx, ctx.attr.annotations).items()):
        args.add("--annotation", "%s=%s" % (key, value))
    if ctx.attr.tag:
        args.add("--tag", ctx.attr.tag)
    args.add("--out", layout.path)
    args.add("--digest-out", digest)
    ctx.actions.run(
        executable = ctx.executable._debimage,
        arguments = [args],
        inputs = [i.layout for i in images],
        outputs = [layout, digest],
        mnemonic = "OciIndex",
        progress_message = "Writing OCI image index %{label}",
    )
    return [
        DefaultInfo(files = depset([layout])),
        OutputGroupInfo(digest = depset([digest])),
        IndexInfo(digest = digest, images = images, layout = layout),
    ]

oci_index = rule(
    implementation = _oci_index_impl,
    doc = """A multi-platform OCI image layout (an image index over single-platform images).

Its annotations: `annotations`, `source`, and for a target of the main repository built with
`--@rules_debimage//distroless:revision=COMMIT`, `org.opencontainers.image.revision`.""",
    attrs = {
        "annotations": attr.string_dict(doc = "Index annotations."),
        "images": attr.label_list(providers = [ImageInfo], mandatory = True, doc = "The single-platform images (`oci_image` targets), one per platform, in index order."),
        "tag": attr.string(doc = "org.opencontainers.image.ref.name in index.json."),
        "_debimage": DEBIMAGE_TOOL,
    } | SOURCE_ATTRS,
    provides = [IndexInfo],
)
