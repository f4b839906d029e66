//! File contents, with memory bounded whatever the input: small files stay in memory until
//! [`MEMORY_LIMIT`] bytes are held by the whole process, everything else goes to one unnamed
//! temporary file (the spool), which the system deletes when the process ends, however it ends.
//! A content is identified by its length and sha256, computed once as it is read.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

/// Largest file kept in memory.
pub const MEMORY_FILE_MAX: u64 = 1 << 20;
/// Bytes of file content the process keeps in memory at most; the rest is spooled.
pub const MEMORY_LIMIT: u64 = 32 << 20;

static IN_MEMORY: AtomicU64 = AtomicU64::new(0);

/// Where the bytes of a [`Content`] are.
#[derive(Clone)]
enum Data {
    Memory(Arc<MemoryBytes>),
    /// At this offset of the spool.
    Spooled(Arc<Spooled>),
    /// Not kept: only the length and digest are known (reading layers to compare them).
    Dropped,
}

/// A content's place in the spool. When the last one is dropped, the spool is emptied, so
/// that a long process (a fuzzer, a test binary) does not fill the disk.
struct Spooled {
    offset: u64,
}

static SPOOLED: AtomicU64 = AtomicU64::new(0);

impl Drop for Spooled {
    fn drop(&mut self) {
        if SPOOLED.fetch_sub(1, Ordering::AcqRel) == 1 {
            if let Some(spool) = SPOOL.get() {
                let mut end = spool.end.lock().unwrap_or_else(|e| e.into_inner());
                // Contents are only added with the lock held: none appeared meanwhile.
                if SPOOLED.load(Ordering::Acquire) == 0 && spool.file.set_len(0).is_ok() {
                    *end = 0;
                }
            }
        }
    }
}

/// Bytes held in memory, counted against [`MEMORY_LIMIT`] while they live.
struct MemoryBytes {
    bytes: Vec<u8>,
    /// Counted in `IN_MEMORY` (small generated files are kept even beyond the limit).
    counted: u64,
}

impl Drop for MemoryBytes {
    fn drop(&mut self) {
        IN_MEMORY.fetch_sub(self.counted, Ordering::Relaxed);
    }
}

/// The contents of a regular file.
#[derive(Clone)]
pub struct Content {
    len: u64,
    sha256: [u8; 32],
    data: Data,
}

impl Content {
    /// Reads `reader` to its end. With `keep`, the bytes can be read back later; without,
    /// only the length and digest are kept.
    pub fn read(mut reader: impl Read, keep: bool) -> io::Result<Self> {
        let mut hasher = Sha256::new();
        let mut head = Vec::new();
        // The first MEMORY_FILE_MAX + 1 bytes tell whether it may stay in memory.
        (&mut reader)
            .take(if keep { MEMORY_FILE_MAX + 1 } else { 0 })
            .read_to_end(&mut head)?;
        hasher.update(&head);
        if keep && head.len() as u64 <= MEMORY_FILE_MAX && reserve(head.len() as u64) {
            let len = head.len() as u64;
            return Ok(Self {
                len,
                sha256: hasher.finalize().into(),
                data: Data::Memory(Arc::new(MemoryBytes {
                    bytes: head,
                    counted: len,
                })),
            });
        }
        if !keep {
            let len = copy_hashed(&mut reader, &mut hasher, &mut io::sink())?;
            return Ok(Self {
                len,
                sha256: hasher.finalize().into(),
                data: Data::Dropped,
            });
        }
        let spool = spool()?;
        let mut end = spool.end.lock().unwrap_or_else(|e| e.into_inner());
        let offset = *end;
        let mut writer = SpoolWriter {
            file: &spool.file,
            at: offset,
        };
        writer.write_all(&head)?;
        let rest = copy_hashed(&mut reader, &mut hasher, &mut writer)?;
        *end = writer.at;
        SPOOLED.fetch_add(1, Ordering::AcqRel);
        Ok(Self {
            len: head.len() as u64 + rest,
            sha256: hasher.finalize().into(),
            data: Data::Spooled(Arc::new(Spooled { offset })),
        })
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `sha256:<hex>`.
    pub fn digest(&self) -> String {
        format!("sha256:{}", hex::encode(self.sha256))
    }

    /// The bytes, streamed; an error when they were not kept.
    pub fn reader(&self) -> io::Result<ContentReader<'_>> {
        let source = match &self.data {
            Data::Memory(m) => Source::Memory(&m.bytes),
            Data::Spooled(spooled) => Source::Spool {
                file: &spool()?.file,
                at: spooled.offset,
            },
            Data::Dropped => {
                return Err(io::Error::other(
                    "the file's content was not kept (only its digest)",
                ))
            }
        };
        Ok(ContentReader {
            source,
            left: self.len,
        })
    }

