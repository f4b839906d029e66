//! The manifest: which archives, suites and architectures to lock from, the keyring that signs
//! them, and the named package sets (JSON, e.g. `debian/debian12.json`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::deps::{parse_one, DepError};
use crate::snapshot;

/// What is wrong with a manifest; `origin` names the file.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{origin}: cannot read: {error}")]
    Read {
        origin: String,
        error: std::io::Error,
    },
    #[error("{origin}: {error}")]
    Json {
        origin: String,
        error: serde_json::Error,
    },
    #[error("{origin}: {field}: {problem}")]
    Invalid {
        origin: String,
        field: String,
        problem: String,
    },
    #[error("{origin}: set {set}: {error}")]
    Request {
        origin: String,
        set: String,
        error: DepError,
    },
}

/// A distribution's package sets and where to find them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Names the lock (`<distribution>.lock.json`) and the Bazel hub repository.
    pub distribution: String,
    pub sources: Vec<Source>,
    /// Fallback URLs on snapshot.debian.org: absent, null or `"auto"` for the snapshot that
    /// follows each suite's Release (see [`crate::snapshot`]), a timestamp
    /// (`20251115T000000Z`) for that one, `"none"` for none (an archive snapshot.debian.org
    /// does not keep).
    #[serde(default)]
    pub snapshot: Option<String>,
    /// Debian architectures: amd64, arm64, armhf, s390x, ppc64el, ...
    pub architectures: Vec<String>,
    /// ASCII-armoured public keys, relative to the manifest's directory.
    pub keyring: String,
    pub sets: BTreeMap<String, PackageSet>,
}

/// One archive and the suites and components taken from it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Archive root, e.g. `https://deb.debian.org/debian` (no trailing slash).
    pub url: String,
    /// Other roots of the same archive (mirrors), tried in this order after `url` when a
    /// package is downloaded; the indexes are read from `url` only.
    #[serde(default)]
    pub mirrors: Vec<String>,
    /// `dists/` suites (`bookworm`), or flat repositories' directories (`./`, `stable/`):
    /// their `InRelease` and `Packages` lie directly in `<url>/<directory>`.
    pub suites: Vec<String>,
    /// Components of the `dists/` suites; none for flat repositories.
    #[serde(default)]
    pub components: Vec<String>,
    /// The architectures (of the manifest's) this source has packages for; absent: all of
    /// them. For the others, its indexes are not looked up.
    #[serde(default)]
    pub architectures: Option<Vec<String>>,
}

impl Source {
    /// Whether the source is looked up for `arch`.
    pub fn has_architecture(&self, arch: &str) -> bool {
        self.architectures
            .as_ref()
            .is_none_or(|list| list.iter().any(|a| a == arch))
    }

    /// The download URLs of a package file `filename` (`pool/...`) of this archive: the
    /// archive itself, its mirrors, then `snapshot_root` (see [`Manifest::snapshot_root`]).
    pub fn urls(&self, filename: &str, snapshot_root: Option<&str>) -> Vec<String> {
        // A flat repository's index may name its files `./x.deb`.
        let filename = filename.strip_prefix("./").unwrap_or(filename);
        std::iter::once(self.url.as_str())
            .chain(self.mirrors.iter().map(String::as_str))
            .chain(snapshot_root)
            .map(|root| format!("{root}/{filename}"))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageSet {
    /// Package names, optionally with a version constraint: `libssl3 (>= 3.0)`.
    pub packages: Vec<String>,
    /// Lock the Depends/Pre-Depends closure too (false: exactly the named packages).
    pub follow_dependencies: bool,
    /// Pins the set to a suite of the sources (e.g. `bookworm-backports`): the named packages
    /// come from it, each dependency from it when it has a fitting version, else from the
    /// other suites. Absent: the highest version across the suites that are not
    /// `NotAutomatic`.
    #[serde(default)]
    pub suite: Option<String>,
}

/// A manifest read from a file, with what the lock needs to know about the file.
#[derive(Debug, Clone)]
pub struct LoadedManifest {
    pub manifest: Manifest,
    pub path: PathBuf,
    /// The file's bytes, for `manifest_sha256`.
    pub bytes: Vec<u8>,
}

impl LoadedManifest {
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| ManifestError::Read {
            origin: origin.clone(),
            error,
        })?;
        let manifest = Manifest::parse(&bytes, &origin)?;
        Ok(Self {
            manifest,
            path: path.to_path_buf(),
            bytes,
        })
    }

    fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// The keyring file (relative paths are relative to the manifest's directory).
    pub fn keyring_path(&self) -> PathBuf {
        self.dir().join(&self.manifest.keyring)
    }

    /// `<distribution>.lock.json` beside the manifest.
    pub fn lockfile_path(&self) -> PathBuf {
        self.dir()
            .join(format!("{}.lock.json", self.manifest.distribution))
    }
}

impl Manifest {
    /// Parses and validates manifest JSON; `origin` names the file.
    pub fn parse(bytes: &[u8], origin: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|error| ManifestError::Json {
                origin: origin.to_string(),
                error,
            })?;
        manifest.validate(origin)?;
        Ok(manifest)
    }

    fn validate(&self, origin: &str) -> Result<(), ManifestError> {
        let invalid = |field: &str, problem: String| {
            Err(ManifestError::Invalid {
                origin: origin.to_string(),
                field: field.to_string(),
                problem,
            })
        };
        let word = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        };
        if self.distribution.is_empty()
            || !self
                .distribution
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            return invalid(
                "distribution",
                format!("{:?} must be letters, digits and _", self.distribution),
            );
        }
        if self.sources.is_empty() {
            return invalid("sources", "no source".into());
        }
        let mut suites = BTreeSet::new();
        for source in &self.sources {
            let field = format!("sources ({})", source.url);
            for url in std::iter::once(&source.url).chain(&source.mirrors) {
                if let Err(problem) = check_archive_root(url) {
                    let field = if *url == source.url {
                        field.clone()
                    } else {
                        format!("{field}: mirror {url}")
                    };
                    return invalid(&field, problem.into());
                }
            }
            if source.suites.is_empty() {
                return invalid(&field, "needs suites".into());
            }
            for suite in &source.suites {
                if let Err(err) = crate::fields::suite("suite", suite) {
                    return invalid(&field, err.to_string());
                }
                let flat = crate::fields::is_flat(suite);
                if flat && !source.components.is_empty() {
                    return invalid(
                        &field,
                        format!(
                            "suite {suite} is a flat repository's directory: it takes no \
                             components (give them their own source)"
                        ),
                    );
                }
                if !flat && source.components.is_empty() {
                    return invalid(&field, format!("suite {suite} needs components"));
                }
            }
            for name in &source.components {
                if !word(name) {
                    return invalid(&field, format!("bad component name {name:?}"));
                }
            }
            for suite in &source.suites {
                if !suites.insert((source.url.as_str(), suite.as_str())) {
                    return invalid(&field, format!("suite {suite} appears twice"));
                }
            }
        }
        if let Some(snapshot) = &self.snapshot {
            if !matches!(snapshot.as_str(), "auto" | "none") && !snapshot::is_timestamp(snapshot) {
                return invalid(
                    "snapshot",
                    format!(
                        "{snapshot:?} is not \"auto\", \"none\" or a timestamp like \
                         20251115T000000Z"
                    ),
                );
            }
        }
        if self.architectures.is_empty() {
            return invalid("architectures", "no architecture".into());
        }
        let mut seen = BTreeSet::new();
        for arch in &self.architectures {
            if crate::fields::architecture("architectures", arch).is_err() || arch == "all" {
                return invalid("architectures", format!("bad architecture {arch:?}"));
            }
            if !seen.insert(arch) {
                return invalid("architectures", format!("{arch} appears twice"));
            }
        }
        for source in &self.sources {
            let field = format!("sources ({}): architectures", source.url);
            let Some(list) = &source.architectures else {
                continue;
            };
            if list.is_empty() {
                return invalid(&field, "empty (leave it out for every architecture)".into());
            }
            let mut seen = BTreeSet::new();
            for arch in list {
                if !self.architectures.contains(arch) {
                    return invalid(
                        &field,
                        format!(
                            "{arch} is not one of the manifest's architectures ({})",
                            self.architectures.join(", ")
                        ),
                    );
                }
                if !seen.insert(arch) {
                    return invalid(&field, format!("{arch} appears twice"));
                }
            }
        }
        for arch in &self.architectures {
            if !self.sources.iter().any(|s| s.has_architecture(arch)) {
                return invalid(
                    "architectures",
                    format!("no source has {arch} (see the sources' architectures)"),
                );
            }
        }
        if self.keyring.is_empty() {
            return invalid("keyring", "empty path".into());
        }
        if self.sets.is_empty() {
            return invalid("sets", "no set".into());
        }
        for (name, set) in &self.sets {
            if !word(name) {
                return invalid("sets", format!("bad set name {name:?}"));
            }
            if set.packages.is_empty() {
                return invalid(&format!("sets.{name}"), "no package".into());
            }
            if let Some(pin) = &set.suite {
                if !suites.iter().any(|(_, suite)| suite == pin) {
                    let all: Vec<&str> = suites.iter().map(|(_, s)| *s).collect();
                    return invalid(
                        &format!("sets.{name}.suite"),
                        format!("{pin} is not a suite of the sources ({})", all.join(", ")),
                    );
                }
            }
            for request in &set.packages {
                parse_one(request).map_err(|error| ManifestError::Request {
                    origin: origin.to_string(),
                    set: name.clone(),
                    error,
                })?;
            }
        }
        Ok(())
    }

    /// The snapshot.debian.org root of `source` (`https://snapshot.debian.org/archive/debian/
    /// 20251115T120000Z`) for a suite whose Release is dated `release_date`, or none: when
    /// `snapshot` is `"none"`, when the archive (the last component of the source's URL) is not
    /// one snapshot.debian.org keeps, or, for `"auto"`, when the Release has no Date.
    pub fn snapshot_root(&self, source: &Source, release_date: Option<i64>) -> Option<String> {
        let archive = source.url.rsplit('/').next()?;
        if !snapshot::ARCHIVES.contains(&archive) || source.url.contains("://snapshot.debian.org/")
        {
            return None;
        }
        let timestamp = match self.snapshot.as_deref() {
            Some("none") => return None,
            None | Some("auto") => snapshot::timestamp_after(release_date?),
            Some(fixed) => fixed.to_string(),
        };
        Some(format!("{}{archive}/{timestamp}", snapshot::ROOT))
    }

    /// Whether snapshot URLs follow each suite's Release (`snapshot` absent, null or "auto").
    pub fn snapshot_is_automatic(&self) -> bool {
        matches!(self.snapshot.as_deref(), None | Some("auto"))
    }

    /// Whether packages of `suite` are security updates: a `*-security` suite, or any suite of
    /// a source whose archive is `debian-security`.
    pub fn is_security_suite(&self, suite: &str) -> bool {
        suite.ends_with("-security")
            || self
                .sources
                .iter()
                .any(|s| s.url.ends_with("/debian-security") && s.suites.iter().any(|n| n == suite))
    }
}

