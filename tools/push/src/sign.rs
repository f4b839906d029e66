//! Signing an image that was pushed: cosign's signature claim and, given one, its SPDX SBOM as
//! an attestation, each a Sigstore bundle attached to the image as an OCI referrer (cosign 3's
//! default format: what `cosign verify --key` and `cosign verify-attestation --key` read).

use std::collections::BTreeMap;

use debimage_sign::bundle::BUNDLE_MEDIA_TYPE;
use debimage_sign::key::SigningKey;
use debimage_sign::statement::{ImageDigest, StatementError};
use debimage_sign::Attestation;
use thiserror::Error;

use crate::layout::Manifest;
use crate::referrers::{Artifact, Attached, Subject};
use crate::registry::{PushError, Registry};

/// cosign's annotations on a bundle's referrer manifest (less its creation time: the same
/// signature must give the same manifest on every run).
const CONTENT_ANNOTATION: &str = "dev.sigstore.bundle.content";
const PREDICATE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";

#[derive(Debug, Error)]
pub enum SignError {
    #[error(transparent)]
    Registry(#[from] PushError),
    #[error(transparent)]
    Statement(#[from] StatementError),
}

/// An SPDX document to attest, and how errors name it.
#[derive(Clone, Copy, Debug)]
pub struct Sbom<'a> {
    pub bytes: &'a [u8],
    pub what: &'a str,
}

/// What signing one image attached: (predicate type, referrer) per bundle.
#[derive(Debug, Default)]
pub struct Signed {
    pub attached: Vec<(&'static str, Attached)>,
}

impl Signed {
    pub fn uploaded_blobs(&self) -> usize {
        self.attached.iter().map(|(_, a)| a.uploaded_blobs).sum()
    }

    pub fn uploaded_bytes(&self) -> u64 {
        self.attached.iter().map(|(_, a)| a.uploaded_bytes).sum()
    }
}

/// The subject descriptor of a pushed manifest or index.
pub fn subject_of(manifest: &Manifest) -> Subject {
    Subject {
        media_type: manifest.media_type.clone(),
        digest: manifest.digest.clone(),
        size: manifest.bytes.len() as u64,
    }
}

/// Signs `subject` (in `registry`'s repository) and attests `sbom` about it.
pub async fn sign_and_attest(
    registry: &Registry<'_>,
    subject: &Subject,
    key: &SigningKey,
    sbom: Option<Sbom<'_>>,
) -> Result<Signed, SignError> {
    let digest = ImageDigest::parse(&subject.digest)?;
    let mut attestations = vec![debimage_sign::sign(key, &digest)];
    if let Some(sbom) = sbom {
        let name = registry.target().name();
        attestations.push(debimage_sign::attest_spdx(
            key, &name, &digest, sbom.bytes, sbom.what,
        )?);
    }
    let mut signed = Signed::default();
    for Attestation {
        predicate_type,
        bundle,
    } in &attestations
    {
        let artifact = Artifact {
            artifact_type: BUNDLE_MEDIA_TYPE,
            layer_media_type: BUNDLE_MEDIA_TYPE,
            layer: bundle,
            annotations: BTreeMap::from([
                (CONTENT_ANNOTATION.to_string(), "dsse-envelope".to_string()),
                (PREDICATE_ANNOTATION.to_string(), predicate_type.to_string()),
            ]),
        };
        let attached = registry.attach(subject, &artifact).await?;
        signed.attached.push((predicate_type, attached));
    }
    Ok(signed)
}
