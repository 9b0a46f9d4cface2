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

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use temper_image::Image;

pub use analyzer::{Analyzer, AnalyzerSet, Budget, FileSink, Found, HEAD_BYTES, IMAGE_WORK, LAYER_WORK, NoFiles};
pub use efficiency::{Efficiency, WastedFile};
pub use entry::{EntryKind, FileEntry};
pub use merge::{LayerChange, MergeError, Merged, MergedEntry};
pub use report::{Amount, HistoryStep, LayerReport, LayerRow, Threshold, ThresholdResult};
pub use targuard::{MAX_METADATA, TarGuard};
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
    /// Tar entries over all layers of an image (a blob listed twice
    /// counts twice: its entries are held twice).
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_layer_bytes: 32 << 30, max_image_bytes: 128 << 30, max_ratio: 200, max_entries: 2_000_000 }
    }
}

/// What the layers of one image have used of its [`Limits`] so far,
/// shared by the layer passes running in parallel.
#[derive(Debug, Default)]
pub struct ImageTally {
    bytes: AtomicU64,
    entries: AtomicU64,
}

impl ImageTally {
    /// Counts `n` more entries, refusing past [`Limits::max_entries`]:
    /// memory grows with entries, so their number is what bounds it.
    pub fn add_entries(&self, n: u64, limits: &Limits) -> Result<(), String> {
        let seen = self.entries.fetch_add(n, Ordering::Relaxed) + n;
        if seen > limits.max_entries {
            return Err(format!(
                "the image has more than {} tar entries over its layers; if it really has that many files, raise the limit with --max-entries",
                limits.max_entries
            ));
        }
        Ok(())
    }
}

/// For each layer, the index of the first layer stored as the same blob
/// (itself when it is the first): a manifest may list one blob many times,
/// and it is read once.
pub fn first_copies(image: &Image) -> Vec<usize> {
    // A hash map, not a look-back per layer: a 4 MiB manifest can list
    // tens of thousands of layers.
    let mut first: std::collections::HashMap<(&temper_image::Digest, Option<&temper_image::Digest>), usize> = std::collections::HashMap::new();
    image
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| l.digest.as_ref().map_or(i, |d| *first.entry((d, l.diff_id.as_ref())).or_insert(i)))
        .collect()
}

/// Layer `index`, a repeat of a blob already walked as `first`: the same
/// entries, counted again against the image's entry cap.
pub fn repeat_layer(index: usize, first: &LayerIndex, limits: &Limits, tally: &ImageTally, progress: &dyn Progress) -> Result<LayerIndex, WalkError> {
    progress.start(index, Some(first.compressed_size));
    progress.advance(index, first.compressed_size);
    progress.finish(index);
    tally
        .add_entries(first.tar_entries, limits)
        .map_err(|reason| WalkError::Layer { what: format!("layer {index} (a repeat of layer {})", first_label(first)), reason })?;
    Ok(first.clone())
}

fn first_label(first: &LayerIndex) -> String {
    first.digest.as_ref().map_or_else(|| "an earlier layer".to_owned(), ToString::to_string)
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

/// Walks every layer of `image`, in parallel, each stored blob exactly
/// once. On failure the error of the lowest failing layer is returned.
pub fn walk_image(image: &Image, limits: &Limits, progress: &dyn Progress) -> Result<Vec<LayerIndex>, WalkError> {
    walk_image_with(image, limits, progress, &NoFiles)
}

/// [`walk_image`], handing every file `sink` wants to it during the pass
/// (a blob listed twice hands its files over once, under its first layer).
pub fn walk_image_with(image: &Image, limits: &Limits, progress: &dyn Progress, sink: &dyn FileSink) -> Result<Vec<LayerIndex>, WalkError> {
    let tally = ImageTally::default();
    let firsts = first_copies(image);
    let walked: Vec<Option<Result<LayerIndex, WalkError>>> = (0..image.layers.len())
        .into_par_iter()
        .map(|i| {
            (firsts[i] == i).then(|| {
                let content = image.open_layer(i)?;
                walk::walk_layer_with(i, &image.layers[i], content, limits, &tally, progress, sink)
            })
        })
        .collect();
    let mut layers: Vec<LayerIndex> = Vec::with_capacity(walked.len());
    for (i, w) in walked.into_iter().enumerate() {
        layers.push(match w {
            Some(r) => r?,
            None => repeat_layer(i, &layers[firsts[i]], limits, &tally, progress)?,
        });
    }
    Ok(layers)
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

/// Parses `123`, `1.5GB` (decimal units), `20MiB` / `20M` (binary units).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("'{s}' is not a size (e.g. 500MB, 1.5GiB, 1048576)"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0f64.powi(4),
        _ => return Err(format!("'{s}': unknown unit '{unit}' (B, kB, MB, GB, KiB, MiB, GiB)")),
    };
    let bytes = value * mult;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(format!("'{s}' is out of range"));
    }
    Ok(bytes.round() as u64)
}
