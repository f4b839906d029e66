//! The real `.deb` files tests read, as listed in `tools/testdata/debs.bzl`.
//!
//! Under Bazel each package is a pinned `http_file` whose path arrives in `TEST_DEB_<NAME>`.
//! Under plain cargo it is downloaded once with curl into `target/test-debs/` and its sha256
//! checked, so that `cargo test` exercises the same bytes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

const DEBS_BZL: &str = include_str!("../debs.bzl");

/// `(name, sha256, url)` for every listed package.
pub fn listed() -> Vec<(&'static str, &'static str, &'static str)> {
    DEBS_BZL
        .lines()
        .filter_map(|line| {
            let mut quoted = line.split('"').skip(1).step_by(2);
            let entry = (quoted.next()?, quoted.next()?, quoted.next()?);
            line.contains("\": (\"").then_some(entry)
        })
        .collect()
}

/// The absolute path of the named package; panics (this is test support) when it cannot be
/// had.
pub fn deb(name: &str) -> PathBuf {
    let var = format!("TEST_DEB_{}", name.replace('-', "_").to_uppercase());
    if let Ok(path) = std::env::var(&var) {
        return std::fs::canonicalize(&path).unwrap_or_else(|e| panic!("{var}={path}: {e}"));
    }
    let (_, sha256, url) = listed()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} is not listed in tools/testdata/debs.bzl"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-debs");
    download(&dir, name, sha256, url)
}

/// `url` as a file in `dir`, verified against `sha256` (downloaded unless already there).
fn download(dir: &Path, name: &str, sha256: &str, url: &str) -> PathBuf {
    let file = dir.join(url.rsplit('/').next().unwrap_or(name));
    if file.exists() && sha256_of(&file) == sha256 {
        return file;
    }
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {dir:?}: {e}"));
    // Test threads and test processes may fetch the same package at once: each downloads to
    // a name of its own, and the verified file is renamed into place (atomically; the last
    // rename wins, with the same bytes).
    static DOWNLOADS: AtomicUsize = AtomicUsize::new(0);
    let partial = file.with_extension(format!(
        "{}.{}.partial",
        std::process::id(),
        DOWNLOADS.fetch_add(1, Ordering::Relaxed)
    ));
    let status = Command::new("curl")
        .args(["-sfL", "--retry", "3", "-o"])
        .arg(&partial)
        .arg(url)
        .status()
        .unwrap_or_else(|e| panic!("cannot run curl for {url}: {e}"));
    assert!(status.success(), "download of {url} failed ({status})");
    let got = sha256_of(&partial);
    if got != sha256 {
        let _ = std::fs::remove_file(&partial);
        panic!("{url}: sha256 mismatch, {got} (see tools/testdata/debs.bzl)");
    }
    std::fs::rename(&partial, &file).unwrap_or_else(|e| panic!("cannot rename {partial:?}: {e}"));
    file
}

fn sha256_of(path: &Path) -> String {
    let mut file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {path:?}: {e}"));
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).unwrap_or_else(|e| panic!("cannot read {path:?}: {e}"));
    hex::encode(hasher.finalize())
}

/// Every regular file below `dir` (symlinks followed), as (relative path, bytes), sorted: two
/// trees compare equal when they hold the same files with the same content.
pub fn tree_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("below dir")
                    .display()
                    .to_string();
                let bytes =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                out.push((rel, bytes));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn parallel_downloads_of_one_package_agree() {
        if std::env::var_os("TEST_SRCDIR").is_some() {
            return; // Bazel hands the packages over as files: nothing is downloaded there.
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let (name, sha256, url) = super::listed()
            .into_iter()
            .find(|(n, _, _)| *n == "bzip2")
            .expect("bzip2 is listed");
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let dir = dir.path().to_path_buf();
                std::thread::spawn(move || super::download(&dir, name, sha256, url))
            })
            .collect();
        let paths: Vec<_> = threads
            .into_iter()
            .map(|t| t.join().expect("download"))
            .collect();
        assert!(paths.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(super::sha256_of(&paths[0]), sha256);
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn lists_every_package_of_debs_bzl() {
        let names: Vec<_> = super::listed().into_iter().map(|(n, _, _)| n).collect();
        // Every pinned URL in the file is one parsed entry, and names are sorted and unique.
        let urls = super::DEBS_BZL.matches("\"https://").count();
        assert_eq!(names.len(), urls, "{names:?}");
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        assert!(names.contains(&"libc6") && names.contains(&"base-files"));
        for (name, sha256, url) in super::listed() {
            assert_eq!(sha256.len(), 64, "{name}");
            assert!(
                url.starts_with("https://deb.debian.org/debian/pool/"),
                "{name}"
            );
        }
    }
}
