//! Layer media types: the one place that maps a descriptor's `mediaType` to how the blob is
//! decompressed. Nothing sniffs magic bytes: a blob that is not what its descriptor says fails
//! in its decoder.

use std::io::{self, BufReader, Read};

/// OCI uncompressed layer.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI gzip layer.
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// OCI zstd layer.
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// Docker's (schema 2) gzip layer, as foreign bases pulled from registries often have.
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// Every layer media type read, and its format. The non-distributable and foreign types are
/// deprecated but still found in old Windows-derived images.
const KNOWN: [(&str, LayerFormat); 8] = [
    (OCI_LAYER_TAR, LayerFormat::Tar),
    (OCI_LAYER_GZIP, LayerFormat::Gzip),
    (OCI_LAYER_ZSTD, LayerFormat::Zstd),
    (DOCKER_LAYER_GZIP, LayerFormat::Gzip),
    (
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        LayerFormat::Gzip,
    ),
    (
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        LayerFormat::Tar,
    ),
    (
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        LayerFormat::Gzip,
    ),
    (
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        LayerFormat::Zstd,
    ),
];

/// How a layer blob holds its tar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerFormat {
    Tar,
    Gzip,
    Zstd,
}

impl LayerFormat {
    /// The format of a layer of this media type; the error names the known ones.
    pub fn from_media_type(media_type: &str) -> Result<Self, String> {
        KNOWN
            .iter()
            .find(|(known, _)| *known == media_type)
            .map(|(_, format)| *format)
            .ok_or_else(|| {
                format!(
                    "unknown layer media type {media_type:?} (known: {OCI_LAYER_TAR}, \
                     {OCI_LAYER_GZIP}, {OCI_LAYER_ZSTD}, {DOCKER_LAYER_GZIP})"
                )
            })
    }

    /// The uncompressed tar of a blob in this format. Every concatenated gzip member or zstd
    /// frame is read, so bytes after the compressed stream are an error, not ignored.
    pub fn decoder<'a, R: Read + 'a>(self, blob: R) -> io::Result<Box<dyn Read + 'a>> {
        Ok(match self {
            Self::Tar => Box::new(blob),
            Self::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(
                BufReader::with_capacity(1 << 16, blob),
            )),
            Self::Zstd => Box::new(zstd::stream::read::Decoder::new(blob)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn decode(format: LayerFormat, blob: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        format.decoder(blob)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn every_media_type_has_a_decoder() {
        let tar = b"not really a tar, but bytes".repeat(50);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let gz = gz.finish().unwrap();
        let zst = zstd::encode_all(&tar[..], 3).unwrap();
        for (media_type, blob) in [
            (OCI_LAYER_TAR, &tar),
            (OCI_LAYER_GZIP, &gz),
            (DOCKER_LAYER_GZIP, &gz),
            (OCI_LAYER_ZSTD, &zst),
        ] {
            let format = LayerFormat::from_media_type(media_type).unwrap();
            assert_eq!(decode(format, blob).unwrap(), tar, "{media_type}");
        }
        // Mislabelled: the decoder says so.
        assert!(decode(LayerFormat::Gzip, &zst).is_err());
        assert!(decode(LayerFormat::Zstd, &gz).is_err());
        // Trailing garbage after the compressed stream is not ignored.
        let mut trailing = gz.clone();
        trailing.extend(b"garbage");
        assert!(decode(LayerFormat::Gzip, &trailing).is_err());
        let mut trailing = zst.clone();
        trailing.extend(b"garbage");
        assert!(decode(LayerFormat::Zstd, &trailing).is_err());
        // A corrupt CRC is an error at the end of the stream.
        let mut bad_crc = gz.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        assert!(decode(LayerFormat::Gzip, &bad_crc).is_err());
    }

    #[test]
    fn unknown_media_types_are_named() {
        assert_eq!(
            LayerFormat::from_media_type("application/vnd.oci.image.layer.v1.tar+lz4").unwrap_err(),
            "unknown layer media type \"application/vnd.oci.image.layer.v1.tar+lz4\" (known: \
             application/vnd.oci.image.layer.v1.tar, application/vnd.oci.image.layer.v1.tar+gzip, \
             application/vnd.oci.image.layer.v1.tar+zstd, \
             application/vnd.docker.image.rootfs.diff.tar.gzip)"
        );
    }
}
