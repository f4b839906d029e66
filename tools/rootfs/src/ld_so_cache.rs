//! `/etc/ld.so.cache` as glibc's `ldconfig -X` would write it for an image, without running
//! anything from the image: the libraries of the directories `/etc/ld.so.conf` names (and the
//! architecture's system directories), in glibc's new format (`glibc-ld.so.cache1.1`).
//!
//! The selection follows glibc 2.41's `elf/ldconfig.c` (`search_dir`): files named like
//! shared objects (`lib*.so*`, `ld-*.so*`, `ld.so.*`, `ld64.so.*`) that are ELF shared objects
//! of the image's architecture, keyed by their `DT_SONAME` (or their name), directories
//! de-duplicated by what they resolve to; the layout follows `elf/cache.c` (`save_cache`) and
//! `elf/stringtable.c`: entries sorted for ld.so's binary search, strings sorted and
//! tail-merged, a generator extension. Identical inputs give identical bytes.
//!
//! Not supported (each an error naming the path): `glibc-hwcaps` subdirectories, config
//! files outside the tree's known text files, and glob patterns other than `*` and `?`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Seek, SeekFrom, Write};

use layer::{Kind, Layer};

use crate::elf::{read_elf, ElfError, ElfObject};

/// What ld.so reads: `flags` say which ABI the library is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The name looked up: the soname (or the symlink's name, for `libfoo.so` links).
    pub name: String,
    /// Where ld.so opens it: `<directory as configured>/<name>`.
    pub path: String,
    pub flags: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("unsupported architecture {0:?} for ld.so.cache (amd64, arm64, armhf, ppc64el, riscv64, s390x)")]
    Architecture(String),
    #[error("{path}:{line}: {message}")]
    Config {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Library { path: String, message: String },
    #[error("layer {layer}: {path}: {message}")]
    Layer {
        layer: String,
        path: String,
        message: String,
    },
    /// The layer's tar cannot be read (the message names the entry).
    #[error("layer {layer}: {message}")]
    Tar { layer: String, message: String },
    #[error("/{0}: glibc-hwcaps subdirectories are not supported")]
    Hwcaps(String),
    #[error("ld.so.cache would be larger than 4 GiB")]
    TooLarge,
}

/// The Debian architectures whose ldconfig we reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    Amd64,
    Arm64,
    Armhf,
    Ppc64el,
    Riscv64,
    S390x,
}

// glibc's sysdeps/generic/ldconfig.h.
const FLAG_ELF_LIBC6: i32 = 0x0003;
const FLAG_X8664_LIB64: i32 = 0x0300;
const FLAG_S390_LIB64: i32 = 0x0400;
const FLAG_POWERPC_LIB64: i32 = 0x0500;
const FLAG_X8664_LIBX32: i32 = 0x0800;
const FLAG_ARM_LIBHF: i32 = 0x0900;
const FLAG_AARCH64_LIB64: i32 = 0x0a00;
const FLAG_ARM_LIBSF: i32 = 0x0b00;
const FLAG_RISCV_FLOAT_ABI_SOFT: i32 = 0x0f00;
const FLAG_RISCV_FLOAT_ABI_DOUBLE: i32 = 0x1000;

const EM_386: u16 = 3;
const EM_X86_64: u16 = 62;
const EF_ARM_EABI_MASK: u32 = 0xff00_0000;
const EF_ARM_EABI_VER5: u32 = 0x0500_0000;
const EF_ARM_ABI_FLOAT_SOFT: u32 = 0x200;
const EF_ARM_ABI_FLOAT_HARD: u32 = 0x400;
const EF_RISCV_RVC: u32 = 0x1;
const EF_RISCV_FLOAT_ABI: u32 = 0x6;
const EF_RISCV_FLOAT_ABI_SOFT: u32 = 0x0;
const EF_RISCV_FLOAT_ABI_DOUBLE: u32 = 0x4;

impl Architecture {
    pub fn from_debian(name: &str) -> Result<Self, CacheError> {
        Ok(match name {
            "amd64" => Self::Amd64,
            "arm64" => Self::Arm64,
            "armhf" => Self::Armhf,
            "ppc64el" => Self::Ppc64el,
            "riscv64" => Self::Riscv64,
            "s390x" => Self::S390x,
            other => return Err(CacheError::Architecture(other.to_string())),
        })
    }

