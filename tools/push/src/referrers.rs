//! Attaching an artifact (a signature, an attestation) to an image the OCI 1.1 way: a manifest
//! whose `subject` is the image, found through the registry's referrers API, or, on
//! registries without one (Docker's distribution 2.8, crane's registry), through the
//! referrers tag schema: an image index tagged `sha256-<hex of the subject>` that lists every
//! referrer, which the client keeps up to date (OCI distribution spec 1.1, "Pushing Manifests
//! with Subject").

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::layout::{sha256_digest, OCI_INDEX, OCI_MANIFEST};
use crate::registry::{PushError, Registry};

/// The empty JSON config of artifact manifests.
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
const EMPTY_CONFIG: &[u8] = b"{}";

/// What the artifact refers to.
#[derive(Clone, Debug)]
pub struct Subject {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
}

/// One artifact: a single layer of `layer_media_type` under `artifact_type`.
#[derive(Clone, Debug)]
pub struct Artifact<'a> {
    pub artifact_type: &'a str,
    pub layer_media_type: &'a str,
    pub layer: &'a [u8],
    pub annotations: BTreeMap<String, String>,
}

/// What attaching did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attached {
    /// The artifact manifest's digest.
    pub digest: String,
    /// Blobs uploaded (0 when the registry had them: a re-run).
    pub uploaded_blobs: usize,
    pub uploaded_bytes: u64,
    /// Whether the referrers tag was written (false: the registry indexes subjects itself, or
    /// the tag already listed the artifact).
    pub tag_updated: bool,
}

/// The referrers tag of a subject: `sha256-<hex>`.
pub fn referrers_tag(subject_digest: &str) -> String {
    subject_digest.replacen(':', "-", 1)
}

impl Registry<'_> {
    /// Pushes `artifact` as a referrer of `subject` (which must be in this repository).
    pub async fn attach(
        &self,
        subject: &Subject,
        artifact: &Artifact<'_>,
    ) -> Result<Attached, PushError> {
        let mut attached = Attached::default();
        let config_digest = sha256_digest(EMPTY_CONFIG);
        let layer_digest = sha256_digest(artifact.layer);
        for (digest, bytes) in [
            (&config_digest, EMPTY_CONFIG),
            (&layer_digest, artifact.layer),
        ] {
            if self.put_blob_bytes(digest, bytes).await? {
                attached.uploaded_blobs += 1;
                attached.uploaded_bytes += bytes.len() as u64;
            }
        }
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact.artifact_type,
            "config": {
                "mediaType": EMPTY_MEDIA_TYPE,
                "digest": config_digest,
                "size": EMPTY_CONFIG.len(),
            },
            "layers": [{
                "mediaType": artifact.layer_media_type,
                "digest": layer_digest,
                "size": artifact.layer.len(),
            }],
            "subject": {
                "mediaType": subject.media_type,
                "digest": subject.digest,
                "size": subject.size,
            },
        });
        if !artifact.annotations.is_empty() {
            manifest["annotations"] = json!(artifact.annotations);
        }
        // serde_json's maps are sorted: the same artifact always has the same bytes.
        let bytes = manifest.to_string().into_bytes();
        let digest = sha256_digest(&bytes);
        let indexed = self
            .put_manifest(&digest, &bytes, OCI_MANIFEST, &digest)
            .await?;
        if !indexed {
            let descriptor = json!({
                "mediaType": OCI_MANIFEST,
                "digest": digest,
                "size": bytes.len(),
                "artifactType": artifact.artifact_type,
                "annotations": artifact.annotations,
            });
            attached.tag_updated = self.add_to_referrers_tag(subject, descriptor).await?;
        }
        attached.digest = digest;
        Ok(attached)
    }

    /// Adds `descriptor` to the subject's referrers tag unless it lists it already; returns
    /// whether the tag was written.
    async fn add_to_referrers_tag(
        &self,
        subject: &Subject,
        descriptor: Value,
    ) -> Result<bool, PushError> {
        let tag = referrers_tag(&subject.digest);
        let error = |reason: String| PushError::Referrers {
            registry: self.target().registry.clone(),
            reference: format!("{}:{tag}", self.target().name()),
            reason,
        };
        let mut index = match self.get_manifest(&tag, OCI_INDEX).await? {
            None => json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}),
            Some(bytes) => parse_referrers_index(&bytes).map_err(error)?,
        };
        let Some(manifests) = index.get_mut("manifests").and_then(Value::as_array_mut) else {
            return Err(error("the index has no manifests array".to_string()));
        };
        if manifests
            .iter()
            .any(|m| m["digest"] == descriptor["digest"])
        {
            return Ok(false);
        }
        manifests.push(descriptor);
        let bytes = index.to_string().into_bytes();
        let digest = sha256_digest(&bytes);
        self.put_manifest(&tag, &bytes, OCI_INDEX, &digest).await?;
        Ok(true)
    }
}

/// An existing referrers tag must be an OCI image index; anything else there is not ours to
/// overwrite.
fn parse_referrers_index(bytes: &[u8]) -> Result<Value, String> {
    let index: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the tag is not JSON: {e}"))?;
    if index["mediaType"] != OCI_INDEX || !index["manifests"].is_array() {
        return Err(format!(
            "the tag holds a {} rather than an OCI image index of referrers; not overwriting it",
            index["mediaType"]
                .as_str()
                .unwrap_or("document without mediaType")
        ));
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_schema() {
        assert_eq!(
            referrers_tag(
                "sha256:b2d7a818e5da5598c6bdb160f58060ac1501946de544c599ebfb8f3d170e1d9c"
            ),
            "sha256-b2d7a818e5da5598c6bdb160f58060ac1501946de544c599ebfb8f3d170e1d9c"
        );
    }

    #[test]
    fn refuses_a_tag_that_is_not_a_referrers_index() {
        // What cosign's push left on crane's registry for the tag (an index), accepted.
        let ok = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":887,"digest":"sha256:70d9ddf82cf3e4cadc42fd27b6601ae0dae1499494a6a0c4797c8494f957a884","artifactType":"application/vnd.oci.empty.v1+json"}]}"#;
        assert!(parse_referrers_index(ok).is_ok());
        let image = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}"#;
        let err = parse_referrers_index(image).unwrap_err();
        assert!(
            err.contains("application/vnd.oci.image.manifest.v1+json"),
            "{err}"
        );
        assert!(parse_referrers_index(b"<html>").is_err());
        assert!(parse_referrers_index(
            br#"{"mediaType":"application/vnd.oci.image.index.v1+json"}"#
        )
        .is_err());
    }
}
