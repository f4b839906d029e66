//! OCI image layout directories: `oci-layout`, `index.json`, `blobs/sha256/*`.
//!
//! A single-platform image's `index.json` lists its manifest (with platform and, given a tag,
//! the `org.opencontainers.image.ref.name` annotation umoci and skopeo look up). A multi-platform
//! image's `index.json` lists one image index blob, which lists the per-platform manifests:
//! the shape `skopeo copy --all` and `crane pull --format=oci` give a multi-arch image, so the
//! tag names the whole set and tools pick a platform from the nested index.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use oci_spec::image::{
    Descriptor, DescriptorBuilder, ImageConfiguration, ImageIndex, ImageIndexBuilder,
    ImageManifest, ImageManifestBuilder, MediaType, Platform, PlatformBuilder, SCHEMA_VERSION,
};

use crate::config::{build_config, ImageSpec, NewLayer};
use crate::{canonical_json, sha256_digest, sha256_file, Error};

const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A compressed layer blob and what is declared about it (checked before use).
#[derive(Debug, Clone)]
pub struct LayerBlob {
    pub path: PathBuf,
    pub digest: String,
    pub size: u64,
    pub diff_id: String,
    /// `application/vnd.oci.image.layer.v1.tar+gzip` or `+zstd`.
    pub media_type: String,
    /// For the history entry of a new layer.
    pub created_by: String,
}

/// A single-platform image read from a layout directory.
#[derive(Debug, Clone)]
pub struct Image {
    pub config: ImageConfiguration,
    pub manifest: ImageManifest,
    /// The manifest's layers, as files of the layout they were read from.
    pub layers: Vec<LayerBlob>,
    pub dir: PathBuf,
}

/// Reads the one image of a layout written by [`write_image_layout`] (or any layout whose
/// `index.json` lists exactly one image manifest).
pub fn read_image(dir: &Path) -> Result<Image, Error> {
    let index: ImageIndex = read_json(&dir.join("index.json"))?;
    let manifests: Vec<&Descriptor> = index
        .manifests()
        .iter()
        .filter(|d| *d.media_type() == MediaType::ImageManifest)
        .collect();
    let [descriptor] = manifests.as_slice() else {
        return Err(Error::input(
            &dir.join("index.json"),
            format!("expected one image manifest, found {}", manifests.len()),
        ));
    };
    let manifest: ImageManifest = read_json(&blob_path(dir, descriptor.digest().as_ref()))?;
    let config: ImageConfiguration =
        read_json(&blob_path(dir, manifest.config().digest().as_ref()))?;
    let diff_ids = config.rootfs().diff_ids();
    if diff_ids.len() != manifest.layers().len() {
        return Err(Error::input(
            dir,
            format!(
                "{} layers in the manifest but {} diff_ids in the config",
                manifest.layers().len(),
                diff_ids.len()
            ),
        ));
    }
    let layers = manifest
        .layers()
        .iter()
        .zip(diff_ids)
        .map(|(d, diff_id)| LayerBlob {
            path: blob_path(dir, d.digest().as_ref()),
            digest: d.digest().to_string(),
            size: d.size(),
            diff_id: diff_id.clone(),
            media_type: d.media_type().to_string(),
            created_by: String::new(),
        })
        .collect();
    Ok(Image {
        config,
        manifest,
        layers,
        dir: dir.to_path_buf(),
    })
}

