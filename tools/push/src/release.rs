//! A release: many layouts pushed under one registry prefix, each to its repository and tag,
//! each signed and its SBOM attested when a key is given. The plan is the JSON the `release`
//! rule writes.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use debimage_sign::key::SigningKey;
use serde::Deserialize;
use thiserror::Error;

use crate::auth::Credentials;
use crate::layout::{read_layout, LayoutError};
use crate::reference::{ReferenceError, Target};
use crate::registry::{Options, PushError, Registry};
use crate::sign::{sign_and_attest, subject_of, Sbom, SignError};

#[derive(Debug, Error)]
pub enum ReleaseError {
    #[error("the release plan {path}: {reason}")]
    Plan { path: PathBuf, reason: String },
    #[error("{reference}: {source}")]
    Reference {
        reference: String,
        source: ReferenceError,
    },
    #[error("{reference}: reading its layout")]
    Layout {
        reference: String,
        source: LayoutError,
    },
    #[error("{reference}: reading its SBOM {path}")]
    Sbom {
        reference: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Push(Box<PushError>),
    #[error("{reference}: signing")]
    Sign {
        reference: String,
        source: Box<SignError>,
    },
}

impl From<PushError> for ReleaseError {
    fn from(e: PushError) -> Self {
        ReleaseError::Push(Box::new(e))
    }
}

/// One image of the plan: a layout pushed as `<prefix>/<repository>:<tag>`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PlannedImage {
    pub repository: String,
    pub tag: String,
    /// The OCI layout directory (relative: to the plan's root).
    pub layout: PathBuf,
    /// Its SPDX SBOM, attested when signing.
    #[serde(default)]
    pub sbom: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    images: Vec<PlannedImage>,
}

/// Reads the plan; relative paths in it are taken from `root`. Every (repository, tag) may
/// appear once.
pub fn load_plan(path: &Path, root: &Path) -> Result<Vec<PlannedImage>, ReleaseError> {
    let bad = |reason: String| ReleaseError::Plan {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let plan: PlanFile = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    if plan.images.is_empty() {
        return Err(bad("it lists no images".to_string()));
    }
    let mut seen = HashSet::new();
    let mut images = plan.images;
    for image in &mut images {
        if !seen.insert((image.repository.clone(), image.tag.clone())) {
            return Err(bad(format!(
                "{}:{} is listed twice",
                image.repository, image.tag
            )));
        }
        image.layout = root.join(&image.layout);
        image.sbom = image.sbom.as_ref().map(|sbom| root.join(sbom));
    }
    Ok(images)
}

/// The tag upstream distroless adds for a commit: `latest` becomes the commit itself, other
/// tags get `-<commit>` (`latest-amd64` -> `amd64-<commit>`, `nonroot` -> `nonroot-<commit>`).
pub fn commit_tag(tag: &str, commit: &str) -> String {
    let tag = tag.replace("latest", "");
    let tag = tag.trim_matches('-');
    if tag.is_empty() {
        commit.to_string()
    } else {
        format!("{tag}-{commit}")
    }
}

/// What the release did for one image.
#[derive(Debug)]
pub struct Released {
    /// `<prefix>/<repository>:<tag>@sha256:...`.
    pub reference: String,
    /// Every tag pushed (the plan's, and the commit's).
    pub tags: Vec<String>,
    pub uploaded_blobs: usize,
    pub uploaded_bytes: u64,
    pub present_blobs: usize,
    /// Bundles attached (signature, SBOM attestation).
    pub bundles: usize,
}

/// How to release.
pub struct Settings<'a> {
    /// `REGISTRY[/PATH]`: each repository goes under it.
    pub prefix: &'a str,
    pub commit: Option<&'a str>,
    pub credentials: &'a Credentials,
    pub options: &'a Options,
    pub key: Option<&'a SigningKey>,
}

/// Pushes (and signs) every image, one repository after another; `on_image` is called as
/// each is done, `progress` with one line per blob and manifest.
pub async fn release(
    images: &[PlannedImage],
    settings: &Settings<'_>,
    progress: &(dyn Fn(&str) + Sync),
    on_image: &mut dyn FnMut(&Released),
) -> Result<Vec<Released>, ReleaseError> {
    // Targets first: a bad name or tag fails before anything is pushed.
    let mut by_repository: BTreeMap<&str, Vec<(&PlannedImage, Vec<String>)>> = BTreeMap::new();
    let mut targets = BTreeMap::new();
    for image in images {
        let mut tags = vec![image.tag.clone()];
        if let Some(commit) = settings.commit {
            tags.push(commit_tag(&image.tag, commit));
        }
        for tag in &tags {
            let reference = format!("{}/{}:{tag}", settings.prefix, image.repository);
            let target = Target::parse(&reference).map_err(|source| ReleaseError::Reference {
                reference: reference.clone(),
                source,
            })?;
            targets.entry(image.repository.as_str()).or_insert(Target {
                tag: None,
                ..target
            });
        }
        by_repository
            .entry(image.repository.as_str())
            .or_default()
            .push((image, tags));
    }

    let mut released = Vec::new();
    for (repository, images) in &by_repository {
        let target = &targets[repository];
        let registry = Registry::connect(target, settings.credentials, settings.options).await?;
        for (image, tags) in images {
            let done = release_one(&registry, image, tags, settings.key, progress).await?;
            on_image(&done);
            released.push(done);
        }
    }
    Ok(released)
}

