//! `debimage check-image`: assertions on a built image, for the `image_test` rule.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use layer::{Kind, Layer};
use serde::Deserialize;

#[derive(clap::Args)]
pub struct CheckArgs {
    /// A single-platform OCI image layout.
    #[arg(long)]
    image: PathBuf,
    /// The checks (JSON): {files: [...], config: {...}, packages: [...]}.
    #[arg(long)]
    checks: PathBuf,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Checks {
    #[serde(default)]
    files: Vec<FileCheck>,
    #[serde(default)]
    config: ConfigCheck,
    /// Exactly these packages in /var/lib/dpkg/status.d (when given).
    packages: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCheck {
    path: String,
    #[serde(default = "yes")]
    exists: bool,
    /// file, directory, symlink, hardlink
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Octal, e.g. "0644".
    mode: Option<String>,
    uid: Option<u64>,
    gid: Option<u64>,
    target: Option<String>,
    /// A regular expression the file's content must match.
    content: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigCheck {
    user: Option<String>,
    workdir: Option<String>,
    env: Option<Vec<String>>,
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    architecture: Option<String>,
    variant: Option<String>,
    /// Every history entry's created_by, bottom first.
    history: Option<Vec<String>>,
}

pub fn run(args: CheckArgs) -> Result<()> {
    let file = File::open(&args.checks)
        .with_context(|| format!("cannot open {}", args.checks.display()))?;
    let checks: Checks = serde_json::from_reader(BufReader::new(file))
        .with_context(|| format!("{}: not the expected JSON", args.checks.display()))?;
    let image = oci::read_image(&args.image).with_context(|| args.image.display().to_string())?;
    let files = crate::image_fs::merged_filesystem(&image)?;
    let mut failures = Vec::new();
    for check in &checks.files {
        check_file(check, &files, &mut failures);
    }
    check_config(&checks.config, &image, &mut failures);
    if let Some(expected) = &checks.packages {
        let found: BTreeSet<&str> = files
            .entries()
            .filter_map(|e| e.path.strip_prefix(rootfs::STATUS_DIR)?.strip_prefix('/'))
            .filter(|name| !name.contains('/') && !name.ends_with(".md5sums"))
            .collect();
        let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
        if found != expected {
            failures.push(format!(
                "packages in status.d: missing {:?}, unexpected {:?}",
                expected.difference(&found).collect::<Vec<_>>(),
                found.difference(&expected).collect::<Vec<_>>()
            ));
        }
    }
    if !failures.is_empty() {
        bail!(
            "{}: {} check(s) failed:\n  {}",
            args.image.display(),
            failures.len(),
            failures.join("\n  ")
        );
    }
    println!(
        "{}: {} file checks, config and packages OK",
        args.image.display(),
        checks.files.len()
    );
    Ok(())
}

/// The largest file a content pattern is matched against.
const CONTENT_MAX: u64 = 64 << 20;

fn check_file(check: &FileCheck, files: &Layer, failures: &mut Vec<String>) {
    let path = check.path.trim_start_matches('/');
    let Some(entry) = files.get(path) else {
        if check.exists {
            failures.push(format!("/{path}: missing"));
        }
        return;
    };
    if !check.exists {
        failures.push(format!(
            "/{path}: present, but must be absent ({})",
            entry.describe()
        ));
        return;
    }
    let kind = match &entry.kind {
        Kind::Directory => "directory",
        Kind::File(_) => "file",
        Kind::Symlink(_) => "symlink",
        Kind::Hardlink(_) => "hardlink",
    };
    let mut fail = |what: String| failures.push(format!("/{path}: {what}"));
    if let Some(want) = &check.kind {
        if want != kind {
            fail(format!("is a {kind}, expected a {want}"));
        }
    }
    if let Some(want) = &check.mode {
        match u32::from_str_radix(want, 8) {
            Ok(m) if m == entry.mode => {}
            Ok(_) => fail(format!("mode {:04o}, expected {want}", entry.mode)),
            Err(_) => fail(format!("bad expected mode {want:?}")),
        }
    }
    if check.uid.is_some_and(|u| u != entry.uid) || check.gid.is_some_and(|g| g != entry.gid) {
        fail(format!(
            "owner {}:{}, expected {}:{}",
            entry.uid,
            entry.gid,
            check.uid.map_or("*".into(), |u| u.to_string()),
            check.gid.map_or("*".into(), |g| g.to_string())
        ));
    }
    if let Some(want) = &check.target {
        match &entry.kind {
            Kind::Symlink(t) | Kind::Hardlink(t) if t == want => {}
            _ => fail(format!("{}, expected a link to {want}", entry.describe())),
        }
    }
    if let Some(pattern) = &check.content {
        let content = match &entry.kind {
            Kind::File(content) => Some(content),
            Kind::Hardlink(t) => match files.get(t).map(|e| &e.kind) {
                Some(Kind::File(content)) => Some(content),
                _ => None,
            },
            _ => None,
        };
        match (regex::bytes::Regex::new(pattern), content) {
            (Err(e), _) => fail(format!("bad content pattern: {e}")),
            (Ok(_), None) => fail("has no content to match".into()),
            (Ok(re), Some(content)) => match content.to_vec(CONTENT_MAX) {
                Err(e) => fail(format!("cannot match its content: {e}")),
                Ok(data) if !re.is_match(&data) => {
                    fail(format!("content does not match {pattern:?}"))
                }
                Ok(_) => {}
            },
        }
    }
}

fn check_config(want: &ConfigCheck, image: &oci::Image, failures: &mut Vec<String>) {
    let config = image.config.config.clone().unwrap_or_default();
    let mut compare = |name: &str, got: String, expected: Option<String>| {
        if let Some(expected) = expected {
            if got != expected {
                failures.push(format!("config {name}: {got}, expected {expected}"));
            }
        }
    };
    let list = |v: &Option<Vec<String>>| format!("{:?}", v.clone().unwrap_or_default());
    compare("User", config.user.unwrap_or_default(), want.user.clone());
    compare(
        "WorkingDir",
        config.working_dir.unwrap_or_default(),
        want.workdir.clone(),
    );
    compare(
        "Env",
        list(&config.env),
        want.env.as_ref().map(|v| format!("{v:?}")),
    );
    compare(
        "Entrypoint",
        list(&config.entrypoint),
        want.entrypoint.as_ref().map(|v| format!("{v:?}")),
    );
    compare(
        "Cmd",
        list(&config.cmd),
        want.cmd.as_ref().map(|v| format!("{v:?}")),
    );
    compare(
        "architecture",
        image.config.architecture.clone(),
        want.architecture.clone(),
    );
    compare(
        "variant",
        image.config.variant.clone().unwrap_or_default(),
        want.variant.clone(),
    );
    let history: Vec<String> = image
        .config
        .history
        .iter()
        .flatten()
        .map(|h| h.created_by.clone().unwrap_or_default())
        .collect();
    compare(
        "history created_by",
        format!("{history:?}"),
        want.history.as_ref().map(|v| format!("{v:?}")),
    );
}
