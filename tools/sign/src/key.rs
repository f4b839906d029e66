//! The signing key: an ECDSA P-256 private key in cosign's encrypted format (`cosign
//! generate-key-pair`) or in PEM (SEC1 `EC PRIVATE KEY` or PKCS#8 `PRIVATE KEY`), read from a
//! file or, as cosign's `env://NAME`, from an environment variable.

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use p256::ecdsa::signature::Signer;
use p256::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use thiserror::Error;
pub use zeroize::Zeroizing;

/// PEM labels of cosign's encrypted keys (cosign 2 and later write the first).
const COSIGN_LABELS: [&str; 2] = [
    "ENCRYPTED SIGSTORE PRIVATE KEY",
    "ENCRYPTED COSIGN PRIVATE KEY",
];

/// scrypt memory (128 * r * N bytes) a key may ask for: cosign's own keys need 64 MiB; a
/// crafted key must not make us allocate more than this.
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;

/// A key file larger than this is not a key.
const MAX_KEY_BYTES: usize = 1 << 20;

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("reading the key {what}")]
    Read {
        what: String,
        source: std::io::Error,
    },
    #[error("the key {what}: environment variable {name} is not set")]
    EnvUnset { what: String, name: String },
    #[error("the key {what}: {reason}")]
    Format { what: String, reason: String },
    #[error(
        "the key {what} is encrypted (cosign format): give its password in COSIGN_PASSWORD \
         (empty for none) or with --key-password-file"
    )]
    PasswordNeeded { what: String },
    #[error("the key {what}: wrong password, or the key is damaged (its secretbox does not open)")]
    WrongPassword { what: String },
}

/// Where the key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    File(PathBuf),
    /// cosign's `env://NAME`: the PEM text is the variable's value.
    Env(String),
}

impl KeySource {
    /// `env://NAME` or a path.
    pub fn parse(text: &str) -> KeySource {
        match text.strip_prefix("env://") {
            Some(name) => KeySource::Env(name.to_string()),
            None => KeySource::File(PathBuf::from(text)),
        }
    }

    /// How error messages name it.
    pub fn describe(&self) -> String {
        match self {
            KeySource::File(path) => path.display().to_string(),
            KeySource::Env(name) => format!("env://{name}"),
        }
    }

    pub fn read(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let what = self.describe();
        let bytes = match self {
            KeySource::File(path) => std::fs::read(path).map_err(|source| KeyError::Read {
                what: what.clone(),
                source,
            })?,
            KeySource::Env(name) => std::env::var_os(name)
                .ok_or_else(|| KeyError::EnvUnset {
                    what: what.clone(),
                    name: name.clone(),
                })?
                .into_encoded_bytes(),
        };
        let bytes = Zeroizing::new(bytes);
        if bytes.len() > MAX_KEY_BYTES {
            return Err(KeyError::Format {
                what,
                reason: format!("{} bytes is too large for a key", bytes.len()),
            });
        }
        Ok(bytes)
    }
}

/// An ECDSA P-256 private key, and its public key as cosign names it.
pub struct SigningKey {
    key: p256::ecdsa::SigningKey,
    /// The public key, X.509 SubjectPublicKeyInfo DER.
    public_der: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("hint", &self.hint())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads and decodes the key; `password` opens cosign's encrypted keys.
    pub fn load(source: &KeySource, password: Option<&[u8]>) -> Result<SigningKey, KeyError> {
        let what = source.describe();
        let text = source.read()?;
        SigningKey::from_pem(&text, password, &what)
    }

