use super::support::{lines, lint};

const ID: &str = "from-untagged";

#[test]
fn fires_on_an_untagged_image() {
    assert_eq!(lint(ID, "FROM debian\n"), [(1, 6, "Base image debian without a tag".to_owned())]);
    assert_eq!(lines(ID, "FROM debian:12\nFROM localhost:5000/img\nFROM ghcr.io/a/b AS x\n"), [2, 3]);
    // ARG defaults are expanded.
    assert_eq!(lines(ID, "ARG IMG=debian\nFROM ${IMG}\n"), [2]);
}

#[test]
fn tags_digests_stages_scratch_and_unknown_variables_are_fine() {
    let digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    assert!(lines(ID, &format!("FROM debian@{digest}\nFROM scratch\nFROM debian:12 AS b\nFROM b\nFROM B\nFROM localhost:5000/img:1\n")).is_empty());
    assert!(lines(ID, "ARG V=12\nARG N\nFROM debian:${V}\nFROM ${N}\nFROM debian:${N}\n").is_empty());
}
