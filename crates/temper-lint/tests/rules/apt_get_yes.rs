use super::support::{lines, lint};

const ID: &str = "apt-get-yes";

#[test]
fn fires_without_yes() {
    assert_eq!(lint(ID, "FROM debian:12\nRUN apt-get install curl\n"), [(2, 1, "apt-get install without -y".to_owned())]);
    assert_eq!(lines(ID, "FROM debian:12\nRUN apt-get install -q curl\nRUN apt-get --quiet install curl\n"), [2, 3]);
}

#[test]
fn yes_spellings_and_quiet_two_are_fine() {
    for flags in ["-y", "--yes", "--assume-yes", "-qy", "-qq", "-q -q", "-q=2", "--quiet --quiet", "--quiet=2", "-o APT::Get::Assume-Yes=true"] {
        assert!(lines(ID, &format!("FROM debian:12\nRUN apt-get install {flags} curl\n")).is_empty(), "{flags}");
    }
    assert!(lines(ID, "FROM debian:12\nRUN apt-get update\n").is_empty());
}
