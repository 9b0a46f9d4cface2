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
