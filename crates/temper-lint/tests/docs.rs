//! `docs/rules.md` is the registry's documentation as generated; run with
//! `TEMPER_BLESS=1` to rewrite it after changing a rule.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;

#[test]
fn rules_doc_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let want = temper_lint::rules_markdown();
    if std::env::var_os("TEMPER_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/rules.md is stale: run `TEMPER_BLESS=1 cargo test -p temper-lint --test docs`");
}

#[test]
fn every_rule_is_documented_once() {
    let registry = temper_lint::rules::registry();
    let mut ids: Vec<&str> = registry.iter().map(|r| r.meta().id).collect();
    for r in &registry {
        let m = r.meta();
        assert!(!m.message.is_empty() && !m.hint.is_empty() && m.doc.len() > 40, "{}", m.id);
        assert!(m.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{}", m.id);
        assert!(m.hadolint.is_none_or(|h| h.starts_with("DL") && h[2..].chars().all(|c| c.is_ascii_digit())), "{}", m.id);
    }
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate rule ids");
}
