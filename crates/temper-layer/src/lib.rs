//! The layer stage: one streaming pass per layer, then the merged view.
//!
//! # Flow
//! [`walk_image`] runs [`walk_layer`] for every layer in parallel. Each
//! pass reads the stored blob exactly once: it counts and hashes the stored
//! bytes (digest), detects gzip or zstd by magic bytes, bounds the output
//! ([`Limits`]), hashes the tar (diffID) and records every entry as a
//! [`FileEntry`] without buffering file contents. [`analyze`] then stacks
//! the layers ([`Merged`]) and computes dive's waste figures ([`Efficiency`]).
//! [`walk_image_with`] also hands each file an [`Analyzer`] asks for to it
//! during the same pass (catalogers and secret rules plug in there).
//!
//! # Decisions
//! - A digest or diffID mismatch is an error naming the layer; nothing from
//!   an unverified layer is reported.
//! - Paths are root-relative and never contain `..`; absolute names and
//!   writes through symlinks are refused, because an unpacker following
//!   them would leave the root.
//! - Memory grows with the number of entries, never with layer size.
//!
//! This crate never opens files of its own accord: sources come from
//! `temper-image`.

mod analyzer;
mod efficiency;
mod entry;
mod merge;
mod report;
mod rootfs;
mod targuard;
mod walk;

use std::sync::atomic::AtomicU64;

use rayon::prelude::*;
use temper_image::Image;

pub use analyzer::{Analyzer, AnalyzerSet, Budget, FileSink, Found, HEAD_BYTES, IMAGE_WORK, LAYER_WORK, NoFiles};
pub use efficiency::{Efficiency, WastedFile};
pub use entry::{EntryKind, FileEntry};
pub use merge::{LayerChange, MergeError, Merged, MergedEntry};
pub use report::{Amount, HistoryStep, LayerReport, LayerRow, Threshold, ThresholdResult};
pub use walk::{normalise_path, walk_layer, walk_layer_with, Compression, LayerIndex, NoProgress, Progress};

/// Bounds on what a layer may decompress to.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Uncompressed bytes per layer.
    pub max_layer_bytes: u64,
    /// Uncompressed bytes over all layers of an image.
    pub max_image_bytes: u64,
    /// Uncompressed : stored ratio (checked past 64 MiB of output).
    pub max_ratio: u64,
    /// Entries per layer.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_layer_bytes: 32 << 30, max_image_bytes: 128 << 30, max_ratio: 200, max_entries: 4_000_000 }
    }
}

/// Why a layer could not be walked.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// The layer could not be opened.
    #[error(transparent)]
    Open(#[from] temper_image::Error),
    /// The layer's content is broken, hostile or over a limit.
    #[error("{what}: {reason}")]
    Layer {
        /// Which layer.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// The layers cannot be stacked safely.
    #[error(transparent)]
    Merge(#[from] MergeError),
}

/// Walks every layer of `image`, in parallel, each exactly once. On
/// failure the error of the lowest failing layer is returned.
pub fn walk_image(image: &Image, limits: &Limits, progress: &dyn Progress) -> Result<Vec<LayerIndex>, WalkError> {
    walk_image_with(image, limits, progress, &NoFiles)
}

/// [`walk_image`], handing every file `sink` wants to it during the pass.
pub fn walk_image_with(image: &Image, limits: &Limits, progress: &dyn Progress, sink: &dyn FileSink) -> Result<Vec<LayerIndex>, WalkError> {
    let total = AtomicU64::new(0);
    (0..image.layers.len())
        .into_par_iter()
        .map(|i| {
            let content = image.open_layer(i)?;
            walk::walk_layer_with(i, &image.layers[i], content, limits, &total, progress, sink)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

/// The merged filesystem and its waste figures.
#[derive(Debug)]
pub struct Analysis {
    /// The stacked filesystem, with per-layer changes.
    pub merged: Merged,
    /// dive's efficiency and wasted bytes.
    pub efficiency: Efficiency,
}

/// Stacks walked layers and measures waste, in one sequential sweep.
pub fn analyze(layers: &[LayerIndex]) -> Result<Analysis, MergeError> {
    let mut merged = Merged::default();
    let mut counter = efficiency::EfficiencyCounter::default();
    for (i, l) in layers.iter().enumerate() {
        counter.visit(i, l, &merged);
        merged.apply(i, l)?;
    }
    Ok(Analysis { merged, efficiency: counter.finish() })
}
