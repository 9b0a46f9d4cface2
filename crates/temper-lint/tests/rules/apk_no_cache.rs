use super::support::{lines, lint};

const ID: &str = "apk-no-cache";

#[test]
fn fires_without_no_cache() {
    assert_eq!(lint(ID, "FROM alpine:3.19\nRUN apk add curl=1\n"), [(2, 1, "apk add without --no-cache".to_owned())]);
    assert_eq!(lines(ID, "FROM alpine:3.19\nRUN apk update && apk add x=1 && rm -rf /var/cache/apk/*\n"), [2]);
}

#[test]
fn the_flag_and_a_cache_mount_are_fine() {
    assert!(lines(ID, "FROM alpine:3.19\nRUN apk add --no-cache curl=1 && apk --no-cache add git=2\n").is_empty());
    assert!(lines(ID, "FROM alpine:3.19\nRUN --mount=type=cache,target=/var/cache/apk apk add curl=1\n").is_empty());
    assert!(lines(ID, "FROM alpine:3.19\nRUN apk del curl && apk upgrade\n").is_empty());
}
