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

/// A layer blob (gzip or zstd tar, told apart by its magic bytes) read back as a [`Layer`].
pub fn read_layer_blob(path: &Path) -> Result<Layer> {
    let tar = open_layer_blob(path)?;
    let mut layer = Layer::new();
    layer
        .add_tar(tar)
        .with_context(|| path.display().to_string())?;
    Ok(layer)
}

/// The tar stream of a layer blob (gzip or zstd, told apart by its magic bytes).
pub fn open_layer_blob(path: &Path) -> Result<Box<dyn Read>> {
    let context = || path.display().to_string();
    let file = File::open(path).with_context(context)?;
    let mut reader = BufReader::new(file);
    let zstd = reader
        .fill_buf()
        .with_context(context)?
        .starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    Ok(if zstd {
        Box::new(zstd::stream::read::Decoder::with_buffer(reader).with_context(context)?)
    } else {
        Box::new(flate2::read::GzDecoder::new(reader))
    })
}
