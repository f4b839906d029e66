//! Temporary files and directories, created exclusively (never through an existing path or
//! symlink), removed when dropped and, while they exist, when a signal ends the process.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{register, Registration};

/// Names tried before giving up: a clash needs another process to pick the same name.
const ATTEMPTS: u32 = 64;

/// A new name in `dir`: `prefix`, the process ID, a counter and the clock, so that names
/// differ between processes, threads and runs; creation is exclusive, so a clash only retries.
fn candidates<'a>(dir: &'a Path, prefix: &str) -> impl Iterator<Item = PathBuf> + 'a {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = prefix.to_string();
    (0..ATTEMPTS).map(move |_| {
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        dir.join(format!(
            "{prefix}{}-{count}-{nanos:08x}",
            std::process::id()
        ))
    })
}

/// Runs `create` on new names in `dir` until one does not exist yet.
fn create_new<T>(
    dir: &Path,
    prefix: &str,
    create: impl Fn(&Path) -> io::Result<T>,
) -> io::Result<(PathBuf, T)> {
    for path in candidates(dir, prefix) {
        match create(&path) {
            Ok(made) => return Ok((path, made)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "no free temporary name {prefix}* in {} after {ATTEMPTS} tries",
            dir.display()
        ),
    ))
}

/// A new file at `path` (mode 0600), open for reading and writing; never an existing one.
fn open_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// A temporary path removed (file or directory tree) on drop unless renamed into place.
struct TempPath {
    path: PathBuf,
    renamed: bool,
    _registration: Registration,
}

impl TempPath {
    fn new(path: PathBuf) -> Self {
        let _registration = register(&path);
        Self {
            path,
            renamed: false,
            _registration,
        }
    }

    fn rename_to(mut self, to: &Path) -> io::Result<()> {
        std::fs::rename(&self.path, to)?;
        self.renamed = true;
        Ok(())
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = crate::remove(&self.path);
        }
    }
}

/// A named temporary file (mode 0600), removed on drop unless [`TempFile::persist`]ed.
pub struct TempFile {
    temp: TempPath,
    file: File,
}

impl TempFile {
    /// Creates `dir/<prefix>...`, open for reading and writing.
    pub fn new_in(dir: &Path, prefix: &str) -> io::Result<Self> {
        let (path, file) = create_new(dir, prefix, open_new)?;
        Ok(Self {
            temp: TempPath::new(path),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.temp.path
    }

    pub fn as_file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// Renames the file to `to` (replacing a file there). On error it is still removed.
    pub fn persist(self, to: &Path) -> io::Result<()> {
        self.temp.rename_to(to)
    }
}

/// A temporary directory (mode 0700), removed with its contents on drop unless
/// [`TempDir::rename_to`] moved it into place.
pub struct TempDir {
    temp: TempPath,
}

impl TempDir {
    /// Creates `dir/<prefix>...`.
    pub fn new_in(dir: &Path, prefix: &str) -> io::Result<Self> {
        let (path, ()) = create_new(dir, prefix, |path| {
            std::fs::DirBuilder::new().mode(0o700).create(path)
        })?;
        Ok(Self {
            temp: TempPath::new(path),
        })
    }

    pub fn path(&self) -> &Path {
        &self.temp.path
    }

    /// Renames the directory to `to` (an empty directory there is replaced, as `rename(2)`
    /// does). On error it is still removed.
    pub fn rename_to(self, to: &Path) -> io::Result<()> {
        self.temp.rename_to(to)
    }
}

/// An unnamed temporary file in [`std::env::temp_dir`]: its name is removed as soon as it is
/// open, so nothing remains whichever way the process ends.
pub fn anonymous_file() -> io::Result<File> {
    let dir = std::env::temp_dir();
    let (path, file) = create_new(&dir, ".debimage-spool-", open_new)
        .map_err(|e| io::Error::new(e.kind(), format!("in {}: {e}", dir.display())))?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, Write};

    #[test]
    fn files_are_removed_unless_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let mut dropped = TempFile::new_in(dir.path(), ".x-").unwrap();
        let dropped_path = dropped.path().to_path_buf();
        dropped.as_file_mut().write_all(b"partial").unwrap();
        assert!(dropped_path.starts_with(dir.path()));
        assert!(dropped_path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(".x-"));
        let mode = std::fs::metadata(&dropped_path).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
        drop(dropped);
        assert!(!dropped_path.exists());

        let mut kept = TempFile::new_in(dir.path(), ".x-").unwrap();
        kept.as_file_mut().write_all(b"whole").unwrap();
        let out = dir.path().join("out");
        std::fs::write(&out, b"old").unwrap();
        kept.persist(&out).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"whole");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn names_are_new_and_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let a = TempFile::new_in(dir.path(), "t").unwrap();
        let b = TempFile::new_in(dir.path(), "t").unwrap();
        assert_ne!(a.path(), b.path());
        // A name taken by anything, a dangling symlink included, is skipped, not opened.
        let target = dir.path().join("target");
        for path in candidates(dir.path(), "s").take(3) {
            std::os::unix::fs::symlink(&target, path).unwrap();
        }
        let c = TempFile::new_in(dir.path(), "s").unwrap();
        assert!(std::fs::symlink_metadata(c.path()).unwrap().is_file());
        assert!(!target.exists());
        let missing = dir.path().join("missing");
        let err = TempFile::new_in(&missing, "t").err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn directories_go_with_their_contents_unless_renamed() {
        let dir = tempfile::tempdir().unwrap();
        let dropped = TempDir::new_in(dir.path(), ".d-").unwrap();
        std::fs::create_dir_all(dropped.path().join("a/b")).unwrap();
        std::fs::write(dropped.path().join("a/b/f"), b"x").unwrap();
        let dropped_path = dropped.path().to_path_buf();
        drop(dropped);
        assert!(!dropped_path.exists());

        let kept = TempDir::new_in(dir.path(), ".d-").unwrap();
        std::fs::write(kept.path().join("f"), b"y").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap(); // empty: replaced
        kept.rename_to(&out).unwrap();
        assert_eq!(std::fs::read(out.join("f")).unwrap(), b"y");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn anonymous_files_have_no_name() {
        let before = std::fs::read_dir(std::env::temp_dir()).unwrap().count();
        let mut file = anonymous_file().unwrap();
        file.write_all(b"spooled").unwrap();
        file.rewind().unwrap();
        let mut back = String::new();
        file.read_to_string(&mut back).unwrap();
        assert_eq!(back, "spooled");
        let leftover = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".debimage-spool-")
            })
            .count();
        assert_eq!(leftover, 0, "{before} entries before");
    }
}
