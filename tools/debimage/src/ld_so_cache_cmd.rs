//! `debimage ld-so-cache`: an image's `/etc/ld.so.cache`, from its layers.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use rootfs::ld_so_cache::{cache_entries, write_cache, Architecture, FileTree};

use crate::output::write_atomically;

#[derive(clap::Args)]
pub struct LdSoCacheArgs {
    /// A single-platform OCI layout whose layers come first: each read by its manifest's
    /// mediaType and checked against its digest and diff_id.
    #[arg(long)]
    base: Option<PathBuf>,
    /// A layer as BLOB=DIGESTS_JSON (what `debimage layer --digests-out` wrote: digest, size,
    /// diff_id, media_type), bottom first, above the base's; repeatable.
    #[arg(long = "layer", value_parser = crate::image_cmd::parse_pair)]
    layers: Vec<(PathBuf, PathBuf)>,
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
    let mut spill = cleanup::anonymous_file().context("cannot create a temporary file")?;
    let mut blobs = Vec::new();
    if let Some(dir) = &args.base {
        let image =
            oci::read_image(dir).with_context(|| format!("base image {}", dir.display()))?;
        blobs = image.layers;
    }
    for (blob, digests) in &args.layers {
        blobs.push(crate::image_fs::layer_blob(blob, digests, String::new())?);
    }
    if blobs.is_empty() {
        anyhow::bail!("no layers: give --base, --layer or both");
    }
    let mut tree = FileTree::new();
    for blob in &blobs {
        let mut tar = blob.open()?;
        let added = tree.add_tar(&blob.path.display().to_string(), &mut tar, &mut spill);
        // A blob that is not what its descriptor says is the news, whatever it parses to.
        tar.finish()?;
        added?;
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
