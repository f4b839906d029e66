//! Atomic output files: nothing partial is ever left at an output path, and a command with
//! several outputs writes every one or none. Also the outputs of every subcommand that makes
//! a layer.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use layer::Layer;

/// Outputs written to temporary files beside their paths, renamed into place together by
/// [`Outputs::commit`]. Dropped without a commit (an error), the temporary files are removed.
#[derive(Default)]
pub struct Outputs {
    staged: Vec<(cleanup::TempFile, PathBuf)>,
}

impl Outputs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes one output to a temporary file. A `path` that is no regular file, e.g.
    /// `/dev/stdout` or a pipe, is written to directly: a rename would replace it.
    pub fn stage<T>(
        &mut self,
        path: &Path,
        write: impl FnOnce(&mut File) -> Result<T>,
    ) -> Result<T> {
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let value = write(&mut file)?;
            file.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
            return Ok(value);
        }
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if path.is_dir() {
            anyhow::bail!("cannot write {}: it is a directory", path.display());
        }
        // Removed on error, and also should a signal end the process before the rename.
        let mut tmp = cleanup::TempFile::new_in(dir, ".debimage-")
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        // Like any file a tool writes (a temporary file is made 0600).
        std::fs::set_permissions(
            tmp.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        )
        .with_context(|| format!("cannot write {}", path.display()))?;
        let value = write(tmp.as_file_mut())?;
        tmp.as_file_mut()
            .flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
        self.staged.push((tmp, path.to_path_buf()));
        Ok(value)
    }

    /// Renames every staged output into place. Should one rename fail, the outputs already
    /// renamed are removed again.
    pub fn commit(self) -> Result<()> {
        let mut done: Vec<PathBuf> = Vec::new();
        for (tmp, path) in self.staged {
            // The error must not keep the temporary file alive: it would outlive the
            // process's exit, which runs no destructors.
            if let Err(e) = tmp.persist(&path) {
                for renamed in &done {
                    let _ = std::fs::remove_file(renamed);
                }
                return Err(e).with_context(|| format!("cannot write {}", path.display()));
            }
            done.push(path);
        }
        Ok(())
    }
}

/// Writes one output through a temporary file next to `path`, renamed into place only on
/// success (the temporary file is removed on failure).
pub fn write_atomically<T>(path: &Path, write: impl FnOnce(&mut File) -> Result<T>) -> Result<T> {
    let mut outputs = Outputs::new();
    let value = outputs.stage(path, write)?;
    outputs.commit()?;
    Ok(value)
}

/// Where and how a subcommand that makes a layer writes it: the blob, its digests, its listing.
#[derive(clap::Args)]
pub struct LayerOutput {
    /// Where to write the layer (gzip-compressed tar).
    #[arg(long)]
    out: PathBuf,
    /// Where to write the layer's digests as JSON (diff_id, digest, size).
    #[arg(long)]
    digests_out: Option<PathBuf>,
    /// Where to write the entry listing, one line each: path type mode uid:gid size target.
    #[arg(long)]
    listing_out: Option<PathBuf>,
    /// Modification time of every entry, in seconds since the epoch.
    #[arg(long, default_value_t = 0)]
    mtime: u64,
    /// Compression of the layer blob.
    #[arg(long, value_enum, default_value_t = Compression::Gzip)]
    compression: Compression,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Compression {
    Gzip,
    Zstd,
}

impl LayerOutput {
    /// Writes `layer` and, if asked for, its digests and listing: every output or none (each
    /// is staged, and all are renamed into place at the end).
    pub fn write(&self, layer: &Layer) -> Result<()> {
        let compression = match self.compression {
            Compression::Gzip => layer::LayerCompression::Gzip,
            Compression::Zstd => layer::LayerCompression::Zstd,
        };
        let mut outputs = Outputs::new();
        let digests = outputs.stage(&self.out, |file| {
            Ok(layer::write_tar(layer, file, self.mtime, compression)?)
        })?;
        if let Some(path) = &self.digests_out {
            let json = serde_json::json!({
                "diff_id": digests.diff_id,
                "digest": digests.digest,
                "size": digests.size,
                "media_type": compression.media_type(),
            });
            outputs.stage(path, |file| {
                serde_json::to_writer_pretty(&mut *file, &json)?;
                Ok(file.write_all(b"\n")?)
            })?;
        }
        if let Some(path) = &self.listing_out {
            outputs.stage(path, |file| Ok(file.write_all(layer.listing().as_bytes())?))?;
        }
        outputs.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// `--listing-out /dev/stdout` and the like: the special file stays, the bytes go through.
    #[test]
    fn writes_through_a_fifo_instead_of_replacing_it() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut text = String::new();
                File::open(fifo).unwrap().read_to_string(&mut text).unwrap();
                text
            })
        };
        write_atomically(&fifo, |file| Ok(file.write_all(b"listing\n")?)).unwrap();
        // Before joining: a replaced FIFO would leave the reader waiting for ever.
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(reader.join().unwrap(), "listing\n");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
