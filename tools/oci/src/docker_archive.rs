//! `docker load` tarballs (the `docker save` format) for one image.
//!
//! Layers go in uncompressed as `<diff_id hex>/layer.tar`: every Docker version loads that,
//! and the layer's digest inside the daemon is its diff_id either way.

use std::io::{Read, Write};
use std::path::Path;

use crate::layout::Image;
use crate::{canonical_json, Error};

/// Writes `image` as a docker-archive tarball tagged `repo_tag` (e.g. `distroless/static:latest`).
pub fn write_docker_archive(image: &Image, repo_tag: &str, out: impl Write) -> Result<(), Error> {
    let config_bytes = canonical_json(&image.config)?;
    let config_name = format!("{}.json", hex_of(&crate::sha256_digest(&config_bytes)));
    let mut tar = tar::Builder::new(out);
    let mut layer_names = Vec::new();
    for layer in &image.layers {
        let name = format!("{}/layer.tar", hex_of(&layer.diff_id));
        let file = std::fs::File::open(&layer.path).map_err(Error::io(&layer.path))?;
        let mut data = Vec::new();
        let mut decoder: Box<dyn Read> = if layer.media_type.ends_with("+zstd") {
            Box::new(zstd::stream::read::Decoder::new(file).map_err(Error::io(&layer.path))?)
        } else {
            Box::new(flate2::read::GzDecoder::new(file))
        };
        decoder
            .read_to_end(&mut data)
            .map_err(Error::io(&layer.path))?;
        if crate::sha256_digest(&data) != layer.diff_id {
            return Err(Error::input(
                &layer.path,
                format!("does not decompress to its diff_id {}", layer.diff_id),
            ));
        }
        append(&mut tar, &name, &data)?;
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
