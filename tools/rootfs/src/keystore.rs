//! A Java trust store (PKCS#12, as `/etc/ssl/certs/java/cacerts`) from CA certificates: those
//! of the ca-certificates package or any PEM files.
//!
//! Written by hand in DER because the format is small and the bytes must be reproducible: no
//! random salt (it is derived from the contents), certificates in the order given, attributes
//! sorted as DER requires. Each certificate is a `certBag` marked with Oracle's
//! "trusted key usage" attribute, which is what makes Java treat it as a trusted entry; the
//! whole is protected by an HMAC-SHA256 MAC keyed from the store password (RFC 7292).
//!
//! PKCS#12 only, no JKS: every Java since 9 defaults to PKCS#12, Java 8 (8u60 on) reads it
//! through a JKS-typed store too (`keystore.type.compat`), and JKS's integrity check is an
//! unkeyed SHA-1 construction that Oracle itself deprecated.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::der::{bmp_string, integer, octet_string, oid, sequence, set, tlv};
use crate::{CaCertificate, Error};

/// Java's customary trust store password.
pub const DEFAULT_PASSWORD: &str = "changeit";
/// Where Debian's ca-certificates-java puts the store.
pub const KEYSTORE_PATH: &str = "etc/ssl/certs/java/cacerts";
const MAC_ITERATIONS: u32 = 10_000;

const OID_DATA: &str = "1.2.840.113549.1.7.1";
const OID_CERT_BAG: &str = "1.2.840.113549.1.12.10.1.3";
const OID_X509_CERTIFICATE: &str = "1.2.840.113549.1.9.22.1";
const OID_FRIENDLY_NAME: &str = "1.2.840.113549.1.9.20";
const OID_ORACLE_TRUSTED_KEY_USAGE: &str = "2.16.840.1.113894.746875.1.1";
const OID_ANY_EXTENDED_KEY_USAGE: &str = "2.5.29.37.0";
const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";

/// One trusted certificate of a store: its alias (what `keytool -list` shows) and DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedCertificate {
    pub alias: String,
    pub der: Vec<u8>,
}

impl TrustedCertificate {
    /// A certificate of the ca-certificates package, under the alias ca-certificates-java
    /// gives it: `debian:<file name>`.
    pub fn from_ca(cert: &CaCertificate) -> Self {
        let name = cert.path.rsplit('/').next().unwrap_or(&cert.path);
        Self {
            alias: format!("debian:{name}"),
            der: cert.der.clone(),
        }
    }

    /// Every certificate of a PEM file (each parsed as X.509), under the alias `name` when the
    /// file has one, `name#1`, `name#2`, ... when it has several.
    pub fn from_pem(name: &str, data: &[u8]) -> Result<Vec<Self>, Error> {
        let ders = crate::cacerts::parse_pem_certificates(name, data)?;
        let several = ders.len() > 1;
        Ok(ders
            .into_iter()
            .enumerate()
            .map(|(index, der)| Self {
                alias: if several {
                    format!("{name}#{}", index + 1)
                } else {
                    name.to_string()
                },
                der,
            })
            .collect())
    }
}

/// The PKCS#12 trust store of the ca-certificates package's certificates (aliases as
/// [`TrustedCertificate::from_ca`]), in bundle order.
pub fn java_truststore(certificates: &[CaCertificate], password: &str) -> Vec<u8> {
    let trusted: Vec<TrustedCertificate> = certificates
        .iter()
        .map(TrustedCertificate::from_ca)
        .collect();
    encode_truststore(&trusted, password)
}

