//! Manifests, indexes and image configs, Docker v2 and OCI in one model.
//!
//! Written here rather than taken from `oci-spec` because temper must read
//! both families with one set of types: Docker's schema 2 media types, the
//! `Healthcheck` and `OnBuild` fields of Docker configs (absent from the OCI
//! config spec) and unknown fields must all survive. Every parse is bounded
//! by a byte limit checked before any JSON is read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::platform::Platform;

/// Media types temper recognises.
pub mod media {
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// Docker schema 2 manifest.
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker manifest list.
    pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
    /// Docker container config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// Docker uncompressed layer (what docker-archive layers are).
    pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
    /// Docker gzip layer.
    pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    /// OCI uncompressed layer.
    pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";

    /// Whether a media type names an index (several manifests).
    pub fn is_index(mt: &str) -> bool {
        mt == OCI_INDEX || mt == DOCKER_LIST
    }

    /// Whether a media type names a single-image manifest.
    pub fn is_manifest(mt: &str) -> bool {
        mt == OCI_MANIFEST || mt == DOCKER_MANIFEST
    }

    /// Whether a media type can name a filesystem layer (any compression,
    /// distributable or not).
    pub fn is_layer(mt: &str) -> bool {
        mt.starts_with("application/vnd.oci.image.layer.")
            || mt.starts_with("application/vnd.docker.image.rootfs.")
            || mt.starts_with("application/vnd.docker.image.rootfs.foreign.")
    }

    /// The compression a layer media type declares, if any.
    pub fn declared_compression(mt: &str) -> Option<&'static str> {
        if mt.ends_with("+gzip") || mt.ends_with(".gzip") {
            Some("gzip")
        } else if mt.ends_with("+zstd") || mt.ends_with(".zstd") {
            Some("zstd")
        } else {
            None
        }
    }
}

/// A content descriptor: what a manifest or index points at.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    #[serde(default)]
    pub media_type: String,
    /// Digest of the referenced content.
    pub digest: Digest,
    /// Size in bytes of the referenced content.
    pub size: u64,
    /// Platform, on index entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Annotations (`org.opencontainers.image.ref.name` names tags in layouts).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image manifest (OCI or Docker schema 2).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// Media type, when the document states it.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The image config blob.
    pub config: Descriptor,
    /// Filesystem layers, base first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// Annotations (`org.opencontainers.image.base.name` names the base).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// An image index or Docker manifest list.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// Media type, when the document states it.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The manifests (or nested indexes).
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

/// Just enough of a manifest-like document to tell what it is.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
    #[serde(default)]
    config: Option<serde_json::Value>,
}

/// A manifest or an index, as found at a reference.
#[derive(Clone, Debug)]
pub enum ManifestKind {
    /// One image.
    Manifest(Box<Manifest>),
    /// Several images (usually one per platform).
    Index(Index),
}

/// The image configuration (OCI `config.json` / Docker container config).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ImageConfig {
    /// CPU architecture.
    #[serde(default)]
    pub architecture: String,
    /// Operating system.
    #[serde(default)]
    pub os: String,
    /// Architecture variant (`v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Creation time as written in the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Runtime defaults.
    #[serde(default)]
    pub config: RuntimeConfig,
    /// The layer diffIDs.
    #[serde(default)]
    pub rootfs: RootFs,
    /// Build history, one entry per instruction (empty layers included).
    #[serde(default)]
    pub history: Vec<History>,
}

/// Runtime defaults of an image (`config` in the config blob).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct RuntimeConfig {
    /// `USER`.
    #[serde(rename = "User", default)]
    pub user: Option<String>,
    /// `ENV`, as `KEY=value`.
    #[serde(rename = "Env", default)]
    pub env: Option<Vec<String>>,
    /// `ENTRYPOINT`.
    #[serde(rename = "Entrypoint", default)]
    pub entrypoint: Option<Vec<String>>,
    /// `CMD`.
    #[serde(rename = "Cmd", default)]
    pub cmd: Option<Vec<String>>,
    /// `WORKDIR`.
    #[serde(rename = "WorkingDir", default)]
    pub working_dir: Option<String>,
    /// `LABEL`s.
    #[serde(rename = "Labels", default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// `EXPOSE`d ports (`80/tcp`).
    #[serde(rename = "ExposedPorts", default)]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    /// `VOLUME`s.
    #[serde(rename = "Volumes", default)]
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    /// `STOPSIGNAL`.
    #[serde(rename = "StopSignal", default)]
    pub stop_signal: Option<String>,
    /// `HEALTHCHECK` (Docker only).
    #[serde(rename = "Healthcheck", default)]
    pub healthcheck: Option<Healthcheck>,
    /// `ONBUILD` triggers (Docker only).
    #[serde(rename = "OnBuild", default)]
    pub on_build: Option<Vec<String>>,
    /// `SHELL` (Docker only).
    #[serde(rename = "Shell", default)]
    pub shell: Option<Vec<String>>,
}

/// A Docker `HEALTHCHECK`; durations are nanoseconds as Docker stores them.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Healthcheck {
    /// `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]`.
    #[serde(rename = "Test", default)]
    pub test: Vec<String>,
    /// Time between checks.
    #[serde(rename = "Interval", default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    /// Time one check may take.
    #[serde(rename = "Timeout", default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    /// Grace period after start.
    #[serde(rename = "StartPeriod", default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<i64>,
    /// Failures before unhealthy.
    #[serde(rename = "Retries", default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
}

/// `rootfs` of a config.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// sha256 of each uncompressed layer tar, base first.
    #[serde(default)]
    pub diff_ids: Vec<Digest>,
}

