//! A strict streaming reader for tar archives that come from untrusted sources (`.deb`
//! members, image layers, foreign tarballs).
//!
//! It reads ustar, GNU (`L`/`K` long names, base-256 numbers) and PAX (`x`, `g`) archives one
//! entry at a time, without seeking and without allocating from a declared size: only extended
//! headers are held in memory, and those are limited to [`MAX_EXTENSION`] bytes. Everything two
//! tar readers could read differently is refused rather than guessed: a bad checksum, an
//! unknown magic, two long names for one entry, a directory or link with data, sparse files,
//! negative or overflowing numbers, data after the end-of-archive marker. The archive is always
//! read to the end of its input, so that a decompressor underneath runs its end-of-stream checks
//! (gzip CRC and length, the xz index, zstd checksums).

use std::io::{self, Read};

pub mod write;

/// The tar block size.
pub const BLOCK: usize = 512;

/// The largest extended header (a GNU long name or link, a set of PAX records) read.
pub const MAX_EXTENSION: u64 = 1 << 20;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    /// `0`, `7` (contiguous) or the old `\0`.
    Regular,
    /// `1`: another entry of the archive, by path.
    Hardlink,
    /// `2`.
    Symlink,
    /// `3`.
    CharDevice,
    /// `4`.
    BlockDevice,
    /// `5`, or an old-style `\0` entry whose name ends in `/`.
    Directory,
    /// `6`.
    Fifo,
    /// Anything else (GNU sparse `S`, volume labels, ...), with its type flag.
    Other(u8),
}

impl EntryType {
    /// Types whose size field must be zero: they have no data in the archive.
    fn header_only(self) -> bool {
        matches!(
            self,
            Self::Hardlink
                | Self::Symlink
                | Self::CharDevice
                | Self::BlockDevice
                | Self::Directory
                | Self::Fifo
        )
    }
}

/// One entry's metadata, extended headers applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// As stored (bytes, not necessarily UTF-8); never empty.
    pub path: Vec<u8>,
    /// The link target of a symlink or hardlink, as stored; empty for other entries.
    pub link: Vec<u8>,
    pub entry_type: EntryType,
    /// The permission bits (`0o7777`) of the mode field.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Bytes of data that follow the header.
    pub size: u64,
}

/// Why an archive cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The archive is malformed or ambiguous; the message says where.
    #[error("{0}")]
    Format(String),
    /// A read failed; decompressors report corrupt streams this way.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Extended headers collected for the next entry.
#[derive(Default)]
struct Pending {
    gnu_name: Option<Vec<u8>>,
    gnu_link: Option<Vec<u8>>,
    pax: Option<Pax>,
}

#[derive(Default)]
struct Pax {
    path: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
    uid: Option<u64>,
    gid: Option<u64>,
}

/// Reads entries one after the other: [`Archive::next_entry`], then the entry's data with
/// [`Archive::data`] (whatever is not read is skipped).
pub struct Archive<R: Read> {
    inner: R,
    /// Bytes consumed from `inner`.
    offset: u64,
    /// Data bytes of the current entry not read yet, and the padding after them.
    data_left: u64,
    padding: u64,
    /// The current entry's path, for messages.
    current: String,
    finished: bool,
}

