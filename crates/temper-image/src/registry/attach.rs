//! What is attached to an image in its registry: signatures, attestations
//! and SBOMs, found and added the two ways cosign and its verifiers use.
//!
//! - **Tags** (cosign's legacy scheme): `sha256-<hex>.sig` and `.att` name an
//!   image manifest whose layers each hold one payload, the signature in
//!   the layer's annotations. A new signature is a new layer; the manifest
//!   is read again after writing, and a concurrent writer's layers are
//!   merged back in until both are there.
//! - **Referrers** (OCI 1.1): an artifact manifest with a `subject`, found
//!   through `GET /v2/<name>/referrers/<digest>`. A registry without that
//!   API (it answers 404, and no `OCI-Subject` header on the `PUT`) gets
//!   the tag-schema index `sha256-<hex>` instead, maintained the same way:
//!   read, add, write, read back, merge again if another writer's entry went
//!   missing.
//!
//! Nothing here checks a signature: callers (temper-trust through
//! temper-verdict) get the bytes and decide.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use ureq::http::Method;

use super::RegistryOptions;
use super::client::{Client, reason_of};
use super::push::{PushOptions, Pusher};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::reference::RegistryRef;

/// The OCI empty descriptor's content (`{}`), the config of artifact manifests.
pub const EMPTY_CONFIG: &[u8] = b"{}";
/// Its media type.
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// Manifests, indexes and attached blobs read are refused above this.
const LIMIT: u64 = 4 << 20;
/// Rounds of read-merge-write before a concurrent writer is given up on.
const ROUNDS: usize = 8;

/// Where an attachment was found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Found {
    /// A layer of the `sha256-<hex>.<suffix>` tag's manifest.
    Tag(String),
    /// A referrer manifest, by digest.
    Referrer(String),
}

/// One layer of a legacy `.sig`/`.att` manifest and its bytes.
#[derive(Clone, Debug)]
pub struct TagLayer {
    /// The layer's media type.
    pub media_type: String,
    /// Its digest.
    pub digest: Digest,
    /// Its annotations (the signature, certificate, bundle).
    pub annotations: BTreeMap<String, String>,
    /// The payload, checked against the digest.
    pub bytes: Vec<u8>,
}

/// A referrer: its manifest's artifact type and annotations, and its layers' bytes.
#[derive(Clone, Debug)]
pub struct Referrer {
    /// The referrer manifest's digest.
    pub digest: Digest,
    /// `artifactType` (or the config's media type, as the spec says to fall back).
    pub artifact_type: String,
    /// The manifest's annotations.
    pub annotations: BTreeMap<String, String>,
    /// Each layer: media type and bytes (checked against their digests).
    pub layers: Vec<(String, Vec<u8>)>,
}

/// A repository's attachments, read and written.
pub struct Attachments {
    pusher: Pusher,
    target: RegistryRef,
}

/// Reads away a small answer's body (a 404's error JSON): ureq returns a
/// connection to its pool only once the body is read, and a verifier that
/// keeps its connection warm would otherwise open a new one for each lookup
/// of an absent tag.
fn drain(resp: &mut ureq::http::Response<ureq::Body>) {
    let _ = resp.body_mut().with_config().limit(64 * 1024).read_to_vec();
}

fn tag_of(subject: &Digest, suffix: Option<&str>) -> String {
    let base = subject.to_string().replacen(':', "-", 1);
    match suffix {
        Some(s) => format!("{base}.{s}"),
        None => base,
    }
}

impl Attachments {
    /// Connects to `target`'s repository (read and write scopes).
    pub fn new(target: &RegistryRef, registry: &RegistryOptions) -> Result<Self> {
        Ok(Attachments { pusher: Pusher::new(target, registry, PushOptions::default())?, target: target.clone() })
    }

    fn client(&self) -> &Client {
        self.pusher.client()
    }

    /// The digest of what `reference` (a tag or a `sha256:…` digest) names
    /// in the repository, from the manifest read; a digest reference must
    /// match what came back.
    pub fn resolve(&self, reference: &str) -> Result<Digest> {
        let (bytes, _, _) = self.client().manifest(reference, LIMIT)?;
        let digest = Digest::sha256_of(&bytes);
        if let Ok(expected) = Digest::parse(reference)
            && expected != digest
        {
            let what = self.client().url(&format!("{}/manifests/{reference}", self.target.repository));
            return Err(Error::DigestMismatch { what, expected: expected.to_string(), actual: digest.to_string() });
        }
        Ok(digest)
    }

    /// A manifest by tag or digest, or `None` when the registry has none.
    fn manifest(&self, reference: &str) -> Result<Option<Value>> {
        let url = self.client().url(&format!("{}/manifests/{reference}", self.target.repository));
        let accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json";
        let mut resp = self.client().call(Method::GET, &url, &[("Accept", accept)], None, true)?;
        if resp.status().as_u16() == 404 {
            drain(&mut resp);
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(Error::Registry { url, reason: reason_of(&mut resp) });
        }
        let body = resp.body_mut().with_config().limit(LIMIT).read_to_vec().map_err(|e| Error::Registry { url: url.clone(), reason: format!("over {LIMIT} bytes or unreadable: {e}") })?;
        serde_json::from_slice(&body).map(Some).map_err(|e| Error::Registry { url, reason: format!("not a JSON manifest ({e})") })
    }