    /// Decodes a PEM key; `what` names it in errors.
    pub fn from_pem(
        text: &[u8],
        password: Option<&[u8]>,
        what: &str,
    ) -> Result<SigningKey, KeyError> {
        let format = |reason: String| KeyError::Format {
            what: what.to_string(),
            reason,
        };
        let text = std::str::from_utf8(text)
            .map_err(|_| format("not PEM text (it is not UTF-8)".to_string()))?;
        let blocks = pem_blocks(text).map_err(format)?;
        // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key.
        let keys: Vec<&PemBlock> = blocks
            .iter()
            .filter(|b| b.label != "EC PARAMETERS")
            .collect();
        let block = match keys.as_slice() {
            [one] => *one,
            [] => return Err(format("no PEM private key in it".to_string())),
            _ => {
                return Err(format(format!(
                    "{} PEM blocks ({}); expected one private key",
                    keys.len(),
                    keys.iter()
                        .map(|b| b.label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        };
        if block.encrypted_header {
            return Err(format(
                "a legacy OpenSSL-encrypted PEM key (Proc-Type header) is not supported: \
                 convert it with `openssl pkcs8 -topk8 -nocrypt` or `cosign import-key-pair`"
                    .to_string(),
            ));
        }
        let secret = match block.label.as_str() {
            label if COSIGN_LABELS.contains(&label) => {
                let Some(password) = password else {
                    return Err(KeyError::PasswordNeeded {
                        what: what.to_string(),
                    });
                };
                let der = decrypt_cosign(&block.der, password, what)?;
                p256::SecretKey::from_pkcs8_der(&der).map_err(|e| {
                    format(format!("the decrypted key is not a P-256 PKCS#8 key: {e}"))
                })?
            }
            "EC PRIVATE KEY" => p256::SecretKey::from_sec1_der(&block.der).map_err(|_| {
                format("not a P-256 SEC1 private key (only ECDSA P-256 keys sign)".to_string())
            })?,
            "PRIVATE KEY" => p256::SecretKey::from_pkcs8_der(&block.der).map_err(|e| {
                format(format!(
                    "not a P-256 PKCS#8 private key (only ECDSA P-256 keys sign): {e}"
                ))
            })?,
            "ENCRYPTED PRIVATE KEY" => {
                return Err(format(
                    "encrypted PKCS#8 is not supported: use cosign's format (`cosign \
                     import-key-pair --key KEY`) or an unencrypted key"
                        .to_string(),
                ))
            }
            other => {
                return Err(format(format!(
                    "a PEM {other:?} block is not a private key (expected {}, EC PRIVATE KEY \
                     or PRIVATE KEY)",
                    COSIGN_LABELS[0]
                )))
            }
        };
        let public_der = secret
            .public_key()
            .to_public_key_der()
            .map_err(|e| format(format!("encoding its public key: {e}")))?
            .into_vec();
        Ok(SigningKey {
            key: p256::ecdsa::SigningKey::from(secret),
            public_der,
        })
    }

    /// ECDSA P-256 over SHA-256 of `message`, ASN.1 DER, with RFC 6979 deterministic nonces.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: p256::ecdsa::Signature = self.key.sign(message);
        signature.to_der().as_bytes().to_vec()
    }

    /// The public key in PEM (`cosign verify --key` reads it).
    pub fn public_key_pem(&self) -> String {
        self.key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// The public key's DER (SubjectPublicKeyInfo).
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_der
    }

    /// What cosign writes as the bundle's `publicKey.hint`: base64 of the SHA-256 of the DER
    /// public key.
    pub fn hint(&self) -> String {
        BASE64.encode(Sha256::digest(&self.public_der))
    }

    pub fn verifying_key(&self) -> &p256::ecdsa::VerifyingKey {
        self.key.verifying_key()
    }
}

struct PemBlock {
    label: String,
    der: Zeroizing<Vec<u8>>,
    /// RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`): OpenSSL's legacy encryption.
    encrypted_header: bool,
}

/// Every `-----BEGIN X-----` ... `-----END X-----` block; text outside them is ignored.
fn pem_blocks(text: &str) -> Result<Vec<PemBlock>, String> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = line
            .trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = Zeroizing::new(String::new());
        let mut encrypted_header = false;
        let mut closed = false;
        for line in lines.by_ref() {
            let line = line.trim();
            if line == end {
                closed = true;
                break;
            }
            if line.contains(':') {
                encrypted_header |= line.starts_with("Proc-Type:") && line.contains("ENCRYPTED");
                continue;
            }
            body.push_str(line);
        }
        if !closed {
            return Err(format!("the PEM block {label:?} has no {end:?} line"));
        }
        let der = BASE64
            .decode(body.as_bytes())
            .map_err(|e| format!("the PEM block {label:?} is not valid base64: {e}"))?;
        blocks.push(PemBlock {
            label: label.to_string(),
            der: Zeroizing::new(der),
            encrypted_header,
        });
    }
    Ok(blocks)
}

/// cosign's encrypted key (go-securesystemslib's `encrypted` package): JSON naming scrypt's
/// parameters and salt, and a NaCl secretbox holding the PKCS#8 DER key.
#[derive(Deserialize)]
struct CosignKey {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

fn decrypt_cosign(
    json: &[u8],
    password: &[u8],
    what: &str,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let format = |reason: String| KeyError::Format {
        what: what.to_string(),
        reason,
    };
    let key: CosignKey = serde_json::from_slice(json)
        .map_err(|e| format(format!("not cosign's encrypted key JSON: {e}")))?;
    if key.kdf.name != "scrypt" {
        return Err(format(format!(
            "key derivation {:?} (only scrypt)",
            key.kdf.name
        )));
    }
    if key.cipher.name != "nacl/secretbox" {
        return Err(format(format!(
            "cipher {:?} (only nacl/secretbox)",
            key.cipher.name
        )));
    }
    let ScryptParams { n, r, p } = key.kdf.params;
    if !n.is_power_of_two() || n < 2 {
        return Err(format(format!("scrypt N={n} is not a power of two")));
    }
    let memory = 128u64.saturating_mul(u64::from(r)).saturating_mul(n);
    if memory > MAX_SCRYPT_MEMORY || p > 16 {
        return Err(format(format!(
            "scrypt N={n} r={r} p={p} asks for more work than any cosign key (N=65536 r=8 p=1)"
        )));
    }
    let log_n = n.trailing_zeros() as u8;
    let params = scrypt::Params::new(log_n, r, p, 32)
        .map_err(|_| format(format!("invalid scrypt parameters N={n} r={r} p={p}")))?;
    let decode = |field: &str, text: &str| {
        BASE64
            .decode(text)
            .map_err(|e| format(format!("its {field} is not base64: {e}")))
    };
    let salt = decode("salt", &key.kdf.salt)?;
    let nonce = decode("nonce", &key.cipher.nonce)?;
    let ciphertext = decode("ciphertext", &key.ciphertext)?;
    if nonce.len() != 24 {
        return Err(format(format!(
            "its nonce is {} bytes, not 24",
            nonce.len()
        )));
    }
    let mut secret = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, &salt, &params, secret.as_mut())
        .map_err(|_| format("scrypt failed".to_string()))?;
    let cipher = XSalsa20Poly1305::new(secret.as_ref().into());
    let plain = cipher
        .decrypt(nonce.as_slice().into(), ciphertext.as_slice())
        .map_err(|_| KeyError::WrongPassword {
            what: what.to_string(),
        })?;
    Ok(Zeroizing::new(plain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::pkcs8::DecodePublicKey;

    // Made by Debian's cosign 3.1.1 (`COSIGN_PASSWORD=pw cosign generate-key-pair`) and by
    // OpenSSL 3.0 (`openssl ecparam -name prime256v1 -genkey`, `openssl pkcs8 -topk8
    // -nocrypt`, `openssl genpkey -algorithm ed25519`): test keys, nothing else signs with them.
    const COSIGN_KEY: &[u8] = include_bytes!("../testdata/cosign.key");
    const COSIGN_PUB: &str = include_str!("../testdata/cosign.pub");
    const SEC1_KEY: &[u8] = include_bytes!("../testdata/sec1.pem");
    const PKCS8_KEY: &[u8] = include_bytes!("../testdata/pkcs8.pem");
    const OPENSSL_PUB: &str = include_str!("../testdata/openssl.pub");
    const ED25519_KEY: &[u8] = include_bytes!("../testdata/ed25519.pem");

    fn same_public_key(key: &SigningKey, pem: &str) {
        let expected = p256::PublicKey::from_public_key_pem(pem).unwrap();
        assert_eq!(
            key.public_key_der(),
            expected.to_public_key_der().unwrap().as_bytes()
        );
        assert_eq!(
            p256::PublicKey::from_public_key_pem(&key.public_key_pem()).unwrap(),
            expected
        );
    }

    #[test]
    fn cosign_encrypted_key() {
        let key = SigningKey::from_pem(COSIGN_KEY, Some(b"pw"), "cosign.key").unwrap();
        same_public_key(&key, COSIGN_PUB);
        // What cosign wrote as publicKey.hint in the bundles it made with this key.
        assert_eq!(key.hint(), "IcNuq7uhiSFf6I++S0CQA5xAjMV1gI7OUXbRDK5R4+A=");

        let err = SigningKey::from_pem(COSIGN_KEY, Some(b"wrong"), "cosign.key").unwrap_err();
        assert!(matches!(err, KeyError::WrongPassword { .. }), "{err}");
        let err = SigningKey::from_pem(COSIGN_KEY, None, "cosign.key").unwrap_err();
        assert!(matches!(err, KeyError::PasswordNeeded { .. }), "{err}");
        assert!(err.to_string().contains("COSIGN_PASSWORD"), "{err}");
    }

    #[test]
    fn openssl_keys() {
        let sec1 = SigningKey::from_pem(SEC1_KEY, None, "sec1.pem").unwrap();
        let pkcs8 = SigningKey::from_pem(PKCS8_KEY, None, "pkcs8.pem").unwrap();
        same_public_key(&sec1, OPENSSL_PUB);
        same_public_key(&pkcs8, OPENSSL_PUB);
        // A password is not needed, and ignored.
        SigningKey::from_pem(SEC1_KEY, Some(b"x"), "sec1.pem").unwrap();
    }

    #[test]
    fn signatures_verify_and_are_deterministic() {
        let key = SigningKey::from_pem(SEC1_KEY, None, "sec1.pem").unwrap();
        let sig = key.sign(b"message");
        assert_eq!(sig, key.sign(b"message"));
        let verifying = p256::ecdsa::VerifyingKey::from_public_key_pem(OPENSSL_PUB).unwrap();
        let parsed = p256::ecdsa::Signature::from_der(&sig).unwrap();
        verifying.verify(b"message", &parsed).unwrap();
        assert!(verifying.verify(b"massage", &parsed).is_err());
    }

    #[test]
    fn refuses_what_is_not_a_p256_key() {
        let err = |text: &[u8]| SigningKey::from_pem(text, Some(b"pw"), "k").unwrap_err();
        assert!(err(ED25519_KEY).to_string().contains("P-256"));
        assert!(err(b"").to_string().contains("no PEM private key"));
        assert!(err(OPENSSL_PUB.as_bytes())
            .to_string()
            .contains("\"PUBLIC KEY\" block is not a private key"));
        assert!(err(b"-----BEGIN PRIVATE KEY-----\nAAAA\n")
            .to_string()
            .contains("no \"-----END PRIVATE KEY-----\" line"));
        assert!(
            err(b"-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n")
                .to_string()
                .contains("base64")
        );
        let two = [SEC1_KEY, PKCS8_KEY].concat();
        assert!(err(&two).to_string().contains("2 PEM blocks"));
        let legacy = b"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert!(err(legacy).to_string().contains("legacy OpenSSL-encrypted"));
    }

    #[test]
    fn refuses_crafted_cosign_keys() {
        let wrap = |json: &str| {
            format!(
                "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
                BASE64.encode(json)
            )
        };
        let key = |n: u64, r: u32, nonce: &str| {
            wrap(&format!(
                r#"{{"kdf":{{"name":"scrypt","params":{{"N":{n},"r":{r},"p":1}},"salt":"AAAA"}},
                    "cipher":{{"name":"nacl/secretbox","nonce":"{nonce}"}},"ciphertext":"AAAA"}}"#
            ))
        };
        let err = |text: String| {
            SigningKey::from_pem(text.as_bytes(), Some(b"pw"), "k")
                .unwrap_err()
                .to_string()
        };
        let nonce = BASE64.encode([0u8; 24]);
        assert!(err(key(1 << 40, 8, &nonce)).contains("more work"));
        assert!(err(key(1000, 8, &nonce)).contains("not a power of two"));
        assert!(err(key(1024, 8, "AAAA")).contains("nonce is 3 bytes"));
        assert!(err(key(1024, 8, &nonce)).contains("wrong password"));
        assert!(err(wrap("{}")).contains("not cosign's encrypted key JSON"));
    }

    #[test]
    fn key_sources() {
        assert_eq!(
            KeySource::parse("env://COSIGN_KEY"),
            KeySource::Env("COSIGN_KEY".into())
        );
        assert_eq!(
            KeySource::parse("keys/cosign.key"),
            KeySource::File("keys/cosign.key".into())
        );
        let err = KeySource::Env("DEBIMAGE_SIGN_TEST_UNSET_VARIABLE".into())
            .read()
            .unwrap_err();
        assert!(err.to_string().contains("is not set"), "{err}");
        let err = KeySource::File("/nonexistent/cosign.key".into())
            .read()
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/cosign.key"), "{err}");
    }
}
