//! `debimage ld-so-cache`: an image's `/etc/ld.so.cache`, from its layers.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use rootfs::ld_so_cache::{cache_entries, write_cache, Architecture, FileTree};

use crate::output::write_atomically;

#[derive(clap::Args)]
pub struct LdSoCacheArgs {
    /// A layer blob (gzip or zstd tar) of the image, bottom first; repeatable.
    #[arg(long = "layer", required = true)]
    layers: Vec<PathBuf>,
    /// The image's Debian architecture: amd64, arm64, armhf, ppc64el, riscv64 or s390x.
    #[arg(long)]
    arch: String,
    /// What the cache records as its generator (`ldconfig -p` prints it).
    #[arg(long, default_value = "rules_debimage")]
    generator: String,
    /// Where to write the cache file.
    #[arg(long)]
    out: PathBuf,
    /// Also print the entries to stdout, as `ldconfig -p` lists them.
    #[arg(long)]
    list: bool,
}

pub fn run(args: LdSoCacheArgs) -> Result<()> {
    let arch = Architecture::from_debian(&args.arch)?;
    // ELF files pass through this file to be read at their offsets: memory stays bounded.
    let mut spill = tempfile::tempfile().context("cannot create a temporary file")?;
    let mut tree = FileTree::new();
    for path in &args.layers {
        let tar = crate::image_fs::open_tar(path)?;
        tree.add_tar(&path.display().to_string(), tar, &mut spill)?;
    }
    let entries = cache_entries(&tree, arch)?;
    let bytes = write_cache(&entries, arch, &args.generator)?;
    write_atomically(&args.out, |file| {
        file.write_all(&bytes)
            .with_context(|| format!("cannot write {}", args.out.display()))
    })?;
    if args.list {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{} libs found in cache `{}'",
            entries.len(),
            args.out.display()
        )?;
        for e in &entries {
            writeln!(out, "\t{} ({:#06x}) => {}", e.name, e.flags, e.path)?;
        }
    }
    Ok(())
}
