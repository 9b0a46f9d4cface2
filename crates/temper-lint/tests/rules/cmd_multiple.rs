use super::support::{lines, lint};

const ID: &str = "cmd-multiple";

#[test]
fn fires_on_each_later_cmd() {
    assert_eq!(
        lint(ID, "FROM debian:12\nCMD a\nCMD [\"b\"]\n"),
        [(3, 1, "More than one CMD in the stage (the first is on line 2; only the last takes effect)".to_owned())]
    );
}

#[test]
fn one_per_stage_is_fine() {
    assert!(lines(ID, "FROM debian:12\nCMD a\nFROM debian:12\nCMD b\nENTRYPOINT [\"x\"]\n").is_empty());
}
