//! One scan of an image: every layer walked once (or taken from the
//! cache), in parallel, with the catalogers fed during the pass.

use rayon::prelude::*;
use temper_image::Image;
use std::sync::Arc;

use temper_layer::{Analyzer, AnalyzerSet, Budget, Found, ImageTally, LayerIndex, Limits, Progress, WalkError};

use crate::cache::{self, CachedFound, CachedLayer, LayerCache};
use crate::package::Fact;

/// The walked layers and what the catalogers found, layer by layer.
pub struct Scan {
    /// One index per layer.
    pub layers: Vec<LayerIndex>,
    /// Catalogers' results, in layer and path order.
    pub found: Vec<Found<Fact>>,
    /// Which layers came from the cache.
    pub from_cache: Vec<bool>,
}

/// One layer's index, findings, and whether they came from the cache.
type LayerResult = (LayerIndex, Vec<Found<Fact>>, bool);

/// Scans `image` with `catalogers`, using `cache` when given. A blob the
/// manifest lists more than once is read once; its repeats share its results.
pub fn scan(
    image: &Image,
    limits: &Limits,
    progress: &dyn Progress,
    catalogers: &[&'static dyn Analyzer<Fact>],
    cache: Option<&LayerCache>,
) -> Result<Scan, WalkError> {
    let tally = ImageTally::default();
    let work = Arc::new(Budget::new("image", temper_layer::IMAGE_WORK));
    let shared = Shared { limits, tally: &tally, work: &work, progress, catalogers, cache };
    let firsts = temper_layer::first_copies(image);
    let per_layer: Vec<Option<Result<LayerResult, WalkError>>> = (0..image.layers.len())
        .into_par_iter()
        .map(|i| (firsts[i] == i).then(|| scan_layer(image, i, &shared)))
        .collect();
    let mut scan = Scan { layers: Vec::new(), found: Vec::new(), from_cache: Vec::new() };
    let mut found_by_layer: Vec<Vec<Found<Fact>>> = Vec::new();
    for (i, r) in per_layer.into_iter().enumerate() {
        let (index, found, cached) = match r {
            Some(r) => r?,
            None => {
                let f = firsts[i];
                let index = temper_layer::repeat_layer(i, &scan.layers[f], limits, &tally, progress)?;
                let found = found_by_layer[f].iter().map(|x| Found { layer: i, path: x.path.clone(), analyzer: x.analyzer, result: x.result.clone() }).collect();
                (index, found, scan.from_cache[f])
            }
        };
        scan.layers.push(index);
        found_by_layer.push(found);
        scan.from_cache.push(cached);
    }
    scan.found = found_by_layer.into_iter().flatten().collect();
    Ok(scan)
}

/// What the layers of one scan share.
struct Shared<'a> {
    limits: &'a Limits,
    tally: &'a ImageTally,
    /// Catalogers' derived work (inflating jars) over the whole image.
    work: &'a Arc<Budget>,
    progress: &'a dyn Progress,
    catalogers: &'a [&'static dyn Analyzer<Fact>],
    cache: Option<&'a LayerCache>,
}

/// Layer `i`, from the cache or from one pass over its blob.
fn scan_layer(image: &Image, i: usize, shared: &Shared<'_>) -> Result<LayerResult, WalkError> {
    let Shared { limits, tally, work, progress, catalogers, cache } = *shared;
    let layer = &image.layers[i];
    let key = cache.zip(layer.diff_id.as_ref()).map(|(c, d)| (c, cache::key(d, catalogers)));
    if let Some((c, k)) = &key
        && let Some(hit) = c.get(k)
        && let Some(found) = restore(i, hit.found, catalogers)
    {
        let mut index = hit.index;
        tally.add_entries(index.tar_entries, limits).map_err(|reason| WalkError::Layer { what: format!("layer {i} (cached)"), reason })?;
        // Same tar, maybe stored differently this time.
        index.digest = layer.digest.clone().or(index.digest);
        index.compressed_size = layer.size.unwrap_or(index.compressed_size);
        return Ok((index, found, true));
    }
    let set = AnalyzerSet::with_budgets(catalogers.to_vec(), temper_layer::LAYER_WORK, Arc::clone(work));
    let content = image.open_layer(i)?;
    let index = temper_layer::walk_layer_with(i, layer, content, limits, tally, progress, &set)?;
    let found = set.into_found();
    // A layer that met a spent image budget may have read less than it
    // would alone: its result belongs to this image, not to the cache.
    if let Some((c, k)) = &key
        && work.left() > 0
    {
        let stored = CachedLayer {
            index: index.clone(),
            found: found.iter().map(|f| CachedFound { path: f.path.clone(), analyzer: f.analyzer.to_owned(), result: f.result.clone() }).collect(),
        };
        c.put(k, &stored);
    }
    Ok((index, found, false))
}

/// Turns stored results back into `Found`s; `None` if a cataloger is gone.
fn restore(layer: usize, found: Vec<CachedFound>, catalogers: &[&'static dyn Analyzer<Fact>]) -> Option<Vec<Found<Fact>>> {
    found
        .into_iter()
        .map(|f| {
            let id = catalogers.iter().find(|a| a.id() == f.analyzer)?.id();
            Some(Found { layer, path: f.path, analyzer: id, result: f.result })
        })
        .collect()
}
