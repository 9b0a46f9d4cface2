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
//! An OCI image layout keeps the same tags as `org.opencontainers.image.ref.name`
//! entries of its `index.json` (as `cosign save` writes them), rewritten
//! whole under a lock file, so concurrent writers on one machine queue.
//!
//! Nothing here checks a signature: callers (temper-trust through
//! temper-verdict) get the bytes and decide.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use ureq::http::Method;

use super::RegistryOptions;
use super::client::reason_of;
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

/// A repository's (or a layout's) attachments, read and written.
pub struct Attachments {
    backend: Backend,
}

enum Backend {
    Registry { pusher: Box<Pusher>, target: RegistryRef },
    Layout { dir: PathBuf },
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

const REF_NAME: &str = "org.opencontainers.image.ref.name";

fn layout_error(dir: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Format { path: dir.to_owned(), reason: reason.to_string() }
}

impl Attachments {
    /// Connects to `target`'s repository (read and write scopes).
    pub fn new(target: &RegistryRef, registry: &RegistryOptions) -> Result<Self> {
        Ok(Attachments { backend: Backend::Registry { pusher: Box::new(Pusher::new(target, registry, PushOptions::default())?), target: target.clone() } })
    }

    /// The OCI image layout at `dir`.
    pub fn layout(dir: &Path) -> Result<Self> {
        if !dir.join("index.json").is_file() {
            return Err(layout_error(dir, "not an OCI image layout (no index.json)"));
        }
        Ok(Attachments { backend: Backend::Layout { dir: dir.to_owned() } })
    }

    /// Where, for messages.
    fn place(&self, what: &str) -> String {
        match &self.backend {
            Backend::Registry { pusher, target } => pusher.client().url(&format!("{}/{what}", target.repository)),
            Backend::Layout { dir } => format!("{} ({what})", dir.display()),
        }
    }

    fn layout_blob_path(dir: &Path, digest: &Digest) -> PathBuf {
        dir.join("blobs").join(digest.to_string().split(':').next().unwrap_or("sha256")).join(digest.hex())
    }

    fn read_index(dir: &Path) -> Result<Value> {
        let text = std::fs::read(dir.join("index.json")).map_err(|source| Error::Io { path: dir.join("index.json"), source })?;
        serde_json::from_slice(&text).map_err(|e| layout_error(&dir.join("index.json"), format!("not JSON ({e})")))
    }

    /// The digest of what `reference` (a tag or a `sha256:…` digest) names
    /// in the registry, from the manifest read; a digest reference must
    /// match what came back. A layout's tags are read with the image.
    pub fn resolve(&self, reference: &str) -> Result<Digest> {
        let Backend::Registry { pusher, .. } = &self.backend else {
            return Err(Error::Select { image: self.place(reference), reason: "a layout's manifests are resolved when the image is opened, not here".into() });
        };
        let digest = Digest::sha256_of(&pusher.client().manifest(reference, LIMIT)?.0);
        if let Ok(expected) = Digest::parse(reference)
            && expected != digest
        {
            return Err(Error::DigestMismatch { what: self.place(&format!("manifests/{reference}")), expected: expected.to_string(), actual: digest.to_string() });
        }
        Ok(digest)
    }

