//! The secret scanner over the whole corpus (`TEMPER_CORPUS`, set by
//! `scripts/test.sh`): secrets-and-root yields exactly its planted secrets,
//! every other image none, in files and in metadata alike.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;

use temper_image::{OpenOptions, Source};
use temper_inventory::Fact;
use temper_layer::{AnalyzerSet, NoProgress};

/// (rule, path) of a secret in a file.
type FileSecret = (String, String);
/// (rule, path, line) of a secret in the metadata.
type MetaSecret = (String, String, u32);

/// Every secret in the image's files, and in its metadata.
fn scan(dir: &std::path::Path) -> (Vec<FileSecret>, Vec<MetaSecret>) {
    let source = Source::parse(&format!("oci:{}", dir.display())).unwrap();
    let image = temper_image::open(&source, &OpenOptions::default()).unwrap();
    let set = AnalyzerSet::new(vec![temper_check::secrets::analyzer()]);
    temper_layer::walk_image_with(&image, &Default::default(), &NoProgress, &set).unwrap();
    let mut files = Vec::new();
    for f in set.into_found() {
        let facts = f.result.unwrap_or_else(|e| panic!("{}: {e}", f.path));
        for fact in facts {
            if let Fact::Secret(s) = fact {
                eprintln!("{}: L{} {} line {} {}", dir.display(), f.layer, f.path, s.line, s.redacted);
                files.push((s.rule, f.path.clone()));
            }
        }
    }
    files.sort();
    let meta = temper_check::secrets::scan_config(&image.config).into_iter().map(|s| (s.rule, s.path, s.line)).collect();
    (files, meta)
}

#[test]
fn corpus_secrets_are_exactly_the_planted_ones() {
    let Some(corpus) = std::env::var_os("TEMPER_CORPUS").map(PathBuf::from) else {
        eprintln!("TEMPER_CORPUS not set: skipping the corpus secret scan (scripts/test.sh sets it)");
        return;
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus.join("oci")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("index.json").is_file()).collect();
    dirs.sort();
    assert!(dirs.len() >= 9, "{dirs:?}");
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    for dir in dirs {
        let (files, meta) = scan(&dir);
        if dir.ends_with("secrets-and-root") {
            assert_eq!(
                files,
                [
                    s("aws-access-key-id", "root/.aws/credentials"),
                    s("aws-secret-access-key", "root/.aws/credentials"),
                    s("github-pat", "app/.env"),
                    s("private-key", "root/.ssh/id_rsa"),
                    s("stripe-secret-key", "app/.env"),
                    s("url-credentials", "app/.env"),
                ]
            );
            let m = |r: &str, p: &str, l: u32| (r.to_owned(), p.to_owned(), l);
            // The ENV instruction's own history entry records the password too.
            assert_eq!(
                meta,
                [m("secret-like-env-name", "config.Env", 3), m("github-pat", "history[4].created_by", 1), m("secret-like-env-name", "history[5].created_by", 1)]
            );
        } else {
            assert_eq!(files, [], "{}", dir.display());
            assert_eq!(meta, [], "{}", dir.display());
        }
    }
}
