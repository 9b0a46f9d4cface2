//! From a top-level manifest or index down to one image: platform choice,
//! digest checks of every document, config parsing, layer list.

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{DocumentInfo, Layer, Location};
use crate::model::{self, Descriptor, ImageConfig, Manifest, ManifestKind, media};
use crate::platform::Platform;
use crate::Limits;

/// What a resolution found.
pub(crate) struct Resolved {
    pub manifest: DocumentInfo,
    pub index: Option<DocumentInfo>,
    pub platforms: Vec<Platform>,
    pub config_digest: Digest,
    pub config: ImageConfig,
    pub layers: Vec<Layer>,
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// How a source reads a document or blob by descriptor.
pub(crate) type Fetch<'a> = dyn Fn(&Descriptor, u64) -> Result<Vec<u8>> + 'a;

/// Nested indexes deeper than this are refused (real ones nest at most once).
const MAX_DEPTH: usize = 4;

/// Reads `desc` through `fetch` and checks its digest and size.
pub(crate) fn fetch_verified(image: &str, desc: &Descriptor, limit: u64, fetch: &Fetch<'_>) -> Result<Vec<u8>> {
    if desc.size > limit {
        return Err(Error::Document {
            what: format!("{image}: {} {}", kind_name(&desc.media_type), desc.digest),
            source: model::ParseError::TooLarge { size: desc.size, limit },
        });
    }
    let bytes = fetch(desc, limit)?;
    if !desc.digest.matches(&bytes) {
        let actual = Digest::sha256_of(&bytes);
        return Err(Error::DigestMismatch {
            what: format!("{image}: {} {}", kind_name(&desc.media_type), desc.digest),
            expected: desc.digest.to_string(),
            actual: actual.to_string(),
        });
    }
    if bytes.len() as u64 != desc.size {
        return Err(Error::Format {
            path: image.into(),
            reason: format!("{} is {} bytes but its descriptor says {}", desc.digest, bytes.len(), desc.size),
        });
    }
    Ok(bytes)
}

fn kind_name(mt: &str) -> &'static str {
    if media::is_index(mt) {
        "index"
    } else if mt == media::OCI_CONFIG || mt == media::DOCKER_CONFIG {
        "config"
    } else {
        "manifest"
    }
}

/// Whether an index entry is an attestation or signature, not an image.
fn is_attachment(d: &Descriptor) -> bool {
    d.annotations.contains_key("vnd.docker.reference.type")
        || d.platform.as_ref().is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
}

/// Resolves the document `top` (already read and verified) to one image.
pub(crate) fn resolve(
    image: &str,
    top: (Vec<u8>, DocumentInfo),
    want: Option<&Platform>,
    limits: &Limits,
    fetch: &Fetch<'_>,
) -> Result<Resolved> {
    let (mut bytes, mut info) = top;
    let mut index_info = None;
    let mut platforms = Vec::new();
    for _ in 0..=MAX_DEPTH {
        let parsed = model::parse_manifest_or_index(&bytes, Some(&info.media_type), limits.manifest_bytes)
            .map_err(|source| Error::Document { what: format!("{image}: manifest {}", info.digest), source })?;
        match parsed {
            ManifestKind::Manifest(m) => {
                let media_type = m.media_type.clone().unwrap_or_else(|| info.media_type.clone());
                let info = DocumentInfo { media_type, ..info };
                return finish(image, *m, info, index_info, platforms, limits, fetch);
            }
            ManifestKind::Index(idx) => {
                if index_info.is_none() {
                    index_info = Some(info.clone());
                }
                let images: Vec<&Descriptor> = idx.manifests.iter().filter(|d| !is_attachment(d)).collect();
                platforms = images.iter().filter_map(|d| d.platform.clone()).collect();
                let chosen = choose(image, &images, want)?;
                bytes = fetch_verified(image, chosen, limits.manifest_bytes, fetch)?;
                info = DocumentInfo {
                    digest: chosen.digest.clone(),
                    media_type: chosen.media_type.clone(),
                    size: chosen.size,
                };
            }
        }
    }
    Err(Error::Format { path: image.into(), reason: format!("indexes nested deeper than {MAX_DEPTH} levels") })
}

fn choose<'d>(image: &str, images: &[&'d Descriptor], want: Option<&Platform>) -> Result<&'d Descriptor> {
    let target = want.cloned().unwrap_or_else(Platform::host);
    if let Some(d) = images.iter().find(|d| d.platform.as_ref().is_some_and(|p| p.satisfies(&target))) {
        return Ok(d);
    }
    // An index of one image without platform data: nothing to choose.
    if want.is_none() && images.len() == 1 && images[0].platform.is_none() {
        return Ok(images[0]);
    }
    Err(Error::NoPlatform {
        image: image.into(),
        wanted: target.to_string(),
        available: images
            .iter()
            .map(|d| d.platform.as_ref().map_or_else(|| format!("(unspecified) {}", d.digest), ToString::to_string))
            .collect(),
    })
}

fn finish(
    image: &str,
    manifest: Manifest,
    info: DocumentInfo,
    index: Option<DocumentInfo>,
    platforms: Vec<Platform>,
    limits: &Limits,
    fetch: &Fetch<'_>,
) -> Result<Resolved> {
    let cfg_mt = manifest.config.media_type.as_str();
    if !(cfg_mt.is_empty() || cfg_mt == media::OCI_CONFIG || cfg_mt == media::DOCKER_CONFIG) {
        return Err(Error::Format {
            path: image.into(),
            reason: format!("is not a container image (config media type '{cfg_mt}')"),
        });
    }
    let cfg_bytes = fetch_verified(image, &manifest.config, limits.config_bytes, fetch)?;
    let config = model::parse_config(&cfg_bytes, limits.config_bytes)
        .map_err(|source| Error::Document { what: format!("{image}: config {}", manifest.config.digest), source })?;
    let layers = layers_from(image, &manifest.layers, &config, |_, d| Location::Blob(d.digest.clone()))?;
    Ok(Resolved { manifest: info, index, platforms, config_digest: manifest.config.digest, config, layers, annotations: manifest.annotations })
}

/// Pairs manifest layer descriptors with the config's diffIDs.
pub(crate) fn layers_from(
    image: &str,
    descriptors: &[Descriptor],
    config: &ImageConfig,
    location: impl Fn(usize, &Descriptor) -> Location,
) -> Result<Vec<Layer>> {
    let diff_ids = &config.rootfs.diff_ids;
    if diff_ids.len() != descriptors.len() {
        return Err(Error::Format {
            path: image.into(),
            reason: format!("manifest lists {} layers but the config lists {} diff_ids", descriptors.len(), diff_ids.len()),
        });
    }
    descriptors
        .iter()
        .zip(diff_ids)
        .enumerate()
        .map(|(i, (d, diff_id))| {
            if !media::is_layer(&d.media_type) {
                return Err(Error::Format {
                    path: image.into(),
                    reason: format!("layer {i} ({}) has media type '{}', which is not a filesystem layer", d.digest, d.media_type),
                });
            }
            Ok(Layer {
                digest: Some(d.digest.clone()),
                diff_id: Some(diff_id.clone()),
                media_type: d.media_type.clone(),
                size: Some(d.size),
                location: location(i, d),
            })
        })
        .collect()
}
