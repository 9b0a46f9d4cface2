//! `secret-in-env-or-arg` measured on real public Dockerfiles (issue 13):
//! the corpus `scripts/dockerfile-corpus.sh` builds (`TEMPER_DOCKERFILES`,
//! default `~/.cache/temper-dockerfiles`; `scripts/test.sh` fetches it).
//! Every hit must be judged by hand in `tests/data/secret-labels.tsv`
//! (`file`, `line`, `secret` or `not-secret`, why), so a rule change that
//! adds a hit forces a new judgement, and one that loses a real secret fails.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use temper_lint::{Config, Context};

const RULE: &str = "secret-in-env-or-arg";
const LABELS: &str = include_str!("data/secret-labels.tsv");

/// The corpus directory, or `None` (said on stderr) when it was not fetched
/// whole (the script writes its stamp last); CI must have it.
fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("TEMPER_DOCKERFILES").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/temper-dockerfiles"));
    let found = dir.join(".temper-stamp").is_file();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(found || !ci, "no Dockerfile corpus at {} (scripts/test.sh fetches it with scripts/dockerfile-corpus.sh; CI must measure it)", dir.display());
    if !found {
        eprintln!("SKIPPED: no Dockerfile corpus at {} (run scripts/dockerfile-corpus.sh)", dir.display());
    }
    found.then_some(dir)
}

/// `(file, line)` → whether the hit is a real secret.
fn labels() -> BTreeMap<(&'static str, usize), bool> {
    let mut out = BTreeMap::new();
    for (n, row) in LABELS.lines().enumerate().filter(|(_, r)| !r.is_empty() && !r.starts_with('#')) {
        let cols: Vec<&str> = row.split('\t').collect();
        assert_eq!(cols.len(), 4, "secret-labels.tsv line {}: want file, line, verdict, reason", n + 1);
        let secret = match cols[2] {
            "secret" => true,
            "not-secret" => false,
            v => panic!("secret-labels.tsv line {}: verdict {v:?} is neither secret nor not-secret", n + 1),
        };
        assert!(!cols[3].is_empty(), "secret-labels.tsv line {}: give a reason", n + 1);
        let line = cols[1].parse().unwrap_or_else(|_| panic!("secret-labels.tsv line {}: line {:?} is no number", n + 1, cols[1]));
        assert!(out.insert((cols[0], line), secret).is_none(), "secret-labels.tsv line {}: labelled twice", n + 1);
    }
    out
}

#[test]
fn secret_precision_on_real_dockerfiles() {
    let Some(dir) = corpus() else { return };
    let labels = labels();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.')).collect();
    files.sort();
    let config = Config::default();
    let cx = Context { config: &config, dockerignore: None, build_context: true };
    let (mut hits, mut secrets) = (0usize, 0usize);
    let mut unlabelled = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let Ok(df) = temper_dockerfile::parse(&text) else { continue };
        for f in temper_lint::lint(&df, &cx).into_iter().filter(|f| f.rule == RULE) {
            hits += 1;
            match labels.get(&(name, f.line)) {
                Some(&secret) => {
                    secrets += usize::from(secret);
                    seen.insert((name, f.line));
                }
                None => unlabelled.push(format!("{name}\t{}\t{} | {}", f.line, f.message, text.lines().nth(f.line - 1).unwrap_or("").trim())),
            }
        }
    }
    assert!(unlabelled.is_empty(), "hits with no verdict in tests/data/secret-labels.tsv (judge each by hand):\n{}", unlabelled.join("\n"));
    // A real secret the rule no longer reports is a lost catch, not a fix.
    let present = |f: &str| dir.join(f).is_file();
    let lost: Vec<_> = labels.iter().filter(|(k, secret)| **secret && present(k.0) && !seen.contains(*k)).map(|(k, _)| format!("{}:{}", k.0, k.1)).collect();
    assert!(lost.is_empty(), "labelled secrets the rule no longer reports: {lost:?}");
    assert!(hits > 0, "no hit at all on {} files: is the corpus complete?", files.len());
    let precision = secrets as f64 / hits as f64;
    eprintln!("{RULE} on {} real Dockerfiles: {hits} hits, {secrets} secrets, precision {precision:.3}", files.len());
    assert!(precision >= 0.95, "precision {precision:.3} is below 0.95 ({secrets} secrets in {hits} hits)");
}
