use super::support::{lines, lint};

const ID: &str = "apt-get-pin-versions";

#[test]
fn fires_on_unpinned_packages_at_the_run_line() {
    assert_eq!(
        lint(ID, "FROM debian:12\nRUN apt-get update && apt-get install -y \\\n    curl=7.88 \\\n    wget git\n"),
        [(2, 1, "apt-get install without version pins: wget, git".to_owned())]
    );
    assert_eq!(lines(ID, "FROM debian:12\nRUN apt-get -y -o Dpkg::Options::=--force-confnew install curl\n"), [2]);
}

#[test]
fn pins_wildcards_variables_local_debs_and_expansions_are_fine() {
    assert!(lines(ID, "FROM debian:12\nRUN apt-get install -y curl=7.88.1-10 foo=1.2* bar=${VER} ./x.deb /tmp/y.deb z.deb\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN apt-get install -y $(cat pkgs.txt) \"$PKGS\"\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN --mount=type=secret,id=k apt-get install -y -t bookworm-backports curl=1\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN apt-get update && apt-get upgrade -y && apt-cache show curl\n").is_empty());
}

#[test]
fn a_variable_inside_a_package_name_is_still_unpinned() {
    assert_eq!(
        lint(ID, "FROM debian:12\nRUN apt-get install -y postgresql-${PG_MAJOR}\n"),
        [(2, 1, "apt-get install without version pins: postgresql-${PG_MAJOR}".to_owned())]
    );
}

#[test]
fn hadolint_global_ignore_is_honoured() {
    let df = "FROM debian:12\nRUN apt-get install -y curl\n# hadolint global ignore=DL3008,DL3013\nRUN apt-get install -y git\n";
    assert!(lines(ID, df).is_empty());
    assert!(lines(ID, "# temper global ignore=apt-get-pin-versions\nFROM debian:12\nRUN apt-get install -y curl\n").is_empty());
    // Per-line ignores still work beside it, and a global ignore of another rule leaves this one alone.
    let mixed = "FROM debian:12\n# hadolint global ignore=DL3013\n# hadolint ignore=DL3008\nRUN apt-get install -y curl\nRUN apt-get install -y git\n";
    assert_eq!(lines(ID, mixed), [5]);
}

#[test]
fn package_lists_in_known_args_are_expanded() {
    let df = "FROM debian:12\nARG DEPS=\"curl git=1:2.39.2-1.1\"\nENV BUILD_DEPS gcc\nRUN apt-get install -y $DEPS \"${BUILD_DEPS}\"\n";
    assert_eq!(lint(ID, df), [(4, 1, "apt-get install without version pins: curl, gcc".to_owned())]);
    // Unknown values are not guessed: an ARG without a default, a command substitution.
    assert!(lines(ID, "FROM debian:12\nARG DEPS\nRUN apt-get install -y $DEPS $(cat pkgs.txt)\n").is_empty());
    // ENV wins over ARG; a pinned list is fine; the other pinning rules expand too.
    assert!(lines(ID, "FROM debian:12\nARG DEPS=curl\nENV DEPS=curl=7.88.1-10\nRUN apt-get install -y $DEPS\n").is_empty());
    assert_eq!(super::support::lines("apk-pin-versions", "FROM alpine:3.20\nARG PKGS=\"curl --no-cache\"\nRUN apk add $PKGS\n"), [3]);
    assert_eq!(super::support::lines("pip-pin-versions", "FROM python:3.12\nENV PIP_PKGS=\"flask requests==2.31.0\"\nRUN pip install $PIP_PKGS\n"), [3]);
}
