"""Providers shared by the rules of rules_debimage."""

LayerInfo = provider(
    doc = "One image layer: a gzip-compressed tar and its identifiers.",
    fields = {
        "blob": "File: the compressed layer (gzip tar).",
        "digests": "File: JSON with diff_id, digest (sha256 of the blob) and size.",
        "listing": "File: one line per entry: path type mode uid:gid size target.",
    },
)

ImageInfo = provider(
    doc = "A single-platform OCI image.",
    fields = {
        "digest": "File: the manifest digest (sha256:...).",
        "layers": "list of LayerInfo: every layer Bazel built, the base image's first; those of an `oci_layout_image` (and so of an image on one) are only in its layout.",
        "layout": "File (directory): the OCI image layout.",
    },
)

IndexInfo = provider(
    doc = "A multi-platform OCI image (an image index).",
    fields = {
        "digest": "File: the index digest.",
        "images": "list of ImageInfo, one per platform.",
        "layout": "File (directory): the OCI image layout.",
    },
)

ReleaseInfo = provider(
    doc = "Images to release: where each goes (repository and tag) and what it is.",
    fields = {
        "images": "list of struct(repository, tag, layout: File (directory), sbom: File or None).",
    },
)
