//! Reading and deleting in one repository: manifests by tag or digest
//! (`GET`, `HEAD`), `DELETE` of manifests and blobs, and the removal of a
//! tag.
//!
//! Removing a tag: `DELETE /v2/<name>/manifests/<tag>` first (OCI 1.1
//! registries and distribution 3 support it). The distribution registry
//! 2.x (Debian's `docker-registry`) refuses it (`400`, `404` or `405`
//! `UNSUPPORTED`), and deleting the tag's manifest by digest would remove
//! the image and every other tag of it. So temper writes a unique
//! placeholder to the tag, an OCI manifest whose config and only layer are
//! the empty blob `{}` and whose annotations hold the tag and a random
//! nonce (so no other tag can share its digest), then deletes the
//! placeholder by digest: that deletion takes exactly the one tag with it,
//! and the real image and its other tags stay. A registry that refuses
//! every delete is found out first (a `DELETE` of a digest nobody has
//! answers `405`), so no placeholder is left behind under the tag.

use serde_json::json;
use ureq::http::Method;

use super::RegistryOptions;
use super::attach::{EMPTY_CONFIG, EMPTY_MEDIA_TYPE};
use super::client::{MANIFEST_ACCEPT, reason_of};
use super::push::{PushOptions, Pusher};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::model::media;
use crate::reference::RegistryRef;

/// Manifests read are refused above this (the distribution spec lets
/// registries refuse them above 4 MiB too).
pub const MANIFEST_LIMIT: u64 = 4 << 20;
/// The annotation of a placeholder naming the tag it removes.
pub const UNTAG_ANNOTATION: &str = "dev.temper.untag";
/// The annotation of a placeholder holding its nonce.
pub const NONCE_ANNOTATION: &str = "dev.temper.untag.nonce";

/// A manifest or index as the registry gave it, its digest checked.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The digest of the bytes.
    pub digest: Digest,
    /// The `Content-Type` the registry answered.
    pub media_type: String,
    /// The document.
    pub bytes: Vec<u8>,
}

/// How a tag went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Untagged {
    /// The registry deleted the tag itself.
    Deleted,
    /// A placeholder was written to the tag and deleted by this digest.
    Placeholder(Digest),
}

/// One repository of one registry, read and written.
pub struct Repository {
    pusher: Pusher,
    target: RegistryRef,
}

impl Repository {
    /// Connects to `target`'s repository (its tag or digest is ignored),
    /// asking tokens to pull, push and delete.
    pub fn connect(target: &RegistryRef, opts: &RegistryOptions) -> Result<Self> {
        let target = RegistryRef { tag: None, digest: None, ..target.clone() };
        let pusher = Pusher::with_actions(&target, opts, PushOptions::default(), "pull,push,delete")?;
        Ok(Repository { pusher, target })
    }

    /// The repository, without tag or digest.
    pub fn reference(&self) -> &RegistryRef {
        &self.target
    }

    fn manifest_url(&self, reference: &str) -> String {
        self.pusher.client().url(&format!("{}/manifests/{reference}", self.target.repository))
    }

