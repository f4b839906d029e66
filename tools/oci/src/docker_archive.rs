//! `docker load` tarballs (the `docker save` format) for one image.
//!
//! gzip layers go in as they are (`<diff_id hex>/layer.tar.gz`), zstd ones decompressed and
//! uncompressed ones as they are (`<diff_id hex>/layer.tar`); the daemon names a layer by its
//! diff_id either way. Layers are streamed, twice where a size must be known before the data
//! (zstd): memory does not grow with their size. Each blob is checked against its descriptor
//! (digest, size) and its diff_id as it is read.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use tarstream::write::{ustar_header, write_padding};
use tarstream::BLOCK;

use crate::read::{Image, LayerBlob};
use crate::{DigestReader, Error, LayerMediaType};

/// Writes `image` as a docker-archive tarball tagged `repo_tag` (e.g. `distroless/static:latest`).
pub fn write_docker_archive(image: &Image, repo_tag: &str, out: impl Write) -> Result<(), Error> {
    // As stored: docker names the image by its config's sha256, the OCI config digest.
    let config_bytes = image.config_bytes()?;
    let config_name = format!("{}.json", hex_of(&crate::sha256_digest(&config_bytes)));
    let mut tar = out;
    let mut layer_names = Vec::new();
    for layer in &image.layers {
        let format = layer.media_type;
        // Pass one: the blob against its descriptor and diff_id, and the tar's size.
        let tar_size = check_blob(layer)?;
        let hex = hex_of(&layer.diff_id);
        let name = match format {
            // Every `docker load` and `podman load` detects gzip: the compressed layer goes
            // in as it is, which keeps the tarball the size of the image, not of its files.
            LayerMediaType::Gzip => {
                let name = format!("{hex}/layer.tar.gz");
                append(
                    &mut tar,
                    &name,
                    layer,
                    (layer.size, &layer.digest),
                    |file| Ok(Box::new(file)),
                )?;
                name
            }
            // Older Docker daemons cannot decompress zstd: store the tar itself.
            LayerMediaType::Zstd | LayerMediaType::Tar => {
                let name = format!("{hex}/layer.tar");
                append(&mut tar, &name, layer, (tar_size, &layer.diff_id), |file| {
                    format.decompress(BufReader::with_capacity(1 << 16, file))
                })?;
                name
            }
        };
        layer_names.push(name);
    }
    append_bytes(&mut tar, &config_name, &config_bytes)?;
    let manifest = serde_json::json!([{
        "Config": config_name,
        "RepoTags": [repo_tag],
        "Layers": layer_names,
    }]);
    append_bytes(&mut tar, "manifest.json", &serde_json::to_vec(&manifest)?)?;
    // The end-of-archive marker; a buffered writer would swallow its last write error when
    // dropped.
    tar.write_all(&[0u8; 2 * BLOCK])
        .and_then(|()| tar.flush())
        .map_err(Error::io(Path::new(repo_tag)))
}

/// Reads `layer`'s blob through, checking its digest, size and diff_id; returns the size of
/// the tar inside.
fn check_blob(layer: &LayerBlob) -> Result<u64, Error> {
    let mut reader = layer.open()?;
    let tar_size = io::copy(&mut reader, &mut io::sink());
    // A blob that is not what was declared is reported as such, before a decoder's error.
    reader.finish()?;
    tar_size.map_err(Error::io(&layer.path))
}

/// Appends what `open` reads from `layer`'s blob (pass two), checking it is the `size` bytes
/// of digest `expected` that pass one checked.
fn append(
    tar: &mut impl Write,
    name: &str,
    layer: &LayerBlob,
    (size, expected): (u64, &str),
    open: impl FnOnce(File) -> io::Result<Box<dyn Read>>,
) -> Result<(), Error> {
    let file = File::open(&layer.path).map_err(Error::io(&layer.path))?;
    let reader = open(file).map_err(Error::io(&layer.path))?;
    let mut data = DigestReader::new(reader.take(size));
    tar.write_all(&header(name, size)?)
        .and_then(|()| io::copy(&mut data, tar))
        .and_then(|_| write_padding(tar, size))
        .map_err(Error::io(&layer.path))?;
    let (digest, copied) = data.finish();
    if copied != size || digest != expected {
        return Err(Error::input(
            &layer.path,
            "changed while it was written into the archive",
        ));
    }
    Ok(())
}

/// A regular file's header: 0644, root, mtime 0. Every name here (a digest's hex and a file
/// name) fits ustar's 100 bytes.
fn header(name: &str, size: u64) -> Result<[u8; BLOCK], Error> {
    if name.len() > 100 {
        return Err(Error::input(
            Path::new(name),
            "is too long a name for the archive",
        ));
    }
    Ok(ustar_header("", name, b'0', 0o644, 0, 0, size, 0, ""))
}

fn hex_of(digest: &str) -> &str {
    digest.split_once(':').map_or(digest, |(_, h)| h)
}

fn append_bytes(tar: &mut impl Write, name: &str, data: &[u8]) -> Result<(), Error> {
    let size = data.len() as u64;
    tar.write_all(&header(name, size)?)
        .and_then(|()| tar.write_all(data))
        .and_then(|()| write_padding(tar, size))
        .map_err(Error::io(Path::new(name)))
}
