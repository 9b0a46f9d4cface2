use temper_lint::Config;

use super::support::{findings, lines, lint, lint_with};

const ID: &str = "from-not-pinned-by-digest";

#[test]
fn fires_on_a_tag_without_digest() {
    assert_eq!(lint(ID, "FROM node:20-slim\nRUN true\n"), [(1, 6, "Base image node:20-slim is not pinned by digest".to_owned())]);
    assert_eq!(lines(ID, "ARG V=3.20\nFROM alpine:${V} AS a\nFROM --platform=linux/amd64 debian\n"), [2, 3]);
}

#[test]
fn digests_scratch_stages_and_unknown_args_are_fine() {
    let d = "FROM node:20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS build\nFROM build\nFROM scratch\n";
    assert!(lines(ID, d).is_empty());
    assert!(lines(ID, "ARG BASE\nFROM ${BASE}\n").is_empty());
}

#[test]
fn severity_and_off_follow_digest_pinning() {
    let src = "FROM alpine:3.20\n";
    assert_eq!(findings(ID, src, &Config::default(), None)[0].severity, temper_lint::Severity::Info);
    let warn = Config { digest_pinning: Some("warning".into()), ..Config::default() };
    assert_eq!(findings(ID, src, &warn, None)[0].severity, temper_lint::Severity::Warning);
    let off = Config { digest_pinning: Some("off".into()), ..Config::default() };
    assert!(lint_with(ID, src, &off, None).is_empty());
    // An explicit [lint.severity] entry wins over digest-pinning.
    let mut both = Config { digest_pinning: Some("warning".into()), ..Config::default() };
    both.severity.insert(ID.into(), temper_lint::Severity::Error);
    assert_eq!(findings(ID, src, &both, None)[0].severity, temper_lint::Severity::Error);
}

#[test]
fn trusted_registries_still_need_a_digest() {
    let cfg = Config { trusted_registries: vec!["registry.example.internal".into()], ..Config::default() };
    assert_eq!(lint_with(ID, "FROM registry.example.internal/app:1\n", &cfg, None).len(), 1);
}
