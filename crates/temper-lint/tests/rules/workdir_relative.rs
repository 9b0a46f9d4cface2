use super::support::{lines, lint};

const ID: &str = "workdir-relative";

#[test]
fn fires_on_a_relative_path() {
    assert_eq!(lint(ID, "FROM debian:12\nWORKDIR app\n"), [(2, 9, "WORKDIR app is a relative path".to_owned())]);
    assert_eq!(lines(ID, "FROM debian:12\nWORKDIR \"rel/dir\"\nARG D=sub\nWORKDIR ${D}\n"), [2]);
}

#[test]
fn absolute_windows_and_variable_paths_are_fine() {
    assert!(lines(ID, "FROM debian:12\nWORKDIR /app\nWORKDIR \"/q\"\nWORKDIR $HOME/x\nWORKDIR ${X}\nWORKDIR C:\\\\app\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nARG D=/srv\nWORKDIR ${D}/app\n").is_empty());
}
