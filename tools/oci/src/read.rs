//! Reading an image out of any OCI image layout, checked as an attacker's input.
//!
//! `index.json`, nested indexes, the manifest and the config are read bounded and checked
//! against their descriptors (sha256 and size) before they are parsed; every digest is
//! validated before it names a file; files are found without following a symlink out of the
//! layout ([`crate::resolve`]); layer media types are limited to the tar, gzip and zstd
//! layers of OCI and Docker. Layer contents (sha256, size, and the diff_id of what they
//! decompress to) are checked by [`Image::verify_layers`] or while they are read through
//! [`LayerBlob::open`], streamed.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::resolve::LayoutDir;
use crate::spec::{
    Descriptor, ImageConfiguration, ImageIndex, ImageManifest, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST,
};
use crate::{sha256_hex, Error, LayerMediaType};

/// The largest JSON document (index, manifest, config) read: registries refuse manifests
/// over 4 MiB; configs with a long history stay far below this.
const MAX_JSON: u64 = 16 << 20;
/// Indexes within indexes followed, at most.
const MAX_NESTING: usize = 4;
const REF_NAME: &str = "org.opencontainers.image.ref.name";

const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// A layer blob and what is declared about it.
#[derive(Debug, Clone)]
pub struct LayerBlob {
    /// The blob file (for a layer read from a layout: its real path, links resolved).
    pub path: PathBuf,
    pub digest: String,
    pub size: u64,
    pub diff_id: String,
    pub media_type: LayerMediaType,
    /// For the history entry of a new layer.
    pub created_by: String,
}

/// A single-platform image read from a layout directory.
#[derive(Debug, Clone)]
pub struct Image {
    pub config: ImageConfiguration,
    pub manifest: ImageManifest,
    /// The manifest blob's media type, digest and size, as the layout stores it.
    pub manifest_descriptor: Descriptor,
    /// The manifest and config blobs (real paths): copied as they are, never re-serialised.
    pub manifest_path: PathBuf,
    pub config_path: PathBuf,
    /// The manifest's layers, as files of the layout they were read from.
    pub layers: Vec<LayerBlob>,
    /// The layout, as the caller named it.
    pub dir: PathBuf,
}

/// Which image of a layout to take: by tag and by platform. Unset fields match anything.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    /// `org.opencontainers.image.ref.name` of an `index.json` entry.
    pub ref_name: Option<String>,
    pub os: Option<String>,
    /// OCI architecture (amd64, arm64, arm, ...).
    pub architecture: Option<String>,
    /// arm64's `v8` and arm's `v7` also match an image that names no variant.
    pub variant: Option<String>,
}

/// The one image of a layout: `index.json` (and any index it lists) must lead to exactly one
/// image manifest.
pub fn read_image(dir: &Path) -> Result<Image, Error> {
    select_image(dir, &Selector::default())
}

/// The image of a layout that `selector` picks; exactly one must match.
pub fn select_image(dir: &Path, selector: &Selector) -> Result<Image, Error> {
    let layout = LayoutDir::open(dir)?;
    let index_path = layout.file("index.json")?;
    let index: ImageIndex = parse(&read_bounded(
        &index_path,
        &layout.shown.join("index.json"),
    )?)
    .map_err(|e| Error::input(&layout.shown.join("index.json"), e))?;
    let mut found = Vec::new();
    for entry in &index.manifests {
        let ref_name = entry.annotations.as_ref().and_then(|a| a.get(REF_NAME));
        if selector.ref_name.is_some() && ref_name != selector.ref_name.as_ref() {
            continue;
        }
        collect_manifests(&layout, entry, 0, &mut found)?;
    }
    let mut images = Vec::new();
    let mut seen = Vec::new();
    for descriptor in found {
        let image = load_image(&layout, descriptor)?;
        let platform = platform_name(&image.config);
        if selector.matches(&image.config) {
            images.push(image);
        }
        seen.push(platform);
    }
    let seen = if seen.is_empty() {
        "no image manifest".to_string()
    } else {
        seen.join(", ")
    };
    match images.len() {
        1 => Ok(images.remove(0)),
        0 => Err(Error::input(
            dir,
            format!(
                "no image matches{} (the layout has {seen})",
                selector.describe()
            ),
        )),
        n => Err(Error::input(
            dir,
            format!(
                "{n} images match{} (the layout has {seen}): choose one by platform or tag",
                selector.describe()
            ),
        )),
    }
}

