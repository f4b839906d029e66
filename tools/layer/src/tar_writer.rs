//! Byte-exact tar output: ustar headers, a PAX record only for what ustar cannot hold, sorted
//! entries, one mtime, numeric owners without names; gzip with a fixed header.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use sha2::{Digest, Sha256};
use tarstream::write::{ustar_header, write_padding, OCTAL11_MAX, OCTAL7_MAX};
use tarstream::BLOCK;

use crate::entry::Kind;
use crate::gzip::ParallelGzEncoder;
use crate::{Entry, Error, Layer};

/// The identifiers of a written layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDigests {
    /// `sha256:<hex>` of the uncompressed tar (the image config's `diff_id`).
    pub diff_id: String,
    /// `sha256:<hex>` of the compressed blob (the manifest's layer digest).
    pub digest: String,
    /// Size of the compressed blob in bytes.
    pub size: u64,
}

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LayerCompression {
    /// gzip, level 6, with a fixed header (no name, mtime 0, OS "unknown"), deflated in
    /// 1 MiB pieces on all cores (see [`crate::gzip`]).
    #[default]
    Gzip,
    /// zstd, level 3, single-threaded (deterministic), with the content size and a checksum.
    Zstd,
}

impl LayerCompression {
    /// The OCI media type of a layer compressed this way.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Self::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
}

/// Writes `layer` as compressed tar to `out`.
pub fn write_tar(
    layer: &Layer,
    out: impl Write,
    mtime: u64,
    compression: LayerCompression,
) -> Result<LayerDigests, Error> {
    let compressed = HashingWriter::new(out);
    let (diff_id, compressed) = match compression {
        LayerCompression::Gzip => {
            let gzip = ParallelGzEncoder::with_available_threads(compressed);
            let (gzip, diff_id) = write_entries(layer, gzip, mtime)?;
            (diff_id, gzip.finish()?)
        }
        LayerCompression::Zstd => {
            let mut zstd = zstd::stream::write::Encoder::new(compressed, 3)?;
            zstd.include_checksum(true)?;
            let (zstd, diff_id) = write_entries(layer, zstd, mtime)?;
            (diff_id, zstd.finish()?)
        }
    };
    let (_, digest, size) = compressed.finish();
    Ok(LayerDigests {
        diff_id,
        digest,
        size,
    })
}

/// The tar stream of `layer` into `out`; returns `out` and the tar's digest (diff_id).
fn write_entries<W: Write>(layer: &Layer, out: W, mtime: u64) -> Result<(W, String), Error> {
    // Checked here, once every entry is known: a link may lead through one added later.
    crate::links::check_symlinks(layer.entries())?;
    let mut tar = HashingWriter::new(out);
    let primaries = hardlink_primaries(layer);
    for entry in layer.entries() {
        write_entry(&mut tar, layer, entry, &primaries, mtime)?;
    }
    tar.write_all(&[0u8; 2 * BLOCK])?;
    let (out, diff_id, _) = tar.finish();
    Ok((out, diff_id))
}

/// For hardlinked files, the path that carries the data: the first of its group in path
/// order, so that every link in the tar points backwards to an entry already extracted.
fn hardlink_primaries(layer: &Layer) -> HashMap<&str, &str> {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in layer.entries() {
        if let Kind::Hardlink(target) = &e.kind {
            groups
                .entry(target.as_str())
                .or_insert_with(|| vec![target.as_str()])
                .push(&e.path);
        }
    }
    let mut primary = HashMap::new();
    for members in groups.values() {
        let first = members.iter().copied().min().unwrap_or_default();
        for m in members {
            primary.insert(*m, first);
        }
    }
    primary
}

