//! DSSE envelopes (Dead Simple Signing Envelope, the signature wrapper of in-toto and of
//! Sigstore bundles): the signature is over the pre-authentication encoding of the payload.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::key::SigningKey;

/// The payload type of in-toto statements.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A signed envelope as JSON has it (payload and signatures in base64).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    pub sig: String,
}

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Signs `payload` into an envelope with one signature.
pub fn sign(key: &SigningKey, payload_type: &str, payload: &[u8]) -> Envelope {
    let signature = key.sign(&pae(payload_type, payload));
    Envelope {
        payload: BASE64.encode(payload),
        payload_type: payload_type.to_string(),
        signatures: vec![EnvelopeSignature {
            sig: BASE64.encode(signature),
        }],
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;

    /// Whether every signature of the envelope verifies with `key` (what a verifier checks).
    pub(crate) fn verifies(envelope: &Envelope, key: &p256::ecdsa::VerifyingKey) -> bool {
        let Ok(payload) = BASE64.decode(&envelope.payload) else {
            return false;
        };
        let message = pae(&envelope.payload_type, &payload);
        !envelope.signatures.is_empty()
            && envelope.signatures.iter().all(|s| {
                BASE64
                    .decode(&s.sig)
                    .ok()
                    .and_then(|der| p256::ecdsa::Signature::from_der(&der).ok())
                    .is_some_and(|sig| key.verify(&message, &sig).is_ok())
            })
    }

    #[test]
    fn pae_is_the_specs() {
        // The DSSE protocol's example.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn our_pae_verifies_cosigns_envelopes() {
        let key = crate::key::SigningKey::from_pem(
            include_bytes!("../testdata/cosign.key"),
            Some(b"pw"),
            "cosign.key",
        )
        .unwrap();
        for bundle in [
            &include_bytes!("../testdata/cosign-sign.bundle.json")[..],
            &include_bytes!("../testdata/cosign-attest.bundle.json")[..],
        ] {
            let bundle: serde_json::Value = serde_json::from_slice(bundle).unwrap();
            let envelope: Envelope =
                serde_json::from_value(bundle["dsseEnvelope"].clone()).unwrap();
            assert_eq!(envelope.payload_type, INTOTO_PAYLOAD_TYPE);
            assert!(verifies(&envelope, key.verifying_key()));
            let mut tampered = envelope.clone();
            tampered.payload_type = "application/json".into();
            assert!(!verifies(&tampered, key.verifying_key()));
        }
    }

    #[test]
    fn signs_and_verifies() {
        let key = crate::key::SigningKey::from_pem(
            include_bytes!("../testdata/sec1.pem"),
            None,
            "sec1.pem",
        )
        .unwrap();
        let envelope = sign(&key, INTOTO_PAYLOAD_TYPE, b"{}");
        assert!(verifies(&envelope, key.verifying_key()));
        assert_eq!(envelope, sign(&key, INTOTO_PAYLOAD_TYPE, b"{}"));
        let mut tampered = envelope.clone();
        tampered.payload = BASE64.encode(b"{ }");
        assert!(!verifies(&tampered, key.verifying_key()));
        let other = crate::key::SigningKey::from_pem(
            include_bytes!("../testdata/cosign.key"),
            Some(b"pw"),
            "cosign.key",
        )
        .unwrap();
        assert!(!verifies(&envelope, other.verifying_key()));
    }
}
