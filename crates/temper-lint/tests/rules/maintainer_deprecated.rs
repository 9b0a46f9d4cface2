use super::support::{lines, lint};

const ID: &str = "maintainer-deprecated";

#[test]
fn fires_on_maintainer() {
    assert_eq!(lint(ID, "FROM debian:12\nMAINTAINER Jane <jane@example.invalid>\n"), [(2, 1, "MAINTAINER is deprecated".to_owned())]);
}

#[test]
fn the_label_is_fine_and_ignores_work() {
    assert!(lines(ID, "FROM debian:12\nLABEL org.opencontainers.image.authors=\"Jane\"\n").is_empty());
    assert!(lines(ID, "FROM debian:12\n# hadolint ignore=DL4000\nMAINTAINER Jane\n").is_empty());
    assert!(lines(ID, "FROM debian:12\n# temper ignore=maintainer-deprecated\nMAINTAINER Jane\n").is_empty());
    assert_eq!(lines(ID, "FROM debian:12\n# temper ignore=other-rule\nMAINTAINER Jane\n"), [3]);
}
