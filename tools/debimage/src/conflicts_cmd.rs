//! `debimage check-conflicts`: the layers of one image, checked together.

use std::path::PathBuf;

use anyhow::{Context, Result};

#[derive(clap::Args)]
pub struct ConflictArgs {
    /// A layer as NAME=FILE (gzip tar), in image order; NAME appears in error messages.
    #[arg(long = "layer", required = true, value_parser = parse_named)]
    layers: Vec<(String, PathBuf)>,
    /// Touch this file when there is no conflict (a build action needs an output).
    #[arg(long)]
    stamp_out: Option<PathBuf>,
}

pub fn parse_named(value: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = value
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=FILE, got {value:?}"))?;
    Ok((name.to_string(), PathBuf::from(path)))
}

pub fn run(args: ConflictArgs) -> Result<()> {
    let mut layers = Vec::new();
    for (name, path) in &args.layers {
        let layer =
            crate::image_fs::read_layer_blob(path).with_context(|| format!("layer {name}"))?;
        layers.push((name.as_str(), layer));
    }
    layer::check_conflicts(layers.iter().map(|(n, l)| (*n, l)))?;
    if let Some(stamp) = &args.stamp_out {
        crate::output::write_atomically(stamp, |_| Ok(()))?;
    }
    Ok(())
}