fn write_entry(
    out: &mut impl Write,
    layer: &Layer,
    entry: &Entry,
    primaries: &HashMap<&str, &str>,
    mtime: u64,
) -> Result<(), Error> {
    // Hardlink groups: the primary gets the data (and the original file's metadata) under
    // its own path.
    let path = entry.path.as_str();
    let (entry, kind) = match primaries.get(entry.path.as_str()) {
        Some(&primary) if primary == entry.path => {
            let original = match &entry.kind {
                Kind::Hardlink(t) => layer.entries.get(t).unwrap_or(entry),
                _ => entry,
            };
            (original, original.kind.clone())
        }
        Some(&primary) => (entry, Kind::Hardlink(primary.to_string())),
        None => (entry, entry.kind.clone()),
    };
    let (typeflag, content, link): (u8, Option<&crate::Content>, &str) = match &kind {
        Kind::Directory => (b'5', None, ""),
        Kind::File(content) => (b'0', Some(content), ""),
        Kind::Symlink(t) => (b'2', None, t),
        Kind::Hardlink(t) => (b'1', None, t),
    };
    let name = if typeflag == b'5' {
        format!("{path}/")
    } else {
        path.to_string()
    };
    let size = content.map_or(0, |c| c.len());

    let mut pax = Vec::new();
    let (prefix, short_name) = split_name(&name).unwrap_or_else(|| {
        pax_record(&mut pax, "path", &name);
        ("", "")
    });
    if link.len() > 100 {
        pax_record(&mut pax, "linkpath", link);
    }
    for (key, value) in [("uid", entry.uid), ("gid", entry.gid)] {
        if value > OCTAL7_MAX {
            pax_record(&mut pax, key, &value.to_string());
        }
    }
    if size > OCTAL11_MAX {
        pax_record(&mut pax, "size", &size.to_string());
    }
    if !pax.is_empty() {
        let pax_name = format!("PaxHeaders/{}", truncate(path, 80));
        let header = ustar_header(
            "",
            &pax_name,
            b'x',
            0o644,
            0,
            0,
            pax.len() as u64,
            mtime,
            "",
        );
        out.write_all(&header)?;
        write_padded(out, &pax)?;
    }
    let link_field = if link.len() > 100 { "" } else { link };
    let header = ustar_header(
        prefix, short_name, typeflag, entry.mode, entry.uid, entry.gid, size, mtime, link_field,
    );
    out.write_all(&header)?;
    if let Some(content) = content {
        let copied = io::copy(&mut content.reader()?, out)?;
        if copied != size {
            return Err(Error::entry(&entry.path, "content changed while written"));
        }
        write_padding(out, size)?;
    }
    Ok(())
}

/// Splits a name into ustar's prefix (155) and name (100) fields, if it fits.
fn split_name(name: &str) -> Option<(&str, &str)> {
    if name.len() <= 100 {
        return Some(("", name));
    }
    let body = name.strip_suffix('/').unwrap_or(name);
    name.match_indices('/')
        .map(|(i, _)| i)
        .filter(|&i| i < body.len())
        .find(|&i| i <= 155 && name.len() - i - 1 <= 100 && i > 0)
        .map(|i| (&name[..i], &name[i + 1..]))
}

fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn pax_record(out: &mut Vec<u8>, key: &str, value: &str) {
    // "<len> <key>=<value>\n", where <len> counts its own digits.
    let body = key.len() + value.len() + 3;
    let mut len = body + body.to_string().len();
    if len.to_string().len() != body.to_string().len() {
        len += 1;
    }
    out.extend_from_slice(format!("{len} {key}={value}\n").as_bytes());
}

fn write_padded(out: &mut impl Write, data: &[u8]) -> io::Result<()> {
    out.write_all(data)?;
    write_padding(out, data.len() as u64)
}

/// Passes bytes through while hashing and counting them.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    fn finish(self) -> (W, String, u64) {
        let digest = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        (self.inner, digest, self.count)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link that sorts before its target becomes the data's carrier, at its own path; the
    /// target becomes the link (a tar had them the other way round).
    #[test]
    fn hardlink_groups_carry_the_data_at_the_first_path() {
        use crate::{Entry, Kind, Layer};
        let mut layer = Layer::new();
        let entry = |path: &str, kind| Entry {
            path: path.into(),
            kind,
            mode: 0o755,
            uid: 0,
            gid: 0,
            implicit: false,
        };
        layer
            .add(entry("bin/tool-b", Kind::File(b"data".to_vec().into())))
            .unwrap();
        layer
            .add(entry("bin/tool-a", Kind::Hardlink("bin/tool-b".into())))
            .unwrap();
        let (tar, _) = write_entries(&layer, Vec::new(), 0).unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let got: Vec<(String, tar::EntryType, Option<String>, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let link = e.link_name().unwrap().map(|l| l.display().to_string());
                let path = e.path().unwrap().display().to_string();
                (path, e.header().entry_type(), link, e.size())
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("bin/".into(), tar::EntryType::Directory, None, 0),
                ("bin/tool-a".into(), tar::EntryType::Regular, None, 4),
                (
                    "bin/tool-b".into(),
                    tar::EntryType::Link,
                    Some("bin/tool-a".into()),
                    0
                ),
            ]
        );
    }

    #[test]
    fn pax_record_length_counts_itself() {
        let mut out = Vec::new();
        pax_record(&mut out, "path", "a");
        assert_eq!(out, b"9 path=a\n");
        let mut out = Vec::new();
        let value = "x".repeat(93); // body 100 -> "103 path=..." crosses to three digits
        pax_record(&mut out, "path", &value);
        assert_eq!(out.len(), 103);
        assert!(out.starts_with(b"103 path="));
    }

    #[test]
    fn splits_long_names_into_prefix() {
        let long = format!("{}/{}", "d".repeat(120), "f".repeat(90));
        let (prefix, name) = split_name(&long).unwrap();
        assert_eq!((prefix.len(), name.len()), (120, 90));
        assert!(split_name(&"x".repeat(101)).is_none());
    }
}
