"""upstream_tags: aliases of a family's default-distribution images, named as upstream's tags."""

load("//distroless:defs.bzl", "image_test")
load("//private:platforms.bzl", "oci_platform")
load("//static:config.bzl", "DEFAULT_DISTRIBUTION", "DISTRIBUTIONS", "UPSTREAM_TAGS")

def upstream_tags(name, images, architectures = None):
    """Aliases `<prefix><tag>` of each image's variants, for each of upstream's tags.

    Each image is a DEFAULT_DISTRIBUTION index made by distroless_image, e.g. "debian13"
    (static, base, cc, python3) or "java21_debian13"; `<prefix>` is its name without the
    distribution ("" or "java21_"). For tag `T` (latest, nonroot, debug, debug-nonroot) of
    variant suffix `S`, this declares `<prefix>T` (the index `<image>S`), `<prefix>T_<oci
    arch>` and `<prefix>T_<oci arch>_tar` (one platform's layout and docker tarball),
    `<prefix>T_for_platform` (the layout of the target platform, as a rules_oci base) and
    `<prefix>T_push` (tagged manual, as the image's own push target); and `<prefix>T_test`,
    which checks that the amd64 image behind the tag has the user and working directory its
    name promises (nonroot or root) and busybox exactly when it is a debug tag.

    Args:
      name: a filegroup of every index the tags point at.
      images: the images (index targets of the calling package).
      architectures: the Debian architectures the images have, if not all of
        DEFAULT_DISTRIBUTION's.
    """
    indexes = []
    for image in images:
        if not image.endswith(DEFAULT_DISTRIBUTION):
            fail("upstream_tags: %r is not an image of %s" % (image, DEFAULT_DISTRIBUTION))
        prefix = image.removesuffix(DEFAULT_DISTRIBUTION)
        for tag, suffix in UPSTREAM_TAGS.items():
            variant = image + suffix
            indexes.append(":" + variant)
            native.alias(
                name = prefix + tag,
                actual = ":" + variant,
            )
            native.alias(
                name = prefix + tag + "_for_platform",
                actual = ":%s_for_platform" % variant,
            )
            native.alias(
                name = prefix + tag + "_push",
                actual = ":%s_push" % variant,
                tags = ["manual"],
            )

            # What the tag's name promises, independently of UPSTREAM_TAGS.
            nonroot = "nonroot" in tag
            image_test(
                name = prefix + tag + "_test",
                config = {
                    "user": "65532" if nonroot else "0",
                    "workdir": "/home/nonroot" if nonroot else "/",
                },
                files = [{
                    "exists": tag.startswith("debug"),
                    "path": "/busybox/sh",
                }],
                image = ":%s%s_amd64" % (prefix, tag),
            )
            for arch in architectures or DISTRIBUTIONS[DEFAULT_DISTRIBUTION]["architectures"]:
                oci_arch = oci_platform(arch)[0]
                for output in ["", "_tar"]:
                    native.alias(
                        name = "%s%s_%s%s" % (prefix, tag, oci_arch, output),
                        actual = ":%s_%s%s" % (variant, oci_arch, output),
                    )
    native.filegroup(
        name = name,
        srcs = indexes,
    )
