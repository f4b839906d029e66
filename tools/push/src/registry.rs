//! Pushing a [`Plan`] to a registry with `oci-client`: blobs the registry lacks (asked with
//! `HEAD /v2/<repo>/blobs/<digest>`), then manifests, children before their index.

use std::collections::HashSet;
use std::sync::Mutex;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use reqwest::StatusCode;
use thiserror::Error;

use crate::auth::Credentials;
use crate::layout::{Blob, LayoutError, Plan};
use crate::reference::Target;

/// Larger manifests are refused (registries limit them to 4 MiB).
const MAX_MANIFEST_BYTES: usize = 4 << 20;

const USER_AGENT: &str = concat!("debimage-push/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Error)]
pub enum PushError {
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error("{registry}: {what}: {reason}")]
    Auth {
        registry: String,
        what: String,
        reason: String,
    },
    #[error("{registry}: {what}")]
    Registry {
        registry: String,
        what: String,
        source: OciDistributionError,
    },
    #[error("{registry}: {what}")]
    Http {
        registry: String,
        what: String,
        source: reqwest::Error,
    },
    #[error("{registry}: {what}: HTTP {status}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Status {
        registry: String,
        what: String,
        status: StatusCode,
        message: String,
    },
    #[error("the layout's {what} is {actual}, not the requested {expected}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("{registry}: after the push it reports {actual} for {reference}, not {expected}")]
    Readback {
        registry: String,
        reference: String,
        expected: String,
        actual: String,
    },
    #[error("{registry}: the referrers tag {reference}: {reason}")]
    Referrers {
        registry: String,
        reference: String,
        reason: String,
    },
    #[error("TLS client setup: {0}")]
    Client(String),
}

/// How to reach the registry.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Plain HTTP instead of HTTPS.
    pub insecure: bool,
    /// Extra trusted CA certificates (PEM), besides the system's and Mozilla's roots.
    pub ca_certs_pem: Vec<Vec<u8>>,
    /// Blobs checked and uploaded at the same time (at least 1).
    pub jobs: usize,
}

/// What a push did.
#[derive(Debug, Default)]
pub struct Report {
    /// The digest of the manifest or index the references name.
    pub digest: String,
    /// `REGISTRY/REPO[:TAG]@DIGEST` for each reference pushed.
    pub pushed: Vec<String>,
    pub uploaded: Vec<Blob>,
    pub present: Vec<Blob>,
    pub manifests: usize,
}

/// With `REPO@sha256:...`, the layout's top digest must be that one.
fn check_requested_digest(plan: &Plan, target: &Target) -> Result<(), PushError> {
    let top = plan.top();
    match &target.digest {
        Some(expected) if *expected != top.digest => Err(PushError::DigestMismatch {
            what: if top.is_index {
                "image index"
            } else {
                "image manifest"
            }
            .to_string(),
            expected: expected.clone(),
            actual: top.digest.clone(),
        }),
        _ => Ok(()),
    }
}

/// A connection to one repository of a registry, with push access.
pub struct Registry<'a> {
    target: &'a Target,
    /// Blobs checked and uploaded at the same time.
    jobs: usize,
    client: Client,
    http: reqwest::Client,
    scheme: &'static str,
    auth: RegistryAuth,
    credentials: &'a Credentials,
    /// The bearer token from the registry's token service, when it uses one.
    bearer: Mutex<Option<String>>,
    /// Blobs this repository is known to have (seen by HEAD or uploaded) since connecting: a
    /// release pushes dozens of images sharing layers to one repository, each blob checked once.
    known_blobs: Mutex<HashSet<String>>,
}

