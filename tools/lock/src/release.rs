//! `InRelease`: the OpenPGP-signed list of a suite's index files with their SHA256 sums.

use std::collections::HashMap;

use pgp::composed::cleartext::CleartextSignedMessage;
use pgp::composed::{Deserializable, SignedPublicKey};

use crate::Error;

/// The parts of a suite's Release that locking needs.
#[derive(Debug, Clone)]
pub struct Release {
    /// Seconds since the epoch.
    pub date: Option<i64>,
    pub valid_until: Option<i64>,
    /// The architectures the suite has indexes for (`Architectures:`).
    pub architectures: Vec<String>,
    /// Path (e.g. `main/binary-amd64/Packages.xz`) -> (size, sha256 hex).
    pub sha256: HashMap<String, (u64, String)>,
}

/// Public keys from ASCII-armoured text holding one or more key blocks. The keyring is
/// trusted data from the repository; the keys carry third-party certifications whose issuers
/// are not in it, so only parsing is required here.
pub fn read_keyring(armored: &str, origin: &str) -> Result<Vec<SignedPublicKey>, Error> {
    const BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
    let mut keys = Vec::new();
    for block in armored.split(BEGIN).skip(1) {
        let (key, _) = SignedPublicKey::from_string(&format!("{BEGIN}{block}"))
            .map_err(|e| Error::Release(format!("{origin}: key {}: {e}", keys.len() + 1)))?;
        keys.push(key);
    }
    if keys.is_empty() {
        return Err(Error::Release(format!("{origin}: no public key")));
    }
    Ok(keys)
}

/// Verifies a cleartext-signed `InRelease` against `keys` (primary keys and their signing
/// subkeys); returns the signed text.
pub fn verify_inrelease(
    text: &str,
    keys: &[SignedPublicKey],
    origin: &str,
) -> Result<String, Error> {
    let (message, _) = CleartextSignedMessage::from_string(text)
        .map_err(|e| Error::Release(format!("{origin}: not a signed InRelease: {e}")))?;
    let verified = keys.iter().any(|key| {
        message.verify(key).is_ok()
            || key
                .public_subkeys
                .iter()
                .any(|sub| message.verify(&sub.key).is_ok())
    });
    if !verified {
        return Err(Error::Release(format!(
            "{origin}: no signature verifies with a key of the keyring"
        )));
    }
    Ok(message.text().to_string())
}

/// Parses the signed Release text.
pub fn parse_release(text: &str, origin: &str) -> Result<Release, Error> {
    let mut release = Release {
        date: None,
        valid_until: None,
        architectures: Vec::new(),
        sha256: HashMap::new(),
    };
    let mut in_sha256 = false;
    for line in text.lines() {
        if let Some(entry) = line.strip_prefix(' ') {
            if in_sha256 {
                let fields: Vec<&str> = entry.split_whitespace().collect();
                let [sum, size, path] = fields.as_slice() else {
                    return Err(Error::Release(format!(
                        "{origin}: bad SHA256 line {line:?}"
                    )));
                };
                let size = size
                    .parse()
                    .map_err(|_| Error::Release(format!("{origin}: bad size in {line:?}")))?;
                release
                    .sha256
                    .insert(path.to_string(), (size, sum.to_string()));
            }
            continue;
        }
        in_sha256 = false;
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.trim();
        match field {
            "SHA256" => in_sha256 = true,
            "Architectures" => {
                release.architectures = value.split_whitespace().map(str::to_string).collect()
            }
            "Date" => {
                release.date = Some(
                    parse_date(value)
                        .ok_or_else(|| Error::Release(format!("{origin}: bad Date {value:?}")))?,
                )
            }
            "Valid-Until" => {
                release.valid_until = Some(parse_date(value).ok_or_else(|| {
                    Error::Release(format!("{origin}: bad Valid-Until {value:?}"))
                })?)
            }
            _ => {}
        }
    }
    if release.sha256.is_empty() {
        return Err(Error::Release(format!("{origin}: no SHA256 file list")));
    }
    Ok(release)
}

impl Release {
    /// Refuses a Release whose Valid-Until lies before `now` (seconds since the epoch).
    pub fn check_valid(&self, now: i64, origin: &str) -> Result<(), Error> {
        match self.valid_until {
            Some(until) if until < now => Err(Error::Release(format!(
                "{origin}: expired: Valid-Until {} is in the past (replayed or stale mirror?)",
                format_date(until)
            ))),
            _ => Ok(()),
        }
    }

    /// Checks downloaded bytes of `path` against the signed size and SHA256.
    pub fn check_file(&self, path: &str, bytes: &[u8], origin: &str) -> Result<(), Error> {
        use sha2::Digest;
        let (size, sum) = self.sha256.get(path).ok_or_else(|| {
            Error::Release(format!("{origin}: {path} is not listed in the Release"))
        })?;
        let got = hex::encode(sha2::Sha256::digest(bytes));
        if bytes.len() as u64 != *size || &got != sum {
            return Err(Error::Release(format!(
                "{origin}: {path}: {} bytes with sha256 {got}, but the signed Release says {size} bytes with {sum}",
                bytes.len()
            )));
        }
        Ok(())
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Sat, 15 Nov 2025 09:04:14 UTC` (RFC 2822, UTC or +0000) to seconds since the epoch.
pub fn parse_date(text: &str) -> Option<i64> {
    let rest = text.split_once(", ").map_or(text, |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let [day, month, year, time, zone] = fields.as_slice() else {
        return None;
    };
    if !matches!(*zone, "UTC" | "GMT" | "+0000" | "Z") {
        return None;
    }
    let day: i64 = day.parse().ok()?;
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let year: i64 = year.parse().ok()?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    Some(days_from_civil(year, month, day) * 86400 + h * 3600 + m * 60 + s)
}

fn format_date(epoch: i64) -> String {
    let days = epoch.div_euclid(86400);
    let secs = epoch.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release_dates() {
        assert_eq!(parse_date("Thu, 01 Jan 1970 00:00:00 UTC"), Some(0));
        assert_eq!(
            parse_date("Sat, 15 Nov 2025 09:04:14 UTC"),
            Some(1763197454)
        );
        assert_eq!(format_date(1763197454), "2025-11-15 09:04:14 UTC");
        assert_eq!(parse_date("15 Nov 2025 09:04:14 +0200"), None);
    }

    #[test]
    fn parses_sha256_list_and_checks_files() {
        let text = "Origin: Debian\nDate: Sat, 15 Nov 2025 09:04:14 UTC\nValid-Until: Sat, 22 Nov 2025 09:04:14 UTC\nMD5Sum:\n 00 3 main/x\nSHA256:\n ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 3 main/binary-amd64/Packages.xz\n";
        let r = parse_release(text, "test").unwrap();
        assert!(r
            .check_file("main/binary-amd64/Packages.xz", b"abc", "test")
            .is_ok());
        assert!(r
            .check_file("main/binary-amd64/Packages.xz", b"abd", "test")
            .is_err());
        assert!(r.check_file("main/x", b"abc", "test").is_err());
        assert!(r.check_valid(1763197454, "test").is_ok());
        assert_eq!(
            r.check_valid(1763197454 + 8 * 86400, "bookworm-security").unwrap_err().to_string(),
            "bookworm-security: expired: Valid-Until 2025-11-22 09:04:14 UTC is in the past (replayed or stale mirror?)"
        );
    }
}
