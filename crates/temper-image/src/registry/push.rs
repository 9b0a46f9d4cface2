//! Pushing images through the OCI distribution API: the write side of
//! [`super::client::Client`], with the same auth flows (token scopes
//! `repository:<name>:pull,push`, and `pull` on a repository mounted from).
//!
//! Each blob is first asked for with `HEAD` and skipped when present; else,
//! when the source lives in another repository of the same registry (or
//! [`PushOptions::mount_from`] names one), it is mounted from there; else
//! it is uploaded, in one `PUT` up to [`PushOptions::chunk_threshold`]
//! bytes and in `PATCH` chunks of [`PushOptions::chunk_size`] above it
//! (memory holds one chunk per upload under way). Every uploaded byte is
//! hashed on the way and checked against the digest it goes up under, so
//! a damaged source is refused here, naming the blob, before the registry
//! sees it.
//!
//! The blobs of a manifest go up four at a time; after a failure no
//! further blob is started. Manifests go up children first (config and
//! layers before their manifest, every manifest before its index, each
//! only once all it points at is there), each by digest; the tag is
//! written last, so a push that fails anywhere leaves no tag pointing at
//! a partial image.
//!
//! Retries: `HEAD`, session `POST`s and manifest `PUT`s are retried as the
//! [`RetryPolicy`](super::RetryPolicy) says. A blob upload is not retried
//! request by request (a session's offset lives on the server): a failed
//! upload asks again whether the blob arrived, and if not starts a new
//! session from the blob's first byte, up to the policy's attempts.
//!
//! A docker-archive stores no manifest: one is written (OCI media types,
//! config as stored, each layer pushed exactly as stored, uncompressed
//! tars included, under the digest and size of its stored bytes, with the
//! media type its first bytes show: tar, gzip or zstd). The image's config
//! and diffIDs are unchanged, so it is the same image, under a new
//! manifest digest.

use std::collections::HashSet;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::Serialize;
use ureq::http::Method;

use super::RegistryOptions;
use super::client::{Client, reason_of};
use super::retry::retryable_status;
use crate::digest::{Algorithm, Digest, Hasher};
use crate::error::{Error, Result};
use crate::image::{Image, LayerContent};
use crate::model::{self, Descriptor, ManifestKind, media};
use crate::reference::{RegistryRef, Source};

/// Manifests and indexes above this are refused (the distribution spec
/// lets registries refuse them above 4 MiB too).
const MANIFEST_LIMIT: u64 = 4 << 20;
/// Configs above this are refused, as when reading.
const CONFIG_LIMIT: u64 = 16 << 20;
/// Indexes nested deeper than this are refused, as when reading.
const MAX_DEPTH: usize = 4;
/// Blobs of one manifest pushed at once: enough that one blob's round
/// trips overlap another's bytes, few enough not to flood the registry
/// (Docker and containerd push a handful of layers at a time too).
const PARALLEL_BLOBS: usize = 4;

/// How to push.
#[derive(Clone, Debug)]
pub struct PushOptions {
    /// Blobs larger than this go up in chunks; smaller ones in one `PUT`.
    pub chunk_threshold: u64,
    /// Bytes per `PATCH` of a chunked upload (at least 1).
    pub chunk_size: u64,
    /// Repositories of the destination registry to mount blobs from,
    /// beside the source's own when it is there.
    pub mount_from: Vec<String>,
    /// Push every platform of the source's index and the index itself;
    /// else only the image's own manifest.
    pub all_platforms: bool,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions { chunk_threshold: 16 << 20, chunk_size: 16 << 20, mount_from: Vec::new(), all_platforms: true }
    }
}

/// What a push did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PushStats {
    /// Blobs uploaded.
    pub uploaded: u64,
    /// Blobs the registry already held (skipped after `HEAD`).
    pub present: u64,
    /// Blobs mounted from another repository.
    pub mounted: u64,
    /// Bytes of blobs uploaded.
    pub bytes_uploaded: u64,
    /// Manifests and indexes written (the tag not counted).
    pub manifests: u64,
}

impl PushStats {
    fn count(&mut self, outcome: BlobOutcome) {
        match outcome {
            BlobOutcome::Present => self.present += 1,
            BlobOutcome::Mounted => self.mounted += 1,
            BlobOutcome::Uploaded(bytes) => {
                self.uploaded += 1;
                self.bytes_uploaded += bytes;
            }
        }
    }
}

