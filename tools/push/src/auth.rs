//! Registry credentials from Docker's client configuration (`config.json`): `auths` entries
//! (`auth` = base64 of `user:password`, or `username` and `password`), and credential helpers
//! (`credHelpers` per registry, `credsStore` for all), run as `docker-credential-NAME get`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde::Deserialize;
use thiserror::Error;

use crate::reference::DOCKER_HUB;

/// The key Docker uses for Docker Hub in `auths` and when asking credential helpers.
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

#[derive(Debug, Error)]
pub enum AuthError {
    #[error("reading docker config {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("docker config {path} is not valid JSON")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("docker config {path}: auths entry {key:?} for {registry}: {reason}")]
    BadEntry {
        path: PathBuf,
        key: String,
        registry: String,
        reason: String,
    },
    #[error("credential helper docker-credential-{helper} for {registry}: {reason}")]
    Helper {
        helper: String,
        registry: String,
        reason: String,
    },
    #[error(
        "credentials for {registry} ({source_name}) are an identity token, which this tool \
         cannot exchange; use a username and password or access token"
    )]
    IdentityToken {
        registry: String,
        source_name: String,
    },
}

/// Credentials for one registry, and where they came from (for error messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    Anonymous,
    Basic {
        username: String,
        password: String,
        /// e.g. `/root/.docker/config.json` or `docker-credential-pass`.
        source: String,
    },
}

/// The parts of Docker's `config.json` that concern registry credentials.
#[derive(Debug, Default, Deserialize)]
pub struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(skip)]
    path: PathBuf,
    #[serde(skip)]
    helper_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "identitytoken")]
    identity_token: Option<String>,
}

/// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
pub fn default_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

