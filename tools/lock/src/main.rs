//! `debimage-lock`: resolve the package sets of manifests against Debian's signed archive
//! indexes and write (or `--check`) their lockfiles.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::Parser;
use debimage_lock::fetch::{write_atomically, Fetcher};
use debimage_lock::lockfile::{LockBuilder, LockDiff, LockedPackage, Lockfile};
use debimage_lock::manifest::{LoadedManifest, Manifest, Source};
use debimage_lock::openpgp::Keyring;
use debimage_lock::packages::{self, Compression, Package};
use debimage_lock::release::Release;
use debimage_lock::resolve::{resolve_pinned, Index};
use debimage_lock::{snapshot, up_to_date};
use sha2::Digest;

const ABOUT: &str = "Lock Debian package sets from signed archive indexes";

const LONG_ABOUT: &str = "\
Lock Debian package sets from signed archive indexes.

For each manifest (JSON: sources, architectures, keyring, sets), debimage-lock downloads the
InRelease of every suite (a dists/ suite, or a flat repository's directory: ./ or a path ending
in /), or its Release and Release.gpg when there is no InRelease, and verifies the OpenPGP
signature with the manifest's keyring (a file in the repository) as gpgv does: a signature
counts only when its key (or signing subkey) is neither expired nor revoked, the signature has
not expired and is not older than its key. It refuses a Release whose Valid-Until has passed or
whose Date is more than 10 minutes ahead of this machine's clock, downloads each
<component>/binary-<arch>/Packages index in the best form the Release lists (.xz, .bz2, .gz,
then uncompressed) and checks its size and sha256 against the signed list, resolves every set
for every architecture (the highest version across the suites; Depends and Pre-Depends when
the set follows dependencies), checks the syntax of every field it locks (package names,
Debian versions, architectures, file names inside the archive, sha256 sums), and writes
<distribution>.lock.json beside the manifest (atomically; the bytes depend only on the manifest,
the archive's state and, for the snapshot URLs, the lockfile it replaces).

A source may list the architectures it is looked up for (architectures: [amd64]); a set may
be pinned to a suite (suite: bookworm-backports: its packages from there, each dependency from
there when it has a fitting version); a suite whose Release says NotAutomatic (backports)
serves only the sets pinned to it.

Each package gets its download URLs in the order Bazel tries them: the archive's pool, the
source's mirrors (\"mirrors\" in the manifest), then snapshot.debian.org
(https://snapshot.debian.org/archive/<archive>/<YYYYMMDDTHHMMSSZ>/pool/...), which keeps
every file Debian ever published. The timestamp is 12 hours after the Date of the Release
the package was locked from (the snapshot import at or before that Date may predate the
Release; one 12 hours later has seen it, and still has every file it lists); a package the
lockfile already pins at the same sha256 keeps its timestamp, so that a re-lock changes only
what the archive changed. \"snapshot\": \"none\" in the manifest leaves these URLs out, a
timestamp there names one snapshot for every package.

When a lockfile changes (or, with --check, would change), a summary goes to stdout: the
packages whose version changed (old -> new, from which suite, on which architectures;
security updates first and marked [security]), those added and removed, and other changed
entries, as a Markdown list, e.g. for the body of an automated pull request. Progress goes to
stderr: one line per suite, one per index fetched and parsed, one summary per manifest.

A run that finds a lockfile up to date records it in the cache, keyed by this tool's
executable, the manifest, the lockfile and the signed Release files; a later run on the same
inputs still fetches and verifies every InRelease, but does not read or resolve the indexes
again.

Authenticated sources: the login and password for a host come from a netrc file (--netrc,
else $NETRC, else ~/.netrc), as Bazel's downloader takes them; a manifest URL with
user:password@ is refused, so no secret reaches a lockfile.

Exit status: 0 success (with --check: every lockfile is up to date), 1 with --check when a
lockfile is missing or would change, 2 on errors.";

#[derive(Parser)]
#[command(name = "debimage-lock", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    /// Manifest files (e.g. debian/debian12.json). Default: every debian/*.json that is not
    /// a *.lock.json, in the workspace (under `bazel run`) or the current directory.
    #[arg(value_name = "MANIFEST")]
    manifests: Vec<PathBuf>,

    /// Write nothing; exit 1, with a summary of the changes (on stdout), when a lockfile is
    /// missing or would change.
    #[arg(long, conflicts_with = "update")]
    check: bool,

    /// Write the lockfiles and print a summary of what changed on stdout (the default; the
    /// flag only says so, e.g. in a scheduled job).
    #[arg(long)]
    update: bool,

    /// Where downloaded Packages indexes are kept, by sha256, with records of the runs that
    /// found a lockfile up to date (an empty directory forces a full resolve)
    /// [default: $XDG_CACHE_HOME/debimage-lock or ~/.cache/debimage-lock].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,

    /// A netrc file with the logins and passwords of authenticated sources (sent only to the
    /// hosts it names; never written to a lockfile)
    /// [default: $NETRC, else ~/.netrc if there is one].
    #[arg(long, value_name = "FILE")]
    netrc: Option<PathBuf>,

    /// Accept an InRelease whose Valid-Until has passed. Only for reproducing an old lock
    /// from an old mirror or snapshot: an expired Release may be a replayed one.
    #[arg(long)]
    ignore_valid_until: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("debimage-lock: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn progress(message: std::fmt::Arguments) {
    eprintln!("debimage-lock: {message}");
}

/// Locks (or checks) every manifest; false when `--check` found a stale lockfile.
fn run(cli: &Cli) -> Result<bool> {
    let workspace = std::env::var_os("BUILD_WORKSPACE_DIRECTORY").map(PathBuf::from);
    let manifests: Vec<PathBuf> = if cli.manifests.is_empty() {
        default_manifests(workspace.as_deref().unwrap_or(Path::new(".")))?
    } else {
        // Under `bazel run`, relative paths are the user's, from the workspace root.
        cli.manifests
            .iter()
            .map(|m| match &workspace {
                Some(root) if m.is_relative() => root.join(m),
                _ => m.clone(),
            })
            .collect()
    };
    let netrc = match &cli.netrc {
        Some(path) if !path.is_file() => bail!("--netrc {}: no such file", path.display()),
        Some(path) => Some(path.clone()),
        None => Fetcher::default_netrc()?,
    };
    let fetcher = Fetcher::new(
        cli.cache_dir
            .clone()
            .unwrap_or_else(Fetcher::default_cache_dir),
    )
    .with_netrc(netrc);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    let now = i64::try_from(now).context("the system clock is out of range")?;
    let tool = up_to_date::tool_digest()
        .context("cannot read the running debimage-lock's executable to identify it")?;
    let mut all_current = true;
    for path in &manifests {
        let started = Instant::now();
        let manifest = LoadedManifest::load(path)?;
        let previous = Previous::read(&manifest.lockfile_path())?;
        let suites = fetch_suites(&manifest, &fetcher, cli, now)
            .with_context(|| format!("{}", path.display()))?;
        let key = previous.bytes.as_deref().map(|bytes| {
            let mut inputs = up_to_date::Inputs::new(&tool);
            inputs.add("manifest", &manifest.bytes);
            inputs.add("lockfile", bytes);
            for suite in &suites {
                inputs.add("signed release", suite.signed_text.as_bytes());
            }
            inputs.key()
        });
        if let Some(key) = &key {
            if up_to_date::is_recorded(fetcher.cache_dir(), key) {
                progress(format_args!(
                    "{}: same tool, manifest, lockfile and signed Release files as a run that \
                     found the lockfile up to date: not resolved again ({:.1} s; \
                     {}/up-to-date/{key})",
                    manifest.manifest.distribution,
                    started.elapsed().as_secs_f64(),
                    fetcher.cache_dir().display(),
                ));
                progress(format_args!(
                    "{} is up to date",
                    manifest.lockfile_path().display()
                ));
                continue;
            }
        }
        let lockfile = lock(
            &manifest,
            &suites,
            previous.lock.as_ref(),
            &fetcher,
            started,
        )
        .with_context(|| format!("{}", path.display()))?;
        let shown = shown_path(&manifest.lockfile_path(), workspace.as_deref());
        let current = write_or_check(&manifest, &previous, &lockfile, &shown, cli.check)?;
        if let Some(key) = key.filter(|_| current) {
            // Only a speed-up: the next run resolves again without it.
            if let Err(err) = up_to_date::record(fetcher.cache_dir(), &key) {
                progress(format_args!(
                    "warning: cannot record the check in {}: {err}",
                    fetcher.cache_dir().display()
                ));
            }
        }
        all_current &= current;
    }
    Ok(all_current)
}

/// The lockfile a run replaces, as bytes and (when it parses) as a lock.
struct Previous {
    bytes: Option<Vec<u8>>,
    lock: Option<Lockfile>,
}

impl Previous {
    fn read(path: &Path) -> Result<Self> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    bytes: None,
                    lock: None,
                })
            }
            Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
        };
        let lock = match Lockfile::from_bytes(&bytes, &path.display().to_string()) {
            Ok(lock) => Some(lock),
            Err(err) => {
                progress(format_args!("{err} (replaced as if there were none)"));
                None
            }
        };
        Ok(Self {
            bytes: Some(bytes),
            lock,
        })
    }
}

