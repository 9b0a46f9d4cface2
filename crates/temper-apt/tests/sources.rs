//! apt sources in both forms, as Debian and Ubuntu images ship them.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;

use temper_apt::sources::{self, SignedBy, Source};

#[test]
fn one_line_sources_parse_options_and_skip_deb_src_and_comments() {
    let text = "# the archive\n\
                deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/x.gpg] http://mirror.example/debian/ bookworm main contrib # trailing\n\
                deb-src http://mirror.example/debian bookworm main\n\
                \n\
                deb https://mirror.example/debian-security bookworm-security main\n";
    let got = sources::parse("sources.list", text).unwrap();
    assert_eq!(
        got,
        [
            Source {
                uri: "http://mirror.example/debian".into(),
                suite: "bookworm".into(),
                components: vec!["main".into(), "contrib".into()],
                architectures: vec!["amd64".into(), "arm64".into()],
                signed_by: Some(SignedBy::Path(PathBuf::from("/usr/share/keyrings/x.gpg"))),
            },
            Source {
                uri: "https://mirror.example/debian-security".into(),
                suite: "bookworm-security".into(),
                components: vec!["main".into()],
                architectures: vec![],
                signed_by: None,
            },
        ]
    );
}

#[test]
fn one_line_flat_repository_has_no_components() {
    let got = sources::parse_one_line("spec", "deb http://mirror.example/flat ./").unwrap();
    assert!(got[0].is_flat() && got[0].components.is_empty(), "{got:?}");
    let err = sources::parse_one_line("spec", "deb http://mirror.example/flat ./ main").unwrap_err().to_string();
    assert!(err.contains("takes no components"), "{err}");
}

#[test]
fn one_line_errors_name_the_file_and_line() {
    let err = sources::parse_one_line("/etc/apt/sources.list", "\ndeb http://mirror.example/debian bookworm\n").unwrap_err().to_string();
    assert!(err.starts_with("/etc/apt/sources.list:2: suite `bookworm` needs at least one component"), "{err}");
    let err = sources::parse_one_line("/etc/apt/sources.list", "deb [arch=amd64 http://x bookworm main").unwrap_err().to_string();
    assert!(err.contains(":1: the `[` of the options is never closed"), "{err}");
    let err = sources::parse_one_line("spec", "deb file:/srv/repo bookworm main").unwrap_err().to_string();
    assert!(err.contains("is not an http:// or https:// URI"), "{err}");
}

#[test]
fn deb822_sources_expand_uris_and_suites_and_skip_disabled_and_src() {
    let text = "Types: deb deb-src\n\
                URIs: http://mirror.example/debian\n\
                Suites: bookworm bookworm-updates\n\
                Components: main\n\
                Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\
                \n\
                # a comment between paragraphs\n\
                Types: deb\n\
                URIs: http://mirror.example/debian-security\n\
                Suites: bookworm-security\n\
                Components: main\n\
                Enabled: no\n\
                \n\
                Types: deb-src\n\
                URIs: http://mirror.example/debian\n\
                Suites: trixie\n\
                Components: main\n";
    let got = sources::parse("/etc/apt/sources.list.d/debian.sources", text).unwrap();
    let suites: Vec<_> = got.iter().map(|s| s.suite.as_str()).collect();
    assert_eq!(suites, ["bookworm", "bookworm-updates"]);
    assert_eq!(got[1].signed_by, Some(SignedBy::Path("/usr/share/keyrings/debian-archive-keyring.gpg".into())));
}

#[test]
fn deb822_inline_signed_by_is_a_key_block() {
    let text = "Types: deb\nURIs: http://mirror.example/x\nSuites: stable\nComponents: main\nArchitectures: amd64\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mDMEZ\n -----END PGP PUBLIC KEY BLOCK-----\n";
    let got = sources::parse_deb822("x.sources", text).unwrap();
    assert_eq!(got[0].architectures, ["amd64"]);
    assert_eq!(got[0].signed_by, Some(SignedBy::Key("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n-----END PGP PUBLIC KEY BLOCK-----".into())));
}

#[test]
fn deb822_paragraph_without_suites_is_refused_naming_the_file() {
    let err = sources::parse_deb822("/etc/apt/sources.list.d/x.sources", "Types: deb\nURIs: http://mirror.example/x\n").unwrap_err().to_string();
    assert!(err.starts_with("/etc/apt/sources.list.d/x.sources: a paragraph without URIs or Suites"), "{err}");
}

/// Found by the `apt_sources` fuzz body: a carriage return inside the
/// line a refusal quotes was printed raw, so the message broke its line.
#[test]
fn deb822_refusal_quotes_its_line_escaped() {
    let err = sources::parse("x.sources", "Types: deb deb\rsrc\n").unwrap_err().to_string();
    assert!(err.starts_with("x.sources: a paragraph without URIs or Suites (`Types: deb deb\\rsrc`)"), "{err}");
    assert!(!err.contains(['\r', '\n']), "{err:?}");
}
