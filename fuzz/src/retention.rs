//! The `retention_toml` fuzz body. A retention policy decides what
//! `temper registry prune --apply` deletes: it is parsed, must never panic,
//! every refusal must be one printable line naming the file, and what
//! parses must hold what the parser promises (every rule keeps something,
//! every glob reads back as itself).

// Each replay includes this file and uses part of it.
#![allow(dead_code)]

use std::path::Path;

use temper_retention::policy::{Pattern, Policy};

/// `retention.toml` as text. True when it parsed.
pub fn toml(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("retention.toml");
    match Policy::parse(path, &text) {
        Ok(policy) => {
            let reads_back = |p: &Pattern| {
                let again = Pattern::new(p.text()).unwrap_or_else(|e| panic!("glob {:?} accepted, then refused: {e}", p.text()));
                for probe in ["latest", "v1.2.3", "team/app", "sha256-ab.sig", ""] {
                    assert_eq!(p.matches(probe), again.matches(probe), "glob {:?} on {probe:?}", p.text());
                }
            };
            policy.protected.iter().for_each(reads_back);
            for (i, rule) in policy.rules.iter().enumerate() {
                assert_eq!(rule.number, i + 1);
                assert!(rule.keep_most_recent.is_some() || rule.keep_younger_than_days.is_some() || rule.keep_always, "rule {} keeps nothing", rule.number);
                assert!(!rule.repositories.is_empty() && !rule.tags.is_empty(), "rule {} selects nothing by default", rule.number);
                rule.repositories.iter().chain(&rule.tags).chain(&rule.exclude_tags).for_each(reads_back);
                let _ = (rule.selects_repository("team/app"), rule.selects_tag("v1"));
            }
            true
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.chars().any(char::is_control), "a refusal with control characters: {msg:?}");
            assert!(msg.contains("retention.toml"), "a refusal not naming the file: {msg:?}");
            false
        }
    }
}