/// A lockfile's path as the summary names it: relative to the workspace under `bazel run`.
fn shown_path(path: &Path, workspace: Option<&Path>) -> String {
    workspace
        .and_then(|root| path.strip_prefix(root).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn default_manifests(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join("debian");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .with_context(|| format!("no manifest given, and cannot list {}", dir.display()))?
    {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".json") && !name.ends_with(".lock.json") {
            found.push(path);
        }
    }
    if found.is_empty() {
        bail!("no manifest given and none in {}", dir.display());
    }
    found.sort();
    Ok(found)
}

/// One suite of one archive (or one flat repository), its Release verified.
struct Suite<'m> {
    source: &'m Source,
    /// The archive root: package Filenames are relative to it.
    base_url: &'m str,
    name: &'m str,
    components: &'m [String],
    /// Where the Release and the indexes it lists are: `<base>/dists/<suite>`, or a flat
    /// repository's directory.
    index_base: String,
    flat: bool,
    release: Release,
    /// The InRelease (or Release) the file list comes from, for messages.
    release_url: String,
    /// Where snapshot.debian.org keeps this state of the suite (see `Manifest::snapshot_root`).
    snapshot_root: Option<String>,
    /// The signed text of the Release (it pins every index by its sums).
    signed_text: String,
}

/// How many InRelease files are downloaded at once.
const PARALLEL_DOWNLOADS: usize = 8;

