"""Implementation of docker_archive: a single-platform image as a `docker load` tarball."""

load(":debimage_tool.bzl", "DEBIMAGE_TOOL")
load(":providers.bzl", "ImageInfo")

def _docker_archive_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".tar")
    image = ctx.attr.image[ImageInfo]
    ctx.actions.run(
        executable = ctx.executable._debimage,
        arguments = ["docker-archive", "--image", image.layout.path, "--repo-tag", ctx.attr.repo_tag, "--out", out.path],
        inputs = [image.layout],
        outputs = [out],
        mnemonic = "DockerArchive",
        progress_message = "Writing docker-archive %{label}",
    )
    return [DefaultInfo(files = depset([out]))]

docker_archive = rule(
    implementation = _docker_archive_impl,
    doc = "A `docker load -i` tarball of a single-platform image.",
    attrs = {
        "image": attr.label(providers = [ImageInfo], mandatory = True, doc = "The single-platform image (an `oci_image` target) to write as a tarball."),
        "repo_tag": attr.string(mandatory = True, doc = "e.g. distroless/static:latest"),
        "_debimage": DEBIMAGE_TOOL,
    },
)
