//! The compressions a `.deb` member may use, chosen by the member name and checked against the
//! stream's magic bytes.

use std::io::{self, BufRead, BufReader, Read};

use crate::Error;

/// Memory the xz decoder may use: `xz -9` needs 65 MiB; a stream that declares a bigger
/// dictionary is refused instead of allocated.
pub const XZ_MEMORY_LIMIT: u64 = 80 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Xz,
    Zstd,
    Bzip2,
}

impl Compression {
    /// The compression of `member`, named `<stem>` or `<stem>.<ext>` (e.g. `data.tar.xz`).
    pub fn from_member_name(member: &str, stem: &str) -> Result<Self, Error> {
        let unknown = || Error::Format(format!("{member}: unknown compression"));
        match member.strip_prefix(stem).ok_or_else(unknown)? {
            "" => Ok(Self::None),
            ".gz" => Ok(Self::Gzip),
            ".xz" => Ok(Self::Xz),
            ".zst" => Ok(Self::Zstd),
            ".bz2" => Ok(Self::Bzip2),
            _ => Err(unknown()),
        }
    }

    /// The compression whose magic bytes `head` (the first bytes of a stream, 263 or all
    /// there are) starts with; `None` for an uncompressed tar (its "ustar" magic, since a
    /// file name may begin like a magic number) or anything else.
    pub fn detect(head: &[u8]) -> Self {
        if head.get(257..262) == Some(b"ustar") {
            return Self::None;
        }
        [Self::Gzip, Self::Xz, Self::Zstd, Self::Bzip2]
            .into_iter()
            .find(|c| head.starts_with(c.magic()))
            .unwrap_or(Self::None)
    }

    fn magic(self) -> &'static [u8] {
        match self {
            Self::None => b"",
            Self::Gzip => &[0x1f, 0x8b],
            Self::Xz => &[0xfd, b'7', b'z', b'X', b'Z', 0],
            Self::Zstd => &[0x28, 0xb5, 0x2f, 0xfd],
            Self::Bzip2 => b"BZh",
        }
    }

    /// Wraps `reader` in the matching decoder, after checking the magic bytes so that a
    /// mislabelled member fails with a clear message rather than a decoder's.
    pub fn decoder<'a, R: Read + 'a>(
        self,
        reader: R,
        member: &str,
    ) -> Result<Box<dyn Read + 'a>, Error> {
        let mut reader = BufReader::with_capacity(64 * 1024, reader);
        let head = reader.fill_buf()?;
        let magic = self.magic();
        if !head.starts_with(magic) {
            return Err(Error::Member {
                member: member.to_string(),
                message: format!("not {self:?} data (bad magic bytes)").to_lowercase(),
            });
        }
        Ok(match self {
            Self::None => Box::new(reader),
            Self::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
            Self::Xz => {
                let stream = xz2::stream::Stream::new_stream_decoder(
                    XZ_MEMORY_LIMIT,
                    xz2::stream::CONCATENATED,
                )
                .map_err(|e| Error::Member {
                    member: member.to_string(),
                    message: format!("cannot start an xz decoder: {e}"),
                })?;
                Box::new(xz2::bufread::XzDecoder::new_stream(reader, stream))
            }
            Self::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(reader)?),
            Self::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(reader)),
        })
    }
}

/// Adds the member name to decoder errors (corrupt streams surface as `io::Error`).
pub(crate) fn member_error(member: &str, err: io::Error) -> Error {
    Error::Member {
        member: member.to_string(),
        message: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn picks_compression_from_name() {
        let pick = |n| Compression::from_member_name(n, "data.tar");
        assert_eq!(pick("data.tar").unwrap(), Compression::None);
        assert_eq!(pick("data.tar.xz").unwrap(), Compression::Xz);
        assert_eq!(pick("data.tar.zst").unwrap(), Compression::Zstd);
        assert_eq!(pick("data.tar.gz").unwrap(), Compression::Gzip);
        assert_eq!(pick("data.tar.bz2").unwrap(), Compression::Bzip2);
        assert_eq!(
            pick("data.tar.lz4").unwrap_err().to_string(),
            "data.tar.lz4: unknown compression"
        );
    }

    #[test]
    fn roundtrips_every_compression() {
        let text = b"hello deb".repeat(100);
        let encoded: Vec<(Compression, Vec<u8>)> = vec![
            (Compression::None, text.clone()),
            (Compression::Gzip, {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), Default::default());
                e.write_all(&text).unwrap();
                e.finish().unwrap()
            }),
            (Compression::Xz, {
                let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
                e.write_all(&text).unwrap();
                e.finish().unwrap()
            }),
            (Compression::Zstd, zstd::encode_all(&text[..], 3).unwrap()),
            (Compression::Bzip2, {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), Default::default());
                e.write_all(&text).unwrap();
                e.finish().unwrap()
            }),
        ];
        for (c, bytes) in encoded {
            let mut out = Vec::new();
            c.decoder(&bytes[..], "m")
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, text, "{c:?}");
        }
    }

    #[test]
    fn detects_compression_from_magic_bytes() {
        assert_eq!(Compression::detect(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(Compression::detect(b"\xfd7zXZ\0\0"), Compression::Xz);
        assert_eq!(
            Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Compression::Zstd
        );
        assert_eq!(Compression::detect(b"BZh91AY"), Compression::Bzip2);
        assert_eq!(Compression::detect(b"./usr/\0\0"), Compression::None);
        assert_eq!(Compression::detect(b""), Compression::None);
        let mut tar = [0u8; 512];
        tar[..7].copy_from_slice(b"BZh.txt");
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(
            Compression::detect(&tar),
            Compression::None,
            "a tar of BZh.txt"
        );
    }

    #[test]
    fn rejects_mislabelled_stream() {
        let err = Compression::Xz
            .decoder(&b"plain text"[..], "data.tar.xz")
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "data.tar.xz: not xz data (bad magic bytes)"
        );
    }

    #[test]
    fn corrupt_xz_is_an_error() {
        let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
        e.write_all(&b"abc".repeat(1000)).unwrap();
        let mut bytes = e.finish().unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        let mut out = Vec::new();
        let res = Compression::Xz
            .decoder(&bytes[..], "m")
            .unwrap()
            .read_to_end(&mut out);
        assert!(res.is_err());
    }
}
