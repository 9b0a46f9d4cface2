use super::support::{lines, lint};

const ID: &str = "apk-pin-versions";

#[test]
fn fires_on_unpinned_packages() {
    assert_eq!(lint(ID, "FROM alpine:3.19\nRUN apk add --no-cache curl=8.5.0-r0 git\n"), [(2, 1, "apk add without version pins: git".to_owned())]);
    assert_eq!(lines(ID, "FROM alpine:3.19\nRUN apk --no-cache add curl\n"), [2]);
}

#[test]
fn pins_constraints_local_and_virtual_names_are_fine() {
    assert!(lines(ID, "FROM alpine:3.19\nRUN apk add --no-cache curl=8.5 b~1 \"c>1\" ./x.apk /tmp/y.apk $PKGS\n").is_empty());
    assert!(lines(ID, "FROM alpine:3.19\nRUN apk add --no-cache --virtual .deps gcc=13 && apk add -t .b musl-dev=1 && apk del .deps\n").is_empty());
    assert!(lines(ID, "FROM alpine:3.19\nRUN apk upgrade && apk update\n").is_empty());
}
