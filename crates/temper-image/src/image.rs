//! The opened image: what was selected, its config and its layers, and a
//! handle that streams each layer's bytes from wherever they live.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::digest::Digest;
use crate::error::Result;
use crate::model::{Descriptor, ImageConfig};
use crate::platform::Platform;

/// A document (manifest or index) by digest, media type and size.
#[derive(Clone, Debug, Serialize)]
pub struct DocumentInfo {
    /// Digest of the document's bytes.
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Where a layer's bytes are found, interpreted by the source that made it.
#[derive(Clone, Debug)]
pub(crate) enum Location {
    /// A blob by digest (OCI layouts and registries).
    Blob(Digest),
    /// A member of an archive by name (docker-archive).
    Member(String),
    /// An unpacked directory (`dir:`): no tar at all.
    Directory(PathBuf),
    /// Described only (built by [`Layer::new`]); cannot be opened.
    Detached,
}

/// One layer as the manifest (or archive) describes it.
#[derive(Clone, Debug)]
pub struct Layer {
    /// Digest of the blob as stored, when the source names one.
    pub digest: Option<Digest>,
    /// Digest of the uncompressed tar, from the config's `rootfs.diff_ids`.
    pub diff_id: Option<Digest>,
    /// Media type as declared.
    pub media_type: String,
    /// Stored size in bytes, when known before reading.
    pub size: Option<u64>,
    pub(crate) location: Location,
}

impl Layer {
    /// Describes a layer that is not part of an opened image, e.g. to walk
    /// a blob from elsewhere with the same digest checks.
    pub fn new(digest: Option<Digest>, diff_id: Option<Digest>, media_type: impl Into<String>, size: Option<u64>) -> Self {
        Layer { digest, diff_id, media_type: media_type.into(), size, location: Location::Detached }
    }
}

/// A layer's content, ready to walk.
pub enum LayerContent {
    /// A blob stream (compressed or not); the walker detects which.
    Stream(Box<dyn Read + Send>),
    /// A directory tree to walk in place.
    Directory(PathBuf),
}

/// What can be learnt about a layer's stored blob without reading it
/// whole: enough for a cache to tell that the blob it verified before has
/// not changed since, for a fraction of the cost of re-hashing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobPrint {
    /// Stored size in bytes.
    pub size: u64,
    /// SHA-256 of the blob's first [`EDGE_BYTES`] and last [`EDGE_BYTES`]
    /// (of all of it when smaller than twice that); `None` when the bytes
    /// are not at hand (a registry blob, fetched by digest only when read).
    pub edges: Option<Digest>,
}

impl BlobPrint {
    /// The print of a blob stored whole in the file at `path` (one a
    /// builder just wrote, say).
    pub fn of_file(path: &std::path::Path) -> std::io::Result<BlobPrint> {
        let mut file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        crate::source::files::print_at(&mut file, 0, size)
    }
}

/// How much of each end of a blob [`BlobPrint::edges`] covers: headers,
/// compression framing and the tar end are there, and reading 2 MiB of a
/// local file costs about a millisecond whatever the blob's size.
pub const EDGE_BYTES: u64 = 1 << 20;

/// Opens layer content for the source that produced an [`Image`].
pub(crate) trait LayerOpener: Send + Sync {
    fn open(&self, layer: &Layer) -> Result<LayerContent>;

    /// The blob's print; by default (registries) its size as the verified
    /// manifest declares it, since a registry blob is fetched by digest and
    /// checked whole whenever it is read.
    fn print(&self, layer: &Layer) -> Result<Option<BlobPrint>> {
        Ok(layer.size.map(|size| BlobPrint { size, edges: None }))
    }

    /// The layer's blob as a regular file on disk, for a source that keeps
    /// it as one (an OCI layout directory).
    fn file(&self, _layer: &Layer) -> Option<PathBuf> {
        None
    }