    /// The bytes in memory, when there are at most `max` of them.
    pub fn to_vec(&self, max: u64) -> io::Result<Vec<u8>> {
        if self.len > max {
            return Err(io::Error::other(format!(
                "{} bytes, more than the {max} this reads into memory",
                self.len
            )));
        }
        let mut out = Vec::with_capacity(self.len as usize);
        self.reader()?.read_to_end(&mut out)?;
        Ok(out)
    }
}

impl From<Vec<u8>> for Content {
    /// Bytes generated by the tools themselves (users, status files, declared text): kept in
    /// memory, whatever the limit says.
    fn from(bytes: Vec<u8>) -> Self {
        let len = bytes.len() as u64;
        IN_MEMORY.fetch_add(len, Ordering::Relaxed);
        Self {
            len,
            sha256: Sha256::digest(&bytes).into(),
            data: Data::Memory(Arc::new(MemoryBytes {
                bytes,
                counted: len,
            })),
        }
    }
}

impl From<&[u8]> for Content {
    fn from(bytes: &[u8]) -> Self {
        bytes.to_vec().into()
    }
}

impl PartialEq for Content {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.sha256 == other.sha256
    }
}

impl Eq for Content {}

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Content({} bytes, {})", self.len, self.digest())
    }
}

/// Reads a [`Content`]'s bytes.
pub struct ContentReader<'a> {
    source: Source<'a>,
    left: u64,
}

enum Source<'a> {
    Memory(&'a [u8]),
    Spool { file: &'a File, at: u64 },
}

impl Read for ContentReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = match &mut self.source {
            Source::Memory(bytes) => {
                let n = want.min(bytes.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                *bytes = &bytes[n..];
                n
            }
            Source::Spool { file, at } => {
                let n = file.read_at(&mut buf[..want], *at)?;
                *at += n as u64;
                n
            }
        };
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the spooled content is shorter than recorded",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Takes `len` bytes of the memory allowance, if they are left.
fn reserve(len: u64) -> bool {
    IN_MEMORY
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
            (used + len <= MEMORY_LIMIT).then_some(used + len)
        })
        .is_ok()
}

struct Spool {
    file: File,
    /// Where the next content goes; held while one is written.
    end: Mutex<u64>,
}

static SPOOL: OnceLock<Spool> = OnceLock::new();

fn spool() -> io::Result<&'static Spool> {
    if let Some(spool) = SPOOL.get() {
        return Ok(spool);
    }
    let file = cleanup::anonymous_file().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot create a temporary file for large file contents: {e}"),
        )
    })?;
    Ok(SPOOL.get_or_init(|| Spool {
        file,
        end: Mutex::new(0),
    }))
}

struct SpoolWriter<'a> {
    file: &'a File,
    at: u64,
}

impl Write for SpoolWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn copy_hashed(
    reader: &mut impl Read,
    hasher: &mut Sha256,
    out: &mut impl Write,
) -> io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_contents_stay_in_memory_large_ones_are_spooled() {
        let small = Content::read(&b"hello"[..], true).unwrap();
        assert!(matches!(small.data, Data::Memory(_)));
        let big_bytes: Vec<u8> = (0..3 * MEMORY_FILE_MAX as usize)
            .map(|i| (i % 251) as u8)
            .collect();
        let big = Content::read(&big_bytes[..], true).unwrap();
        assert!(matches!(big.data, Data::Spooled(_)));
        assert_eq!(big.len(), big_bytes.len() as u64);
        assert_eq!(big.to_vec(u64::MAX).unwrap(), big_bytes);
        assert_eq!(small.to_vec(5).unwrap(), b"hello");
        assert_eq!(
            Content::from(big_bytes.clone()),
            big,
            "equal by length and digest"
        );
        assert_ne!(Content::from(b"hellO".to_vec()), small);
        assert_eq!(
            small.digest(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
    }

    #[test]
    fn dropped_contents_keep_only_the_digest() {
        let dropped = Content::read(&b"hello"[..], false).unwrap();
        assert_eq!(dropped, Content::from(b"hello".to_vec()));
        let err = dropped.reader().err().unwrap();
        assert_eq!(
            err.to_string(),
            "the file's content was not kept (only its digest)"
        );
        assert_eq!(
            Content::read(&[0u8; 10][..], true)
                .unwrap()
                .to_vec(9)
                .unwrap_err()
                .to_string(),
            "10 bytes, more than the 9 this reads into memory"
        );
    }
}