    /// A manifest by tag or digest, or `None` when there is none.
    fn manifest(&self, reference: &str) -> Result<Option<Value>> {
        let (client, target) = match &self.backend {
            Backend::Registry { pusher, target } => (pusher.client(), target),
            Backend::Layout { dir } => {
                let digest = match Digest::parse(reference) {
                    Ok(d) => d,
                    Err(_) => {
                        let index = Self::read_index(dir)?;
                        let found = index["manifests"].as_array().into_iter().flatten().find(|m| m["annotations"][REF_NAME].as_str() == Some(reference)).and_then(|m| m["digest"].as_str()).map(str::to_owned);
                        match found.map(|d| Digest::parse(&d)) {
                            Some(Ok(d)) => d,
                            Some(Err(e)) => return Err(layout_error(dir, format!("index.json names a bad digest ({e})"))),
                            None => return Ok(None),
                        }
                    }
                };
                let path = Self::layout_blob_path(dir, &digest);
                if !path.is_file() {
                    return Ok(None);
                }
                let bytes = self.blob(&digest.to_string())?;
                return serde_json::from_slice(&bytes).map(Some).map_err(|e| layout_error(&path, format!("not a JSON manifest ({e})")));
            }
        };
        let url = client.url(&format!("{}/manifests/{reference}", target.repository));
        let accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json";
        let mut resp = client.call(Method::GET, &url, &[("Accept", accept)], None, true)?;
        // A registry that rewrites a tag's link in place (distribution's
        // filesystem driver) answers 500 to a read that meets another
        // signer's half-written tag; the next read sees it whole.
        let mut tries = 1;
        while resp.status().as_u16() == 500 && tries < ROUNDS {
            drain(&mut resp);
            std::thread::sleep(std::time::Duration::from_millis(fastrand::u64(10..100)));
            resp = client.call(Method::GET, &url, &[("Accept", accept)], None, true)?;
            tries += 1;
        }
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
        let parsed = Digest::parse(digest).map_err(|e| Error::Registry { url: self.place(&format!("blobs/{digest}")), reason: e.to_string() })?;
        let bytes = match &self.backend {
            Backend::Registry { pusher, .. } => pusher.client().blob_bytes(digest, LIMIT)?,
            Backend::Layout { dir } => {
                let path = Self::layout_blob_path(dir, &parsed);
                let file = std::fs::File::open(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(file, LIMIT + 1), &mut bytes).map_err(|source| Error::Io { path: path.clone(), source })?;
                if bytes.len() as u64 > LIMIT {
                    return Err(layout_error(&path, format!("over {LIMIT} bytes")));
                }
                bytes
            }
        };
        if !parsed.matches(&bytes) {
            return Err(Error::DigestMismatch { what: self.place(&format!("blobs/{digest}")), expected: digest.to_owned(), actual: Digest::sha256_of(&bytes).to_string() });
        }
        Ok(bytes)
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<Digest> {
        let digest = Digest::sha256_of(bytes);
        match &self.backend {
            Backend::Registry { pusher, .. } => {
                let owned = bytes.to_vec();
                pusher.push_blob(&digest, bytes.len() as u64, &move || Ok(Box::new(std::io::Cursor::new(owned.clone()))))?;
            }
            Backend::Layout { dir } => {
                let path = Self::layout_blob_path(dir, &digest);
                if !path.is_file() {
                    write_atomically(&path, bytes)?;
                }
            }
        }
        Ok(digest)
    }

    /// Writes a manifest (or index) under its digest and, with `tag`, names it by that tag.
    fn put_manifest(&self, bytes: &[u8], media_type: &str, tag: Option<&str>) -> Result<()> {
        match &self.backend {
            Backend::Registry { pusher, .. } => {
                let reference = tag.map_or_else(|| Digest::sha256_of(bytes).to_string(), str::to_owned);
                pusher.put_manifest(bytes, media_type, &reference).map(drop)
            }
            Backend::Layout { dir } => {
                let digest = self.put_blob(bytes)?;
                let Some(tag) = tag else { return Ok(()) };
                let lock_path = dir.join("index.json.lock");
                let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(|source| Error::Io { path: lock_path.clone(), source })?;
                lock.lock().map_err(|source| Error::Io { path: lock_path.clone(), source })?;
                let mut index = Self::read_index(dir)?;
                let entry = json!({ "mediaType": media_type, "digest": digest.to_string(), "size": bytes.len(), "annotations": { REF_NAME: tag } });
                let manifests = index["manifests"].as_array_mut().ok_or_else(|| layout_error(&dir.join("index.json"), "has no manifests list"))?;
                manifests.retain(|m| m["annotations"][REF_NAME].as_str() != Some(tag));
                manifests.push(entry);
                let written = write_atomically(&dir.join("index.json"), &serde_json::to_vec(&index).unwrap_or_default());
                let _ = std::fs::File::unlock(&lock);
                written
            }
        }
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

    /// The manifest of `sha256-<hex>.<suffix>` (`sig`, `att`, `sbom`), unverified, for listing.
    pub fn tag_manifest(&self, subject: &Digest, suffix: &str) -> Result<Option<Value>> {
        self.manifest(&tag_of(subject, Some(suffix)))
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
        let layer = json!({ "mediaType": media_type, "digest": Digest::sha256_of(payload).to_string(), "size": payload.len(), "annotations": annotations });
        for round in 0..ROUNDS {
            if round > 0 {
                std::thread::sleep(std::time::Duration::from_millis(fastrand::u64(10..100)));
            }
            // Signers of one image upload the same payload at once; a registry
            // may lose one of the racing uploads (or answer 500 while another
            // writes the same blob's link), so each round uploads again (a
            // HEAD when it is there) and a failed upload is another round.
            if let Err(e) = self.put_blob(payload) {
                if round + 1 == ROUNDS {
                    return Err(e);
                }
                continue;
            }
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
            let config_digest = match self.put_blob(&config) {
                Ok(d) => d,
                Err(e) if round + 1 == ROUNDS => return Err(e),
                Err(_) => continue,
            };
            let manifest = json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest.to_string(), "size": config.len() },
                "layers": layers,
            });
            if let Err(e) = self.put_manifest(&serde_json::to_vec(&manifest).unwrap_or_default(), "application/vnd.oci.image.manifest.v1+json", Some(&tag)) {
                if round + 1 == ROUNDS {
                    return Err(e);
                }
                continue;
            }
            // Another writer may have replaced the manifest meanwhile: look again.
            if self.settled(&tag, |m| m["layers"].as_array().is_some_and(|l| l.contains(&layer)))? {
                return Ok(());
            }
        }
        Err(Error::Registry { url: self.place(&format!("manifests/{tag}")), reason: format!("another writer kept replacing the tag; {ROUNDS} attempts to add a layer failed, try again") })
    }

