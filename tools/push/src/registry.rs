//! Pushing a [`Plan`] to a registry with `oci-client`: blobs the registry lacks (asked with
//! `HEAD /v2/<repo>/blobs/<digest>`), then manifests, children before their index.

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

/// Pushes `plan` to `target`'s repository, under each of `tags` (none: by digest only).
/// `progress` gets one line per blob and manifest.
pub async fn push(
    plan: &Plan,
    target: &Target,
    tags: &[String],
    credentials: &Credentials,
    options: &Options,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Report, PushError> {
    let top = plan.top();
    if let Some(expected) = &target.digest {
        if *expected != top.digest {
            return Err(PushError::DigestMismatch {
                what: if top.is_index {
                    "image index"
                } else {
                    "image manifest"
                }
                .to_string(),
                expected: expected.clone(),
                actual: top.digest.clone(),
            });
        }
    }
    let session = Session::new(target, credentials, options)?;
    session.authenticate().await?;

    let jobs = options.jobs.max(1);
    let outcomes: Vec<(Blob, bool)> = stream::iter(plan.blobs.iter())
        .map(|blob| session.push_blob(blob, progress))
        .buffer_unordered(jobs)
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
        session
            .put_manifest(
                &manifest.digest,
                &manifest.bytes,
                &manifest.media_type,
                &manifest.digest,
            )
            .await?;
        progress(&format!("manifest {} pushed", manifest.digest));
    }
    let references: Vec<Reference> = if tags.is_empty() {
        vec![session.reference(None, Some(&top.digest))]
    } else {
        tags.iter()
            .map(|tag| session.reference(Some(tag), None))
            .collect()
    };
    let mut pushed = Vec::new();
    for reference in &references {
        let name = reference.tag().or(reference.digest()).unwrap_or_default();
        session
            .put_manifest(name, &top.bytes, &top.media_type, &top.digest)
            .await?;
        let actual = session.digest_of(reference).await?;
        if actual != top.digest {
            return Err(PushError::Readback {
                registry: target.registry.clone(),
                reference: reference.to_string(),
                expected: top.digest.clone(),
                actual,
            });
        }
        let name = match reference.tag() {
            Some(tag) => format!("{}:{tag}", target.name()),
            None => target.name(),
        };
        progress(&format!("manifest {} pushed as {name}", top.digest));
        pushed.push(format!("{name}@{}", top.digest));
    }
    report.manifests = plan.manifests.len();
    report.pushed = pushed;
    Ok(report)
}

struct Session<'a> {
    target: &'a Target,
    client: Client,
    http: reqwest::Client,
    scheme: &'static str,
    auth: RegistryAuth,
    credentials: &'a Credentials,
    /// The bearer token from the registry's token service, when it uses one.
    bearer: Mutex<Option<String>>,
}

impl<'a> Session<'a> {
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
        Ok(Session {
            target,
            client,
            http,
            scheme: if options.insecure { "http" } else { "https" },
            auth,
            credentials,
            bearer: Mutex::new(None),
        })
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
        if self.blob_exists(blob).await? {
            progress(&format!(
                "blob {} present ({} bytes)",
                blob.digest, blob.size
            ));
            return Ok((blob.clone(), false));
        }
        let bytes = blob.read_verified()?;
        let reference = self.reference(None, None);
        let what = format!("uploading blob {} ({} bytes)", blob.digest, blob.size);
        match self
            .client
            .push_blob(&reference, &bytes, &blob.digest)
            .await
        {
            Ok(_) => {}
            // The upload was accepted (201) without the Location header the spec asks for
            // (crane's registry does this): the blob counts as pushed when the registry has it.
            Err(OciDistributionError::RegistryNoLocationError)
                if self.blob_exists(blob).await? => {}
            Err(OciDistributionError::RequestError(source)) => {
                return Err(self.http_error(&what, source))
            }
            Err(other) => return Err(self.registry_error(&what, other)),
        }
        progress(&format!(
            "blob {} uploaded ({} bytes)",
            blob.digest, blob.size
        ));
        Ok((blob.clone(), true))
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

    /// `HEAD /v2/<repo>/blobs/<digest>`: 200 yes, 404 no.
    async fn blob_exists(&self, blob: &Blob) -> Result<bool, PushError> {
        let url = format!("{}/blobs/{}", self.repository_url(), blob.digest);
        let what = format!("checking blob {}", blob.digest);
        let response = self.send(&what, |http| http.head(&url)).await?;
        match response.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            status => Err(self.status_error(&what, status, "")),
        }
    }

    /// `PUT /v2/<repo>/manifests/<tag or digest>` with the manifest's exact bytes. (Not
    /// oci-client's: its 0.15 panics when a registry omits the Location header of a manifest
    /// pushed by digest, as crane's does.)
    async fn put_manifest(
        &self,
        reference: &str,
        bytes: &[u8],
        media_type: &str,
        digest: &str,
    ) -> Result<(), PushError> {
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
        let served = response
            .headers()
            .get("Docker-Content-Digest")
            .and_then(|v| v.to_str().ok());
        match served {
            Some(served) if served != digest => Err(PushError::Readback {
                registry: self.target.registry.clone(),
                reference: format!("{}:{reference}", self.target.name()),
                expected: digest.to_string(),
                actual: served.to_string(),
            }),
            _ => Ok(()),
        }
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
