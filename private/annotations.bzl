"""The OCI annotations images carry: where they come from, what they were built on, their runtime's version."""

load("@bazel_skylib//rules:common_settings.bzl", "BuildSettingInfo")
load(":deb_package.bzl", "DebInfo")

SOURCE = "org.opencontainers.image.source"
REVISION = "org.opencontainers.image.revision"
BASE_NAME = "org.opencontainers.image.base.name"

# The attributes of `oci_image` and `oci_index` for the source and revision.
SOURCE_ATTRS = {
    "source": attr.string(doc = "`org.opencontainers.image.source`: the URL of the image's source (e.g. its repository)."),
    "_revision": attr.label(default = Label("//distroless:revision"), providers = [BuildSettingInfo]),
}

def upstream_version(version):
    """The upstream part of a Debian version, as upstream distroless's version annotations have it.

    The epoch, the Debian revision and anything from a `+` or `~` on (a build number, a repack
    mark) are left out: `3.11.2-6+deb12u9` -> `3.11.2`, `17.0.21.1+2-1~deb12u1` -> `17.0.21.1`,
    `20.19.2+dfsg-1+deb13u3` -> `20.19.2`, `1:2.3-4` -> `2.3`.

    Args:
      version: a Debian version.

    Returns:
      its upstream version.
    """
    if ":" in version:
        version = version.split(":", 1)[1]
    if "-" in version:
        version = version.rsplit("-", 1)[0]
    for mark in ["+", "~"]:
        version = version.split(mark, 1)[0]
    return version

def source_annotations(ctx, annotations):
    """`annotations` with the source (the `source` attribute) and the revision (the flag).

    `--@rules_debimage//distroless:revision=SHA` stamps the images of the main repository (the
    module being built) only: an image of a module it depends on is another repository's
    source, whose revision that flag is not.

    Args:
      ctx: the context of a rule with SOURCE_ATTRS.
      annotations: the annotations given.

    Returns:
      a new dict.
    """
    annotations = dict(annotations)
    if ctx.attr.source:
        annotations[SOURCE] = ctx.attr.source
    revision = ctx.attr._revision[BuildSettingInfo].value
    if revision and not ctx.label.workspace_name:
        annotations[REVISION] = revision
    return annotations

def version_annotations(ctx, annotations):
    """`annotations` with each `version_annotations` key set to its package's upstream version.

    Args:
      ctx: the context of a rule with a `version_annotations` attribute.
      annotations: the annotations so far.

    Returns:
      a new dict.
    """
    annotations = dict(annotations)
    for target, key in ctx.attr.version_annotations.items():
        annotations[key] = upstream_version(target[DebInfo].version)
    return annotations
