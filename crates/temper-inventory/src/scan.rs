//! One scan of an image: every layer walked once (or taken from the
//! cache), in parallel, with the catalogers fed during the pass.

use std::sync::atomic::AtomicU64;

use rayon::prelude::*;
use temper_image::Image;
use temper_layer::{Analyzer, AnalyzerSet, Found, LayerIndex, Limits, Progress, WalkError};

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

/// Scans `image` with `catalogers`, using `cache` when given.
pub fn scan(
    image: &Image,
    limits: &Limits,
    progress: &dyn Progress,
    catalogers: &[&'static dyn Analyzer<Fact>],
    cache: Option<&LayerCache>,
) -> Result<Scan, WalkError> {
    let total = AtomicU64::new(0);
    let per_layer: Vec<Result<LayerResult, WalkError>> = (0..image.layers.len())
        .into_par_iter()
        .map(|i| {
            let layer = &image.layers[i];
            let key = cache.zip(layer.diff_id.as_ref()).map(|(c, d)| (c, cache::key(d, catalogers)));
            if let Some((c, k)) = &key
                && let Some(hit) = c.get(k)
                && let Some(found) = restore(i, hit.found, catalogers)
            {
                let mut index = hit.index;
                // Same tar, maybe stored differently this time.
                index.digest = layer.digest.clone().or(index.digest);
                index.compressed_size = layer.size.unwrap_or(index.compressed_size);
                return Ok((index, found, true));
            }
            let set = AnalyzerSet::new(catalogers.to_vec());
            let content = image.open_layer(i)?;
            let index = temper_layer::walk_layer_with(i, layer, content, limits, &total, progress, &set)?;
            let found = set.into_found();
            if let Some((c, k)) = &key {
                let stored = CachedLayer {
                    index: index.clone(),
                    found: found.iter().map(|f| CachedFound { path: f.path.clone(), analyzer: f.analyzer.to_owned(), result: f.result.clone() }).collect(),
                };
                c.put(k, &stored);
            }
            Ok((index, found, false))
        })
        .collect();
    let mut scan = Scan { layers: Vec::new(), found: Vec::new(), from_cache: Vec::new() };
    for r in per_layer {
        let (index, found, cached) = r?;
        scan.layers.push(index);
        scan.found.extend(found);
        scan.from_cache.push(cached);
    }
    Ok(scan)
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
