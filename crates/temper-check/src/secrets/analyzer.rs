//! The secret scanner as an analyser of the layer pass: which files it
//! reads, and the facts it makes of them.
//!
//! It reads regular files of every layer up to [`MAX_BYTES`], except what
//! cannot hold a readable secret: binary formats known by extension
//! (images, fonts, archives, compiled objects, bytecode), trees of data
//! that packages install and nobody edits (time zones, locales, man and
//! info pages, package documentation), source maps (generated copies
//! of sources that are scanned themselves) and TypeScript declaration
//! files (types and doc comments, never runtime values: their "secrets"
//! are the documented example keys of SDKs). Anything else whose first
//! bytes look binary (a NUL, or ELF, zip, gzip, zstd, xz, PNG or JPEG
//! magic) is dropped before it is buffered.

use temper_inventory::{Fact, Secret};
use temper_layer::{Analyzer, EntryKind, FileEntry};

use super::scan;

/// Largest file scanned: configuration, scripts and key files are far
/// smaller; what is larger is data, bundles or binaries, and reading it
/// would dominate the pass.
pub const MAX_BYTES: u64 = 2 << 20;

/// The secret rules over every candidate file of every layer.
pub struct SecretScanner;

/// Extensions of formats that are binary or compressed.
const BINARY_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "webp", "tif", "tiff", "woff", "woff2", "ttf", "otf", "eot", "gz", "tgz", "bz2", "xz", "zst", "lz4", "zip",
    "jar", "war", "ear", "whl", "egg", "deb", "rpm", "apk", "7z", "so", "a", "o", "pyc", "pyo", "class", "wasm", "node", "mo", "db", "sqlite", "map",
];

/// Trees of package-installed data that hold no credentials: time zones,
/// locale data, man, info and terminfo pages, and packages' own
/// documentation (whose examples are the main source of false positives).
const SKIPPED_TREES: &[&str] = &[
    "usr/share/zoneinfo/",
    "usr/share/locale/",
    "usr/share/i18n/",
    "usr/share/man/",
    "usr/share/info/",
    "usr/share/terminfo/",
    "usr/share/doc/",
    "usr/lib/locale/",
];

/// Whether a path can be skipped without looking at its bytes.
pub(crate) fn skipped(path: &str) -> bool {
    if SKIPPED_TREES.iter().any(|t| path.starts_with(t)) {
        return true;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    // `libfoo.so.1.2` is a shared object too.
    if name.contains(".so.") || [".d.ts", ".d.mts", ".d.cts"].iter().any(|d| name.ends_with(d)) {
        return true;
    }
    name.rsplit_once('.').is_some_and(|(_, ext)| BINARY_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext)))
}

/// Whether a file's first bytes show a binary format.
pub(crate) fn binary(head: &[u8]) -> bool {
    const MAGIC: &[&[u8]] = &[b"\x7fELF", b"PK\x03\x04", b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"\xfd7zXZ", b"\x89PNG", b"\xff\xd8\xff"];
    head.contains(&0) || MAGIC.iter().any(|m| head.starts_with(m))
}

impl Analyzer<Fact> for SecretScanner {
    fn id(&self) -> &'static str {
        "secrets"
    }
    fn version(&self) -> u32 {
        2
    }
    fn wants(&self, path: &str, entry: &FileEntry) -> bool {
        entry.kind == EntryKind::File && entry.size > 0 && entry.size <= MAX_BYTES && !skipped(path)
    }
    fn wants_head(&self, head: &[u8]) -> bool {
        !binary(head)
    }
    fn max_bytes(&self) -> u64 {
        MAX_BYTES
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        Ok(scan::scan(content, Some(path)).into_iter().map(|s| Fact::Secret(Secret { rule: s.rule.to_owned(), line: s.line, redacted: s.redacted })).collect())
    }
}
