//! `debimage-sign`: cosign-compatible signatures and SBOM attestations of image digests, made
//! with an ECDSA P-256 key, as Sigstore bundles (cosign 3's default format, which `cosign
//! verify --key` and `cosign verify-attestation --key` read from the image's OCI referrers).
//!
//! - [`key`]: the private key (cosign's encrypted format, SEC1 or PKCS#8 PEM; file or
//!   `env://NAME`);
//! - [`statement`]: the in-toto statements (cosign's signature claim, an SPDX SBOM);
//! - [`dsse`]: the signed envelope around a statement;
//! - [`bundle`]: the Sigstore bundle around the envelope.
//!
//! Attaching a bundle to an image (the referrer manifest) is the registry client's job
//! (`debimage-push`).

pub mod bundle;
pub mod dsse;
pub mod key;
pub mod statement;

use key::SigningKey;
use statement::{ImageDigest, StatementError};

/// A Sigstore bundle to attach to an image, and the predicate type it attests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attestation {
    pub predicate_type: &'static str,
    /// The bundle's JSON.
    pub bundle: Vec<u8>,
}

fn attestation(key: &SigningKey, predicate_type: &'static str, statement: &[u8]) -> Attestation {
    let envelope = dsse::sign(key, dsse::INTOTO_PAYLOAD_TYPE, statement);
    Attestation {
        predicate_type,
        bundle: bundle::bundle(key, &envelope),
    }
}

/// The signature of an image or index (what `cosign sign --key` makes).
pub fn sign(key: &SigningKey, digest: &ImageDigest) -> Attestation {
    attestation(
        key,
        statement::COSIGN_SIGN_PREDICATE,
        &statement::cosign_sign(digest),
    )
}

/// The SPDX SBOM `sbom` of the image `name` at `digest`, signed (what `cosign attest --key
/// --type spdxjson` makes); `what` names the SBOM in errors.
pub fn attest_spdx(
    key: &SigningKey,
    name: &str,
    digest: &ImageDigest,
    sbom: &[u8],
    what: &str,
) -> Result<Attestation, StatementError> {
    let statement = statement::spdx(name, digest, sbom, what)?;
    Ok(attestation(key, statement::SPDX_PREDICATE, &statement))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn deterministic_and_verifiable() {
        let key = SigningKey::from_pem(include_bytes!("../testdata/sec1.pem"), None, "k").unwrap();
        let digest = ImageDigest::parse(&format!("sha256:{}", "ab".repeat(32))).unwrap();
        let a = sign(&key, &digest);
        assert_eq!(a, sign(&key, &digest), "same key and digest: same bytes");
        let sbom = br#"{"spdxVersion":"SPDX-2.3"}"#;
        let b = attest_spdx(&key, "r/x", &digest, sbom, "sbom").unwrap();
        assert_eq!(b.predicate_type, statement::SPDX_PREDICATE);
        for attestation in [a, b] {
            let bundle: serde_json::Value = serde_json::from_slice(&attestation.bundle).unwrap();
            let envelope: dsse::Envelope =
                serde_json::from_value(bundle["dsseEnvelope"].clone()).unwrap();
            assert!(dsse::tests::verifies(&envelope, key.verifying_key()));
            let payload = base64::engine::general_purpose::STANDARD
                .decode(&envelope.payload)
                .unwrap();
            let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
            assert_eq!(statement["predicateType"], attestation.predicate_type);
            assert_eq!(statement["subject"][0]["digest"]["sha256"], digest.hex());
        }
    }
}
