use super::support::{lines, lint};

const ID: &str = "add-url-without-checksum";

#[test]
fn fires_on_urls_without_checksum() {
    assert_eq!(
        lint(ID, "FROM alpine\nADD https://example.com/tool.tar.gz /tmp/\n"),
        [(2, 5, "ADD https://example.com/tool.tar.gz is downloaded without --checksum".to_owned())]
    );
    assert_eq!(
        lint(ID, "FROM alpine\nADD https://example.com/repo.git#v1.2.3 /src\n"),
        [(2, 5, "ADD https://example.com/repo.git#v1.2.3 is a git source not pinned to a commit".to_owned())]
    );
    assert_eq!(lines(ID, "FROM alpine\nADD --chmod=755 http://example.com/a ./\nADD https://example.com/r.git?ref=main /s\nADD git@example.com:o/r.git /s\n"), [2, 3, 4]);
}

#[test]
fn checksums_commits_and_local_files_are_fine() {
    let ok = "FROM alpine\n\
        ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/t.tgz /tmp/\n\
        ADD https://example.com/repo.git#0123456789abcdef0123456789abcdef01234567 /src\n\
        ADD https://example.com/repo.git#0123456789abcdef0123456789abcdef01234567:sub /src\n\
        ADD https://example.com/r.git?commit=0123456789abcdef0123456789abcdef01234567&keep-git-dir=1 /s\n\
        ADD app.tar.gz /app/\n";
    assert!(lines(ID, ok).is_empty());
}