    /// A blob, checked against its digest.
    fn blob(&self, digest: &str) -> Result<Vec<u8>> {
        let bytes = self.client().blob_bytes(digest, LIMIT)?;
        let parsed = Digest::parse(digest).map_err(|e| Error::Registry { url: self.client().url(&format!("{}/blobs/{digest}", self.target.repository)), reason: e.to_string() })?;
        if !parsed.matches(&bytes) {
            return Err(Error::DigestMismatch { what: format!("{}: blob {digest}", self.target), expected: digest.to_owned(), actual: Digest::sha256_of(&bytes).to_string() });
        }
        Ok(bytes)
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<Digest> {
        let digest = Digest::sha256_of(bytes);
        let owned = bytes.to_vec();
        self.pusher.push_blob(&digest, bytes.len() as u64, &move || Ok(Box::new(std::io::Cursor::new(owned.clone()))))?;
        Ok(digest)
    }

    /// Whether `tag` still holds what was written, read twice: right away
    /// and after a short random pause, so that a writer who read before
    /// this write and writes after the first look is caught by the second.
    fn settled(&self, tag: &str, holds: impl Fn(&Value) -> bool) -> Result<bool> {
        for pause in [0, 40 + fastrand::u64(0..80)] {
            std::thread::sleep(std::time::Duration::from_millis(pause));
            if !self.manifest(tag)?.is_some_and(|m| holds(&m)) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The layers of `sha256-<hex>.<suffix>` (`sig` or `att`); empty when the tag is absent.
    pub fn tag_layers(&self, subject: &Digest, suffix: &str) -> Result<Vec<TagLayer>> {
        let Some(manifest) = self.manifest(&tag_of(subject, Some(suffix)))? else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for layer in manifest["layers"].as_array().into_iter().flatten() {
            let digest = layer["digest"].as_str().unwrap_or_default();
            let bytes = self.blob(digest)?;
            out.push(TagLayer {
                media_type: layer["mediaType"].as_str().unwrap_or_default().to_owned(),
                digest: Digest::sha256_of(&bytes),
                annotations: serde_json::from_value(layer["annotations"].clone()).unwrap_or_default(),
                bytes,
            });
        }
        Ok(out)
    }

    /// Adds a layer to `sha256-<hex>.<suffix>`, keeping the layers already
    /// there (an identical one is not added twice).
    pub fn append_tag_layer(&self, subject: &Digest, suffix: &str, payload: &[u8], media_type: &str, annotations: &BTreeMap<String, String>) -> Result<()> {
        let tag = tag_of(subject, Some(suffix));
        let digest = self.put_blob(payload)?;
        let layer = json!({ "mediaType": media_type, "digest": digest.to_string(), "size": payload.len(), "annotations": annotations });
        for _ in 0..ROUNDS {
            let existing: Vec<Value> = self.manifest(&tag)?.and_then(|m| m["layers"].as_array().cloned()).unwrap_or_default();
            if existing.contains(&layer) {
                return Ok(());
            }
            let mut layers = existing;
            layers.push(layer.clone());
            // cosign's signature images carry a config naming their layers as diffIDs.
            let diff_ids: Vec<&str> = layers.iter().filter_map(|l| l["digest"].as_str()).collect();
            let config = serde_json::to_vec(&json!({
                "architecture": "", "os": "", "created": "0001-01-01T00:00:00Z",
                "config": {}, "rootfs": { "type": "layers", "diff_ids": diff_ids },
            }))
            .unwrap_or_default();
            let config_digest = self.put_blob(&config)?;
            let manifest = json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest.to_string(), "size": config.len() },
                "layers": layers,
            });
            self.pusher.put_manifest(&serde_json::to_vec(&manifest).unwrap_or_default(), "application/vnd.oci.image.manifest.v1+json", &tag)?;
            // Another writer may have replaced the manifest meanwhile: look again.
            if self.settled(&tag, |m| m["layers"].as_array().is_some_and(|l| l.contains(&layer)))? {
                return Ok(());
            }
        }
        Err(Error::Registry { url: self.client().url(&format!("{}/manifests/{tag}", self.target.repository)), reason: format!("another writer kept replacing the tag; {ROUNDS} attempts to add a layer failed, try again") })
    }