    /// The multiarch triplet: the system directories are `/lib/<t>` and `/usr/lib/<t>`.
    pub fn triplet(self) -> &'static str {
        match self {
            Self::Amd64 => "x86_64-linux-gnu",
            Self::Arm64 => "aarch64-linux-gnu",
            Self::Armhf => "arm-linux-gnueabihf",
            Self::Ppc64el => "powerpc64le-linux-gnu",
            Self::Riscv64 => "riscv64-linux-gnu",
            Self::S390x => "s390x-linux-gnu",
        }
    }

    fn big_endian(self) -> bool {
        self == Self::S390x
    }

    /// Whether C's `char` is signed there (it orders bytes >= 0x80 in `_dl_cache_libcmp`).
    fn signed_char(self) -> bool {
        self == Self::Amd64
    }

    /// The cache flags that architecture's ldconfig gives `object`, or `None` where it skips
    /// the file (glibc's per-architecture `readelflib.c`).
    pub fn library_flags(self, object: &ElfObject) -> Option<i32> {
        if !object.is_shared_library() || object.big_endian != self.big_endian() {
            return None;
        }
        match self {
            Self::Amd64 => match (object.machine, object.class64) {
                (EM_X86_64, true) => Some(FLAG_X8664_LIB64 | FLAG_ELF_LIBC6),
                (EM_X86_64, false) => Some(FLAG_X8664_LIBX32 | FLAG_ELF_LIBC6),
                (EM_386, false) => Some(FLAG_ELF_LIBC6),
                _ => None,
            },
            Self::Arm64 | Self::Armhf => {
                if object.class64 {
                    return Some(FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6);
                }
                if object.flags & EF_ARM_EABI_MASK != EF_ARM_EABI_VER5 {
                    return Some(FLAG_ELF_LIBC6);
                }
                Some(if object.flags & EF_ARM_ABI_FLOAT_HARD != 0 {
                    FLAG_ARM_LIBHF | FLAG_ELF_LIBC6
                } else if object.flags & EF_ARM_ABI_FLOAT_SOFT != 0 {
                    FLAG_ARM_LIBSF | FLAG_ELF_LIBC6
                } else {
                    FLAG_ELF_LIBC6 // unmarked: usable by every float ABI
                })
            }
            Self::Riscv64 => {
                if object.flags & !(EF_RISCV_FLOAT_ABI | EF_RISCV_RVC) != 0 {
                    return None;
                }
                match object.flags & EF_RISCV_FLOAT_ABI {
                    EF_RISCV_FLOAT_ABI_SOFT => Some(FLAG_RISCV_FLOAT_ABI_SOFT | FLAG_ELF_LIBC6),
                    EF_RISCV_FLOAT_ABI_DOUBLE => Some(FLAG_RISCV_FLOAT_ABI_DOUBLE | FLAG_ELF_LIBC6),
                    _ => None,
                }
            }
            Self::S390x => Some(if object.class64 {
                FLAG_S390_LIB64 | FLAG_ELF_LIBC6
            } else {
                FLAG_ELF_LIBC6
            }),
            Self::Ppc64el => Some(if object.class64 {
                FLAG_POWERPC_LIB64 | FLAG_ELF_LIBC6
            } else {
                FLAG_ELF_LIBC6
            }),
        }
    }
}

/// What the cache is computed from: an image's files, keyed by normalised path ("" is `/`).
#[derive(Debug, Clone, Default)]
pub struct FileTree {
    nodes: BTreeMap<String, Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Directory,
    Symlink(String),
    File(FileFacts),
}

/// What the cache needs of a regular file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFacts {
    /// The ELF header and soname, for ELF files.
    pub elf: Option<ElfObject>,
    /// The contents, for configuration files (`etc/ld.so.conf` and what it includes).
    pub text: Option<Vec<u8>>,
}

/// Configuration files larger than this are not kept (Debian's are a few lines).
const MAX_CONFIG_SIZE: u64 = 64 * 1024;

impl FileFacts {
    /// What the cache needs of the regular file at `path` (normalised) with `len` bytes read
    /// from `data`: its text when it is a small file under `etc/`, its ELF facts when it is
    /// ELF. A malformed ELF file is no library, as for ldconfig, which skips it.
    pub fn read<R: Read + Seek>(path: &str, data: &mut R, len: u64) -> io::Result<Self> {
        let text = if path.starts_with("etc/") && len <= MAX_CONFIG_SIZE {
            let mut text = Vec::new();
            data.seek(SeekFrom::Start(0))?;
            data.take(len).read_to_end(&mut text)?;
            Some(text)
        } else {
            None
        };
        let elf = match read_elf(data, len) {
            Ok(object) => object,
            Err(ElfError::Io(e)) => return Err(e),
            Err(ElfError::Truncated(_) | ElfError::Invalid(_)) => None,
        };
        Ok(Self { elf, text })
    }
}

/// The [`FileFacts`] of the regular file at `path` whose `len` bytes `data` streams: only ELF
/// files and files under `etc/` are read, through `spill` (its contents are replaced).
fn file_facts(
    path: &str,
    data: &mut impl Read,
    len: u64,
    spill: &mut std::fs::File,
) -> io::Result<FileFacts> {
    let mut head = Vec::with_capacity(4);
    data.take(4).read_to_end(&mut head)?;
    if head != b"\x7fELF" && !path.starts_with("etc/") {
        return Ok(FileFacts::default());
    }
    spill.set_len(0)?;
    spill.seek(SeekFrom::Start(0))?;
    spill.write_all(&head)?;
    io::copy(data, spill)?;
    FileFacts::read(path, spill, len)
}

/// Symlinks followed while resolving one path, as the kernel's limit.
const MAX_SYMLINKS: usize = 40;
/// Nested `include` levels (glibc has no limit, and loops forever on a cycle).
const MAX_INCLUDE_DEPTH: usize = 16;