/// A decompressed, verified Packages index.
struct IndexText<'m> {
    suite: &'m Suite<'m>,
    origin: String,
    text: String,
}

/// Downloads and verifies the Release of every suite of the manifest.
fn fetch_suites<'m>(
    loaded: &'m LoadedManifest,
    fetcher: &Fetcher,
    cli: &Cli,
    now: i64,
) -> Result<Vec<Suite<'m>>> {
    let manifest = &loaded.manifest;
    let keyring_path = loaded.keyring_path();
    let keyring_text = std::fs::read_to_string(&keyring_path)
        .with_context(|| format!("cannot read keyring {}", keyring_path.display()))?;
    let keyring = Keyring::from_armored(&keyring_text, &keyring_path.display().to_string())?;

    // Each InRelease is a round trip to its archive (0.1-0.4 s to deb.debian.org): fetched
    // several at once, kept in the manifest's order.
    let wanted: Vec<(&Source, &str)> = manifest
        .sources
        .iter()
        .flat_map(|source| {
            source
                .suites
                .iter()
                .map(move |suite| (source, suite.as_str()))
        })
        .collect();
    let mut suites = Vec::new();
    for batch in wanted.chunks(PARALLEL_DOWNLOADS) {
        let fetched: Vec<Result<Suite>> = std::thread::scope(|scope| {
            let workers: Vec<_> = batch
                .iter()
                .map(|&(source, suite)| {
                    let keyring = &keyring;
                    scope.spawn(move || {
                        fetch_release(fetcher, keyring, manifest, source, suite, cli, now)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a download thread panicked")))
                })
                .collect()
        });
        for suite in fetched {
            suites.push(suite?);
        }
    }
    Ok(suites)
}

fn lock(
    loaded: &LoadedManifest,
    suites: &[Suite<'_>],
    previous: Option<&Lockfile>,
    fetcher: &Fetcher,
    started: Instant,
) -> Result<Lockfile> {
    let manifest = &loaded.manifest;

    // Architectures are independent: each on its own thread (as many at once as there are
    // cores), added to the lock in the manifest's order so that the bytes do not change.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut builder = LockBuilder::new();
    let mut summary = Vec::new();
    for batch in manifest.architectures.chunks(threads) {
        let results: Vec<Result<ArchLock>> = std::thread::scope(|scope| {
            let workers: Vec<_> = batch
                .iter()
                .map(|arch| scope.spawn(|| lock_arch(fetcher, suites, manifest, previous, arch)))
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a locking thread panicked")))
                })
                .collect()
        });
        for (arch, result) in batch.iter().zip(results) {
            let locked = result?;
            for (set_name, package) in locked.packages {
                builder
                    .add(&set_name, package)
                    .with_context(|| format!("set {set_name} for {arch}"))?;
            }
            summary.push(format!("{arch}: {}", locked.counts.join(", ")));
        }
    }

    let lockfile = builder.finish(
        &manifest.distribution,
        &hex::encode(sha2::Sha256::digest(&loaded.bytes)),
    );
    progress(format_args!(
        "{}: {} entries ({}) in {:.1} s",
        manifest.distribution,
        lockfile.packages.len(),
        summary.join("; "),
        started.elapsed().as_secs_f64()
    ));
    Ok(lockfile)
}

