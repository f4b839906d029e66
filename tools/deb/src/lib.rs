//! Reading Debian binary packages (`.deb`) as streams: the `ar` container, the compressed
//! `control.tar` and `data.tar` members, and deb822 control files. Nothing is unpacked to disk.

pub mod ar;
pub mod compression;
pub mod control;
mod package;

pub use compression::Compression;
pub use control::Control;
pub use package::{DebReader, Metadata, CONTROL_MAX, MD5SUMS_MAX};

/// Everything that can be wrong with a `.deb` (the caller adds which file it was).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("ar: {0}")]
    Ar(String),
    #[error("{member}: {message}")]
    Member { member: String, message: String },
    #[error("control file: {0}")]
    Control(String),
    #[error("{0}")]
    Format(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
