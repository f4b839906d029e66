//! The lockfile (`<distribution>.lock.json`): every package of every set, per architecture,
//! pinned by version, size and sha256; deterministic bytes (pretty JSON, sorted entries,
//! trailing newline), and what changed between two of them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fields::{self, FieldError};

pub const LOCKFILE_VERSION: u32 = 1;

/// What is wrong with a lockfile or with the entries it is built from.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    #[error("{origin}: {error}")]
    Json {
        origin: String,
        error: serde_json::Error,
    },
    #[error("{origin}: package {package}: {error}")]
    Field {
        origin: String,
        /// `name version for for_arch`, as far as they are known.
        package: String,
        error: FieldError,
    },
    #[error("{origin}: {field} {value:?}: {rule}")]
    Header {
        origin: String,
        field: &'static str,
        value: String,
        rule: &'static str,
    },
    #[error("cannot serialize the lockfile: {0}")]
    Serialize(serde_json::Error),
    #[error("{origin}: lockfile_version {found}, expected {LOCKFILE_VERSION}")]
    Version { origin: String, found: u32 },
    #[error(
        "{package}: set {set} resolves {version}, but set(s) {sets} resolved {locked}; one \
         version per architecture can be locked (constrain the request)"
    )]
    Inconsistent {
        /// `name for for_arch`.
        package: String,
        set: String,
        version: String,
        sets: String,
        locked: String,
    },
}

/// The lockfile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    pub lockfile_version: u32,
    pub distribution: String,
    /// The sha256 of the manifest file's bytes: a changed manifest means a stale lock.
    pub manifest_sha256: String,
    /// Sorted by (name, for_arch).
    pub packages: Vec<LockedPackage>,
}

/// One package file, for one target architecture.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    /// The Debian architecture of the file: `for_arch`, or `all`.
    pub arch: String,
    /// The architecture it was resolved for.
    pub for_arch: String,
    pub sha256: String,
    pub size: u64,
    pub urls: Vec<String>,
    pub source: String,
    pub suite: String,
    /// Names of the locked packages it depends on, for the same architecture (sorted).
    pub depends: Vec<String>,
    /// Names of the sets whose closure includes it (sorted).
    pub sets: Vec<String>,
}

impl Lockfile {
    /// Pretty JSON, two-space indent, trailing newline: the same bytes for the same lock.
    pub fn to_bytes(&self) -> Result<Vec<u8>, LockfileError> {
        let mut out = serde_json::to_vec_pretty(self).map_err(LockfileError::Serialize)?;
        out.push(b'\n');
        Ok(out)
    }

    /// Parses a lockfile; `origin` names it.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self, LockfileError> {
        let lock: Lockfile =
            serde_json::from_slice(bytes).map_err(|error| LockfileError::Json {
                origin: origin.to_string(),
                error,
            })?;
        if lock.lockfile_version != LOCKFILE_VERSION {
            return Err(LockfileError::Version {
                origin: origin.to_string(),
                found: lock.lockfile_version,
            });
        }
        lock.validate(origin)?;
        Ok(lock)
    }

    /// Checks every field that reaches BUILD files and URLs (see [`crate::fields`]).
    pub fn validate(&self, origin: &str) -> Result<(), LockfileError> {
        let header = |field, value: &str, rule| {
            Err(LockfileError::Header {
                origin: origin.to_string(),
                field,
                value: value.to_string(),
                rule,
            })
        };
        if !is_word(&self.distribution) || self.distribution.contains(['-', '.']) {
            return header(
                "distribution",
                &self.distribution,
                "letters, digits and _ (it names a Bazel repository)",
            );
        }
        if fields::sha256("manifest_sha256", &self.manifest_sha256).is_err() {
            return header(
                "manifest_sha256",
                &self.manifest_sha256,
                "64 lower-case hex digits",
            );
        }
        for package in &self.packages {
            package.validate(origin)?;
        }
        Ok(())
    }
}