/// One architecture's share of the lock: every set's packages, and their counts.
struct ArchLock {
    packages: Vec<(String, LockedPackage)>,
    counts: Vec<String>,
}

fn lock_arch(
    fetcher: &Fetcher,
    suites: &[Suite<'_>],
    manifest: &Manifest,
    previous: Option<&Lockfile>,
    arch: &str,
) -> Result<ArchLock> {
    // The snapshot.debian.org root each file of the previous lock named, by (name, sha256).
    let previous_roots: BTreeMap<(&str, &str), &str> = previous
        .into_iter()
        .flat_map(|lock| &lock.packages)
        .filter(|p| p.for_arch == arch)
        .filter_map(|p| {
            let root = p.urls.iter().find_map(|u| snapshot::root_of(u))?;
            Some(((p.name.as_str(), p.sha256.as_str()), root))
        })
        .collect();
    let texts = fetch_indexes(fetcher, suites, arch)?;
    let mut parsed: Vec<(&IndexText, Vec<Package>)> = Vec::new();
    for index in &texts {
        let parse_started = Instant::now();
        let packages = packages::parse(&index.text, &index.origin)?;
        progress(format_args!(
            "{}: {} packages parsed in {:.1} ms",
            index.origin,
            packages.len(),
            parse_started.elapsed().as_secs_f64() * 1000.0,
        ));
        parsed.push((index, packages));
    }
    let mut index = Index::new(arch);
    for (text, packages) in &parsed {
        index.add(packages, text.suite.name, text.suite.base_url)?;
        if text.suite.release.not_automatic {
            index.set_not_automatic(text.suite.name);
        }
    }
    let mut locked = ArchLock {
        packages: Vec::new(),
        counts: Vec::new(),
    };
    for (set_name, set) in &manifest.sets {
        let selected = resolve_pinned(
            &index,
            &set.packages,
            set.follow_dependencies,
            set.suite.as_deref(),
        )
        .with_context(|| format!("set {set_name} for {arch}{}", not_looked_up(suites, arch)))?;
        locked.counts.push(format!("{set_name} {}", selected.len()));
        for selection in selected.values() {
            let p = selection.candidate.package;
            let origin = format!(
                "{}/dists/{}",
                selection.candidate.base_url, selection.candidate.suite
            );
            debimage_lock::fields::filename(p.filename).with_context(|| {
                format!("{origin}: package {} {} for {arch}", p.name, p.version)
            })?;
            let suite = suites
                .iter()
                .find(|s| {
                    s.base_url == selection.candidate.base_url
                        && s.name == selection.candidate.suite
                })
                .context("a resolved package names a suite that was not fetched")?;
            let snapshot_root = keep_snapshot_root(
                manifest,
                suite.snapshot_root.as_deref(),
                previous_roots.get(&(p.name, p.sha256)).copied(),
            );
            let package = LockedPackage {
                name: p.name.to_string(),
                version: p.version.to_string(),
                arch: p.architecture.to_string(),
                for_arch: arch.to_string(),
                sha256: p.sha256.to_string(),
                size: p.size,
                urls: suite.source.urls(p.filename, snapshot_root),
                source: p.source.to_string(),
                suite: selection.candidate.suite.to_string(),
                depends: selection.depends.iter().map(|d| d.to_string()).collect(),
                sets: vec![set_name.clone()],
            };
            package.validate(&origin)?;
            locked.packages.push((set_name.clone(), package));
        }
    }
    Ok(locked)
}

/// The snapshot.debian.org root of a package's URLs: the one the previous lock gave the same
/// file when it is of the same archive and the manifest asks for automatic snapshots (that
/// snapshot has the file, and a re-lock then changes only what the archive changed), else the
/// suite's.
fn keep_snapshot_root<'a>(
    manifest: &Manifest,
    current: Option<&'a str>,
    previous: Option<&'a str>,
) -> Option<&'a str> {
    let archive = |root: &'a str| root.rsplit_once('/').map(|(archive, _)| archive);
    match (current, previous) {
        (Some(current), Some(previous))
            if manifest.snapshot_is_automatic() && archive(current) == archive(previous) =>
        {
            Some(previous)
        }
        _ => current,
    }
}

