use super::support::{lines, lint};

const ID: &str = "healthcheck-multiple";

#[test]
fn fires_on_each_later_healthcheck() {
    assert_eq!(
        lint(ID, "FROM debian:12\nHEALTHCHECK CMD true\nHEALTHCHECK NONE\n"),
        [(3, 1, "More than one HEALTHCHECK in the stage (the first is on line 2; only the last takes effect)".to_owned())]
    );
    assert_eq!(lines(ID, "FROM debian:12\nHEALTHCHECK CMD a\nHEALTHCHECK CMD b\nHEALTHCHECK CMD c\n"), [3, 4]);
}

#[test]
fn one_per_stage_is_fine() {
    assert!(lines(ID, "FROM debian:12 AS a\nHEALTHCHECK CMD a\nFROM a\nHEALTHCHECK CMD b\n").is_empty());
}
