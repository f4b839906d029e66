//! Real InRelease files (bookworm, bookworm-updates, bookworm-security) against the committed
//! Debian keyring: they verify (and gpgv, when installed, agrees on the signed text); a
//! one-byte change fails; an expired Valid-Until is refused; keys that did not sign are not
//! enough.

mod support;

use std::process::Command;

use debimage_lock::openpgp::{Keyring, SignatureError};
use debimage_lock::release::Release;
use support::{inrelease, keyring, keyring_path, now, DEBIAN, SECURITY};

const SUITES: [(&str, &str); 3] = [
    (DEBIAN, "bookworm"),
    (DEBIAN, "bookworm-updates"),
    (SECURITY, "bookworm-security"),
];

#[test]
fn the_keyring_holds_the_documented_keys() {
    let keys: Vec<(String, String)> = keyring()
        .keys()
        .map(|k| (k.fingerprint.clone(), k.user_id.clone()))
        .collect();
    let readme =
        std::fs::read_to_string(keyring_path().with_file_name("README.md")).unwrap_or_default();
    for (fingerprint, user_id) in &keys {
        assert!(
            readme.is_empty() || readme.contains(fingerprint.as_str()),
            "{fingerprint} ({user_id}) is not in debian/keyring/README.md"
        );
    }
    let names: Vec<&str> = keys
        .iter()
        .map(|(_, u)| u.split(" <").next().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "Debian Archive Automatic Signing Key (11/bullseye)",
            "Debian Security Archive Automatic Signing Key (11/bullseye)",
            "Debian Archive Automatic Signing Key (12/bookworm)",
            "Debian Security Archive Automatic Signing Key (12/bookworm)",
            "Debian Stable Release Key (12/bookworm)",
            "Debian Archive Automatic Signing Key (13/trixie)",
            "Debian Security Archive Automatic Signing Key (13/trixie)",
            "Debian Stable Release Key (13/trixie)",
        ]
    );
}

#[test]
fn real_inrelease_files_verify() {
    let keyring = keyring();
    for (base, suite) in SUITES {
        let verified = keyring
            .verify_inrelease(&inrelease(base, suite), suite, now())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!verified.signers.is_empty());
        let release = Release::parse(&verified.text, suite).expect(suite);
        release.check_suite(suite, suite).expect(suite);
        assert!(release.date.is_some(), "{suite}");
        let entry = release
            .entry("main/binary-amd64/Packages.xz", suite)
            .expect(suite);
        assert!(entry.size > 0, "{suite}");
        assert!(
            release.architectures.iter().any(|a| a == "arm64"),
            "{suite}"
        );
        println!(
            "{suite}: signed by {:?}",
            verified
                .signers
                .iter()
                .map(|k| k.fingerprint.as_str())
                .collect::<Vec<_>>()
        );
    }
}

/// gpgv, with Debian's own keyring, accepts the same files and
/// outputs the same signed text.
#[test]
fn gpgv_agrees() {
    let system = std::path::Path::new("/usr/share/keyrings/debian-archive-keyring.gpg");
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(
        Command::new("gpgv").arg("--version").output().is_ok() && system.exists(),
        "gpgv and debian-archive-keyring must be installed (tools/bazel installs them in its chroot)"
    );
    let keyring = keyring();
    for (base, suite) in SUITES {
        let text = inrelease(base, suite);
        let file = dir.path().join(format!("{suite}.InRelease"));
        std::fs::write(&file, &text).expect("write");
        let out = Command::new("gpgv")
            .arg("--keyring")
            .arg(system)
            .arg("--output")
            .arg("-")
            .arg(&file)
            .output()
            .expect("run gpgv");
        assert!(
            out.status.success(),
            "gpgv rejects {suite}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours = keyring.verify_inrelease(&text, suite, now()).expect(suite);
        let theirs = String::from_utf8_lossy(&out.stdout);
        let first_difference = ours
            .text
            .bytes()
            .zip(theirs.bytes())
            .position(|(a, b)| a != b);
        assert!(
            ours.text == theirs,
            "{suite}: the signed text differs from gpgv's: {} and {} bytes, first difference at \
             {first_difference:?}",
            ours.text.len(),
            theirs.len()
        );
        // Each key gpgv names as a good signer is one of ours that verified.
        let stderr = String::from_utf8_lossy(&out.stderr);
        for signer in &ours.signers {
            let used_by_gpgv = stderr.contains(&signer.fingerprint)
                || signer
                    .signing_subkeys
                    .iter()
                    .any(|s| stderr.contains(s.as_str()));
            assert!(
                used_by_gpgv,
                "{suite}: {} not in gpgv's output {stderr}",
                signer.fingerprint
            );
        }
    }
}

#[test]
fn a_tampered_inrelease_fails() {
    let keyring = keyring();
    let text = inrelease(DEBIAN, "bookworm");
    // Change one byte of the signed text: a digit of the amd64 Packages.xz sha256.
    let line = text
        .lines()
        .find(|l| l.len() > 70 && l.ends_with(" main/binary-amd64/Packages.xz"))
        .expect("the SHA256 entry");
    let at = text.find(line).expect("line") + 10;
    let mut bytes = text.clone().into_bytes();
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    let tampered = String::from_utf8(bytes).expect("utf-8");
    assert_ne!(tampered, text);
    let err = keyring
        .verify_inrelease(&tampered, "bookworm", now())
        .unwrap_err();
    assert!(matches!(err, SignatureError::Unverified { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("bookworm: no good signature by a key of "),
        "{err}"
    );
    // Also a change of the Date line, and text added after the signature.
    let tampered = text.replacen("Date: ", "Date:  ", 1);
    assert!(keyring
        .verify_inrelease(&tampered, "bookworm", now())
        .is_err());
    let appended = format!("{text}Extra: data\n");
    assert!(keyring
        .verify_inrelease(&appended, "bookworm", now())
        .is_err());
}

#[test]
fn an_expired_valid_until_is_refused() {
    let url = "https://deb.debian.org/debian-security/dists/bookworm-security/InRelease";
    let verified = keyring()
        .verify_inrelease(&inrelease(SECURITY, "bookworm-security"), url, now())
        .expect("verify");
    let release = Release::parse(&verified.text, url).expect("parse");
    let until = release
        .valid_until
        .expect("bookworm-security has a Valid-Until");
    assert!(release.check_valid_until(until - 1, url).is_ok());
    let err = release.check_valid_until(until + 1, url).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("{url}: expired: Valid-Until ")),
        "{err}"
    );
}

#[test]
fn keys_that_did_not_sign_are_not_enough() {
    // Only the security archive keys: they do not sign bookworm.
    let text = std::fs::read_to_string(keyring_path()).expect("keyring");
    let blocks: Vec<&str> = text
        .split("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        .skip(1)
        .collect();
    let security: String = [1, 3, 6]
        .iter()
        .map(|&i| format!("-----BEGIN PGP PUBLIC KEY BLOCK-----{}", blocks[i]))
        .collect();
    let keys = Keyring::from_armored(&security, "security keys").expect("keys");
    assert!(keys
        .keys()
        .all(|k| k.user_id.starts_with("Debian Security Archive")));
    let err = keys
        .verify_inrelease(&inrelease(DEBIAN, "bookworm"), "bookworm", now())
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("bookworm: no good signature by a key of security keys (")
            && message.contains("signature 1: does not verify with any key (issuer "),
        "{message}"
    );
}
