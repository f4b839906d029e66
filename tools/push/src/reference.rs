//! Registry references: `REGISTRY/REPOSITORY[:TAG][@sha256:HEX]`, parsed with Docker's rules.

use std::fmt;

use thiserror::Error;

/// Docker Hub, as Docker names it when a reference has no registry.
pub const DOCKER_HUB: &str = "docker.io";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReferenceError {
    #[error("empty reference")]
    Empty,
    #[error("reference {reference:?}: {reason}")]
    Invalid { reference: String, reason: String },
}

/// Where to push: a repository of a registry, a tag, and the digest the pushed manifest must
/// have (for `REPO@sha256:...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Host, with the port if any (`127.0.0.1:5000`, `ghcr.io`, `docker.io`).
    pub registry: String,
    /// Repository path (`distroless/static`; Docker Hub's one-part names get `library/`).
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Target {
    /// Parses a reference. A first component with a `.` or a `:`, or `localhost`, is a
    /// registry; otherwise the registry is Docker Hub, as with `docker push`.
    pub fn parse(reference: &str) -> Result<Self, ReferenceError> {
        if reference.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let invalid = |reason: &str| ReferenceError::Invalid {
            reference: reference.to_string(),
            reason: reason.to_string(),
        };
        let (name, digest) = match reference.split_once('@') {
            Some((name, digest)) => {
                check_digest(digest).map_err(|reason| invalid(&reason))?;
                (name, Some(digest.to_string()))
            }
            None => (reference, None),
        };
        // A tag is a ':' after the last '/': a ':' before it belongs to the registry's port.
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => {
                let tag = &name[last_slash + i + 1..];
                check_tag(tag).map_err(|reason| invalid(&reason))?;
                (&name[..last_slash + i], Some(tag.to_string()))
            }
            None => (name, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                check_registry(first).map_err(|reason| invalid(&reason))?;
                (first.to_string(), rest.to_string())
            }
            _ if !name.contains('/') => (DOCKER_HUB.to_string(), format!("library/{name}")),
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let (registry, repository) = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" if !repository.contains('/') => {
                (DOCKER_HUB.to_string(), format!("library/{repository}"))
            }
            "index.docker.io" | "registry-1.docker.io" => (DOCKER_HUB.to_string(), repository),
            _ => (registry, repository),
        };
        check_repository(&repository).map_err(|reason| invalid(&reason))?;
        Ok(Target {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// `REGISTRY/REPOSITORY`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Whether the registry is this machine, which is reached over plain HTTP by default.
    pub fn is_local(&self) -> bool {
        let host = match self.registry.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(v6),
            None => self.registry.split(':').next().unwrap_or(&self.registry),
        };
        host == "localhost" || host == "::1" || host.starts_with("127.")
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// `sha256:` and 64 lowercase hex digits: the only digests this tool computes and checks.
pub fn check_digest(digest: &str) -> Result<(), String> {
    match digest.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "digest {digest:?} is not sha256: and 64 lowercase hex digits"
        )),
    }
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(tag: &str) -> Result<(), String> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tag {tag:?} is not [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}"
        ))
    }
}

fn check_registry(registry: &str) -> Result<(), String> {
    let (host, port) = if let Some(v6) = registry.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, rest)) if !addr.is_empty() => (addr, rest.strip_prefix(':')),
            _ => return Err(format!("registry {registry:?}: unterminated IPv6 address")),
        }
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (registry, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(format!("registry {registry:?} is not HOST[:PORT]"))
    }
}

