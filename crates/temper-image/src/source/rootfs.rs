//! `dir:` — an unpacked root filesystem, walked in place as one layer.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::image::{Image, Layer, LayerContent, LayerOpener, Location};
use crate::model::{ImageConfig, media};

struct DirOpener;

impl LayerOpener for DirOpener {
    fn open(&self, layer: &Layer) -> Result<LayerContent> {
        match &layer.location {
            Location::Directory(p) => Ok(LayerContent::Directory(p.clone())),
            _ => Err(Error::Format { path: Default::default(), reason: "a root filesystem has only a directory layer".into() }),
        }
    }
}

/// Describes `path` as an image of one directory layer with an empty config.
pub(crate) fn open(name: &str, path: &Path) -> Result<Image> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    if !meta.is_dir() {
        return Err(Error::Format { path: path.to_owned(), reason: "is not a directory".into() });
    }
    Ok(Image {
        name: name.to_owned(),
        manifest: None,
        index: None,
        platforms: Vec::new(),
        config_digest: None,
        config: ImageConfig::default(),
        layers: vec![Layer {
            digest: None,
            diff_id: None,
            media_type: media::OCI_LAYER_TAR.to_owned(),
            size: None,
            location: Location::Directory(path.to_owned()),
        }],
        annotations: Default::default(),
        opener: Arc::new(DirOpener),
    })
}
