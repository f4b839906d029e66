//! `Release`: a suite's list of index files with their sizes and SHA256 sums, parsed from the
//! signed text of its `InRelease` (verified by [`crate::openpgp`]); `Date` and `Valid-Until`
//! are checked against a given time; downloaded index files are checked against the signed
//! list before they are read.

use std::collections::BTreeMap;

use sha2::Digest;

use crate::date::{format_utc, parse_rfc2822, DateError};

/// How far (seconds) a Release's `Date` may lie after the local clock: apt refuses a Release
/// whose Date is in the future ("not valid yet"); a few minutes absorb unsynchronised clocks.
pub const MAX_CLOCK_SKEW: i64 = 600;

/// What is wrong with a Release or a file it lists. `origin` names the InRelease URL.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("{origin}: {field}: {error}")]
    Date {
        origin: String,
        field: &'static str,
        error: DateError,
    },
    #[error("{origin}: SHA256 entry {line:?}: {problem}")]
    BadEntry {
        origin: String,
        line: String,
        problem: &'static str,
    },
    #[error("{origin}: no SHA256 file list")]
    NoFiles { origin: String },
    #[error("{origin}: this is the Release of {found}, not of {wanted} (wrong suite served?)")]
    WrongSuite {
        origin: String,
        wanted: String,
        found: String,
    },
    #[error(
        "{origin}: expired: Valid-Until {valid_until} is before now ({now}); a stale mirror or a \
         replayed Release (--ignore-valid-until reproduces old locks)"
    )]
    Expired {
        origin: String,
        valid_until: String,
        now: String,
    },
    #[error(
        "{origin}: not valid yet: Date {date} is after now ({now}) by more than the {MAX_CLOCK_SKEW} \
         s allowed for clock skew; this machine's clock or the mirror's is wrong, or the Release \
         is forged"
    )]
    InFuture {
        origin: String,
        date: String,
        now: String,
    },
    #[error("{origin}: {path} is not in the signed SHA256 list")]
    NotListed { origin: String, path: String },
    #[error(
        "{origin}: {path}: downloaded {got_size} bytes with sha256 {got_sha256}, but the signed \
         Release lists {size} bytes with sha256 {sha256}"
    )]
    Mismatch {
        origin: String,
        path: String,
        got_size: u64,
        got_sha256: String,
        size: u64,
        sha256: String,
    },
}

/// A file listed in the Release: its size and SHA256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub size: u64,
    pub sha256: String,
}

/// The parts of a (verified) Release that locking needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub suite: String,
    pub codename: String,
    /// Seconds since the epoch.
    pub date: Option<i64>,
    pub valid_until: Option<i64>,
    /// `Architectures:`: the suite has indexes for these (plus `all`).
    pub architectures: Vec<String>,
    pub components: Vec<String>,
    /// `Acquire-By-Hash: yes`: files are also under `by-hash/SHA256/<sum>`.
    pub acquire_by_hash: bool,
    /// `NotAutomatic: yes` (backports, experimental): apt installs its packages only when
    /// asked to take them from this suite.
    pub not_automatic: bool,
    /// Path (e.g. `main/binary-amd64/Packages.xz`) to size and SHA256.
    pub files: BTreeMap<String, FileEntry>,
}

