//! Real-world Dockerfiles: every file in the directory `TEMPER_DOCKERFILES`
//! names (one Dockerfile per file; `SOURCES.tsv` and dotfiles skipped) must
//! parse without error or panic. Skipped, with a message, when unset.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::panic::catch_unwind;
use std::path::PathBuf;

#[test]
fn corpus_parses_without_errors() {
    let Some(dir) = std::env::var_os("TEMPER_DOCKERFILES") else {
        eprintln!("TEMPER_DOCKERFILES is not set: corpus test skipped");
        return;
    };
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
    assert!(!files.is_empty(), "no files in {}", PathBuf::from(&dir).display());
    let mut failures = Vec::new();
    let (mut scripts, mut shell_failures) = (0, 0);
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        match catch_unwind(|| temper_dockerfile::parse(&text)) {
            Ok(Ok(df)) => {
                for i in &df.instructions {
                    for s in i.scripts() {
                        scripts += 1;
                        shell_failures += usize::from(matches!(s, temper_dockerfile::Script::Failed(_)));
                    }
                }
            }
            Ok(Err(e)) => failures.push(format!("{}:{}:{}: {}", f.display(), e.position.line, e.position.column, e.kind)),
            Err(_) => failures.push(format!("{}: panicked", f.display())),
        }
    }
    eprintln!("{} files, {} failed; {scripts} RUN scripts, {shell_failures} not parsed as shell", files.len(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
