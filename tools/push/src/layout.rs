//! Reading an OCI image layout into what a push sends: the blobs (configs and layers) and the
//! manifests, children before the index that lists them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::reference::check_digest;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Nested indexes deeper than this are refused (ours nest one level).
const MAX_DEPTH: usize = 8;

#[derive(Debug, Error)]
pub enum LayoutError {
    #[error("reading {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{dir} is not an OCI image layout: it has no oci-layout file")]
    NotALayout { dir: PathBuf },
    #[error("{path}: not a valid {what}")]
    Json {
        path: PathBuf,
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("{path}: lists no manifests")]
    Empty { path: PathBuf },
    #[error("{context}: {reason}")]
    BadDigest { context: String, reason: String },
    #[error("blob {digest} is missing from the layout ({path})")]
    MissingBlob { digest: String, path: PathBuf },
    #[error("blob {digest} ({path}) is {actual} bytes, its descriptor says {expected}")]
    SizeMismatch {
        digest: String,
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    #[error("blob {digest} ({path}) does not match its digest: its sha256 is {actual}")]
    DigestMismatch {
        digest: String,
        path: PathBuf,
        actual: String,
    },
    #[error("manifest {digest}: unsupported media type {media_type:?}")]
    UnsupportedMediaType { digest: String, media_type: String },
    #[error(
        "manifest {digest}: its descriptor says {descriptor:?} but the manifest says {document:?}"
    )]
    MediaTypeMismatch {
        digest: String,
        descriptor: String,
        document: String,
    },
    #[error("manifest {digest}: image indexes nested deeper than {MAX_DEPTH}")]
    TooDeep { digest: String },
}

/// An OCI content descriptor.
#[derive(Clone, Debug, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default)]
    pub urls: Vec<String>,
}

#[derive(Deserialize)]
struct IndexDocument {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct ManifestDocument {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

/// A config or layer blob to upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
    pub path: PathBuf,
}

impl Blob {
    /// The blob's bytes, checked against its size and digest.
    pub fn read_verified(&self) -> Result<Vec<u8>, LayoutError> {
        let bytes = std::fs::read(&self.path).map_err(|source| LayoutError::Io {
            path: self.path.clone(),
            source,
        })?;
        verify(&bytes, &self.digest, self.size, &self.path)?;
        Ok(bytes)
    }
}

/// A manifest or index to PUT, with its exact bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub digest: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
    pub is_index: bool,
}

/// Everything a push sends, in order.
#[derive(Debug)]
pub struct Plan {
    /// Every config and layer blob, once.
    pub blobs: Vec<Blob>,
    /// Every manifest and index, once, children before parents; the last one is the top.
    pub manifests: Vec<Manifest>,
}

impl Plan {
    /// What the reference will name: the layout's one image or index.
    pub fn top(&self) -> &Manifest {
        // read_layout always adds the top manifest last.
        &self.manifests[self.manifests.len() - 1]
    }

    pub fn blob_bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.size).sum()
    }
}

/// Reads the layout at `dir`. Its `index.json` names one image or image index (what Bazel
/// builds here): that is the top. With several entries, `index.json` itself is pushed as an
/// image index over them.
pub fn read_layout(dir: &Path) -> Result<Plan, LayoutError> {
    if !dir.join("oci-layout").is_file() {
        return Err(LayoutError::NotALayout {
            dir: dir.to_path_buf(),
        });
    }
    let index_path = dir.join("index.json");
    let bytes = std::fs::read(&index_path).map_err(|source| LayoutError::Io {
        path: index_path.clone(),
        source,
    })?;
    let index: IndexDocument =
        serde_json::from_slice(&bytes).map_err(|source| LayoutError::Json {
            path: index_path.clone(),
            what: "image index",
            source,
        })?;
    let mut walk = Walk {
        dir,
        plan: Plan {
            blobs: Vec::new(),
            manifests: Vec::new(),
        },
        blobs_seen: HashSet::new(),
        manifests_seen: HashSet::new(),
    };
    match index.manifests.as_slice() {
        [] => return Err(LayoutError::Empty { path: index_path }),
        [only] => walk.manifest(only, 0)?,
        several => {
            for child in several {
                walk.manifest(child, 1)?;
            }
            walk.plan.manifests.push(Manifest {
                digest: sha256_digest(&bytes),
                media_type: index.media_type.unwrap_or_else(|| OCI_INDEX.to_string()),
                bytes,
                is_index: true,
            });
        }
    }
    Ok(walk.plan)
}