impl<'a> Registry<'a> {
    /// Connects to `target`'s repository and asks for push access.
    pub async fn connect(
        target: &'a Target,
        credentials: &'a Credentials,
        options: &Options,
    ) -> Result<Registry<'a>, PushError> {
        let registry = Registry::new(target, credentials, options)?;
        registry.authenticate().await?;
        Ok(registry)
    }

    fn new(
        target: &'a Target,
        credentials: &'a Credentials,
        options: &Options,
    ) -> Result<Self, PushError> {
        let mut config = ClientConfig {
            protocol: if options.insecure {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            // One PUT per blob: fewer round trips than PATCH chunks, and every registry takes it.
            use_monolithic_push: true,
            user_agent: USER_AGENT,
            platform_resolver: None,
            ..Default::default()
        };
        let mut http = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(USER_AGENT);
        for pem in &options.ca_certs_pem {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| PushError::Client(format!("CA certificate: {e}")))?;
            http = http.add_root_certificate(cert);
            config.extra_root_certificates.push(Certificate {
                encoding: CertificateEncoding::Pem,
                data: pem.clone(),
            });
        }
        let client = Client::try_from(config).map_err(|e| PushError::Client(e.to_string()))?;
        let http = http.build().map_err(|e| PushError::Client(e.to_string()))?;
        let auth = match credentials {
            Credentials::Anonymous => RegistryAuth::Anonymous,
            Credentials::Basic {
                username, password, ..
            } => RegistryAuth::Basic(username.clone(), password.clone()),
        };
        Ok(Registry {
            target,
            jobs: options.jobs.max(1),
            client,
            http,
            scheme: if options.insecure { "http" } else { "https" },
            auth,
            credentials,
            bearer: Mutex::new(None),
            known_blobs: Mutex::new(HashSet::new()),
        })
    }

    /// Pushes `plan` under each of `tags` (none: by digest only): the blobs the registry
    /// lacks, then the manifests, children first. With a digest in the target, the plan's
    /// must be that one. `progress` gets one line per blob and manifest.
    pub async fn push(
        &self,
        plan: &Plan,
        tags: &[String],
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<Report, PushError> {
        check_requested_digest(plan, self.target)?;
        let top = plan.top();
        let outcomes: Vec<(Blob, bool)> = stream::iter(plan.blobs.iter())
            .map(|blob| self.push_blob(blob, progress))
            .buffer_unordered(self.jobs)
            .try_collect()
            .await?;
        let mut report = Report {
            digest: top.digest.clone(),
            ..Default::default()
        };
        for (blob, uploaded) in outcomes {
            if uploaded {
                report.uploaded.push(blob);
            } else {
                report.present.push(blob);
            }
        }

        // The children by digest, then the top manifest under each tag (or by its digest).
        let (children, _) = plan.manifests.split_at(plan.manifests.len() - 1);
        for manifest in children {
            self.put_manifest(
                &manifest.digest,
                &manifest.bytes,
                &manifest.media_type,
                &manifest.digest,
            )
            .await?;
            progress(&format!("manifest {} pushed", manifest.digest));
        }
        let references: Vec<Reference> = if tags.is_empty() {
            vec![self.reference(None, Some(&top.digest))]
        } else {
            tags.iter()
                .map(|tag| self.reference(Some(tag), None))
                .collect()
        };
        let mut pushed = Vec::new();
        for reference in &references {
            let name = reference.tag().or(reference.digest()).unwrap_or_default();
            self.put_manifest(name, &top.bytes, &top.media_type, &top.digest)
                .await?;
            let actual = self.digest_of(reference).await?;
            if actual != top.digest {
                return Err(PushError::Readback {
                    registry: self.target.registry.clone(),
                    reference: reference.to_string(),
                    expected: top.digest.clone(),
                    actual,
                });
            }
            let name = match reference.tag() {
                Some(tag) => format!("{}:{tag}", self.target.name()),
                None => self.target.name(),
            };
            progress(&format!("manifest {} pushed as {name}", top.digest));
            pushed.push(format!("{name}@{}", top.digest));
        }
        report.manifests = plan.manifests.len();
        report.pushed = pushed;
        Ok(report)
    }

    fn reference(&self, tag: Option<&str>, digest: Option<&str>) -> Reference {
        let (registry, repository) = (self.target.registry.clone(), self.target.repository.clone());
        match (tag, digest) {
            (Some(tag), _) => Reference::with_tag(registry, repository, tag.to_string()),
            (None, Some(digest)) => {
                Reference::with_digest(registry, repository, digest.to_string())
            }
            (None, None) => Reference::with_tag(registry, repository, "latest".to_string()),
        }
    }

    /// Who we are, for error messages.
    fn who(&self) -> String {
        match self.credentials {
            Credentials::Anonymous => "anonymously".to_string(),
            Credentials::Basic {
                username, source, ..
            } => format!("as user {username:?} (credentials from {source})"),
        }
    }

    fn auth_error(&self, what: &str, status: u16, detail: &str) -> PushError {
        let reason = match (status, self.credentials) {
            (401, Credentials::Anonymous) => "the registry requires authentication (HTTP 401) and \
                 the docker config has no credentials for it (docker login, or an auths entry \
                 in $DOCKER_CONFIG/config.json)"
                .to_string(),
            (401, _) => format!("authentication failed {} (HTTP 401)", self.who()),
            (403, _) => format!(
                "push to {} denied {} (HTTP 403)",
                self.target.repository,
                self.who()
            ),
            _ => format!("authentication failed {}", self.who()),
        };
        let detail = detail.trim();
        PushError::Auth {
            registry: self.target.registry.clone(),
            what: what.to_string(),
            reason: if detail.is_empty() {
                reason
            } else {
                format!("{reason}: {detail}")
            },
        }
    }

    fn registry_error(&self, what: &str, source: OciDistributionError) -> PushError {
        match &source {
            OciDistributionError::ServerError { code, message, .. }
                if *code == 401 || *code == 403 =>
            {
                self.auth_error(what, *code, message)
            }
            OciDistributionError::AuthenticationFailure(message) => {
                self.auth_error(what, 401, message)
            }
            OciDistributionError::UnauthorizedError { .. } => self.auth_error(what, 401, ""),
            _ => PushError::Registry {
                registry: self.target.registry.clone(),
                what: what.to_string(),
                source,
            },
        }
    }

    fn http_error(&self, what: &str, source: reqwest::Error) -> PushError {
        PushError::Http {
            registry: self.target.registry.clone(),
            what: what.to_string(),
            source,
        }
    }

    /// Asks the registry (or its token service) for push access to the repository.
    async fn authenticate(&self) -> Result<(), PushError> {
        let reference = self.reference(None, None);
        let token = self
            .client
            .auth(&reference, &self.auth, RegistryOperation::Push)
            .await
            .map_err(|e| {
                let what = format!("push access to {}", self.target.repository);
                match e {
                    OciDistributionError::RequestError(source) => self.http_error(&what, source),
                    other => self.registry_error(&what, other),
                }
            })?;
        if let Ok(mut bearer) = self.bearer.lock() {
            *bearer = token;
        }
        Ok(())
    }

    /// Uploads the blob unless the registry has it; returns whether it was uploaded.
    async fn push_blob(
        &self,
        blob: &Blob,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<(Blob, bool), PushError> {
        if self.blob_exists(&blob.digest).await? {
            progress(&format!(
                "blob {} present ({} bytes)",
                blob.digest, blob.size
            ));
            return Ok((blob.clone(), false));
        }
        self.upload(&blob.digest, &blob.read_verified()?).await?;
        progress(&format!(
            "blob {} uploaded ({} bytes)",
            blob.digest, blob.size
        ));
        Ok((blob.clone(), true))
    }

    /// Uploads `bytes` (whose digest the caller computed) unless the registry has them;
    /// returns whether they were uploaded.
    pub(crate) async fn put_blob_bytes(
        &self,
        digest: &str,
        bytes: &[u8],
    ) -> Result<bool, PushError> {
        if self.blob_exists(digest).await? {
            return Ok(false);
        }
        self.upload(digest, bytes).await?;
        Ok(true)
    }

    async fn upload(&self, digest: &str, bytes: &[u8]) -> Result<(), PushError> {
        let reference = self.reference(None, None);
        let what = format!("uploading blob {digest} ({} bytes)", bytes.len());
        match self.client.push_blob(&reference, bytes, digest).await {
            Ok(_) => {
                self.remember_blob(digest);
                Ok(())
            }
            // The upload was accepted (201) without the Location header the spec asks for
            // (crane's registry does this): the blob counts as pushed when the registry has it.
            Err(OciDistributionError::RegistryNoLocationError)
                if self.blob_exists(digest).await? =>
            {
                Ok(())
            }
            Err(OciDistributionError::RequestError(source)) => Err(self.http_error(&what, source)),
            Err(other) => Err(self.registry_error(&what, other)),
        }
    }

    /// Sends a request with our token (or basic credentials); a 401 with a token gets a fresh
    /// token and one retry; 401 and 403 become errors naming who we are.
    async fn send(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, PushError> {
        let mut retried = false;
        loop {
            let token = self.bearer.lock().ok().and_then(|t| t.clone());
            let request = match (&token, &self.auth) {
                (Some(token), _) => build(&self.http).bearer_auth(token),
                (None, RegistryAuth::Basic(user, password)) => {
                    build(&self.http).basic_auth(user, Some(password))
                }
                (None, _) => build(&self.http),
            };
            let response = request.send().await.map_err(|e| self.http_error(what, e))?;
            match response.status() {
                // A bearer token may have expired: get a new one once.
                StatusCode::UNAUTHORIZED if token.is_some() && !retried => {
                    retried = true;
                    self.authenticate().await?;
                }
                status @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                    let challenge = response
                        .headers()
                        .get(reqwest::header::WWW_AUTHENTICATE)
                        .and_then(|v| v.to_str().ok())
                        .map(|v| format!("the registry asks for {v}"))
                        .unwrap_or_default();
                    return Err(self.auth_error(what, status.as_u16(), &challenge));
                }
                _ => return Ok(response),
            }
        }
    }

    fn status_error(&self, what: &str, status: StatusCode, body: &str) -> PushError {
        PushError::Status {
            registry: self.target.registry.clone(),
            what: what.to_string(),
            status,
            message: body.trim().chars().take(500).collect(),
        }
    }

    fn remember_blob(&self, digest: &str) {
        if let Ok(mut known) = self.known_blobs.lock() {
            known.insert(digest.to_string());
        }
    }

    /// `HEAD /v2/<repo>/blobs/<digest>`: 200 yes, 404 no (no request for a blob this
    /// connection already saw there).
    async fn blob_exists(&self, digest: &str) -> Result<bool, PushError> {
        if self
            .known_blobs
            .lock()
            .is_ok_and(|known| known.contains(digest))
        {
            return Ok(true);
        }
        let url = format!("{}/blobs/{digest}", self.repository_url());
        let what = format!("checking blob {digest}");
        let response = self.send(&what, |http| http.head(&url)).await?;
        match response.status() {
            StatusCode::OK => {
                self.remember_blob(digest);
                Ok(true)
            }
            StatusCode::NOT_FOUND => Ok(false),
            status => Err(self.status_error(&what, status, "")),
        }
    }

    /// `PUT /v2/<repo>/manifests/<tag or digest>` with the manifest's exact bytes. (Not
    /// oci-client's: its 0.15 panics when a registry omits the Location header of a manifest
    /// pushed by digest, as crane's does.)
    /// Returns whether the registry answered with `OCI-Subject` (it indexes the manifest's
    /// subject in its referrers API).
    pub(crate) async fn put_manifest(
        &self,
        reference: &str,
        bytes: &[u8],
        media_type: &str,
        digest: &str,
    ) -> Result<bool, PushError> {
        let url = format!("{}/manifests/{reference}", self.repository_url());
        let what = format!(
            "pushing manifest {digest} as {}:{reference}",
            self.target.name()
        );
        let response = self
            .send(&what, |http| {
                http.put(&url)
                    .header(reqwest::header::CONTENT_TYPE, media_type)
                    .body(bytes.to_vec())
            })
            .await?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(self.status_error(&what, status, &body));
        }
        let headers = response.headers();
        let served = headers
            .get("Docker-Content-Digest")
            .and_then(|v| v.to_str().ok());
        match served {
            Some(served) if served != digest => Err(PushError::Readback {
                registry: self.target.registry.clone(),
                reference: format!("{}:{reference}", self.target.name()),
                expected: digest.to_string(),
                actual: served.to_string(),
            }),
            _ => Ok(headers.contains_key("OCI-Subject")),
        }
    }

    /// `GET /v2/<repo>/manifests/<reference>` accepting `media_type`: the manifest's bytes, or
    /// None when the registry has no such manifest (404).
    pub(crate) async fn get_manifest(
        &self,
        reference: &str,
        media_type: &str,
    ) -> Result<Option<Vec<u8>>, PushError> {
        let url = format!("{}/manifests/{reference}", self.repository_url());
        let what = format!("reading manifest {}:{reference}", self.target.name());
        let response = self
            .send(&what, |http| {
                http.get(&url).header(reqwest::header::ACCEPT, media_type)
            })
            .await?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(self.status_error(&what, status, &body));
        }
        // Manifests are small; a registry's 4 MiB limit is the spec's suggestion.
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.http_error(&what, e))?;
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(self.status_error(
                &what,
                status,
                &format!(
                    "the manifest is {} bytes, over {MAX_MANIFEST_BYTES}",
                    bytes.len()
                ),
            ));
        }
        Ok(Some(bytes.to_vec()))
    }

    pub fn target(&self) -> &Target {
        self.target
    }

    fn repository_url(&self) -> String {
        let reference = self.reference(None, None);
        format!(
            "{}://{}/v2/{}",
            self.scheme,
            reference.resolve_registry(),
            self.target.repository
        )
    }

    /// The digest the registry serves for a reference (HEAD, else GET and hash).
    async fn digest_of(&self, reference: &Reference) -> Result<String, PushError> {
        self.client
            .fetch_manifest_digest(reference, &self.auth)
            .await
            .map_err(|e| {
                let what = format!("reading back {reference}");
                match e {
                    OciDistributionError::RequestError(source) => self.http_error(&what, source),
                    other => self.registry_error(&what, other),
                }
            })
    }
}
