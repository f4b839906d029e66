//! An image's files as a container runtime sees them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;

use anyhow::{Context, Result};
use layer::{Entry, Layer};

/// Every layer applied in order: a later entry replaces an earlier one at the same path.
pub fn merged_filesystem(image: &oci::Image) -> Result<BTreeMap<String, Entry>> {
    let mut files = BTreeMap::new();
    for blob in &image.layers {
        let file = File::open(&blob.path).with_context(|| blob.path.display().to_string())?;
        let mut layer = Layer::new();
        layer
            .add_tar(flate2::read::GzDecoder::new(BufReader::new(file)))
            .with_context(|| blob.path.display().to_string())?;
        for entry in layer.entries() {
            files.insert(entry.path.clone(), entry.clone());
        }
    }
    Ok(files)
}
