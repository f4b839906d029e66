//! `docker load` tarballs (the `docker save` format) for one image.
//!
//! gzip layers go in as they are (`<diff_id hex>/layer.tar.gz`), zstd ones decompressed
//! (`<diff_id hex>/layer.tar`); the daemon names a layer by its diff_id either way.

use std::io::{Read, Write};
use std::path::Path;

use crate::read::{Image, LayerBlob};
use crate::{canonical_json, Error};

/// Writes `image` as a docker-archive tarball tagged `repo_tag` (e.g. `distroless/static:latest`).
pub fn write_docker_archive(image: &Image, repo_tag: &str, out: impl Write) -> Result<(), Error> {
    let config_bytes = canonical_json(&image.config)?;
    let config_name = format!("{}.json", hex_of(&crate::sha256_digest(&config_bytes)));
    let mut tar = tar::Builder::new(out);
    let mut layer_names = Vec::new();
    for layer in &image.layers {
        let hex = hex_of(&layer.diff_id);
        let name = if layer.media_type == crate::LayerMediaType::Zstd {
            // Older Docker daemons cannot decompress zstd: store the tar itself.
            let mut data = Vec::new();
            let file = std::fs::File::open(&layer.path).map_err(Error::io(&layer.path))?;
            zstd::stream::read::Decoder::new(file)
                .and_then(|mut decoder| decoder.read_to_end(&mut data))
                .map_err(Error::io(&layer.path))?;
            check_diff_id(layer, &crate::sha256_digest(&data))?;
            let name = format!("{hex}/layer.tar");
            append(&mut tar, &name, &data)?;
            name
        } else {
            // Every `docker load` and `podman load` detects gzip: the compressed layer goes
            // in as it is, which keeps the tarball the size of the image, not of its files.
            let compressed = std::fs::read(&layer.path).map_err(Error::io(&layer.path))?;
            let (diff_id, _) =
                crate::sha256_reader(flate2::read::GzDecoder::new(&compressed[..]), &layer.path)?;
            check_diff_id(layer, &diff_id)?;
            let name = format!("{hex}/layer.tar.gz");
            append(&mut tar, &name, &compressed)?;
            name
        };
        layer_names.push(name);
    }
    append(&mut tar, &config_name, &config_bytes)?;
    let manifest = serde_json::json!([{
        "Config": config_name,
        "RepoTags": [repo_tag],
        "Layers": layer_names,
    }]);
    append(&mut tar, "manifest.json", &serde_json::to_vec(&manifest)?)?;
    // A buffered writer would swallow its last write error when dropped.
    let mut out = tar.into_inner().map_err(Error::io(Path::new(repo_tag)))?;
    out.flush().map_err(Error::io(Path::new(repo_tag)))
}

fn hex_of(digest: &str) -> &str {
    digest.split_once(':').map_or(digest, |(_, h)| h)
}

fn check_diff_id(layer: &LayerBlob, uncompressed_digest: &str) -> Result<(), Error> {
    if uncompressed_digest == layer.diff_id {
        return Ok(());
    }
    Err(Error::input(
        &layer.path,
        format!("does not decompress to its diff_id {}", layer.diff_id),
    ))
}

fn append<W: Write>(tar: &mut tar::Builder<W>, name: &str, data: &[u8]) -> Result<(), Error> {
    let mut header = tar::Header::new_ustar();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, name, data)
        .map_err(Error::io(Path::new(name)))
}
