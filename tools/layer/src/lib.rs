//! Deterministic OCI layers: entries gathered from `.deb` data and from declarations, checked,
//! then written as a sorted tar with fixed mtimes and numeric owners, gzip-compressed with a
//! fixed header.

mod conflicts;
mod entry;
mod filter;
mod flatten;
pub mod gzip;
mod merged_usr;
mod tar_writer;

use std::collections::BTreeMap;
use std::io::{Read, Write};

pub use conflicts::check_conflicts;
pub use entry::{normalize_path, Entry, Kind};
pub use filter::PathFilter;
pub use flatten::flatten;
pub use merged_usr::{merged_usr_link, merged_usr_path};
pub use tar_writer::{write_tar, LayerCompression, LayerDigests};

/// How entries of a package's `data.tar` are taken into a layer.
#[derive(Debug, Clone, Default)]
pub struct TarOptions {
    /// Paths to keep or drop (as shipped, before any merged-/usr move).
    pub filter: PathFilter,
    /// Move `/bin`, `/sbin` and `/lib*` into `/usr` and make them symlinks.
    pub merged_usr: bool,
    /// Path prefixes to relocate, `(from, to)`, normalised (e.g. `bin/busybox` to
    /// `busybox/busybox`); applied after the filter, first match wins.
    pub moves: Vec<(String, String)>,
    /// A directory of the archive (normalised) whose contents become the root, e.g.
    /// `node-v22.1.0-linux-x64` of a release tarball; applied first, and an entry outside it
    /// is an error.
    pub strip_prefix: Option<String>,
    /// A directory (normalised) that every entry goes under, e.g. `nodejs`; applied last.
    pub prefix: Option<String>,
    /// The owner `(uid, gid)` of every entry, instead of the archive's numeric ones (owner
    /// names are never used).
    pub owner: Option<(u64, u64)>,
}

impl TarOptions {
    /// The path below `strip_prefix`; `None` for the root (the stripped directory itself).
    fn strip(&self, path: String) -> Result<Option<String>, Error> {
        let Some(strip) = &self.strip_prefix else {
            return Ok(Some(path));
        };
        if path == *strip {
            return Ok(None);
        }
        match path
            .strip_prefix(strip.as_str())
            .and_then(|r| r.strip_prefix('/'))
        {
            Some(rest) => Ok(Some(rest.to_string())),
            None => Err(Error::entry(
                &path,
                format!("not under the stripped prefix {strip}"),
            )),
        }
    }

    fn relocate(&self, mut path: String) -> String {
        for (from, to) in &self.moves {
            if path == *from {
                path = to.clone();
                break;
            }
            if let Some(rest) = path
                .strip_prefix(from.as_str())
                .and_then(|r| r.strip_prefix('/'))
            {
                path = format!("{to}/{rest}");
                break;
            }
        }
        match &self.prefix {
            Some(prefix) => format!("{prefix}/{path}"),
            None => path,
        }
    }
}