impl Selector {
    fn matches(&self, config: &ImageConfiguration) -> bool {
        let arch = &config.architecture;
        let os = &config.os;
        if self.os.is_none() && self.architecture.is_none() && self.variant.is_none() {
            // Attestation and other non-runnable manifests (buildx writes unknown/unknown).
            return os != "unknown" && arch != "unknown";
        }
        self.os.as_ref().is_none_or(|o| o == os)
            && self.architecture.as_ref().is_none_or(|a| a == arch)
            && self.variant.as_ref().is_none_or(|v| {
                normal_variant(arch, Some(v)) == normal_variant(arch, config.variant.as_ref())
            })
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = &self.ref_name {
            parts.push(format!("tag {r:?}"));
        }
        let platform = [&self.os, &self.architecture, &self.variant]
            .iter()
            .map(|p| p.as_deref().unwrap_or("*"))
            .collect::<Vec<_>>()
            .join("/");
        if platform != "*/*/*" {
            parts.push(format!("platform {platform}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" {}", parts.join(" and "))
        }
    }
}

/// containerd's normalisation: arm64 without a variant is v8, arm without one is v7.
fn normal_variant(arch: &str, variant: Option<&String>) -> String {
    match (arch, variant.map(String::as_str)) {
        ("arm64", None | Some("")) => "v8".into(),
        ("arm", None | Some("")) => "v7".into(),
        (_, v) => v.unwrap_or_default().to_string(),
    }
}

fn platform_name(config: &ImageConfiguration) -> String {
    let mut name = format!("{}/{}", config.os, config.architecture);
    if let Some(variant) = &config.variant {
        name.push('/');
        name.push_str(variant);
    }
    name
}

fn collect_manifests(
    layout: &LayoutDir,
    descriptor: &Descriptor,
    depth: usize,
    out: &mut Vec<Descriptor>,
) -> Result<(), Error> {
    match descriptor.media_type.as_str() {
        OCI_MANIFEST | DOCKER_MANIFEST => {
            out.push(descriptor.clone());
        }
        OCI_INDEX | DOCKER_LIST => {
            if depth >= MAX_NESTING {
                return Err(Error::input(
                    &layout.shown,
                    format!("indexes nested more than {MAX_NESTING} deep"),
                ));
            }
            let (index, _): (ImageIndex, _) = read_json_blob(layout, descriptor)?;
            for entry in &index.manifests {
                collect_manifests(layout, entry, depth + 1, out)?;
            }
        }
        // Artifacts, signatures and the like are not images to build on.
        _ => {}
    }
    Ok(())
}

fn load_image(layout: &LayoutDir, descriptor: Descriptor) -> Result<Image, Error> {
    let (manifest, manifest_path): (ImageManifest, _) = read_json_blob(layout, &descriptor)?;
    let shown = blob_shown(layout, &descriptor)?;
    if let Some(inner) = &manifest.media_type {
        if *inner != descriptor.media_type {
            return Err(Error::input(
                &shown,
                format!(
                    "is a {inner} but its descriptor says {}",
                    descriptor.media_type
                ),
            ));
        }
    }
    let config_type = &manifest.config.media_type;
    if config_type != OCI_CONFIG && config_type != DOCKER_CONFIG {
        return Err(Error::input(
            &shown,
            format!("config media type {config_type:?} is not an image configuration"),
        ));
    }
    let (config, config_path): (ImageConfiguration, _) = read_json_blob(layout, &manifest.config)?;
    if let Some(platform) = &descriptor.platform {
        let arch = &platform.architecture;
        if platform.os != config.os
            || platform.architecture != config.architecture
            || normal_variant(arch, platform.variant.as_ref())
                != normal_variant(arch, config.variant.as_ref())
        {
            return Err(Error::input(
                &shown,
                format!(
                    "its index says platform {}/{}{} but its config {}",
                    platform.os,
                    arch,
                    platform
                        .variant
                        .as_ref()
                        .map(|v| format!("/{v}"))
                        .unwrap_or_default(),
                    platform_name(&config)
                ),
            ));
        }
    }
    let diff_ids = &config.rootfs.diff_ids;
    if diff_ids.len() != manifest.layers.len() {
        return Err(Error::input(
            &shown,
            format!(
                "{} layers in the manifest but {} diff_ids in its config",
                manifest.layers.len(),
                diff_ids.len()
            ),
        ));
    }
    let mut layers = Vec::new();
    for (d, diff_id) in manifest.layers.iter().zip(diff_ids) {
        let media_type = LayerMediaType::parse(&d.media_type)
            .map_err(|e| Error::input(&shown, e.to_string()))?;
        sha256_hex(diff_id).map_err(|e| Error::input(&shown, format!("diff_id: {e}")))?;
        let path = blob_file(layout, d)?;
        let on_disk = std::fs::metadata(&path).map_err(Error::io(&path))?.len();
        if on_disk != d.size {
            return Err(Error::input(
                &blob_shown(layout, d)?,
                format!("is {on_disk} bytes, but its descriptor says {}", d.size),
            ));
        }
        layers.push(LayerBlob {
            path,
            digest: d.digest.clone(),
            size: d.size,
            diff_id: diff_id.clone(),
            media_type,
            created_by: String::new(),
        });
    }
    Ok(Image {
        config,
        manifest,
        manifest_descriptor: descriptor,
        manifest_path,
        config_path,
        layers,
        dir: layout.shown.clone(),
    })
}

impl Image {
    /// The manifest's digest (`sha256:...`).
    pub fn manifest_digest(&self) -> String {
        self.manifest_descriptor.digest.clone()
    }

    /// The config blob as the layout stores it, checked again against its descriptor (the
    /// file may have changed since it was read).
    pub fn config_bytes(&self) -> Result<Vec<u8>, Error> {
        let bytes = read_bounded(&self.config_path, &self.config_path)?;
        let descriptor = &self.manifest.config;
        let digest = crate::sha256_digest(&bytes);
        if bytes.len() as u64 != descriptor.size || digest != descriptor.digest {
            return Err(Error::input(
                &self.config_path,
                format!(
                    "is {digest} ({} bytes), but the manifest's config is {} ({} bytes)",
                    bytes.len(),
                    descriptor.digest,
                    descriptor.size
                ),
            ));
        }
        Ok(bytes)
    }

    /// Checks every layer's content: sha256 and size of the blob, and the sha256 of what it
    /// decompresses to (by its media type) against the config's diff_id. Streamed.
    pub fn verify_layers(&self) -> Result<(), Error> {
        self.layers.iter().try_for_each(LayerBlob::verify)
    }
}

impl LayerBlob {
    /// The layer's tar stream, decompressed by its media type. Call
    /// [`LayerReader::finish`] after reading: it reads what is left and checks the blob's
    /// sha256 and size and the tar's diff_id.
    pub fn open(&self) -> Result<LayerReader<'_>, Error> {
        sha256_hex(&self.digest).map_err(|e| Error::input(&self.path, e.to_string()))?;
        sha256_hex(&self.diff_id).map_err(|e| Error::input(&self.path, format!("diff_id: {e}")))?;
        let file = std::fs::File::open(&self.path).map_err(Error::io(&self.path))?;
        let on_disk = file.metadata().map_err(Error::io(&self.path))?.len();
        if on_disk != self.size {
            return Err(self.mismatch(&format!("{on_disk} bytes")));
        }
        let blob = Arc::new(Mutex::new(Counted::default()));
        let hashing = HashingReader {
            // Not a byte past the declared size, whatever happens to the file meanwhile.
            inner: file.take(self.size),
            state: Arc::clone(&blob),
        };
        let tar = self
            .media_type
            .decompress(BufReader::with_capacity(1 << 16, hashing))
            .map_err(Error::io(&self.path))?;
        Ok(LayerReader {
            layer: self,
            tar,
            blob,
            tar_hash: Sha256::new(),
        })
    }

    fn mismatch(&self, found: &str) -> Error {
        Error::input(
            &self.path,
            format!(
                "is {found}, but {} ({} bytes) was declared",
                self.digest, self.size
            ),
        )
    }

    /// Reads the whole layer, checking its digest, size and diff_id.
    pub fn verify(&self) -> Result<(), Error> {
        self.open()?.finish()
    }
}

/// A layer's uncompressed tar, hashed as it is read (see [`LayerBlob::open`]).
pub struct LayerReader<'a> {
    layer: &'a LayerBlob,
    tar: Box<dyn Read + 'a>,
    blob: Arc<Mutex<Counted>>,
    tar_hash: Sha256,
}

