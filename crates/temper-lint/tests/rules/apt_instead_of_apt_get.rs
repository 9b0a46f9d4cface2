use super::support::{lines, lint};

const ID: &str = "apt-instead-of-apt-get";

#[test]
fn fires_on_apt() {
    assert_eq!(lint(ID, "FROM debian:12\nRUN apt update && apt install -y curl\n"), [(2, 1, "apt instead of apt-get".to_owned())]);
}

#[test]
fn apt_get_and_apt_cache_are_fine() {
    assert!(lines(ID, "FROM debian:12\nRUN apt-get update && apt-cache policy curl && echo apt\n").is_empty());
}
