//! Writing OCI image layout directories: `oci-layout`, `index.json`, `blobs/sha256/*`.
//!
//! A single-platform image's `index.json` lists its manifest (with platform and, given a tag,
//! the `org.opencontainers.image.ref.name` annotation umoci and skopeo look up). A multi-platform
//! image's `index.json` lists one image index blob, which lists the per-platform manifests:
//! the shape `skopeo copy --all` and `crane pull --format=oci` give a multi-arch image, so the
//! tag names the whole set and tools pick a platform from the nested index.
//!
//! Every blob that goes into a layout is checked first: a base's and an index's images through
//! [`Image::verify_layers`], new layers through [`LayerBlob::verify`]. A layout is written
//! into a temporary directory beside `out` and renamed into place, so `out` is complete or
//! absent, and the temporary directory is removed on every error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::{build_config, ImageSpec, NewLayer};
use crate::read::{read_image, Image, LayerBlob};
use crate::spec::{
    Descriptor, ImageConfiguration, ImageIndex, ImageManifest, Platform, OCI_CONFIG, OCI_INDEX,
    OCI_MANIFEST, SCHEMA_VERSION,
};
use crate::{canonical_json, sha256_digest, sha256_hex, Error};

const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The OCI annotations naming the image an image was built on (image-spec annotations.md).
const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
const BASE_NAME: &str = "org.opencontainers.image.base.name";

