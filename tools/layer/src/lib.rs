//! Deterministic OCI layers: entries gathered from `.deb` data and from declarations, checked,
//! then written as a sorted tar with fixed mtimes and numeric owners, gzip-compressed with a
//! fixed header.

mod budget;
mod conflicts;
mod content;
mod entry;
mod filter;
mod flatten;
pub mod gzip;
mod links;
mod merged_usr;
mod tar_writer;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

pub use budget::METADATA_LIMIT;
pub use conflicts::check_conflicts;
pub use content::{Content, ContentReader, MEMORY_FILE_MAX, MEMORY_LIMIT};
pub use entry::{normalize_path, Entry, Kind, MAX_ID, MAX_LINK, MAX_NAME, MAX_PATH};
pub use filter::PathFilter;
pub use flatten::flatten;
pub use links::check_symlinks;
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
    Tar(#[from] tarstream::Error),
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

/// Where dpkg keeps its database. Packages never ship files there (dpkg writes them), and
/// a file there would forge what scanners read, so only directories are taken from package
/// data; `--status` writes the real entries.
const DPKG_DATABASE: &str = "var/lib/dpkg";

/// The contents of one layer, keyed by normalised path (no leading `/` or `./`).
///
/// Memory stays bounded whatever the input: file contents are [`Content`]s (large ones on
/// disk), and the entries of all layers of the process share [`METADATA_LIMIT`].
#[derive(Debug, Default)]
pub struct Layer {
    entries: BTreeMap<String, Entry>,
    /// Whiteouts of an image layer read with [`Layer::read_image_layer`]: paths it deletes
    /// from the layers below, and directories it makes opaque (hides everything below).
    deleted: BTreeSet<String>,
    opaque: BTreeSet<String>,
    reserved: budget::Reservation,
}

/// One entry of a tar archive, before it is placed.
struct TarItem {
    path: String,
    kind: Kind,
    mode: u32,
    uid: u64,
    gid: u64,
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
                None => self.insert(Entry::implicit_dir(parent))?,
                Some(e) if e.kind != Kind::Directory => {
                    return Err(Error::entry(
                        &entry.path,
                        format!("parent {parent} is a {}, not a directory", e.describe()),
                    ));
                }
                Some(_) => {}
            }
        }
        self.insert(entry)
    }

    /// Puts `entry` in the map, within the process's metadata limit.
    fn insert(&mut self, entry: Entry) -> Result<(), Error> {
        let cost = entry.cost();
        if let Some(old) = self.entries.get(&entry.path) {
            self.reserved.shrink(old.cost());
        }
        if !self.reserved.grow(cost) {
            return Err(Error::entry(
                &entry::shown(&entry.path),
                format!(
                    "too many entries or too long paths: the layers read so far hold more than \
                     the {} MiB allowed for entry metadata ({} entries in this layer)",
                    METADATA_LIMIT >> 20,
                    self.entries.len()
                ),
            ));
        }
        self.entries.insert(entry.path.clone(), entry);
        Ok(())
    }

    /// Adds every entry of a `data.tar` stream (as found in a `.deb`).
    pub fn add_tar(&mut self, reader: impl Read) -> Result<(), Error> {
        self.add_tar_with(reader, &TarOptions::default())
    }

    /// Adds the entries of a `data.tar` stream that `options` keeps, where they put them.
    /// The stream is read to its end.
    pub fn add_tar_with(&mut self, reader: impl Read, options: &TarOptions) -> Result<(), Error> {
        let mut archive = tarstream::Archive::new(reader);
        while let Some(header) = archive.next_entry()? {
            let raw_path = tar_text(&header.path, "name", "")?;
            if raw_path.starts_with('/') {
                // Packages use "./" paths, GNU tar and bsdtar strip a leading '/': an absolute
                // one is a crafted archive.
                return Err(Error::entry(
                    &entry::shown(&raw_path),
                    "absolute path in the archive",
                ));
            }
            let Some(path) = normalize_path(&raw_path)?
                .map(|p| options.strip(p))
                .transpose()?
                .flatten()
            else {
                continue; // the root directory itself
            };
            if !options.filter.keeps(&path) {
                continue;
            }
            let path = options.relocate(path);
            let item = read_item(&mut archive, &header, path, &raw_path, true)?;
            self.add_package_item(item, options)?;
        }
        Ok(())
    }

    fn add_package_item(&mut self, item: TarItem, options: &TarOptions) -> Result<(), Error> {
        let TarItem {
            mut path,
            mut kind,
            mode,
            mut uid,
            mut gid,
        } = item;
        if let Some(owner) = options.owner {
            (uid, gid) = owner;
        }
        if let Kind::Hardlink(target) = &kind {
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
            kind = Kind::Hardlink(match options.merged_usr.then(|| merged_usr_path(&target)) {
                Some(Some(moved)) => moved,
                _ => target,
            });
        }
        if let (true, Some(merged)) = (options.merged_usr, merged_usr_link(&path)) {
            // A package that is merged already (Debian 13's base-files) ships the links
            // itself: keep one that points where the merge would, refuse any other.
            match &kind {
                Kind::Symlink(target) if target.trim_start_matches('/') == merged => {
                    return self.add(Entry {
                        path,
                        kind: Kind::Symlink(merged),
                        mode: 0o777,
                        uid: 0,
                        gid: 0,
                        implicit: false,
                    });
                }
                Kind::Symlink(target) => {
                    return Err(Error::entry(
                        &path,
                        format!(
                        "merged-/usr needs a symlink to {merged}, the package's points to {target}"
                    ),
                    ))
                }
                Kind::Directory => {}
                other => {
                    return Err(Error::entry(
                        &path,
                        format!(
                            "merged-/usr makes /{path} a symlink to {merged}, but the package \
                             ships a {} there",
                            kind_name(other)
                        ),
                    ))
                }
            }
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
        let in_database = path == DPKG_DATABASE
            || path
                .strip_prefix(DPKG_DATABASE)
                .is_some_and(|rest| rest.starts_with('/'));
        if in_database && kind != Kind::Directory {
            return Err(Error::entry(
                &path,
                format!(
                    "a package may not ship a {} in dpkg's database (/{DPKG_DATABASE}): \
                     it would forge what scanners read (--status writes the package's entry)",
                    kind_name(&kind)
                ),
            ));
        }
        self.add(Entry {
            path,
            kind,
            mode,
            uid,
            gid,
            implicit: false,
        })
    }

    /// Reads an image layer's tar (decompressed) to its end. Whiteouts (`.wh.<name>`,
    /// `.wh..wh..opq`) are kept as deletions for [`Layer::apply`] rather than as entries.
    /// With `keep_content`, file contents can be read back; without, only their digests are
    /// kept (enough to compare layers).
    pub fn read_image_layer(reader: impl Read, keep_content: bool) -> Result<Self, Error> {
        let mut layer = Layer::new();
        let mut archive = tarstream::Archive::new(reader);
        while let Some(header) = archive.next_entry()? {
            let raw_path = tar_text(&header.path, "name", "")?;
            let Some(path) = normalize_path(&raw_path)? else {
                continue;
            };
            let (dir, name) = match path.rsplit_once('/') {
                Some((dir, name)) => (Some(dir), name),
                None => (None, path.as_str()),
            };
            if let Some(hidden) = name.strip_prefix(entry::WHITEOUT_PREFIX) {
                let deleted = match (hidden, dir) {
                    (".wh..opq", Some(dir)) => Some(dir.to_string()),
                    (".wh..opq", None) => Some(String::new()),
                    _ => None,
                };
                let cost = (path.len() as u64) + budget::ENTRY_OVERHEAD;
                if !layer.reserved.grow(cost) {
                    return Err(Error::entry(&path, "too many whiteouts"));
                }
                match deleted {
                    Some(dir) => layer.opaque.insert(dir),
                    None if hidden.is_empty() || hidden.starts_with(entry::WHITEOUT_PREFIX) => {
                        return Err(Error::entry(&path, "malformed whiteout name"))
                    }
                    None => layer.deleted.insert(match dir {
                        Some(dir) => format!("{dir}/{hidden}"),
                        None => hidden.to_string(),
                    }),
                };
                continue;
            }
            let item = read_item(&mut archive, &header, path, &raw_path, keep_content)?;
            layer.add(Entry {
                path: item.path,
                kind: item.kind,
                mode: item.mode,
                uid: item.uid,
                gid: item.gid,
                implicit: false,
            })?;
        }
        Ok(layer)
    }

    /// Reads a tar of files (a layer we built, a foreign tar given as input) to its end, as
    /// [`Layer::read_image_layer`] does, but refuses whiteouts: a layer we write holds none.
    pub fn read_tar(reader: impl Read, keep_content: bool) -> Result<Self, Error> {
        let layer = Self::read_image_layer(reader, keep_content)?;
        let whiteout = layer
            .opaque
            .iter()
            .map(|dir| match dir.as_str() {
                "" => format!("{}{}", entry::WHITEOUT_PREFIX, ".wh..opq"),
                dir => format!("{dir}/{}{}", entry::WHITEOUT_PREFIX, ".wh..opq"),
            })
            .chain(
                layer
                    .deleted
                    .iter()
                    .map(|path| match path.rsplit_once('/') {
                        Some((dir, name)) => format!("{dir}/{}{name}", entry::WHITEOUT_PREFIX),
                        None => format!("{}{path}", entry::WHITEOUT_PREFIX),
                    }),
            )
            .next();
        match whiteout {
            Some(path) => Err(Error::entry(
                &path,
                "whiteout entries are not supported here (a layer we write holds none)",
            )),
            None => Ok(layer),
        }
    }

    /// Lays `upper` over this layer as an image runtime does: its whiteouts delete, its entries
    /// replace (a directory it only implies keeps the one below).
    pub fn apply(&mut self, upper: &Layer) -> Result<(), Error> {
        for dir in &upper.opaque {
            self.remove_below(dir);
        }
        for path in &upper.deleted {
            if let Some(old) = self.entries.remove(path) {
                self.reserved.shrink(old.cost());
            }
            self.remove_below(path);
        }
        for entry in upper.entries() {
            if entry.implicit && self.entries.contains_key(&entry.path) {
                continue;
            }
            self.insert(entry.clone())?;
        }
        Ok(())
    }

    /// Removes everything strictly below `dir` (`""`: the root).
    fn remove_below(&mut self, dir: &str) {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let below: Vec<String> = self
            .entries
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .map(|(path, _)| path.clone())
            .collect();
        for path in below {
            if let Some(old) = self.entries.remove(&path) {
                self.reserved.shrink(old.cost());
            }
        }
    }

    /// Paths this (image) layer deletes from the layers below, and the directories it makes
    /// opaque (`""` for the root).
    pub fn whiteouts(&self) -> (&BTreeSet<String>, &BTreeSet<String>) {
        (&self.deleted, &self.opaque)
    }

    /// Refuses a symlink that climbs out of the root once the layer's other links are
    /// followed (writing the layer checks this too, once every entry is in).
    pub fn check_symlinks(&self) -> Result<(), Error> {
        links::check_symlinks(self.entries())
    }

    /// Entries in path order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// The entry at a normalised path.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.get(path)
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

/// A name or link target from a tar header: UTF-8, or an error that shows the bytes.
fn tar_text(bytes: &[u8], what: &str, path: &str) -> Result<String, Error> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        let shown = entry::shortened(&bytes.escape_ascii().to_string());
        match path {
            "" => Error::entry(&shown, format!("{what} is not UTF-8")),
            _ => Error::entry(path, format!("{what} {shown} is not UTF-8")),
        }
    })
}

