//! apt sources: the one-line form of `/etc/apt/sources.list`
//! (`deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] URI SUITE COMPONENT…`)
//! and the deb822 form of `/etc/apt/sources.list.d/*.sources`
//! (`Types`, `URIs`, `Suites`, `Components`, `Signed-By`, `Architectures`,
//! `Enabled`). Only binary (`deb`) entries are kept: temper never builds from
//! source. A suite ending in `/` is a flat repository, with no components.

use std::path::PathBuf;

use crate::control::{ParseError, Paragraphs};

/// A `.sources` file above this is refused (real ones are a few hundred bytes).
const MAX_SOURCES_BYTES: usize = 1 << 20;

/// The keys that may sign a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignedBy {
    /// A keyring file (armored or binary).
    Path(PathBuf),
    /// An armored public key block written inline in a `.sources` file.
    Key(String),
}

/// One repository: a URI, a suite and its components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The archive root, without a trailing `/` (`http://mirror/debian`).
    pub uri: String,
    /// `bookworm`, or a path ending in `/` for a flat repository.
    pub suite: String,
    /// `main`, `contrib`…; empty for a flat repository.
    pub components: Vec<String>,
    /// Restricts the architectures read (`arch=` / `Architectures:`); empty: any.
    pub architectures: Vec<String>,
    /// The keys this source is verified with (`signed-by=` / `Signed-By:`).
    pub signed_by: Option<SignedBy>,
}

impl Source {
    /// Whether this is a flat repository (`deb URI dir/`).
    pub fn is_flat(&self) -> bool {
        self.suite.ends_with('/')
    }
}

/// Why a sources file was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A one-line entry that cannot be read.
    #[error("{origin}:{line}: {reason}; expected `deb [options] URI SUITE [COMPONENT…]`")]
    Line {
        /// The file (or spec key) the text came from.
        origin: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A deb822 paragraph that cannot be read.
    #[error("{origin}: {reason}; expected deb822 paragraphs with Types, URIs, Suites and Components")]
    Deb822 {
        /// The file the text came from.
        origin: String,
        /// What is wrong.
        reason: String,
    },
}

/// Parses a sources file, picking the form by its name: `*.sources` is
/// deb822, anything else (`sources.list`, `*.list`, a spec entry) one-line.
pub fn parse(origin: &str, text: &str) -> Result<Vec<Source>, Error> {
    if origin.ends_with(".sources") { parse_deb822(origin, text) } else { parse_one_line(origin, text) }
}

/// Parses one-line entries; `deb-src` lines, comments and blank lines are skipped.
pub fn parse_one_line(origin: &str, text: &str) -> Result<Vec<Source>, Error> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let fail = |reason: &str| Error::Line { origin: origin.to_owned(), line: i + 1, reason: reason.to_owned() };
        let line = raw.split('#').next().unwrap_or_default().trim();
        let Some((kind, rest)) = line.split_once(char::is_whitespace) else {
            if line.is_empty() {
                continue;
            }
            return Err(fail(&format!("`{line}` is not a source entry")));
        };
        match kind {
            "deb-src" => continue,
            "deb" => {}
            _ => return Err(fail(&format!("unknown type `{kind}`"))),
        }
        let mut rest = rest.trim_start();
        let mut architectures = Vec::new();
        let mut signed_by = None;
        if let Some(opts) = rest.strip_prefix('[') {
            let Some((opts, after)) = opts.split_once(']') else {
                return Err(fail("the `[` of the options is never closed"));
            };
            for opt in opts.split_whitespace() {
                let Some((key, value)) = opt.split_once('=') else {
                    return Err(fail(&format!("option `{opt}` is not KEY=VALUE")));
                };
                match key {
                    "arch" => architectures = value.split(',').map(str::to_owned).collect(),
                    "signed-by" => signed_by = Some(signed_by_value(value)),
                    // trusted=, lang=, target=… do not change what is verified or read.
                    _ => {}
                }
            }
            rest = after;
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            return Err(fail("a URI and a suite are needed"));
        };
        let components: Vec<String> = words.map(str::to_owned).collect();
        let source = Source { uri: uri.trim_end_matches('/').to_owned(), suite: suite.to_owned(), components, architectures, signed_by };
        check(&source).map_err(|reason| fail(&reason))?;
        out.push(source);
    }
    Ok(out)
}

/// Parses deb822 paragraphs: one source per URI × suite of each enabled
/// paragraph whose `Types` holds `deb`.
pub fn parse_deb822(origin: &str, text: &str) -> Result<Vec<Source>, Error> {
    let fail = |reason: String| Error::Deb822 { origin: origin.to_owned(), reason };
    let mut out = Vec::new();
    for para in Paragraphs::new(text.as_bytes(), MAX_SOURCES_BYTES) {
        let para = para.map_err(|e: ParseError| fail(e.to_string()))?;
        let list = |name: &str| para.get(name).map(|v| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>()).unwrap_or_default();
        if para.get("Enabled").is_some_and(|v| v.trim().eq_ignore_ascii_case("no")) || !list("Types").iter().any(|t| t == "deb") {
            continue;
        }
        let (uris, suites) = (list("URIs"), list("Suites"));
        if uris.is_empty() || suites.is_empty() {
            return Err(fail(format!("a paragraph without URIs or Suites (`{}`)", para.raw.lines().next().unwrap_or_default().escape_debug())));
        }
        let signed_by = para.get("Signed-By").map(|v| {
            let v = v.trim();
            if v.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") { SignedBy::Key(v.to_owned()) } else { signed_by_value(v) }
        });
        for uri in &uris {
            for suite in &suites {
                let source = Source {
                    uri: uri.trim_end_matches('/').to_owned(),
                    suite: suite.clone(),
                    components: list("Components"),
                    architectures: list("Architectures"),
                    signed_by: signed_by.clone(),
                };
                check(&source).map_err(|reason| fail(format!("{uri} {suite}: {reason}")))?;
                out.push(source);
            }
        }
    }
    Ok(out)
}

fn signed_by_value(value: &str) -> SignedBy {
    SignedBy::Path(PathBuf::from(value))
}

/// What apt itself refuses: components on a flat repository, none on a
/// normal one, and schemes temper cannot fetch.
fn check(source: &Source) -> Result<(), String> {
    if !(source.uri.starts_with("http://") || source.uri.starts_with("https://")) {
        return Err(format!("`{}` is not an http:// or https:// URI", source.uri));
    }
    match (source.is_flat(), source.components.is_empty()) {
        (true, false) => Err(format!("the flat repository `{}` takes no components", source.suite)),
        (false, true) => Err(format!("suite `{}` needs at least one component (or a trailing `/` for a flat repository)", source.suite)),
        _ => Ok(()),
    }
}