impl FileTree {
    pub fn new() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(String::new(), Node::Directory);
        Self { nodes }
    }

    /// Sets `path` (normalised, no leading `/`) to `node`, replacing what was there, as a
    /// later image layer does; missing parent directories appear.
    pub fn insert(&mut self, path: &str, node: Node) {
        let mut parent = path;
        while let Some((up, _)) = parent.rsplit_once('/') {
            self.nodes.entry(up.to_string()).or_insert(Node::Directory);
            parent = up;
        }
        self.nodes.insert(path.to_string(), node);
    }

    /// Adds the entries of a layer's tar stream over what the tree holds, reading only what
    /// the cache needs: ELF files and small files under `etc/` are copied to `spill` (any
    /// read-write file; its contents are replaced) and read from there, so memory stays
    /// bounded whatever the layer holds. `name` (the layer) goes into error messages.
    pub fn add_tar(
        &mut self,
        name: &str,
        reader: impl Read,
        spill: &mut std::fs::File,
    ) -> Result<(), CacheError> {
        let fail = |path: &str, message: String| CacheError::Layer {
            layer: name.to_string(),
            path: path.to_string(),
            message,
        };
        let mut archive = tarstream::Archive::new(reader);
        let unreadable = |e: tarstream::Error| CacheError::Tar {
            layer: name.to_string(),
            message: e.to_string(),
        };
        while let Some(header) = archive.next_entry().map_err(unreadable)? {
            let raw = String::from_utf8_lossy(&header.path).into_owned();
            let path = match layer::normalize_path(&raw) {
                Ok(Some(path)) => path,
                Ok(None) => continue, // the root directory
                Err(e) => return Err(fail(&raw, e.to_string())),
            };
            if path
                .rsplit('/')
                .next()
                .is_some_and(|n| n.starts_with(".wh."))
            {
                return Err(fail(&path, "whiteout entries are not supported".into()));
            }
            let target = String::from_utf8_lossy(&header.link).into_owned();
            let node = match header.entry_type {
                tarstream::EntryType::Directory => Node::Directory,
                tarstream::EntryType::Symlink => Node::Symlink(target),
                tarstream::EntryType::Hardlink => self
                    .hardlink(&target)
                    .map_err(|message| fail(&path, message))?,
                tarstream::EntryType::Regular => Node::File(
                    file_facts(&path, &mut archive.data(), header.size, spill)
                        .map_err(|e| fail(&path, e.to_string()))?,
                ),
                _ => continue, // devices and FIFOs are no libraries
            };
            self.insert(&path, node);
        }
        Ok(())
    }

    /// The node a hardlink to `target` is: its target's, which must be a file.
    fn hardlink(&self, target: &str) -> Result<Node, String> {
        let target = layer::normalize_path(target)
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        match self.nodes.get(&target) {
            Some(Node::File(facts)) => Ok(Node::File(facts.clone())),
            _ => Err(format!("hardlink to {target}, not a file")),
        }
    }

    /// Adds a layer's entries over what the tree holds (hardlinks share their target's facts);
    /// file contents pass through `spill` as in [`FileTree::add_tar`].
    pub fn add_layer(&mut self, layer: &Layer, spill: &mut std::fs::File) -> io::Result<()> {
        for entry in layer.entries() {
            let node = match &entry.kind {
                Kind::Directory => Node::Directory,
                Kind::Symlink(target) => Node::Symlink(target.clone()),
                Kind::File(data) => Node::File(file_facts(
                    &entry.path,
                    &mut data.reader()?,
                    data.len(),
                    spill,
                )?),
                Kind::Hardlink(target) => self.hardlink(target).map_err(io::Error::other)?,
            };
            self.insert(&entry.path, node);
        }
        Ok(())
    }

    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// The canonical path `path` (absolute or relative to the root) leads to, following
    /// symlinks inside the tree (absolute targets from its root, `..` stopping there), as
    /// glibc's `chroot_canon`; `None` when some component does not exist.
    pub fn resolve(&self, path: &str) -> Option<String> {
        let mut pending: Vec<String> = components(path).rev().map(str::to_string).collect();
        let mut current: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    current.pop();
                    continue;
                }
                _ => {}
            }
            current.push(part);
            let joined = current.join("/");
            match self.nodes.get(&joined)? {
                Node::Symlink(target) => {
                    hops += 1;
                    if hops > MAX_SYMLINKS {
                        return None;
                    }
                    current.pop();
                    if target.starts_with('/') {
                        current.clear();
                    }
                    pending.extend(components(target).rev().map(str::to_string));
                }
                Node::File(_) if !pending.is_empty() => return None,
                _ => {}
            }
        }
        Some(current.join("/"))
    }

    /// The names directly inside the directory `dir` (canonical), sorted.
    fn children<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let len = prefix.len();
        self.nodes
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .filter_map(move |(k, _)| {
                let name = &k[len..];
                (!name.is_empty() && !name.contains('/')).then_some(name)
            })
    }
}

fn components(path: &str) -> std::str::Split<'_, char> {
    path.trim_start_matches('/').split('/')
}

/// One directory to scan: as configured (the cache's paths use it) and where it resolves.
struct SearchDir {
    configured: String,
    canonical: String,
}

