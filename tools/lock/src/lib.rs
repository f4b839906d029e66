//! Locking Debian package sets: signed archive indexes (InRelease, Packages), Debian version
//! ordering, dependency resolution, and the JSON manifest and lockfile formats.

pub mod deps;
pub mod lockfile;
pub mod packages;
pub mod release;
pub mod resolve;
pub mod version;

/// Why a lock cannot be made; each message names the input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Index(String),
    #[error("{0}")]
    Dependency(String),
    #[error("{0}")]
    Unsatisfiable(String),
    #[error("{0}")]
    Release(String),
    #[error("{0}")]
    Manifest(String),
}
