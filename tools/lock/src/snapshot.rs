//! snapshot.debian.org URLs: Debian's archive at any past time, as
//! `https://snapshot.debian.org/archive/<archive>/<YYYYMMDDTHHMMSSZ>/<path>`, which serves the
//! last import of `<archive>` at or before that time. A lock names, for each package, the
//! snapshot that follows the Release it was locked from, so that the file stays downloadable
//! after Debian removes it from the pool.

/// Where snapshot.debian.org serves each archive's past states, by timestamp.
pub const ROOT: &str = "https://snapshot.debian.org/archive/";

/// The archives snapshot.debian.org keeps that a source's URL may end in.
pub const ARCHIVES: [&str; 4] = ["debian", "debian-security", "debian-ports", "debian-debug"];

/// How long after a Release's Date its snapshot is named. snapshot.debian.org imports the
/// archive about every 6 hours; the import at or before the Release's Date may predate the
/// Release (and lack the files it added). 12 hours later, at least one import (two, normally)
/// has seen that Release, and none can have lost a file it lists: dak deletes a pool file
/// only once no Release lists it, and some time after that.
pub const DELAY_SECONDS: i64 = 12 * 3600;

/// The timestamp for a suite whose Release is dated `release_date` (seconds since the epoch):
/// [`DELAY_SECONDS`] later, as `20251115T210414Z`.
pub fn timestamp_after(release_date: i64) -> String {
    crate::date::format_compact(release_date + DELAY_SECONDS)
}

/// `YYYYMMDDTHHMMSSZ`, as snapshot.debian.org names its states.
pub fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
}

/// `https://snapshot.debian.org/archive/<archive>/<timestamp>` of a snapshot.debian.org URL
/// below it, or none for any other URL.
pub fn root_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix(ROOT)?;
    let mut parts = rest.splitn(3, '/');
    let archive = parts.next()?;
    let timestamp = parts.next()?;
    parts.next()?;
    (!archive.is_empty() && is_timestamp(timestamp))
        .then(|| &url[..ROOT.len() + archive.len() + 1 + timestamp.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_roots() {
        // Sat, 15 Nov 2025 09:04:14 UTC.
        assert_eq!(timestamp_after(1_763_197_454), "20251115T210414Z");
        // Across a month's end.
        assert_eq!(timestamp_after(1_764_536_400), "20251201T090000Z");
        assert!(is_timestamp("20251115T210414Z"));
        for bad in [
            "20251115T210414",
            "2025-11-15T21:04",
            "20251115X210414Z",
            "",
        ] {
            assert!(!is_timestamp(bad), "{bad}");
        }
        assert_eq!(
            root_of(
                "https://snapshot.debian.org/archive/debian-security/20251115T210414Z/pool/a.deb"
            ),
            Some("https://snapshot.debian.org/archive/debian-security/20251115T210414Z")
        );
        for other in [
            "https://deb.debian.org/debian/pool/a.deb",
            "https://snapshot.debian.org/archive/debian/latest/pool/a.deb",
            "https://snapshot.debian.org/archive/debian/20251115T210414Z",
        ] {
            assert_eq!(root_of(other), None, "{other}");
        }
    }
}