/// The cache entries for `tree`, in the order ld.so's binary search needs.
pub fn cache_entries(tree: &FileTree, arch: Architecture) -> Result<Vec<CacheEntry>, CacheError> {
    let mut dirs: Vec<SearchDir> = Vec::new();
    let mut add_dir = |configured: &str| {
        let configured = configured.trim_end_matches(|c: char| c.is_ascii_whitespace());
        let configured = configured.trim_end_matches('/');
        if configured.is_empty() {
            return;
        }
        let Some(canonical) = tree.resolve(configured) else {
            return; // ldconfig skips what it cannot stat
        };
        if tree.get(&canonical) != Some(&Node::Directory)
            || dirs.iter().any(|d| d.canonical == canonical)
        {
            return;
        }
        dirs.push(SearchDir {
            configured: configured.to_string(),
            canonical,
        });
    };
    let mut configured = Vec::new();
    read_config(tree, "/etc/ld.so.conf", 0, &mut configured)?;
    for dir in &configured {
        add_dir(dir);
    }
    // Debian's slibdir and libdir, after the configuration (ldconfig.c's add_system_dir).
    add_dir(&format!("/lib/{}", arch.triplet()));
    add_dir(&format!("/usr/lib/{}", arch.triplet()));

    let mut entries = Vec::new();
    for dir in &dirs {
        scan_dir(tree, arch, dir, &mut entries)?;
    }
    // add_to_cache keeps the list sorted by `compare`, later entries after equal ones.
    entries.sort_by(|a, b| entry_order(arch, a, b));
    Ok(entries)
}

/// The directories of a configuration file, in order (glibc's `parse_conf`).
fn read_config(
    tree: &FileTree,
    path: &str,
    depth: usize,
    dirs: &mut Vec<String>,
) -> Result<(), CacheError> {
    let Some(canonical) = tree.resolve(path) else {
        return Ok(()); // no such file: nothing configured
    };
    let text = match tree.get(&canonical) {
        Some(Node::File(FileFacts {
            text: Some(text), ..
        })) => text,
        Some(Node::File(_)) => {
            return Err(CacheError::Config {
                path: path.to_string(),
                line: 0,
                message: "its contents were not kept (configuration files must be under /etc)"
                    .into(),
            })
        }
        _ => return Ok(()), // a directory: glibc's getline fails and reads nothing
    };
    let text = String::from_utf8_lossy(text);
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let error = |message: String| CacheError::Config {
            path: path.to_string(),
            line,
            message,
        };
        let content = raw.split('#').next().unwrap_or_default();
        let content = content.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if content.is_empty() {
            continue;
        }
        let bytes = content.as_bytes();
        let keyword = |word: &str| {
            bytes.len() > word.len()
                && bytes[..word.len()].eq_ignore_ascii_case(word.as_bytes())
                && matches!(bytes[word.len()], b' ' | b'\t')
        };
        if content.starts_with("include") && keyword("include") {
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(error(format!(
                    "more than {MAX_INCLUDE_DEPTH} nested includes"
                )));
            }
            for pattern in content[8..].split([' ', '\t']).filter(|p| !p.is_empty()) {
                if !pattern.starts_with('/') {
                    return Err(error(format!(
                        "include {pattern:?}: relative include patterns are not supported"
                    )));
                }
                for file in glob(tree, pattern).map_err(error)? {
                    read_config(tree, &file, depth + 1, dirs)?;
                }
            }
        } else if keyword("hwcap") {
            // ldconfig ignores it (with a warning).
        } else {
            dirs.push(content.to_string());
        }
    }
    Ok(())
}

/// glob(3) of an absolute pattern with `*` and `?` over the tree: matching paths, sorted; a
/// leading `.` only matches a literal `.`.
fn glob(tree: &FileTree, pattern: &str) -> Result<Vec<String>, String> {
    if pattern.contains(['[', '\\', '{']) {
        return Err(format!(
            "include {pattern:?}: only the * and ? wildcards are supported"
        ));
    }
    let mut found = vec![String::new()];
    for part in components(pattern).filter(|p| !p.is_empty()) {
        let mut next = BTreeSet::new();
        for base in &found {
            let Some(dir) = tree.resolve(base) else {
                continue;
            };
            if !part.contains(['*', '?']) {
                let candidate = join(base, part);
                if tree.resolve(&candidate).is_some() {
                    next.insert(candidate);
                }
                continue;
            }
            for name in tree.children(&dir) {
                if (!name.starts_with('.') || part.starts_with('.'))
                    && wildcard_match(part.as_bytes(), name.as_bytes())
                {
                    next.insert(join(base, name));
                }
            }
        }
        found = next.into_iter().collect();
    }
    Ok(found.into_iter().map(|p| format!("/{p}")).collect())
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else {
        format!("{base}/{name}")
    }
}

fn wildcard_match(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| wildcard_match(rest, &name[i..])),
        Some((b'?', rest)) => !name.is_empty() && wildcard_match(rest, &name[1..]),
        Some((c, rest)) => name.first() == Some(c) && wildcard_match(rest, &name[1..]),
    }
}

