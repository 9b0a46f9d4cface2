//! Small files kept whole, as text, in the layer's cached results: the
//! account files, os-release and the CA bundles, which `temper build`
//! edits. Kept here, a build on a base scanned before (a golden base is
//! always scanned before it is adopted) takes them from the cache instead
//! of inflating the base's layers again.
//!
//! The cache must not become a store of secrets (its entries can live in
//! the fleet's shared store): a shadow file is kept only when no account
//! in it has a password hash, as in every official base image; otherwise
//! the build reads the layer again.

use temper_layer::{Analyzer, FileEntry};

use crate::Fact;

/// The files kept, root-relative.
pub const KEPT: [&str; 8] = [
    "etc/os-release",
    "usr/lib/os-release",
    "etc/passwd",
    "etc/group",
    "etc/shadow",
    "etc/gshadow",
    "etc/ssl/certs/ca-certificates.crt",
    "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
];

/// Largest file kept (a CA bundle is a few hundred KiB; a bigger file
/// would be reported as unread in every scan's unknowns).
const MAX_KEPT: u64 = 16 << 20;

/// Keeps the [`KEPT`] files as [`Fact::Text`].
pub struct KeptFiles;

/// Whether every password field of a shadow-format file is locked or
/// empty (`*`, `!`, `!!`, `x`, nothing): no hash to leak.
fn no_password_hash(text: &str) -> bool {
    text.lines().filter(|l| !l.trim().is_empty()).all(|l| l.split(':').nth(1).is_some_and(|p| matches!(p, "" | "*" | "!" | "!!" | "!*" | "x")))
}

impl Analyzer<Fact> for KeptFiles {
    fn id(&self) -> &'static str {
        "kept-files"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        KEPT.contains(&path)
    }
    fn max_bytes(&self) -> u64 {
        MAX_KEPT
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        // Not kept is not an error: the build reads the layer instead.
        let Ok(text) = std::str::from_utf8(content) else { return Ok(Vec::new()) };
        if matches!(path, "etc/shadow" | "etc/gshadow") && !no_password_hash(text) {
            return Ok(Vec::new());
        }
        Ok(vec![Fact::Text { text: text.to_owned() }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadow_files_with_a_hash_are_not_kept() {
        let locked = "root:*:19000:0:99999:7:::\nnobody:!:19000::::::\nnode:!!:19000::::::\n";
        assert_eq!(KeptFiles.analyze("etc/shadow", locked.as_bytes()).unwrap(), vec![Fact::Text { text: locked.into() }]);
        let hashed = "root:$6$salt$hash:19000:0:99999:7:::\n";
        assert!(KeptFiles.analyze("etc/shadow", hashed.as_bytes()).unwrap().is_empty());
        let locked_hash = "root:!$6$salt$hash:19000:0:99999:7:::\n";
        assert!(KeptFiles.analyze("etc/gshadow", locked_hash.as_bytes()).unwrap().is_empty());
        // A passwd file's `x` is no secret; other files are kept as they are.
        assert_eq!(KeptFiles.analyze("etc/passwd", b"root:x:0:0::/root:/bin/sh\n").unwrap().len(), 1);
        assert!(KeptFiles.analyze("etc/group", b"\xff\xfe").unwrap().is_empty());
    }

    #[test]
    fn the_fact_survives_the_layer_cache() {
        let facts = KeptFiles.analyze("etc/os-release", b"ID=debian\nNAME=\"Debian \\u00e9\"\n").unwrap();
        let back: Vec<Fact> = serde_json::from_str(&serde_json::to_string(&facts).unwrap()).unwrap();
        assert_eq!(back, facts);
    }
}
