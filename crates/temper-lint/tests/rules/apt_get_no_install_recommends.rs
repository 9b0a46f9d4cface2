use super::support::{lines, lint};

const ID: &str = "apt-get-no-install-recommends";

#[test]
fn fires_without_the_flag() {
    assert_eq!(lint(ID, "FROM debian:12\nRUN apt-get install -y curl\n"), [(2, 1, "apt-get install without --no-install-recommends".to_owned())]);
}

#[test]
fn the_flag_and_the_option_are_fine() {
    assert!(lines(ID, "FROM debian:12\nRUN apt-get install -y --no-install-recommends curl\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN apt-get install -y -o APT::Install-Recommends=false curl\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN apt-get -y --no-install-recommends install curl\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN apt-get update && apt-get remove -y curl\n").is_empty());
}