/// glibc's `_dl_is_dso`: does the name look like a shared object?
fn looks_like_dso(name: &str) -> bool {
    ((name.starts_with("lib") || name.starts_with("ld-")) && name.contains(".so"))
        || name.starts_with("ld.so.")
        || name.starts_with("ld64.so.")
}

/// ldconfig's `skip_dso_based_on_name`: prelink, RPM and dpkg temporary files.
fn is_temporary(name: &str) -> bool {
    let bytes = name.as_bytes();
    name.ends_with(".#prelink#")
        || bytes.len() >= ".#prelink#.XXXXXX".len()
            && bytes[..bytes.len() - 6].ends_with(b".#prelink#.")
        || name.contains(';')
        || name.ends_with(".dpkg-new")
        || name.ends_with(".dpkg-tmp")
}

/// One directory's libraries (glibc's `search_dir`), appended to `entries`.
fn scan_dir(
    tree: &FileTree,
    arch: Architecture,
    dir: &SearchDir,
    entries: &mut Vec<CacheEntry>,
) -> Result<(), CacheError> {
    if tree.get(&join(&dir.canonical, "glibc-hwcaps")).is_some() {
        return Err(CacheError::Hwcaps(join(&dir.canonical, "glibc-hwcaps")));
    }
    // soname -> (flags, the file that gave them).
    let mut libraries: BTreeMap<String, (i32, String)> = BTreeMap::new();
    for name in tree.children(&dir.canonical) {
        if !looks_like_dso(name) || is_temporary(name) {
            continue;
        }
        let path = join(&dir.canonical, name);
        let is_link = matches!(tree.get(&path), Some(Node::Symlink(_)));
        let Some(target) = tree.resolve(&path) else {
            continue; // a dangling link
        };
        let Some(Node::File(facts)) = tree.get(&target) else {
            continue;
        };
        let Some(object) = &facts.elf else {
            continue; // not ELF: a linker script, say
        };
        let Some(flags) = arch.library_flags(object) else {
            continue;
        };
        let elf_soname = object
            .dynamic
            .as_ref()
            .and_then(|d| d.soname.clone())
            .unwrap_or_else(|| name.to_string());
        // A link named as its target's soname, or the `libfoo.so` link ld(1) uses, is cached
        // under its own name; any other link counts as a file with the target's soname.
        let own_name = is_link
            && (name == elf_soname || (name.ends_with(".so") && elf_soname.starts_with(name)));
        let soname = if own_name {
            name.to_string()
        } else {
            elf_soname
        };
        match libraries.get(&soname) {
            Some((other_flags, other)) if *other_flags != flags => {
                return Err(CacheError::Library {
                    path: format!("/{path}"),
                    message: format!(
                        "soname {soname} also names /{other}, a library of another type"
                    ),
                });
            }
            Some(_) => {}
            None => {
                libraries.insert(soname, (flags, path));
            }
        }
    }
    for (soname, (flags, file)) in libraries {
        // ldconfig -X does not make the soname link: the cache points at it, so it must be
        // in the image (Debian packages ship it).
        let soname_path = join(&dir.canonical, &soname);
        if tree.resolve(&soname_path).is_none() {
            return Err(CacheError::Library {
                path: format!("/{file}"),
                message: format!(
                    "its soname is {soname}, but /{soname_path} does not exist (ldconfig would \
                     make that link; the package should ship it)"
                ),
            });
        }
        entries.push(CacheEntry {
            path: format!("{}/{soname}", dir.configured),
            name: soname,
            flags,
        });
    }
    Ok(())
}

/// cache.c's `compare`: names in descending `_dl_cache_libcmp` order, then higher flags first.
fn entry_order(arch: Architecture, a: &CacheEntry, b: &CacheEntry) -> std::cmp::Ordering {
    libcmp(b.name.as_bytes(), a.name.as_bytes(), arch.signed_char())
        .cmp(&0)
        .then(b.flags.cmp(&a.flags))
}

/// glibc's `_dl_cache_libcmp`: runs of digits compare as numbers (in C's wrapping `int`).
fn libcmp(p1: &[u8], p2: &[u8], signed_char: bool) -> i32 {
    let byte = |s: &[u8], i: usize| -> i32 {
        let b = s.get(i).copied().unwrap_or(0);
        if signed_char {
            i32::from(b as i8)
        } else {
            i32::from(b)
        }
    };
    let digit = |s: &[u8], i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    let (mut i, mut j) = (0, 0);
    while byte(p1, i) != 0 {
        if digit(p1, i) {
            if !digit(p2, j) {
                return 1;
            }
            let (mut v1, mut v2) = (0i32, 0i32);
            while digit(p1, i) {
                v1 = v1
                    .wrapping_mul(10)
                    .wrapping_add(byte(p1, i) - i32::from(b'0'));
                i += 1;
            }
            while digit(p2, j) {
                v2 = v2
                    .wrapping_mul(10)
                    .wrapping_add(byte(p2, j) - i32::from(b'0'));
                j += 1;
            }
            if v1 != v2 {
                return v1.wrapping_sub(v2);
            }
        } else if digit(p2, j) {
            return -1;
        } else if byte(p1, i) != byte(p2, j) {
            return byte(p1, i) - byte(p2, j);
        } else {
            i += 1;
            j += 1;
        }
    }
    byte(p1, i) - byte(p2, j)
}

