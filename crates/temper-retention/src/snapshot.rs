//! What a repository holds, as the planner sees it: tags, and the
//! manifests they and their indexes, signatures and referrers reach, each
//! with the blobs it uses. Built from a registry by [`crate::gather`], or
//! by hand in tests.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use temper_image::Digest;
use temper_image::model::media;

/// One manifest or index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Its media type.
    pub media_type: String,
    /// The size of the document (it is a blob of the registry's storage too).
    pub size: u64,
    /// The config and layers (digest, size); empty for an index.
    pub blobs: Vec<(Digest, u64)>,
    /// An index's entries.
    pub children: Vec<Digest>,
    /// The manifest an OCI 1.1 referrer is about.
    pub subject: Option<Digest>,
    /// Referrers the registry's referrers API lists for it.
    pub referrers: Vec<Digest>,
    /// `created` of its image config, as written (only for image configs).
    pub created: Option<String>,
    /// `artifactType`, or the config's media type for artifacts.
    pub artifact_type: Option<String>,
}

impl Manifest {
    /// Reads a manifest document: media type, blobs, index entries,
    /// subject; `size` is the document's length. The config's `created`
    /// is filled in by whoever reads the config.
    pub fn from_document(bytes: &[u8], content_type: &str) -> Option<Manifest> {
        let doc: Value = serde_json::from_slice(bytes).ok()?;
        let media_type = doc["mediaType"].as_str().filter(|s| !s.is_empty()).unwrap_or(content_type).to_owned();
        let descriptor = |d: &Value| Some((Digest::parse(d["digest"].as_str()?).ok()?, d["size"].as_u64().unwrap_or(0)));
        let mut m = Manifest { size: bytes.len() as u64, ..Manifest::default() };
        if let Some(entries) = doc["manifests"].as_array() {
            m.children = entries.iter().filter_map(descriptor).map(|(d, _)| d).collect();
            m.media_type = if media::is_index(&media_type) { media_type } else { media::OCI_INDEX.to_owned() };
        } else {
            m.blobs = std::iter::once(&doc["config"]).chain(doc["layers"].as_array().into_iter().flatten()).filter_map(descriptor).collect();
            let config_type = doc["config"]["mediaType"].as_str().unwrap_or_default();
            m.artifact_type = doc["artifactType"].as_str().map(str::to_owned).or_else(|| (!is_image_config(config_type)).then(|| config_type.to_owned()));
            m.media_type = media_type;
        }
        m.subject = doc["subject"]["digest"].as_str().and_then(|d| Digest::parse(d).ok());
        Some(m)
    }

    /// Whether it is an index.
    pub fn is_index(&self) -> bool {
        media::is_index(&self.media_type)
    }

    /// The config's digest when it is an image config whose `created` counts.
    pub fn image_config(&self) -> Option<&Digest> {
        if self.is_index() || self.artifact_type.is_some() { None } else { self.blobs.first().map(|(d, _)| d) }
    }
}

/// Whether a config media type is an image's (whose `created` is an age).
pub fn is_image_config(media_type: &str) -> bool {
    media_type == media::OCI_CONFIG || media_type == media::DOCKER_CONFIG
}

/// What a tag of the cosign tag scheme attaches to its subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Accessory {
    /// `sha256-<hex>.sig`.
    Signature,
    /// `sha256-<hex>.att`.
    Attestation,
    /// `sha256-<hex>.sbom`.
    Sbom,
    /// `sha256-<hex>`: the referrers tag-schema index.
    ReferrersIndex,
}

/// The subject and kind of an accessory tag (`sha256-<hex>[.sig|.att|.sbom]`).
pub fn accessory_tag(tag: &str) -> Option<(Digest, Accessory)> {
    let rest = tag.strip_prefix("sha256-")?;
    let (hex, kind) = match rest.split_once('.') {
        Some((hex, "sig")) => (hex, Accessory::Signature),
        Some((hex, "att")) => (hex, Accessory::Attestation),
        Some((hex, "sbom")) => (hex, Accessory::Sbom),
        Some(_) => return None,
        None => (rest, Accessory::ReferrersIndex),
    };
    Digest::parse(&format!("sha256:{hex}")).ok().map(|d| (d, kind))
}

/// One repository.
#[derive(Clone, Debug, Default)]
pub struct Repo {
    /// `host/repository`, for messages.
    pub name: String,
    /// The repository path, which rules' globs match.
    pub repository: String,
    /// Every tag and the digest it names.
    pub tags: BTreeMap<String, Digest>,
    /// Every manifest known: the tags', their indexes' entries, their
    /// referrers, and untagged ones named by the caller.
    pub manifests: BTreeMap<Digest, Manifest>,
    /// Digests the registry said it does not have (an accessory's subject
    /// already deleted, an index entry never pushed).
    pub missing: BTreeSet<Digest>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessory_tags_name_their_subject() {
        let hex = "a".repeat(64);
        let d = Digest::parse(&format!("sha256:{hex}")).unwrap();
        assert_eq!(accessory_tag(&format!("sha256-{hex}.sig")), Some((d.clone(), Accessory::Signature)));
        assert_eq!(accessory_tag(&format!("sha256-{hex}.att")), Some((d.clone(), Accessory::Attestation)));
        assert_eq!(accessory_tag(&format!("sha256-{hex}.sbom")), Some((d.clone(), Accessory::Sbom)));
        assert_eq!(accessory_tag(&format!("sha256-{hex}")), Some((d, Accessory::ReferrersIndex)));
        for other in ["latest", "sha256-abc.sig", &format!("sha256-{hex}.txt"), &format!("sha512-{hex}.sig")] {
            assert_eq!(accessory_tag(other), None, "{other}");
        }
    }

    #[test]
    fn documents_give_blobs_children_and_subject() {
        let sub = format!("sha256:{}", "b".repeat(64));
        let cfg = format!("sha256:{}", "c".repeat(64));
        let doc = format!(r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{cfg}","size":2}},"layers":[],"subject":{{"digest":"{sub}","size":9}}}}"#);
        let m = Manifest::from_document(doc.as_bytes(), "").unwrap();
        assert_eq!(m.subject.as_ref().unwrap().to_string(), sub);
        assert_eq!(m.blobs, vec![(Digest::parse(&cfg).unwrap(), 2)]);
        assert_eq!(m.artifact_type.as_deref(), Some("application/vnd.oci.empty.v1+json"));
        assert!(m.image_config().is_none());
        let index = format!(r#"{{"schemaVersion":2,"manifests":[{{"digest":"{sub}","size":9}}]}}"#);
        let m = Manifest::from_document(index.as_bytes(), "application/vnd.oci.image.index.v1+json").unwrap();
        assert!(m.is_index() && m.blobs.is_empty());
        assert_eq!(m.children.len(), 1);
    }
}
