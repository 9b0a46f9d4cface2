use super::support::{lines, lint};

const ID: &str = "from-latest";

#[test]
fn fires_on_latest() {
    assert_eq!(lint(ID, "FROM debian:latest\n"), [(1, 6, "Base image debian:latest uses the latest tag".to_owned())]);
    assert_eq!(lines(ID, "ARG T=latest\nFROM registry.example.invalid:5000/a/b:${T} AS x\n"), [2]);
}

#[test]
fn other_tags_and_digests_are_fine() {
    let digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    assert!(lines(ID, &format!("FROM debian:latest@{digest}\nFROM debian\nFROM debian:latest-slim\nFROM localhost:5000/latest\n")).is_empty());
}