const CACHEMAGIC_VERSION_NEW: &[u8; 20] = b"glibc-ld.so.cache1.1";
const HEADER_SIZE: usize = 48;
const ENTRY_SIZE: usize = 24;
const EXTENSION_MAGIC: u32 = 0xeaa4_2174;
const EXTENSION_TAG_GENERATOR: u32 = 0;

/// The cache file: `entries` (in [`cache_entries`]'s order) in glibc's new format for
/// `arch`'s byte order, with `generator` as the generator extension (what `ldconfig -p`
/// prints as "Cache generated by").
pub fn write_cache(
    entries: &[CacheEntry],
    arch: Architecture,
    generator: &str,
) -> Result<Vec<u8>, CacheError> {
    let big = arch.big_endian();
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let strings = StringTable::new(entries.iter().flat_map(|e| [&e.name, &e.path]));
    let entries_end = HEADER_SIZE + ENTRY_SIZE * entries.len();
    let extension_offset = (entries_end + strings.bytes.len()).next_multiple_of(4);
    let fits = |v: usize| u32::try_from(v).map_err(|_| CacheError::TooLarge);

    let mut out = Vec::with_capacity(extension_offset + 24 + generator.len());
    out.extend_from_slice(CACHEMAGIC_VERSION_NEW);
    out.extend_from_slice(&u32b(fits(entries.len())?));
    out.extend_from_slice(&u32b(fits(strings.bytes.len())?));
    out.push(if big { 3 } else { 2 }); // cache_file_new_flags_endian_big / _little
    out.extend_from_slice(&[0; 3]);
    out.extend_from_slice(&u32b(fits(extension_offset)?));
    out.extend_from_slice(&[0; 12]);
    for entry in entries {
        // String offsets count from the start of the file (the new format's header).
        out.extend_from_slice(&u32b(entry.flags as u32));
        out.extend_from_slice(&u32b(fits(entries_end + strings.offset(&entry.name))?));
        out.extend_from_slice(&u32b(fits(entries_end + strings.offset(&entry.path))?));
        out.extend_from_slice(&[0; 4]); // osversion_unused
        out.extend_from_slice(&[0; 8]); // hwcap: no glibc-hwcaps entries
    }
    out.extend_from_slice(&strings.bytes);
    out.resize(extension_offset, 0);
    // The extension directory (one section) and the generator string, without a NUL.
    out.extend_from_slice(&u32b(EXTENSION_MAGIC));
    out.extend_from_slice(&u32b(1));
    out.extend_from_slice(&u32b(EXTENSION_TAG_GENERATOR));
    out.extend_from_slice(&u32b(0));
    out.extend_from_slice(&u32b(fits(extension_offset + 24)?));
    out.extend_from_slice(&u32b(fits(generator.len())?));
    out.extend_from_slice(generator.as_bytes());
    Ok(out)
}

/// glibc's `stringtable_finalize`: unique strings sorted by their reversed bytes, descending
/// (longer first on a common suffix), each sharing the tail of the one before when it is a
/// suffix of it.
struct StringTable {
    bytes: Vec<u8>,
    offsets: BTreeMap<String, usize>,
}

