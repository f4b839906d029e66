//! `debimage check-conflicts`: the layers of one image, checked together.

use std::path::PathBuf;

use anyhow::{Context, Result};

#[derive(clap::Args)]
pub struct ConflictArgs {
    /// A layer as NAME=BLOB=DIGESTS_JSON, in image order: the blob, and the digests JSON
    /// `debimage layer --digests-out` wrote for it (digest, size, diff_id, media_type). NAME
    /// appears in error messages.
    #[arg(long = "layer", required = true, value_parser = parse_layer)]
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
    let mut layers = Vec::new();
    for (name, blob, digests) in &args.layers {
        let blob = crate::image_fs::layer_blob(blob, digests, name.clone())
            .with_context(|| format!("layer {name}"))?;
        // Contents are compared by digest: none is kept.
        let layer = crate::image_fs::read_layer_blob(&blob, false)
            .with_context(|| format!("layer {name}"))?;
        layers.push((name.as_str(), layer));
    }
    layer::check_conflicts(layers.iter().map(|(n, l)| (*n, l)))?;
    if let Some(stamp) = &args.stamp_out {
        crate::output::write_atomically(stamp, |_| Ok(()))?;
    }
    Ok(())
}
