//! `docker save` archives: `manifest.json` lists each image's config and
//! layer files; several images may share one archive.

use std::sync::Arc;

use serde::Deserialize;

use super::files::{Files, TarFiles};
use super::resolve;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{BlobPrint, Image, Layer, LayerContent, LayerOpener, Location};
use crate::model::{self, Descriptor, media};
use crate::OpenOptions;

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

/// The archive, and its config member by digest (configs are not layers,
/// and their member names need not state their digest).
struct MemberOpener(Arc<TarFiles>, Digest, String);

impl LayerOpener for MemberOpener {
    fn open(&self, layer: &Layer) -> Result<LayerContent> {
        match &layer.location {
            Location::Member(m) => Ok(LayerContent::Stream(self.0.open(m)?.0)),
            Location::Blob(d) => Ok(LayerContent::Stream(self.0.open(&format!("blobs/sha256/{}", d.hex()))?.0)),
            Location::Directory(p) => Ok(LayerContent::Directory(p.clone())),
            Location::Detached => Err(crate::image::detached()),
        }
    }

    fn print(&self, layer: &Layer) -> Result<Option<BlobPrint>> {
        match &layer.location {
            Location::Member(m) => self.0.print(m).map(Some),
            Location::Blob(d) => self.0.print(&format!("blobs/sha256/{}", d.hex())).map(Some),
            Location::Directory(_) | Location::Detached => Ok(None),
        }
    }

    fn blob(&self, digest: &Digest) -> Result<Box<dyn std::io::Read + Send>> {
        let member = if *digest == self.1 { self.2.clone() } else { format!("blobs/sha256/{}", digest.hex()) };
        Ok(self.0.open(&member)?.0)
    }
}

/// The digest a member's name promises, in the layouts docker and skopeo
/// write (`blobs/sha256/<hex>`, `<hex>.json`, `<hex>.tar`); other names
/// (`<v1-id>/layer.tar`) promise nothing.
fn digest_in_name(name: &str) -> Option<Digest> {
    let hex = name
        .strip_prefix("blobs/sha256/")
        .or_else(|| name.strip_suffix(".json"))
        .or_else(|| name.strip_suffix(".tar"))?;
    Digest::parse(&format!("sha256:{hex}")).ok()
}

/// Opens one image of a docker-archive.
pub(crate) fn open(name: &str, files: TarFiles, select: Option<&str>, opts: &OpenOptions) -> Result<Image> {
    let files = Arc::new(files);
    let limit = opts.limits.manifest_bytes;
    let bytes = files.read_small("manifest.json", limit)?;
    let entries: Vec<Entry> = model::parse_document(&bytes, limit, "docker-archive manifest")
        .map_err(|source| Error::Document { what: files.label("manifest.json"), source })?;
    let listing = || {
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| format!("@{i} {}", e.repo_tags.as_deref().unwrap_or_default().join(" ")).trim_end().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let entry = match select {
        None if entries.len() == 1 => &entries[0],
        None if entries.is_empty() => return Err(Error::Select { image: name.into(), reason: "manifest.json lists no images".into() }),
        None => {
            return Err(Error::Select {
                image: name.into(),
                reason: format!("the archive holds {} images; pick one with :REPO:TAG or :@N ({})", entries.len(), listing()),
            });
        }
        Some(sel) => {
            let found = match sel.strip_prefix('@') {
                Some(n) => n.parse::<usize>().ok().and_then(|n| entries.get(n)),
                None => entries.iter().find(|e| {
                    e.repo_tags.iter().flatten().any(|t| t == sel || t.strip_prefix("docker.io/").is_some_and(|s| s == sel))
                }),
            };
            found.ok_or_else(|| Error::Select { image: name.into(), reason: format!("no image '{sel}' in the archive ({})", listing()) })?
        }
    };

    let cfg_bytes = files.read_small(&entry.config, opts.limits.config_bytes)?;
    let config_digest = Digest::sha256_of(&cfg_bytes);
    if let Some(expected) = digest_in_name(&entry.config).filter(|d| *d != config_digest) {
        return Err(Error::DigestMismatch { what: files.label(&entry.config), expected: expected.to_string(), actual: config_digest.to_string() });
    }
    let config = model::parse_config(&cfg_bytes, opts.limits.config_bytes)
        .map_err(|source| Error::Document { what: files.label(&entry.config), source })?;

    // Describe each member like a manifest layer so the same checks apply;
    // the blob digest is only known when the member name states it.
    let mut descriptors = Vec::with_capacity(entry.layers.len());
    let mut members = Vec::with_capacity(entry.layers.len());
    for (i, member) in entry.layers.iter().enumerate() {
        let (_, size) = files.open(member)?;
        let named = digest_in_name(member);
        let placeholder = config.rootfs.diff_ids.get(i).cloned().unwrap_or_else(|| Digest::sha256_of(member.as_bytes()));
        descriptors.push(Descriptor {
            media_type: media::DOCKER_LAYER_TAR.to_owned(),
            digest: named.clone().unwrap_or(placeholder),
            size,
            platform: None,
            annotations: Default::default(),
        });
        members.push((member.clone(), named));
    }
    let mut layers = resolve::layers_from(name, &descriptors, &config, |i, _| Location::Member(members[i].0.clone()))?;
    for (layer, (_, named)) in layers.iter_mut().zip(members) {
        layer.digest = named;
    }
    Ok(Image {
        name: name.to_owned(),
        manifest: None,
        index: None,
        platforms: Vec::new(),
        config_digest: Some(config_digest.clone()),
        config,
        layers,
        annotations: Default::default(),
        opener: Arc::new(MemberOpener(files, config_digest.clone(), entry.config.clone())),
    })
}
