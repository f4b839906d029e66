//! `debimage-push`: push an OCI image layout to a registry. See `debimage-push --help`.

mod cli;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use debimage_push::layout::read_layout;
use debimage_push::reference::Target;
use debimage_push::registry::Registry;
use debimage_push::sign::{sign_and_attest, subject_of, Sbom};

const ABOUT: &str = "Push an OCI image layout (an image or a multi-platform index) to a registry";

const LONG_ABOUT: &str = "\
Push an OCI image layout (an image or a multi-platform index) to a registry.

The layout's index.json names one image manifest or image index (with several entries,
index.json itself is pushed as an index over them). Every config and layer blob is checked with
HEAD and uploaded only when the registry lacks it, after its sha256 and size are checked
against the layout; then the manifests are pushed, each image before the index that lists it,
and the top one under each tag (by digest when there is no tag). The registry's digest for each
tag is read back and must equal the layout's.

With --key, the pushed image or index is then signed as `cosign sign --key` does (cosign 3's
Sigstore bundle format, attached as an OCI referrer, in the `sha256-<hex>` referrers tag where
the registry has no referrers API), and --sbom's SPDX document is attached as a signed in-toto
attestation (`cosign attest --type spdxjson`). Check with `cosign verify --key cosign.pub
--insecure-ignore-tlog IMAGE` and `cosign verify-attestation --type spdxjson ...`: nothing goes
to a transparency log. The signatures are deterministic (RFC 6979): signing again with the same
key uploads nothing.

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

    #[command(flatten)]
    connection: cli::Connection,

    #[command(flatten)]
    signing: cli::Signing,

    /// The SPDX JSON SBOM to attest with --key (oci_push passes distroless_image's).
    #[arg(long, value_name = "FILE")]
    sbom: Option<PathBuf>,

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
    let key = cli.signing.load()?;
    let sbom = match (&key, &cli.sbom) {
        (Some(_), Some(path)) => Some(
            std::fs::read(path).with_context(|| format!("reading --sbom {}", path.display()))?,
        ),
        _ => None,
    };
    let credentials = cli.connection.credentials(&target.registry)?;
    let options = cli.connection.options(&target)?;

    let quiet = cli.quiet;
    let progress = move |line: &str| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    let runtime = cli::runtime()?;
    let (report, signed) = runtime.block_on(async {
        let registry = Registry::connect(&target, &credentials, &options).await?;
        let report = registry.push(&plan, &tags, &progress).await?;
        let Some(key) = &key else {
            return anyhow::Ok((report, None));
        };
        let what = cli.sbom.as_ref().map(|p| p.display().to_string());
        let sbom = sbom
            .as_deref()
            .zip(what.as_deref())
            .map(|(bytes, what)| Sbom { bytes, what });
        let signed = sign_and_attest(&registry, &subject_of(plan.top()), key, sbom).await?;
        for (predicate_type, attached) in &signed.attached {
            progress(&format!(
                "{} attached to {} ({predicate_type})",
                attached.digest, report.digest
            ));
        }
        Ok((report, Some(signed)))
    })?;

    // The summary comes last: scripts read the last line.
    if let Some(signed) = &signed {
        eprintln!(
            "debimage-push: signed {}: {} bundles, {} blobs uploaded ({} bytes)",
            report.digest,
            signed.attached.len(),
            signed.uploaded_blobs(),
            signed.uploaded_bytes()
        );
    }
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
