//! Temporary paths removed when the process is ended by a signal, and the temporary files
//! and directories ([`TempFile`], [`TempDir`], [`anonymous_file`]) that use them.
//!
//! The tools write their outputs through temporary files and directories that are renamed into
//! place when complete, and removed by their guards on every error path. A signal ends the
//! process without running destructors, so such paths are also [`register`]ed here: on SIGINT,
//! SIGTERM or SIGHUP a watcher thread removes every registered path, then ends the process by
//! the same signal (the exit status a shell or Bazel expects from it).
//!
//! The signal handler only writes the signal's number to a socket (async-signal-safe); the
//! removal runs in an ordinary thread, which may take locks and allocate.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, Once};

/// The signals that end a tool early: Ctrl-C, `kill` and Bazel's cancellation, a closed terminal.
const SIGNALS: [i32; 3] = [SIGHUP, SIGINT, SIGTERM];
// The same numbers on every Linux architecture.
const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;
const SIG_DFL: usize = 0;
const SIG_ERR: usize = usize::MAX;

// The three C library functions this needs, declared here rather than through the libc crate:
// one dependency less for every tool's build.
extern "C" {
    fn signal(signum: i32, handler: usize) -> usize;
    fn raise(sig: i32) -> i32;
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
}

mod temp;
pub use temp::{anonymous_file, TempDir, TempFile};

static REGISTERED: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
static INSTALL: Once = Once::new();

/// A registered path; dropping it unregisters the path (it was renamed into place or removed).
#[must_use = "the path is unregistered when this is dropped"]
pub struct Registration {
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        registered().retain(|(id, _)| *id != self.id);
    }
}

/// Registers `path` (a file or a directory) for removal should a signal end the process
/// before the returned [`Registration`] is dropped. Installs the signal handlers on first use.
pub fn register(path: &Path) -> Registration {
    INSTALL.call_once(install);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    // An absolute path: the process may change directory before a signal comes.
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    registered().push((id, path));
    Registration { id }
}

fn registered() -> std::sync::MutexGuard<'static, Vec<(u64, PathBuf)>> {
    // A thread that panicked while holding the lock left the list whole.
    REGISTERED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the watcher thread and points the signals at the handler. Should either fail (no
/// sockets or threads left), the process keeps the default behaviour: paths may stay behind
/// after a signal, as they would without this crate.
fn install() {
    let Ok((wake, mut watch)) = UnixStream::pair() else {
        return;
    };
    // The handler must never block.
    if wake.set_nonblocking(true).is_err() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("cleanup-on-signal".into())
        .spawn(move || {
            let mut sig = [0u8];
            if watch.read_exact(&mut sig).is_ok() {
                remove_registered();
                end_by(i32::from(sig[0]));
            }
        });
    if spawned.is_err() {
        return;
    }
    WAKE_FD.store(wake.as_raw_fd(), Ordering::SeqCst);
    // The write end lives as long as the process.
    std::mem::forget(wake);
    for sig in SIGNALS {
        // SAFETY: `on_signal` only calls write(2) on a non-blocking socket, which is
        // async-signal-safe; glibc's and musl's signal() keep the handler installed and
        // restart interrupted system calls.
        unsafe { signal(sig, on_signal as *const () as usize) };
    }
}

extern "C" fn on_signal(sig: i32) {
    let fd = WAKE_FD.load(Ordering::SeqCst);
    let byte = sig as u8;
    // SAFETY: writes one byte from a live stack variable; a full socket (a second signal
    // while the first is handled) just drops it.
    unsafe { write(fd, &byte, 1) };
}

fn remove_registered() {
    let paths: Vec<PathBuf> = registered().iter().map(|(_, p)| p.clone()).collect();
    for path in paths {
        if let Err(e) = remove(&path) {
            let _ = writeln!(
                std::io::stderr(),
                "cannot remove the temporary {}: {e}",
                path.display()
            );
        }
    }
}

/// Removes `path`, a file or a whole directory; one that is gone already (renamed into place
/// or removed meanwhile) is no error.
fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    }
}

/// Ends the process by `sig` with the default action (termination), as if it had not been
/// caught; exits with the shell's 128 + signal status should that not end it.
fn end_by(sig: i32) -> ! {
    // SAFETY: restores the default disposition and re-raises; no Rust state is involved.
    unsafe {
        if signal(sig, SIG_DFL) != SIG_ERR {
            raise(sig);
        }
    }
    std::process::exit(128 + sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_registration_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept");
        let staged = dir.path().join("staged");
        let first = register(&kept);
        let second = register(&staged);
        drop(first);
        let paths: Vec<PathBuf> = registered().iter().map(|(_, p)| p.clone()).collect();
        assert!(!paths.contains(&kept));
        assert!(paths.contains(&staged));
        drop(second);
        assert!(!registered().iter().any(|(_, p)| p == &staged));
    }

    #[test]
    fn removal_takes_files_and_whole_directories() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".debimage-1");
        let tree = dir.path().join(".oci-layout-1");
        std::fs::write(&file, b"partial").unwrap();
        std::fs::create_dir_all(tree.join("blobs/sha256")).unwrap();
        std::fs::write(tree.join("blobs/sha256/x"), b"blob").unwrap();
        let _file = register(&file);
        let _tree = register(&tree);
        remove_registered();
        assert!(!file.exists());
        assert!(!tree.exists());
        assert!(dir.path().exists());
    }
}