impl Release {
    /// Parses Release text (the signed text of an InRelease); `origin` names it.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ReleaseError> {
        let mut release = Release {
            suite: String::new(),
            codename: String::new(),
            date: None,
            valid_until: None,
            architectures: Vec::new(),
            components: Vec::new(),
            acquire_by_hash: false,
            not_automatic: false,
            files: BTreeMap::new(),
        };
        let date = |field, value: &str| {
            parse_rfc2822(value).map_err(|error| ReleaseError::Date {
                origin: origin.to_string(),
                field,
                error,
            })
        };
        let mut in_sha256 = false;
        for line in text.lines() {
            if line.starts_with([' ', '\t']) {
                if in_sha256 {
                    let bad = |problem| ReleaseError::BadEntry {
                        origin: origin.to_string(),
                        line: line.trim().to_string(),
                        problem,
                    };
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    let [sum, size, path] = fields.as_slice() else {
                        return Err(bad("expected \"sha256 size path\""));
                    };
                    if sum.len() != 64 || !sum.bytes().all(|c| c.is_ascii_hexdigit()) {
                        return Err(bad("bad sha256"));
                    }
                    let size = size.parse().map_err(|_| bad("bad size"))?;
                    release.files.insert(
                        path.to_string(),
                        FileEntry {
                            size,
                            sha256: sum.to_ascii_lowercase(),
                        },
                    );
                }
                continue;
            }
            in_sha256 = false;
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.trim();
            let words = || value.split_whitespace().map(str::to_string).collect();
            match field {
                "SHA256" => in_sha256 = true,
                "Suite" => release.suite = value.to_string(),
                "Codename" => release.codename = value.to_string(),
                "Architectures" => release.architectures = words(),
                "Components" => release.components = words(),
                "Acquire-By-Hash" => release.acquire_by_hash = value == "yes",
                "NotAutomatic" => release.not_automatic = value == "yes",
                "Date" => release.date = Some(date("Date", value)?),
                "Valid-Until" => release.valid_until = Some(date("Valid-Until", value)?),
                _ => {}
            }
        }
        if release.files.is_empty() {
            return Err(ReleaseError::NoFiles {
                origin: origin.to_string(),
            });
        }
        Ok(release)
    }

    /// Refuses a Release that is not of `suite` (by its `Suite` or `Codename`), as apt does.
    pub fn check_suite(&self, suite: &str, origin: &str) -> Result<(), ReleaseError> {
        if self.suite == suite || self.codename == suite {
            return Ok(());
        }
        Err(ReleaseError::WrongSuite {
            origin: origin.to_string(),
            wanted: suite.to_string(),
            found: format!("{} ({})", self.codename, self.suite),
        })
    }

    /// Refuses a Release whose Valid-Until lies before `now` (seconds since the epoch).
    pub fn check_valid_until(&self, now: i64, origin: &str) -> Result<(), ReleaseError> {
        match self.valid_until {
            Some(until) if until < now => Err(ReleaseError::Expired {
                origin: origin.to_string(),
                valid_until: format_utc(until),
                now: format_utc(now),
            }),
            _ => Ok(()),
        }
    }

    /// Refuses a Release dated more than [`MAX_CLOCK_SKEW`] after `now`.
    pub fn check_date(&self, now: i64, origin: &str) -> Result<(), ReleaseError> {
        match self.date {
            Some(date) if date > now.saturating_add(MAX_CLOCK_SKEW) => {
                Err(ReleaseError::InFuture {
                    origin: origin.to_string(),
                    date: format_utc(date),
                    now: format_utc(now),
                })
            }
            _ => Ok(()),
        }
    }

    /// The signed size and SHA256 of `path` (e.g. `main/binary-amd64/Packages.xz`).
    pub fn entry(&self, path: &str, origin: &str) -> Result<&FileEntry, ReleaseError> {
        self.files.get(path).ok_or_else(|| ReleaseError::NotListed {
            origin: origin.to_string(),
            path: path.to_string(),
        })
    }

    /// Checks downloaded bytes of `path` against the signed size and SHA256.
    pub fn check_file(&self, path: &str, bytes: &[u8], origin: &str) -> Result<(), ReleaseError> {
        let entry = self.entry(path, origin)?;
        let got_size = bytes.len() as u64;
        let got_sha256 = hex::encode(sha2::Sha256::digest(bytes));
        if got_size != entry.size || got_sha256 != entry.sha256 {
            return Err(ReleaseError::Mismatch {
                origin: origin.to_string(),
                path: path.to_string(),
                got_size,
                got_sha256,
                size: entry.size,
                sha256: entry.sha256.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn release() -> Release {
        let text = format!(
            "Origin: Debian\nSuite: oldstable-security\nCodename: bookworm-security\n\
             Date: Sat, 15 Nov 2025 09:04:14 UTC\nValid-Until: Sat, 22 Nov 2025 09:04:14 UTC\n\
             Acquire-By-Hash: yes\nArchitectures: amd64 arm64\nComponents: main\nMD5Sum:\n \
             900150983cd24fb0d6963f7d28e17f72 3 main/x\nSHA256:\n {ABC}     3 \
             main/binary-amd64/Packages.xz\n {ABC} 4 main/y\n"
        );
        Release::parse(&text, "test").unwrap()
    }

    #[test]
    fn parses_fields_and_the_sha256_list() {
        let r = release();
        assert_eq!(
            (r.suite.as_str(), r.codename.as_str()),
            ("oldstable-security", "bookworm-security")
        );
        assert_eq!(r.date, Some(1_763_197_454));
        assert_eq!(r.valid_until, Some(1_763_197_454 + 7 * 86400));
        assert_eq!(r.architectures, ["amd64", "arm64"]);
        assert!(r.acquire_by_hash);
        assert_eq!(r.files.len(), 2, "MD5Sum entries are not SHA256 entries");
        assert_eq!(
            r.entry("main/binary-amd64/Packages.xz", "test").unwrap(),
            &FileEntry {
                size: 3,
                sha256: ABC.into()
            }
        );
        assert!(r.check_suite("bookworm-security", "t").is_ok());
        assert!(r.check_suite("oldstable-security", "t").is_ok());
        assert_eq!(
            r.check_suite("bookworm", "u").unwrap_err().to_string(),
            "u: this is the Release of bookworm-security (oldstable-security), not of bookworm \
             (wrong suite served?)"
        );
    }

    #[test]
    fn checks_files_against_the_signed_list() {
        let r = release();
        let path = "main/binary-amd64/Packages.xz";
        assert!(r.check_file(path, b"abc", "u").is_ok());
        assert_eq!(
            r.check_file(path, b"abd", "u").unwrap_err().to_string(),
            format!(
                "u: {path}: downloaded 3 bytes with sha256 \
                 a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9, but the \
                 signed Release lists 3 bytes with sha256 {ABC}"
            )
        );
        assert!(r.check_file(path, b"abcd", "u").is_err());
        assert_eq!(
            r.check_file("main/binary-s390x/Packages.xz", b"abc", "u")
                .unwrap_err()
                .to_string(),
            "u: main/binary-s390x/Packages.xz is not in the signed SHA256 list"
        );
    }

    #[test]
    fn valid_until() {
        let r = release();
        let until = 1_763_197_454 + 7 * 86400;
        assert!(r.check_valid_until(until, "u").is_ok());
        assert_eq!(
            r.check_valid_until(until + 1, "u").unwrap_err().to_string(),
            "u: expired: Valid-Until 2025-11-22 09:04:14 UTC is before now (2025-11-22 09:04:15 \
             UTC); a stale mirror or a replayed Release (--ignore-valid-until reproduces old \
             locks)"
        );
    }

    #[test]
    fn a_date_in_the_future_is_refused() {
        let r = release();
        let date = 1_763_197_454;
        assert!(r.check_date(date, "u").is_ok());
        assert!(r.check_date(date - MAX_CLOCK_SKEW, "u").is_ok());
        assert_eq!(
            r.check_date(date - MAX_CLOCK_SKEW - 1, "u")
                .unwrap_err()
                .to_string(),
            "u: not valid yet: Date 2025-11-15 09:04:14 UTC is after now (2025-11-15 08:54:13 \
             UTC) by more than the 600 s allowed for clock skew; this machine's clock or the \
             mirror's is wrong, or the Release is forged"
        );
        let year_2050 = Release::parse(
            "Date: Sat, 01 Jan 2050 00:00:00 UTC\nSHA256:\n {ABC} 3 main/x\n"
                .replace("{ABC}", ABC)
                .as_str(),
            "u",
        )
        .unwrap();
        assert!(year_2050.check_date(date, "u").is_err());
    }

    #[test]
    fn malformed_releases() {
        let err = Release::parse("Date: yesterday\nSHA256:\n", "u").unwrap_err();
        assert_eq!(
            err.to_string(),
            "u: Date: bad date \"yesterday\": expected \"DD Mon YYYY HH:MM:SS ZONE\""
        );
        let err = Release::parse("SHA256:\n xyz 3 main/x\n", "u").unwrap_err();
        assert_eq!(
            err.to_string(),
            "u: SHA256 entry \"xyz 3 main/x\": bad sha256"
        );
        let err = Release::parse("Origin: Debian\n", "u").unwrap_err();
        assert_eq!(err.to_string(), "u: no SHA256 file list");
    }
}
