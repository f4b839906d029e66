//! in-toto statements about an image digest: cosign's signature claim and an SPDX SBOM.

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// What `cosign sign` attests in the Sigstore bundle format (cosign 3's default).
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";
/// `cosign attest --type spdxjson` (and `verify-attestation --type spdxjson`).
pub const SPDX_PREDICATE: &str = "https://spdx.dev/Document";

/// A largest SBOM we attest; our biggest images' are well under a megabyte.
const MAX_SBOM_BYTES: usize = 64 << 20;

#[derive(Debug, Error)]
pub enum StatementError {
    #[error("{digest:?} is not a sha256 digest (sha256: and 64 lowercase hex digits)")]
    Digest { digest: String },
    #[error("the SBOM {what}: {reason}")]
    Sbom { what: String, reason: String },
}

/// `sha256:<hex>` of a manifest or index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageDigest {
    hex: String,
}

impl ImageDigest {
    pub fn parse(digest: &str) -> Result<ImageDigest, StatementError> {
        let hex = digest.strip_prefix("sha256:").unwrap_or("");
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(StatementError::Digest {
                digest: digest.to_string(),
            });
        }
        Ok(ImageDigest {
            hex: hex.to_string(),
        })
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl std::fmt::Display for ImageDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

#[derive(Serialize)]
struct Statement<'a, P: Serialize> {
    #[serde(rename = "_type")]
    statement_type: &'static str,
    subject: [Subject<'a>; 1],
    #[serde(rename = "predicateType")]
    predicate_type: &'static str,
    predicate: P,
}

#[derive(Serialize)]
struct Subject<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    digest: BTreeMap<&'static str, &'a str>,
}

fn statement<P: Serialize>(
    name: Option<&str>,
    digest: &ImageDigest,
    predicate_type: &'static str,
    predicate: P,
) -> Vec<u8> {
    let statement = Statement {
        statement_type: STATEMENT_TYPE,
        subject: [Subject {
            name,
            digest: BTreeMap::from([("sha256", digest.hex())]),
        }],
        predicate_type,
        predicate,
    };
    // Serializing maps of strings and JSON values cannot fail.
    serde_json::to_vec(&statement).unwrap_or_default()
}

/// cosign's signature claim: the digest, an empty predicate (what `cosign sign` writes).
pub fn cosign_sign(digest: &ImageDigest) -> Vec<u8> {
    statement(None, digest, COSIGN_SIGN_PREDICATE, serde_json::Map::new())
}

/// The SPDX document `sbom` (JSON; `what` names it in errors) as the predicate about the image
/// `name` (REGISTRY/REPOSITORY) at `digest`.
pub fn spdx(
    name: &str,
    digest: &ImageDigest,
    sbom: &[u8],
    what: &str,
) -> Result<Vec<u8>, StatementError> {
    let bad = |reason: String| StatementError::Sbom {
        what: what.to_string(),
        reason,
    };
    if sbom.len() > MAX_SBOM_BYTES {
        return Err(bad(format!("{} bytes is too large", sbom.len())));
    }
    let document: serde_json::Value =
        serde_json::from_slice(sbom).map_err(|e| bad(format!("not JSON: {e}")))?;
    match document.get("spdxVersion").and_then(|v| v.as_str()) {
        Some(version) if version.starts_with("SPDX-") => {}
        _ => {
            return Err(bad(
                "not an SPDX JSON document (no \"spdxVersion\": \"SPDX-...\")".to_string(),
            ))
        }
    }
    Ok(statement(Some(name), digest, SPDX_PREDICATE, document))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:b2d7a818e5da5598c6bdb160f58060ac1501946de544c599ebfb8f3d170e1d9c";

    #[test]
    fn digests() {
        let d = ImageDigest::parse(DIGEST).unwrap();
        assert_eq!(d.to_string(), DIGEST);
        for bad in [
            "",
            "sha256:",
            &DIGEST[..70],
            &DIGEST.to_uppercase(),
            &DIGEST.replace("sha256", "sha512"),
            "sha256:../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(ImageDigest::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cosign_sign_is_cosigns_statement() {
        let ours: serde_json::Value =
            serde_json::from_slice(&cosign_sign(&ImageDigest::parse(DIGEST).unwrap())).unwrap();
        // The statement cosign 3.1.1 signed for the same digest (less its empty annotations).
        let bundle: serde_json::Value =
            serde_json::from_slice(include_bytes!("../testdata/cosign-sign.bundle.json")).unwrap();
        let payload = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            bundle["dsseEnvelope"]["payload"].as_str().unwrap(),
        )
        .unwrap();
        let mut cosigns: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        cosigns["subject"][0]
            .as_object_mut()
            .unwrap()
            .remove("annotations");
        assert_eq!(ours, cosigns);
    }

    #[test]
    fn spdx_statement() {
        let digest = ImageDigest::parse(DIGEST).unwrap();
        let sbom = br#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[]}"#;
        let bytes = spdx("registry.example/static", &digest, sbom, "s.json").unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value["_type"], STATEMENT_TYPE);
        assert_eq!(value["predicateType"], SPDX_PREDICATE);
        assert_eq!(value["subject"][0]["name"], "registry.example/static");
        assert_eq!(value["subject"][0]["digest"]["sha256"], digest.hex());
        assert_eq!(
            value["predicate"],
            serde_json::from_slice::<serde_json::Value>(sbom).unwrap()
        );
        assert_eq!(
            bytes,
            spdx("registry.example/static", &digest, sbom, "s.json").unwrap()
        );

        let err = |sbom: &[u8]| {
            spdx("r/s", &digest, sbom, "s.json")
                .unwrap_err()
                .to_string()
        };
        assert!(err(b"not json").contains("s.json: not JSON"));
        assert!(err(b"[]").contains("not an SPDX JSON document"));
        assert!(err(br#"{"bomFormat":"CycloneDX"}"#).contains("not an SPDX JSON document"));
    }
}
