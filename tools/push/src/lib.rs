//! `debimage-push`: pushes an OCI image layout (one image, or an image index whose images are
//! in the same layout) to a registry with the OCI distribution API, through `oci-client`.
//!
//! - [`reference`]: `REGISTRY/REPOSITORY[:TAG][@sha256:...]` with Docker's rules;
//! - [`auth`]: credentials from Docker's `config.json` and its credential helpers;
//! - [`layout`]: the blobs and manifests to send, read and checked from the layout;
//! - [`registry`]: the push itself (blobs the registry lacks, then manifests);
//! - [`referrers`]: artifacts attached to a pushed image (OCI 1.1 referrers, or their tag
//!   schema where the registry lacks the API);
//! - [`sign`]: cosign-compatible signatures and SBOM attestations, attached as referrers;
//! - [`release`]: many layouts pushed (and signed) under one registry prefix.

pub mod auth;
pub mod layout;
pub mod reference;
pub mod referrers;
pub mod registry;
pub mod release;
pub mod sign;
