//! `debimage check-conflicts`: the layers of one image, checked together.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

#[derive(clap::Args)]
pub struct ConflictArgs {
    /// A single-platform OCI layout whose layers come first: each read by its manifest's
    /// mediaType and checked against its digest and diff_id.
    #[arg(long)]
    base: Option<PathBuf>,
    /// A layer as NAME=BLOB=DIGESTS_JSON, in image order: the blob, and the digests JSON
    /// `debimage layer --digests-out` wrote for it (digest, size, diff_id, media_type). NAME
    /// appears in error messages.
    #[arg(long = "layer", value_parser = parse_layer)]
    layers: Vec<(String, PathBuf, PathBuf)>,
    /// Touch this file when there is no conflict (a build action needs an output).
    #[arg(long)]
    stamp_out: Option<PathBuf>,
}

fn parse_layer(value: &str) -> Result<(String, PathBuf, PathBuf), String> {
    let bad = || format!("expected NAME=BLOB=DIGESTS_JSON, got {value:?}");
    let (name, rest) = value.split_once('=').ok_or_else(bad)?;
    let (blob, digests) = rest.rsplit_once('=').ok_or_else(bad)?;
    Ok((
        name.to_string(),
        PathBuf::from(blob),
        PathBuf::from(digests),
    ))
}

/// A NAME=FILE option value.
pub fn parse_named(value: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = value
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=FILE, got {value:?}"))?;
    Ok((name.to_string(), PathBuf::from(path)))
}

pub fn run(args: ConflictArgs) -> Result<()> {
    if args.base.is_none() && args.layers.is_empty() {
        anyhow::bail!("nothing to check: give --base, --layer or both");
    }
    let mut layers = Vec::new();
    if let Some(dir) = &args.base {
        layers = base_layers(dir).with_context(|| format!("base image {}", dir.display()))?;
    }
    for (name, blob, digests) in &args.layers {
        let blob = crate::image_fs::layer_blob(blob, digests, name.clone())
            .with_context(|| format!("layer {name}"))?;
        // Contents are compared by digest: none is kept.
        let layer = crate::image_fs::read_layer_blob(&blob, false)
            .with_context(|| format!("layer {name}"))?;
        layers.push((name.clone(), layer));
    }
    layer::check_conflicts(layers.iter().map(|(n, l)| (n.as_str(), l)))?;
    if let Some(stamp) = &args.stamp_out {
        crate::output::write_atomically(stamp, |_| Ok(()))?;
    }
    Ok(())
}

/// The base's layers, each named by its place, digest and history line.
fn base_layers(dir: &Path) -> Result<Vec<(String, layer::Layer)>> {
    let image = oci::read_image(dir)?;
    // History entries of non-empty layers line up with the layers, when there is one each.
    let history: Vec<String> = image
        .config
        .history
        .unwrap_or_default()
        .into_iter()
        .filter(|h| h.empty_layer != Some(true))
        .map(|h| h.created_by.unwrap_or_default())
        .collect();
    let history = (history.len() == image.layers.len()).then_some(history);
    let mut layers = Vec::new();
    for (n, blob) in image.layers.iter().enumerate() {
        let hex = blob.digest.trim_start_matches("sha256:");
        let mut name = format!(
            "layer {} of base {} (sha256:{}",
            n + 1,
            dir.display(),
            &hex[..hex.len().min(12)]
        );
        match history.as_ref().map(|h| h[n].as_str()) {
            Some(created_by) if !created_by.is_empty() => {
                name.push_str(&format!(", {created_by}"));
            }
            _ => {}
        }
        name.push(')');
        layers.push((name, crate::image_fs::read_layer_blob(blob, false)?));
    }
    Ok(layers)
}
