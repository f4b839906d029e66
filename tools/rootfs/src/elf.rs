//! What ldconfig reads of an ELF file: its class, byte order, machine, flags, type and
//! `DT_SONAME` (glibc's `elf/readelflib.c`), from any seekable reader, reading only the
//! headers, the dynamic segment and the soname string.

use std::io::{self, Read, Seek, SeekFrom};

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
const ET_DYN: u16 = 3;
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const DT_NULL: u64 = 0;
const DT_STRTAB: u64 = 5;
const DT_SONAME: u64 = 14;

/// Larger dynamic segments or sonames are refused: real ones hold a few dozen entries, and a
/// crafted file must not make the reader allocate what it claims.
const MAX_DYNAMIC_SIZE: u64 = 1 << 20;
const MAX_PROGRAM_HEADERS_SIZE: u64 = 1 << 20;
const MAX_SONAME_LEN: usize = 4096;

/// The header fields and soname of an ELF object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfObject {
    /// ELFCLASS64 (else ELFCLASS32).
    pub class64: bool,
    /// ELFDATA2MSB (else ELFDATA2LSB).
    pub big_endian: bool,
    /// `e_type`: 3 (`ET_DYN`) for shared objects and position-independent executables.
    pub elf_type: u16,
    /// `e_machine`: 62 x86-64, 3 i386, 183 AArch64, 40 ARM, 243 RISC-V, 22 S/390, 21 PPC64.
    pub machine: u16,
    /// `e_flags` (the ARM float ABI, the RISC-V float ABI, ...).
    pub flags: u32,
    /// What ldconfig learns from the dynamic segment: `None` when it would skip the file
    /// (no `PT_DYNAMIC`, or no `DT_STRTAB`), else the `DT_SONAME`, if any.
    pub dynamic: Option<Dynamic>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dynamic {
    pub soname: Option<String>,
}

impl ElfObject {
    /// A shared object (`ET_DYN`) with a dynamic string table: what ldconfig caches.
    pub fn is_shared_library(&self) -> bool {
        self.elf_type == ET_DYN && self.dynamic.is_some()
    }
}