/// One history entry.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct History {
    /// When the step ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The instruction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// True when the step made no layer (ENV, CMD, …).
    #[serde(default)]
    pub empty_layer: bool,
}

/// A JSON document that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Larger than the configured limit.
    #[error("is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Actual size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Not valid JSON of the expected shape.
    #[error("is not a valid {what}: {source}")]
    Json {
        /// What was expected.
        what: &'static str,
        /// The serde error (with line and column).
        source: serde_json::Error,
    },
    /// Valid JSON but neither a manifest nor an index.
    #[error("is neither an image manifest nor an index (media type '{0}')")]
    NotAManifest(String),
    /// Unsupported schema (Docker schema 1).
    #[error("uses unsupported schemaVersion {0} (only schema 2 manifests and OCI are read)")]
    Schema(u32),
}

/// Checks a document's size against `limit` before anything parses it.
pub fn check_size(len: usize, limit: u64) -> Result<(), ParseError> {
    if len as u64 > limit {
        return Err(ParseError::TooLarge { size: len as u64, limit });
    }
    Ok(())
}

fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], limit: u64, what: &'static str) -> Result<T, ParseError> {
    check_size(bytes.len(), limit)?;
    serde_json::from_slice(bytes).map_err(|source| ParseError::Json { what, source })
}

/// Parses a manifest or an index, deciding by the declared media type
/// (`hint`, e.g. a descriptor's or a Content-Type header) and the document.
pub fn parse_manifest_or_index(bytes: &[u8], hint: Option<&str>, limit: u64) -> Result<ManifestKind, ParseError> {
    let probe: Probe = parse_json(bytes, limit, "manifest")?;
    let mt = probe.media_type.as_deref().or(hint).unwrap_or("");
    let kind = if media::is_index(mt) || (mt.is_empty() || !media::is_manifest(mt)) && probe.manifests.is_some() {
        ManifestKind::Index(parse_json(bytes, limit, "image index")?)
    } else if media::is_manifest(mt) || probe.config.is_some() {
        ManifestKind::Manifest(Box::new(parse_json(bytes, limit, "image manifest")?))
    } else {
        return Err(ParseError::NotAManifest(mt.to_owned()));
    };
    let schema = match &kind {
        ManifestKind::Index(i) => i.schema_version,
        ManifestKind::Manifest(m) => m.schema_version,
    };
    if schema != 2 {
        return Err(ParseError::Schema(schema));
    }
    Ok(kind)
}

/// Parses an image config blob.
pub fn parse_config(bytes: &[u8], limit: u64) -> Result<ImageConfig, ParseError> {
    parse_json(bytes, limit, "image config")
}

/// Parses any bounded JSON document (layout `index.json`, `manifest.json`…).
pub fn parse_document<T: serde::de::DeserializeOwned>(bytes: &[u8], limit: u64, what: &'static str) -> Result<T, ParseError> {
    parse_json(bytes, limit, what)
}

impl ImageConfig {
    /// Lines history up with the layers: for each layer, the index of the
    /// non-empty history entry that made it. Layers beyond the history get
    /// `None`; surplus non-empty history entries are ignored.
    pub fn layer_history(&self, layer_count: usize) -> Vec<Option<usize>> {
        let mut out = Vec::with_capacity(layer_count);
        let mut entries = self.history.iter().enumerate().filter(|(_, h)| !h.empty_layer);
        for _ in 0..layer_count {
            out.push(entries.next().map(|(i, _)| i));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn tells_index_from_manifest() {
        let idx = format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{}","digest":"{D}","size":1,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#, media::OCI_MANIFEST);
        match parse_manifest_or_index(idx.as_bytes(), None, 1 << 20).unwrap() {
            ManifestKind::Index(i) => assert_eq!(i.manifests[0].platform.as_ref().unwrap().to_string(), "linux/arm64/v8"),
            ManifestKind::Manifest(_) => panic!("index read as manifest"),
        }
        let man = format!(r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"x","digest":"{D}","size":2}},"layers":[]}}"#, media::DOCKER_MANIFEST);
        assert!(matches!(parse_manifest_or_index(man.as_bytes(), None, 1 << 20).unwrap(), ManifestKind::Manifest(_)));
    }

    #[test]
    fn rejects_schema1_oversize_and_garbage() {
        let s1 = br#"{"schemaVersion":1,"config":{"digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":1}}"#;
        assert!(matches!(parse_manifest_or_index(s1, None, 1 << 20), Err(ParseError::Schema(1))));
        assert!(matches!(parse_manifest_or_index(s1, None, 10), Err(ParseError::TooLarge { .. })));
        assert!(matches!(parse_manifest_or_index(b"{", None, 100), Err(ParseError::Json { .. })));
        assert!(matches!(parse_manifest_or_index(b"{}", None, 100), Err(ParseError::NotAManifest(_))));
        let bad_digest = br#"{"schemaVersion":2,"config":{"digest":"sha256:zz","size":1},"layers":[]}"#;
        assert!(matches!(parse_manifest_or_index(bad_digest, None, 1 << 20), Err(ParseError::Json { .. })));
    }

    #[test]
    fn history_lines_up_with_layers() {
        let cfg: ImageConfig = serde_json::from_str(
            r#"{"history":[{"created_by":"ADD a"},{"created_by":"ENV x","empty_layer":true},{"created_by":"RUN b"},{"created_by":"CMD","empty_layer":true}]}"#,
        )
        .unwrap();
        assert_eq!(cfg.layer_history(2), vec![Some(0), Some(2)]);
        assert_eq!(cfg.layer_history(3), vec![Some(0), Some(2), None]);
    }
}
