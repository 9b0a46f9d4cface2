//! OCI image layouts, as a directory (`oci:`) or a tar of one (`oci-archive:`).

use std::sync::Arc;

use serde::Deserialize;

use super::files::Files;
use super::resolve::{self, Resolved};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{BlobPrint, DocumentInfo, Image, Layer, LayerContent, LayerOpener, Location};
use crate::model::{self, Descriptor, Index};
use crate::{Limits, OpenOptions};

const REF_NAME: &str = "org.opencontainers.image.ref.name";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LayoutMarker {
    image_layout_version: String,
}

fn blob_path(d: &Digest) -> String {
    format!("blobs/{}/{}", d.to_string().split(':').next().unwrap_or("sha256"), d.hex())
}

struct BlobOpener(Arc<dyn Files>);

impl LayerOpener for BlobOpener {
    fn open(&self, layer: &Layer) -> Result<LayerContent> {
        match &layer.location {
            Location::Blob(d) => Ok(LayerContent::Stream(self.0.open(&blob_path(d))?.0)),
            Location::Member(m) => Ok(LayerContent::Stream(self.0.open(m)?.0)),
            Location::Directory(p) => Ok(LayerContent::Directory(p.clone())),
            Location::Detached => Err(crate::image::detached()),
        }
    }

    fn print(&self, layer: &Layer) -> Result<Option<BlobPrint>> {
        match &layer.location {
            Location::Blob(d) => self.0.print(&blob_path(d)).map(Some),
            Location::Member(m) => self.0.print(m).map(Some),
            Location::Directory(_) | Location::Detached => Ok(None),
        }
    }

    fn file(&self, layer: &Layer) -> Option<std::path::PathBuf> {
        match &layer.location {
            Location::Blob(d) => self.0.path(&blob_path(d)),
            _ => None,
        }
    }

    fn blob(&self, digest: &Digest) -> Result<Box<dyn std::io::Read + Send>> {
        Ok(self.0.open(&blob_path(digest))?.0)
    }
}

/// Opens the image `tag` (or the only one) of a layout read through `files`.
pub(crate) fn open(name: &str, files: Arc<dyn Files>, tag: Option<&str>, opts: &OpenOptions) -> Result<Image> {
    let limits: &Limits = &opts.limits;
    let marker = files.read_small("oci-layout", 64 * 1024)?;
    let marker: LayoutMarker = model::parse_document(&marker, 64 * 1024, "OCI layout marker")
        .map_err(|source| Error::Document { what: files.label("oci-layout"), source })?;
    if !marker.image_layout_version.starts_with("1.") {
        return Err(Error::Format {
            path: files.label("oci-layout").into(),
            reason: format!("unsupported imageLayoutVersion '{}'", marker.image_layout_version),
        });
    }
    let index_bytes = files.read_small("index.json", limits.manifest_bytes)?;
    let index: Index = model::parse_document(&index_bytes, limits.manifest_bytes, "OCI image index")
        .map_err(|source| Error::Document { what: files.label("index.json"), source })?;
    let top = select(name, &index.manifests, tag)?;

    let fetch = |d: &Descriptor, limit: u64| files.read_small(&blob_path(&d.digest), limit);
    let bytes = resolve::fetch_verified(name, top, limits.manifest_bytes, &fetch)?;
    let info = DocumentInfo { digest: top.digest.clone(), media_type: top.media_type.clone(), size: top.size };
    let Resolved { manifest, index, platforms, config_digest, config, layers, annotations } =
        resolve::resolve(name, (bytes, info), opts.platform.as_ref(), limits, &fetch)?;
    Ok(Image {
        name: name.to_owned(),
        manifest: Some(manifest),
        index,
        platforms,
        config_digest: Some(config_digest),
        config,
        layers,
        annotations,
        opener: Arc::new(BlobOpener(files)),
    })
}

fn select<'a>(name: &str, entries: &'a [Descriptor], tag: Option<&str>) -> Result<&'a Descriptor> {
    let tags = || {
        let tags: Vec<String> = entries.iter().filter_map(|d| d.annotations.get(REF_NAME).cloned()).collect();
        if tags.is_empty() { "it tags none".to_owned() } else { format!("tags: {}", tags.join(", ")) }
    };
    match tag {
        Some(t) => entries.iter().find(|d| d.annotations.get(REF_NAME).is_some_and(|r| r == t)).ok_or_else(|| Error::Select {
            image: name.into(),
            reason: format!("no manifest tagged '{t}'; {}", tags()),
        }),
        // Signatures, attestations and SBOMs attached by tag are not images to pick.
        None => match entries.iter().filter(|d| !d.annotations.get(REF_NAME).is_some_and(|r| is_attachment_tag(r))).collect::<Vec<_>>().as_slice() {
            [one] => Ok(one),
            [] => Err(Error::Select { image: name.into(), reason: "index.json lists no manifests".into() }),
            images => Err(Error::Select {
                image: name.into(),
                reason: format!("index.json lists {} manifests; pick one with :TAG ({})", images.len(), tags()),
            }),
        },
    }
}

/// cosign's tags for what it attaches to a manifest: `sha256-<hex>` (the
/// referrers tag schema) and `sha256-<hex>.sig`, `.att`, `.sbom`.
pub(crate) fn is_attachment_tag(tag: &str) -> bool {
    let Some(rest) = tag.strip_prefix("sha256-") else { return false };
    let hex = rest.strip_suffix(".sig").or_else(|| rest.strip_suffix(".att")).or_else(|| rest.strip_suffix(".sbom")).unwrap_or(rest);
    hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod attachment_tag_tests {
    use super::is_attachment_tag;

    #[test]
    fn cosign_tags_are_attachments_and_others_are_not() {
        let hex = "8b4b157099d5fad152a371f17ec6a7237d7ec4525f6bc227a4f837d0db425339";
        for t in [format!("sha256-{hex}"), format!("sha256-{hex}.sig"), format!("sha256-{hex}.att"), format!("sha256-{hex}.sbom")] {
            assert!(is_attachment_tag(&t), "{t}");
        }
        for t in ["latest", "1.1.0", &format!("sha256-{hex}.tar"), "sha256-abc.sig", &format!("sha512-{hex}")] {
            assert!(!is_attachment_tag(t), "{t}");
        }
    }
}
