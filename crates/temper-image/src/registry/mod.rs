//! Images in registries, pulled and pushed through the OCI distribution API;
//! repositories and tags listed ([`catalog`]), manifests, blobs and tags
//! deleted ([`delete`]).

mod challenge;
mod client;
pub mod attach;
pub mod catalog;
pub mod credentials;
pub mod delete;
pub mod push;
mod retry;

use std::sync::Arc;

pub use client::{RegistryOptions, build_agent};
pub use retry::{LONG_WAIT, Notice, RetryPolicy};
use client::Client;

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{DocumentInfo, Image, Layer, LayerContent, LayerOpener, Location};
use crate::model::{Descriptor, media};
use crate::reference::RegistryRef;
use crate::source::resolve::{self, Resolved};
use crate::OpenOptions;

struct RegistryOpener(Arc<Client>);

impl LayerOpener for RegistryOpener {
    fn open(&self, layer: &Layer) -> Result<LayerContent> {
        match &layer.location {
            Location::Blob(d) => Ok(LayerContent::Stream(self.0.blob_stream(&d.to_string())?)),
            _ => Err(Error::Format { path: Default::default(), reason: "registry layers are blobs".into() }),
        }
    }

    fn blob(&self, digest: &Digest) -> Result<Box<dyn std::io::Read + Send>> {
        self.0.blob_stream(&digest.to_string())
    }

    fn document(&self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        if media::is_index(&desc.media_type) || media::is_manifest(&desc.media_type) {
            self.0.manifest(&desc.digest.to_string(), limit).map(|(b, _, _)| b)
        } else {
            self.0.blob_bytes(&desc.digest.to_string(), limit)
        }
    }
}

/// Opens `reference` from its registry; errors name the reference, and a
/// Docker Hub name whose registry cannot be reached gets the local forms as
/// a hint (it was most likely meant as a local image).
pub(crate) fn open(reference: &RegistryRef, opts: &OpenOptions) -> Result<Image> {
    pull(reference, opts).map_err(|e| {
        let image = reference.with_default_tag();
        match e {
            Error::Unreachable { url, reason } if reference.registry == "docker.io" => {
                let name = reference.without_default_registry();
                let engines = crate::source::daemon::available();
                Error::NotLocal { name, image, reason: format!("{url} could not be reached ({reason})"), engines }
            }
            e @ (Error::Registry { .. } | Error::Unreachable { .. }) => Error::Pull { image, source: Box::new(e) },
            e => e,
        }
    })
}

/// The credentials for `reference`'s registry: `--creds`, else the docker config's.
fn credentials_for(reference: &RegistryRef, opts: &RegistryOptions) -> Result<Option<credentials::Credentials>> {
    match &opts.credentials {
        Some(c) => Ok(Some(c.clone())),
        None => match opts.docker_config.clone().or_else(credentials::default_docker_config) {
            Some(path) => credentials::from_docker_config(&path, &reference.registry),
            None => Ok(None),
        },
    }
}

/// The digest of the manifest or index `reference` names now (a tag is
/// read; a digest reference is checked against what comes back): what an
/// admission webhook pins a tag to before it judges the image.
pub fn resolve_digest(reference: &RegistryRef, opts: &OpenOptions) -> Result<Digest> {
    let creds = credentials_for(reference, &opts.registry)?;
    let client = Client::connect(reference.api_host(), &reference.repository, creds, &opts.registry)?;
    let (bytes, _, header_digest) = client.manifest(&reference.reference(), opts.limits.manifest_bytes)?;
    let digest = Digest::sha256_of(&bytes);
    for expected in [reference.digest.as_ref().map(ToString::to_string), header_digest].into_iter().flatten() {
        if expected.starts_with("sha256:") && expected != digest.to_string() {
            return Err(Error::DigestMismatch { what: format!("{reference}: manifest"), expected, actual: digest.to_string() });
        }
    }
    Ok(digest)
}

fn pull(reference: &RegistryRef, opts: &OpenOptions) -> Result<Image> {
    let name = reference.to_string();
    let creds = credentials_for(reference, &opts.registry)?;
    let client = Arc::new(Client::connect(reference.api_host(), &reference.repository, creds, &opts.registry)?);
    let limit = opts.limits.manifest_bytes;
    let (bytes, content_type, header_digest) = client.manifest(&reference.reference(), limit)?;
    let digest = Digest::sha256_of(&bytes);
    // A pull by digest must give exactly that content; the registry's own
    // header must agree with the bytes either way.
    for (expected, origin) in [(reference.digest.as_ref().map(ToString::to_string), "reference"), (header_digest, "Docker-Content-Digest")] {
        if let Some(expected) = expected.filter(|e| e.starts_with("sha256:") && *e != digest.to_string()) {
            return Err(Error::DigestMismatch { what: format!("{name}: manifest (by {origin})"), expected, actual: digest.to_string() });
        }
    }
    let media_type = if content_type.is_empty() { media::OCI_MANIFEST.to_owned() } else { content_type };
    let info = DocumentInfo { digest, media_type, size: bytes.len() as u64 };
    let opener = RegistryOpener(client);
    let fetch = |d: &Descriptor, limit: u64| opener.document(d, limit);
    let Resolved { manifest, index, platforms, config_digest, config, layers, annotations } =
        resolve::resolve(&name, (bytes, info), opts.platform.as_ref(), &opts.limits, &fetch)?;
    Ok(Image {
        name,
        manifest: Some(manifest),
        index,
        platforms,
        config_digest: Some(config_digest),
        config,
        layers,
        annotations,
        opener: Arc::new(opener),
    })
}