/// Writes a single-platform image: `base`'s layers, then `layers`, configured by `spec`.
/// Returns the manifest's digest.
pub fn write_image_layout(
    out: &Path,
    spec: &ImageSpec,
    base: Option<&Image>,
    layers: &[LayerBlob],
    tag: Option<&str>,
) -> Result<String, Error> {
    for layer in layers {
        let (digest, size) = sha256_file(&layer.path)?;
        if digest != layer.digest || size != layer.size {
            return Err(Error::input(
                &layer.path,
                format!(
                    "is {digest} ({size} bytes), but {} ({} bytes) was declared",
                    layer.digest, layer.size
                ),
            ));
        }
    }
    let new: Vec<NewLayer> = layers
        .iter()
        .map(|l| NewLayer {
            diff_id: l.diff_id.clone(),
            created_by: l.created_by.clone(),
        })
        .collect();
    let config = build_config(spec, base.map(|b| &b.config), &new)?;
    let config_bytes = canonical_json(&config)?;

    let all_layers: Vec<&LayerBlob> = base
        .map(|b| b.layers.iter().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(layers)
        .collect();
    let layer_descriptors = all_layers
        .iter()
        .map(|l| descriptor(MediaType::from(l.media_type.as_str()), &l.digest, l.size))
        .collect::<Result<Vec<_>, _>>()?;
    let mut manifest = ImageManifestBuilder::default()
        .schema_version(SCHEMA_VERSION)
        .media_type(MediaType::ImageManifest)
        .config(descriptor(
            MediaType::ImageConfig,
            &sha256_digest(&config_bytes),
            config_bytes.len() as u64,
        )?)
        .layers(layer_descriptors)
        .build()?;
    if !spec.annotations.is_empty() {
        manifest.set_annotations(Some(spec.annotations.clone().into_iter().collect()));
    }
    let manifest_bytes = canonical_json(&manifest)?;
    let manifest_digest = sha256_digest(&manifest_bytes);

    let mut top = descriptor(
        MediaType::ImageManifest,
        &manifest_digest,
        manifest_bytes.len() as u64,
    )?;
    top.set_platform(Some(platform(&config)?));
    set_tag(&mut top, tag);

    write_layout(out, |dir| {
        for layer in &all_layers {
            copy_blob(dir, &layer.path, &layer.digest)?;
        }
        write_blob(dir, &config_bytes)?;
        write_blob(dir, &manifest_bytes)?;
        write_index_json(dir, vec![top])
    })?;
    Ok(manifest_digest)
}

/// Writes a multi-platform image from single-platform layouts; returns the index's digest.
pub fn write_index_layout(
    out: &Path,
    images: &[PathBuf],
    annotations: &BTreeMap<String, String>,
    tag: Option<&str>,
) -> Result<String, Error> {
    let images: Vec<Image> = images
        .iter()
        .map(|d| read_image(d))
        .collect::<Result<_, _>>()?;
    let mut manifests = Vec::new();
    let mut platforms = Vec::new();
    for image in &images {
        let manifest_bytes = canonical_json(&image.manifest)?;
        let mut d = descriptor(
            MediaType::ImageManifest,
            &sha256_digest(&manifest_bytes),
            manifest_bytes.len() as u64,
        )?;
        let p = platform(&image.config)?;
        let key = format!(
            "{}/{}/{}",
            p.os(),
            p.architecture(),
            p.variant().clone().unwrap_or_default()
        );
        if platforms.contains(&key) {
            return Err(Error::input(
                &image.dir,
                format!("a second image for platform {key}"),
            ));
        }
        platforms.push(key);
        d.set_platform(Some(p));
        manifests.push(d);
    }
    let mut index = ImageIndexBuilder::default()
        .schema_version(SCHEMA_VERSION)
        .media_type(MediaType::ImageIndex)
        .manifests(manifests)
        .build()?;
    if !annotations.is_empty() {
        index.set_annotations(Some(annotations.clone().into_iter().collect()));
    }
    let index_bytes = canonical_json(&index)?;
    let index_digest = sha256_digest(&index_bytes);
    let mut top = descriptor(
        MediaType::ImageIndex,
        &index_digest,
        index_bytes.len() as u64,
    )?;
    set_tag(&mut top, tag);

    write_layout(out, |dir| {
        for image in &images {
            copy_blob(
                dir,
                &blob_path(&image.dir, image.manifest.config().digest().as_ref()),
                image.manifest.config().digest().as_ref(),
            )?;
            for layer in &image.layers {
                copy_blob(dir, &layer.path, &layer.digest)?;
            }
            write_blob(dir, &canonical_json(&image.manifest)?)?;
        }
        write_blob(dir, &index_bytes)?;
        write_index_json(dir, vec![top])
    })?;
    Ok(index_digest)
}

fn descriptor(media_type: MediaType, digest: &str, size: u64) -> Result<Descriptor, Error> {
    let digest: oci_spec::image::Digest = digest
        .parse()
        .map_err(|e| Error::Spec(format!("bad digest {digest:?}: {e}")))?;
    Ok(DescriptorBuilder::default()
        .media_type(media_type)
        .digest(digest)
        .size(size)
        .build()?)
}

fn platform(config: &ImageConfiguration) -> Result<Platform, Error> {
    let mut builder = PlatformBuilder::default()
        .architecture(config.architecture().clone())
        .os(config.os().clone());
    if let Some(variant) = config.variant() {
        builder = builder.variant(variant.clone());
    }
    Ok(builder.build()?)
}

fn set_tag(descriptor: &mut Descriptor, tag: Option<&str>) {
    if let Some(tag) = tag {
        descriptor.set_annotations(Some([(REF_NAME.to_string(), tag.to_string())].into()));
    }
}

fn blob_path(dir: &Path, digest: &str) -> PathBuf {
    let (algorithm, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
    dir.join("blobs").join(algorithm).join(hex)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let bytes = std::fs::read(path).map_err(Error::io(path))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::input(path, format!("not valid: {e}")))
}

fn write_blob(dir: &Path, bytes: &[u8]) -> Result<(), Error> {
    let path = blob_path(dir, &sha256_digest(bytes));
    std::fs::write(&path, bytes).map_err(Error::io(&path))
}

/// Hard-links a read-only blob where the filesystem allows it: a layer is shared by every
/// variant's image and by the indexes, and copies of it would multiply a full build's disk
/// use. Bazel leaves its outputs read-only and never modifies them in place, so sharing their
/// inode is safe; a writable file (a source someone may edit in place) is copied, and so is
/// anything across filesystems or sandbox mounts.
fn copy_blob(dir: &Path, from: &Path, digest: &str) -> Result<(), Error> {
    let to = blob_path(dir, digest);
    if to.exists() {
        return Ok(());
    }
    // Bazel's sandbox hands inputs over as symlinks; link the file they point to.
    let source = std::fs::canonicalize(from).map_err(Error::io(from))?;
    let read_only = std::fs::metadata(&source)
        .map_err(Error::io(from))?
        .permissions()
        .readonly();
    if !read_only || std::fs::hard_link(&source, &to).is_err() {
        std::fs::copy(&source, &to).map_err(Error::io(from))?;
    }
    Ok(())
}

fn write_index_json(dir: &Path, manifests: Vec<Descriptor>) -> Result<(), Error> {
    let index = ImageIndexBuilder::default()
        .schema_version(SCHEMA_VERSION)
        .media_type(MediaType::ImageIndex)
        .manifests(manifests)
        .build()?;
    let path = dir.join("index.json");
    std::fs::write(&path, canonical_json(&index)?).map_err(Error::io(&path))
}

/// Builds the layout in a temporary directory beside `out`, then renames it into place, so
/// that `out` is either complete or untouched.
fn write_layout(out: &Path, fill: impl FnOnce(&Path) -> Result<(), Error>) -> Result<(), Error> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".oci-layout-")
        .tempdir_in(parent)
        .map_err(Error::io(parent))?;
    let blobs = tmp.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs).map_err(Error::io(&blobs))?;
    let marker = tmp.path().join("oci-layout");
    std::fs::write(&marker, br#"{"imageLayoutVersion":"1.0.0"}"#).map_err(Error::io(&marker))?;
    fill(tmp.path())?;
    // An empty directory (as Bazel pre-creates for a tree artifact) may be replaced.
    if out.is_dir() {
        std::fs::remove_dir(out).map_err(Error::io(out))?;
    }
    let kept = tmp.keep();
    std::fs::rename(&kept, out).map_err(Error::io(out))
}
