//! Records of runs that found a lockfile up to date, so that a run on the same inputs need not
//! read and resolve the `Packages` indexes again (about 1 GB of text for this repository's
//! manifests).
//!
//! A lock is a function of the tool, the manifest, the lockfile it replaces (for the snapshot
//! URLs) and the signed Release files, whose sums pin every index. A run that resolved and found
//! the lockfile unchanged records the sha256 of all of these under `<cache>/up-to-date/`; a later
//! run that fetched and verified the same Release files (always downloaded, never cached) finds
//! the record and knows the outcome. Any change (a new Release, an edited manifest or lockfile,
//! another build of the tool) gives another key, so the run resolves again.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::fetch::write_atomically;

/// The inputs of one lock, hashed in order; each part is labelled and length-prefixed so that
/// no two different sequences of parts give the same key.
pub struct Inputs {
    hasher: Sha256,
}

impl Inputs {
    /// Starts a key from the tool's identity (see [`tool_digest`]).
    pub fn new(tool_digest: &str) -> Self {
        let mut inputs = Self {
            hasher: Sha256::new(),
        };
        inputs.add("debimage-lock up-to-date record 1", tool_digest.as_bytes());
        inputs
    }

    pub fn add(&mut self, label: &str, bytes: &[u8]) {
        for part in [label.as_bytes(), bytes] {
            self.hasher.update((part.len() as u64).to_le_bytes());
            self.hasher.update(part);
        }
    }

    pub fn key(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

/// The sha256 of the running executable: a rebuilt tool may resolve differently.
pub fn tool_digest() -> std::io::Result<String> {
    let mut file = std::fs::File::open(std::env::current_exe()?)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn record_path(cache_dir: &Path, key: &str) -> PathBuf {
    cache_dir.join("up-to-date").join(key)
}

/// Whether a run on inputs with this key found the lockfile up to date.
pub fn is_recorded(cache_dir: &Path, key: &str) -> bool {
    record_path(cache_dir, key).is_file()
}

/// Records that the inputs with this key leave the lockfile as it is.
pub fn record(cache_dir: &Path, key: &str) -> std::io::Result<()> {
    write_atomically(&record_path(cache_dir, key), b"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(parts: &[(&str, &[u8])]) -> String {
        let mut inputs = Inputs::new("tool");
        for (label, bytes) in parts {
            inputs.add(label, bytes);
        }
        inputs.key()
    }

    #[test]
    fn every_part_and_its_boundaries_change_the_key() {
        let base = key(&[("manifest", b"m"), ("release", b"r1")]);
        assert_eq!(base, key(&[("manifest", b"m"), ("release", b"r1")]));
        assert_ne!(base, key(&[("manifest", b"m"), ("release", b"r2")]));
        assert_ne!(base, key(&[("manifest", b"m2"), ("release", b"r1")]));
        // The same bytes split differently are other inputs.
        assert_ne!(base, key(&[("manifest", b"mr"), ("release", b"1")]));
        assert_ne!(base, key(&[("manifest", b"m")]));
        let mut other_tool = Inputs::new("tool2");
        other_tool.add("manifest", b"m");
        other_tool.add("release", b"r1");
        assert_ne!(base, other_tool.key());
    }

    #[test]
    fn a_record_is_found_only_for_its_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!is_recorded(dir.path(), "abc"));
        record(dir.path(), "abc").expect("record");
        assert!(is_recorded(dir.path(), "abc"));
        assert!(!is_recorded(dir.path(), "abd"));
    }
}