impl Read for LayerReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.tar.read(buf)?;
        self.tar_hash.update(&buf[..n]);
        Ok(n)
    }
}

impl LayerReader<'_> {
    /// Reads to the end (the decompressor's own checks run there) and compares the blob's
    /// sha256 and size and the tar's sha256 with what was declared.
    pub fn finish(mut self) -> Result<(), Error> {
        let path = &self.layer.path;
        if let Err(e) = std::io::copy(&mut self, &mut std::io::sink()) {
            // A blob that is not what was declared says so first; the decoder's complaint
            // only matters for one that is.
            if let Ok((digest, size)) = crate::sha256_file(path) {
                if digest != self.layer.digest {
                    return Err(self.layer.mismatch(&format!("{digest} ({size} bytes)")));
                }
            }
            return Err(Error::input(
                path,
                format!(
                    "is not a {} layer: {e}",
                    self.layer.media_type.oci_media_type()
                ),
            ));
        }
        let (digest, size) = {
            let blob = self.blob.lock().map_err(|_| {
                Error::input(path, "the reader of this blob failed in another thread")
            })?;
            (
                format!("sha256:{}", hex::encode(blob.hash.clone().finalize())),
                blob.size,
            )
        };
        if digest != self.layer.digest || size != self.layer.size {
            return Err(self.layer.mismatch(&format!("{digest} ({size} bytes)")));
        }
        let diff_id = format!("sha256:{}", hex::encode(self.tar_hash.finalize()));
        if diff_id != self.layer.diff_id {
            return Err(Error::input(
                path,
                format!(
                    "decompresses to {diff_id}, not to its diff_id {}",
                    self.layer.diff_id
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Default)]
struct Counted {
    hash: Sha256,
    size: u64,
}

struct HashingReader<R> {
    inner: R,
    state: Arc<Mutex<Counted>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self
            .state
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        state.hash.update(&buf[..n]);
        state.size += n as u64;
        Ok(n)
    }
}

fn blob_rel(descriptor: &Descriptor) -> Result<String, Error> {
    Ok(format!("blobs/sha256/{}", sha256_hex(&descriptor.digest)?))
}

fn blob_shown(layout: &LayoutDir, descriptor: &Descriptor) -> Result<PathBuf, Error> {
    blob_rel(descriptor)
        .map(|rel| layout.shown.join(rel))
        .map_err(|e| Error::input(&layout.shown, e.to_string()))
}

fn blob_file(layout: &LayoutDir, descriptor: &Descriptor) -> Result<PathBuf, Error> {
    let rel = blob_rel(descriptor).map_err(|e| Error::input(&layout.shown, e.to_string()))?;
    layout.file(&rel)
}

/// A JSON blob, checked against its descriptor (size first, then sha256) before parsing.
fn read_json_blob<T: serde::de::DeserializeOwned>(
    layout: &LayoutDir,
    descriptor: &Descriptor,
) -> Result<(T, PathBuf), Error> {
    let shown = blob_shown(layout, descriptor)?;
    if descriptor.size > MAX_JSON {
        return Err(Error::input(
            &shown,
            format!(
                "is declared {} bytes, more than the {MAX_JSON} a {} may have",
                descriptor.size, descriptor.media_type
            ),
        ));
    }
    let path = blob_file(layout, descriptor)?;
    let bytes = read_bounded(&path, &shown)?;
    let digest = crate::sha256_digest(&bytes);
    if bytes.len() as u64 != descriptor.size || digest != descriptor.digest {
        return Err(Error::input(
            &shown,
            format!(
                "is {digest} ({} bytes), but its descriptor says {} ({} bytes)",
                bytes.len(),
                descriptor.digest,
                descriptor.size
            ),
        ));
    }
    Ok((parse(&bytes).map_err(|e| Error::input(&shown, e))?, path))
}

fn read_bounded(path: &Path, shown: &Path) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path).map_err(Error::io(shown))?;
    let mut bytes = Vec::new();
    file.take(MAX_JSON + 1)
        .read_to_end(&mut bytes)
        .map_err(Error::io(shown))?;
    if bytes.len() as u64 > MAX_JSON {
        return Err(Error::input(
            shown,
            format!("is larger than {MAX_JSON} bytes"),
        ));
    }
    Ok(bytes)
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not valid: {e}"))
}