/// An http(s) archive root without a trailing slash, query or fragment.
fn check_archive_root(url: &str) -> Result<(), &'static str> {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Err("the URL must be http(s)");
    };
    if let Err(err) = crate::lockfile::check_url("url", url) {
        return Err(err.rule);
    }
    if rest.is_empty() || url.ends_with('/') || url.contains(['?', '#']) {
        return Err("the URL must be an archive root without a trailing slash");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"{
      "distribution": "debian12",
      "sources": [
        {"url": "https://deb.debian.org/debian", "suites": ["bookworm", "bookworm-updates"], "components": ["main"]},
        {"url": "https://deb.debian.org/debian-security", "suites": ["bookworm-security"], "components": ["main"]}
      ],
      "snapshot": "20251115T000000Z",
      "architectures": ["amd64", "arm64"],
      "keyring": "keyring/debian-archive-keys.asc",
      "sets": {
        "static": {"packages": ["base-files"], "follow_dependencies": false},
        "base": {"packages": ["libc6", "libssl3 (>= 3.0)"], "follow_dependencies": true}
      }
    }"#;

    fn with(from: &str, to: &str) -> Result<Manifest, ManifestError> {
        let text = MANIFEST.replace(from, to);
        assert_ne!(text, MANIFEST, "{from}");
        Manifest::parse(text.as_bytes(), "m.json")
    }

    #[test]
    fn parses_and_builds_urls() {
        let m = Manifest::parse(MANIFEST.as_bytes(), "m.json").unwrap();
        assert_eq!(m.sets["base"].packages[1], "libssl3 (>= 3.0)");
        let security = &m.sources[1];
        let root = m.snapshot_root(security, Some(0));
        assert_eq!(
            security.urls("pool/updates/main/o/openssl/x.deb", root.as_deref()),
            [
                "https://deb.debian.org/debian-security/pool/updates/main/o/openssl/x.deb",
                "https://snapshot.debian.org/archive/debian-security/20251115T000000Z/pool/updates/main/o/openssl/x.deb"
            ]
        );
        assert!(m.is_security_suite("bookworm-security"));
        assert!(!m.is_security_suite("bookworm-updates"));
        // Automatic: 12 hours after the Release's Date (Sat, 15 Nov 2025 09:04:14 UTC), mirrors
        // before snapshot.debian.org.
        let m = Manifest::parse(
            serde_json::to_string(&serde_json::json!({
                "distribution": "d",
                "snapshot": "auto",
                "sources": [{
                    "url": "https://deb.debian.org/debian",
                    "mirrors": ["http://mirror.example/debian", "https://m2.example/d/debian"],
                    "suites": ["bookworm"], "components": ["main"]
                }, {
                    "url": "http://127.0.0.1:8080/vendor",
                    "suites": ["stable"], "components": ["main"]
                }],
                "architectures": ["amd64"],
                "keyring": "k.asc",
                "sets": {"s": {"packages": ["a"], "follow_dependencies": false}}
            }))
            .unwrap()
            .as_bytes(),
            "m.json",
        )
        .unwrap();
        let debian = &m.sources[0];
        let root = m.snapshot_root(debian, Some(1_763_197_454));
        assert_eq!(
            debian.urls("pool/main/a/a.deb", root.as_deref()),
            [
                "https://deb.debian.org/debian/pool/main/a/a.deb",
                "http://mirror.example/debian/pool/main/a/a.deb",
                "https://m2.example/d/debian/pool/main/a/a.deb",
                "https://snapshot.debian.org/archive/debian/20251115T210414Z/pool/main/a/a.deb",
            ]
        );
        // No Date, or an archive snapshot.debian.org does not keep: no snapshot URL.
        assert_eq!(m.snapshot_root(debian, None), None);
        assert_eq!(m.snapshot_root(&m.sources[1], Some(0)), None);
        let m = with("\"20251115T000000Z\"", "\"none\"").unwrap();
        assert_eq!(m.snapshot_root(&m.sources[0], Some(0)), None);
        let m = with("\"20251115T000000Z\"", "null").unwrap();
        assert_eq!(
            m.sources[0].urls("pool/a.deb", None),
            ["https://deb.debian.org/debian/pool/a.deb"]
        );
        let loaded = LoadedManifest {
            manifest: m,
            path: "debian/debian12.json".into(),
            bytes: vec![],
        };
        assert_eq!(
            loaded.lockfile_path(),
            Path::new("debian/debian12.lock.json")
        );
        assert_eq!(
            loaded.keyring_path(),
            Path::new("debian/keyring/debian-archive-keys.asc")
        );
    }

    #[test]
    fn flat_sources_source_architectures_and_pins_parse() {
        let m = with(
            "\"sources\": [",
            "\"sources\": [{\"url\": \"https://vendor.example/apt\", \"suites\": [\"./\", \"stable/\"], \
             \"architectures\": [\"amd64\"]},",
        )
        .unwrap();
        assert!(m.sources[0].has_architecture("amd64") && !m.sources[0].has_architecture("arm64"));
        assert!(m.sources[1].has_architecture("arm64"));
        let m = with(
            "\"follow_dependencies\": false}",
            "\"follow_dependencies\": false, \"suite\": \"bookworm-updates\"}",
        )
        .unwrap();
        assert_eq!(m.sets["static"].suite.as_deref(), Some("bookworm-updates"));
        // Every architecture needs a source.
        let text = MANIFEST.replace(
            "\"components\": [\"main\"]}",
            "\"components\": [\"main\"], \"architectures\": [\"amd64\"]}",
        );
        let err = Manifest::parse(text.as_bytes(), "m.json").unwrap_err();
        assert_eq!(
            err.to_string(),
            "m.json: architectures: no source has arm64 (see the sources' architectures)"
        );
    }

    #[test]
    fn rejects_bad_manifests_naming_the_field() {
        for (from, to, message) in [
            (
                "\"keyring\"",
                "\"keyrings\"",
                "m.json: unknown field `keyrings`, expected one of",
            ),
            (
                "\"debian12\"",
                "\"debian-12\"",
                "m.json: distribution: \"debian-12\" must be letters, digits and _",
            ),
            (
                "\"20251115T000000Z\"",
                "\"2025-11-15\"",
                "m.json: snapshot: \"2025-11-15\" is not \"auto\", \"none\" or a timestamp like \
                 20251115T000000Z",
            ),
            (
                "https://deb.debian.org/debian\"",
                "ftp://deb.debian.org/debian\"",
                "m.json: sources (ftp://deb.debian.org/debian): the URL must be http(s)",
            ),
            (
                "\"suites\": [\"bookworm-security\"]",
                "\"mirrors\": [\"https://m.example/debian/\"], \"suites\": [\"bookworm-security\"]",
                "m.json: sources (https://deb.debian.org/debian-security): mirror \
                 https://m.example/debian/: the URL must be an archive root without a trailing slash",
            ),
            (
                "[\"amd64\", \"arm64\"]",
                "[\"amd64\", \"amd64\"]",
                "m.json: architectures: amd64 appears twice",
            ),
            (
                "\"libssl3 (>= 3.0)\"",
                "\"libssl3 (>= 3.0\"",
                "m.json: set base: cannot parse relationship \"libssl3 (>= 3.0\": unclosed '('",
            ),
            ("[\"base-files\"]", "[]", "m.json: sets.static: no package"),
            (
                ", \"follow_dependencies\": false",
                "",
                "m.json: missing field `follow_dependencies`",
            ),
            (
                "\"suites\": [\"bookworm-security\"]",
                "\"suites\": [\"bookworm-security\"], \"architectures\": [\"riscv64\"]",
                "m.json: sources (https://deb.debian.org/debian-security): architectures: riscv64 \
                 is not one of the manifest's architectures (amd64, arm64)",
            ),
            (
                "\"suites\": [\"bookworm-security\"]",
                "\"suites\": [\"bookworm-security\"], \"architectures\": []",
                "m.json: sources (https://deb.debian.org/debian-security): architectures: empty",
            ),
            (
                "\"follow_dependencies\": false}",
                "\"follow_dependencies\": false, \"suite\": \"trixie\"}",
                "m.json: sets.static.suite: trixie is not a suite of the sources",
            ),
            (
                "\"suites\": [\"bookworm-security\"]",
                "\"suites\": [\"security/\"]",
                "m.json: sources (https://deb.debian.org/debian-security): suite security/ is a \
                 flat repository's directory: it takes no components",
            ),
            (
                "https://deb.debian.org/debian-security",
                "https://u:p@deb.debian.org/debian-security",
                "m.json: sources (https://u:p@deb.debian.org/debian-security): a URL has no \
                 user:password@",
            ),
        ] {
            let err = with(from, to).unwrap_err().to_string();
            assert!(err.starts_with(message), "{err}");
        }
    }
}
