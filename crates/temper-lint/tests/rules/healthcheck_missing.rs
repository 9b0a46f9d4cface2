use super::support::{lines, lint};

const ID: &str = "healthcheck-missing";

#[test]
fn fires_at_the_final_from() {
    assert_eq!(lint(ID, "FROM debian:12\nRUN x\n"), [(1, 1, "No HEALTHCHECK in the image".to_owned())]);
    assert_eq!(lines(ID, "FROM debian:12 AS a\nHEALTHCHECK CMD x\nFROM debian:12\nRUN y\n"), [3]);
}

#[test]
fn own_inherited_and_none_are_fine() {
    assert!(lines(ID, "FROM debian:12\nHEALTHCHECK CMD x\n").is_empty());
    assert!(lines(ID, "FROM debian:12 AS a\nHEALTHCHECK CMD x\nFROM a\nRUN y\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nHEALTHCHECK NONE\n").is_empty());
}
