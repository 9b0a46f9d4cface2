use super::support::{lines, lint};

const ID: &str = "apt-lists-not-removed";

#[test]
fn fires_when_update_leaves_the_lists() {
    assert_eq!(
        lint(ID, "FROM debian:12\nRUN apt-get update \\\n && apt-get install -y curl\n"),
        [(2, 1, "apt lists not removed in the same RUN as apt-get update".to_owned())]
    );
    // Removing them in a later RUN does not shrink the image.
    assert_eq!(lines(ID, "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"), [2]);
    // A stage the image is built from counts.
    assert_eq!(lines(ID, "FROM debian:12 AS base\nRUN apt-get update && apt-get install -y curl\nFROM base\nRUN x\n"), [2]);
}

#[test]
fn removal_mounts_and_build_stages_are_fine() {
    assert!(lines(ID, "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y curl\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt/lists/ apt-get update\n").is_empty());
    assert!(lines(ID, "FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\nFROM debian:12\nCOPY --from=build /out /out\n").is_empty());
    // install alone downloads no lists.
    assert!(lines(ID, "FROM debian:12\nRUN apt-get install -y ./x.deb\n").is_empty());
}

#[test]
fn dist_clean_removes_the_lists() {
    assert!(lines(ID, "FROM debian:13\nRUN apt-get update; apt-get install -y curl; apt-get dist-clean\n").is_empty());
}
