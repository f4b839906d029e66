"""Providers shared by the rules of rules_debimage."""

LayerInfo = provider(
    doc = "One image layer: a gzip-compressed tar and its identifiers.",
    fields = {
        "blob": "File: the compressed layer (gzip tar).",
        "digests": "File: JSON with diff_id, digest (sha256 of the blob) and size.",
        "listing": "File: one line per entry: path type mode uid:gid size target.",
    },
)
