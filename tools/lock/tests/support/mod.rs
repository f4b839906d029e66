//! Real archive files for the integration tests.
//!
//! Under plain cargo, each file is downloaded once with curl into `target/test-debs/` (as
//! `tools/testdata` does for .deb files) and reused: an InRelease changes daily, so it is not
//! pinned by sha256, but every use checks its signature. A `Packages.xz` is pinned by the
//! sha256 its (verified) InRelease lists. Under Bazel, which has no network, `LOCK_TESTDATA`
//! names a directory of InRelease files committed with the tests.

#![allow(dead_code)] // each test file uses a part

pub mod http;

use std::path::{Path, PathBuf};
use std::process::Command;

use debimage_lock::openpgp::Keyring;
use debimage_lock::release::Release;

pub const DEBIAN: &str = "https://deb.debian.org/debian";
pub const SECURITY: &str = "https://deb.debian.org/debian-security";

/// The current time, seconds since the epoch.
pub fn now() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    i64::try_from(secs).expect("the clock is in range")
}

pub fn keyring_path() -> PathBuf {
    std::env::var_os("DEBIAN_KEYRING").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../debian/keyring/debian-archive-keys.asc")
        },
        PathBuf::from,
    )
}

pub fn keyring() -> Keyring {
    let path = keyring_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    Keyring::from_armored(&text, &path.display().to_string()).expect("keyring")
}

fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-debs")
}

/// Downloads `url` to `file` (through a `.partial` file); false when curl fails.
fn curl_to(url: &str, file: &Path) -> bool {
    let partial = file.with_extension("partial");
    let ok = Command::new("curl")
        .args(["-sSfL", "--retry", "3", "-o"])
        .arg(&partial)
        .arg(url)
        .status()
        .unwrap_or_else(|e| panic!("cannot run curl for {url}: {e}"))
        .success();
    ok && std::fs::rename(&partial, file).is_ok()
}

/// `url` as a file in `target/test-debs/` named `name`, downloaded unless it is there.
pub fn download_once(name: &str, url: &str) -> PathBuf {
    let dir = cache_dir();
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {dir:?}: {e}"));
    let file = dir.join(name);
    assert!(
        file.exists() || curl_to(url, &file),
        "download of {url} failed"
    );
    file
}

/// The InRelease of `suite` of the archive at `base`: committed (Bazel) or downloaded once.
pub fn inrelease(base: &str, suite: &str) -> String {
    let path = match std::env::var_os("LOCK_TESTDATA") {
        Some(dir) => PathBuf::from(dir).join(format!("{suite}.InRelease")),
        None => download_once(
            &format!("{suite}.InRelease"),
            &format!("{base}/dists/{suite}/InRelease"),
        ),
    };
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The verified Release of `suite`.
pub fn release(base: &str, suite: &str) -> Release {
    let url = format!("{base}/dists/{suite}/InRelease");
    let verified = keyring()
        .verify_inrelease(&inrelease(base, suite), &url, now())
        .expect("the InRelease verifies");
    Release::parse(&verified.text, &url).expect("the Release parses")
}

/// The `Packages.xz` of `suite`, `main`, `arch`, as its verified InRelease lists it.
pub fn packages_xz(base: &str, suite: &str, arch: &str) -> Vec<u8> {
    let path = format!("main/binary-{arch}/Packages.xz");
    for attempt in 0..2 {
        let release = release(base, suite);
        let sha256 = &release.entry(&path, suite).expect("listed").sha256;
        let file = cache_dir().join(format!("{suite}_main_{arch}_Packages-{sha256}.xz"));
        let url = format!("{base}/dists/{suite}/main/binary-{arch}/by-hash/SHA256/{sha256}");
        if file.exists() || curl_to(&url, &file) {
            let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
            release
                .check_file(&path, &bytes, suite)
                .expect("the Packages.xz matches its InRelease");
            return bytes;
        }
        // The cached InRelease is so old that the mirror dropped its by-hash files.
        assert_eq!(attempt, 0, "cannot download {url}");
        let stale = cache_dir().join(format!("{suite}.InRelease"));
        std::fs::remove_file(&stale).unwrap_or_else(|e| panic!("{stale:?}: {e}"));
    }
    unreachable!("the second attempt returns or fails")
}
