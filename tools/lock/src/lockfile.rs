//! The manifest (what to lock) and the lockfile (what was locked), both JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Error;

pub const LOCKFILE_VERSION: u32 = 1;

/// A distribution's package sets and where to find them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Names the lock (and the Bazel hub repository), e.g. `debian12`.
    pub distribution: String,
    pub sources: Vec<Source>,
    /// A snapshot.debian.org timestamp (`20251115T000000Z`): adds snapshot URLs.
    #[serde(default)]
    pub snapshot: Option<String>,
    /// Debian architectures: amd64, arm64, armhf, s390x, ppc64el, ...
    pub architectures: Vec<String>,
    /// ASCII-armoured public keys, relative to the manifest.
    pub keyring: String,
    pub sets: BTreeMap<String, PackageSet>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Archive root, e.g. `https://deb.debian.org/debian`.
    pub url: String,
    pub suites: Vec<String>,
    pub components: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageSet {
    /// Package names, optionally with a constraint: `libssl3 (>= 3.0)`.
    pub packages: Vec<String>,
    /// Lock the dependency closure too (false: exactly the named packages).
    pub follow_dependencies: bool,
}

impl Manifest {
    pub fn parse(text: &str, origin: &str) -> Result<Self, Error> {
        let manifest: Manifest =
            serde_json::from_str(text).map_err(|e| Error::Manifest(format!("{origin}: {e}")))?;
        let bad = |what: String| Err(Error::Manifest(format!("{origin}: {what}")));
        if manifest.distribution.is_empty()
            || !manifest
                .distribution
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return bad(format!(
                "distribution {:?} must be letters, digits and _",
                manifest.distribution
            ));
        }
        if manifest.sources.is_empty()
            || manifest.architectures.is_empty()
            || manifest.sets.is_empty()
        {
            return bad("needs sources, architectures and sets".into());
        }
        for source in &manifest.sources {
            if !source.url.starts_with("https://") && !source.url.starts_with("http://") {
                return bad(format!("source URL {:?} is not http(s)", source.url));
            }
        }
        Ok(manifest)
    }
}

/// The lockfile: one entry per package and target architecture, sorted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    pub lockfile_version: u32,
    pub distribution: String,
    pub manifest_sha256: String,
    pub packages: Vec<LockedPackage>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    /// The architecture of the file: `all` or `for_arch`.
    pub arch: String,
    /// The architecture it was resolved for.
    pub for_arch: String,
    pub sha256: String,
    pub size: u64,
    pub urls: Vec<String>,
    pub source: String,
    pub suite: String,
    /// Names of the locked packages it depends on (for the same architecture).
    pub depends: Vec<String>,
    /// The sets whose closure includes it.
    pub sets: Vec<String>,
}

impl Lockfile {
    /// Pretty JSON, two-space indent, trailing newline: the same bytes for the same lock.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut out =
            serde_json::to_vec_pretty(self).map_err(|e| Error::Manifest(e.to_string()))?;
        out.push(b'\n');
        Ok(out)
    }

    /// What changed from `old` to `self`, one line per package (for `--check`).
    pub fn changes_from(&self, old: &Lockfile) -> Vec<String> {
        let key = |p: &LockedPackage| (p.name.clone(), p.for_arch.clone());
        let old_map: BTreeMap<_, _> = old.packages.iter().map(|p| (key(p), p)).collect();
        let new_map: BTreeMap<_, _> = self.packages.iter().map(|p| (key(p), p)).collect();
        let mut out = Vec::new();
        for (k, p) in &new_map {
            match old_map.get(k) {
                None => out.push(format!("added {} {} ({})", p.name, p.version, p.for_arch)),
                Some(o) if o != p => out.push(format!(
                    "changed {} {} -> {} ({})",
                    p.name, o.version, p.version, p.for_arch
                )),
                _ => {}
            }
        }
        for (k, p) in &old_map {
            if !new_map.contains_key(k) {
                out.push(format!("removed {} {} ({})", p.name, p.version, p.for_arch));
            }
        }
        if out.is_empty() && self != old {
            out.push("lockfile metadata changed (manifest_sha256 or format)".into());
        }
        out
    }
}