impl StringTable {
    fn new<'a>(strings: impl Iterator<Item = &'a String>) -> Self {
        let unique: BTreeSet<&str> = strings.map(String::as_str).collect();
        let mut sorted: Vec<&str> = unique.into_iter().collect();
        sorted.sort_by(|a, b| {
            let reversed = |s: &str| s.bytes().rev().collect::<Vec<u8>>();
            reversed(b).cmp(&reversed(a))
        });
        let mut bytes = Vec::new();
        let mut offsets = BTreeMap::new();
        let mut previous: Option<(&str, usize)> = None;
        for s in sorted {
            let offset = match previous {
                Some((p, at)) if p.ends_with(s) => at + p.len() - s.len(),
                _ => {
                    let at = bytes.len();
                    bytes.extend_from_slice(s.as_bytes());
                    bytes.push(0);
                    at
                }
            };
            offsets.insert(s.to_string(), offset);
            previous = Some((s, offset));
        }
        Self { bytes, offsets }
    }

    fn offset(&self, s: &str) -> usize {
        self.offsets[s]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::{Dynamic, ElfObject};

    fn lib(machine: u16, class64: bool, flags: u32, soname: Option<&str>) -> Node {
        Node::File(FileFacts {
            elf: Some(ElfObject {
                class64,
                big_endian: false,
                elf_type: 3,
                machine,
                flags,
                dynamic: Some(Dynamic {
                    soname: soname.map(str::to_string),
                }),
            }),
            text: None,
        })
    }

    fn text(s: &str) -> Node {
        Node::File(FileFacts {
            elf: None,
            text: Some(s.as_bytes().to_vec()),
        })
    }

    /// A merged-/usr amd64 tree with Debian's configuration.
    fn tree() -> FileTree {
        let mut t = FileTree::new();
        t.insert("lib", Node::Symlink("usr/lib".into()));
        t.insert(
            "etc/ld.so.conf",
            text("include /etc/ld.so.conf.d/*.conf\n\n"),
        );
        t.insert(
            "etc/ld.so.conf.d/libc.conf",
            text("# libc default configuration\n/usr/local/lib\n"),
        );
        t.insert(
            "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
            text("# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n"),
        );
        let d = "usr/lib/x86_64-linux-gnu";
        t.insert(
            &format!("{d}/libz.so.1.3.1"),
            lib(EM_X86_64, true, 0, Some("libz.so.1")),
        );
        t.insert(
            &format!("{d}/libz.so.1"),
            Node::Symlink("libz.so.1.3.1".into()),
        );
        t.insert(
            &format!("{d}/libz.so"),
            Node::Symlink("libz.so.1.3.1".into()),
        );
        t.insert(
            &format!("{d}/libc.so.6"),
            lib(EM_X86_64, true, 0, Some("libc.so.6")),
        );
        t.insert(
            &format!("{d}/libc.so"),
            text("/* GNU ld script */ GROUP ( libc.so.6 )"),
        );
        t.insert(
            &format!("{d}/libfoo.so.10"),
            lib(EM_X86_64, true, 0, Some("libfoo.so.10")),
        );
        t.insert(
            &format!("{d}/libfoo.so.9"),
            lib(EM_X86_64, true, 0, Some("libfoo.so.9")),
        );
        t.insert(
            &format!("{d}/libarm.so.1"),
            lib(183, true, 0, Some("libarm.so.1")),
        );
        t.insert(
            &format!("{d}/libgone.so.1"),
            Node::Symlink("libgone.so.1.0".into()),
        );
        t.insert(
            &format!("{d}/libx.so.1.dpkg-new"),
            lib(EM_X86_64, true, 0, Some("libx.so.1.dpkg-new")),
        );
        t.insert(
            &format!("{d}/notalib.so"),
            lib(EM_X86_64, true, 0, Some("notalib.so")),
        );
        t.insert(&format!("{d}/python3.13"), Node::Directory);
        t
    }

    fn names(entries: &[CacheEntry]) -> Vec<(&str, &str)> {
        entries
            .iter()
            .map(|e| (e.name.as_str(), e.path.as_str()))
            .collect()
    }

    #[test]
    fn libraries_of_the_configured_directories_in_ld_so_order() {
        let entries = cache_entries(&tree(), Architecture::Amd64).unwrap();
        let d = "/lib/x86_64-linux-gnu";
        assert_eq!(
            names(&entries),
            [
                ("libz.so.1", format!("{d}/libz.so.1").as_str()),
                ("libz.so", &format!("{d}/libz.so")),
                ("libfoo.so.10", &format!("{d}/libfoo.so.10")),
                ("libfoo.so.9", &format!("{d}/libfoo.so.9")),
                ("libc.so.6", &format!("{d}/libc.so.6")),
            ]
        );
        assert!(entries.iter().all(|e| e.flags == 0x0303));
    }

    #[test]
    fn without_configuration_the_system_directories() {
        let mut t = tree();
        t.insert("etc/ld.so.conf", text("# nothing\n"));
        let entries = cache_entries(&t, Architecture::Amd64).unwrap();
        assert_eq!(entries[0].path, "/lib/x86_64-linux-gnu/libz.so.1");
        assert_eq!(entries.len(), 5);
    }

    #[test]
    fn arm_flags_follow_the_float_abi() {
        let arch = Architecture::Armhf;
        let elf = |flags| match lib(40, false, flags, Some("x")) {
            Node::File(f) => f.elf.unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(arch.library_flags(&elf(0x0500_0400)), Some(0x0903));
        assert_eq!(arch.library_flags(&elf(0x0500_0200)), Some(0x0b03));
        assert_eq!(arch.library_flags(&elf(0x0400_0400)), Some(0x0003));
        assert_eq!(Architecture::Riscv64.library_flags(&elf(0x5)), Some(0x1003));
        assert_eq!(Architecture::Riscv64.library_flags(&elf(0x2)), None);
    }

    #[test]
    fn missing_soname_links_and_hwcaps_are_errors() {
        let mut t = tree();
        t.insert(
            "usr/lib/x86_64-linux-gnu/libbar.so.2.0",
            lib(EM_X86_64, true, 0, Some("libbar.so.2")),
        );
        let err = cache_entries(&t, Architecture::Amd64)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("libbar.so.2.0") && err.contains("libbar.so.2 does not exist"),
            "{err}"
        );
        let mut t = tree();
        t.insert(
            "usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3",
            Node::Directory,
        );
        assert!(matches!(
            cache_entries(&t, Architecture::Amd64),
            Err(CacheError::Hwcaps(_))
        ));
    }

    #[test]
    fn unsupported_includes_are_named() {
        let mut t = tree();
        t.insert("etc/ld.so.conf", text("\ninclude ld.so.conf.d/*.conf\n"));
        let err = cache_entries(&t, Architecture::Amd64)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/etc/ld.so.conf:2: include \"ld.so.conf.d/*.conf\": relative include patterns are not supported"
        );
        t.insert("etc/ld.so.conf", text("include /etc/[a]*\n"));
        assert!(cache_entries(&t, Architecture::Amd64).is_err());
        t.insert("etc/ld.so.conf", text("include /etc/ld.so.conf\n"));
        let err = cache_entries(&t, Architecture::Amd64)
            .unwrap_err()
            .to_string();
        assert!(err.contains("nested includes"), "{err}");
    }

    #[test]
    fn resolve_follows_links_inside_the_tree() {
        let mut t = tree();
        t.insert(
            "usr/lib64/ld.so",
            Node::Symlink(
                "/lib/x86_64-linux-gnu/../../../../lib/x86_64-linux-gnu/libc.so.6".into(),
            ),
        );
        assert_eq!(
            t.resolve("/usr/lib64/ld.so").as_deref(),
            Some("usr/lib/x86_64-linux-gnu/libc.so.6")
        );
        t.insert("loop", Node::Symlink("loop".into()));
        assert_eq!(t.resolve("/loop"), None);
        assert_eq!(t.resolve("/usr/lib/x86_64-linux-gnu/libc.so.6/x"), None);
    }

    fn tar_of(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, kind, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            // set_path refuses "..": write the name bytes as a crafted archive would.
            header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn spill() -> std::fs::File {
        let path = std::env::temp_dir().join(format!("rootfs-spill-{}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        file
    }

    #[test]
    fn crafted_layers_are_refused_with_their_names() {
        let file = tar::EntryType::Regular;
        for (entries, message) in [
            (
                vec![("../etc/ld.so.conf", file, &b"/x\n"[..])],
                "layer l.tar: ../etc/ld.so.conf:",
            ),
            (
                vec![("usr/lib/.wh.libz.so.1", file, &b""[..])],
                "layer l.tar: usr/lib/.wh.libz.so.1: whiteout entries are not supported",
            ),
            (
                vec![("usr/lib/libz.so.1", tar::EntryType::Link, &b""[..])],
                "layer l.tar: usr/lib/libz.so.1: a link without a target",
            ),
        ] {
            let err = FileTree::new()
                .add_tar("l.tar", &tar_of(&entries)[..], &mut spill())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(message), "{err}");
        }
        let mut tree = FileTree::new();
        let conf = tar_of(&[("etc/ld.so.conf", file, b"/opt/lib\n")]);
        tree.add_tar("l.tar", &conf[..], &mut spill()).unwrap();
        assert_eq!(
            tree.get("etc/ld.so.conf"),
            Some(&Node::File(FileFacts {
                elf: None,
                text: Some(b"/opt/lib\n".to_vec())
            }))
        );
    }

    #[test]
    fn libcmp_compares_digit_runs_as_numbers() {
        let cmp = |a: &str, b: &str| libcmp(a.as_bytes(), b.as_bytes(), true).signum();
        assert_eq!(cmp("libfoo.so.10", "libfoo.so.9"), 1);
        assert_eq!(cmp("libfoo.so.1", "libfoo.so"), 1);
        assert_eq!(cmp("libz.so", "libz.so"), 0);
        assert_eq!(cmp("liba", "libb"), -1);
        assert_eq!(cmp("lib2", "libb"), 1);
        // Bytes >= 0x80 are negative where char is signed (x86), large elsewhere.
        assert_eq!(libcmp(b"lib\xe9", b"liba", true).signum(), -1);
        assert_eq!(libcmp(b"lib\xe9", b"liba", false).signum(), 1);
    }

    #[test]
    fn strings_are_tail_merged_in_glibc_order() {
        let strings =
            ["libc.so.6", "/lib/libc.so.6", "libm.so.6", "/lib/libm.so.6"].map(String::from);
        let table = StringTable::new(strings.iter());
        assert_eq!(table.bytes, b"/lib/libm.so.6\0/lib/libc.so.6\0");
        assert_eq!(table.offset("libm.so.6"), 5);
        assert_eq!(table.offset("/lib/libc.so.6"), 15);
        assert_eq!(table.offset("libc.so.6"), 20);
    }

    #[test]
    fn layout_of_header_entries_and_extension() {
        let entries = vec![CacheEntry {
            name: "libc.so.6".into(),
            path: "/lib/libc.so.6".into(),
            flags: 0x0303,
        }];
        let bytes = write_cache(&entries, Architecture::Amd64, "gen").unwrap();
        assert_eq!(&bytes[..20], b"glibc-ld.so.cache1.1");
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!((u32_at(20), u32_at(24), bytes[28]), (1, 15, 2));
        assert_eq!(u32_at(32), 88); // 48 + 24 + 15 = 87, aligned to 4
        assert_eq!((u32_at(48), u32_at(52), u32_at(56)), (0x0303, 72 + 5, 72));
        assert_eq!(&bytes[72..87], b"/lib/libc.so.6\0");
        assert_eq!(bytes[87], 0);
        assert_eq!((u32_at(88), u32_at(92)), (0xeaa4_2174, 1));
        assert_eq!((u32_at(96), u32_at(104), u32_at(108)), (0, 112, 3));
        assert_eq!(&bytes[112..], b"gen");
        let big = write_cache(&entries, Architecture::S390x, "gen").unwrap();
        assert_eq!((big[28], &big[20..24]), (3, &[0, 0, 0, 1][..]));
    }
}
