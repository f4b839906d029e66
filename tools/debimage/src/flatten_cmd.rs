//! `debimage flatten`: many layers or tar files as one layer, each identical entry once.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::output::LayerOutput;

#[derive(clap::Args)]
pub struct FlattenArgs {
    /// An input as NAME=FILE, in order: a layer blob or a tar file (uncompressed, gzip, zstd,
    /// xz or bzip2); NAME appears in error messages. Repeatable.
    #[arg(long = "input", required = true, value_parser = crate::conflicts_cmd::parse_named)]
    inputs: Vec<(String, PathBuf)>,
    #[command(flatten)]
    output: LayerOutput,
}

pub fn run(args: FlattenArgs) -> Result<()> {
    let mut layers = Vec::new();
    for (name, path) in &args.inputs {
        let layer = crate::image_fs::read_tar_file(path).with_context(|| name.clone())?;
        layers.push((name.as_str(), layer));
    }
    let layer = layer::flatten(layers.iter().map(|(n, l)| (*n, l)))?;
    args.output.write(&layer)
}
