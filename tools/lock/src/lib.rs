//! Locking Debian package sets: verified archive indexes (`InRelease` signed with keys
//! committed to the repository, `Packages.xz` checked against it), Debian version ordering,
//! dependency resolution, and the JSON manifest and lockfile formats.
//!
//! One module per concern; each has its own error type whose messages name the input (file,
//! URL, index, package, field) and the problem:
//!
//! * [`version`]: Debian version comparison (Policy 5.6.12).
//! * [`deps`]: relationship fields (`a (>= 1) | b:any, c [amd64]`).
//! * [`fields`]: the syntax of names, versions, architectures, file names and sums that reach
//!   lockfiles.
//! * [`packages`]: the fast `Packages` index parser.
//! * [`resolve`]: dependency resolution over several suites for one architecture.
//! * [`date`]: the RFC 2822 dates of Release files.
//! * [`openpgp`]: the keyring and `InRelease` signatures, judged as gpgv judges them.
//! * [`release`]: Release fields, dates and file checks.
//! * [`manifest`] and [`lockfile`]: the JSON formats.
//! * [`snapshot`]: snapshot.debian.org fallback URLs.
//! * [`fetch`]: downloads (curl) and the sha256-addressed cache; atomic writes.
//! * [`up_to_date`]: records of runs that found a lockfile up to date on the same inputs.

pub mod date;
pub mod deps;
pub mod fetch;
pub mod fields;
pub mod lockfile;
pub mod manifest;
pub mod openpgp;
pub mod packages;
pub mod release;
pub mod resolve;
pub mod snapshot;
pub mod up_to_date;
pub mod version;
