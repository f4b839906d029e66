//! Real InRelease files (bookworm and bookworm-security, as fetched from the mirror and kept
//! in testdata/) against the committed Debian keyring: gpgv accepts both; so must we, and a
//! one-byte change must fail.

use debimage_lock::release::{parse_release, read_keyring, verify_inrelease};

fn testdata(name: &str) -> String {
    let dir = std::env::var("LOCK_TESTDATA")
        .unwrap_or_else(|_| format!("{}/testdata", env!("CARGO_MANIFEST_DIR")));
    std::fs::read_to_string(format!("{dir}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn keys() -> Vec<pgp::composed::SignedPublicKey> {
    let path = std::env::var("DEBIAN_KEYRING").unwrap_or_else(|_| {
        format!(
            "{}/../../debian/keyring/debian-archive-keys.asc",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let keys = read_keyring(&text, &path).expect("keyring");
    assert_eq!(keys.len(), 8);
    keys
}

#[test]
fn real_inrelease_files_verify() {
    let keys = keys();
    for name in ["bookworm.InRelease", "bookworm-security.InRelease"] {
        let signed = verify_inrelease(&testdata(name), &keys, name).expect(name);
        let release = parse_release(&signed, name).expect(name);
        assert!(
            release.sha256.contains_key("main/binary-amd64/Packages.xz"),
            "{name}"
        );
        assert!(release.architectures.iter().any(|a| a == "arm64"), "{name}");
    }
}

#[test]
fn tampered_inrelease_fails() {
    let keys = keys();
    let text = testdata("bookworm.InRelease");
    // Change one digit of the first SHA256 entry's checksum.
    let at = text.find("SHA256:\n ").expect("SHA256 section") + 9;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(bytes).expect("utf-8");
    let err = verify_inrelease(&tampered, &keys, "bookworm").unwrap_err();
    assert_eq!(
        err.to_string(),
        "bookworm: no signature verifies with a key of the keyring"
    );
}

#[test]
fn expired_valid_until_is_refused() {
    let keys = keys();
    let signed = verify_inrelease(&testdata("bookworm-security.InRelease"), &keys, "security")
        .expect("verify");
    let release = parse_release(&signed, "security").expect("parse");
    let until = release
        .valid_until
        .expect("bookworm-security has Valid-Until");
    assert!(release.check_valid(until - 1, "security").is_ok());
    let err = release.check_valid(until + 1, "security").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("security: expired: Valid-Until "),
        "{err}"
    );
}

#[test]
fn a_key_that_did_not_sign_is_not_enough() {
    // Only the security archive keys (bullseye, bookworm, trixie): they do not sign bookworm.
    let text = std::fs::read_to_string(format!(
        "{}/../../debian/keyring/debian-archive-keys.asc",
        env!("CARGO_MANIFEST_DIR")
    ))
    .or_else(|_| std::fs::read_to_string(std::env::var("DEBIAN_KEYRING").unwrap_or_default()))
    .expect("keyring");
    let blocks: Vec<&str> = text
        .split("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        .skip(1)
        .collect();
    let security: String = [1, 3, 6]
        .iter()
        .map(|&i| format!("-----BEGIN PGP PUBLIC KEY BLOCK-----{}", blocks[i]))
        .collect();
    let keys = read_keyring(&security, "security keys").expect("keys");
    assert!(verify_inrelease(&testdata("bookworm.InRelease"), &keys, "bookworm").is_err());
}
