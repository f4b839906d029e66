//! Encoding of ustar headers, shared by the tar writers (layers, docker-archive tarballs):
//! numbers in octal, the checksum as GNU tar writes it, no owner names.

use std::io::{self, Write};

use crate::BLOCK;

/// The largest number in a 7-digit octal field (uid, gid, mode).
pub const OCTAL7_MAX: u64 = 0o7777777;
/// The largest number in an 11-digit octal field (size, mtime).
pub const OCTAL11_MAX: u64 = 0o77777777777;

/// One ustar header block. Numbers above their field's maximum are clamped: the caller writes
/// a PAX record for them first. `prefix` and `name` are cut to their fields (155, 100 bytes).
#[allow(clippy::too_many_arguments)]
pub fn ustar_header(
    prefix: &str,
    name: &str,
    typeflag: u8,
    mode: u32,
    uid: u64,
    gid: u64,
    size: u64,
    mtime: u64,
    link: &str,
) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    put(&mut h[0..100], name.as_bytes());
    put_octal(&mut h[100..108], u64::from(mode));
    put_octal(&mut h[108..116], uid.min(OCTAL7_MAX));
    put_octal(&mut h[116..124], gid.min(OCTAL7_MAX));
    put_octal(&mut h[124..136], size.min(OCTAL11_MAX));
    put_octal(&mut h[136..148], mtime.min(OCTAL11_MAX));
    h[156] = typeflag;
    put(&mut h[157..257], link.as_bytes());
    put(&mut h[257..263], b"ustar\0");
    put(&mut h[263..265], b"00");
    put(&mut h[345..500], prefix.as_bytes());
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    put(&mut h[148..156], format!("{sum:06o}\0 ").as_bytes());
    h
}

fn put(field: &mut [u8], value: &[u8]) {
    let n = value.len().min(field.len());
    field[..n].copy_from_slice(&value[..n]);
}

fn put_octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    put(field, format!("{value:0width$o}\0").as_bytes());
}

/// Zeros up to the next block boundary after `size` bytes of data.
pub fn write_padding(out: &mut impl Write, size: u64) -> io::Result<()> {
    let rem = (size % BLOCK as u64) as usize;
    if rem != 0 {
        out.write_all(&[0u8; BLOCK][..BLOCK - rem])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Archive, EntryType};
    use std::io::Read;

    #[test]
    fn headers_read_back() {
        let mut tar = Vec::new();
        let data = b"hello";
        tar.extend(ustar_header(
            "dir", "file", b'0', 0o644, 1000, 1000, 5, 7, "",
        ));
        tar.extend(data);
        write_padding(&mut tar, data.len() as u64).unwrap();
        tar.extend(ustar_header(
            "", "link", b'2', 0o777, 0, 0, 0, 7, "dir/file",
        ));
        tar.extend([0u8; 2 * BLOCK]);
        assert_eq!(tar.len(), 5 * BLOCK);

        let mut archive = Archive::new(&tar[..]);
        let file = archive.next_entry().unwrap().unwrap();
        assert_eq!(file.path, b"dir/file");
        assert_eq!(file.entry_type, EntryType::Regular);
        assert_eq!(
            (file.mode, file.uid, file.gid, file.size),
            (0o644, 1000, 1000, 5)
        );
        let mut back = Vec::new();
        archive.data().read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        let link = archive.next_entry().unwrap().unwrap();
        assert_eq!(
            (link.path.as_slice(), link.entry_type),
            (&b"link"[..], EntryType::Symlink)
        );
        assert_eq!(link.link, b"dir/file");
        assert!(archive.next_entry().unwrap().is_none());
    }
}