/// A finished push.
#[derive(Clone, Debug, Serialize)]
pub struct Pushed {
    /// The destination, pinned: `host/repo:tag@sha256:…`.
    pub reference: String,
    /// The digest of the top manifest or index.
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// What went up.
    pub stats: PushStats,
}

/// How one blob reached the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobOutcome {
    /// It was there already.
    Present,
    /// Mounted from another repository.
    Mounted,
    /// Uploaded, this many bytes.
    Uploaded(u64),
}

/// Opens a blob's bytes from the start, once per upload attempt.
pub type OpenBlob<'a> = dyn Fn() -> Result<Box<dyn Read + Send>> + 'a;

/// One failed upload attempt, and whether a new session may cure it.
struct Failed {
    error: Error,
    retry: bool,
}

impl From<Error> for Failed {
    /// A request that got no answer: another session may get one.
    fn from(error: Error) -> Self {
        Failed { error, retry: true }
    }
}

/// Pushes to one repository of one registry.
pub struct Pusher {
    client: Client,
    target: RegistryRef,
    options: PushOptions,
}

impl Pusher {
    /// Connects to `target`'s registry with the credentials `registry`
    /// gives for it (`--creds`, else the docker config).
    pub fn new(target: &RegistryRef, registry: &RegistryOptions, options: PushOptions) -> Result<Self> {
        Self::with_actions(target, registry, options, "pull,push").map_err(|e| Error::Push { image: target.with_default_tag(), source: Box::new(e) })
    }

    /// [`Pusher::new`] asking tokens for `actions` on the target
    /// (`pull,push,delete` for the deletes of [`super::delete`]).
    pub(crate) fn with_actions(target: &RegistryRef, registry: &RegistryOptions, options: PushOptions, actions: &str) -> Result<Self> {
        let creds = super::credentials_for(target, registry)?;
        let mut scopes = vec![format!("repository:{}:{actions}", target.repository)];
        scopes.extend(options.mount_from.iter().filter(|r| **r != target.repository).map(|r| format!("repository:{r}:pull")));
        let client = Client::connect(target.api_host(), &target.repository, creds, registry)?.with_scopes(scopes);
        Ok(Pusher { client, target: target.clone(), options })
    }

    /// The connection, for the other requests of a write (reads of what is there).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Pushes `image` (any source temper reads) and tags it as the target
    /// says: its index and every platform with
    /// [`PushOptions::all_platforms`] when it came from one, else its
    /// manifest (one written for a docker-archive).
    pub fn push_image(&self, image: &Image) -> Result<Pushed> {
        self.push_image_inner(image).map_err(|e| Error::Push { image: self.target.with_default_tag(), source: Box::new(e) })
    }

    fn push_image_inner(&self, image: &Image) -> Result<Pushed> {
        let mut mounts = self.options.mount_from.clone();
        if let Ok(Source::Registry(from)) = Source::parse(&image.name) {
            if from.registry == self.target.registry && from.repository != self.target.repository && !mounts.contains(&from.repository) {
                mounts.push(from.repository);
            }
        }
        let mut stats = PushStats::default();
        let top = match (&image.index, &image.manifest) {
            (Some(index), _) if self.options.all_platforms => Descriptor {
                media_type: index.media_type.clone(),
                digest: index.digest.clone(),
                size: index.size,
                platform: None,
                annotations: Default::default(),
            },
            (_, Some(manifest)) => Descriptor {
                media_type: manifest.media_type.clone(),
                digest: manifest.digest.clone(),
                size: manifest.size,
                platform: None,
                annotations: Default::default(),
            },
            (_, None) => return self.push_written_manifest(image, &mounts),
        };
        self.check_pinned(&top.digest)?;
        let (bytes, media_type) = self.push_document(image, &top, &mounts, &mut stats, &mut HashSet::new(), 0)?;
        self.tag(&bytes, &media_type)?;
        Ok(self.pushed(&top.digest, media_type, bytes.len() as u64, stats))
    }

