//! The small system files of a distroless image, generated rather than taken from packages
//! whose maintainer scripts never run: `/etc/passwd` and `/etc/group`, the dpkg `status.d`
//! metadata that vulnerability scanners read, the CA bundle and Java trust store, compiled
//! locales picked from the packages that ship them, and `/etc/ld.so.cache`.
//!
//! Every function returns [`layer::Entry`] values (or bytes) that are identical on every run.

pub mod cacerts;
pub mod der;
pub mod elf;
pub mod keystore;
pub mod ld_so_cache;
pub mod locale;
mod pem;
pub mod status;
pub mod users;
pub mod x509;

pub use cacerts::{CaBundle, CaCertificate, BUNDLE_PATH};
pub use keystore::{java_truststore, pkcs12_truststore, TrustedCertificate, KEYSTORE_PATH};
pub use status::{is_valid_package_name, status_entries, StatusOptions, STATUS_DIR};
pub use users::{
    distroless_groups, distroless_homes, distroless_users, group, group_entry, passwd,
    passwd_entry, Group, Home, User, GROUP_PATH, PASSWD_PATH,
};

/// Why a system file cannot be generated; each message names the offending input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad `/etc/passwd` or `/etc/group` entry; `entry` is the quoted name, or `#n` (1-based)
    /// when the name is empty.
    #[error("{file} entry {entry}: {message}")]
    Account {
        file: &'static str,
        entry: String,
        message: String,
    },
    #[error("home directory {path:?}: {message}")]
    Home { path: String, message: String },
    /// Would become a path under `status.d`, so it must not be able to traverse.
    #[error("package name {package:?} is not a valid Debian package name")]
    PackageName { package: String },
    #[error("package {package:?}: {message}")]
    Status { package: String, message: String },
    #[error("{path}: malformed certificate: {message}")]
    Certificate { path: String, message: String },
    #[error("{path}: {message}")]
    CertificateFile { path: String, message: String },
    #[error("no certificates: no .crt file under {}", cacerts::SOURCE_DIR)]
    NoCertificates,
    #[error("Java trust store: {message}")]
    Keystore { message: String },
    /// A locale that cannot be had; `locale` is its name, or the package and path at fault.
    #[error("locale {locale}: {message}")]
    Locale { locale: String, message: String },
    #[error(transparent)]
    Deb(#[from] deb::Error),
    /// Not a `source`: the message already says it all (anyhow would print it twice).
    #[error("{member}: {error}")]
    Data {
        member: String,
        error: std::io::Error,
    },
    #[error(transparent)]
    Layer(#[from] layer::Error),
}
