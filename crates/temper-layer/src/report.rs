//! The figures `temper layers` reports and the CI thresholds checked on
//! them, computed once here so every output format shows the same numbers.

use serde::Serialize;
use temper_image::{Digest, Image};

use crate::efficiency::WastedFile;
use crate::entry::EntryKind;
use crate::walk::{Compression, LayerIndex};
use crate::Analysis;

/// One history entry lined up with the layer it made.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryStep {
    /// When.
    pub created: Option<String>,
    /// The instruction.
    pub created_by: Option<String>,
    /// Comment.
    pub comment: Option<String>,
    /// True when the step made no layer.
    pub empty_layer: bool,
    /// The layer it made, if any.
    pub layer: Option<usize>,
}

/// One layer's row.
#[derive(Clone, Debug, Serialize)]
pub struct LayerRow {
    /// Position, base = 0.
    pub index: usize,
    /// Stored blob digest (verified).
    pub digest: Option<Digest>,
    /// Uncompressed tar digest (verified).
    pub diff_id: Option<Digest>,
    /// Declared media type.
    pub media_type: String,
    /// Detected compression.
    pub compression: Compression,
    /// Stored bytes.
    pub size: u64,
    /// Uncompressed tar bytes.
    pub uncompressed_size: u64,
    /// The history instruction that made it.
    pub created_by: Option<String>,
    /// Tar entries (whiteouts included).
    pub entries: u64,
    /// Bytes of regular files new at their path.
    pub added_bytes: u64,
    /// Bytes of regular files replacing a lower path.
    pub modified_bytes: u64,
    /// Bytes of lower regular files deleted.
    pub removed_bytes: u64,
    /// Entries new at their path.
    pub added_files: u64,
    /// Entries replacing a lower path.
    pub modified_files: u64,
    /// Lower entries deleted.
    pub removed_files: u64,
    /// Lower bytes made invisible (deleted or overwritten).
    pub shadowed_bytes: u64,
    /// Paths deleted by `.wh.` entries.
    pub whiteouts: Vec<String>,
    /// Directories made opaque.
    pub opaque_dirs: Vec<String>,
}

/// The whole `temper layers` report.
#[derive(Clone, Debug, Serialize)]
pub struct LayerReport {
    /// The image as named.
    pub image: String,
    /// Manifest digest, when there is one.
    pub digest: Option<Digest>,
    /// Platform from the config.
    pub platform: Option<String>,
    /// Stored bytes over all layers.
    pub size: u64,
    /// Uncompressed tar bytes over all layers.
    pub uncompressed_size: u64,
    /// Layers, base first.
    pub layers: Vec<LayerRow>,
    /// History, empty-layer steps included.
    pub history: Vec<HistoryStep>,
    /// Regular-file bytes visible in the merged filesystem.
    pub visible_bytes: u64,
    /// Regular files visible in the merged filesystem.
    pub visible_files: u64,
    /// Regular-file bytes the layers above the base add (dive's "user size").
    pub user_bytes: u64,
    /// Wasted bytes as dive counts them.
    pub wasted_bytes: u64,
    /// `wasted_bytes / user_bytes` as a percentage (0 for one layer).
    pub wasted_percent: f64,
    /// Lower-layer bytes hidden by later layers.
    pub shadowed_bytes: u64,
    /// dive's efficiency score, 0..=1.
    pub efficiency: f64,
    /// Paths sighted in several layers, most bytes first.
    pub wasted_files: Vec<WastedFile>,
}