impl DockerConfig {
    /// Reads a config file; a missing file is an empty config (anonymous access).
    pub fn load(path: &Path) -> Result<Self, AuthError> {
        match std::fs::read(path) {
            Ok(bytes) => Self::parse(&bytes, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DockerConfig {
                path: path.to_path_buf(),
                ..Default::default()
            }),
            Err(source) => Err(AuthError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, AuthError> {
        let mut config: DockerConfig =
            serde_json::from_slice(bytes).map_err(|source| AuthError::Parse {
                path: path.to_path_buf(),
                source,
            })?;
        config.path = path.to_path_buf();
        Ok(config)
    }

    /// Looks for `docker-credential-*` helpers in `dir` instead of on `PATH`.
    pub fn with_helper_dir(mut self, dir: &Path) -> Self {
        self.helper_dir = Some(dir.to_path_buf());
        self
    }

    /// The credentials for `registry` (`host[:port]`, or `docker.io`): its credential helper,
    /// else the `credsStore`, else its `auths` entry, else anonymous, as the docker CLI does.
    /// A helper that has no credentials for the registry falls through to `auths`.
    pub fn credentials(&self, registry: &str) -> Result<Credentials, AuthError> {
        let server = helper_server_url(registry);
        let helper = self
            .cred_helpers
            .iter()
            .find(|(key, _)| normalize_key(key) == normalize_registry(registry))
            .map(|(_, helper)| helper)
            .or(self.creds_store.as_ref())
            .filter(|h| !h.is_empty());
        if let Some(helper) = helper {
            let program = format!("docker-credential-{helper}");
            let program = match &self.helper_dir {
                Some(dir) => dir.join(program),
                None => PathBuf::from(program),
            };
            if let Some(credentials) = run_helper(&program, helper, registry, &server)? {
                return Ok(credentials);
            }
        }
        self.from_auths(registry)
    }

    /// The `auths` entry for `registry` alone (no helpers).
    pub fn from_auths(&self, registry: &str) -> Result<Credentials, AuthError> {
        let wanted = normalize_registry(registry);
        // An exact key wins over one that only matches once normalized (e.g. a URL).
        let entry = self.auths.get_key_value(registry).or_else(|| {
            self.auths
                .iter()
                .find(|(key, _)| normalize_key(key) == wanted)
        });
        let Some((key, entry)) = entry else {
            return Ok(Credentials::Anonymous);
        };
        let bad = |reason: String| AuthError::BadEntry {
            path: self.path.clone(),
            key: key.clone(),
            registry: registry.to_string(),
            reason,
        };
        if entry
            .identity_token
            .as_deref()
            .is_some_and(|t| !t.is_empty())
        {
            return Err(AuthError::IdentityToken {
                registry: registry.to_string(),
                source_name: self.path.display().to_string(),
            });
        }
        let (username, password) = match (&entry.auth, &entry.username, &entry.password) {
            (Some(auth), _, _) if !auth.is_empty() => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(auth.trim())
                    .map_err(|e| bad(format!("\"auth\" is not base64: {e}")))?;
                let decoded = String::from_utf8(decoded)
                    .map_err(|_| bad("\"auth\" does not decode to UTF-8 text".to_string()))?;
                let (user, password) = decoded.split_once(':').ok_or_else(|| {
                    bad("\"auth\" does not decode to \"username:password\"".to_string())
                })?;
                (user.to_string(), password.to_string())
            }
            (_, Some(user), Some(password)) if !user.is_empty() => (user.clone(), password.clone()),
            // An empty entry is what `docker login` leaves when a credsStore holds the secret.
            _ => return Ok(Credentials::Anonymous),
        };
        if username.is_empty() {
            return Err(bad("empty username".to_string()));
        }
        Ok(Credentials::Basic {
            username,
            password,
            source: self.path.display().to_string(),
        })
    }
}

/// What a credential helper is asked for: Docker Hub's historical URL, else the host.
fn helper_server_url(registry: &str) -> String {
    if normalize_registry(registry) == DOCKER_HUB {
        DOCKER_HUB_AUTH_KEY.to_string()
    } else {
        registry.to_string()
    }
}

/// Docker Hub's aliases as one name.
fn normalize_registry(registry: &str) -> &str {
    match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB,
        other => other,
    }
}

/// An `auths` or `credHelpers` key as a registry name: without scheme and path, as the
/// docker CLI's `ConvertToHostname`.
fn normalize_key(key: &str) -> &str {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    normalize_registry(key.split('/').next().unwrap_or(key))
}

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// `docker-credential-HELPER get` with the server URL on stdin; `None` when the helper has no
/// credentials for it.
fn run_helper(
    program: &Path,
    helper: &str,
    registry: &str,
    server: &str,
) -> Result<Option<Credentials>, AuthError> {
    let name = format!("docker-credential-{helper}");
    let err = |reason: String| AuthError::Helper {
        helper: helper.to_string(),
        registry: registry.to_string(),
        reason,
    };
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("cannot run {}: {e}", program.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|e| err(format!("writing to {name}: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| err(format!("waiting for {name}: {e}")))?;
    if !out.status.success() {
        let message = [&out.stdout, &out.stderr]
            .iter()
            .map(|b| String::from_utf8_lossy(b).trim().to_string())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        // The helpers' protocol: this text on stdout means "nothing stored for that server".
        if message.contains("credentials not found") {
            return Ok(None);
        }
        return Err(err(format!(
            "{name} get exited with {}: {message}",
            out.status
        )));
    }
    let reply: HelperReply = serde_json::from_slice(&out.stdout)
        .map_err(|e| err(format!("{name} get printed no credentials JSON: {e}")))?;
    if reply.username == "<token>" {
        return Err(AuthError::IdentityToken {
            registry: registry.to_string(),
            source_name: name,
        });
    }
    if reply.username.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials::Basic {
        username: reply.username,
        password: reply.secret,
        source: name,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> DockerConfig {
        DockerConfig::parse(json.as_bytes(), Path::new("/cfg/config.json")).unwrap()
    }

    fn basic(username: &str, password: &str) -> Credentials {
        Credentials::Basic {
            username: username.into(),
            password: password.into(),
            source: "/cfg/config.json".into(),
        }
    }

    #[test]
    fn auth_field_is_base64_user_colon_password() {
        // base64("alice:s3cr:et") - the password may contain ':'.
        let c = config(r#"{"auths": {"127.0.0.1:5000": {"auth": "YWxpY2U6czNjcjpldA=="}}}"#);
        assert_eq!(
            c.credentials("127.0.0.1:5000").unwrap(),
            basic("alice", "s3cr:et")
        );
        assert_eq!(
            c.credentials("127.0.0.1:5001").unwrap(),
            Credentials::Anonymous
        );
    }

    #[test]
    fn username_and_password_fields() {
        let c = config(r#"{"auths": {"reg.example": {"username": "bob", "password": "pw"}}}"#);
        assert_eq!(c.credentials("reg.example").unwrap(), basic("bob", "pw"));
    }

    #[test]
    fn keys_are_normalized_like_the_docker_cli() {
        let c = config(
            r#"{"auths": {
                "https://reg.example/v2/": {"auth": "dTE6cDE="},
                "https://index.docker.io/v1/": {"auth": "aHViOmh1Yg=="},
                "http://plain.example:8080": {"auth": "dTI6cDI="}
            }}"#,
        );
        assert_eq!(c.credentials("reg.example").unwrap(), basic("u1", "p1"));
        assert_eq!(c.credentials("docker.io").unwrap(), basic("hub", "hub"));
        assert_eq!(
            c.credentials("index.docker.io").unwrap(),
            basic("hub", "hub")
        );
        assert_eq!(
            c.credentials("plain.example:8080").unwrap(),
            basic("u2", "p2")
        );
        assert_eq!(
            c.credentials("plain.example").unwrap(),
            Credentials::Anonymous
        );
    }

    #[test]
    fn exact_key_wins() {
        let c = config(
            r#"{"auths": {"https://reg.example": {"auth": "dTE6cDE="}, "reg.example": {"auth": "dTI6cDI="}}}"#,
        );
        assert_eq!(c.credentials("reg.example").unwrap(), basic("u2", "p2"));
    }

    #[test]
    fn empty_and_missing() {
        assert_eq!(
            config("{}").credentials("r.io").unwrap(),
            Credentials::Anonymous
        );
        let c = config(r#"{"auths": {"r.io": {}}, "HttpHeaders": {"X": "y"}}"#);
        assert_eq!(c.credentials("r.io").unwrap(), Credentials::Anonymous);
        let dir = tempfile::tempdir().unwrap();
        let missing = DockerConfig::load(&dir.path().join("config.json")).unwrap();
        assert_eq!(missing.credentials("r.io").unwrap(), Credentials::Anonymous);
    }

    #[test]
    fn load_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"auths": {"r.io": {"auth": "dTE6cDE="}}}"#).unwrap();
        match DockerConfig::load(&path)
            .unwrap()
            .credentials("r.io")
            .unwrap()
        {
            Credentials::Basic {
                username,
                password,
                source,
            } => {
                assert_eq!((username.as_str(), password.as_str()), ("u1", "p1"));
                assert_eq!(source, path.display().to_string());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_entries_name_the_file_and_registry() {
        for (auth, reason) in [
            ("not base64!", "not base64"),
            ("bm9jb2xvbg==", "username:password"), // "nocolon"
            ("OnB3", "empty username"),            // ":pw"
            ("/w==", "UTF-8"),                     // 0xff
        ] {
            let c = config(&format!(r#"{{"auths": {{"r.io": {{"auth": "{auth}"}}}}}}"#));
            let err = c.credentials("r.io").unwrap_err().to_string();
            assert!(err.contains("/cfg/config.json"), "{err}");
            assert!(err.contains("r.io"), "{err}");
            assert!(err.contains(reason), "{auth}: {err}");
        }
        let err = DockerConfig::parse(b"{", Path::new("/cfg/config.json")).unwrap_err();
        assert!(err.to_string().contains("/cfg/config.json"), "{err}");
        let err = DockerConfig::parse(br#"{"auths": []}"#, Path::new("/c")).unwrap_err();
        assert!(matches!(err, AuthError::Parse { .. }), "{err}");
    }

    #[test]
    fn identity_tokens_are_refused() {
        let c = config(r#"{"auths": {"r.io": {"auth": "dTE6cDE=", "identitytoken": "t"}}}"#);
        assert!(matches!(
            c.credentials("r.io"),
            Err(AuthError::IdentityToken { .. })
        ));
    }

    #[test]
    fn missing_helper_is_an_error_naming_it() {
        let c = config(
            r#"{"credHelpers": {"r.io": "debimage-test-no-such-helper"}, "auths": {"r.io": {"auth": "dTE6cDE="}}}"#,
        );
        let err = c.credentials("r.io").unwrap_err().to_string();
        assert!(
            err.contains("docker-credential-debimage-test-no-such-helper"),
            "{err}"
        );
        assert!(err.contains("r.io"), "{err}");
        // Other registries do not use that helper.
        assert_eq!(c.credentials("s.io").unwrap(), Credentials::Anonymous);
    }

    /// A real helper program speaking the protocol: stdin is the server, stdout the JSON.
    fn helper_dir() -> tempfile::TempDir {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("docker-credential-test");
        std::fs::write(
            &script,
            r#"#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
case "$server" in
  r.io) echo '{"ServerURL":"r.io","Username":"helper-user","Secret":"helper-secret"}' ;;
  https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"hub-user","Secret":"hub"}' ;;
  tok.io) echo '{"ServerURL":"tok.io","Username":"<token>","Secret":"t"}' ;;
  broken.io) echo 'no json' ;;
  fail.io) echo 'keychain locked' >&2; exit 3 ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac
"#,
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        dir
    }

    #[test]
    fn credential_helpers() {
        let dir = helper_dir();
        let c = config(
            r#"{"credsStore": "test", "credHelpers": {"other.io": "missing"},
                "auths": {"fallback.io": {"auth": "dTE6cDE="}, "r.io": {}}}"#,
        )
        .with_helper_dir(dir.path());
        let helper = |u: &str, p: &str| Credentials::Basic {
            username: u.into(),
            password: p.into(),
            source: "docker-credential-test".into(),
        };
        assert_eq!(
            c.credentials("r.io").unwrap(),
            helper("helper-user", "helper-secret")
        );
        assert_eq!(
            c.credentials("docker.io").unwrap(),
            helper("hub-user", "hub")
        );
        // Not in the store: the auths entry, then anonymous.
        assert_eq!(c.credentials("fallback.io").unwrap(), basic("u1", "p1"));
        assert_eq!(c.credentials("none.io").unwrap(), Credentials::Anonymous);
        assert!(matches!(
            c.credentials("tok.io"),
            Err(AuthError::IdentityToken { .. })
        ));
        let err = c.credentials("broken.io").unwrap_err().to_string();
        assert!(
            err.contains("docker-credential-test") && err.contains("broken.io"),
            "{err}"
        );
        let err = c.credentials("fail.io").unwrap_err().to_string();
        assert!(err.contains("keychain locked"), "{err}");
        // credHelpers wins over credsStore for its registry.
        let err = c.credentials("other.io").unwrap_err().to_string();
        assert!(err.contains("docker-credential-missing"), "{err}");
    }

    #[test]
    fn helper_urls() {
        assert_eq!(helper_server_url("docker.io"), DOCKER_HUB_AUTH_KEY);
        assert_eq!(helper_server_url("r.io:5000"), "r.io:5000");
    }
}
