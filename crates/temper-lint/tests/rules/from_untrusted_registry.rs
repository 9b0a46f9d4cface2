use super::support::{lines, lint_with};
use temper_lint::Config;

const ID: &str = "from-untrusted-registry";

fn trusting(registries: &[&str], source: &str) -> Vec<(usize, usize, String)> {
    let config = Config { trusted_registries: registries.iter().map(|s| (*s).to_owned()).collect(), ..Config::default() };
    lint_with(ID, source, &config, None)
}

#[test]
fn fires_on_registries_not_in_the_list() {
    assert_eq!(trusting(&["docker.io"], "FROM ghcr.io/a/b:1\n"), [(1, 6, "Base image ghcr.io/a/b:1 from ghcr.io, not a trusted registry".to_owned())]);
    assert_eq!(trusting(&["registry.example.internal"], "FROM debian:12\nFROM localhost:5000/a:1\n").len(), 2);
}

#[test]
fn trusted_hub_stages_and_no_list_are_fine() {
    assert!(trusting(&["docker.io"], "FROM debian:12\nFROM docker.io/library/debian:12\nFROM a/b:1\nFROM scratch\nFROM debian:12 AS x\nFROM x\n").is_empty());
    assert!(trusting(&["GHCR.io"], "FROM ghcr.io/a/b:1\n").is_empty());
    assert!(lines(ID, "FROM ghcr.io/a/b:1\n").is_empty());
}
