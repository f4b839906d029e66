//! `debimage-push`: push an OCI image layout to a registry. See `debimage-push --help`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use debimage_push::auth::{default_config_path, Credentials, DockerConfig};
use debimage_push::layout::read_layout;
use debimage_push::reference::Target;
use debimage_push::registry::{push, Options};

const ABOUT: &str = "Push an OCI image layout (an image or a multi-platform index) to a registry";

const LONG_ABOUT: &str = "\
Push an OCI image layout (an image or a multi-platform index) to a registry.

The layout's index.json names one image manifest or image index (with several entries,
index.json itself is pushed as an index over them). Every config and layer blob is checked with
HEAD and uploaded only when the registry lacks it, after its sha256 and size are checked
against the layout; then the manifests are pushed, each image before the index that lists it,
and the top one under each tag (by digest when there is no tag). The registry's digest for each
tag is read back and must equal the layout's.

Prints one line per reference pushed, REGISTRY/REPOSITORY[:TAG]@sha256:..., on stdout;
progress and a summary go to stderr.

Credentials come from Docker's client configuration, $DOCKER_CONFIG/config.json or
~/.docker/config.json: a credential helper (credHelpers, credsStore: docker-credential-NAME on
PATH), else the auths entry (auth: base64 of user:password, or username and password); without
one the push is anonymous. Registries on localhost, 127.0.0.0/8 and [::1] are spoken to over
plain HTTP (unless --https), others over HTTPS (system and Mozilla roots, plus --ca-cert)
unless --insecure.

Under `bazel run //pkg:image_push -- REFERENCE`, relative paths are taken from the directory
bazel was run in.";

#[derive(Parser)]
#[command(name = "debimage-push", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    /// REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], e.g. ghcr.io/me/app:1.0. With a digest, the
    /// layout's must equal it. Default: --repository.
    #[arg(value_name = "REFERENCE")]
    reference: Option<String>,

    /// The OCI image layout directory (oci-layout, index.json, blobs/).
    #[arg(long, value_name = "DIR")]
    layout: PathBuf,

    /// The reference to push to when none is given (the oci_push rule's `repository`).
    #[arg(long, value_name = "REFERENCE")]
    repository: Option<String>,

    /// Also tag the pushed image or index with TAG (repeatable).
    #[arg(short, long = "tag", value_name = "TAG")]
    tags: Vec<String>,

    /// Plain HTTP (automatic for localhost, 127.0.0.0/8 and [::1]).
    #[arg(long)]
    insecure: bool,

    /// HTTPS even for a registry on localhost, 127.0.0.0/8 or [::1].
    #[arg(long, conflicts_with = "insecure")]
    https: bool,

    /// An extra CA certificate (PEM) to trust for the registry's TLS (repeatable).
    #[arg(long, value_name = "FILE")]
    ca_cert: Vec<PathBuf>,

    /// The directory of Docker's config.json [default: $DOCKER_CONFIG, else ~/.docker].
    #[arg(long, value_name = "DIR")]
    docker_config: Option<PathBuf>,

    /// Blobs checked and uploaded at the same time.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,

    /// Also write the pushed digest (sha256:...) to FILE.
    #[arg(long, value_name = "FILE")]
    digest_file: Option<PathBuf>,

    /// No progress lines, only the summary and errors.
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("debimage-push: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let start = Instant::now();
    let Some(reference) = cli.reference.as_deref().or(cli.repository.as_deref()) else {
        bail!("no reference: give REGISTRY/REPOSITORY[:TAG] (or set `repository` on the oci_push rule)");
    };
    let target = Target::parse(reference)?;
    let mut tags: Vec<String> = target.tag.iter().cloned().collect();
    for tag in &cli.tags {
        // A tag is valid exactly when it is as part of a reference.
        Target::parse(&format!("{}:{tag}", target.name()))
            .with_context(|| format!("--tag {tag:?}"))?;
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }

    let plan = read_layout(&cli.layout)
        .with_context(|| format!("reading the image layout {}", cli.layout.display()))?;

    let config_path = match &cli.docker_config {
        Some(dir) => Some(dir.join("config.json")),
        None => default_config_path(),
    };
    let credentials = match &config_path {
        Some(path) => DockerConfig::load(path)?.credentials(&target.registry)?,
        None => Credentials::Anonymous,
    };
    let mut ca_certs_pem = Vec::new();
    for path in &cli.ca_cert {
        ca_certs_pem.push(
            std::fs::read(path).with_context(|| format!("reading --ca-cert {}", path.display()))?,
        );
    }
    let options = Options {
        insecure: cli.insecure || (target.is_local() && !cli.https),
        ca_certs_pem,
        jobs: usize::from(cli.jobs),
    };

    let quiet = cli.quiet;
    let progress = move |line: &str| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(push(
        &plan,
        &target,
        &tags,
        &credentials,
        &options,
        &progress,
    ))?;

    let uploaded_bytes: u64 = report.uploaded.iter().map(|b| b.size).sum();
    eprintln!(
        "debimage-push: {}: {} blobs uploaded ({} bytes), {} already present, {} manifests, {:.1} s",
        target.name(),
        report.uploaded.len(),
        uploaded_bytes,
        report.present.len(),
        report.manifests,
        start.elapsed().as_secs_f64()
    );
    if let Some(path) = &cli.digest_file {
        std::fs::write(path, format!("{}\n", report.digest))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    for line in &report.pushed {
        writeln!(stdout, "{line}").context("writing to stdout")?;
    }
    Ok(())
}