    /// Refuses before any upload when the target names a digest the image
    /// does not have.
    fn check_pinned(&self, digest: &Digest) -> Result<()> {
        match &self.target.digest {
            Some(want) if want != digest => Err(Error::DigestMismatch {
                what: format!("{} (the destination names a digest; the image's manifest has another)", self.target),
                expected: want.to_string(),
                actual: digest.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// Writes the tag last, once everything it points at is there.
    fn tag(&self, bytes: &[u8], media_type: &str) -> Result<()> {
        if self.target.digest.is_none() {
            self.put_manifest(bytes, media_type, self.target.tag.as_deref().unwrap_or("latest"))?;
        }
        Ok(())
    }

    fn pushed(&self, digest: &Digest, media_type: String, size: u64, stats: PushStats) -> Pushed {
        let name = format!("{}/{}", self.target.registry, self.target.repository);
        let reference = match &self.target.tag {
            Some(tag) => format!("{name}:{tag}@{digest}"),
            None if self.target.digest.is_none() => format!("{name}:latest@{digest}"),
            None => format!("{name}@{digest}"),
        };
        Pushed { reference, digest: digest.clone(), media_type, size, stats }
    }

    /// Pushes the document `desc` of `image`'s source and everything it
    /// points at, then the document itself by digest; returns its bytes and
    /// media type. `done` holds the digests already pushed, so content an
    /// index names many times (platforms sharing a layer, or a hostile
    /// index repeating one entry) goes up once.
    fn push_document(&self, image: &Image, desc: &Descriptor, mounts: &[String], stats: &mut PushStats, done: &mut HashSet<Digest>, depth: usize) -> Result<(Vec<u8>, String)> {
        if depth > MAX_DEPTH {
            return Err(Error::Format { path: image.name.clone().into(), reason: format!("indexes nested deeper than {MAX_DEPTH} levels") });
        }
        let bytes = image.read_document(desc, MANIFEST_LIMIT)?;
        let kind = model::parse_manifest_or_index(&bytes, Some(&desc.media_type), MANIFEST_LIMIT)
            .map_err(|source| Error::Document { what: format!("{}: manifest {}", image.name, desc.digest), source })?;
        let (own, default) = match &kind {
            ManifestKind::Index(index) => {
                for child in &index.manifests {
                    if !done.contains(&child.digest) {
                        self.push_document(image, child, mounts, stats, done, depth + 1)?;
                    }
                }
                (index.media_type.clone(), media::OCI_INDEX)
            }
            ManifestKind::Manifest(manifest) => {
                let blobs: Vec<(Digest, u64)> = std::iter::once(&manifest.config).chain(&manifest.layers).filter(|b| done.insert(b.digest.clone())).map(|b| (b.digest.clone(), b.size)).collect();
                for outcome in self.push_blobs(&blobs, mounts, &|i| image.open_blob(&blobs[i].0))? {
                    stats.count(outcome);
                }
                (manifest.media_type.clone(), media::OCI_MANIFEST)
            }
        };
        // The document's own media type wins; a descriptor's counts when it
        // names the same kind of document.
        let media_type = own.or_else(|| kind_matches(&kind, &desc.media_type).then(|| desc.media_type.clone())).unwrap_or_else(|| default.to_owned());
        self.put_manifest(&bytes, &media_type, &desc.digest.to_string())?;
        stats.manifests += 1;
        done.insert(desc.digest.clone());
        Ok((bytes, media_type))
    }

    /// A docker-archive has no manifest: write one for its stored config
    /// and layers, push them, then it.
    fn push_written_manifest(&self, image: &Image, mounts: &[String]) -> Result<Pushed> {
        let config_digest = image.config_digest.clone().ok_or_else(|| Error::Format {
            path: image.name.clone().into(),
            reason: "has no image config to push (a dir: source is only a file tree; build an image from it first)".into(),
        })?;
        let config = read_verified(image.open_blob(&config_digest)?, &config_digest, CONFIG_LIMIT, &image.name)?;
        let mut layers = Vec::with_capacity(image.layers.len());
        for index in 0..image.layers.len() {
            let (digest, size, compression) = describe(open_layer(image, index)?).map_err(|source| Error::Io { path: image.layer_label(index).into(), source })?;
            let media_type = match compression {
                Some(c) => format!("{}+{c}", media::OCI_LAYER_TAR),
                None => media::OCI_LAYER_TAR.to_owned(),
            };
            layers.push(Descriptor { media_type, digest, size, platform: None, annotations: Default::default() });
        }
        let config_desc = Descriptor { media_type: media::OCI_CONFIG.to_owned(), digest: config_digest.clone(), size: config.len() as u64, platform: None, annotations: Default::default() };
        let manifest = serde_json::json!({ "schemaVersion": 2, "mediaType": media::OCI_MANIFEST, "config": config_desc, "layers": layers });
        let bytes = serde_json::to_vec(&manifest).map_err(|e| Error::Format { path: image.name.clone().into(), reason: format!("cannot write its manifest: {e}") })?;
        let digest = Digest::sha256_of(&bytes);
        self.check_pinned(&digest)?;

        let mut stats = PushStats::default();
        let blobs: Vec<(Digest, u64)> = std::iter::once(&config_desc).chain(&layers).map(|d| (d.digest.clone(), d.size)).collect();
        let open = |i: usize| if i == 0 { image.open_blob(&config_digest) } else { open_layer(image, i - 1) };
        for outcome in self.push_blobs(&blobs, mounts, &open)? {
            stats.count(outcome);
        }
        self.put_manifest(&bytes, media::OCI_MANIFEST, &digest.to_string())?;
        stats.manifests += 1;
        self.tag(&bytes, media::OCI_MANIFEST)?;
        Ok(self.pushed(&digest, media::OCI_MANIFEST.to_owned(), bytes.len() as u64, stats))
    }

    /// Makes sure the blob `digest` of `size` bytes is in the repository:
    /// present, mounted from [`PushOptions::mount_from`], or uploaded from
    /// what `open` reads.
    pub fn push_blob(&self, digest: &Digest, size: u64, open: &OpenBlob<'_>) -> Result<BlobOutcome> {
        self.push_blob_from(digest, size, &self.options.mount_from, open)
    }

    /// [`Pusher::push_blob_from`] for each of `blobs` (digest, size);
    /// `open(i)` reads blob `i`. The first goes alone, so a token the
    /// registry asks for is fetched once and shared rather than once per
    /// thread; the others up to [`PARALLEL_BLOBS`] at once. After a failure
    /// no other blob is started; once the uploads under way have ended,
    /// the failure of the first blob in `blobs` order is returned, so the
    /// error does not depend on timing.
    fn push_blobs(&self, blobs: &[(Digest, u64)], mounts: &[String], open: &(dyn Fn(usize) -> Result<Box<dyn Read + Send>> + Sync)) -> Result<Vec<BlobOutcome>> {
        let Some((digest, size)) = blobs.first() else { return Ok(Vec::new()) };
        let first = self.push_blob_from(digest, *size, mounts, &|| open(0))?;
        let next = AtomicUsize::new(1);
        let failed = AtomicBool::new(false);
        let worker = || {
            let mut out = Vec::new();
            while !failed.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((digest, size)) = blobs.get(i) else { break };
                let result = self.push_blob_from(digest, *size, mounts, &|| open(i));
                failed.fetch_or(result.is_err(), Ordering::Relaxed);
                out.push((i, result));
            }
            out
        };
        let mut results: Vec<(usize, Result<BlobOutcome>)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (1..blobs.len()).take(PARALLEL_BLOBS).map(|_| scope.spawn(worker)).collect();
            workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
        });
        results.push((0, Ok(first)));
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, r)| r).collect()
    }

    fn push_blob_from(&self, digest: &Digest, size: u64, mounts: &[String], open: &OpenBlob<'_>) -> Result<BlobOutcome> {
        if self.exists(digest)? {
            return Ok(BlobOutcome::Present);
        }
        let mut session = None;
        for from in mounts.iter().filter(|r| **r != self.target.repository) {
            match self.start_upload(&format!("?mount={digest}&from={from}")) {
                Ok(Started::Mounted) => return Ok(BlobOutcome::Mounted),
                // Not there: the registry opened an upload session instead.
                Ok(Started::Session(location)) => session = Some(location),
                // A mount only saves bytes: refused (no pull right on the
                // other repository, say), the blob is uploaded.
                Err(_) => {}
            }
        }
        let attempts = self.client.retry.attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let location = match session.take() {
                Some(l) => l,
                None => match self.start_upload("")? {
                    Started::Session(l) => l,
                    Started::Mounted => return Ok(BlobOutcome::Mounted),
                },
            };
            let result = if size > self.options.chunk_threshold { self.upload_chunked(location, digest, size, open) } else { self.upload_whole(&location, digest, size, open) };
            match result {
                Ok(()) => return Ok(BlobOutcome::Uploaded(size)),
                Err(Failed { error, retry }) if retry && attempt < attempts => {
                    let what = format!("{} (upload of {digest} failed: {error})", self.client.url(&format!("{}/blobs/uploads/", self.target.repository)));
                    std::thread::sleep(self.client.retry.wait(attempt + 1, None, &what));
                    // The last request may have landed before its answer was lost.
                    if self.exists(digest)? {
                        return Ok(BlobOutcome::Uploaded(size));
                    }
                }
                Err(Failed { error, .. }) => return Err(error),
            }
        }
    }

    /// `HEAD` of a blob: whether the repository holds it.
    fn exists(&self, digest: &Digest) -> Result<bool> {
        let url = self.client.url(&format!("{}/blobs/{digest}", self.target.repository));
        let mut resp = self.client.call(Method::HEAD, &url, &[], None, true)?;
        match resp.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(Error::Registry { url, reason: reason_of(&mut resp) }),
        }
    }

    /// `POST` to the uploads endpoint with `query` (a mount, or nothing).
    fn start_upload(&self, query: &str) -> Result<Started> {
        let url = self.client.url(&format!("{}/blobs/uploads/{query}", self.target.repository));
        let mut resp = self.client.call(Method::POST, &url, &[], Some(&[]), true)?;
        match resp.status().as_u16() {
            201 => Ok(Started::Mounted),
            202 => Ok(Started::Session(self.location(&mut resp, &url)?)),
            _ => Err(Error::Registry { url, reason: reason_of(&mut resp) }),
        }
    }

    /// The absolute `Location` of an answer that must have one.
    fn location(&self, resp: &mut ureq::http::Response<ureq::Body>, url: &str) -> Result<String> {
        let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        match location {
            Some(l) => self.client.resolve_location(&l),
            None => Err(Error::Registry { url: url.to_owned(), reason: format!("HTTP {} without a Location header", resp.status()) }),
        }
    }

    /// Reads the blob whole (it is at most the chunk threshold), checks
    /// it, and sends it in the session's closing `PUT`.
    fn upload_whole(&self, location: &str, digest: &Digest, size: u64, open: &OpenBlob<'_>) -> Result<(), Failed> {
        let fatal = |error| Failed { error, retry: false };
        let bytes = read_verified(open().map_err(fatal)?, digest, size, &digest.to_string()).map_err(fatal)?;
        if bytes.len() as u64 != size {
            return Err(fatal(size_mismatch(digest, size, bytes.len() as u64)));
        }
        self.finish(location, digest, &bytes)
    }

    /// Sends the blob `PATCH` by `PATCH`, one chunk in memory at a time,
    /// following each answer's `Location`, and closes the session.
    fn upload_chunked(&self, mut location: String, digest: &Digest, size: u64, open: &OpenBlob<'_>) -> Result<(), Failed> {
        let fatal = |error| Failed { error, retry: false };
        let mut reader = open().map_err(fatal)?;
        let chunk = usize::try_from(self.options.chunk_size.clamp(1, 1 << 30)).unwrap_or(1 << 30);
        let mut buf = vec![0u8; chunk];
        let mut hasher = Hasher::new(digest.algorithm());
        let mut offset = 0u64;
        loop {
            let n = fill(&mut reader, &mut buf).map_err(|source| fatal(Error::Io { path: digest.to_string().into(), source }))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            let end = offset + n as u64 - 1;
            if end >= size {
                return Err(fatal(size_mismatch(digest, size, end + 1)));
            }
            let range = format!("{offset}-{end}");
            let headers = [("Content-Type", "application/octet-stream"), ("Content-Range", range.as_str())];
            let mut resp = self.client.call(Method::PATCH, &location, &headers, Some(&buf[..n]), false)?;
            if resp.status().as_u16() != 202 {
                let status = resp.status().as_u16();
                let error = Error::Registry { url: location.clone(), reason: reason_of(&mut resp) };
                return Err(Failed { error, retry: retryable_status(status) || status == 404 || status == 416 });
            }
            location = self.location(&mut resp, &location)?;
            offset += n as u64;
        }
        if offset != size {
            return Err(fatal(size_mismatch(digest, size, offset)));
        }
        let actual = hasher.finish();
        if actual != *digest {
            return Err(fatal(Error::DigestMismatch { what: format!("blob {digest} as the source gave it"), expected: digest.to_string(), actual: actual.to_string() }));
        }
        self.finish(&location, digest, &[])
    }

    /// The closing `PUT …?digest=` of an upload session, with the last bytes.
    fn finish(&self, location: &str, digest: &Digest, body: &[u8]) -> Result<(), Failed> {
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{separator}digest={digest}");
        let mut resp = self.client.call(Method::PUT, &url, &[("Content-Type", "application/octet-stream")], Some(body), false)?;
        match resp.status().as_u16() {
            201 | 204 => Ok(()),
            status => {
                let error = Error::Registry { url: location.to_owned(), reason: reason_of(&mut resp) };
                Err(Failed { error, retry: retryable_status(status) || status == 404 })
            }
        }
    }

    /// `PUT` of a manifest or index under `reference` (a digest or a tag);
    /// returns its digest, checked against the registry's.
    pub fn put_manifest(&self, bytes: &[u8], media_type: &str, reference: &str) -> Result<Digest> {
        let url = self.client.url(&format!("{}/manifests/{reference}", self.target.repository));
        let mut resp = self.client.call(Method::PUT, &url, &[("Content-Type", media_type)], Some(bytes), true)?;
        if !resp.status().is_success() {
            return Err(Error::Registry { url, reason: reason_of(&mut resp) });
        }
        let digest = Digest::sha256_of(bytes);
        let answered = resp.headers().get("docker-content-digest").and_then(|v| v.to_str().ok()).map(str::to_owned);
        if let Some(answered) = answered.filter(|a| *a != digest.to_string()) {
            return Err(Error::DigestMismatch { what: format!("{url} (Docker-Content-Digest)"), expected: digest.to_string(), actual: answered });
        }
        Ok(digest)
    }
}

