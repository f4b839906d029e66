//! Downloads, with `curl`, and a content-addressed cache for index files.
//!
//! curl rather than a Rust HTTP client: it uses the system's CA store and proxy settings as
//! they are (this matters behind TLS-intercepting proxies), the Bazel chroot already has it,
//! and it adds no crates (each crate must also be vendored for Bazel in
//! third_party/crates). Files whose sha256 is known beforehand (from a signed Release) are
//! kept under `<cache>/sha256/<sum>`; the InRelease files themselves are always downloaded.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;

/// A download that failed, or a cache that could not be used; names the URL or path.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: cannot run curl: {error}")]
    Spawn { url: String, error: std::io::Error },
    #[error("{url}: download failed: {message}")]
    Failed { url: String, message: String },
    #[error("{url}: served {size} bytes with sha256 {got}, not {sha256}")]
    Mismatch {
        url: String,
        size: u64,
        got: String,
        sha256: String,
    },
    #[error("no URL to download sha256 {sha256} from")]
    NoUrl { sha256: String },
    #[error("no URL served sha256 {sha256}: {}", attempts.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    NotServed {
        sha256: String,
        attempts: Vec<FetchError>,
    },
    #[error("cache {path}: {error}")]
    Cache { path: String, error: std::io::Error },
    #[error("netrc file {path} (from NETRC): {problem}")]
    Netrc { path: String, problem: String },
}

/// A file obtained by sha256.
#[derive(Debug)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// Where it came from: a URL, or the cache file.
    pub from: String,
    pub cached: bool,
}

/// Downloads with curl and caches by sha256 under a directory.
#[derive(Debug, Clone)]
pub struct Fetcher {
    cache_dir: PathBuf,
    /// A netrc file curl takes credentials from (for the hosts it names).
    netrc: Option<PathBuf>,
}

impl Fetcher {
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            netrc: None,
        }
    }

    /// Sends the credentials `netrc` (a `~/.netrc`-style file) names for a host to that host.
    pub fn with_netrc(mut self, netrc: Option<PathBuf>) -> Self {
        self.netrc = netrc;
        self
    }

    /// The netrc file to use: `$NETRC` if set (it must exist), else `~/.netrc` if there is
    /// one, as Bazel's downloader and curl's `--netrc` read them.
    pub fn default_netrc() -> Result<Option<PathBuf>, FetchError> {
        if let Some(path) = std::env::var_os("NETRC").filter(|v| !v.is_empty()) {
            let path = PathBuf::from(path);
            return match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => Ok(Some(path)),
                Ok(_) => Err(FetchError::Netrc {
                    path: path.display().to_string(),
                    problem: "not a file".into(),
                }),
                Err(error) => Err(FetchError::Netrc {
                    path: path.display().to_string(),
                    problem: error.to_string(),
                }),
            };
        }
        Ok(std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".netrc"))
            .filter(|p| p.is_file()))
    }

    /// `$XDG_CACHE_HOME/debimage-lock`, else `~/.cache/debimage-lock`, else a directory in
    /// the system's temporary directory.
    pub fn default_cache_dir() -> PathBuf {
        std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache"))
            })
            .unwrap_or_else(std::env::temp_dir)
            .join("debimage-lock")
    }

    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    /// Downloads `url` (redirects followed, HTTP errors are errors, 3 retries).
    pub fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let mut curl = Command::new("curl");
        if let Some(netrc) = &self.netrc {
            // Only the file's login and password for the URL's host are sent (also after a
            // redirect to another host that the file names).
            curl.arg("--netrc-file").arg(netrc);
        }
        let out = curl
            .args([
                "-sSfL",
                "--retry",
                "3",
                "--connect-timeout",
                "30",
                "--proto",
                "=http,https",
                "--",
                url,
            ])
            .output()
            .map_err(|error| FetchError::Spawn {
                url: url.to_string(),
                error,
            })?;
        if !out.status.success() {
            return Err(FetchError::Failed {
                url: url.to_string(),
                message: format!(
                    "{} ({})",
                    String::from_utf8_lossy(&out.stderr).trim(),
                    out.status
                ),
            });
        }
        Ok(out.stdout)
    }

    fn cache_path(&self, sha256: &str) -> PathBuf {
        self.cache_dir.join("sha256").join(sha256)
    }

    /// The cached file with `sha256`, when the cache has it and it still has that sum.
    pub fn cached(&self, sha256: &str) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.cache_path(sha256)).ok()?;
        (hex::encode(sha2::Sha256::digest(&bytes)) == sha256).then_some(bytes)
    }

    /// Keeps `bytes`, whose sum the caller has checked to be `sha256`, in the cache.
    pub fn store(&self, sha256: &str, bytes: &[u8]) -> Result<(), FetchError> {
        let path = self.cache_path(sha256);
        write_atomically(&path, bytes).map_err(|error| FetchError::Cache {
            path: path.display().to_string(),
            error,
        })
    }

    /// The file with `sha256`: from the cache when it is there (and still has that sum),
    /// else from the first of `urls` that serves it, then cached.
    pub fn get_by_sha256(&self, urls: &[String], sha256: &str) -> Result<Fetched, FetchError> {
        let path = self.cache_path(sha256);
        if let Some(bytes) = self.cached(sha256) {
            return Ok(Fetched {
                bytes,
                from: path.display().to_string(),
                cached: true,
            });
        }
        if urls.is_empty() {
            return Err(FetchError::NoUrl {
                sha256: sha256.to_string(),
            });
        }
        let mut attempts = Vec::new();
        for url in urls {
            match self.get(url) {
                Ok(bytes) => {
                    let got = hex::encode(sha2::Sha256::digest(&bytes));
                    if got == sha256 {
                        self.store(sha256, &bytes)?;
                        return Ok(Fetched {
                            bytes,
                            from: url.clone(),
                            cached: false,
                        });
                    }
                    attempts.push(FetchError::Mismatch {
                        url: url.clone(),
                        size: bytes.len() as u64,
                        got,
                        sha256: sha256.to_string(),
                    });
                }
                Err(err) => attempts.push(err),
            }
        }
        Err(FetchError::NotServed {
            sha256: sha256.to_string(),
            attempts,
        })
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename:
/// readers see the old file or the new one, never a part (directories are created).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    let _registration = cleanup::register(tmp.path());
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // NamedTempFile creates the file 0600; a lockfile or cache entry is ordinary data.
    set_mode_0644(tmp.as_file())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn set_mode_0644(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_mode_0644(_: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn cache_hits_do_not_download() {
        let dir = tempfile::tempdir().unwrap();
        let fetcher = Fetcher::new(dir.path());
        write_atomically(&dir.path().join("sha256").join(ABC), b"abc").unwrap();
        // The URL is never asked for: the cache has the content.
        let got = fetcher
            .get_by_sha256(&["http://invalid.invalid/x".into()], ABC)
            .unwrap();
        assert_eq!((got.bytes.as_slice(), got.cached), (&b"abc"[..], true));
    }

    #[test]
    fn a_corrupt_cache_entry_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let fetcher = Fetcher::new(dir.path());
        write_atomically(&dir.path().join("sha256").join(ABC), b"abd").unwrap();
        let err = fetcher.get_by_sha256(&[], ABC).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("no URL to download sha256 {ABC} from")
        );
    }

    #[test]
    fn file_urls_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = Fetcher::new(dir.path())
            .get("file:///etc/passwd")
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("file:///etc/passwd: download failed: "),
            "{err}"
        );
    }

    #[test]
    fn atomic_writes_replace_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.json"]);
    }
}
