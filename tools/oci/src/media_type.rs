//! Layer media types and the decoder each one names: the one place that maps a layer's
//! `mediaType` to how its bytes are read (never sniffed from the content).

use std::io::{BufRead, Read};

use crate::Error;

/// How a layer blob is compressed, as its descriptor's `mediaType` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerMediaType {
    /// `application/vnd.oci.image.layer.v1.tar` (Docker: `...rootfs.diff.tar`).
    Tar,
    /// `application/vnd.oci.image.layer.v1.tar+gzip` (Docker: `...rootfs.diff.tar.gzip`).
    Gzip,
    /// `application/vnd.oci.image.layer.v1.tar+zstd` (Docker: `...rootfs.diff.tar.zstd`).
    Zstd,
}

const OCI_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
const OCI_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

impl LayerMediaType {
    /// The layer media types we read: OCI's three and their Docker (schema 2) equivalents.
    /// Anything else, among them non-distributable ("foreign") layers whose blob a layout
    /// need not hold, is refused with a message naming the type.
    pub fn parse(media_type: &str) -> Result<Self, Error> {
        match media_type {
            OCI_TAR | "application/vnd.docker.image.rootfs.diff.tar" => Ok(Self::Tar),
            OCI_GZIP | "application/vnd.docker.image.rootfs.diff.tar.gzip" => Ok(Self::Gzip),
            OCI_ZSTD | "application/vnd.docker.image.rootfs.diff.tar.zstd" => Ok(Self::Zstd),
            other => Err(Error::Spec(format!(
                "layer media type {other:?} is not one of {OCI_TAR}, {OCI_GZIP}, {OCI_ZSTD} \
                 (or their Docker equivalents)"
            ))),
        }
    }

    /// The OCI name of this type (what a manifest we write says, whatever a base said).
    pub fn oci_media_type(self) -> &'static str {
        match self {
            Self::Tar => OCI_TAR,
            Self::Gzip => OCI_GZIP,
            Self::Zstd => OCI_ZSTD,
        }
    }

    /// The uncompressed tar stream of a blob of this type. Read it to its end: the gzip
    /// CRC and length, and zstd's checksum, are checked there. Concatenated gzip members
    /// are one stream, as every registry client reads them.
    pub fn decompress<'a>(self, blob: impl BufRead + 'a) -> std::io::Result<Box<dyn Read + 'a>> {
        Ok(match self {
            Self::Tar => Box::new(blob),
            Self::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(blob)),
            Self::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(blob)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn decompressed(media_type: &str, blob: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        LayerMediaType::parse(media_type)
            .unwrap()
            .decompress(blob)?
            .read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn every_type_decodes_by_its_name() {
        let tar = b"not really a tar, but bytes".to_vec();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let gz = gz.finish().unwrap();
        let zst = zstd::stream::encode_all(&tar[..], 3).unwrap();
        for (types, blob) in [
            (
                [OCI_TAR, "application/vnd.docker.image.rootfs.diff.tar"],
                &tar,
            ),
            (
                [
                    OCI_GZIP,
                    "application/vnd.docker.image.rootfs.diff.tar.gzip",
                ],
                &gz,
            ),
            (
                [
                    OCI_ZSTD,
                    "application/vnd.docker.image.rootfs.diff.tar.zstd",
                ],
                &zst,
            ),
        ] {
            for media_type in types {
                assert_eq!(decompressed(media_type, blob).unwrap(), tar, "{media_type}");
            }
        }
        // Two gzip members are one stream.
        let twice = [gz.clone(), gz.clone()].concat();
        assert_eq!(
            decompressed(OCI_GZIP, &twice).unwrap(),
            [tar.clone(), tar.clone()].concat()
        );
        // The name decides, not the bytes: a zstd blob declared gzip does not decode.
        assert!(decompressed(OCI_GZIP, &zst).is_err());
        assert!(decompressed(OCI_ZSTD, &gz).is_err());
        // A corrupt gzip trailer (CRC) is an error once the stream is read to its end.
        let mut bad = gz.clone();
        let crc = bad.len() - 8;
        bad[crc] ^= 1;
        assert!(decompressed(OCI_GZIP, &bad).is_err());
    }

    #[test]
    fn unknown_and_foreign_types_are_refused() {
        for media_type in [
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "application/vnd.oci.image.layer.v1.tar+bzip2",
            "",
        ] {
            let err = LayerMediaType::parse(media_type).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("layer media type {media_type:?} is not one of")),
                "{err}"
            );
        }
        assert_eq!(
            LayerMediaType::parse("application/vnd.docker.image.rootfs.diff.tar.gzip")
                .unwrap()
                .oci_media_type(),
            OCI_GZIP
        );
    }
}
