use super::support::{lines, lint};

const ID: &str = "cmd-shell-form";

#[test]
fn fires_on_shell_form_cmd_and_entrypoint() {
    assert_eq!(lint(ID, "FROM debian:12\nCMD nginx -g 'daemon off;'\n"), [(2, 1, "CMD in shell form".to_owned())]);
    assert_eq!(lines(ID, "FROM debian:12\nENTRYPOINT run.sh\nCMD [\"x\"]\n"), [2]);
}

#[test]
fn json_form_and_healthcheck_are_fine() {
    assert!(lines(ID, "FROM debian:12\nCMD [\"nginx\"]\nENTRYPOINT []\nHEALTHCHECK CMD curl -f http://localhost/\n").is_empty());
}
