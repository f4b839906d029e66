//! Debian version ordering (Debian Policy 5.6.12): `[epoch:]upstream[-revision]`, compared
//! part by part; within a part, non-digit runs compare character by character with `~` before
//! everything (even the end of the part), then letters, then other characters; digit runs
//! compare numerically.

use std::cmp::Ordering;

/// Compares two Debian versions. Malformed versions are compared as well as they can be (an
/// epoch that is not a number counts as part of the upstream version), never rejected: the
/// archive's own indexes are the input.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| compare_part(ua, ub))
        .then_with(|| compare_part(ra, rb))
}

/// `(epoch, upstream, revision)`; the revision follows the last `-`.
fn split(v: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit()) => {
            (e.parse().unwrap_or(u64::MAX), rest)
        }
        _ => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((upstream, revision)) => (epoch, upstream, revision),
        None => (epoch, rest, ""),
    }
}

/// dpkg's `order()`: the weight of one character of a non-digit run (`None`: the run ended).
fn order(c: Option<u8>) -> i32 {
    match c {
        Some(b'~') => -1,
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        // Non-digit prefix, character by character.
        loop {
            let ca = a.first().copied().filter(|c| !c.is_ascii_digit());
            let cb = b.first().copied().filter(|c| !c.is_ascii_digit());
            if ca.is_none() && cb.is_none() {
                break;
            }
            let (oa, ob) = (order(ca), order(cb));
            if oa != ob {
                return oa.cmp(&ob);
            }
            a = &a[usize::from(ca.is_some())..];
            b = &b[usize::from(cb.is_some())..];
        }
        // Digit run, numerically (leading zeros ignored, any length).
        let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
        let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let na = trim_zeros(&a[..da]);
        let nb = trim_zeros(&b[..db]);
        let by_value = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
        if by_value != Ordering::Equal {
            return by_value;
        }
        a = &a[da..];
        b = &b[db..];
    }
    Ordering::Equal
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn known_pairs() {
        let cases = [
            // The examples of the brief / Policy.
            ("1.0~rc1", "1.0", Less),
            ("1:0.9", "2.0", Greater),
            ("2.36-9+deb12u4", "2.36-9+deb12u10", Less),
            ("1.0-1", "1.0-1+b1", Less),
            ("a", "b", Less),
            ("1.0a", "1.0+", Less),
            // Tilde sorts before everything, even the end of the string.
            ("1.0~~", "1.0~~a", Less),
            ("1.0~~a", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0~beta1~svn1245", "1.0~beta1", Less),
            ("1.0-1~bpo1", "1.0-1", Less),
            ("3.0.11-1~deb12u2", "3.0.11-1", Less),
            ("3.0.11-1~deb12u1", "3.0.11-1~deb12u2", Less),
            // Letters before non-letters, the end of a part before letters.
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0b", Less),
            ("1.0+", "1.0.", Less),
            ("1.0+dfsg", "1.0.1", Less),
            ("1.0Z", "1.0a", Less),
            // Digit runs numerically.
            ("1.2.10", "1.2.9", Greater),
            ("12.4+deb12u15", "12.4+deb12u9", Greater),
            ("1.01", "1.1", Equal),
            ("1.001", "1.1", Equal),
            ("99999999999999999999", "100000000000000000000", Less),
            ("2024a-0+deb12u1", "2025b-0+deb12u1", Less),
            ("2025b-0+deb12u1", "2025b-0+deb12u2", Less),
            // Epochs.
            ("0:1.0", "1.0", Equal),
            ("1:1.0", "2.0", Greater),
            ("2:1.0", "10:0.1", Less),
            ("1:2.30-1", "1:2.30-1", Equal),
            // Revisions: the last hyphen splits; no revision sorts like an empty one.
            ("1.0", "1.0-0", Equal),
            ("1.0-1", "1.0-2", Less),
            ("1.0-1-1", "1.0-1-2", Less),
            ("1.0-10", "1.0-9", Greater),
            ("2.36-9+deb12u14", "2.36-9+deb12u13", Greater),
            ("1.0-1", "1.0.1-1", Less),
            // Identical strings.
            ("1.0", "1.0", Equal),
            ("", "", Equal),
            ("", "0", Equal),
            ("", "~", Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
            assert_eq!(compare(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn sorting_a_list() {
        let mut versions = vec![
            "1.0",
            "1:0.1",
            "1.0~rc1",
            "1.0-1",
            "1.0+b1",
            "1.0a",
            "0.9",
            "1.0~rc1~1",
            "1.0.1",
        ];
        versions.sort_by(|a, b| compare(a, b));
        assert_eq!(
            versions,
            [
                "0.9",
                "1.0~rc1~1",
                "1.0~rc1",
                "1.0",
                "1.0-1",
                "1.0a",
                "1.0+b1",
                "1.0.1",
                "1:0.1"
            ]
        );
    }
}
