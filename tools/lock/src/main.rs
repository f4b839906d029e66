//! `debimage-lock`: resolve the package sets of a manifest against Debian's signed archive
//! indexes and write (or `--check`) its lockfile.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::Parser;
use debimage_lock::lockfile::{LockedPackage, Lockfile, Manifest, LOCKFILE_VERSION};
use debimage_lock::packages::{self, Package};
use debimage_lock::release::{parse_release, read_keyring, verify_inrelease};
use debimage_lock::resolve::{resolve, Index};
use sha2::Digest;

#[derive(Parser)]
#[command(
    name = "debimage-lock",
    version,
    about = "Lock Debian package sets from signed archive indexes",
    long_about = "Lock Debian package sets from signed archive indexes.\n\n\
        For each manifest (JSON: sources, architectures, keyring, sets), downloads every \
        suite's InRelease, verifies its OpenPGP signature with the manifest's keyring, checks \
        Valid-Until, checks each Packages.xz against the signed SHA256 list, resolves the sets \
        and writes <distribution>.lock.json next to the manifest."
)]
struct Cli {
    /// Manifest files; default: every debian/*.json (not *.lock.json) of the workspace.
    manifests: Vec<PathBuf>,
    /// Write nothing; exit 1 when a lockfile is missing or would change.
    #[arg(long)]
    check: bool,
    /// Where downloaded Packages.xz files are kept, by sha256.
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Accept an expired Valid-Until (only to reproduce an old lock from a stale mirror).
    #[arg(long)]
    ignore_valid_until: bool,
}

fn main() {
    let mut cli = Cli::parse();
    // Under `bazel run`, relative paths are the user's, from the workspace root.
    if let Some(root) = std::env::var_os("BUILD_WORKSPACE_DIRECTORY") {
        for manifest in &mut cli.manifests {
            if manifest.is_relative() {
                *manifest = Path::new(&root).join(&*manifest);
            }
        }
    }
    if cli.manifests.is_empty() {
        let root =
            std::env::var_os("BUILD_WORKSPACE_DIRECTORY").map_or(PathBuf::from("."), PathBuf::from);
        let dir = root.join("debian");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        found.retain(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.ends_with(".json") && !name.ends_with(".lock.json")
        });
        found.sort();
        if found.is_empty() {
            eprintln!(
                "debimage-lock: error: no manifest given and none in {}",
                dir.display()
            );
            std::process::exit(2);
        }
        cli.manifests = found;
    }
    let mut stale = false;
    for manifest in &cli.manifests {
        match lock(manifest, &cli) {
            Ok(true) => {}
            Ok(false) => stale = true,
            Err(err) => {
                eprintln!("debimage-lock: error: {err:#}");
                std::process::exit(2);
            }
        }
    }
    if stale {
        std::process::exit(1);
    }
}

/// An index of one suite, component and architecture, decompressed.
struct SuiteIndex {
    suite: String,
    base_url: String,
    arch: String,
    text: String,
}

