//! An image's files as a container runtime sees them, and its layer blobs read back.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result};
use layer::Layer;
use serde::Deserialize;

/// Every layer applied in order: a later entry replaces an earlier one at the same path, and
/// whiteouts delete.
pub fn merged_filesystem(image: &oci::Image) -> Result<Layer> {
    let mut files = Layer::new();
    for blob in &image.layers {
        let layer = read_layer_blob(blob, true)?;
        files
            .apply(&layer)
            .with_context(|| blob.path.display().to_string())?;
    }
    Ok(files)
}

/// A layer blob read back as a [`Layer`], decompressed as its media type says. The blob is
/// checked against its descriptor (digest, size) and its diff_id as it is read. With
/// `keep_content`, file contents can be read back; without, only their digests are kept.
pub fn read_layer_blob(blob: &oci::LayerBlob, keep_content: bool) -> Result<Layer> {
    let mut reader = blob.open()?;
    let layer = Layer::read_image_layer(&mut reader, keep_content);
    // A blob that is not what its descriptor says is the news, whatever it parses to.
    reader.finish()?;
    layer.with_context(|| blob.path.display().to_string())
}

/// What `debimage layer --digests-out` writes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Digests {
    diff_id: String,
    digest: String,
    size: u64,
    #[serde(default = "gzip_media_type")]
    media_type: String,
}

fn gzip_media_type() -> String {
    layer::LayerCompression::Gzip.media_type().to_string()
}

/// A layer blob described by its digests JSON (from `debimage layer --digests-out`).
pub fn layer_blob(blob: &Path, digests: &Path, created_by: String) -> Result<oci::LayerBlob> {
    let file = File::open(digests).with_context(|| format!("cannot open {}", digests.display()))?;
    let d: Digests = serde_json::from_reader(BufReader::new(file))
        .with_context(|| format!("{}: not the expected JSON", digests.display()))?;
    let media_type =
        oci::LayerMediaType::parse(&d.media_type).with_context(|| digests.display().to_string())?;
    for (field, digest) in [("digest", &d.digest), ("diff_id", &d.diff_id)] {
        oci::sha256_hex(digest).with_context(|| format!("{}: {field}", digests.display()))?;
    }
    Ok(oci::LayerBlob {
        path: blob.to_path_buf(),
        digest: d.digest,
        size: d.size,
        diff_id: d.diff_id,
        media_type,
        created_by,
    })
}

/// A layer blob or tar file given without a media type (`debimage flatten`'s inputs) read
/// back as a [`Layer`], its compression told by [`open_tar`].
pub fn read_tar_file(path: &Path) -> Result<Layer> {
    Layer::read_tar(open_tar(path)?, true).with_context(|| path.display().to_string())
}

/// A tar file, uncompressed or compressed with gzip, zstd, xz or bzip2 (told apart by their
/// magic bytes), as a stream of the tar.
pub fn open_tar(path: &Path) -> Result<Box<dyn Read>> {
    let context = || path.display().to_string();
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    // One read of a regular file fills the buffer (or holds the whole file).
    let head = reader.fill_buf().with_context(context)?;
    let compression = deb::compression::Compression::detect(head);
    Ok(compression.decoder(reader, &context())?)
}
