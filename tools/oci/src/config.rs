//! The image configuration: what a runtime needs to start a container, plus the layer
//! `diff_id`s and history.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::spec::{Config, History, ImageConfiguration, RootFs};

use crate::Error;

/// Every timestamp of an image: the epoch, for reproducibility.
pub const EPOCH: &str = "1970-01-01T00:00:00Z";

/// What an image target declares. Unset fields are inherited from the base image.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// Go architecture names: amd64, arm64, arm, s390x, ppc64le, riscv64, 386.
    pub architecture: String,
    pub variant: Option<String>,
    #[serde(default)]
    pub env: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub exposed_ports: Vec<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// A layer added by this image: its uncompressed digest and a history line.
#[derive(Debug, Clone)]
pub struct NewLayer {
    pub diff_id: String,
    pub created_by: String,
}

const ARCHITECTURES: [&str; 7] = [
    "amd64", "arm64", "arm", "s390x", "ppc64le", "riscv64", "386",
];

impl ImageSpec {
    fn validate(&self) -> Result<(), Error> {
        if !ARCHITECTURES.contains(&self.architecture.as_str()) {
            return Err(Error::Spec(format!(
                "architecture {:?} is not one of {}",
                self.architecture,
                ARCHITECTURES.join(", ")
            )));
        }
        for e in &self.env {
            if e.split_once('=').is_none_or(|(k, _)| k.is_empty()) {
                return Err(Error::Spec(format!("env entry {e:?} is not NAME=value")));
            }
        }
        for port in &self.exposed_ports {
            let (number, proto) = port.split_once('/').unwrap_or((port, "tcp"));
            if number.parse::<u16>().map_or(true, |n| n == 0)
                || !["tcp", "udp", "sctp"].contains(&proto)
            {
                return Err(Error::Spec(format!(
                    "exposed port {port:?} is not PORT or PORT/tcp|udp|sctp"
                )));
            }
        }
        Ok(())
    }
}