/// Locks one manifest; false when `--check` finds the lockfile out of date.
fn lock(manifest_path: &Path, cli: &Cli) -> Result<bool> {
    let started = Instant::now();
    let manifest_bytes = std::fs::read(manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let origin = manifest_path.display().to_string();
    let manifest = Manifest::parse(&String::from_utf8_lossy(&manifest_bytes), &origin)?;
    let dir = manifest_path.parent().unwrap_or(Path::new("."));
    let keyring_path = dir.join(&manifest.keyring);
    let keyring_text = std::fs::read_to_string(&keyring_path)
        .with_context(|| format!("{origin}: cannot read keyring {}", keyring_path.display()))?;
    let keys = read_keyring(&keyring_text, &keyring_path.display().to_string())?;
    let cache = cli.cache_dir.clone().unwrap_or_else(default_cache_dir);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);

    let mut indexes = Vec::new();
    for source in &manifest.sources {
        for suite in &source.suites {
            let url = format!("{}/dists/{suite}/InRelease", source.url);
            let inrelease =
                String::from_utf8(fetch(&url)?).with_context(|| format!("{url}: not text"))?;
            let signed = verify_inrelease(&inrelease, &keys, &url)?;
            let release = parse_release(&signed, &url)?;
            if !cli.ignore_valid_until {
                release.check_valid(now, &url)?;
            }
            for arch in &manifest.architectures {
                if !release.architectures.is_empty() && !release.architectures.contains(arch) {
                    // e.g. bookworm-security (LTS) no longer builds s390x.
                    eprintln!("debimage-lock: {suite}: no {arch} packages; skipped for {arch}");
                    continue;
                }
                for component in &source.components {
                    let path = format!("{component}/binary-{arch}/Packages.xz");
                    let (_, sha256) = release
                        .sha256
                        .get(&path)
                        .with_context(|| format!("{url}: {path} is not listed"))?;
                    // by-hash URLs (as apt uses them) are immutable: no mismatch while a mirror
                    // is half updated.
                    let dists = format!("{}/dists/{suite}", source.url);
                    let by_hash =
                        format!("{dists}/{component}/binary-{arch}/by-hash/SHA256/{sha256}");
                    let bytes =
                        fetch_cached(&[by_hash, format!("{dists}/{path}")], &cache, sha256)?;
                    release.check_file(&path, &bytes, &url)?;
                    let mut text = String::new();
                    xz2::read::XzDecoder::new(&bytes[..])
                        .read_to_string(&mut text)
                        .with_context(|| format!("{suite}/{path}: cannot decompress"))?;
                    eprintln!(
                        "debimage-lock: {suite} {component} {arch}: {} MB verified",
                        text.len() / 1_000_000
                    );
                    indexes.push(SuiteIndex {
                        suite: suite.clone(),
                        base_url: source.url.clone(),
                        arch: arch.clone(),
                        text,
                    });
                }
            }
        }
    }

    let mut locked: BTreeMap<(String, String), LockedPackage> = BTreeMap::new();
    for arch in &manifest.architectures {
        let parse_started = Instant::now();
        let parsed: Vec<(&SuiteIndex, Vec<Package>)> = indexes
            .iter()
            .filter(|i| &i.arch == arch)
            .map(|i| {
                Ok((
                    i,
                    packages::parse(&i.text, &format!("{} {}", i.suite, i.arch))?,
                ))
            })
            .collect::<Result<_>>()?;
        let mut index = Index::new(arch);
        for (suite_index, packages) in &parsed {
            index.add(packages, &suite_index.suite, &suite_index.base_url)?;
        }
        let parse_time = parse_started.elapsed();
        let mut counts = Vec::new();
        for (set_name, set) in &manifest.sets {
            let selected = resolve(&index, &set.packages, set.follow_dependencies)
                .with_context(|| format!("{origin}: set {set_name} for {arch}"))?;
            counts.push(format!("{set_name} {}", selected.len()));
            for (name, selection) in selected {
                let p = selection.candidate.package;
                let entry = locked
                    .entry((name.to_string(), arch.clone()))
                    .or_insert_with(|| LockedPackage {
                        name: name.to_string(),
                        version: p.version.to_string(),
                        arch: p.architecture.to_string(),
                        for_arch: arch.clone(),
                        sha256: p.sha256.to_string(),
                        size: p.size,
                        urls: urls(&manifest, selection.candidate.base_url, p.filename),
                        source: p.source.to_string(),
                        suite: selection.candidate.suite.to_string(),
                        depends: Vec::new(),
                        sets: Vec::new(),
                    });
                let depends: BTreeSet<String> = entry
                    .depends
                    .iter()
                    .cloned()
                    .chain(selection.depends.iter().map(|d| d.to_string()))
                    .collect();
                entry.depends = depends.into_iter().collect();
                entry.sets.push(set_name.clone());
            }
        }
        eprintln!(
            "debimage-lock: {} {arch}: indexes parsed in {:.0} ms; {}",
            manifest.distribution,
            parse_time.as_secs_f64() * 1000.0,
            counts.join(", ")
        );
    }
    // A dependency that only one set's closure selected is still a locked package; drop
    // names that point outside the lock (sets that do not follow dependencies).
    let present: BTreeSet<(String, String)> = locked.keys().cloned().collect();
    for ((_, arch), p) in locked.iter_mut() {
        p.depends
            .retain(|d| present.contains(&(d.clone(), arch.clone())));
        p.sets.sort();
    }

    let lockfile = Lockfile {
        lockfile_version: LOCKFILE_VERSION,
        distribution: manifest.distribution.clone(),
        manifest_sha256: hex::encode(sha2::Sha256::digest(&manifest_bytes)),
        packages: locked.into_values().collect(),
    };
    let bytes = lockfile.to_bytes()?;
    let out = dir.join(format!("{}.lock.json", manifest.distribution));
    if cli.check {
        let current = std::fs::read(&out).ok();
        if current.as_deref() == Some(&bytes[..]) {
            eprintln!("debimage-lock: {} is up to date", out.display());
            return Ok(true);
        }
        eprintln!("debimage-lock: {} is out of date:", out.display());
        if let Some(old) = current.and_then(|c| serde_json::from_slice::<Lockfile>(&c).ok()) {
            for change in lockfile.changes_from(&old) {
                eprintln!("  {change}");
            }
        }
        return Ok(false);
    }
    write_atomically(&out, &bytes)?;
    eprintln!(
        "debimage-lock: wrote {} ({} packages) in {:.1} s",
        out.display(),
        lockfile.packages.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(true)
}

fn urls(manifest: &Manifest, base_url: &str, filename: &str) -> Vec<String> {
    let mut urls = vec![format!("{base_url}/{filename}")];
    if let Some(timestamp) = &manifest.snapshot {
        let archive = base_url.rsplit('/').next().unwrap_or("debian");
        urls.push(format!(
            "https://snapshot.debian.org/archive/{archive}/{timestamp}/{filename}"
        ));
    }
    urls
}

fn default_cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("debimage-lock")
}

/// Downloads with curl: it honours the system's CA store and proxy settings, which a
/// from-scratch TLS stack would not.
fn fetch(url: &str) -> Result<Vec<u8>> {
    let out = Command::new("curl")
        .args(["-fsSL", "--retry", "3", "--connect-timeout", "20", url])
        .output()
        .context("cannot run curl")?;
    if !out.status.success() {
        bail!(
            "{url}: download failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

/// The first of `urls` whose content has `sha256`, from the cache when it is there.
fn fetch_cached(urls: &[String], cache: &Path, sha256: &str) -> Result<Vec<u8>> {
    let path = cache.join(sha256);
    let matches = |bytes: &[u8]| hex::encode(sha2::Sha256::digest(bytes)) == sha256;
    if let Ok(bytes) = std::fs::read(&path) {
        if matches(&bytes) {
            return Ok(bytes);
        }
    }
    let mut last = Err(anyhow::anyhow!("no URL to fetch"));
    for url in urls {
        last = fetch(url);
        if last.as_ref().is_ok_and(|b| matches(b)) {
            break;
        }
    }
    // A mismatch is reported against the signed Release by the caller.
    let bytes = last?;
    std::fs::create_dir_all(cache).with_context(|| format!("cannot create {}", cache.display()))?;
    write_atomically(&path, &bytes)?;
    Ok(bytes)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
