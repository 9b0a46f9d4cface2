//! Finds an image wherever it lives and describes it: which manifest, which
//! platform, which config, which layers, and how to stream each layer.
//!
//! # Flow
//! [`Source::parse`] turns what the user typed (`docker-archive:x.tar`,
//! `oci:dir:tag`, `oci-archive:x.tar`, `dir:rootfs`, `docker-daemon:alpine:3.19`,
//! `podman:app`, `host/repo:tag@digest`)
//! into a [`Source`]; [`open`] reads the small documents (index, manifest,
//! config), checks every digest, picks a platform and returns an [`Image`].
//! [`Image::open_layer`] then hands out a layer's bytes as a stream; the
//! layer crate decompresses, verifies and walks it.
//!
//! # Decisions
//! - Nothing is unpacked to disk: archives are indexed by header and their
//!   members streamed by seeking; registry blobs are streamed as they arrive.
//!   The one exception is a local engine's export, spooled to a temporary
//!   file (bounded) because its index comes last.
//! - Registry requests are retried on transient failures with capped,
//!   jittered backoff and `Retry-After`; blob downloads resume by `Range`.
//! - Every JSON document is size-checked before it is parsed ([`Limits`]).
//! - This crate never decompresses or interprets layer content.
//!
//! ```
//! use temper_image::{Source, RegistryRef};
//! let src = Source::parse("registry:localhost:5000/lab/app:1.0").unwrap();
//! assert_eq!(src, Source::Registry(RegistryRef::parse("localhost:5000/lab/app:1.0").unwrap()));
//! ```

pub mod digest;
mod error;
mod image;
pub mod model;
pub mod platform;
mod reference;
pub mod registry;
mod source;


use std::sync::Arc;

pub use digest::Digest;
pub use error::{Error, Result};
pub use image::{BlobPrint, DocumentInfo, EDGE_BYTES, Image, Layer, LayerContent};
pub use platform::Platform;
pub use reference::{Engine, RegistryRef, Source};
pub use registry::RegistryOptions;

/// Byte limits for the documents read before any layer.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Manifests, indexes, `index.json`, `manifest.json` (the distribution
    /// spec lets registries refuse manifests above 4 MiB).
    pub manifest_bytes: u64,
    /// Image config blobs.
    pub config_bytes: u64,
    /// A whole image archive spooled from a local engine (`docker-daemon:`).
    pub archive_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { manifest_bytes: 4 << 20, config_bytes: 16 << 20, archive_bytes: 128 << 30 }
    }
}

/// How to open an image.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// The platform to pick from an index (default: the host's).
    pub platform: Option<Platform>,
    /// Document size limits.
    pub limits: Limits,
    /// Registry access.
    pub registry: RegistryOptions,
}

/// Opens `source` and resolves it to one image.
pub fn open(source: &Source, opts: &OpenOptions) -> Result<Image> {
    let name = source.to_string();
    match source {
        Source::DockerArchive { path, select } => {
            source::docker_archive::open(&name, source::files::TarFiles::index(path)?, select.as_deref(), opts)
        }
        Source::Daemon { engine, name: image } => source::daemon::open(&name, *engine, image, opts),
        Source::OciDir { path, tag } => {
            source::oci::open(&name, Arc::new(source::files::DirFiles { root: path.clone() }), tag.as_deref(), opts)
        }
        Source::OciArchive { path, tag } => {
            source::oci::open(&name, Arc::new(source::files::TarFiles::index(path)?), tag.as_deref(), opts)
        }
        Source::Dir { path } => source::rootfs::open(&name, path),
        Source::Registry(r) => registry::open(r, opts),
    }
}

/// Parses and opens in one call.
pub fn open_str(input: &str, opts: &OpenOptions) -> Result<Image> {
    open(&Source::parse(input)?, opts)
}