/// The PKCS#12 trust store of `certificates`, in the order given. Java looks aliases up
/// without regard to case and keeps one entry per alias, so two that differ only in case are
/// refused, as is an empty password (Java reads a store without one as having no MAC).
pub fn pkcs12_truststore(
    certificates: &[TrustedCertificate],
    password: &str,
) -> Result<Vec<u8>, Error> {
    let fail = |message: String| Error::Keystore { message };
    if password.is_empty() {
        return Err(fail("the store password is empty".into()));
    }
    if certificates.is_empty() {
        return Err(fail("no certificates".into()));
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for cert in certificates {
        if let Some(other) = seen.insert(cert.alias.to_lowercase(), &cert.alias) {
            return Err(fail(format!(
                "two certificates under the alias {:?} (and {other:?}); Java would keep only one",
                cert.alias
            )));
        }
    }
    Ok(encode_truststore(certificates, password))
}

fn encode_truststore(certificates: &[TrustedCertificate], password: &str) -> Vec<u8> {
    let bags: Vec<u8> = certificates.iter().flat_map(cert_bag).collect();
    let safe_contents = sequence(&bags);
    let auth_safe = sequence(&content_info_data(&safe_contents));

    let salt = Sha256::digest(&auth_safe)[..16].to_vec();
    let key = pkcs12_kdf(password, &salt, MAC_ITERATIONS);
    let mac = hmac_sha256(&key, &auth_safe);
    let digest_info = sequence(&[algorithm(OID_SHA256), octet_string(&mac)].concat());
    let mac_data = sequence(&[digest_info, octet_string(&salt), integer(MAC_ITERATIONS)].concat());
    sequence(&[integer(3), content_info_data(&auth_safe), mac_data].concat())
}

fn cert_bag(cert: &TrustedCertificate) -> Vec<u8> {
    let bag = sequence(
        &[
            oid(OID_X509_CERTIFICATE),
            tlv(0xa0, &octet_string(&cert.der)),
        ]
        .concat(),
    );
    let mut attributes = [
        attribute(OID_FRIENDLY_NAME, &bmp_string(&cert.alias)),
        attribute(
            OID_ORACLE_TRUSTED_KEY_USAGE,
            &oid(OID_ANY_EXTENDED_KEY_USAGE),
        ),
    ];
    attributes.sort(); // DER: SET OF in ascending order of encodings
    sequence(
        &[
            oid(OID_CERT_BAG),
            tlv(0xa0, &bag),
            set(&attributes.concat()),
        ]
        .concat(),
    )
}

fn content_info_data(content: &[u8]) -> Vec<u8> {
    sequence(&[oid(OID_DATA), tlv(0xa0, &octet_string(content))].concat())
}

fn attribute(id: &str, value: &[u8]) -> Vec<u8> {
    sequence(&[oid(id), set(value)].concat())
}

fn algorithm(id: &str) -> Vec<u8> {
    sequence(&[oid(id), vec![0x05, 0x00]].concat())
}

/// RFC 7292 appendix B.2 key derivation (ID 3: MAC key) with SHA-256, for a 32-byte key.
fn pkcs12_kdf(password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
    const V: usize = 64; // SHA-256 block size
    let mut pass: Vec<u8> = password.encode_utf16().flat_map(u16::to_be_bytes).collect();
    pass.extend([0, 0]);
    let stretch = |s: &[u8]| -> Vec<u8> {
        if s.is_empty() {
            return Vec::new();
        }
        let len = V * s.len().div_ceil(V);
        s.iter().copied().cycle().take(len).collect()
    };
    let input = [stretch(salt), stretch(&pass)].concat();
    let mut a = Sha256::new()
        .chain_update([3u8; V])
        .chain_update(&input)
        .finalize()
        .to_vec();
    for _ in 1..iterations {
        a = Sha256::digest(&a).to_vec();
    }
    a // 32 bytes: one round is enough for an HMAC-SHA256 key
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    block[..key.len().min(64)].copy_from_slice(&key[..key.len().min(64)]);
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A new self-signed certificate from openssl, as PEM.
    fn openssl_certificate(dir: &std::path::Path, subject: &str) -> Vec<u8> {
        let out = dir.join("cert.pem");
        let status = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj"])
            .arg(format!("/CN={subject}"))
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(&out)
            .output()
            .expect("openssl must be installed");
        assert!(status.status.success(), "{status:?}");
        std::fs::read(out).expect("read cert")
    }

    fn keytool_list(store: &std::path::Path, password: &str) -> (bool, String) {
        let out = Command::new("keytool")
            .args([
                "-list",
                "-v",
                "-storetype",
                "PKCS12",
                "-storepass",
                password,
            ])
            .arg("-keystore")
            .arg(store)
            .env("LC_ALL", "C")
            .output()
            .expect("keytool must be installed (a JDK)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    }

    /// Certificates of any PEM files, one or several per file, are trusted entries under
    /// their file's name, and the store opens with the password given and no other.
    #[test]
    fn keytool_reads_pem_certificates_under_their_aliases() {
        let dir = tempfile::tempdir().expect("tempdir");
        let one = openssl_certificate(dir.path(), "rules_debimage test CA one");
        let two = openssl_certificate(dir.path(), "rules_debimage test CA two");
        let mut trusted = TrustedCertificate::from_pem("company-ca.pem", &one).unwrap();
        trusted.extend(
            TrustedCertificate::from_pem("both.pem", &[two, one.clone()].concat()).unwrap(),
        );
        let aliases: Vec<&str> = trusted.iter().map(|t| t.alias.as_str()).collect();
        assert_eq!(aliases, ["company-ca.pem", "both.pem#1", "both.pem#2"]);
        let store = pkcs12_truststore(&trusted, "s3cret pass").unwrap();
        let path = dir.path().join("store.p12");
        std::fs::write(&path, &store).unwrap();

        let (ok, text) = keytool_list(&path, "s3cret pass");
        assert!(ok, "{text}");
        assert!(text.contains("Your keystore contains 3 entries"), "{text}");
        assert_eq!(
            text.matches("Entry type: trustedCertEntry").count(),
            3,
            "{text}"
        );
        for (alias, owner) in [
            ("company-ca.pem", "one"),
            ("both.pem#1", "two"),
            ("both.pem#2", "one"),
        ] {
            let block = format!("Alias name: {alias}\n");
            let at = text
                .find(&block)
                .unwrap_or_else(|| panic!("{alias}: {text}"));
            let owner_line = format!("Owner: CN=rules_debimage test CA {owner}");
            assert!(
                text[at..].trim_start_matches(&block).contains(&owner_line),
                "{text}"
            );
        }
        assert!(
            !keytool_list(&path, DEFAULT_PASSWORD).0,
            "the default password must not open it"
        );
    }

    #[test]
    fn refuses_what_java_would_misread() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pem = openssl_certificate(dir.path(), "rules_debimage test CA");
        let mut trusted = TrustedCertificate::from_pem("Corp.pem", &pem).unwrap();
        assert_eq!(
            pkcs12_truststore(&trusted, "").unwrap_err().to_string(),
            "Java trust store: the store password is empty"
        );
        trusted.extend(TrustedCertificate::from_pem("corp.pem", &pem).unwrap());
        assert_eq!(
            pkcs12_truststore(&trusted, DEFAULT_PASSWORD)
                .unwrap_err()
                .to_string(),
            "Java trust store: two certificates under the alias \"corp.pem\" (and \"Corp.pem\"); \
             Java would keep only one"
        );
        assert!(pkcs12_truststore(&[], DEFAULT_PASSWORD).is_err());
        let key = std::fs::read(dir.path().join("key.pem")).unwrap();
        let err = TrustedCertificate::from_pem("key.pem", &key)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("key.pem: malformed certificate: PEM label is \"PRIVATE KEY\""),
            "{err}"
        );
    }

    /// Java's own keytool reads the store (password checked through the MAC) and sees every
    /// certificate as a trusted entry.
    #[test]
    fn keytool_lists_every_certificate_as_trusted() {
        let deb = std::fs::File::open(testdata::deb("ca-certificates")).expect("open deb");
        let bundle = crate::CaBundle::from_deb(std::io::BufReader::new(deb)).expect("bundle");
        let store = java_truststore(&bundle.certificates, DEFAULT_PASSWORD);
        assert_eq!(
            store,
            java_truststore(&bundle.certificates, DEFAULT_PASSWORD)
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cacerts");
        std::fs::write(&path, &store).expect("write store");

        let list = |password: &str| {
            Command::new("keytool")
                .args([
                    "-list",
                    "-storetype",
                    "PKCS12",
                    "-storepass",
                    password,
                    "-keystore",
                ])
                .arg(&path)
                .env("LC_ALL", "C")
                .output()
                .expect("keytool must be installed (a JDK)")
        };
        let out = list(DEFAULT_PASSWORD);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "keytool: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let trusted = stdout
            .lines()
            .filter(|l| l.contains("trustedCertEntry"))
            .count();
        assert_eq!(trusted, bundle.count(), "{stdout}");
        assert!(
            stdout.contains("debian:isrg_root_x1.crt")
                || stdout.contains("debian:ISRG_Root_X1.crt"),
            "{stdout}"
        );

        let wrong = list("not-the-password");
        assert!(
            !wrong.status.success(),
            "a wrong password must fail the MAC check"
        );
    }
}