    /// The referrers of `subject` (descriptors as the referrers API or the
    /// tag-schema index lists them), and whether the API answered.
    /// The referrers of `subject` as descriptors (unverified, for listing),
    /// and whether the registry's referrers API gave them (else the
    /// tag-schema index did).
    pub fn referrer_descriptors(&self, subject: &Digest) -> Result<(Vec<Value>, bool)> {
        let fallback = |s: &Self| -> Result<(Vec<Value>, bool)> { Ok((s.manifest(&tag_of(subject, None))?.and_then(|m| m["manifests"].as_array().cloned()).unwrap_or_default(), false)) };
        let Backend::Registry { pusher, target } = &self.backend else { return fallback(self) };
        let client = pusher.client();
        let url = client.url(&format!("{}/referrers/{subject}", target.repository));
        let mut resp = client.call(Method::GET, &url, &[("Accept", "application/vnd.oci.image.index.v1+json")], None, true)?;
        match resp.status().as_u16() {
            200 => {
                let body = resp.body_mut().with_config().limit(LIMIT).read_to_vec().map_err(|e| Error::Registry { url: url.clone(), reason: format!("over {LIMIT} bytes or unreadable: {e}") })?;
                let index: Value = serde_json::from_slice(&body).map_err(|e| Error::Registry { url, reason: format!("not a JSON index ({e})") })?;
                Ok((index["manifests"].as_array().cloned().unwrap_or_default(), true))
            }
            404 => {
                drain(&mut resp);
                fallback(self)
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
            out.push(Referrer { digest: Digest::parse(digest).map_err(|e| Error::Registry { url: self.place("referrers"), reason: e.to_string() })?, artifact_type, annotations: serde_json::from_value(manifest["annotations"].clone()).unwrap_or_default(), layers });
        }
        Ok(out)
    }

    /// Attaches `blob` to the manifest `subject` (digest, media type,
    /// size) as an OCI 1.1 referrer of `artifact_type`; returns the
    /// referrer manifest's digest.
    pub fn attach_referrer(&self, subject: (&Digest, &str, u64), artifact_type: &str, blob: &[u8], blob_media_type: &str, annotations: &BTreeMap<String, String>) -> Result<Digest> {
        let (subject_digest, subject_type, subject_size) = subject;
        let blob_digest = Digest::sha256_of(blob);
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
        // Every writer uploads the same empty config; a registry may lose
        // one of two racing uploads of a blob, so a refused manifest is
        // tried again after uploading its blobs again.
        let mut round = 0;
        loop {
            if let Err(e) = self.put_blob(blob).and_then(|_| self.put_blob(EMPTY_CONFIG)) {
                round += 1;
                if round == ROUNDS {
                    return Err(e);
                }
                std::thread::sleep(std::time::Duration::from_millis(fastrand::u64(10..100)));
                continue;
            }
            let Backend::Registry { pusher, target } = &self.backend else {
                self.put_manifest(&bytes, "application/vnd.oci.image.manifest.v1+json", None)?;
                break;
            };
            let client = pusher.client();
            let url = client.url(&format!("{}/manifests/{digest}", target.repository));
            let mut resp = client.call(Method::PUT, &url, &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")], Some(&bytes), true)?;
            if resp.status().is_success() {
                if resp.headers().contains_key("oci-subject") {
                    return Ok(digest);
                }
                break;
            }
            round += 1;
            if round == ROUNDS {
                return Err(Error::Registry { url, reason: reason_of(&mut resp) });
            }
            std::thread::sleep(std::time::Duration::from_millis(fastrand::u64(10..100)));
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
        for round in 0..ROUNDS {
            if round > 0 {
                std::thread::sleep(std::time::Duration::from_millis(fastrand::u64(10..100)));
            }
            let mut entries: Vec<Value> = self.manifest(&tag)?.and_then(|m| m["manifests"].as_array().cloned()).unwrap_or_default();
            if entries.iter().any(|e| e["digest"] == entry["digest"]) {
                return Ok(digest);
            }
            entries.push(entry.clone());
            let index = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries });
            if let Err(e) = self.put_manifest(&serde_json::to_vec(&index).unwrap_or_default(), "application/vnd.oci.image.index.v1+json", Some(&tag)) {
                if round + 1 == ROUNDS {
                    return Err(e);
                }
                continue;
            }
            if self.settled(&tag, |m| m["manifests"].as_array().is_some_and(|m| m.iter().any(|e| e["digest"] == entry["digest"])))? {
                return Ok(digest);
            }
        }
        Err(Error::Registry { url: self.place(&format!("manifests/{tag}")), reason: format!("another writer kept replacing the referrers tag; {ROUNDS} attempts failed, try again") })
    }
}

/// Writes `path` whole through a temporary file beside it, so a reader (or a
/// failure) never sees half of it.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    tmp.persist(path).map_err(|e| Error::Io { path: path.to_owned(), source: e.error })?;
    Ok(())
}