impl<R: Read> Archive<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            data_left: 0,
            padding: 0,
            current: String::new(),
            finished: false,
        }
    }

    /// The next entry, or `None` once the end-of-archive marker has been read, followed by
    /// nothing but zeros up to the end of the input.
    pub fn next_entry(&mut self) -> Result<Option<Header>, Error> {
        if self.finished {
            return Ok(None);
        }
        self.skip_data()?;
        let mut pending = Pending::default();
        loop {
            let start = self.offset;
            let mut block = [0u8; BLOCK];
            match self.read_block(&mut block)? {
                0 => {
                    return Err(self
                        .format("the archive ends without an end-of-archive marker (truncated?)"))
                }
                BLOCK => {}
                n => {
                    return Err(self.format(&format!(
                        "the archive ends inside a header ({n} of {BLOCK} bytes at byte {start})"
                    )))
                }
            }
            if block.iter().all(|&b| b == 0) {
                if pending.gnu_name.is_some() || pending.gnu_link.is_some() || pending.pax.is_some()
                {
                    return Err(self.format(&format!(
                        "extended header without an entry before the end of the archive (byte {start})"
                    )));
                }
                self.drain_zeros()?;
                self.finished = true;
                return Ok(None);
            }
            let raw = RawHeader::parse(&block, start)?;
            match raw.typeflag {
                b'L' | b'K' | b'x' | b'g' => {
                    if raw.size > MAX_EXTENSION {
                        return Err(Error::Format(format!(
                            "extended header at byte {start} is {} bytes long, more than the {MAX_EXTENSION} allowed",
                            raw.size
                        )));
                    }
                    let data = self.read_extension(raw.size, start)?;
                    let twice = || {
                        Error::Format(format!(
                            "two extended headers of type {:?} for one entry (byte {start})",
                            char::from(raw.typeflag)
                        ))
                    };
                    match raw.typeflag {
                        b'L' if pending.gnu_name.is_none() => {
                            pending.gnu_name = Some(until_nul(&data).to_vec())
                        }
                        b'K' if pending.gnu_link.is_none() => {
                            pending.gnu_link = Some(until_nul(&data).to_vec())
                        }
                        b'x' if pending.pax.is_none() => {
                            pending.pax = Some(Pax::parse(&data, start, false)?)
                        }
                        b'g' => {
                            Pax::parse(&data, start, true)?;
                        }
                        _ => return Err(twice()),
                    }
                }
                _ => return self.entry(raw, pending, start).map(Some),
            }
        }
    }

    /// The data of the entry [`Archive::next_entry`] returned last. Reading fails with
    /// `UnexpectedEof` when the archive ends before the declared size.
    pub fn data(&mut self) -> Data<'_, R> {
        Data { archive: self }
    }

    /// The reader underneath (after the end of the archive: at the end of its input).
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn entry(&mut self, raw: RawHeader, pending: Pending, start: u64) -> Result<Header, Error> {
        let pax = pending.pax.unwrap_or_default();
        let path = match (pax.path, pending.gnu_name) {
            (Some(_), Some(_)) => {
                return Err(Error::Format(format!(
                    "entry at byte {start} has both a PAX path and a GNU long name"
                )))
            }
            (Some(p), None) | (None, Some(p)) => p,
            (None, None) => raw.name,
        };
        let link = match (pax.link, pending.gnu_link) {
            (Some(_), Some(_)) => {
                return Err(Error::Format(format!(
                    "entry at byte {start} has both a PAX linkpath and a GNU long link"
                )))
            }
            (Some(l), None) | (None, Some(l)) => l,
            (None, None) => raw.link,
        };
        let shown = String::from_utf8_lossy(&path).into_owned();
        if path.is_empty() {
            return Err(Error::Format(format!("entry at byte {start} has no name")));
        }
        let entry_type = match raw.typeflag {
            b'0' | b'7' => EntryType::Regular,
            0 if path.ends_with(b"/") => EntryType::Directory,
            0 => EntryType::Regular,
            b'1' => EntryType::Hardlink,
            b'2' => EntryType::Symlink,
            b'3' => EntryType::CharDevice,
            b'4' => EntryType::BlockDevice,
            b'5' => EntryType::Directory,
            b'6' => EntryType::Fifo,
            other => EntryType::Other(other),
        };
        let size = pax.size.unwrap_or(raw.size);
        if entry_type.header_only() && size != 0 {
            return Err(Error::Format(format!(
                "{shown}: a {entry_type:?} entry with {size} bytes of data"
            )));
        }
        let is_link = matches!(entry_type, EntryType::Hardlink | EntryType::Symlink);
        if is_link == link.is_empty() {
            let problem = if is_link {
                "a link without a target"
            } else {
                "a link target on an entry that is not a link"
            };
            return Err(Error::Format(format!("{shown}: {problem}")));
        }
        self.data_left = size;
        self.padding = padding(size);
        self.current = shown;
        Ok(Header {
            path,
            link,
            entry_type,
            mode: (raw.mode & 0o7777) as u32,
            uid: pax.uid.unwrap_or(raw.uid),
            gid: pax.gid.unwrap_or(raw.gid),
            size,
        })
    }

    fn format(&self, message: &str) -> Error {
        Error::Format(message.to_string())
    }

    /// Reads a whole block, or what is left before the end of the input.
    fn read_block(&mut self, block: &mut [u8; BLOCK]) -> io::Result<usize> {
        let mut got = 0;
        while got < BLOCK {
            match self.inner.read(&mut block[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.offset += got as u64;
        Ok(got)
    }

    fn read_extension(&mut self, size: u64, start: u64) -> Result<Vec<u8>, Error> {
        // `size` is at most MAX_EXTENSION: reading it whole is bounded.
        let mut data = Vec::new();
        self.data_left = size;
        self.padding = padding(size);
        self.current = format!("extended header at byte {start}");
        self.data().read_to_end(&mut data)?;
        self.skip_data()?;
        Ok(data)
    }

    /// Skips what is left of the current entry's data, and its padding.
    fn skip_data(&mut self) -> Result<(), Error> {
        io::copy(&mut self.data(), &mut io::sink())?;
        let mut pad = [0u8; BLOCK];
        let want = self.padding as usize;
        let mut got = 0;
        while got < want {
            match self.inner.read(&mut pad[got..want]) {
                Ok(0) => {
                    return Err(Error::Format(format!(
                        "{}: the archive ends inside the padding after the data",
                        self.current
                    )))
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.offset += want as u64;
        self.padding = 0;
        Ok(())
    }

    /// After the first zero block: the rest of the input must be zeros (the second zero block
    /// and any record padding). Reading it all lets a decompressor check its trailer.
    fn drain_zeros(&mut self) -> Result<(), Error> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match self.inner.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if let Some(i) = buf[..n].iter().position(|&b| b != 0) {
                return Err(Error::Format(format!(
                    "data after the end-of-archive marker (at byte {})",
                    self.offset + i as u64
                )));
            }
            self.offset += n as u64;
        }
    }
}

/// The data of one entry.
pub struct Data<'a, R: Read> {
    archive: &'a mut Archive<R>,
}

impl<R: Read> Read for Data<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let archive = &mut *self.archive;
        let left = archive.data_left;
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = archive.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{}: the archive ends inside the data ({left} bytes missing)",
                    archive.current
                ),
            ));
        }
        archive.data_left -= n as u64;
        archive.offset += n as u64;
        Ok(n)
    }
}

fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// The fields of one 512-byte header block.
struct RawHeader {
    name: Vec<u8>,
    link: Vec<u8>,
    typeflag: u8,
    mode: u64,
    uid: u64,
    gid: u64,
    size: u64,
}

impl RawHeader {
    fn parse(block: &[u8; BLOCK], start: u64) -> Result<Self, Error> {
        let bad = |what: &str| Error::Format(format!("tar header at byte {start}: {what}"));
        let stored = number(&block[148..156]).ok_or_else(|| bad("unreadable checksum"))?;
        let unsigned: u64 = block
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(b)
                }
            })
            .sum();
        // Some old tars summed signed bytes.
        let signed: i64 = block
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    i64::from(b as i8)
                }
            })
            .sum();
        if stored != unsigned && i64::try_from(stored).ok() != Some(signed) {
            return Err(bad("checksum mismatch (not a tar archive, or corrupt)"));
        }
        // The ustar prefix field only exists in POSIX archives; GNU ones keep other data there.
        let prefix = match (&block[257..263], &block[263..265]) {
            (b"ustar\0", b"00") => Some(until_nul(&block[345..500])),
            (b"ustar ", b" \0") => None,
            (magic, version) if magic.iter().chain(version).all(|&b| b == 0) => None,
            _ => return Err(bad("unknown format (magic and version fields)")),
        };
        let name = until_nul(&block[0..100]);
        let name = match prefix {
            Some(prefix) if !prefix.is_empty() => [prefix, b"/", name].concat(),
            _ => name.to_vec(),
        };
        let field = |range: std::ops::Range<usize>, what: &str| {
            number(&block[range]).ok_or_else(|| bad(&format!("unreadable {what} field")))
        };
        Ok(Self {
            name,
            link: until_nul(&block[157..257]).to_vec(),
            typeflag: block[156],
            mode: field(100..108, "mode")?,
            uid: field(108..116, "uid")?,
            gid: field(116..124, "gid")?,
            size: field(124..136, "size")?,
        })
    }
}