/// The configuration of `spec` on top of `base` (if any) with `layers` added.
pub fn build_config(
    spec: &ImageSpec,
    base: Option<&ImageConfiguration>,
    layers: &[NewLayer],
) -> Result<ImageConfiguration, Error> {
    spec.validate()?;
    let inherited: Config = base.and_then(|b| b.config.clone()).unwrap_or_default();

    let mut env: Vec<String> = inherited.env.unwrap_or_default();
    for entry in &spec.env {
        let name = entry.split('=').next().unwrap_or_default();
        env.retain(|e| e.split('=').next() != Some(name));
        env.push(entry.clone());
    }
    let mut labels = inherited.labels.unwrap_or_default();
    labels.extend(spec.labels.clone());
    let mut ports = inherited.exposed_ports.unwrap_or_default();
    ports.extend(spec.exposed_ports.iter().map(|port| {
        if port.contains('/') {
            port.clone()
        } else {
            format!("{port}/tcp")
        }
    }));
    // A new entrypoint resets an inherited cmd, as Dockerfiles do.
    let cmd = match (&spec.cmd, &spec.entrypoint) {
        (Some(cmd), _) => Some(cmd.clone()),
        (None, Some(_)) => None,
        (None, None) => inherited.cmd,
    };
    let config = Config {
        user: spec.user.clone().or(inherited.user),
        exposed_ports: Some(ports).filter(|p| !p.is_empty()),
        env: Some(env).filter(|e| !e.is_empty()),
        entrypoint: spec.entrypoint.clone().or(inherited.entrypoint),
        cmd,
        working_dir: spec.workdir.clone().or(inherited.working_dir),
        labels: Some(labels).filter(|l| !l.is_empty()),
    };

    let mut diff_ids: Vec<String> = base.map(|b| b.rootfs.diff_ids.clone()).unwrap_or_default();
    let mut history = base.and_then(|b| b.history.clone()).unwrap_or_default();
    for layer in layers {
        diff_ids.push(layer.diff_id.clone());
        history.push(History {
            created: Some(EPOCH.to_string()),
            created_by: Some(layer.created_by.clone()),
            ..Default::default()
        });
    }

    Ok(ImageConfiguration {
        created: Some(EPOCH.to_string()),
        architecture: spec.architecture.clone(),
        os: "linux".to_string(),
        variant: spec.variant.clone(),
        config: Some(config),
        rootfs: RootFs {
            typ: "layers".to_string(),
            diff_ids,
        },
        history: Some(history),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(arch: &str) -> ImageSpec {
        ImageSpec {
            architecture: arch.into(),
            env: vec![
                "PATH=/usr/bin:/bin".into(),
                "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt".into(),
            ],
            user: Some("0".into()),
            workdir: Some("/".into()),
            ..Default::default()
        }
    }

    fn layer(n: u8) -> NewLayer {
        NewLayer {
            diff_id: format!(
                "sha256:{}",
                format!("{n:x}").repeat(64).get(..64).unwrap_or_default()
            ),
            created_by: format!("layer {n}"),
        }
    }

    #[test]
    fn fixed_timestamps_and_history() {
        let config = build_config(&spec("amd64"), None, &[layer(1), layer(2)]).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&crate::canonical_json(&config).unwrap()).unwrap();
        assert_eq!(json["created"], EPOCH);
        assert_eq!(json["os"], "linux");
        assert_eq!(json["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
        assert_eq!(json["history"][1]["created_by"], "layer 2");
        assert_eq!(json["config"]["User"], "0");
        assert!(json["config"].get("Entrypoint").is_none());
    }

    #[test]
    fn inherits_and_overrides_the_base() {
        let base = build_config(&spec("arm64"), None, &[layer(1)]).unwrap();
        let mut child = ImageSpec {
            architecture: "arm64".into(),
            variant: Some("v8".into()),
            ..Default::default()
        };
        child.env = vec!["PATH=/busybox:/usr/bin".into()];
        child.user = Some("65532".into());
        child.entrypoint = Some(vec!["/busybox/sh".into()]);
        let config = build_config(&child, Some(&base), &[layer(2)]).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&crate::canonical_json(&config).unwrap()).unwrap();
        assert_eq!(
            json["config"]["Env"][0],
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
        );
        assert_eq!(json["config"]["Env"][1], "PATH=/busybox:/usr/bin");
        assert_eq!(json["config"]["User"], "65532");
        assert_eq!(json["config"]["WorkingDir"], "/");
        assert_eq!(json["variant"], "v8");
        assert_eq!(json["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
        assert_eq!(json["history"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn same_input_same_bytes_with_many_labels() {
        let mut s = spec("amd64");
        s.labels = (0..50)
            .map(|i| (format!("label{i}"), format!("{i}")))
            .collect();
        s.exposed_ports = vec!["8080".into(), "53/udp".into(), "443/tcp".into()];
        let a = crate::canonical_json(&build_config(&s, None, &[layer(1)]).unwrap()).unwrap();
        let b = crate::canonical_json(&build_config(&s, None, &[layer(1)]).unwrap()).unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        assert!(
            text.contains(r#""ExposedPorts":{"443/tcp":{},"53/udp":{},"8080/tcp":{}}"#),
            "{text}"
        );
    }

    #[test]
    fn rejects_bad_specs() {
        let err = build_config(&spec("x86"), None, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "architecture \"x86\" is not one of amd64, arm64, arm, s390x, ppc64le, riscv64, 386"
        );
        let mut s = spec("amd64");
        s.env = vec!["NOVALUE".into()];
        assert_eq!(
            build_config(&s, None, &[]).unwrap_err().to_string(),
            "env entry \"NOVALUE\" is not NAME=value"
        );
        let mut s = spec("amd64");
        s.exposed_ports = vec!["http".into()];
        assert_eq!(
            build_config(&s, None, &[]).unwrap_err().to_string(),
            "exposed port \"http\" is not PORT or PORT/tcp|udp|sctp"
        );
    }
}