/// A suite, set or component name of a manifest: letters, digits, `-`, `_` and `.`.
fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// An http(s) URL of printable ASCII without quotes, backslashes, white space or the other
/// characters RFC 3986 excludes, and without `.` or `..` path segments.
pub fn check_url(field: &'static str, url: &str) -> Result<(), FieldError> {
    let bad = |rule| {
        Err(FieldError {
            field,
            value: url.to_string(),
            rule,
        })
    };
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return bad("a URL is http:// or https://");
    };
    if rest.is_empty()
        || url.len() > 2048
        || !url.bytes().all(|c| {
            c.is_ascii_graphic()
                && !matches!(
                    c,
                    b'"' | b'\\' | b'<' | b'>' | b'{' | b'}' | b'|' | b'^' | b'`'
                )
        })
    {
        return bad("a URL is printable ASCII without quotes, backslashes, <>{}|^` or spaces");
    }
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    // Credentials go in a netrc file or a credential helper, never in a URL (which a
    // lockfile and every message would show).
    if path.split('/').next().unwrap_or("").contains('@') {
        return bad("a URL has no user:password@ (use a netrc file or a credential helper)");
    }
    if path.split('/').skip(1).any(|s| s == "." || s == "..") {
        return bad("a URL has no . or .. path segments");
    }
    Ok(())
}

impl LockedPackage {
    /// Checks the fields that reach BUILD files and URLs; `origin` names the lockfile or index.
    pub fn validate(&self, origin: &str) -> Result<(), LockfileError> {
        let field = |error| LockfileError::Field {
            origin: origin.to_string(),
            package: format!("{} {} for {}", self.name, self.version, self.for_arch),
            error,
        };
        fields::package_name("name", &self.name).map_err(field)?;
        fields::version(&self.version).map_err(field)?;
        fields::architecture("arch", &self.arch).map_err(field)?;
        fields::architecture("for_arch", &self.for_arch).map_err(field)?;
        if self.arch != "all" && self.arch != self.for_arch {
            return Err(field(FieldError {
                field: "arch",
                value: self.arch.clone(),
                rule: "a package file is for its for_arch or for all",
            }));
        }
        fields::sha256("sha256", &self.sha256).map_err(field)?;
        fields::package_name("source", &self.source).map_err(field)?;
        let word = |name: &'static str, value: &str| {
            if is_word(value) {
                Ok(())
            } else {
                Err(field(FieldError {
                    field: name,
                    value: value.to_string(),
                    rule: "letters, digits, -, _ and .",
                }))
            }
        };
        fields::suite("suite", &self.suite).map_err(field)?;
        for set in &self.sets {
            word("sets", set)?;
        }
        for name in &self.depends {
            fields::package_name("depends", name).map_err(field)?;
        }
        if self.urls.is_empty() {
            return Err(field(FieldError {
                field: "urls",
                value: String::new(),
                rule: "at least one URL",
            }));
        }
        for url in &self.urls {
            check_url("urls", url).map_err(field)?;
        }
        Ok(())
    }
}

/// Collects the packages each set resolved to, per architecture, into a lockfile.
#[derive(Debug, Default)]
pub struct LockBuilder {
    entries: BTreeMap<(String, String), LockedPackage>,
}

impl LockBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `set` includes `package` (its `sets` are ignored). The same package
    /// from several sets must be the same file; the dependencies are merged.
    pub fn add(&mut self, set: &str, mut package: LockedPackage) -> Result<(), LockfileError> {
        let key = (package.name.clone(), package.for_arch.clone());
        match self.entries.get_mut(&key) {
            Some(entry) => {
                if (&entry.version, &entry.arch, &entry.sha256)
                    != (&package.version, &package.arch, &package.sha256)
                {
                    return Err(LockfileError::Inconsistent {
                        package: format!("{} for {}", package.name, package.for_arch),
                        set: set.to_string(),
                        version: package.version,
                        sets: entry.sets.join(", "),
                        locked: entry.version.clone(),
                    });
                }
                entry.depends.append(&mut package.depends);
                entry.depends.sort();
                entry.depends.dedup();
                if !entry.sets.iter().any(|s| s == set) {
                    entry.sets.push(set.to_string());
                    entry.sets.sort();
                }
            }
            None => {
                package.depends.sort();
                package.depends.dedup();
                package.sets = vec![set.to_string()];
                self.entries.insert(key, package);
            }
        }
        Ok(())
    }

    pub fn finish(self, distribution: &str, manifest_sha256: &str) -> Lockfile {
        Lockfile {
            lockfile_version: LOCKFILE_VERSION,
            distribution: distribution.to_string(),
            manifest_sha256: manifest_sha256.to_string(),
            packages: self.entries.into_values().collect(),
        }
    }
}

