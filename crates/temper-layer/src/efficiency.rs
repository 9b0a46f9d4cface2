//! Wasted space and the efficiency score, computed as dive defines them, so
//! that CI thresholds carried over from dive mean the same thing here.
//!
//! Every layer is seen as its own tree; each *leaf* of that tree (a file,
//! link or empty directory; a whiteout counts at the path it deletes) is a
//! sighting of its path. A sighting costs the entry's size; a whiteout costs
//! nothing unless it deletes a directory, when it costs everything below
//! that directory in the layers beneath. Per path, the cheapest sighting is
//! what the image needs and the sum of all sightings is what it ships:
//! efficiency = Σ min / Σ sum. Paths sighted in two or more layers are
//! wasted, and *their whole sum* counts as wasted bytes, as dive counts it
//! (it includes the copy that stays visible). [`LayerChange::shadowed_bytes`]
//! counts only the hidden lower copies.
//!
//! [`LayerChange::shadowed_bytes`]: crate::merge::LayerChange::shadowed_bytes

use std::collections::HashMap;
use std::ops::Bound;

use serde::Serialize;

use crate::merge::Merged;
use crate::walk::LayerIndex;

/// One path sighted in more than one layer.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct WastedFile {
    /// The path (root-relative, as in the layers).
    pub path: String,
    /// Sum of its sightings' sizes.
    pub bytes: u64,
    /// Layers that contain it (in order; a whiteout counts).
    pub layers: Vec<usize>,
}

/// A path's sightings. Most paths are sighted once, so the first layer is
/// held inline and only repeats allocate.
struct Sightings {
    cumulative: u64,
    min: u64,
    first: usize,
    later: Vec<usize>,
}

/// Accumulates sightings layer by layer. Paths are borrowed from the
/// layer indexes: memory per entry matters on layers of millions of files.
#[derive(Default)]
pub(crate) struct EfficiencyCounter<'a> {
    paths: HashMap<&'a str, Sightings>,
}

/// The result for a whole image.
#[derive(Clone, Debug, Serialize)]
pub struct Efficiency {
    /// Σ min / Σ sum over all paths; 1.0 for an empty image.
    pub score: f64,
    /// Σ sum over paths sighted in two or more layers.
    pub wasted_bytes: u64,
    /// Those paths, most bytes first (ties by path).
    pub wasted_files: Vec<WastedFile>,
}

fn components_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.split('/').cmp(b.split('/'))
}

impl<'a> EfficiencyCounter<'a> {
    /// Records the leaves of layer `layer`; `below` is the stack of the
    /// layers under it.
    pub fn visit(&mut self, layer: usize, index: &'a LayerIndex, below: &Merged) {
        let mut nodes: Vec<_> = index.entries.iter().filter(|e| e.kind != crate::EntryKind::OpaqueDir).collect();
        nodes.sort_by(|a, b| components_cmp(&a.path, &b.path));
        for (i, e) in nodes.iter().enumerate() {
            let is_leaf = nodes.get(i + 1).is_none_or(|n| !(n.path.starts_with(&e.path) && n.path.as_bytes().get(e.path.len()) == Some(&b'/')));
            if !is_leaf || (i > 0 && nodes[i - 1].path == e.path) {
                continue;
            }
            let size = if e.kind == crate::EntryKind::Whiteout {
                match below.files.get(&e.path) {
                    Some(m) if m.entry.is_dir() => {
                        let prefix = format!("{}/", e.path);
                        below
                            .files
                            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
                            .take_while(|(k, _)| k.starts_with(&prefix))
                            .map(|(_, m)| m.entry.stored_bytes())
                            .sum()
                    }
                    _ => 0,
                }
            } else {
                e.stored_bytes()
            };
            self.paths
                .entry(e.path.as_str())
                .and_modify(|s| {
                    s.min = s.min.min(size);
                    s.cumulative += size;
                    s.later.push(layer);
                })
                .or_insert(Sightings { cumulative: size, min: size, first: layer, later: Vec::new() });
        }
    }

    /// The totals.
    pub fn finish(self) -> Efficiency {
        let (mut min, mut sum) = (0u64, 0u64);
        let mut wasted_files = Vec::new();
        for (path, s) in self.paths {
            min += s.min;
            sum += s.cumulative;
            if !s.later.is_empty() {
                let layers = std::iter::once(s.first).chain(s.later).collect();
                wasted_files.push(WastedFile { path: path.to_owned(), bytes: s.cumulative, layers });
            }
        }
        wasted_files.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
        let score = if sum == 0 { 1.0 } else { min as f64 / sum as f64 };
        Efficiency { score, wasted_bytes: wasted_files.iter().map(|w| w.bytes).sum(), wasted_files }
    }
}