/// Path components `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`, joined by `/`.
fn check_repository(repository: &str) -> Result<(), String> {
    if repository.is_empty() {
        return Err("no repository".to_string());
    }
    if repository.len() > 255 {
        return Err("repository longer than 255 characters".to_string());
    }
    for component in repository.split('/') {
        let bytes = component.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let mut ok = bytes.first().is_some_and(alnum) && bytes.last().is_some_and(alnum);
        let mut i = 0;
        while ok && i < bytes.len() {
            if alnum(&bytes[i]) {
                i += 1;
                continue;
            }
            // A separator run: ".", "_", "__" or one or more "-".
            let start = i;
            while i < bytes.len() && !alnum(&bytes[i]) {
                i += 1;
            }
            ok = matches!(&component[start..i], "." | "_" | "__")
                || component[start..i].bytes().all(|b| b == b'-');
        }
        if !ok {
            return Err(format!(
                "repository component {component:?} is not lowercase [a-z0-9] words joined by '.', '_', '__' or '-'"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn t(registry: &str, repository: &str, tag: Option<&str>, digest: Option<&str>) -> Target {
        Target {
            registry: registry.into(),
            repository: repository.into(),
            tag: tag.map(Into::into),
            digest: digest.map(Into::into),
        }
    }

    #[test]
    fn registry_port_and_tag() {
        assert_eq!(
            Target::parse("127.0.0.1:5000/distroless/static:latest").unwrap(),
            t("127.0.0.1:5000", "distroless/static", Some("latest"), None)
        );
        assert_eq!(
            Target::parse("ghcr.io/o/r/n:v1.2.3-rc_1").unwrap(),
            t("ghcr.io", "o/r/n", Some("v1.2.3-rc_1"), None)
        );
        assert_eq!(
            Target::parse("localhost/app").unwrap(),
            t("localhost", "app", None, None)
        );
        assert_eq!(
            Target::parse("[::1]:5000/app:x").unwrap(),
            t("[::1]:5000", "app", Some("x"), None)
        );
    }

    #[test]
    fn digest_only_and_both() {
        assert_eq!(
            Target::parse(&format!("localhost:5000/app@{D}")).unwrap(),
            t("localhost:5000", "app", None, Some(D))
        );
        assert_eq!(
            Target::parse(&format!("reg.example/app:1@{D}")).unwrap(),
            t("reg.example", "app", Some("1"), Some(D))
        );
        let r = Target::parse(&format!("reg.example/app:1@{D}")).unwrap();
        assert_eq!(r.to_string(), format!("reg.example/app:1@{D}"));
    }

    #[test]
    fn docker_hub_names() {
        assert_eq!(
            Target::parse("busybox").unwrap(),
            t("docker.io", "library/busybox", None, None)
        );
        assert_eq!(
            Target::parse("me/app:1").unwrap(),
            t("docker.io", "me/app", Some("1"), None)
        );
        assert_eq!(
            Target::parse("index.docker.io/busybox:1").unwrap(),
            t("docker.io", "library/busybox", Some("1"), None)
        );
        assert_eq!(
            Target::parse("docker.io/me/app").unwrap(),
            t("docker.io", "me/app", None, None)
        );
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "reg.example/App:1",
            "reg.example/app:",
            "reg.example/app:-x",
            "reg.example/app:a/b",
            "reg.example/",
            "reg.example/a//b",
            "reg.example/a-",
            "reg.example/a...b",
            "reg.example:port/app",
            "reg.example:5000000/app",
            "reg.example/app@sha256:abc",
            "reg.example/app@sha512:0123",
            &format!("reg.example/app@{}", D.to_uppercase()),
            "reg example/app",
            "[::1/app",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let err = Target::parse("reg.example/App").unwrap_err().to_string();
        assert!(err.contains("\"App\""), "{err}");
    }

    #[test]
    fn separators() {
        for good in ["a.b", "a_b", "a__b", "a-b", "a---b", "a1/b2/c-3.d_e"] {
            assert!(Target::parse(&format!("r.io/{good}")).is_ok(), "{good}");
        }
        for bad in ["a___b", "a._b", "_a", "a.", "a-.b"] {
            assert!(Target::parse(&format!("r.io/{bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_registries() {
        for local in [
            "127.0.0.1:5000/a",
            "localhost:1/a",
            "localhost/a",
            "[::1]:5000/a",
            "127.1.2.3/a",
        ] {
            assert!(Target::parse(local).unwrap().is_local(), "{local}");
        }
        for remote in ["ghcr.io/a", "10.0.0.1:5000/a", "localhost.example/a", "a"] {
            assert!(!Target::parse(remote).unwrap().is_local(), "{remote}");
        }
    }
}
