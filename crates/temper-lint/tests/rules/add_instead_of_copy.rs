use super::support::{lines, lint};

const ID: &str = "add-instead-of-copy";

#[test]
fn fires_on_local_files() {
    assert_eq!(lint(ID, "FROM debian:12\nADD app/ /srv/app/\n"), [(2, 1, "ADD for local files (app/); use COPY".to_owned())]);
    assert_eq!(lines(ID, "FROM debian:12\nADD x.tgz y.txt /\nADD --chown=1 a /\nADD x.zip /\nADD [\"a b\", \"/c\"]\n"), [2, 3, 4, 5]);
}

#[test]
fn archives_urls_git_and_unknown_variables_are_fine() {
    assert!(lines(ID, "FROM debian:12\nADD x.tar.gz /\nADD x.tar /\nADD x.tar.xz x.TGZ /\nADD https://example.invalid/a /\nADD git@example.invalid:a/b /src\nARG F\nADD ${F} /\n").is_empty());
}

#[test]
fn add_plain_gzip_is_not_unpacked() {
    assert_eq!(
        lint(ID, "FROM debian:12\nADD data.gz /data/\n"),
        [(2, 1, "ADD for local files (data.gz, which is not a tar archive, so ADD copies it still compressed); use COPY".to_owned())]
    );
    assert_eq!(lines(ID, "FROM debian:12\nADD dump.sql.xz /\nADD x.tar.gz /\nADD x.tgz /\nADD x.tar.bz2 /\n"), [2]);
}
