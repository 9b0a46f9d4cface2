//! One scan of an image: every layer walked once (or taken from the
//! cache), in parallel, with the catalogers fed during the pass.

use rayon::prelude::*;
use temper_image::Image;
use std::sync::Arc;

use temper_layer::{Analyzer, AnalyzerSet, Budget, FileEntry, FileSink, Found, ImageTally, LayerIndex, Limits, NoFiles, Progress, WalkError};

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
    scan_feeding(image, limits, progress, catalogers, cache, &NoFiles)
}

/// [`scan`], handing `sink` every file it wants in the same pass (a blob
/// listed twice hands its files over once, under its first layer). A
/// cached layer holding a file `sink` wants is read again: the cache keeps
/// the catalogers' results, not the files.
pub fn scan_feeding(
    image: &Image,
    limits: &Limits,
    progress: &dyn Progress,
    catalogers: &[&'static dyn Analyzer<Fact>],
    cache: Option<&LayerCache>,
    sink: &dyn FileSink,
) -> Result<Scan, WalkError> {
    let tally = ImageTally::default();
    let work = Arc::new(Budget::new("image", temper_layer::IMAGE_WORK));
    let shared = Shared { limits, tally: &tally, work: &work, progress, catalogers, cache, sink };
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
    /// Fed the files it wants besides the catalogers.
    sink: &'a dyn FileSink,
}

/// Layer `i`, from the cache or from one pass over its blob.
fn scan_layer(image: &Image, i: usize, shared: &Shared<'_>) -> Result<LayerResult, WalkError> {
    let Shared { limits, tally, work, progress, catalogers, cache, sink } = *shared;
    let layer = &image.layers[i];
    let key = cache.zip(layer.diff_id.as_ref()).map(|(c, d)| (c, cache::key(d, catalogers)));
    if let Some((c, k)) = &key
        && let Some(hit) = c.get(k)
        && !hit.index.entries.iter().any(|e| sink.wants(i, &e.path, e).is_some())
        && let Some(found) = restore(i, hit.found, catalogers)
        && proven(image, i, c, progress)?
    {
        let mut index = hit.index;
        // Same tar, maybe stored differently this time.
        index.digest = layer.digest.clone().or(index.digest);
        index.compressed_size = layer.size.unwrap_or(index.compressed_size);
        tally.add_known_layer(&index, limits).map_err(|reason| WalkError::Layer { what: format!("layer {i} (cached)"), reason })?;
        if !c.verifies_blobs() {
            // Re-hashing reported its own progress.
            progress.cached(i);
        }
        return Ok((index, found, true));
    }
    let set = AnalyzerSet::with_budgets(catalogers.to_vec(), temper_layer::LAYER_WORK, Arc::clone(work));
    let content = image.open_layer(i)?;
    let index = temper_layer::walk_layer_with(i, layer, content, limits, tally, progress, &Both { set: &set, sink })?;
    let found = set.into_found();
    // The pass verified the blob whole (size, digest, diffID): what it looks
    // like now is what later hits must match.
    if let Some((c, _)) = &key
        && let Some(id) = blob_id(layer)
        && let Ok(Some(print)) = image.layer_print(i)
    {
        c.put_blob(id, &print);
    }
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

/// The catalogers' set and the extra sink, fed from one read of each file:
/// each gets what it would have got alone (its own byte limit).
struct Both<'a> {
    set: &'a AnalyzerSet<'a, Fact>,
    sink: &'a dyn FileSink,
}

impl FileSink for Both<'_> {
    fn wants(&self, layer: usize, path: &str, entry: &FileEntry) -> Option<u64> {
        self.set.wants(layer, path, entry).max(self.sink.wants(layer, path, entry))
    }
    fn wants_head(&self, layer: usize, path: &str, entry: &FileEntry, head: &[u8]) -> Option<u64> {
        self.set.wants_head(layer, path, entry, head).max(self.sink.wants_head(layer, path, entry, head))
    }
    fn take(&self, layer: usize, path: &str, entry: &FileEntry, content: &[u8], complete: bool) {
        let head = &content[..content.len().min(temper_layer::HEAD_BYTES)];
        for side in [self.set as &dyn FileSink, self.sink] {
            if let Some(limit) = side.wants_head(layer, path, entry, head) {
                let own = content.len().min(usize::try_from(limit).unwrap_or(usize::MAX));
                side.take(layer, path, entry, &content[..own], complete && entry.size <= limit);
            }
        }
    }
}

/// What the cache records a layer's blob print under: its digest, else
/// (a `docker save` member named by no digest) the layer's diffID.
fn blob_id(layer: &temper_image::Layer) -> Option<&temper_image::Digest> {
    layer.digest.as_ref().or(layer.diff_id.as_ref())
}

/// Whether layer `i`'s stored blob is still the one a full pass verified,
/// by the same proof a cache hit takes (see [`proven`]): a builder links
/// such a blob into its output instead of copying and hashing it again.
pub fn blob_proven(image: &Image, i: usize, cache: &LayerCache) -> Result<bool, WalkError> {
    proven(image, i, cache, &temper_layer::NoProgress)
}

/// Whether layer `i`'s blob is still the one a full pass verified when its
/// results were stored (see the [`cache`] module doc); `false` sends the
/// layer through the full pass, which checks every byte. With
/// [`LayerCache::verifies_blobs`], a blob named by its digest is re-hashed
/// whole here and a mismatch is an error; one named by no digest takes the
/// full pass, the only way to check its diffID.
fn proven(image: &Image, i: usize, cache: &LayerCache, progress: &dyn Progress) -> Result<bool, WalkError> {
    let layer = &image.layers[i];
    let Some(id) = blob_id(layer) else { return Ok(false) };
    let (Some(now), Some(then)) = (image.layer_print(i)?, cache.blob(id)) else { return Ok(false) };
    if now != then || layer.size.is_some_and(|declared| declared != now.size) {
        return Ok(false);
    }
    match (&layer.digest, cache.verifies_blobs()) {
        (_, false) => Ok(true),
        (None, true) => Ok(false),
        (Some(expected), true) => rehash(image, i, expected, progress).map(|()| true),
    }
}

/// Hashes layer `i`'s stored blob whole and compares it with `expected`.
fn rehash(image: &Image, i: usize, expected: &temper_image::Digest, progress: &dyn Progress) -> Result<(), WalkError> {
    let fail = |reason: String| WalkError::Layer { what: image.layer_label(i), reason };
    let temper_image::LayerContent::Stream(stream) = image.open_layer(i)? else {
        return Err(fail("has no blob to verify".into()));
    };
    progress.start(i, image.layers[i].size);
    let mut hashing = temper_image::digest::HashingReader::new(Reporting { inner: stream, layer: i, progress }, expected.algorithm());
    let copied = std::io::copy(&mut hashing, &mut std::io::sink());
    progress.finish(i);
    copied.map_err(|e| fail(format!("reading to verify it (--verify-blobs): {e}")))?;
    let (actual, _) = hashing.finish().map_err(|e| fail(format!("reading to verify it (--verify-blobs): {e}")))?;
    if actual != *expected {
        return Err(fail(format!("digest mismatch (--verify-blobs): the manifest says {expected}, the content is {actual}; the cached results were not used")));
    }
    Ok(())
}

/// Reports the bytes read through it as layer progress.
struct Reporting<'a, R> {
    inner: R,
    layer: usize,
    progress: &'a dyn Progress,
}

impl<R: std::io::Read> std::io::Read for Reporting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(self.layer, n as u64);
        Ok(n)
    }
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