    /// The referrers of `subject` (descriptors as the referrers API or the
    /// tag-schema index lists them), and whether the API answered.
    fn referrer_descriptors(&self, subject: &Digest) -> Result<(Vec<Value>, bool)> {
        let url = self.client().url(&format!("{}/referrers/{subject}", self.target.repository));
        let mut resp = self.client().call(Method::GET, &url, &[("Accept", "application/vnd.oci.image.index.v1+json")], None, true)?;
        match resp.status().as_u16() {
            200 => {
                let body = resp.body_mut().with_config().limit(LIMIT).read_to_vec().map_err(|e| Error::Registry { url: url.clone(), reason: format!("over {LIMIT} bytes or unreadable: {e}") })?;
                let index: Value = serde_json::from_slice(&body).map_err(|e| Error::Registry { url, reason: format!("not a JSON index ({e})") })?;
                Ok((index["manifests"].as_array().cloned().unwrap_or_default(), true))
            }
            404 => {
                drain(&mut resp);
                Ok((self.manifest(&tag_of(subject, None))?.and_then(|m| m["manifests"].as_array().cloned()).unwrap_or_default(), false))
            }
            _ => Err(Error::Registry { url, reason: reason_of(&mut resp) }),
        }
    }

    /// Every referrer of `subject` with its layers' bytes.
    pub fn referrers(&self, subject: &Digest) -> Result<Vec<Referrer>> {
        let (descriptors, _) = self.referrer_descriptors(subject)?;
        let mut out = Vec::new();
        for d in descriptors {
            let Some(digest) = d["digest"].as_str() else { continue };
            let Some(manifest) = self.manifest(digest)? else { continue };
            // The referrers API lists what names the subject; a tag-schema index is anyone's to write.
            if manifest["subject"]["digest"].as_str() != Some(&subject.to_string()) {
                continue;
            }
            let artifact_type = manifest["artifactType"].as_str().or(manifest["config"]["mediaType"].as_str()).unwrap_or_default().to_owned();
            let mut layers = Vec::new();
            for layer in manifest["layers"].as_array().into_iter().flatten() {
                layers.push((layer["mediaType"].as_str().unwrap_or_default().to_owned(), self.blob(layer["digest"].as_str().unwrap_or_default())?));
            }
            out.push(Referrer { digest: Digest::parse(digest).map_err(|e| Error::Registry { url: self.target.to_string(), reason: e.to_string() })?, artifact_type, annotations: serde_json::from_value(manifest["annotations"].clone()).unwrap_or_default(), layers });
        }
        Ok(out)
    }

    /// Attaches `blob` to the manifest `subject` (digest, media type,
    /// size) as an OCI 1.1 referrer of `artifact_type`; returns the
    /// referrer manifest's digest.
    pub fn attach_referrer(&self, subject: (&Digest, &str, u64), artifact_type: &str, blob: &[u8], blob_media_type: &str, annotations: &BTreeMap<String, String>) -> Result<Digest> {
        let (subject_digest, subject_type, subject_size) = subject;
        let blob_digest = self.put_blob(blob)?;
        self.put_blob(EMPTY_CONFIG)?;
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": artifact_type,
            "config": { "mediaType": EMPTY_MEDIA_TYPE, "digest": Digest::sha256_of(EMPTY_CONFIG).to_string(), "size": EMPTY_CONFIG.len() },
            "layers": [{ "mediaType": blob_media_type, "digest": blob_digest.to_string(), "size": blob.len() }],
            "subject": { "mediaType": subject_type, "digest": subject_digest.to_string(), "size": subject_size },
        });
        if !annotations.is_empty() {
            manifest["annotations"] = json!(annotations);
        }
        let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
        let digest = Digest::sha256_of(&bytes);
        let url = self.client().url(&format!("{}/manifests/{digest}", self.target.repository));
        let mut resp = self.client().call(Method::PUT, &url, &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")], Some(&bytes), true)?;
        if !resp.status().is_success() {
            return Err(Error::Registry { url, reason: reason_of(&mut resp) });
        }
        if resp.headers().contains_key("oci-subject") {
            return Ok(digest);
        }
        // No referrers API: the tag-schema index lists it.
        let (_, api) = self.referrer_descriptors(subject_digest)?;
        if api {
            return Ok(digest);
        }
        let mut entry = json!({ "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest.to_string(), "size": bytes.len(), "artifactType": artifact_type });
        if !annotations.is_empty() {
            entry["annotations"] = json!(annotations);
        }
        let tag = tag_of(subject_digest, None);
        for _ in 0..ROUNDS {
            let mut entries: Vec<Value> = self.manifest(&tag)?.and_then(|m| m["manifests"].as_array().cloned()).unwrap_or_default();
            if entries.iter().any(|e| e["digest"] == entry["digest"]) {
                return Ok(digest);
            }
            entries.push(entry.clone());
            let index = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries });
            self.pusher.put_manifest(&serde_json::to_vec(&index).unwrap_or_default(), "application/vnd.oci.image.index.v1+json", &tag)?;
            if self.settled(&tag, |m| m["manifests"].as_array().is_some_and(|m| m.iter().any(|e| e["digest"] == entry["digest"])))? {
                return Ok(digest);
            }
        }
        Err(Error::Registry { url: self.client().url(&format!("{}/manifests/{tag}", self.target.repository)), reason: format!("another writer kept replacing the referrers tag; {ROUNDS} attempts failed, try again") })
    }
}