/// Why an ELF file cannot be read; each names what is wrong (the caller adds the path).
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    #[error("truncated ELF file: {0} lies beyond its end")]
    Truncated(&'static str),
    #[error("invalid ELF file: {0}")]
    Invalid(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Reads the object in `file` (`len` bytes); `Ok(None)` when it is not an ELF file at all
/// (a linker script, a text file).
pub fn read_elf<R: Read + Seek>(file: &mut R, len: u64) -> Result<Option<ElfObject>, ElfError> {
    let mut ident = [0u8; 16];
    if len < 16 {
        return Ok(None);
    }
    read_at(file, 0, &mut ident, len, "the ELF identification")?;
    if &ident[..4] != ELF_MAGIC {
        return Ok(None);
    }
    let class64 = match ident[4] {
        1 => false,
        2 => true,
        other => return Err(ElfError::Invalid(format!("unknown ELF class {other}"))),
    };
    let big_endian = match ident[5] {
        1 => false,
        2 => true,
        other => {
            return Err(ElfError::Invalid(format!(
                "unknown ELF data encoding {other}"
            )))
        }
    };
    let e = Endian { big: big_endian };
    let header_len = if class64 { 64 } else { 52 };
    let mut header = vec![0u8; header_len];
    read_at(file, 0, &mut header, len, "the ELF header")?;
    let elf_type = e.u16(&header[16..]);
    let machine = e.u16(&header[18..]);
    let (phoff, flags, phentsize, phnum) = if class64 {
        (
            e.u64(&header[32..]),
            e.u32(&header[48..]),
            e.u16(&header[54..]),
            e.u16(&header[56..]),
        )
    } else {
        (
            u64::from(e.u32(&header[28..])),
            e.u32(&header[36..]),
            e.u16(&header[42..]),
            e.u16(&header[44..]),
        )
    };
    let mut object = ElfObject {
        class64,
        big_endian,
        elf_type,
        machine,
        flags,
        dynamic: None,
    };
    if elf_type != ET_DYN {
        return Ok(Some(object)); // ldconfig looks no further
    }
    let segments = read_program_headers(file, len, e, class64, phoff, phentsize, phnum)?;
    object.dynamic = read_dynamic(file, len, e, class64, &segments)?;
    Ok(Some(object))
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    kind: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

fn read_program_headers<R: Read + Seek>(
    file: &mut R,
    len: u64,
    e: Endian,
    class64: bool,
    phoff: u64,
    phentsize: u16,
    phnum: u16,
) -> Result<Vec<Segment>, ElfError> {
    let entry_len: usize = if class64 { 56 } else { 32 };
    if phnum > 0 && usize::from(phentsize) < entry_len {
        return Err(ElfError::Invalid(format!(
            "program header entries of {phentsize} bytes, less than {entry_len}"
        )));
    }
    let total = u64::from(phentsize) * u64::from(phnum);
    if total > MAX_PROGRAM_HEADERS_SIZE {
        return Err(ElfError::Invalid(format!(
            "{total} bytes of program headers"
        )));
    }
    let mut table = vec![0u8; total as usize];
    read_at(file, phoff, &mut table, len, "the program headers")?;
    Ok(table
        .chunks_exact(usize::from(phentsize.max(1)))
        .map(|p| {
            if class64 {
                Segment {
                    kind: e.u32(p),
                    offset: e.u64(&p[8..]),
                    vaddr: e.u64(&p[16..]),
                    filesz: e.u64(&p[32..]),
                }
            } else {
                Segment {
                    kind: e.u32(p),
                    offset: u64::from(e.u32(&p[4..])),
                    vaddr: u64::from(e.u32(&p[8..])),
                    filesz: u64::from(e.u32(&p[16..])),
                }
            }
        })
        .collect())
}

/// The dynamic segment's `DT_STRTAB` and `DT_SONAME`, as readelflib.c finds them: the first
/// `PT_DYNAMIC`, the string table's file offset through the `PT_LOAD` segment holding it.
fn read_dynamic<R: Read + Seek>(
    file: &mut R,
    len: u64,
    e: Endian,
    class64: bool,
    segments: &[Segment],
) -> Result<Option<Dynamic>, ElfError> {
    // readelflib.c keeps the last PT_DYNAMIC it sees (and warns about a second one).
    let Some(dynamic) = segments.iter().rev().find(|s| s.kind == PT_DYNAMIC) else {
        return Ok(None);
    };
    if dynamic.filesz == 0 {
        return Ok(None);
    }
    if dynamic.filesz > MAX_DYNAMIC_SIZE {
        return Err(ElfError::Invalid(format!(
            "a dynamic segment of {} bytes",
            dynamic.filesz
        )));
    }
    let mut table = vec![0u8; dynamic.filesz as usize];
    read_at(file, dynamic.offset, &mut table, len, "the dynamic segment")?;
    let entry_len = if class64 { 16 } else { 8 };
    let entries: Vec<(u64, u64)> = table
        .chunks_exact(entry_len)
        .map(|d| {
            if class64 {
                (e.u64(d), e.u64(&d[8..]))
            } else {
                (u64::from(e.u32(d)), u64::from(e.u32(&d[4..])))
            }
        })
        .take_while(|(tag, _)| *tag != DT_NULL)
        .collect();
    let Some(strtab) = entries
        .iter()
        .find(|(tag, _)| *tag == DT_STRTAB)
        .map(|e| e.1)
    else {
        return Ok(None);
    };
    // The file offset of the string table: through its PT_LOAD segment (readelflib.c falls
    // back to the address itself when none holds it).
    let load_bias = segments
        .iter()
        .find(|s| s.kind == PT_LOAD && strtab >= s.vaddr && strtab - s.vaddr < s.filesz)
        .map_or(0, |s| s.vaddr.wrapping_sub(s.offset));
    let strings = strtab.wrapping_sub(load_bias);
    let soname = match entries.iter().find(|(tag, _)| *tag == DT_SONAME) {
        None => None,
        Some((_, index)) => {
            let at = strings
                .checked_add(*index)
                .ok_or(ElfError::Truncated("the soname"))?;
            Some(read_string(file, at, len)?)
        }
    };
    Ok(Some(Dynamic { soname }))
}

fn read_string<R: Read + Seek>(file: &mut R, at: u64, len: u64) -> Result<String, ElfError> {
    if at >= len {
        return Err(ElfError::Truncated("the soname"));
    }
    let available = usize::try_from((len - at).min(MAX_SONAME_LEN as u64 + 1)).unwrap_or(0);
    let mut bytes = vec![0u8; available];
    read_at(file, at, &mut bytes, len, "the soname")?;
    let end =
        bytes
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| match available > MAX_SONAME_LEN {
                true => ElfError::Invalid(format!("a soname longer than {MAX_SONAME_LEN} bytes")),
                false => ElfError::Truncated("the soname's terminating NUL"),
            })?;
    bytes.truncate(end);
    String::from_utf8(bytes).map_err(|_| ElfError::Invalid("a soname that is not UTF-8".into()))
}

fn read_at<R: Read + Seek>(
    file: &mut R,
    offset: u64,
    buf: &mut [u8],
    len: u64,
    what: &'static str,
) -> Result<(), ElfError> {
    let end = offset
        .checked_add(buf.len() as u64)
        .ok_or(ElfError::Truncated(what))?;
    if end > len {
        return Err(ElfError::Truncated(what));
    }
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)?;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
struct Endian {
    big: bool,
}

impl Endian {
    fn u16(self, b: &[u8]) -> u16 {
        let b = [b[0], b[1]];
        if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    fn u32(self, b: &[u8]) -> u32 {
        let b = [b[0], b[1], b[2], b[3]];
        if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    fn u64(self, b: &[u8]) -> u64 {
        let b = [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]];
        if self.big {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A minimal 64-bit little-endian shared object: one PT_LOAD covering the file, a
    /// PT_DYNAMIC with DT_STRTAB and (optionally) DT_SONAME.
    pub(crate) fn shared_object(soname: Option<&str>, machine: u16, flags: u32) -> Vec<u8> {
        let mut strings = vec![0u8];
        let soname_index = strings.len() as u64;
        if let Some(name) = soname {
            strings.extend_from_slice(name.as_bytes());
            strings.push(0);
        }
        let phoff = 64u64;
        let dynamic_off = phoff + 2 * 56;
        let mut dynamic = Vec::new();
        let strtab_off = dynamic_off + 3 * 16;
        let vaddr_bias = 0x1000u64;
        for (tag, val) in [
            (DT_STRTAB, strtab_off + vaddr_bias),
            (if soname.is_some() { DT_SONAME } else { 1 }, soname_index),
            (DT_NULL, 0),
        ] {
            dynamic.extend_from_slice(&tag.to_le_bytes());
            dynamic.extend_from_slice(&val.to_le_bytes());
        }
        let total = strtab_off + strings.len() as u64;
        let mut f = vec![0u8; 64];
        f[..4].copy_from_slice(ELF_MAGIC);
        f[4] = 2;
        f[5] = 1;
        f[6] = 1;
        f[16..18].copy_from_slice(&ET_DYN.to_le_bytes());
        f[18..20].copy_from_slice(&machine.to_le_bytes());
        f[32..40].copy_from_slice(&phoff.to_le_bytes());
        f[48..52].copy_from_slice(&flags.to_le_bytes());
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        f[56..58].copy_from_slice(&2u16.to_le_bytes());
        for (kind, offset, filesz) in [
            (PT_LOAD, 0, total),
            (PT_DYNAMIC, dynamic_off, dynamic.len() as u64),
        ] {
            let mut p = vec![0u8; 56];
            p[..4].copy_from_slice(&kind.to_le_bytes());
            p[8..16].copy_from_slice(&offset.to_le_bytes());
            p[16..24].copy_from_slice(&(offset + vaddr_bias).to_le_bytes());
            p[32..40].copy_from_slice(&filesz.to_le_bytes());
            f.extend_from_slice(&p);
        }
        f.extend_from_slice(&dynamic);
        f.extend_from_slice(&strings);
        f
    }

    fn read(bytes: &[u8]) -> Result<Option<ElfObject>, ElfError> {
        read_elf(&mut Cursor::new(bytes), bytes.len() as u64)
    }

    #[test]
    fn reads_the_soname_through_the_load_segment() {
        let object = read(&shared_object(Some("libdemo.so.1"), 62, 0))
            .unwrap()
            .unwrap();
        assert!(object.class64 && !object.big_endian && object.is_shared_library());
        assert_eq!(object.machine, 62);
        assert_eq!(
            object.dynamic,
            Some(Dynamic {
                soname: Some("libdemo.so.1".into())
            })
        );
    }

    #[test]
    fn no_soname_is_not_an_error() {
        let object = read(&shared_object(None, 183, 0)).unwrap().unwrap();
        assert_eq!(object.dynamic, Some(Dynamic { soname: None }));
    }

    #[test]
    fn text_files_and_other_types_are_not_libraries() {
        assert_eq!(
            read(b"/* GNU ld script */ GROUP ( libc.so.6 )").unwrap(),
            None
        );
        let mut executable = shared_object(Some("x"), 62, 0);
        executable[16] = 2; // ET_EXEC
        let object = read(&executable).unwrap().unwrap();
        assert!(!object.is_shared_library());
    }

    #[test]
    fn truncated_and_crafted_files_are_errors_not_panics() {
        let full = shared_object(Some("libdemo.so.1"), 62, 0);
        for cut in [20, 64, 100, 200, full.len() - 3] {
            match read(&full[..cut]) {
                Err(ElfError::Truncated(_)) => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        let mut huge = full.clone();
        huge[56..58].copy_from_slice(&u16::MAX.to_le_bytes()); // phnum
        huge[54..56].copy_from_slice(&u16::MAX.to_le_bytes()); // phentsize
        assert!(matches!(read(&huge), Err(ElfError::Invalid(_))));
        let mut class = full;
        class[4] = 9;
        assert!(matches!(read(&class), Err(ElfError::Invalid(_))));
    }
}