/// What changed from an old lockfile to a new one, by (name, for_arch); entries that differ
/// only in their architecture are grouped.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LockDiff {
    /// Packages locked at another version (security updates first, then by name).
    pub versions: Vec<VersionChange>,
    pub added: Vec<Entries>,
    pub removed: Vec<Entries>,
    /// Entries whose version stayed but other fields changed: the fields, and the packages
    /// (`name (for_arch, ...)`).
    pub changed: Vec<(String, Vec<Entries>)>,
    /// Differences outside the packages (manifest_sha256, distribution).
    pub header: Vec<String>,
}

/// A package locked at another version, from `suite`, on `archs`.
#[derive(Debug, PartialEq, Eq)]
pub struct VersionChange {
    pub name: String,
    pub old: String,
    pub new: String,
    pub suite: String,
    /// From a security suite (the manifest says which: [`crate::manifest::Manifest::is_security_suite`]).
    pub security: bool,
    pub archs: Vec<String>,
}

/// A package at one version on `archs`.
#[derive(Debug, PartialEq, Eq)]
pub struct Entries {
    pub name: String,
    pub version: String,
    pub archs: Vec<String>,
}

impl LockDiff {
    /// The changes from `old` to `new`; `is_security` says whether a suite is a security one.
    pub fn between(old: &Lockfile, new: &Lockfile, is_security: impl Fn(&str) -> bool) -> Self {
        let key = |p: &LockedPackage| (p.name.clone(), p.for_arch.clone());
        let old_map: BTreeMap<_, _> = old.packages.iter().map(|p| (key(p), p)).collect();
        let new_map: BTreeMap<_, _> = new.packages.iter().map(|p| (key(p), p)).collect();
        let mut versions: BTreeMap<(bool, &str, &str, &str, &str), Vec<String>> = BTreeMap::new();
        let mut added: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
        let mut removed: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
        let mut changed: BTreeMap<String, BTreeMap<(&str, &str), Vec<String>>> = BTreeMap::new();
        for (k, p) in &new_map {
            match old_map.get(k) {
                None => added
                    .entry((&p.name, &p.version))
                    .or_default()
                    .push(p.for_arch.clone()),
                Some(o) if o.version != p.version => versions
                    // Security first: false sorts before true.
                    .entry((
                        !is_security(&p.suite),
                        &p.name,
                        &o.version,
                        &p.version,
                        &p.suite,
                    ))
                    .or_default()
                    .push(p.for_arch.clone()),
                Some(o) if o != p => {
                    let fields: Vec<&str> = [
                        ("arch", o.arch != p.arch),
                        ("sha256", o.sha256 != p.sha256),
                        ("size", o.size != p.size),
                        ("urls", o.urls != p.urls),
                        ("source", o.source != p.source),
                        ("suite", o.suite != p.suite),
                        ("depends", o.depends != p.depends),
                        ("sets", o.sets != p.sets),
                    ]
                    .into_iter()
                    .filter_map(|(name, differs)| differs.then_some(name))
                    .collect();
                    changed
                        .entry(fields.join(", "))
                        .or_default()
                        .entry((&p.name, &p.version))
                        .or_default()
                        .push(p.for_arch.clone());
                }
                Some(_) => {}
            }
        }
        for (k, p) in &old_map {
            if !new_map.contains_key(k) {
                removed
                    .entry((&p.name, &p.version))
                    .or_default()
                    .push(p.for_arch.clone());
            }
        }
        let entries = |map: BTreeMap<(&str, &str), Vec<String>>| -> Vec<Entries> {
            map.into_iter()
                .map(|((name, version), archs)| Entries {
                    name: name.to_string(),
                    version: version.to_string(),
                    archs,
                })
                .collect()
        };
        let mut diff = LockDiff {
            versions: versions
                .into_iter()
                .map(
                    |((not_security, name, old, new, suite), archs)| VersionChange {
                        name: name.to_string(),
                        old: old.to_string(),
                        new: new.to_string(),
                        suite: suite.to_string(),
                        security: !not_security,
                        archs,
                    },
                )
                .collect(),
            added: entries(added),
            removed: entries(removed),
            changed: changed
                .into_iter()
                .map(|(fields, map)| (fields, entries(map)))
                .collect(),
            header: Vec::new(),
        };
        if old.manifest_sha256 != new.manifest_sha256 {
            diff.header
                .push("manifest_sha256 changed (the manifest was edited)".into());
        }
        if old.distribution != new.distribution {
            diff.header.push(format!(
                "distribution {} -> {}",
                old.distribution, new.distribution
            ));
        }
        diff
    }

    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.header.is_empty()
    }
}