struct Walk<'a> {
    dir: &'a Path,
    plan: Plan,
    blobs_seen: HashSet<String>,
    manifests_seen: HashSet<String>,
}

impl Walk<'_> {
    fn blob_path(&self, digest: &str, context: &str) -> Result<PathBuf, LayoutError> {
        check_digest(digest).map_err(|reason| LayoutError::BadDigest {
            context: context.to_string(),
            reason,
        })?;
        let hex = &digest["sha256:".len()..];
        Ok(self.dir.join("blobs").join("sha256").join(hex))
    }

    fn manifest(&mut self, desc: &Descriptor, depth: usize) -> Result<(), LayoutError> {
        if depth > MAX_DEPTH {
            return Err(LayoutError::TooDeep {
                digest: desc.digest.clone(),
            });
        }
        let path = self.blob_path(&desc.digest, "manifest descriptor")?;
        if !self.manifests_seen.insert(desc.digest.clone()) {
            return Ok(());
        }
        let bytes = std::fs::read(&path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => LayoutError::MissingBlob {
                digest: desc.digest.clone(),
                path: path.clone(),
            },
            _ => LayoutError::Io {
                path: path.clone(),
                source,
            },
        })?;
        verify(&bytes, &desc.digest, desc.size, &path)?;
        // The manifest's own mediaType, when the descriptor has none.
        #[derive(Deserialize)]
        struct Probe {
            #[serde(rename = "mediaType", default)]
            media_type: Option<String>,
        }
        let probe: Probe = serde_json::from_slice(&bytes).map_err(|source| LayoutError::Json {
            path: path.clone(),
            what: "manifest",
            source,
        })?;
        let media_type = match (desc.media_type.as_str(), probe.media_type) {
            ("", Some(document)) => document,
            (descriptor, Some(document)) if descriptor != document => {
                return Err(LayoutError::MediaTypeMismatch {
                    digest: desc.digest.clone(),
                    descriptor: descriptor.to_string(),
                    document,
                })
            }
            (descriptor, _) => descriptor.to_string(),
        };
        let is_index = match media_type.as_str() {
            OCI_INDEX | DOCKER_LIST => true,
            OCI_MANIFEST | DOCKER_MANIFEST => false,
            _ => {
                return Err(LayoutError::UnsupportedMediaType {
                    digest: desc.digest.clone(),
                    media_type,
                })
            }
        };
        if is_index {
            let index: IndexDocument =
                serde_json::from_slice(&bytes).map_err(|source| LayoutError::Json {
                    path: path.clone(),
                    what: "image index",
                    source,
                })?;
            for child in &index.manifests {
                self.manifest(child, depth + 1)?;
            }
        } else {
            let manifest: ManifestDocument =
                serde_json::from_slice(&bytes).map_err(|source| LayoutError::Json {
                    path: path.clone(),
                    what: "image manifest",
                    source,
                })?;
            for blob in std::iter::once(&manifest.config).chain(&manifest.layers) {
                self.blob(blob, &desc.digest)?;
            }
        }
        self.plan.manifests.push(Manifest {
            digest: desc.digest.clone(),
            media_type,
            bytes,
            is_index,
        });
        Ok(())
    }

    fn blob(&mut self, desc: &Descriptor, manifest: &str) -> Result<(), LayoutError> {
        let path = self.blob_path(&desc.digest, &format!("manifest {manifest}"))?;
        if !self.blobs_seen.insert(desc.digest.clone()) {
            return Ok(());
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.len() != desc.size => Err(LayoutError::SizeMismatch {
                digest: desc.digest.clone(),
                path,
                expected: desc.size,
                actual: meta.len(),
            }),
            Ok(_) => {
                self.plan.blobs.push(Blob {
                    digest: desc.digest.clone(),
                    size: desc.size,
                    path,
                });
                Ok(())
            }
            // A non-distributable layer is fetched from its URLs, not pushed.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !desc.urls.is_empty() => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(LayoutError::MissingBlob {
                digest: desc.digest.clone(),
                path,
            }),
            Err(source) => Err(LayoutError::Io { path, source }),
        }
    }
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn verify(bytes: &[u8], digest: &str, size: u64, path: &Path) -> Result<(), LayoutError> {
    if bytes.len() as u64 != size {
        return Err(LayoutError::SizeMismatch {
            digest: digest.to_string(),
            path: path.to_path_buf(),
            expected: size,
            actual: bytes.len() as u64,
        });
    }
    let actual = sha256_digest(bytes);
    if actual != digest {
        return Err(LayoutError::DigestMismatch {
            digest: digest.to_string(),
            path: path.to_path_buf(),
            actual,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Writes blobs into a layout under construction and returns their descriptors.
    struct Builder {
        dir: tempfile::TempDir,
    }

    impl Builder {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
            std::fs::write(
                dir.path().join("oci-layout"),
                r#"{"imageLayoutVersion":"1.0.0"}"#,
            )
            .unwrap();
            Builder { dir }
        }

        fn blob(&self, media_type: &str, bytes: &[u8]) -> serde_json::Value {
            let digest = sha256_digest(bytes);
            std::fs::write(
                self.dir.path().join("blobs/sha256").join(&digest[7..]),
                bytes,
            )
            .unwrap();
            json!({"mediaType": media_type, "digest": digest, "size": bytes.len()})
        }

        fn image(&self, layer: &[u8]) -> serde_json::Value {
            let config = self.blob("application/vnd.oci.image.config.v1+json", b"{}");
            let layer = self.blob("application/vnd.oci.image.layer.v1.tar+gzip", layer);
            let manifest = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                  "config": config, "layers": [layer]});
            self.blob(OCI_MANIFEST, manifest.to_string().as_bytes())
        }

        fn index(&self, children: &[serde_json::Value]) -> serde_json::Value {
            let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children});
            self.blob(OCI_INDEX, index.to_string().as_bytes())
        }

        fn finish(&self, entries: &[serde_json::Value]) -> &Path {
            let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
            std::fs::write(self.dir.path().join("index.json"), index.to_string()).unwrap();
            self.dir.path()
        }
    }

    #[test]
    fn single_image() {
        let b = Builder::new();
        let image = b.image(b"layer");
        let plan = read_layout(b.finish(std::slice::from_ref(&image))).unwrap();
        assert_eq!(plan.blobs.len(), 2);
        assert_eq!(plan.manifests.len(), 1);
        assert_eq!(plan.top().digest, image["digest"]);
        assert!(!plan.top().is_index);
        assert_eq!(plan.blob_bytes(), 2 + 5);
        for blob in &plan.blobs {
            blob.read_verified().unwrap();
        }
    }

    #[test]
    fn nested_index_children_first_blobs_once() {
        let b = Builder::new();
        let amd64 = b.image(b"amd64");
        let arm64 = b.image(b"arm64");
        let index = b.index(&[amd64.clone(), arm64.clone()]);
        let plan = read_layout(b.finish(std::slice::from_ref(&index))).unwrap();
        // The config "{}" is shared: three blobs.
        assert_eq!(plan.blobs.len(), 3);
        let order: Vec<_> = plan.manifests.iter().map(|m| m.digest.clone()).collect();
        let digest = |v: &serde_json::Value| v["digest"].as_str().unwrap().to_string();
        assert_eq!(order, [digest(&amd64), digest(&arm64), digest(&index)]);
        assert!(plan.top().is_index);
        assert_eq!(plan.top().media_type, OCI_INDEX);
    }

    #[test]
    fn several_entries_push_index_json() {
        let b = Builder::new();
        let one = b.image(b"1");
        let two = b.image(b"2");
        let dir = b.finish(&[one, two]);
        let plan = read_layout(dir).unwrap();
        assert_eq!(plan.manifests.len(), 3);
        let index_json = std::fs::read(dir.join("index.json")).unwrap();
        assert_eq!(plan.top().bytes, index_json);
        assert_eq!(plan.top().digest, sha256_digest(&index_json));
    }

    #[test]
    fn refuses_broken_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_layout(dir.path()).unwrap_err();
        assert!(matches!(err, LayoutError::NotALayout { .. }), "{err}");

        let b = Builder::new();
        assert!(matches!(
            read_layout(b.finish(&[])),
            Err(LayoutError::Empty { .. })
        ));

        // A layer that is missing, or not what its descriptor says.
        let b = Builder::new();
        let image = b.image(b"layer");
        let layer_path = b
            .dir
            .path()
            .join("blobs/sha256")
            .join(&sha256_digest(b"layer")[7..]);
        std::fs::remove_file(&layer_path).unwrap();
        let err = read_layout(b.finish(&[image])).unwrap_err();
        assert!(matches!(err, LayoutError::MissingBlob { .. }), "{err}");
        assert!(err.to_string().contains(&sha256_digest(b"layer")), "{err}");

        std::fs::write(&layer_path, b"LAYER").unwrap();
        let plan = read_layout(b.dir.path()).unwrap();
        let blob = plan.blobs.iter().find(|x| x.path == layer_path).unwrap();
        let err = blob.read_verified().unwrap_err();
        assert!(matches!(err, LayoutError::DigestMismatch { .. }), "{err}");

        std::fs::write(&layer_path, b"longer layer").unwrap();
        let err = read_layout(b.dir.path()).unwrap_err();
        assert!(matches!(err, LayoutError::SizeMismatch { .. }), "{err}");
    }

    #[test]
    fn refuses_hostile_digests_and_media_types() {
        let b = Builder::new();
        let entry =
            json!({"mediaType": OCI_MANIFEST, "digest": "sha256:../../../etc/passwd", "size": 1});
        let err = read_layout(b.finish(&[entry])).unwrap_err();
        assert!(matches!(err, LayoutError::BadDigest { .. }), "{err}");

        let b = Builder::new();
        let other = b.blob("application/vnd.example+json", b"{}");
        let err = read_layout(b.finish(&[other])).unwrap_err();
        assert!(
            matches!(err, LayoutError::UnsupportedMediaType { .. }),
            "{err}"
        );

        let b = Builder::new();
        let mut image = b.image(b"x");
        image["mediaType"] = json!(OCI_INDEX);
        let err = read_layout(b.finish(&[image])).unwrap_err();
        assert!(
            matches!(err, LayoutError::MediaTypeMismatch { .. }),
            "{err}"
        );

        let b = Builder::new();
        let entry = b.blob(OCI_MANIFEST, b"not json");
        let err = read_layout(b.finish(&[entry])).unwrap_err();
        assert!(matches!(err, LayoutError::Json { .. }), "{err}");
    }

    #[test]
    fn docker_media_types_and_foreign_layers() {
        let b = Builder::new();
        let config = b.blob("application/vnd.docker.container.image.v1+json", b"{}");
        let foreign = json!({"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "digest": sha256_digest(b"elsewhere"), "size": 9, "urls": ["https://example.com/l"]});
        let manifest = json!({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                              "config": config, "layers": [foreign]});
        let manifest = b.blob(DOCKER_MANIFEST, manifest.to_string().as_bytes());
        let list = json!({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [manifest]});
        let list = b.blob("", list.to_string().as_bytes());
        let plan = read_layout(b.finish(&[list])).unwrap();
        assert_eq!(plan.blobs.len(), 1, "the foreign layer is not pushed");
        assert_eq!(plan.top().media_type, DOCKER_LIST);
    }
}