async fn release_one(
    registry: &Registry<'_>,
    image: &PlannedImage,
    tags: &[String],
    key: Option<&SigningKey>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Released, ReleaseError> {
    let name = format!("{}:{}", registry.target().name(), image.tag);
    let plan = read_layout(&image.layout).map_err(|source| ReleaseError::Layout {
        reference: name.clone(),
        source,
    })?;
    let sbom = match (key, &image.sbom) {
        (Some(_), Some(path)) => {
            Some(std::fs::read(path).map_err(|source| ReleaseError::Sbom {
                reference: name.clone(),
                path: path.clone(),
                source,
            })?)
        }
        _ => None,
    };
    let report = registry.push(&plan, tags, progress).await?;
    let mut done = Released {
        reference: format!("{name}@{}", report.digest),
        tags: tags.to_vec(),
        uploaded_blobs: report.uploaded.len(),
        uploaded_bytes: report.uploaded.iter().map(|b| b.size).sum(),
        present_blobs: report.present.len(),
        bundles: 0,
    };
    if let Some(key) = key {
        let what = image
            .sbom
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let sbom = sbom.as_deref().map(|bytes| Sbom { bytes, what: &what });
        let signed = sign_and_attest(registry, &subject_of(plan.top()), key, sbom)
            .await
            .map_err(|source| ReleaseError::Sign {
                reference: done.reference.clone(),
                source: Box::new(source),
            })?;
        done.uploaded_blobs += signed.uploaded_blobs();
        done.uploaded_bytes += signed.uploaded_bytes();
        done.bundles = signed.attached.len();
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_tags_as_upstream() {
        let c = "0123abc";
        assert_eq!(commit_tag("latest", c), c);
        assert_eq!(commit_tag("latest-amd64", c), "amd64-0123abc");
        assert_eq!(commit_tag("nonroot", c), "nonroot-0123abc");
        assert_eq!(commit_tag("nonroot-arm64", c), "nonroot-arm64-0123abc");
        assert_eq!(commit_tag("debug-nonroot", c), "debug-nonroot-0123abc");
        assert_eq!(
            commit_tag("debug-nonroot-ppc64le", c),
            "debug-nonroot-ppc64le-0123abc"
        );
    }

    #[test]
    fn plans() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let write = |text: &str| std::fs::write(&path, text).unwrap();
        write(
            r#"{"images": [
                {"repository": "static-debian12", "tag": "latest", "layout": "_main/static/debian12",
                 "sbom": "_main/static/debian12_sbom.spdx.json"},
                {"repository": "static-debian12", "tag": "latest-amd64", "layout": "/abs/layout"}]}"#,
        );
        let images = load_plan(&path, Path::new("/runfiles")).unwrap();
        assert_eq!(images.len(), 2);
        assert_eq!(
            images[0].layout,
            Path::new("/runfiles/_main/static/debian12")
        );
        assert_eq!(
            images[0].sbom.as_deref(),
            Some(Path::new("/runfiles/_main/static/debian12_sbom.spdx.json"))
        );
        assert_eq!(images[1].layout, Path::new("/abs/layout"));
        assert_eq!(images[1].sbom, None);

        let err = |text: &str| {
            write(text);
            load_plan(&path, dir.path()).unwrap_err().to_string()
        };
        assert!(err(r#"{"images": []}"#).contains("lists no images"));
        assert!(err("[").contains(&path.display().to_string()));
        assert!(err(r#"{"images": [{"repository": "r", "tag": "t"}]}"#).contains("layout"));
        assert!(err(
            r#"{"images": [{"repository": "r", "tag": "t", "layout": "a"},
                           {"repository": "r", "tag": "t", "layout": "b"}]}"#
        )
        .contains("r:t is listed twice"));
        assert!(
            err(r#"{"images": [{"repository": "r", "tag": "t", "layout": "a", "x": 1}]}"#)
                .contains("unknown field")
        );
    }
}