impl fmt::Display for LockDiff {
    /// A count line, then one line (a Markdown list item) per change: every version change,
    /// addition and removal, and the first 20 entries of each other kind of change.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let security = self.versions.iter().filter(|v| v.security).count();
        let other: usize = self
            .changed
            .iter()
            .flat_map(|(_, entries)| entries)
            .map(|e| e.archs.len())
            .sum();
        write!(
            f,
            "{} package{} changed version ({security} from a security suite), {} added, {} \
             removed, {other} other entr{} changed",
            self.versions.len(),
            if self.versions.len() == 1 { "" } else { "s" },
            self.added.len(),
            self.removed.len(),
            if other == 1 { "y" } else { "ies" },
        )?;
        for line in &self.header {
            write!(f, "\n- {line}")?;
        }
        for v in &self.versions {
            write!(
                f,
                "\n- {}: {} -> {}{} ({}; {})",
                v.name,
                v.old,
                v.new,
                if v.security { " [security]" } else { "" },
                v.suite,
                v.archs.join(", ")
            )?;
        }
        for (what, entries) in [("added", &self.added), ("removed", &self.removed)] {
            for e in entries {
                write!(
                    f,
                    "\n- {what}: {} {} ({})",
                    e.name,
                    e.version,
                    e.archs.join(", ")
                )?;
            }
        }
        for (fields, entries) in &self.changed {
            let shown: Vec<String> = entries
                .iter()
                .take(20)
                .map(|e| format!("{} {} ({})", e.name, e.version, e.archs.join(", ")))
                .collect();
            write!(f, "\n- {fields} changed: {}", shown.join(", "))?;
            if entries.len() > 20 {
                write!(f, " and {} more packages", entries.len() - 20)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sha2::Digest;

    use super::*;

    fn package(name: &str, version: &str, for_arch: &str, depends: &[&str]) -> LockedPackage {
        LockedPackage {
            name: name.into(),
            version: version.into(),
            arch: for_arch.into(),
            for_arch: for_arch.into(),
            sha256: hex::encode(sha2::Sha256::digest(format!("{name}{version}"))),
            size: 1,
            urls: vec![format!("https://deb.debian.org/debian/pool/{name}.deb")],
            source: name.into(),
            suite: "bookworm".into(),
            depends: depends.iter().map(|s| s.to_string()).collect(),
            sets: vec![],
        }
    }

    fn lock() -> Lockfile {
        let mut b = LockBuilder::new();
        b.add("static", package("tzdata", "2025b", "arm64", &[]))
            .unwrap();
        b.add("base", package("libc6", "2.36", "amd64", &["libgcc-s1"]))
            .unwrap();
        b.add(
            "cc",
            package("libc6", "2.36", "amd64", &["zlib", "libgcc-s1"]),
        )
        .unwrap();
        b.add("static", package("tzdata", "2025b", "amd64", &[]))
            .unwrap();
        b.add("base", package("tzdata", "2025b", "amd64", &[]))
            .unwrap();
        b.finish("debian12", &"a".repeat(64))
    }

    #[test]
    fn sorted_merged_deterministic_bytes() {
        let lock = lock();
        let keys: Vec<(&str, &str, Vec<String>, Vec<String>)> = lock
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.for_arch.as_str(),
                    p.depends.clone(),
                    p.sets.clone(),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                (
                    "libc6",
                    "amd64",
                    vec!["libgcc-s1".into(), "zlib".into()],
                    vec!["base".into(), "cc".into()]
                ),
                (
                    "tzdata",
                    "amd64",
                    vec![],
                    vec!["base".into(), "static".into()]
                ),
                ("tzdata", "arm64", vec![], vec!["static".into()]),
            ]
        );
        let bytes = lock.to_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with(
            "{\n  \"lockfile_version\": 1,\n  \"distribution\": \"debian12\",\n  \
             \"manifest_sha256\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\n  \"packages\": [\n    {\n      \"name\": \"libc6\",\n      \
             \"version\": \"2.36\",\n      \"arch\": \"amd64\",\n      \"for_arch\": \"amd64\",\n      \
             \"sha256\": "
        ), "{text}");
        assert!(text.ends_with("}\n"));
        assert_eq!(Lockfile::from_bytes(&bytes, "x").unwrap(), lock);
    }

    #[test]
    fn one_version_per_architecture() {
        let mut b = LockBuilder::new();
        b.add("base", package("libssl3", "3.0.17", "amd64", &[]))
            .unwrap();
        let err = b
            .add("old", package("libssl3", "3.0.11", "amd64", &[]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "libssl3 for amd64: set old resolves 3.0.11, but set(s) base resolved 3.0.17; one \
             version per architecture can be locked (constrain the request)"
        );
    }

    #[test]
    fn diff_summary() {
        let old = lock();
        let mut new = old.clone();
        new.packages.remove(2);
        new.packages[0].version = "2.37".into();
        new.packages[1].sets.pop();
        new.packages.push(package("zlib", "1.2", "amd64", &[]));
        new.manifest_sha256 = "def".into();
        let diff = LockDiff::between(&old, &new, |_| false);
        assert_eq!(
            diff.to_string(),
            "1 package changed version (0 from a security suite), 1 added, 1 removed, 1 other \
             entry changed\n- manifest_sha256 changed (the manifest was edited)\n\
             - libc6: 2.36 -> 2.37 (bookworm; amd64)\n- added: zlib 1.2 (amd64)\n\
             - removed: tzdata 2025b (arm64)\n- sets changed: tzdata 2025b (amd64)"
        );
        assert!(LockDiff::between(&old, &old, |_| false).is_empty());
    }

    #[test]
    fn diff_groups_architectures_and_puts_security_first() {
        let mut b = LockBuilder::new();
        for arch in ["amd64", "arm64", "s390x"] {
            b.add("base", package("libssl3", "3.0.17-1~deb12u2", arch, &[]))
                .unwrap();
            b.add("base", package("tzdata", "2025b-0+deb12u1", arch, &[]))
                .unwrap();
        }
        let old = b.finish("debian12", &"a".repeat(64));
        let mut new = old.clone();
        for p in &mut new.packages {
            if p.name == "libssl3" && p.for_arch != "s390x" {
                p.version = "3.0.17-1~deb12u3".into();
                p.suite = "bookworm-security".into();
            }
            if p.name == "tzdata" {
                p.version = "2025c-0+deb12u1".into();
                p.suite = "bookworm-updates".into();
            }
            p.urls.push(format!(
                "https://snapshot.debian.org/archive/debian/20251115T210414Z/pool/{}.deb",
                p.name
            ));
        }
        let diff = LockDiff::between(&old, &new, |suite| suite.ends_with("-security"));
        assert_eq!(
            diff.to_string(),
            "2 packages changed version (1 from a security suite), 0 added, 0 removed, 1 other \
             entry changed\n\
             - libssl3: 3.0.17-1~deb12u2 -> 3.0.17-1~deb12u3 [security] (bookworm-security; amd64, arm64)\n\
             - tzdata: 2025b-0+deb12u1 -> 2025c-0+deb12u1 (bookworm-updates; amd64, arm64, s390x)\n\
             - urls changed: libssl3 3.0.17-1~deb12u2 (s390x)"
        );
    }

    #[test]
    fn rejects_unknown_fields_and_versions() {
        let text = String::from_utf8(lock().to_bytes().unwrap()).unwrap();
        let err = Lockfile::from_bytes(text.replace("\"size\"", "\"bytes\"").as_bytes(), "l.json")
            .unwrap_err();
        assert!(
            err.to_string().starts_with("l.json: unknown field `bytes`"),
            "{err}"
        );
        let err = Lockfile::from_bytes(
            text.replace("\"lockfile_version\": 1", "\"lockfile_version\": 2")
                .as_bytes(),
            "l.json",
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "l.json: lockfile_version 2, expected 1");
    }
}