/// Why a layer cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Entry { path: String, message: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn entry(path: &str, message: impl Into<String>) -> Self {
        Error::Entry {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

/// The contents of one layer, keyed by normalised path (no leading `/` or `./`).
#[derive(Debug, Default, Clone)]
pub struct Layer {
    entries: BTreeMap<String, Entry>,
}

impl Layer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one entry; its parent directories appear as 0755 root-owned directories unless
    /// declared. Re-adding an identical entry is allowed; a different one at the same path is
    /// an error.
    pub fn add(&mut self, entry: Entry) -> Result<(), Error> {
        entry.validate()?;
        if let Kind::Hardlink(target) = &entry.kind {
            match self.entries.get(target).map(|t| &t.kind) {
                Some(Kind::File(_)) => {}
                Some(_) => {
                    return Err(Error::entry(
                        &entry.path,
                        format!("hardlink to {target}, which is not a regular file"),
                    ))
                }
                None => {
                    return Err(Error::entry(
                        &entry.path,
                        format!("hardlink to {target}, which is not in the layer (yet)"),
                    ))
                }
            }
        }
        if let Some(existing) = self.entries.get(&entry.path) {
            if *existing == entry {
                return Ok(());
            }
            let implicit_dir = existing.kind == Kind::Directory && existing.implicit;
            if !(implicit_dir && entry.kind == Kind::Directory) {
                return Err(Error::entry(
                    &entry.path,
                    format!(
                        "added twice with different content ({} and {})",
                        existing.describe(),
                        entry.describe()
                    ),
                ));
            }
        }
        for parent in entry::parents(&entry.path) {
            match self.entries.get(parent) {
                None => {
                    self.entries
                        .insert(parent.to_string(), Entry::implicit_dir(parent));
                }
                Some(e) if e.kind != Kind::Directory => {
                    return Err(Error::entry(
                        &entry.path,
                        format!("parent {parent} is a {}, not a directory", e.describe()),
                    ));
                }
                Some(_) => {}
            }
        }
        self.entries.insert(entry.path.clone(), entry);
        Ok(())
    }

    /// Adds every entry of a `data.tar` stream (as found in a `.deb`).
    pub fn add_tar(&mut self, reader: impl Read) -> Result<(), Error> {
        self.add_tar_with(reader, &TarOptions::default())
    }

    /// Adds the entries of a `data.tar` stream that `options` keeps, where they put them.
    pub fn add_tar_with(&mut self, reader: impl Read, options: &TarOptions) -> Result<(), Error> {
        let mut archive = tar::Archive::new(reader);
        for item in archive.entries()? {
            let mut item = item?;
            if item.header().entry_type() == tar::EntryType::XGlobalHeader {
                continue; // pax defaults for the entries that follow (git archive: a comment)
            }
            let raw_path = String::from_utf8_lossy(&item.path_bytes()).into_owned();
            if raw_path.starts_with('/') {
                // Packages use "./" paths, GNU tar and bsdtar strip a leading '/': an absolute
                // one is a crafted archive.
                return Err(Error::entry(&raw_path, "absolute path in the archive"));
            }
            let Some(mut path) = normalize_path(&raw_path)?
                .map(|p| options.strip(p))
                .transpose()?
                .flatten()
            else {
                continue; // the root directory itself
            };
            if !options.filter.keeps(&path) {
                continue;
            }
            path = options.relocate(path);
            let header = item.header();
            let mode = header.mode()? & 0o7777;
            let (uid, gid) = match options.owner {
                Some(owner) => owner,
                None => (header.uid()?, header.gid()?),
            };
            let link = || -> Result<String, Error> {
                let target = item
                    .link_name_bytes()
                    .ok_or_else(|| Error::entry(&path, "link without a target"))?;
                Ok(String::from_utf8_lossy(&target).into_owned())
            };
            let kind = match header.entry_type() {
                tar::EntryType::Directory => Kind::Directory,
                tar::EntryType::Symlink => Kind::Symlink(link()?),
                tar::EntryType::Link => {
                    let target = normalize_path(&link()?)?
                        .ok_or_else(|| Error::entry(&path, "hardlink to the root directory"))?;
                    let target = options
                        .strip(target.clone())
                        .ok()
                        .flatten()
                        .map(|t| options.relocate(t))
                        .ok_or_else(|| {
                            Error::entry(
                                &path,
                                format!("hardlink to {target}, outside the stripped prefix"),
                            )
                        })?;
                    match options
                        .merged_usr
                        .then(|| merged_usr_path(&target))
                        .flatten()
                    {
                        Some(moved) => Kind::Hardlink(moved),
                        None => Kind::Hardlink(target),
                    }
                }
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let mut data = Vec::with_capacity(usize::try_from(header.size()?).unwrap_or(0));
                    item.read_to_end(&mut data)?;
                    Kind::File(data)
                }
                tar::EntryType::Char | tar::EntryType::Block => {
                    return Err(Error::entry(
                        &path,
                        "device nodes are not allowed in a layer",
                    ))
                }
                tar::EntryType::Fifo => {
                    return Err(Error::entry(&path, "FIFOs are not allowed in a layer"))
                }
                other => {
                    return Err(Error::entry(
                        &path,
                        format!("unsupported tar entry type {other:?}"),
                    ))
                }
            };
            // A package that is merged already (Debian 13's base-files) ships the links
            // itself: keep one that points where the merge would, refuse any other.
            if let (true, Some(merged), Kind::Symlink(target)) =
                (options.merged_usr, merged_usr_link(&path), &kind)
            {
                if target.trim_start_matches('/') != merged {
                    return Err(Error::entry(
                        &path,
                        format!("merged-/usr needs a symlink to {merged}, the package's points to {target}"),
                    ));
                }
                self.add(Entry {
                    path,
                    kind: Kind::Symlink(merged),
                    mode: 0o777,
                    uid: 0,
                    gid: 0,
                    implicit: false,
                })?;
                continue;
            }
            if let Some(moved) = options.merged_usr.then(|| merged_usr_path(&path)).flatten() {
                let top = path.split('/').next().unwrap_or_default().to_string();
                if !self.entries.contains_key(&top) {
                    let link = merged_usr_link(&top).unwrap_or_default();
                    self.add(Entry {
                        path: top,
                        kind: Kind::Symlink(link),
                        mode: 0o777,
                        uid: 0,
                        gid: 0,
                        implicit: false,
                    })?;
                }
                path = moved;
            }
            self.add(Entry {
                path,
                kind,
                mode,
                uid,
                gid,
                implicit: false,
            })?;
        }
        Ok(())
    }

    /// Entries in path order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// Writes the layer as gzip-compressed tar and returns its digests.
    pub fn write_gzip(&self, out: impl Write, mtime: u64) -> Result<LayerDigests, Error> {
        write_tar(self, out, mtime, LayerCompression::Gzip)
    }

    /// One line per entry: `path type mode uid:gid size target`, for golden listings.
    pub fn listing(&self) -> String {
        let mut out = String::new();
        for e in self.entries() {
            out.push_str(&e.listing_line());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relocates_prefixes_and_hardlink_targets() {
        let options = TarOptions {
            moves: vec![
                ("bin/busybox".into(), "busybox/busybox".into()),
                ("usr/share/doc".into(), "doc".into()),
            ],
            ..Default::default()
        };
        assert_eq!(options.relocate("bin/busybox".into()), "busybox/busybox");
        assert_eq!(options.relocate("bin/busyboxx".into()), "bin/busyboxx");
        assert_eq!(
            options.relocate("usr/share/doc/x/copyright".into()),
            "doc/x/copyright"
        );
        assert_eq!(options.relocate("usr/share/docs".into()), "usr/share/docs");
    }

    fn tar_of(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, kind, link) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_mode(if *kind == tar::EntryType::Directory {
                0o750
            } else {
                0o640
            });
            header.set_uid(1000);
            header.set_gid(1001);
            header.set_username("alice").unwrap();
            if !link.is_empty() {
                header.set_link_name(link).unwrap();
            }
            let data: &[u8] = if *kind == tar::EntryType::Regular {
                b"x"
            } else {
                b""
            };
            header.set_size(data.len() as u64);
            builder.append_data(&mut header, path, data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    /// `git archive --prefix=node-v1/`'s shape: a pax global header (the commit id) first.
    #[test]
    fn strips_a_prefix_adds_one_and_sets_owners() {
        use tar::EntryType::{Directory, Link, Regular, Symlink};
        let tar = tar_of(&[
            ("pax_global_header", tar::EntryType::XGlobalHeader, ""),
            ("./", Directory, ""),
            ("node-v1/", Directory, ""),
            ("node-v1/bin/node", Regular, ""),
            ("node-v1/bin/nodejs", Link, "node-v1/bin/node"),
            ("node-v1/lib/libnode.so", Symlink, "../bin/node"),
        ]);
        let options = TarOptions {
            strip_prefix: Some("node-v1".into()),
            prefix: Some("opt/nodejs".into()),
            owner: Some((0, 0)),
            ..Default::default()
        };
        let mut layer = Layer::new();
        layer.add_tar_with(&tar[..], &options).unwrap();
        assert_eq!(
            layer.listing(),
            "/opt d 0755 0:0 0\n/opt/nodejs d 0755 0:0 0\n/opt/nodejs/bin d 0755 0:0 0\n\
             /opt/nodejs/bin/node f 0640 0:0 1\n/opt/nodejs/bin/nodejs h 0640 0:0 0 opt/nodejs/bin/node\n\
             /opt/nodejs/lib d 0755 0:0 0\n/opt/nodejs/lib/libnode.so l 0640 0:0 0 ../bin/node\n"
        );

        // Without `owner`, the archive's numeric owners stay (its names do not matter).
        let mut layer = Layer::new();
        layer.add_tar(&tar[..]).unwrap();
        assert!(layer
            .listing()
            .contains("/node-v1/bin/node f 0640 1000:1001 1\n"));
    }

    #[test]
    fn refuses_entries_outside_the_stripped_prefix() {
        use tar::EntryType::{Link, Regular};
        let options = TarOptions {
            strip_prefix: Some("node-v1".into()),
            ..Default::default()
        };
        let outside = tar_of(&[("node-v1/a", Regular, ""), ("node-v10/b", Regular, "")]);
        let err = Layer::new()
            .add_tar_with(&outside[..], &options)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "node-v10/b: not under the stripped prefix node-v1"
        );
        let link = tar_of(&[("node-v1/a", Link, "etc/passwd")]);
        let err = Layer::new().add_tar_with(&link[..], &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a: hardlink to etc/passwd, outside the stripped prefix"
        );
    }
}
