//! `debimage`: the build actions of rules_debimage, one subcommand each.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "debimage",
    version,
    about = "Build distroless image parts from Debian packages"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a deterministic layer (gzip tar) from the data of .deb packages.
    Layer(LayerArgs),
    /// Print a .deb's control file.
    Control {
        /// The .deb package to read.
        deb: PathBuf,
    },
}

#[derive(clap::Args)]
struct LayerArgs {
    /// .deb packages whose data goes into the layer, in order.
    #[arg(long = "deb", required = true)]
    debs: Vec<PathBuf>,
    /// Where to write the layer (gzip-compressed tar).
    #[arg(long)]
    out: PathBuf,
    /// Where to write the layer's digests as JSON (diff_id, digest, size).
    #[arg(long)]
    digests_out: Option<PathBuf>,
    /// Modification time of every entry, in seconds since the epoch.
    #[arg(long, default_value_t = 0)]
    mtime: u64,
    /// Where to write the entry listing, one line each: path type mode uid:gid size target.
    #[arg(long)]
    listing_out: Option<PathBuf>,
}

fn main() {
    if let Err(err) = run(Cli::parse()) {
        eprintln!("debimage: error: {err:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Layer(args) => layer(args),
        Command::Control { deb } => {
            let reader = open_deb(&deb)?;
            print!("{}", reader.metadata().control.raw);
            Ok(())
        }
    }
}

fn open_deb(path: &Path) -> Result<deb::DebReader<BufReader<File>>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    deb::DebReader::new(BufReader::new(file)).with_context(|| format!("{}", path.display()))
}

fn layer(args: LayerArgs) -> Result<()> {
    let mut layer = layer::Layer::new();
    for path in &args.debs {
        let mut deb = open_deb(path)?;
        let member = deb.data_member().to_string();
        let data = deb.data().with_context(|| format!("{}", path.display()))?;
        layer
            .add_tar(data)
            .with_context(|| format!("{}: {member}", path.display()))?;
    }
    let digests = write_atomically(&args.out, |file| Ok(layer.write_gzip(file, args.mtime)?))?;
    if let Some(path) = &args.digests_out {
        let json = serde_json::json!({
            "diff_id": digests.diff_id,
            "digest": digests.digest,
            "size": digests.size,
        });
        write_atomically(path, |file| Ok(serde_json::to_writer_pretty(file, &json)?))?;
    }
    if let Some(path) = &args.listing_out {
        write_atomically(path, |file| Ok(file.write_all(layer.listing().as_bytes())?))?;
    }
    Ok(())
}

/// Writes through a temporary file next to `path`, renamed into place only on success.
fn write_atomically<T>(path: &Path, write: impl FnOnce(&mut File) -> Result<T>) -> Result<T> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let value = write(tmp.as_file_mut())?;
    tmp.as_file_mut().flush()?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(value)
}