fn until_nul(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

/// A numeric field: octal digits (leading spaces allowed, ended by a space or NUL, an empty
/// field is 0), or GNU base-256 (first byte 0x80). `None` when unreadable, negative or beyond
/// `u64`.
fn number(field: &[u8]) -> Option<u64> {
    let first = *field.first()?;
    if first & 0x80 != 0 {
        if first & 0x40 != 0 {
            return None; // negative
        }
        let mut value = u64::from(first & 0x3f);
        for &b in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(value);
    }
    let text = field
        .iter()
        .position(|&b| b != b' ')
        .map_or(&[][..], |i| &field[i..]);
    let digits = text
        .iter()
        .take_while(|b| (b'0'..=b'7').contains(b))
        .count();
    if text[digits..].iter().any(|&b| b != b' ' && b != 0) {
        return None;
    }
    let mut value: u64 = 0;
    for &b in &text[..digits] {
        value = value.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

impl Pax {
    /// Parses `<length> <key>=<value>\n` records. A global header (`g`) may not set what
    /// identifies an entry: readers disagree on whether it applies.
    fn parse(data: &[u8], start: u64, global: bool) -> Result<Self, Error> {
        let bad = |what: String| Error::Format(format!("PAX header at byte {start}: {what}"));
        let mut pax = Pax::default();
        let mut rest = data;
        while !rest.is_empty() {
            let space = rest
                .iter()
                .position(|&b| b == b' ')
                .filter(|&i| i > 0 && i <= 20)
                .ok_or_else(|| bad("malformed record length".into()))?;
            let len: usize = std::str::from_utf8(&rest[..space])
                .ok()
                .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse().ok())
                .filter(|&len| len > space + 2 && len <= rest.len())
                .ok_or_else(|| bad("malformed record length".into()))?;
            let record = &rest[space + 1..len];
            rest = &rest[len..];
            let record = record
                .strip_suffix(b"\n")
                .ok_or_else(|| bad("record does not end with a newline".into()))?;
            let eq = record
                .iter()
                .position(|&b| b == b'=')
                .ok_or_else(|| bad("record without '='".into()))?;
            let (key, value) = (&record[..eq], &record[eq + 1..]);
            let key_text = String::from_utf8_lossy(key).into_owned();
            if key.starts_with(b"GNU.sparse.") {
                return Err(bad("sparse files are not supported".into()));
            }
            let slot = match key {
                b"path" | b"linkpath" | b"size" | b"uid" | b"gid" if global => {
                    return Err(bad(format!("a global header may not set {key_text}")))
                }
                b"path" => Slot::Bytes(&mut pax.path),
                b"linkpath" => Slot::Bytes(&mut pax.link),
                b"size" => Slot::Number(&mut pax.size),
                b"uid" => Slot::Number(&mut pax.uid),
                b"gid" => Slot::Number(&mut pax.gid),
                _ => continue, // times, owner names, xattrs, comments: not kept in a layer
            };
            let twice = || bad(format!("{key_text} given twice"));
            match slot {
                Slot::Bytes(slot) => {
                    if slot.replace(value.to_vec()).is_some() {
                        return Err(twice());
                    }
                }
                Slot::Number(slot) => {
                    let number = std::str::from_utf8(value)
                        .ok()
                        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| {
                            bad(format!(
                                "{key_text} {:?} is not a number",
                                String::from_utf8_lossy(value)
                            ))
                        })?;
                    if slot.replace(number).is_some() {
                        return Err(twice());
                    }
                }
            }
        }
        Ok(pax)
    }
}

enum Slot<'a> {
    Bytes(&'a mut Option<Vec<u8>>),
    Number(&'a mut Option<u64>),
}

#[cfg(test)]
mod tests;