/// The manifest annotations of an image: the spec's, and on a base the base manifest's digest
/// (`base.digest`; a fact of the build, so a different value given is refused). `base.name`
/// (a reference such as `gcr.io/distroless/static:nonroot`) is the caller's to give, and only
/// with a base.
fn manifest_annotations(
    spec: &ImageSpec,
    base: Option<&Image>,
) -> Result<BTreeMap<String, String>, Error> {
    let mut annotations = spec.annotations.clone();
    match base {
        Some(base) => {
            let digest = base.manifest_digest();
            if let Some(given) = annotations.get(BASE_DIGEST).filter(|&g| *g != digest) {
                return Err(Error::Spec(format!(
                    "annotation {BASE_DIGEST}={given} is not the digest of the base image, {digest}: leave it out, it is set from the base"
                )));
            }
            annotations.insert(BASE_DIGEST.to_string(), digest);
        }
        None => {
            for key in [BASE_DIGEST, BASE_NAME] {
                if annotations.contains_key(key) {
                    return Err(Error::Spec(format!(
                        "annotation {key} is given, but the image has no base image"
                    )));
                }
            }
        }
    }
    Ok(annotations)
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
    check_out(out)?;
    let annotations = manifest_annotations(spec, base)?;
    if let Some(base) = base {
        base.verify_layers()?;
    }
    for layer in layers {
        layer.verify()?;
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
    // A base's Docker layer types are written under their OCI names (same bytes).
    let layer_descriptors = all_layers
        .iter()
        .map(|l| descriptor(l.media_type.oci_media_type(), &l.digest, l.size))
        .collect::<Result<Vec<_>, _>>()?;
    let manifest = ImageManifest {
        schema_version: SCHEMA_VERSION,
        media_type: Some(OCI_MANIFEST.to_string()),
        config: descriptor(
            OCI_CONFIG,
            &sha256_digest(&config_bytes),
            config_bytes.len() as u64,
        )?,
        layers: layer_descriptors,
        annotations: Some(annotations).filter(|a| !a.is_empty()),
    };
    let manifest_bytes = canonical_json(&manifest)?;
    let manifest_digest = sha256_digest(&manifest_bytes);

    let mut top = descriptor(OCI_MANIFEST, &manifest_digest, manifest_bytes.len() as u64)?;
    top.platform = Some(platform(&config));
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

/// Writes `image` (one image picked from any layout, see [`crate::select_image`]) as a
/// single-platform layout of its own: its manifest, config and layers byte for byte, each
/// checked, and an `index.json` naming it with its platform and `tag`. Returns the manifest's
/// digest, the same as in the layout it came from.
pub fn write_imported_layout(
    out: &Path,
    image: &Image,
    tag: Option<&str>,
) -> Result<String, Error> {
    check_out(out)?;
    image.verify_layers()?;
    let mut top = image_descriptor(image)?;
    set_tag(&mut top, tag);
    write_layout(out, |dir| {
        copy_image_blobs(dir, image)?;
        write_index_json(dir, vec![top])
    })?;
    Ok(image.manifest_digest())
}

/// Writes a multi-platform image from single-platform layouts; returns the index's digest.
/// Each image's manifest is copied as it is, so its digest stays the one its layout has.
pub fn write_index_layout(
    out: &Path,
    images: &[PathBuf],
    annotations: &BTreeMap<String, String>,
    tag: Option<&str>,
) -> Result<String, Error> {
    check_out(out)?;
    let images: Vec<Image> = images
        .iter()
        .map(|d| read_image(d))
        .collect::<Result<_, _>>()?;
    let mut manifests = Vec::new();
    let mut platforms = Vec::new();
    for image in &images {
        image.verify_layers()?;
        let d = image_descriptor(image)?;
        let key = d
            .platform
            .as_ref()
            .map(|p| {
                format!(
                    "{}/{}/{}",
                    p.os,
                    p.architecture,
                    p.variant.as_deref().unwrap_or_default()
                )
            })
            .unwrap_or_default();
        if platforms.contains(&key) {
            return Err(Error::input(
                &image.dir,
                format!("a second image for platform {key}"),
            ));
        }
        platforms.push(key);
        manifests.push(d);
    }
    let index = ImageIndex {
        annotations: Some(annotations.clone()).filter(|a| !a.is_empty()),
        ..ImageIndex::new(manifests)
    };
    let index_bytes = canonical_json(&index)?;
    let index_digest = sha256_digest(&index_bytes);
    let mut top = descriptor(OCI_INDEX, &index_digest, index_bytes.len() as u64)?;
    set_tag(&mut top, tag);

    write_layout(out, |dir| {
        for image in &images {
            copy_image_blobs(dir, image)?;
        }
        write_blob(dir, &index_bytes)?;
        write_index_json(dir, vec![top])
    })?;
    Ok(index_digest)
}

/// The descriptor of an image's manifest as stored, with the platform of its config.
fn image_descriptor(image: &Image) -> Result<Descriptor, Error> {
    let stored = &image.manifest_descriptor;
    let mut d = descriptor(&stored.media_type, &stored.digest, stored.size)?;
    d.platform = Some(platform(&image.config));
    Ok(d)
}

fn copy_image_blobs(dir: &Path, image: &Image) -> Result<(), Error> {
    for layer in &image.layers {
        copy_blob(dir, &layer.path, &layer.digest)?;
    }
    copy_blob(dir, &image.config_path, &image.manifest.config.digest)?;
    copy_blob(dir, &image.manifest_path, &image.manifest_digest())
}

fn descriptor(media_type: &str, digest: &str, size: u64) -> Result<Descriptor, Error> {
    sha256_hex(digest)?;
    Ok(Descriptor::new(media_type, digest, size))
}

fn platform(config: &ImageConfiguration) -> Platform {
    Platform {
        architecture: config.architecture.clone(),
        os: config.os.clone(),
        variant: config.variant.clone(),
    }
}

fn set_tag(descriptor: &mut Descriptor, tag: Option<&str>) {
    if let Some(tag) = tag {
        descriptor.annotations = Some([(REF_NAME.to_string(), tag.to_string())].into());
    }
}

fn blob_path(dir: &Path, digest: &str) -> Result<PathBuf, Error> {
    Ok(dir.join("blobs/sha256").join(sha256_hex(digest)?))
}

fn write_blob(dir: &Path, bytes: &[u8]) -> Result<(), Error> {
    let path = blob_path(dir, &sha256_digest(bytes))?;
    std::fs::write(&path, bytes).map_err(Error::io(&path))
}

/// Hard-links a read-only blob where the filesystem allows it: a layer is shared by every
/// variant's image and by the indexes, and copies of it would multiply a full build's disk
/// use. Bazel leaves its outputs read-only and never modifies them in place, so sharing their
/// inode is safe; a writable file (a source someone may edit in place) is copied, and so is
/// anything across filesystems or sandbox mounts. `from` is a checked blob.
fn copy_blob(dir: &Path, from: &Path, digest: &str) -> Result<(), Error> {
    let to = blob_path(dir, digest)?;
    if to.exists() {
        return Ok(());
    }
    // A new layer is named as the caller gave it, which in Bazel's sandbox is a symlink:
    // link the file itself (link(2) would link the symlink).
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
    let index = ImageIndex::new(manifests);
    let path = dir.join("index.json");
    std::fs::write(&path, canonical_json(&index)?).map_err(Error::io(&path))
}

/// `out` may be absent or an empty directory (as Bazel pre-creates for a tree artifact);
/// anything else (a file, a symlink even to a directory, a directory with content) is
/// refused before any work is done.
fn check_out(out: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(out)(e)),
        Ok(meta) if meta.is_dir() => {
            let mut entries = std::fs::read_dir(out).map_err(Error::io(out))?;
            if entries.next().is_some() {
                Err(Error::input(out, "exists and is not empty"))
            } else {
                Ok(())
            }
        }
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::input(
            out,
            "exists and is a symlink, not a directory",
        )),
        Ok(_) => Err(Error::input(out, "exists and is not a directory")),
    }
}

/// Builds the layout in a temporary directory beside `out`, then renames it into place, so
/// that `out` is either complete or untouched; the temporary directory goes on any error.
fn write_layout(out: &Path, fill: impl FnOnce(&Path) -> Result<(), Error>) -> Result<(), Error> {
    check_out(out)?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Removed on error, and also should a signal end the process before the rename.
    let tmp = cleanup::TempDir::new_in(parent, ".oci-layout-").map_err(Error::io(parent))?;
    let blobs = tmp.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs).map_err(Error::io(&blobs))?;
    let marker = tmp.path().join("oci-layout");
    std::fs::write(&marker, br#"{"imageLayoutVersion":"1.0.0"}"#).map_err(Error::io(&marker))?;
    fill(tmp.path())?;
    // An empty directory may be replaced (checked above).
    if std::fs::symlink_metadata(out).is_ok_and(|m| m.is_dir()) {
        std::fs::remove_dir(out).map_err(Error::io(out))?;
    }
    tmp.rename_to(out).map_err(Error::io(out))
}
