use super::support::{lines, lint};

const ID: &str = "user-last-root";

#[test]
fn fires_on_root_as_the_images_last_user() {
    assert_eq!(lint(ID, "FROM debian:12\nUSER app\nUSER root\nRUN x\n"), [(3, 6, "The last USER of the image is root (root)".to_owned())]);
    assert_eq!(lines(ID, "FROM debian:12\nUSER 0:0\n"), [2]);
    assert_eq!(lines(ID, "FROM debian:12\nUSER root:root\n"), [2]);
    // The final stage inherits the user of the stage it is built from.
    assert_eq!(lines(ID, "FROM debian:12 AS base\nUSER root\nFROM base\nRUN x\n"), [2]);
}

#[test]
fn build_stages_and_non_root_users_are_fine() {
    assert!(lines(ID, "FROM debian:12 AS build\nUSER root\nFROM debian:12\nUSER app\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nUSER root\nUSER 10001\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nUSER rootless\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nARG U\nUSER ${U}\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN x\n").is_empty());
    assert!(lines(ID, "FROM debian:12\n# hadolint ignore=DL3002\nUSER root\n").is_empty());
}