/// For messages: the suites whose source's `architectures` leave `arch` out.
fn not_looked_up(suites: &[Suite<'_>], arch: &str) -> String {
    let skipped: Vec<String> = suites
        .iter()
        .filter(|s| !s.source.has_architecture(arch))
        .map(|s| {
            format!(
                "{} {} (architectures: {})",
                s.base_url,
                s.name,
                s.source
                    .architectures
                    .as_deref()
                    .unwrap_or_default()
                    .join(", ")
            )
        })
        .collect();
    if skipped.is_empty() {
        String::new()
    } else {
        format!(" (not looked up for {arch}: {})", skipped.join("; "))
    }
}

/// Downloads and verifies one suite's InRelease, or, as apt does when there is none, its
/// Release and detached signature Release.gpg.
fn fetch_release<'m>(
    fetcher: &Fetcher,
    keyring: &Keyring,
    manifest: &Manifest,
    source: &'m Source,
    suite: &'m str,
    cli: &Cli,
    now: i64,
) -> Result<Suite<'m>> {
    let base_url = source.url.as_str();
    let flat = debimage_lock::fields::is_flat(suite);
    let index_base = match suite {
        "./" => base_url.to_string(),
        _ if flat => format!("{base_url}/{}", suite.trim_end_matches('/')),
        _ => format!("{base_url}/dists/{suite}"),
    };
    let inrelease_url = format!("{index_base}/InRelease");
    let (mut verified, url) = match fetcher.get(&inrelease_url) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes)
                .with_context(|| format!("{inrelease_url}: not UTF-8 text"))?;
            (
                keyring.verify_inrelease(&text, &inrelease_url, now)?,
                inrelease_url,
            )
        }
        Err(no_inrelease) => {
            let url = format!("{index_base}/Release");
            let signature_url = format!("{url}.gpg");
            let (release, signature) = match (fetcher.get(&url), fetcher.get(&signature_url)) {
                (Ok(release), Ok(signature)) => (release, signature),
                (release, signature) => {
                    let failed: Vec<String> = [release.err(), signature.err()]
                        .into_iter()
                        .flatten()
                        .map(|e| e.to_string())
                        .collect();
                    bail!(
                        "{no_inrelease}; nor a Release with a Release.gpg: {}",
                        failed.join("; ")
                    );
                }
            };
            (
                keyring.verify_detached(&release, &signature, &url, now)?,
                url,
            )
        }
    };
    for rejected in &verified.rejected {
        progress(format_args!("{url}: {rejected} (not counted)"));
    }
    let release = Release::parse(&verified.text, &url)?;
    let signed_text = std::mem::take(&mut verified.text);
    // A flat repository's directory is not a suite name its Release need state.
    if !flat {
        release.check_suite(suite, &url)?;
    }
    release.check_date(now, &url)?;
    if cli.ignore_valid_until {
        if let Err(err) = release.check_valid_until(now, &url) {
            progress(format_args!("warning: {err} (ignored)"));
        }
    } else {
        release.check_valid_until(now, &url)?;
    }
    let signers: Vec<&str> = verified
        .signers
        .iter()
        .map(|k| k.user_id.split(" <").next().unwrap_or(k.user_id.as_str()))
        .collect();
    let date = release
        .date
        .map_or("no Date".into(), debimage_lock::date::format_utc);
    let label = if flat { index_base.as_str() } else { suite };
    if release.not_automatic {
        progress(format_args!(
            "{label}: NotAutomatic: its packages are taken only by sets pinned to it"
        ));
    }
    let file = url.rsplit('/').next().unwrap_or("InRelease");
    progress(format_args!(
        "{label}: {file} of {date} verified (signed by {})",
        signers.join("; ")
    ));
    let snapshot_root = manifest.snapshot_root(source, release.date);
    Ok(Suite {
        source,
        base_url,
        name: suite,
        components: &source.components,
        snapshot_root,
        index_base,
        flat,
        release,
        release_url: url,
        signed_text,
    })
}