    /// Opens any blob of the source (config or layer) by digest, to copy it.
    fn blob(&self, digest: &Digest) -> Result<Box<dyn Read + Send>> {
        Err(crate::Error::Format { path: Default::default(), reason: format!("this source holds no blobs (asked for {digest})") })
    }

    /// Reads a manifest, index or config whole, refused above `limit`;
    /// registries serve manifests apart from blobs, files do not.
    fn document(&self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.blob(&desc.digest)?
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|source| crate::Error::Io { path: desc.digest.to_string().into(), source })?;
        Ok(bytes)
    }
}

/// An image, resolved to one platform, ready to be walked.
#[derive(Clone)]
pub struct Image {
    /// The source as the user would write it again.
    pub name: String,
    /// The image manifest, when the source has one.
    pub manifest: Option<DocumentInfo>,
    /// The index the manifest was chosen from, if any.
    pub index: Option<DocumentInfo>,
    /// Platforms the index offered.
    pub platforms: Vec<Platform>,
    /// Digest of the config blob.
    pub config_digest: Option<Digest>,
    /// The parsed config.
    pub config: ImageConfig,
    /// Layers, base first.
    pub layers: Vec<Layer>,
    /// The manifest's annotations (none for archives and directories).
    pub annotations: std::collections::BTreeMap<String, String>,
    pub(crate) opener: Arc<dyn LayerOpener>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image").field("name", &self.name).field("layers", &self.layers.len()).finish()
    }
}

impl Image {
    /// The platform the image is for, from its config.
    pub fn platform(&self) -> Option<Platform> {
        (!self.config.os.is_empty()).then(|| Platform {
            os: self.config.os.clone(),
            architecture: self.config.architecture.clone(),
            variant: self.config.variant.clone(),
            os_version: None,
        })
    }

    /// Opens layer `index` (base is 0) for streaming.
    pub fn open_layer(&self, index: usize) -> Result<LayerContent> {
        let layer = self.layers.get(index).ok_or_else(|| crate::Error::Select {
            image: self.name.clone(),
            reason: format!("no layer {index} (the image has {})", self.layers.len()),
        })?;
        self.opener.open(layer)
    }

    /// Layer `index`'s [`BlobPrint`]: its size, and for blobs in local
    /// layouts and archives the digest of their first and last MiB; `None`
    /// for a directory, which has no blob.
    pub fn layer_print(&self, index: usize) -> Result<Option<BlobPrint>> {
        let layer = self.layers.get(index).ok_or_else(|| crate::Error::Select {
            image: self.name.clone(),
            reason: format!("no layer {index} (the image has {})", self.layers.len()),
        })?;
        self.opener.print(layer)
    }

    /// Layer `index`'s blob as a regular file on disk, when the source keeps
    /// it as one (an OCI layout directory): a builder can link it. Its
    /// content is whatever the file holds now; prove it before trusting it.
    pub fn layer_file(&self, index: usize) -> Option<PathBuf> {
        self.opener.file(self.layers.get(index)?)
    }

    /// Opens a blob of the image's source by digest (its config, a layer,
    /// or those of another platform of the same index), to copy it.
    pub fn open_blob(&self, digest: &Digest) -> Result<Box<dyn Read + Send>> {
        self.opener.blob(digest)
    }

    /// Reads a manifest, index or config of the image's source by
    /// descriptor, checked against the descriptor's digest and size.
    pub fn read_document(&self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        crate::source::resolve::fetch_verified(&self.name, desc, limit, &|d, l| self.opener.document(d, l))
    }

    /// A short name for layer `index` in messages: its digest, else diffID,
    /// else its position.
    pub fn layer_label(&self, index: usize) -> String {
        match self.layers.get(index) {
            Some(Layer { digest: Some(d), .. }) | Some(Layer { diff_id: Some(d), .. }) => format!("layer {index} ({d})"),
            _ => format!("layer {index}"),
        }
    }
}

/// The error for opening a described-only layer.
pub(crate) fn detached() -> crate::Error {
    crate::Error::Format { path: Default::default(), reason: "layer was only described, not opened from an image".into() }
}
