//! The OCI image-spec documents this crate reads and writes: descriptors, manifests, indexes
//! and image configurations, as plain serde types holding the fields it uses or carries over.
//!
//! Reading, unknown fields are ignored (Docker's configs carry many) and nothing is trusted:
//! digests are strings until [`crate::sha256_hex`] checks them, media types are strings the
//! readers compare. Writing, absent optional fields are left out; everything goes through
//! [`crate::canonical_json`], so the field order here does not matter.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub const SCHEMA_VERSION: u32 = 2;
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// A reference to a blob: its media type, digest and size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

impl Descriptor {
    pub fn new(media_type: &str, digest: &str, size: u64) -> Self {
        Self {
            media_type: media_type.to_string(),
            digest: digest.to_string(),
            size,
            annotations: None,
            platform: None,
        }
    }
}

/// The platform of an image, in an index entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// An image manifest: the config blob and the layers, bottom first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// An image index (`index.json` or a multi-platform image's index blob).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl ImageIndex {
    pub fn new(manifests: Vec<Descriptor>) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            media_type: Some(OCI_INDEX.to_string()),
            manifests,
            annotations: None,
        }
    }
}

/// An image configuration: the platform, what a runtime starts, the layers' diff_ids and
/// history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    pub architecture: String,
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Config>,
    pub rootfs: RootFs,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<History>>,
}

/// What a container of the image runs, and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// A Go `map[string]struct{}` in JSON (`{"443/tcp":{}}`), a sorted set here.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_go_set",
        deserialize_with = "deserialize_go_set"
    )]
    pub exposed_ports: Option<BTreeSet<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

/// The layers' uncompressed digests, bottom first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub typ: String,
    pub diff_ids: Vec<String>,
}

/// One step of an image's history; every field is carried over from a base as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_layer: Option<bool>,
}

#[derive(Serialize, Deserialize)]
struct Empty {}

fn serialize_go_set<S: Serializer>(
    set: &Option<BTreeSet<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    set.as_ref()
        .map(|set| {
            set.iter()
                .map(|key| (key, Empty {}))
                .collect::<BTreeMap<_, _>>()
        })
        .serialize(serializer)
}

fn deserialize_go_set<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeSet<String>>, D::Error> {
    let map = Option::<BTreeMap<String, serde::de::IgnoredAny>>::deserialize(deserializer)?;
    Ok(map.map(|map| map.into_keys().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_docker_config_reads_and_its_ports_write_as_a_go_map() {
        let text = br#"{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
            "container_config":{"Hostname":"x"},"docker_version":"24",
            "config":{"User":"nobody","Env":null,"Volumes":{"/data":{}},
                      "ExposedPorts":{"8080/tcp":{},"53/udp":{}},"Labels":{"b":"2","a":"1"}},
            "rootfs":{"type":"layers","diff_ids":["sha256:00"]},
            "history":[{"created_by":"ADD x","empty_layer":true,"comment":"c"}]}"#;
        let config: ImageConfiguration = serde_json::from_slice(text).unwrap();
        let inner = config.config.clone().unwrap();
        assert_eq!(inner.user.as_deref(), Some("nobody"));
        assert_eq!(inner.env, None);
        let json = String::from_utf8(crate::canonical_json(&config).unwrap()).unwrap();
        assert!(
            json.contains(r#""ExposedPorts":{"53/udp":{},"8080/tcp":{}}"#),
            "{json}"
        );
        assert!(json.contains(r#""Labels":{"a":"1","b":"2"}"#), "{json}");
        assert!(
            json.contains(r#"{"comment":"c","created_by":"ADD x","empty_layer":true}"#),
            "{json}"
        );
        assert!(
            !json.contains("Env") && !json.contains("container_config"),
            "{json}"
        );
    }

    #[test]
    fn required_fields_are_required() {
        for text in [
            r#"{"os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#,
            r#"{"architecture":"amd64","os":"linux"}"#,
        ] {
            assert!(
                serde_json::from_str::<ImageConfiguration>(text).is_err(),
                "{text}"
            );
        }
        let no_size = r#"{"schemaVersion":2,"manifests":[{"mediaType":"a","digest":"b"}]}"#;
        assert!(serde_json::from_str::<ImageIndex>(no_size).is_err());
        let no_layers = r#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"b","size":1}}"#;
        assert!(serde_json::from_str::<ImageManifest>(no_layers).is_err());
    }
}