    /// The manifest or index `reference` (a tag or a digest) names, or
    /// `None` when the registry has no such thing; by digest, the bytes
    /// must have that digest.
    pub fn manifest(&self, reference: &str) -> Result<Option<Fetched>> {
        let url = self.manifest_url(reference);
        let client = self.pusher.client();
        let mut resp = client.call(Method::GET, &url, &[("Accept", MANIFEST_ACCEPT)], None, true)?;
        match resp.status().as_u16() {
            404 => {
                let _ = reason_of(&mut resp);
                return Ok(None);
            }
            s if !(200..300).contains(&s) => return Err(Error::Registry { url, reason: reason_of(&mut resp) }),
            _ => {}
        }
        let media_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).map(|s| s.split(';').next().unwrap_or(s).trim().to_owned()).unwrap_or_default();
        let bytes = resp.body_mut().with_config().limit(MANIFEST_LIMIT).read_to_vec().map_err(|e| Error::Registry { url: url.clone(), reason: format!("manifest over the {MANIFEST_LIMIT}-byte limit or unreadable: {e}") })?;
        let digest = Digest::sha256_of(&bytes);
        if let Ok(want) = Digest::parse(reference)
            && want != digest
        {
            return Err(Error::DigestMismatch { what: url, expected: want.to_string(), actual: digest.to_string() });
        }
        Ok(Some(Fetched { digest, media_type, bytes }))
    }

    /// `HEAD` of a manifest: its digest (`Docker-Content-Digest`) and size,
    /// or `None` when absent.
    pub fn head_manifest(&self, reference: &str) -> Result<Option<(Digest, u64)>> {
        let url = self.manifest_url(reference);
        let mut resp = self.pusher.client().call(Method::HEAD, &url, &[("Accept", MANIFEST_ACCEPT)], None, true)?;
        match resp.status().as_u16() {
            404 => Ok(None),
            200 => {
                let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
                let digest = header("docker-content-digest").ok_or_else(|| Error::Registry { url: url.clone(), reason: "HEAD answered no Docker-Content-Digest".into() })?;
                let digest = Digest::parse(&digest).map_err(|e| Error::Registry { url: url.clone(), reason: format!("Docker-Content-Digest: {e}") })?;
                let size = header("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
                Ok(Some((digest, size)))
            }
            _ => Err(Error::Registry { url, reason: reason_of(&mut resp) }),
        }
    }

    /// A small blob (a config), whole and checked against its digest.
    pub fn blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>> {
        let bytes = self.pusher.client().blob_bytes(&digest.to_string(), limit)?;
        if !digest.matches(&bytes) {
            return Err(Error::DigestMismatch { what: self.pusher.client().url(&format!("{}/blobs/{digest}", self.target.repository)), expected: digest.to_string(), actual: Digest::sha256_of(&bytes).to_string() });
        }
        Ok(bytes)
    }

    /// `DELETE` of the manifest `digest` (the registry drops the tags that
    /// point to it too).
    pub fn delete_manifest(&self, digest: &Digest) -> Result<()> {
        self.delete(self.manifest_url(&digest.to_string()))
    }

    /// `DELETE` of the blob `digest` from this repository.
    pub fn delete_blob(&self, digest: &Digest) -> Result<()> {
        self.delete(self.pusher.client().url(&format!("{}/blobs/{digest}", self.target.repository)))
    }

    fn delete(&self, url: String) -> Result<()> {
        // A DELETE is idempotent: a lost answer is safely asked again.
        let mut resp = self.pusher.client().call(Method::DELETE, &url, &[], None, true)?;
        match resp.status().as_u16() {
            200 | 202 | 204 => Ok(()),
            405 => Err(Error::Registry { url, reason: format!("{} (the registry does not allow deletes; the distribution registry needs storage.delete.enabled)", reason_of(&mut resp)) }),
            _ => Err(Error::Registry { url, reason: reason_of(&mut resp) }),
        }
    }

    /// Removes `tag` and nothing else: `DELETE` by tag, else the
    /// placeholder (see the module doc). A tag that is not there is an error.
    pub fn untag(&self, tag: &str) -> Result<Untagged> {
        let url = self.manifest_url(tag);
        if self.head_manifest(tag)?.is_none() {
            return Err(Error::Registry { url, reason: format!("no tag '{tag}' in {}", self.target) });
        }
        let mut resp = self.pusher.client().call(Method::DELETE, &url, &[], None, true)?;
        match resp.status().as_u16() {
            200 | 202 | 204 => return Ok(Untagged::Deleted),
            // Refused as unsupported (or as a digest that does not parse).
            400 | 404 | 405 => {
                let _ = reason_of(&mut resp);
            }
            _ => return Err(Error::Registry { url, reason: reason_of(&mut resp) }),
        }
        // A registry that refuses every delete would keep the placeholder
        // under the tag: ask it to delete a digest nobody has first (404
        // when deletes work, 405 when they do not).
        let probe = Digest::sha256_of(nonce().as_bytes());
        let probe_url = self.manifest_url(&probe.to_string());
        let mut resp = self.pusher.client().call(Method::DELETE, &probe_url, &[], None, true)?;
        if resp.status().as_u16() == 405 {
            return Err(Error::Registry { url, reason: format!("{} (the registry does not allow deletes; the distribution registry needs storage.delete.enabled)", reason_of(&mut resp)) });
        }
        let _ = reason_of(&mut resp);
        let empty = Digest::sha256_of(EMPTY_CONFIG);
        self.pusher.push_blob(&empty, EMPTY_CONFIG.len() as u64, &|| Ok(Box::new(EMPTY_CONFIG) as Box<dyn std::io::Read + Send>))?;
        let bytes = placeholder(tag, &nonce());
        let digest = self.pusher.put_manifest(&bytes, media::OCI_MANIFEST, tag)?;
        self.delete_manifest(&digest).map_err(|e| Error::Registry {
            url: self.manifest_url(&digest.to_string()),
            reason: format!("tag '{tag}' now names the placeholder {digest}, whose deletion failed: {e}; delete that digest to remove the tag"),
        })?;
        Ok(Untagged::Placeholder(digest))
    }
}

/// 128 random bits in hex, so that no two placeholders share a digest.
fn nonce() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// The placeholder manifest written to `tag` to remove it.
fn placeholder(tag: &str, nonce: &str) -> Vec<u8> {
    let empty = json!({ "mediaType": EMPTY_MEDIA_TYPE, "digest": Digest::sha256_of(EMPTY_CONFIG).to_string(), "size": EMPTY_CONFIG.len() });
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": empty,
        "layers": [empty],
        "annotations": { UNTAG_ANNOTATION: tag, NONCE_ANNOTATION: nonce },
    });
    serde_json::to_vec(&manifest).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_differ_by_nonce_and_hold_only_the_empty_blob() {
        let a = placeholder("v1", &nonce());
        let b = placeholder("v1", &nonce());
        assert_ne!(Digest::sha256_of(&a), Digest::sha256_of(&b));
        let m: serde_json::Value = serde_json::from_slice(&a).unwrap();
        assert_eq!(m["config"]["digest"], Digest::sha256_of(b"{}").to_string());
        assert_eq!(m["layers"].as_array().unwrap().len(), 1);
        assert_eq!(m["annotations"][UNTAG_ANNOTATION], "v1");
        assert_eq!(m["annotations"][NONCE_ANNOTATION].as_str().unwrap().len(), 32);
    }
}
