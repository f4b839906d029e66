//! OCI images, byte-reproducible: image configs, manifests and indexes (`spec`), image layout
//! directories and `docker load` tarballs; and any layout read back, checked as untrusted
//! input (`read`).
//!
//! JSON we write goes through [`canonical_json`] (sorted keys, no whitespace), so its bytes
//! depend only on its content.

mod config;
mod docker_archive;
mod layout;
mod media_type;
mod read;
mod resolve;
pub mod spec;

use std::io::Read;
use std::path::Path;

pub use config::{build_config, ImageSpec, NewLayer};
pub use docker_archive::write_docker_archive;
pub use layout::{write_image_layout, write_imported_layout, write_index_layout};
pub use media_type::LayerMediaType;
pub use read::{read_image, select_image, Image, LayerBlob, LayerReader, Selector};

use sha2::{Digest, Sha256};

/// Why an image cannot be written; each message names the offending input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Spec(String),
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
        move |error| Error::Io {
            path: path.display().to_string(),
            error,
        }
    }

    pub(crate) fn input(path: &Path, message: impl Into<String>) -> Error {
        Error::Input {
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}

/// Serialises with object keys sorted and no insignificant whitespace.
pub fn canonical_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    // serde_json's Map is ordered by key (the `preserve_order` feature is not enabled).
    let value = serde_json::to_value(value)?;
    Ok(serde_json::to_vec(&value)?)
}

/// The hex part of a `sha256:` digest: exactly 64 lowercase hex digits. Anything else
/// (another algorithm, upper case, a path like `sha256:../../etc`) is refused before a
/// digest ever names a file.
pub fn sha256_hex(digest: &str) -> Result<&str, Error> {
    digest
        .strip_prefix("sha256:")
        .filter(|hex| {
            hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
        .ok_or_else(|| {
            Error::Spec(format!(
                "{digest:?} is not a sha256 digest (sha256: and 64 lowercase hex digits)"
            ))
        })
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// `sha256:<hex>` and size of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<(String, u64), Error> {
    let file = std::fs::File::open(path).map_err(Error::io(path))?;
    sha256_reader(file, path)
}

/// `sha256:<hex>` and size of everything `reader` yields, streamed; errors name `path`.
pub fn sha256_reader(mut reader: impl Read, path: &Path) -> Result<(String, u64), Error> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(Error::io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((format!("sha256:{}", hex::encode(hasher.finalize())), size))
}

/// Passes bytes through while hashing and counting them: `finish` gives `sha256:<hex>` and
/// the count.
pub struct DigestReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> DigestReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    pub fn finish(self) -> (String, u64) {
        (
            format!("sha256:{}", hex::encode(self.hasher.finalize())),
            self.count,
        )
    }
}

impl<R: Read> Read for DigestReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn digests_are_checked_before_they_name_files() {
        let good = format!("sha256:{}", "0123456789abcdef".repeat(4));
        assert_eq!(super::sha256_hex(&good).unwrap(), &good[7..]);
        for bad in [
            "hello ../../etc".to_string(),
            "sha256:../../../../etc/passwd".to_string(),
            format!("sha256:{}", "0123456789ABCDEF".repeat(4)),
            format!("sha512:{}", "0123456789abcdef".repeat(8)),
            format!("sha256:{}0", "0123456789abcdef".repeat(4)),
            format!("sha256:{}/", &"0123456789abcdef".repeat(4)[1..]),
            "sha256:".to_string(),
        ] {
            let err = super::sha256_hex(&bad).unwrap_err().to_string();
            assert!(err.contains("is not a sha256 digest"), "{bad}: {err}");
        }
    }
}
