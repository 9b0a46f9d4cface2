//! Errors that name the input and the cause.

use std::path::PathBuf;

use crate::model::ParseError;

/// Everything that can go wrong while locating and opening an image.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A reference that does not parse.
    #[error("invalid image reference '{input}': {reason}")]
    Reference {
        /// What the user typed.
        input: String,
        /// Why it is wrong.
        reason: String,
    },
    /// A container file (archive, layout) that is malformed.
    #[error("{}: {reason}", path.display())]
    Format {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A JSON document that could not be read.
    #[error("{what} {source}")]
    Document {
        /// Which document (`oci:x/index.json`, `manifest sha256:…`).
        what: String,
        /// The cause.
        source: ParseError,
    },
    /// No image matched the requested platform.
    #[error("{image}: no image for platform {wanted}; available: {}", available.join(", "))]
    NoPlatform {
        /// The image.
        image: String,
        /// What was asked for.
        wanted: String,
        /// What the index offers.
        available: Vec<String>,
    },
    /// The archive or layout holds several images and none was chosen.
    #[error("{image}: {reason}")]
    Select {
        /// The image source.
        image: String,
        /// What is ambiguous or missing, with the choices.
        reason: String,
    },
    /// Content whose digest is not the one it was named by.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// Which blob.
        what: String,
        /// The digest it was referenced by.
        expected: String,
        /// The digest of the bytes read.
        actual: String,
    },
    /// A registry request failed.
    #[error("{url}: {reason}")]
    Registry {
        /// The URL (never with credentials).
        url: String,
        /// Status and registry error text, or the transport error.
        reason: String,
    },
    /// A registry host that could not be reached at all (name not
    /// resolved, connection refused or timed out).
    #[error("{url}: cannot connect: {reason}")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// Pulling an image failed; names the reference beside the URL.
    #[error("{image}: {source}")]
    Pull {
        /// The reference, normalised (`docker.io/library/x:latest`).
        image: String,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
    /// Pushing an image failed; names the destination beside the URL.
    #[error("pushing to {image}: {source}")]
    Push {
        /// The destination reference (`host/repo:tag`).
        image: String,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
    /// A name without a registry host, read as a Docker Hub reference,
    /// whose registry could not be reached: most often a local image.
    #[error(
        "'{name}' was read as the registry reference {image}, but {reason}; for a local image use docker-daemon:{name} (Docker), podman:{name} (Podman), docker-archive:PATH (a `docker save` tar), oci:DIR (an OCI layout) or a path; {}",
        if engines.is_empty() { "no Docker or Podman API socket was found here".to_owned() } else { format!("engines found here: {}", engines.join(", ")) }
    )]
    NotLocal {
        /// The short name (`alpine:3.19`).
        name: String,
        /// The reference it was read as.
        image: String,
        /// Why the registry failed.
        reason: String,
        /// Local engines whose API is reachable by socket or configured.
        engines: Vec<String>,
    },
    /// A local engine (Docker, Podman) could not be asked or refused.
    #[error("{image}: {reason}")]
    Daemon {
        /// The source as typed (`docker-daemon:alpine`).
        image: String,
        /// What failed and how to fix it.
        reason: String,
    },
    /// Credentials could not be found or used.
    #[error("credentials for {registry}: {reason}")]
    Credentials {
        /// Registry host.
        registry: String,
        /// What failed.
        reason: String,
    },
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