/// Downloads (or takes from the cache), checks and decompresses the Packages indexes of
/// every suite and component for `arch`. Suites without indexes for `arch` (e.g. a security
/// archive that dropped an architecture) are skipped with a notice.
fn fetch_indexes<'m>(
    fetcher: &Fetcher,
    suites: &'m [Suite<'m>],
    arch: &str,
) -> Result<Vec<IndexText<'m>>> {
    let mut texts = Vec::new();
    for suite in suites {
        if !suite.source.has_architecture(arch) {
            continue;
        }
        // A flat repository's Release often lists no Architectures: its index is read.
        let architectures = &suite.release.architectures;
        if !architectures.is_empty() && !architectures.iter().any(|a| a == arch) {
            progress(format_args!(
                "{}: no {arch} indexes (Architectures: {}); skipped for {arch}",
                suite.name,
                suite.release.architectures.join(" ")
            ));
            continue;
        }
        if suite.flat {
            texts.push(fetch_index(fetcher, suite, None, arch)?);
        }
        for component in suite.components {
            texts.push(fetch_index(fetcher, suite, Some(component), arch)?);
        }
    }
    if texts.is_empty() {
        bail!("no suite has indexes for architecture {arch}");
    }
    Ok(texts)
}

/// One component's `Packages` index for `arch` (a flat repository's one index: `component`
/// None), in the best form the signed Release lists (`.xz`, `.bz2`, `.gz`, plain; the next
/// one when a form cannot be downloaded), checked against its signed size and sha256 and
/// decompressed.
fn fetch_index<'m>(
    fetcher: &Fetcher,
    suite: &'m Suite<'m>,
    component: Option<&str>,
    arch: &str,
) -> Result<IndexText<'m>> {
    let (dir, origin) = match component {
        Some(component) => (
            format!("{component}/binary-{arch}/"),
            format!("{} {component} {arch}", suite.name),
        ),
        None => (String::new(), format!("{} {arch}", suite.index_base)),
    };
    // The decompressed index, when the Release lists it (Debian's do), is cached by its
    // signed sum: a run on cached indexes then skips decompression, its slowest part.
    let plain_path = format!("{dir}Packages");
    let plain = suite.release.files.get(&plain_path);
    let cached_text = plain
        .and_then(|entry| fetcher.cached(&entry.sha256))
        .and_then(|bytes| String::from_utf8(bytes).ok());
    if let Some(text) = cached_text {
        progress(format_args!(
            "{origin}: Packages {:.1} MB from the cache, sha256 as signed",
            text.len() as f64 / 1e6
        ));
        return Ok(IndexText {
            suite,
            origin,
            text,
        });
    }
    let forms: Vec<(Compression, String)> = Compression::PREFERENCE
        .into_iter()
        .map(|c| (c, format!("{plain_path}{}", c.suffix())))
        .filter(|(_, path)| suite.release.files.contains_key(path))
        .collect();
    if forms.is_empty() {
        bail!(
            "{origin}: {} lists no Packages index{} (none of Packages.xz, Packages.bz2, \
             Packages.gz, Packages)",
            suite.release_url,
            component.map_or(String::new(), |_| format!(
                " for {}",
                dir.trim_end_matches('/')
            ))
        );
    }
    let base = &suite.index_base;
    let mut failures = Vec::new();
    for (compression, path) in &forms {
        let entry = suite.release.entry(path, &suite.release_url)?;
        let mut urls = Vec::new();
        if suite.release.acquire_by_hash {
            // Immutable: no mismatch while a mirror is half updated.
            urls.push(format!("{base}/{dir}by-hash/SHA256/{}", entry.sha256));
        }
        urls.push(format!("{base}/{path}"));
        let fetch_started = Instant::now();
        let fetched = match fetcher.get_by_sha256(&urls, &entry.sha256) {
            Ok(fetched) => fetched,
            Err(err) => {
                let err = format!("{path}: {err}");
                if forms.len() > 1 {
                    progress(format_args!("{origin}: {err}; trying the next form"));
                }
                failures.push(err);
                continue;
            }
        };
        suite
            .release
            .check_file(path, &fetched.bytes, &suite.release_url)?;
        let fetch_time = fetch_started.elapsed();
        let decompress_started = Instant::now();
        let text = packages::decompress(&fetched.bytes, *compression, &origin)?;
        if let Some(entry) = plain.filter(|_| *compression != Compression::None) {
            suite
                .release
                .check_file(&plain_path, text.as_bytes(), &suite.release_url)?;
            fetcher.store(&entry.sha256, text.as_bytes())?;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        progress(format_args!(
            "{origin}: {name} {:.1} MB {} in {:.1} s, size and sha256 as signed; {:.1} MB \
             decompressed in {:.1} s",
            fetched.bytes.len() as f64 / 1e6,
            if fetched.cached {
                "from the cache"
            } else {
                "downloaded"
            },
            fetch_time.as_secs_f64(),
            text.len() as f64 / 1e6,
            decompress_started.elapsed().as_secs_f64()
        ));
        return Ok(IndexText {
            suite,
            origin,
            text,
        });
    }
    bail!(
        "{origin}: no listed form of the index could be downloaded: {}",
        failures.join("; ")
    )
}

