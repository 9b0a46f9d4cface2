//! Analysers receive the files they ask for during the one pass, from every
//! layer (deleted files included), with oversize files reported as data.
#![allow(clippy::type_complexity)] // (layer, path, facts) summaries, read once in asserts

use temper_layer::{Analyzer, AnalyzerSet, FileEntry, NoProgress};

struct Lines;

impl Analyzer<(String, usize)> for Lines {
    fn id(&self) -> &'static str {
        "lines"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        matches!(path, "etc/passwd" | "app/tmp/build.log" | "app/data/cache.bin")
    }
    fn max_bytes(&self) -> u64 {
        100_000
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<(String, usize)>, String> {
        Ok(vec![(path.to_owned(), content.iter().filter(|b| **b == b'\n').count())])
    }
}

#[test]
fn wanted_files_reach_their_analyser_once() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo-app");
    let image = temper_image::open_str(demo, &Default::default()).expect("open demo");
    let lines = Lines;
    let set = AnalyzerSet::new(vec![&lines as &dyn Analyzer<(String, usize)>]);
    temper_layer::walk_image_with(&image, &Default::default(), &NoProgress, &set).expect("walk");
    let found = set.into_found();
    let summary: Vec<(usize, &str, Result<&Vec<(String, usize)>, &String>)> =
        found.iter().map(|f| (f.layer, f.path.as_str(), f.result.as_ref())).collect();
    assert_eq!(summary.len(), 4, "{summary:?}");
    assert_eq!(found[0].layer, 0);
    assert_eq!(found[0].result.as_ref().expect("passwd"), &vec![("etc/passwd".to_owned(), 3)]);
    // Layer 1's build log is deleted by layer 2, but its bytes shipped.
    assert_eq!((found[2].layer, found[2].path.as_str()), (1, "app/tmp/build.log"));
    assert_eq!(found[2].result.as_ref().expect("log"), &vec![("app/tmp/build.log".to_owned(), 2000)]);
    // 256 KiB cache files are over the analyser's limit, in both layers.
    for f in [&found[1], &found[3]] {
        assert_eq!(f.path, "app/data/cache.bin");
        assert!(f.result.as_ref().is_err_and(|e| e.contains("over the 100000-byte limit")), "{f:?}");
    }
}

#[test]
fn dir_sources_feed_analysers_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("etc")).expect("mkdir");
    std::fs::write(dir.path().join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").expect("write");
    let image = temper_image::open_str(&format!("dir:{}", dir.path().display()), &Default::default()).expect("open");
    let lines = Lines;
    let set = AnalyzerSet::new(vec![&lines as &dyn Analyzer<(String, usize)>]);
    temper_layer::walk_image_with(&image, &Default::default(), &NoProgress, &set).expect("walk");
    let found = set.into_found();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].result.as_ref().expect("passwd"), &vec![("etc/passwd".to_owned(), 1)]);
}

/// Wants files by path, then only those whose head starts with `root:` or
/// `KEEP`; reports each file's length.
struct Heads;

impl Analyzer<(String, usize)> for Heads {
    fn id(&self) -> &'static str {
        "heads"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        matches!(path, "etc/passwd" | "app/data/cache.bin") || path.starts_with("bin/")
    }
    fn wants_head(&self, head: &[u8]) -> bool {
        head.starts_with(b"root:") || head.starts_with(b"KEEP")
    }
    fn max_bytes(&self) -> u64 {
        100_000
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<(String, usize)>, String> {
        Ok(vec![(path.to_owned(), content.len())])
    }
}

#[test]
fn files_whose_head_is_refused_are_neither_read_nor_reported() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo-app");
    let image = temper_image::open_str(demo, &Default::default()).expect("open demo");
    let (heads, lines) = (Heads, Lines);
    let set = AnalyzerSet::new(vec![&heads as &dyn Analyzer<(String, usize)>, &lines]);
    temper_layer::walk_image_with(&image, &Default::default(), &NoProgress, &set).expect("walk");
    let found = set.into_found();
    let by_heads: Vec<(&str, Result<&Vec<(String, usize)>, &String>)> =
        found.iter().filter(|f| f.analyzer == "heads").map(|f| (f.path.as_str(), f.result.as_ref())).collect();
    // The 256 KiB cache files are refused by their head: no over-limit error.
    assert_eq!(by_heads.len(), 1, "{by_heads:?}");
    let passwd = by_heads[0].1.expect("passwd");
    assert_eq!(passwd[0].0, "etc/passwd");
    // Another analyser that wants the same files still gets them.
    assert_eq!(found.iter().filter(|f| f.analyzer == "lines").count(), 4);
}

