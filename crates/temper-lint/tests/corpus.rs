//! Real-world Dockerfiles: every rule runs over every file in the
//! directory `TEMPER_DOCKERFILES` names without panicking, and the hit
//! counts per rule are printed, for tuning false positives by hand:
//! `TEMPER_DOCKERFILES=… cargo test -p temper-lint --test corpus -- --ignored --nocapture`
//! (`TEMPER_LINT_SHOW=<rule id>` prints that rule's findings with their lines).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use temper_lint::{Config, Context};

#[test]
#[ignore = "needs TEMPER_DOCKERFILES"]
fn corpus_hit_counts() {
    let Some(dir) = std::env::var_os("TEMPER_DOCKERFILES") else {
        eprintln!("TEMPER_DOCKERFILES is not set: corpus test skipped");
        return;
    };
    let show = std::env::var("TEMPER_LINT_SHOW").unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read TEMPER_DOCKERFILES")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.') && !name.ends_with(".tsv")
        })
        .collect();
    files.sort();
    let config = Config::default();
    let cx = Context { config: &config, dockerignore: Some(".git\n.env\nnode_modules\n"), build_context: true };
    let mut hits: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut parsed = 0;
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        let Ok(df) = temper_dockerfile::parse(&text) else { continue };
        parsed += 1;
        let mut seen = std::collections::BTreeSet::new();
        for finding in temper_lint::lint(&df, &cx) {
            let e = hits.entry(finding.rule).or_default();
            e.0 += 1;
            if seen.insert(finding.rule) {
                e.1 += 1;
            }
            if finding.rule == show {
                let line = text.lines().nth(finding.line - 1).unwrap_or("");
                eprintln!("{}:{}: {} | {}", f.file_name().unwrap().to_string_lossy(), finding.line, finding.message, line.trim());
            }
        }
    }
    eprintln!("{parsed} files parsed");
    for (rule, (n, files)) in hits {
        eprintln!("{rule:35} {n:5} findings in {files:4} files");
    }
}
