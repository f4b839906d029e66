//! Key expiry, revocation and signature times: InRelease files signed by test keys that are
//! good, expired, revoked, bound by expired or revoked subkeys, or signed at impossible times
//! (`testdata/openpgp/generate` makes them with real gpg), judged by us and by gpgv on the same
//! files at the same (real) time. gpgv's verdict is its status line, as apt reads it: only
//! GOODSIG counts; EXPKEYSIG, REVKEYSIG, EXPSIG and ERRSIG are refusals.

use std::io::Read;
use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use debimage_lock::openpgp::{Keyring, SignatureError};
use debimage_lock::release::Release;

/// Each case, gpgv's status for it, and the words our refusal must contain.
const CASES: [(&str, &str, &str); 17] = [
    ("good", "GOODSIG", ""),
    ("good-subkey", "GOODSIG", ""),
    ("good-rsa", "GOODSIG", ""),
    ("extended", "GOODSIG", ""),
    ("expired-and-good", "GOODSIG", ""),
    ("signature-in-future", "GOODSIG", ""),
    ("expired-key", "EXPKEYSIG", "its key expired 2021-01-01"),
    ("expired-subkey", "EXPKEYSIG", "its key expired 2021-01-01"),
    ("expired-primary", "EXPKEYSIG", "its key expired 2021-01-01"),
    ("shortened", "EXPKEYSIG", "its key expired 2021-01-01"),
    ("revoked-key", "REVKEYSIG", "its key is revoked"),
    ("revoked-subkey", "REVKEYSIG", "its key is revoked"),
    ("revoked-primary", "REVKEYSIG", "its key is revoked"),
    (
        "signature-expired",
        "EXPSIG",
        "the signature expired 2020-07-01",
    ),
    (
        "signature-before-key",
        "ERRSIG",
        "made 2021-06-01 00:00:00 UTC by a key created later (2022-01-01 00:00:00 UTC): time \
         conflict",
    ),
    (
        "key-in-future",
        "ERRSIG",
        "its key was created in the future (2090-01-01 00:00:00 UTC): time conflict",
    ),
    (
        "unsigned-by-keyring",
        "ERRSIG",
        "does not verify with any key",
    ),
];

fn fixtures() -> PathBuf {
    std::env::var_os("OPENPGP_TESTDATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/openpgp"),
        PathBuf::from,
    )
}

fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    i64::try_from(secs).expect("clock")
}

