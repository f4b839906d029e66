//! `debimage image`, `debimage index`, `debimage docker-archive`: OCI outputs.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::output::write_atomically;

#[derive(clap::Args)]
pub struct ImageArgs {
    /// The image description (JSON): architecture, variant, env, user, workdir, entrypoint,
    /// cmd, labels, exposed_ports, annotations.
    #[arg(long)]
    spec: PathBuf,
    /// A single-platform OCI layout whose layers and configuration come first.
    #[arg(long)]
    base: Option<PathBuf>,
    /// A new layer as BLOB=DIGESTS_JSON (written by `debimage layer`), in order.
    #[arg(long = "layer", value_parser = parse_pair)]
    layers: Vec<(PathBuf, PathBuf)>,
    /// A history line per --layer (the target that made it), in the same order.
    #[arg(long = "created-by")]
    created_by: Vec<String>,
    #[command(flatten)]
    output: LayoutOutput,
}

/// Where `image` and `index` write their layout.
#[derive(clap::Args)]
pub struct LayoutOutput {
    /// The tag recorded in index.json (org.opencontainers.image.ref.name).
    #[arg(long)]
    tag: Option<String>,
    /// The OCI layout directory to write.
    #[arg(long)]
    out: PathBuf,
    /// Where to write the digest of the image manifest or of the index.
    #[arg(long)]
    digest_out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct IndexArgs {
    /// A single-platform OCI layout (repeatable); one per platform.
    #[arg(long = "image", required = true)]
    images: Vec<PathBuf>,
    /// An annotation of the index as KEY=VALUE (repeatable).
    #[arg(long = "annotation", value_parser = parse_annotation)]
    annotations: Vec<(String, String)>,
    #[command(flatten)]
    output: LayoutOutput,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// Any OCI image layout (skopeo, umoci, rules_oci, crane, buildx...); read as untrusted
    /// input: every blob checked against its digest, diff_ids against the layers' content.
    #[arg(long)]
    layout: PathBuf,
    /// Take the index.json entry with this org.opencontainers.image.ref.name.
    #[arg(long)]
    ref_name: Option<String>,
    /// The platform to take from a multi-platform layout: OS (linux).
    #[arg(long)]
    os: Option<String>,
    /// The platform's OCI architecture (amd64, arm64, arm, s390x, ppc64le, riscv64, 386).
    #[arg(long)]
    architecture: Option<String>,
    /// The platform's variant (v8 for arm64 and v7 for arm also match none).
    #[arg(long)]
    variant: Option<String>,
    #[command(flatten)]
    output: LayoutOutput,
}

#[derive(clap::Args)]
pub struct DockerArchiveArgs {
    /// A single-platform OCI layout.
    #[arg(long)]
    image: PathBuf,
    /// The name docker gives the loaded image, e.g. distroless/static:latest.
    #[arg(long)]
    repo_tag: String,
    /// The tarball to write (for `docker load -i`).
    #[arg(long)]
    out: PathBuf,
}

pub fn parse_pair(value: &str) -> Result<(PathBuf, PathBuf), String> {
    let (a, b) = value
        .split_once('=')
        .ok_or_else(|| format!("expected BLOB=DIGESTS_JSON, got {value:?}"))?;
    Ok((PathBuf::from(a), PathBuf::from(b)))
}

fn parse_annotation(value: &str) -> Result<(String, String), String> {
    let (k, v) = value
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=VALUE, got {value:?}"))?;
    Ok((k.to_string(), v.to_string()))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    serde_json::from_reader(BufReader::new(file))
        .with_context(|| format!("{}: not the expected JSON", path.display()))
}

impl LayoutOutput {
    /// Writes the digest file; if that fails, the layout goes too: every output or none.
    fn finish(&self, digest: &str) -> Result<()> {
        let Some(path) = &self.digest_out else {
            return Ok(());
        };
        let written = write_atomically(path, |f| {
            Ok(std::io::Write::write_all(f, digest.as_bytes())?)
        });
        if written.is_err() {
            let _ = std::fs::remove_dir_all(&self.out);
        }
        written
    }
}

pub fn image(args: ImageArgs) -> Result<()> {
    let spec: oci::ImageSpec = read_json(&args.spec)?;
    let base = args
        .base
        .as_deref()
        .map(|dir| oci::read_image(dir).with_context(|| format!("base image {}", dir.display())))
        .transpose()?;
    if let (Some(base), Some(dir)) = (&base, &args.base) {
        // A foreign base (oci_layout_image) may hold another platform's image than intended.
        let architecture = base.config.architecture.clone();
        if architecture != spec.architecture {
            anyhow::bail!(
                "base image {} is for {architecture}, the image for {}",
                dir.display(),
                spec.architecture
            );
        }
    }
    if !args.created_by.is_empty() && args.created_by.len() != args.layers.len() {
        anyhow::bail!(
            "{} --created-by for {} --layer: give one per layer or none",
            args.created_by.len(),
            args.layers.len()
        );
    }
    let mut layers = Vec::new();
    for (i, (blob, digests)) in args.layers.iter().enumerate() {
        let created_by = args
            .created_by
            .get(i)
            .cloned()
            .unwrap_or_else(|| blob.display().to_string());
        layers.push(crate::image_fs::layer_blob(blob, digests, created_by)?);
    }
    let out = &args.output;
    let digest =
        oci::write_image_layout(&out.out, &spec, base.as_ref(), &layers, out.tag.as_deref())
            .with_context(|| format!("image {}", args.spec.display()))?;
    out.finish(&digest)
}

pub fn index(args: IndexArgs) -> Result<()> {
    let annotations: BTreeMap<String, String> = args.annotations.into_iter().collect();
    let out = &args.output;
    let digest = oci::write_index_layout(&out.out, &args.images, &annotations, out.tag.as_deref())?;
    out.finish(&digest)
}

pub fn import(args: ImportArgs) -> Result<()> {
    let selector = oci::Selector {
        ref_name: args.ref_name,
        os: args.os,
        architecture: args.architecture,
        variant: args.variant,
    };
    let image = oci::select_image(&args.layout, &selector)
        .with_context(|| format!("image layout {}", args.layout.display()))?;
    let out = &args.output;
    let digest = oci::write_imported_layout(&out.out, &image, out.tag.as_deref())
        .with_context(|| format!("image layout {}", args.layout.display()))?;
    out.finish(&digest)
}

pub fn docker_archive(args: DockerArchiveArgs) -> Result<()> {
    let image =
        oci::read_image(&args.image).with_context(|| format!("image {}", args.image.display()))?;
    write_atomically(&args.out, |file| {
        Ok(oci::write_docker_archive(
            &image,
            &args.repo_tag,
            std::io::BufWriter::new(file),
        )?)
    })
}
