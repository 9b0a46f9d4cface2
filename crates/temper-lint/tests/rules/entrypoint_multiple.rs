use super::support::{lines, lint};

const ID: &str = "entrypoint-multiple";

#[test]
fn fires_on_each_later_entrypoint() {
    assert_eq!(
        lint(ID, "FROM debian:12\nENTRYPOINT a\nENTRYPOINT [\"b\"]\n"),
        [(3, 1, "More than one ENTRYPOINT in the stage (the first is on line 2; only the last takes effect)".to_owned())]
    );
}

#[test]
fn one_per_stage_is_fine() {
    assert!(lines(ID, "FROM debian:12\nENTRYPOINT [\"a\"]\nCMD x\nFROM debian:12\nENTRYPOINT [\"b\"]\n").is_empty());
}