fn read(name: &str) -> String {
    let path = fixtures().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn keyring() -> Keyring {
    Keyring::from_armored(&read("keyring.asc"), "keyring.asc").expect("test keyring")
}

/// The InRelease of a case: committed, or (the case with a key not in the keyring) the good one
/// checked against a keyring without its key.
fn inrelease(case: &str) -> String {
    read(&format!(
        "{}.InRelease",
        if case == "unsigned-by-keyring" {
            "good"
        } else {
            case
        }
    ))
}

/// The armoured key blocks of the keyring as one binary keyring for gpgv (byte-exact
/// dearmouring, so gpgv sees the same packets as we do), without the first key for
/// `unsigned-by-keyring`.
fn binary_keyring(case: &str) -> Vec<u8> {
    const BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
    let text = read("keyring.asc");
    let skip = usize::from(case == "unsigned-by-keyring");
    let mut out = Vec::new();
    for block in text.split(BEGIN).skip(1 + skip) {
        let armored = format!("{BEGIN}{block}");
        pgp::armor::Dearmor::new(armored.as_bytes())
            .read_to_end(&mut out)
            .expect("dearmour");
    }
    out
}

fn keyring_for(case: &str) -> Keyring {
    if case != "unsigned-by-keyring" {
        return keyring();
    }
    const BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
    let text = read("keyring.asc");
    let rest: String = text
        .split(BEGIN)
        .skip(2)
        .map(|b| format!("{BEGIN}{b}"))
        .collect();
    Keyring::from_armored(&rest, "keyring.asc without Good").expect("keyring")
}

/// gpgv's status keyword for the signatures of `case` (GOODSIG if any is good, else the first
/// refusal).
fn gpgv_status(case: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let keyring = dir.path().join("keyring.gpg");
    std::fs::write(&keyring, binary_keyring(case)).expect("write keyring");
    let file = dir.path().join("InRelease");
    std::fs::write(&file, inrelease(case)).expect("write InRelease");
    let out = Command::new("gpgv")
        .args(["--status-fd", "1", "--keyring"])
        .arg(&keyring)
        .arg(&file)
        .output()
        .expect("gpgv must be installed (tools/bazel installs it in its chroot)");
    let status = String::from_utf8_lossy(&out.stdout);
    let words: Vec<&str> = status
        .lines()
        .filter_map(|l| l.strip_prefix("[GNUPG:] "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| {
            [
                "GOODSIG",
                "EXPKEYSIG",
                "REVKEYSIG",
                "EXPSIG",
                "BADSIG",
                "ERRSIG",
            ]
            .contains(w)
        })
        .collect();
    if words.contains(&"GOODSIG") {
        "GOODSIG".into()
    } else {
        words.first().map_or("none", |w| w).to_string()
    }
}

#[test]
fn our_verdicts_are_gpgvs() {
    let now = now();
    for (case, status, refusal) in CASES {
        let theirs = gpgv_status(case);
        assert_eq!(
            theirs, status,
            "{case}: gpgv's status (regenerate the fixtures?)"
        );
        let ours = keyring_for(case).verify_inrelease(&inrelease(case), case, now);
        match ours {
            Ok(verified) => {
                assert_eq!(theirs, "GOODSIG", "{case}: we accept what gpgv refuses");
                assert!(!verified.signers.is_empty(), "{case}");
                assert!(
                    verified.text.starts_with("Origin: rules_debimage test\n"),
                    "{case}"
                );
            }
            Err(err) => {
                assert_ne!(
                    theirs, "GOODSIG",
                    "{case}: we refuse what gpgv accepts: {err}"
                );
                assert!(
                    matches!(err, SignatureError::Unverified { .. }),
                    "{case}: {err}"
                );
                let message = err.to_string();
                assert!(message.contains(refusal), "{case}: {message}");
                println!("{case}: {status}; ours: {message}");
            }
        }
    }
}

#[test]
fn the_good_signature_of_two_is_named_and_the_expired_one_reported() {
    let verified = keyring()
        .verify_inrelease(&inrelease("expired-and-good"), "x", now())
        .expect("one good signature");
    let signers: Vec<&str> = verified
        .signers
        .iter()
        .map(|k| k.user_id.as_str())
        .collect();
    assert_eq!(signers, ["Good <good@test>"]);
    assert_eq!(verified.rejected.len(), 1, "{:?}", verified.rejected);
    assert!(
        verified.rejected[0].contains("(Expired <expired@test>): its key expired"),
        "{:?}",
        verified.rejected
    );
}

#[test]
fn validity_is_judged_at_the_given_time() {
    let keyring = keyring();
    let june_2020 = 1_590_969_600 + 86_400; // 2020-06-02, after the 2020-06-01 signatures
                                            // Before it expired, the expired key was good; the revoked one was revoked from the start.
    assert!(keyring
        .verify_inrelease(&inrelease("expired-key"), "x", june_2020)
        .is_ok());
    assert!(keyring
        .verify_inrelease(&inrelease("signature-expired"), "x", june_2020)
        .is_ok());
    let err = keyring
        .verify_inrelease(&inrelease("revoked-key"), "x", june_2020)
        .unwrap_err();
    assert!(err.to_string().contains("its key is revoked"), "{err}");
    // The shortened key: its newest self-signature (2020-06-01) moved its expiry from 2030 to
    // 2021-01-01; in 2020 it is good, in June 2021 expired (not good until 2030).
    let june_2021 = 1_622_505_600;
    assert!(keyring
        .verify_inrelease(&inrelease("shortened"), "x", june_2020 + 60 * 86_400)
        .is_ok());
    let err = keyring
        .verify_inrelease(&inrelease("shortened"), "x", june_2021)
        .unwrap_err();
    assert!(
        err.to_string().contains("its key expired 2021-01-01"),
        "{err}"
    );
}

#[test]
fn a_release_dated_in_the_future_is_refused_after_a_good_signature() {
    // gpgv accepts a signature dated 2090; the Release's own Date (2090) is what is refused.
    let text = inrelease("signature-in-future");
    let verified = keyring()
        .verify_inrelease(&text, "x", now())
        .expect("gpgv accepts it too");
    let release = Release::parse(&verified.text, "x").expect("parse");
    let err = release.check_date(now(), "x").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("x: not valid yet: Date 2090-01-01 00:00:00 UTC is after now"),
        "{err}"
    );
    let good = keyring()
        .verify_inrelease(&inrelease("good"), "x", now())
        .expect("good");
    Release::parse(&good.text, "x")
        .expect("parse")
        .check_date(now(), "x")
        .expect("a Release of 2024 is not in the future");
}