/// What a `POST` to the uploads endpoint did.
enum Started {
    /// The mount worked: the blob is there.
    Mounted,
    /// An upload session, at this absolute URL.
    Session(String),
}

/// Whether a descriptor's media type names the kind the document is.
fn kind_matches(kind: &ManifestKind, media_type: &str) -> bool {
    match kind {
        ManifestKind::Index(_) => media::is_index(media_type),
        ManifestKind::Manifest(_) => media::is_manifest(media_type),
    }
}

fn size_mismatch(digest: &Digest, expected: u64, actual: u64) -> Error {
    Error::Format { path: digest.to_string().into(), reason: format!("the source gave {actual} bytes of a blob described as {expected}") }
}

/// Layer `index`'s stored bytes as a stream.
fn open_layer(image: &Image, index: usize) -> Result<Box<dyn Read + Send>> {
    match image.open_layer(index)? {
        LayerContent::Stream(r) => Ok(r),
        LayerContent::Directory(p) => Err(Error::Format { path: p, reason: "is a directory, not a layer blob; build an image from it first".into() }),
    }
}

/// Reads up to `limit` bytes whole and checks them against `digest`.
fn read_verified(reader: Box<dyn Read + Send>, digest: &Digest, limit: u64, what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|source| Error::Io { path: what.into(), source })?;
    if bytes.len() as u64 > limit {
        return Err(Error::Format { path: what.into(), reason: format!("blob {digest} is over {limit} bytes") });
    }
    if !digest.matches(&bytes) {
        return Err(Error::DigestMismatch { what: format!("{what}: blob {digest}"), expected: digest.to_string(), actual: Digest::sha256_of(&bytes).to_string() });
    }
    Ok(bytes)
}

