//! `debimage-release`: push (and sign) every image of a release plan. See `--help`.

#[path = "../cli.rs"]
mod cli;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use debimage_push::reference::Target;
use debimage_push::release::{load_plan, release, PlannedImage, Settings};

const ABOUT: &str = "Push every image of a release plan under a registry prefix, signed";

const LONG_ABOUT: &str = "\
Push every image of a release plan under a registry prefix, signed.

The plan (JSON, written by the `release` rule) lists images as repository, tag, layout
directory and SBOM. Each goes to PREFIX/REPOSITORY:TAG as debimage-push pushes it: only the
blobs the registry lacks are uploaded, so a second run uploads nothing. With --commit SHA each
image also gets upstream distroless' commit tag (`latest` -> SHA, `nonroot-amd64` ->
`nonroot-amd64-SHA`).

With --key, each image is signed and its SBOM attested as `cosign sign --key` and `cosign
attest --key --type spdxjson` do (Sigstore bundles attached as OCI referrers; nothing goes to
a transparency log): check with `cosign verify --key cosign.pub --insecure-ignore-tlog IMAGE`
and `cosign verify-attestation --type spdxjson --key cosign.pub --insecure-ignore-tlog IMAGE`.

Prints one line per image, PREFIX/REPOSITORY:TAG@sha256:..., on stdout; progress and a summary
go to stderr. Credentials and TLS as for debimage-push.";

#[derive(Parser)]
#[command(name = "debimage-release", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    /// REGISTRY[/PATH] the repositories go under, e.g. ghcr.io/me or 127.0.0.1:5000/distroless.
    #[arg(value_name = "REGISTRY_PREFIX")]
    prefix: String,

    /// The release plan (JSON).
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,

    /// The directory the plan's relative paths start from [default: the plan's directory].
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,

    /// Release only the images of this repository, e.g. static-debian12 (repeatable)
    /// [default: every repository of the plan].
    #[arg(long = "repository", value_name = "NAME")]
    repositories: Vec<String>,

    /// Also tag each image for this commit, as upstream distroless does.
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,

    #[command(flatten)]
    connection: cli::Connection,

    #[command(flatten)]
    signing: cli::Signing,

    /// No progress lines, only the images, the summary and errors.
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("debimage-release: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let start = Instant::now();
    let prefix = cli.prefix.trim_end_matches('/');
    // The prefix is a reference without a tag: REGISTRY/PATH (a registry alone gets a path
    // component from each repository).
    let probe = Target::parse(&format!("{prefix}/probe"))
        .with_context(|| format!("the registry prefix {prefix:?}"))?;
    if let Some(commit) = &cli.commit {
        if commit.is_empty() || !commit.bytes().all(|b| b.is_ascii_alphanumeric()) {
            anyhow::bail!("--commit {commit:?}: expected a commit id (letters and digits)");
        }
    }
    let root = match &cli.root {
        Some(root) => root.clone(),
        None => cli
            .plan
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    let images = select_repositories(load_plan(&cli.plan, &root)?, &cli.repositories)?;
    let key = cli.signing.load()?;
    let credentials = cli.connection.credentials(&probe.registry)?;
    let options = cli.connection.options(&probe)?;
    let settings = Settings {
        prefix,
        commit: cli.commit.as_deref(),
        credentials: &credentials,
        options: &options,
        key: key.as_ref(),
    };

    let quiet = cli.quiet;
    let progress = move |line: &str| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    let mut stdout = std::io::stdout().lock();
    let mut write_error = None;
    let released =
        cli::runtime()?.block_on(release(&images, &settings, &progress, &mut |done| {
            if let Err(e) = writeln!(stdout, "{}", done.reference).and_then(|_| stdout.flush()) {
                write_error.get_or_insert(e);
            }
        }))?;
    if let Some(e) = write_error {
        return Err(e).context("writing to stdout");
    }

    let repositories: std::collections::BTreeSet<&str> =
        images.iter().map(|i| i.repository.as_str()).collect();
    let uploaded: usize = released.iter().map(|r| r.uploaded_blobs).sum();
    let bytes: u64 = released.iter().map(|r| r.uploaded_bytes).sum();
    let present: usize = released.iter().map(|r| r.present_blobs).sum();
    let bundles: usize = released.iter().map(|r| r.bundles).sum();
    let tags: usize = released.iter().map(|r| r.tags.len()).sum();
    eprintln!(
        "debimage-release: {} images ({tags} tags) in {} repositories under {prefix}: {uploaded} \
         blobs uploaded ({bytes} bytes), {present} already present, {bundles} bundles signed, \
         {:.1} s",
        released.len(),
        repositories.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The plan's images of `wanted` (all without it); a repository the plan lacks is an error.
fn select_repositories(images: Vec<PlannedImage>, wanted: &[String]) -> Result<Vec<PlannedImage>> {
    if wanted.is_empty() {
        return Ok(images);
    }
    for name in wanted {
        if !images.iter().any(|i| &i.repository == name) {
            let known: std::collections::BTreeSet<&str> =
                images.iter().map(|i| i.repository.as_str()).collect();
            anyhow::bail!(
                "--repository {name:?}: the plan has no such repository (it has {})",
                Vec::from_iter(known).join(", ")
            );
        }
    }
    Ok(images
        .into_iter()
        .filter(|i| wanted.contains(&i.repository))
        .collect())
}