/// The entry `header` describes, its data read (kept or not) to the end.
fn read_item<R: Read>(
    archive: &mut tarstream::Archive<R>,
    header: &tarstream::Header,
    path: String,
    raw_path: &str,
    keep_content: bool,
) -> Result<TarItem, Error> {
    use tarstream::EntryType;
    let link = || -> Result<String, Error> { tar_text(&header.link, "link target", &path) };
    let kind = match header.entry_type {
        EntryType::Directory => Kind::Directory,
        EntryType::Symlink => Kind::Symlink(link()?),
        EntryType::Hardlink => Kind::Hardlink(
            normalize_path(&link()?)?
                .ok_or_else(|| Error::entry(&path, "hardlink to the root directory"))?,
        ),
        EntryType::Regular if raw_path.ends_with('/') => {
            return Err(Error::entry(
                &path,
                "a regular file whose name ends with '/' (tar readers disagree on what it is)",
            ))
        }
        EntryType::Regular => Kind::File(Content::read(archive.data(), keep_content)?),
        EntryType::CharDevice | EntryType::BlockDevice => {
            return Err(Error::entry(
                &path,
                "device nodes are not allowed in a layer",
            ))
        }
        EntryType::Fifo => return Err(Error::entry(&path, "FIFOs are not allowed in a layer")),
        EntryType::Other(flag) => {
            return Err(Error::entry(
                &path,
                format!("unsupported tar entry type {:?}", char::from(flag)),
            ))
        }
    };
    Ok(TarItem {
        path,
        kind,
        mode: header.mode,
        uid: header.uid,
        gid: header.gid,
    })
}

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Directory => "directory",
        Kind::File(_) => "regular file",
        Kind::Symlink(_) => "symlink",
        Kind::Hardlink(_) => "hardlink",
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