impl LayerReport {
    /// Builds the report from an image, its walked layers and their analysis.
    pub fn build(image: &Image, walked: &[LayerIndex], analysis: &Analysis) -> Self {
        let layer_of_history = image.config.layer_history(walked.len());
        let created_by = |i: usize| layer_of_history.get(i).copied().flatten().and_then(|h| image.config.history[h].created_by.clone());
        let mut history = Vec::with_capacity(image.config.history.len());
        for (hi, h) in image.config.history.iter().enumerate() {
            history.push(HistoryStep {
                created: h.created.clone(),
                created_by: h.created_by.clone(),
                comment: h.comment.clone(),
                empty_layer: h.empty_layer,
                layer: layer_of_history.iter().position(|x| *x == Some(hi)),
            });
        }
        let layers: Vec<LayerRow> = walked
            .iter()
            .zip(&analysis.merged.changes)
            .enumerate()
            .map(|(i, (w, c))| LayerRow {
                index: i,
                digest: w.digest.clone(),
                diff_id: w.diff_id.clone(),
                media_type: image.layers.get(i).map(|l| l.media_type.clone()).unwrap_or_default(),
                compression: w.compression,
                size: w.compressed_size,
                uncompressed_size: w.uncompressed_size,
                created_by: created_by(i),
                entries: w.tar_entries,
                added_bytes: c.added_bytes,
                modified_bytes: c.modified_bytes,
                removed_bytes: c.removed_bytes,
                added_files: c.added_files,
                modified_files: c.modified_files,
                removed_files: c.removed_files,
                shadowed_bytes: c.shadowed_bytes,
                whiteouts: w.entries.iter().filter(|e| e.kind == EntryKind::Whiteout).map(|e| e.path.clone()).collect(),
                opaque_dirs: w.entries.iter().filter(|e| e.kind == EntryKind::OpaqueDir).map(|e| e.path.clone()).collect(),
            })
            .collect();
        let user_bytes: u64 = walked.iter().skip(1).flat_map(|w| &w.entries).map(|e| e.stored_bytes()).sum();
        let eff = &analysis.efficiency;
        LayerReport {
            image: image.name.clone(),
            digest: image.manifest.as_ref().map(|m| m.digest.clone()),
            platform: image.platform().map(|p| p.to_string()),
            size: walked.iter().map(|w| w.compressed_size).sum(),
            uncompressed_size: walked.iter().map(|w| w.uncompressed_size).sum(),
            history,
            visible_bytes: analysis.merged.visible_bytes(),
            visible_files: analysis.merged.files.values().filter(|m| m.entry.kind == EntryKind::File).count() as u64,
            user_bytes,
            wasted_bytes: eff.wasted_bytes,
            wasted_percent: if user_bytes == 0 { 0.0 } else { eff.wasted_bytes as f64 * 100.0 / user_bytes as f64 },
            shadowed_bytes: analysis.merged.shadowed_bytes(),
            efficiency: eff.score,
            wasted_files: eff.wasted_files.clone(),
            layers,
        }
    }

    /// Checks the thresholds; the results in the order given.
    pub fn check(&self, thresholds: &[Threshold]) -> Vec<ThresholdResult> {
        thresholds
            .iter()
            .map(|t| {
                let (passed, reason) = match *t {
                    Threshold::MinEfficiency(min) => (
                        self.efficiency >= min,
                        format!("efficiency {:.2}% is below the minimum {:.2}%", self.efficiency * 100.0, min * 100.0),
                    ),
                    Threshold::MaxWasted(Amount::Bytes(max)) => {
                        (self.wasted_bytes <= max, format!("wasted bytes {} exceed the maximum {}", self.wasted_bytes, max))
                    }
                    Threshold::MaxWasted(Amount::Percent(max)) => (
                        self.wasted_percent <= max,
                        format!("wasted bytes are {:.2}% of the bytes above the base layer, over the maximum {max}%", self.wasted_percent),
                    ),
                    Threshold::MaxSize(max) => (
                        self.uncompressed_size <= max,
                        format!("image size {} bytes (uncompressed) exceeds the maximum {}", self.uncompressed_size, max),
                    ),
                };
                ThresholdResult { threshold: *t, passed, reason: (!passed).then_some(reason) }
            })
            .collect()
    }
}

/// An amount of bytes, absolute or relative.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Amount {
    /// Bytes.
    Bytes(u64),
    /// Percent.
    Percent(f64),
}

/// A CI threshold.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// Efficiency at least this (0..=1).
    MinEfficiency(f64),
    /// Wasted bytes at most this.
    MaxWasted(Amount),
    /// Uncompressed image size at most this many bytes.
    MaxSize(u64),
}

/// A threshold and whether the image met it.
#[derive(Clone, Debug, Serialize)]
pub struct ThresholdResult {
    /// The threshold.
    pub threshold: Threshold,
    /// Met or not.
    pub passed: bool,
    /// Why not, in one line.
    pub reason: Option<String>,
}
