//! The options `debimage-push` and `debimage-release` share: how to reach and log in to the
//! registry, and the signing key.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use debimage_push::auth::{default_config_path, Credentials, DockerConfig};
use debimage_push::reference::Target;
use debimage_push::registry::Options;
use debimage_sign::key::{KeySource, SigningKey, Zeroizing};

#[derive(Args)]
pub struct Connection {
    /// Plain HTTP (automatic for localhost, 127.0.0.0/8 and [::1]).
    #[arg(long)]
    pub insecure: bool,

    /// HTTPS even for a registry on localhost, 127.0.0.0/8 or [::1].
    #[arg(long, conflicts_with = "insecure")]
    pub https: bool,

    /// An extra CA certificate (PEM) to trust for the registry's TLS (repeatable).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,

    /// The directory of Docker's config.json [default: $DOCKER_CONFIG, else ~/.docker].
    #[arg(long, value_name = "DIR")]
    pub docker_config: Option<PathBuf>,

    /// Blobs checked and uploaded at the same time.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
}

impl Connection {
    /// The docker config's credentials for `registry` (anonymous without a config).
    pub fn credentials(&self, registry: &str) -> Result<Credentials> {
        let path = match &self.docker_config {
            Some(dir) => Some(dir.join("config.json")),
            None => default_config_path(),
        };
        Ok(match &path {
            Some(path) => DockerConfig::load(path)?.credentials(registry)?,
            None => Credentials::Anonymous,
        })
    }

    pub fn options(&self, target: &Target) -> Result<Options> {
        let mut ca_certs_pem = Vec::new();
        for path in &self.ca_cert {
            ca_certs_pem.push(
                std::fs::read(path)
                    .with_context(|| format!("reading --ca-cert {}", path.display()))?,
            );
        }
        Ok(Options {
            insecure: self.insecure || (target.is_local() && !self.https),
            ca_certs_pem,
            jobs: usize::from(self.jobs),
        })
    }
}

#[derive(Args)]
pub struct Signing {
    /// Sign with this ECDSA P-256 private key: cosign's encrypted format (`cosign
    /// generate-key-pair`; password in $COSIGN_PASSWORD or --key-password-file), or PEM (EC
    /// PRIVATE KEY or PRIVATE KEY). A file, or env://NAME for the key in variable NAME.
    #[arg(long, value_name = "FILE|env://NAME")]
    pub key: Option<String>,

    /// The password of a cosign key [default: $COSIGN_PASSWORD].
    #[arg(long, value_name = "FILE", requires = "key")]
    pub key_password_file: Option<PathBuf>,
}

impl Signing {
    /// The key, when one was given.
    pub fn load(&self) -> Result<Option<SigningKey>> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        let password = match &self.key_password_file {
            Some(path) => {
                let mut text = std::fs::read(path)
                    .with_context(|| format!("reading --key-password-file {}", path.display()))?;
                // A password file's one line: its newline is not part of the password.
                if text.ends_with(b"\n") {
                    text.pop();
                    if text.ends_with(b"\r") {
                        text.pop();
                    }
                }
                Some(Zeroizing::new(text))
            }
            None => {
                std::env::var_os("COSIGN_PASSWORD").map(|p| Zeroizing::new(p.into_encoded_bytes()))
            }
        };
        let key = SigningKey::load(&KeySource::parse(key), password.as_ref().map(|p| &p[..]))?;
        Ok(Some(key))
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
