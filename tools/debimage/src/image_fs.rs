//! An image's files as a container runtime sees them, and its layer blobs read back.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};
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
    let path = &blob.path;
    let context = || path.display().to_string();
    let format = oci::LayerMediaType::parse(&blob.media_type).with_context(context)?;
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut compressed = oci::DigestReader::new(file);
    let layer = {
        let mut tar = oci::DigestReader::new(
            format
                .decompress(BufReader::with_capacity(1 << 16, &mut compressed))
                .with_context(context)?,
        );
        let layer = Layer::read_image_layer(&mut tar, keep_content).with_context(context)?;
        let (diff_id, _) = tar.finish();
        if diff_id != blob.diff_id {
            bail!(
                "{}: its tar is {diff_id}, but the image says {} (diff_id)",
                path.display(),
                blob.diff_id
            );
        }
        layer
    };
    io::copy(&mut compressed, &mut io::sink()).with_context(context)?;
    let (digest, size) = compressed.finish();
    if digest != blob.digest || size != blob.size {
        bail!(
            "{}: is {digest} ({size} bytes), but {} ({} bytes) was declared",
            path.display(),
            blob.digest,
            blob.size
        );
    }
    Ok(layer)
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
    Ok(oci::LayerBlob {
        path: blob.to_path_buf(),
        digest: d.digest,
        size: d.size,
        diff_id: d.diff_id,
        media_type: d.media_type,
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
