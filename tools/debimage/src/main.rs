//! `debimage`: the build actions of rules_debimage, one subcommand each.

mod cc_files_cmd;
mod check_cmd;
mod conflicts_cmd;
mod flatten_cmd;
mod image_cmd;
mod image_fs;
mod keystore_cmd;
mod layer_cmd;
mod ld_so_cache_cmd;
mod locale_cmd;
mod output;
mod sbom_cmd;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "debimage",
    version,
    about = "Build distroless image parts from Debian packages",
    long_about = "Build distroless image parts from Debian packages.\n\n\
        Every output is written atomically (temporary file, then rename) and is byte-for-byte \
        reproducible: sorted entries, one fixed mtime, numeric owners, fixed gzip header."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Write a deterministic layer (gzip tar) from .deb data, users and groups, a CA bundle
    /// and declared entries.
    Layer(layer_cmd::LayerArgs),
    /// Write one layer from many layers or tar files: identical entries once, any other clash
    /// an error naming both inputs.
    Flatten(flatten_cmd::FlattenArgs),
    /// Write a layer of compiled locales (/usr/lib/locale/<name>) taken from libc-bin and
    /// locales-all, each chosen locale complete in its own directory.
    Locale(locale_cmd::LocaleArgs),
    /// Write a layer holding a Java trust store (PKCS#12) of the given PEM certificates and
    /// ca-certificates packages.
    Keystore(keystore_cmd::KeystoreArgs),
    /// Fail when layers of one image conflict (a path changed by a later layer, or written
    /// below a symlink of an earlier one); identical duplicates are fine.
    CheckConflicts(conflicts_cmd::ConflictArgs),
    /// Write a single-platform OCI image layout from layers (and a base image).
    Image(image_cmd::ImageArgs),
    /// Write a multi-platform OCI image layout (an image index) from single-platform ones.
    Index(image_cmd::IndexArgs),
    /// Take one image out of any OCI image layout (a platform of an index, a tag), check
    /// every blob of it, and write it as a single-platform layout, byte for byte.
    Import(image_cmd::ImportArgs),
    /// Write a `docker load` tarball of a single-platform OCI image layout.
    DockerArchive(image_cmd::DockerArchiveArgs),
    /// Check a built image: files (existence, type, mode, owner, link target, content regex),
    /// configuration and the packages in status.d.
    CheckImage(check_cmd::CheckArgs),
    /// Write an image's /etc/ld.so.cache (glibc's format, as `ldconfig -X` would) from its
    /// layers.
    LdSoCache(ld_so_cache_cmd::LdSoCacheArgs),
    /// Write an SPDX 2.3 SBOM of images: their Debian packages (from status.d) and layers.
    Sbom(sbom_cmd::SbomArgs),
    /// Write the headers and library files of -dev packages (cc_deb_library's inputs of a
    /// C/C++ build), following their symlinks into the runtime packages.
    CcFiles(cc_files_cmd::CcFilesArgs),
    /// Print a .deb's control file.
    Control {
        /// The .deb package to read.
        deb: PathBuf,
    },
}

fn main() {
    if let Err(err) = run(Cli::parse()) {
        eprintln!("debimage: error: {}", printable(&format!("{err:#}")));
        std::process::exit(1);
    }
}

/// `text` with control characters other than newlines escaped: a message quotes names and
/// fields from untrusted input, which must not drive the terminal (ANSI escapes).
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => "\n".to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Layer(args) => layer_cmd::run(args),
        Command::CcFiles(args) => cc_files_cmd::run(args),
        Command::Flatten(args) => flatten_cmd::run(args),
        Command::Locale(args) => locale_cmd::run(args),
        Command::Keystore(args) => keystore_cmd::run(args),
        Command::CheckConflicts(args) => conflicts_cmd::run(args),
        Command::Image(args) => image_cmd::image(args),
        Command::CheckImage(args) => check_cmd::run(args),
        Command::Sbom(args) => sbom_cmd::run(args),
        Command::LdSoCache(args) => ld_so_cache_cmd::run(args),
        Command::Index(args) => image_cmd::index(args),
        Command::Import(args) => image_cmd::import(args),
        Command::DockerArchive(args) => image_cmd::docker_archive(args),
        Command::Control { deb } => {
            let reader = layer_cmd::open_deb(&deb)?;
            print!("{}", reader.metadata().control.raw);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_cannot_drive_the_terminal() {
        assert_eq!(
            super::printable("a\u{1b}[2Jb\r\u{9b}c\n  d"),
            "a\\u{1b}[2Jb\\r\\u{9b}c\n  d"
        );
    }
}