/// Fills `buf` from `reader` as far as it goes; fewer bytes only at the end.
fn fill(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A stored layer's digest, size and compression (from its magic bytes).
fn describe(mut reader: Box<dyn Read + Send>) -> std::io::Result<(Digest, u64, Option<&'static str>)> {
    let mut hasher = Hasher::new(Algorithm::Sha256);
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = Vec::with_capacity(4);
    let mut size = 0u64;
    loop {
        let n = fill(&mut reader, &mut buf)?;
        if n == 0 {
            break;
        }
        if head.len() < 4 {
            head.extend_from_slice(&buf[..n.min(4 - head.len())]);
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    let compression = if head.starts_with(&[0x1f, 0x8b]) {
        Some("gzip")
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("zstd")
    } else {
        None
    };
    Ok((hasher.finish(), size, compression))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_compression_is_told_by_magic_bytes() {
        let of = |bytes: &'static [u8]| describe(Box::new(bytes)).unwrap();
        let (digest, size, c) = of(b"\x1f\x8b\x08\x00rest");
        assert_eq!((size, c), (8, Some("gzip")));
        assert_eq!(digest, Digest::sha256_of(b"\x1f\x8b\x08\x00rest"));
        assert_eq!(of(b"\x28\xb5\x2f\xfdzz").2, Some("zstd"));
        assert_eq!(of(b"ustar tar").2, None);
        assert_eq!(of(b"").1, 0);
    }

    #[test]
    fn stats_count_each_outcome() {
        let mut stats = PushStats::default();
        for o in [BlobOutcome::Present, BlobOutcome::Mounted, BlobOutcome::Uploaded(10), BlobOutcome::Uploaded(5)] {
            stats.count(o);
        }
        assert_eq!(stats, PushStats { uploaded: 2, present: 1, mounted: 1, bytes_uploaded: 15, manifests: 0 });
    }
}
