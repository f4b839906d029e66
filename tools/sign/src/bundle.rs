//! Sigstore bundles (v0.3, protobuf-specs JSON): a DSSE envelope and what verifies it. Signed
//! with a key and no transparency log, the verification material is the public key's hint
//! (the verifier is given the key itself), as `cosign sign --key` writes offline.

use serde::Serialize;

use crate::dsse::Envelope;
use crate::key::SigningKey;

/// The bundle's media type, also the referrer manifest's artifactType and layer media type.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

#[derive(Serialize)]
struct Bundle<'a> {
    #[serde(rename = "mediaType")]
    media_type: &'static str,
    #[serde(rename = "verificationMaterial")]
    verification_material: VerificationMaterial,
    #[serde(rename = "dsseEnvelope")]
    dsse_envelope: &'a Envelope,
}

#[derive(Serialize)]
struct VerificationMaterial {
    #[serde(rename = "publicKey")]
    public_key: PublicKeyHint,
}

#[derive(Serialize)]
struct PublicKeyHint {
    hint: String,
}

/// The bundle's JSON bytes.
pub fn bundle(key: &SigningKey, envelope: &Envelope) -> Vec<u8> {
    let bundle = Bundle {
        media_type: BUNDLE_MEDIA_TYPE,
        verification_material: VerificationMaterial {
            public_key: PublicKeyHint { hint: key.hint() },
        },
        dsse_envelope: envelope,
    };
    // Strings only: serializing cannot fail.
    serde_json::to_vec(&bundle).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our bundle has the shape of cosign's (same keys at every level).
    #[test]
    fn same_shape_as_cosigns() {
        fn shape(v: &serde_json::Value) -> serde_json::Value {
            match v {
                serde_json::Value::Object(map) => {
                    map.iter().map(|(k, v)| (k.clone(), shape(v))).collect()
                }
                serde_json::Value::Array(items) => items.iter().map(shape).collect(),
                _ => serde_json::Value::Null,
            }
        }
        let key = SigningKey::from_pem(
            include_bytes!("../testdata/cosign.key"),
            Some(b"pw"),
            "cosign.key",
        )
        .unwrap();
        let envelope = crate::dsse::sign(&key, crate::dsse::INTOTO_PAYLOAD_TYPE, b"{}");
        let ours: serde_json::Value = serde_json::from_slice(&bundle(&key, &envelope)).unwrap();
        let cosigns: serde_json::Value =
            serde_json::from_slice(include_bytes!("../testdata/cosign-sign.bundle.json")).unwrap();
        assert_eq!(shape(&ours), shape(&cosigns));
        assert_eq!(
            ours["verificationMaterial"],
            cosigns["verificationMaterial"]
        );
        assert_eq!(ours["mediaType"], cosigns["mediaType"]);
    }
}