#[test]
fn files_longer_than_the_head_are_read_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("bin")).expect("mkdir");
    let mut keep = b"KEEP".to_vec();
    keep.resize(3 * temper_layer::HEAD_BYTES + 7, b'x');
    std::fs::write(dir.path().join("bin/keep"), &keep).expect("write");
    std::fs::write(dir.path().join("bin/skip"), vec![b'y'; 2 * temper_layer::HEAD_BYTES]).expect("write");
    let image = temper_image::open_str(&format!("dir:{}", dir.path().display()), &Default::default()).expect("open");
    let heads = Heads;
    let set = AnalyzerSet::new(vec![&heads as &dyn Analyzer<(String, usize)>]);
    temper_layer::walk_image_with(&image, &Default::default(), &NoProgress, &set).expect("walk");
    let found = set.into_found();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].result.as_ref().expect("keep"), &vec![("bin/keep".to_owned(), keep.len())]);
}

/// Charges 100 bytes of work per file and reports what its budget has left.
struct Spender;

impl Analyzer<(String, usize)> for Spender {
    fn id(&self) -> &'static str {
        "spender"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, _: &str, _: &FileEntry) -> bool {
        true
    }
    fn analyze(&self, _: &str, _: &[u8]) -> Result<Vec<(String, usize)>, String> {
        Err("needs a budget".into())
    }
    fn analyze_within(&self, path: &str, _: &[u8], budget: &temper_layer::Budget) -> Result<Vec<(String, usize)>, String> {
        budget.spend(100)?;
        Ok(vec![(path.to_owned(), budget.left() as usize)])
    }
}

/// Issue 12: derived work (inflating jars) is budgeted per layer and per
/// image, not per file: every file of a layer draws on the layer's budget,
/// every layer on the image's.
#[test]
fn work_is_budgeted_per_layer_inside_the_image() {
    use std::sync::Arc;
    use temper_layer::{Budget, FileSink};

    let entry = FileEntry { path: String::new(), kind: temper_layer::EntryKind::File, size: 1, mode: 0o644, uid: 0, gid: 0 };
    let spender = Spender;
    let image = Arc::new(Budget::new("image", 450));
    // One set per layer, as the inventory's scan makes them, sharing the image's budget.
    let layer0 = AnalyzerSet::with_budgets(vec![&spender as &dyn Analyzer<(String, usize)>], 250, Arc::clone(&image));
    let layer1 = AnalyzerSet::with_budgets(vec![&spender as &dyn Analyzer<(String, usize)>], 250, Arc::clone(&image));
    for path in ["a", "b", "c"] {
        layer0.take(0, path, &entry, b"x", true);
    }
    for path in ["d", "e", "f"] {
        layer1.take(1, path, &entry, b"x", true);
    }
    let results = |set: AnalyzerSet<(String, usize)>| set.into_found().into_iter().map(|f| f.result.map(|r| r[0].1)).collect::<Vec<_>>();
    let layer_out = "work budget of the layer (250 bytes inflated or decoded) used up".to_owned();
    let image_out = "work budget of the image (450 bytes inflated or decoded) used up".to_owned();
    assert_eq!(results(layer0), [Ok(150), Ok(50), Err(layer_out.clone())]);
    // Layer 0 charged the image 300 (its refused charge counts too).
    assert_eq!(results(layer1), [Ok(50), Err(image_out), Err(layer_out)]);
    // One set fed several layers (walk_image_with) keeps one budget per layer.
    let set = AnalyzerSet::with_budgets(vec![&spender as &dyn Analyzer<(String, usize)>], 250, Arc::new(Budget::new("image", 1000)));
    for layer in [0, 1, 0, 1] {
        set.take(layer, "x", &entry, b"x", true);
    }
    assert_eq!(results(set), [Ok(150), Ok(50), Ok(150), Ok(50)]);
}
