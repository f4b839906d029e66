"""release_images: every image distroless_image made in a package, under upstream's names."""

load("//private:platforms.bzl", "OCI_PLATFORMS")
load("//static:config.bzl", "DEFAULT_DISTRIBUTION", "DISTRIBUTIONS", "UPSTREAM_TAGS")
load(":providers.bzl", "ImageInfo", "IndexInfo", "ReleaseInfo")

def _release_images_impl(ctx):
    images = []
    for key, target in sorted(ctx.attr.layouts.items()):
        repository, tag = key.split(":")
        layout = target[IndexInfo].layout if IndexInfo in target else target[ImageInfo].layout
        sbom = ctx.attr.sboms.get(key)
        images.append(struct(
            repository = repository,
            tag = tag,
            layout = layout,
            sbom = sbom[DefaultInfo].files.to_list()[0] if sbom else None,
        ))
    return [ReleaseInfo(images = images)]

_release_images = rule(
    implementation = _release_images_impl,
    doc = "Images under their release names (`REPOSITORY:TAG` -> layout and SBOM).",
    attrs = {
        "layouts": attr.string_keyed_label_dict(
            doc = "`REPOSITORY:TAG` -> an oci_index or oci_image.",
            providers = [[IndexInfo], [ImageInfo]],
            mandatory = True,
        ),
        "sboms": attr.string_keyed_label_dict(
            doc = "`REPOSITORY:TAG` -> the image's SPDX SBOM (an image_sbom target).",
            allow_files = [".json"],
        ),
    },
    provides = [ReleaseInfo],
)

def _variant_tag(name):
    """(name without its variant suffix, upstream's tag of the variant: UPSTREAM_TAGS)."""
    tag, suffix = "latest", ""
    for candidate_tag, candidate in UPSTREAM_TAGS.items():
        if candidate and name.endswith(candidate) and len(candidate) > len(suffix):
            tag, suffix = candidate_tag, candidate
    return name.removesuffix(suffix), tag

def upstream_repository(package, stem):
    """Upstream's repository of an image: `<family>-<distribution>`.

    The family is the package (`static`, `cc`, `python3`), with what the image name has before
    its distribution (`base` + `nossl` -> `base-nossl`); a name that starts with the package is
    the family itself (`java17`, `nodejs20` in `java`, `nodejs`).

    Args:
      package: the Bazel package, e.g. "base".
      stem: the index name without its variant suffix, e.g. "nossl_debian12".

    Returns:
      The repository name, e.g. "base-nossl-debian12".
    """
    distribution = [d for d in DISTRIBUTIONS if stem.endswith(d)]
    if not distribution:
        fail("release_images: %s:%s names no distribution (%s)" % (package, stem, ", ".join(DISTRIBUTIONS)))
    prefix = stem.removesuffix(distribution[0]).removesuffix("_")
    if not prefix:
        family = package
    elif prefix.startswith(package):
        family = prefix
    else:
        family = package + "_" + prefix
    return (family + "_" + distribution[0]).replace("_", "-")

def release_images(name):
    """Every image index of this package (made by distroless_image), for //:release.

    Call it last in the BUILD file: it sees the targets declared before it. For each index
    `<stem><variant>` (variant: a suffix of UPSTREAM_TAGS, static/config.bzl) it releases the
    index as `<upstream repository>:<tag>` (tag: latest, nonroot, debug, debug-nonroot) and
    each of its images as `<repository>:<tag>-<oci arch>`, with their SBOMs (`<target>_sbom`).
    An index that upstream_tags aliased (a DEFAULT_DISTRIBUTION one) is also released under
    the repository without the distribution (`static:latest`, `base-nossl:nonroot-arm64`).

    Args:
      name: the target, a ReleaseInfo.
    """
    rules = native.existing_rules()
    package = native.package_name()
    oci_arches = [arch for arch, _ in OCI_PLATFORMS.values()]
    layouts = {}
    sboms = {}

    def add(key, target):
        if key in layouts:
            fail("release_images: %s and %s would both be %s" % (layouts[key], target, key))
        layouts[key] = ":" + target
        if rules.get(target + "_sbom", {}).get("kind") == "image_sbom":
            sboms[key] = ":%s_sbom" % target

    # upstream_tags' aliases (`latest`, `nossl_nonroot`, ...): index -> its distro-less
    # repository (`static`, `base-nossl`), as upstream also publishes gcr.io/distroless/static.
    distroless = {}
    for alias_name, alias in rules.items():
        if alias["kind"] != "alias":
            continue
        actual = str(alias["actual"]).split(":")[-1]
        for tag, suffix in UPSTREAM_TAGS.items():
            prefix = alias_name.removesuffix(tag)
            if alias_name.endswith(tag) and actual == prefix + DEFAULT_DISTRIBUTION + suffix:
                repository = upstream_repository(package, prefix + DEFAULT_DISTRIBUTION)
                distroless[actual] = repository.removesuffix("-" + DEFAULT_DISTRIBUTION)

    for index_name, index in sorted(rules.items()):
        if index["kind"] != "oci_index":
            continue
        stem, tag = _variant_tag(index_name)
        repositories = [upstream_repository(package, stem)]
        if index_name in distroless:
            repositories.append(distroless[index_name])
        for repository in repositories:
            add("%s:%s" % (repository, tag), index_name)
            for image in index["images"]:
                # As the BUILD file wrote it: "debian12_amd64" or ":debian12_amd64".
                image_name = str(image).removeprefix(":")
                arch = image_name.removeprefix(index_name + "_")
                if arch == image_name or arch not in oci_arches:
                    fail("release_images: %s's image %s is not %s_<oci arch>" % (index_name, image, index_name))
                add("%s:%s-%s" % (repository, tag, arch), image_name)
    _release_images(
        name = name,
        layouts = layouts,
        sboms = sboms,
        visibility = ["//:__pkg__"],
    )
