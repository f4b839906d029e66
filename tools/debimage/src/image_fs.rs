//! An image's files as a container runtime sees them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result};
use layer::{Entry, Layer};

/// Every layer applied in order: a later entry replaces an earlier one at the same path.
pub fn merged_filesystem(image: &oci::Image) -> Result<BTreeMap<String, Entry>> {
    let mut files = BTreeMap::new();
    for blob in &image.layers {
        let layer = read_layer_blob(&blob.path)?;
        for entry in layer.entries() {
            files.insert(entry.path.clone(), entry.clone());
        }
    }
    Ok(files)
}

/// A layer blob read back as a [`Layer`].
pub fn read_layer_blob(path: &Path) -> Result<Layer> {
    let mut layer = Layer::new();
    layer
        .add_tar(open_tar(path)?)
        .with_context(|| path.display().to_string())?;
    Ok(layer)
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