/// Writes the lockfile, or with `check` compares it; false when the check finds it stale.
/// When it changes (or would), the summary of the changes goes to stdout.
fn write_or_check(
    loaded: &LoadedManifest,
    previous: &Previous,
    lockfile: &Lockfile,
    shown: &str,
    check: bool,
) -> Result<bool> {
    let bytes = lockfile.to_bytes()?;
    let out = loaded.lockfile_path();
    if previous.bytes.as_deref() == Some(bytes.as_slice()) {
        progress(format_args!("{} is up to date", out.display()));
        return Ok(true);
    }
    let summary = match &previous.lock {
        Some(old) => LockDiff::between(old, lockfile, |suite| {
            loaded.manifest.is_security_suite(suite)
        })
        .to_string(),
        None if previous.bytes.is_some() => format!(
            "{} entries, replacing an unreadable lockfile",
            lockfile.packages.len()
        ),
        None => format!("{} entries, a new lockfile", lockfile.packages.len()),
    };
    println!("{shown}: {summary}");
    if check {
        progress(format_args!(
            "{} is {}; run debimage-lock {}",
            out.display(),
            if previous.bytes.is_some() {
                "out of date"
            } else {
                "missing"
            },
            loaded.path.display()
        ));
        return Ok(false);
    }
    write_atomically(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    progress(format_args!(
        "wrote {} ({} bytes)",
        out.display(),
        bytes.len()
    ));
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["debimage-lock", "a.json", "b.json", "--check"]).unwrap();
        assert_eq!(cli.manifests.len(), 2);
        assert!(cli.check && !cli.ignore_valid_until);
        assert!(Cli::try_parse_from(["debimage-lock", "--check", "--update"]).is_err());
    }
}
