//! dpkg's database: `/var/lib/dpkg/status` (one stanza per package) and
//! distroless's `/var/lib/dpkg/status.d/*` (one stanza per file).
//!
//! Only stanzas whose `Status` says `installed` count (or that have no
//! `Status`, as distroless writes them). `Source: name (version)` is kept:
//! Debian advisories name source packages, and a binNMU's binary version
//! (`1.10.0-3+b1`) differs from its source's (`1.10.0-3`).

use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, Package};

pub struct DpkgCataloger;

/// Parses deb822 stanzas into installed packages.
pub fn parse(text: &str) -> Result<Vec<Package>, String> {
    let mut out = Vec::new();
    for (n, stanza) in text.split("\n\n").enumerate() {
        let field = |name: &str| -> Option<String> {
            stanza.lines().find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')).map(|v| v.trim().to_owned()))
        };
        let Some(name) = field("Package") else {
            if stanza.trim().is_empty() {
                continue;
            }
            return Err(format!("stanza {} has no Package field", n + 1));
        };
        if let Some(status) = field("Status")
            && !status.ends_with(" installed")
        {
            continue;
        }
        let version = field("Version").ok_or_else(|| format!("package '{name}' has no Version"))?;
        let (source_name, source_version) = match field("Source") {
            Some(src) => match src.split_once(" (") {
                Some((s, v)) => (Some(s.to_owned()), Some(v.trim_end_matches(')').to_owned())),
                None => (Some(src), None),
            },
            None => (None, None),
        };
        out.push(Package {
            name,
            version,
            ecosystem: Ecosystem::Deb,
            arch: field("Architecture"),
            source_name,
            source_version,
            licenses: Vec::new(),
        });
    }
    Ok(out)
}

impl Analyzer<Fact> for DpkgCataloger {
    fn id(&self) -> &'static str {
        "dpkg"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        path == "var/lib/dpkg/status"
            || path.strip_prefix("var/lib/dpkg/status.d/").is_some_and(|f| !f.contains('/') && !f.ends_with(".md5sums"))
    }
    fn max_bytes(&self) -> u64 {
        64 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let text = String::from_utf8_lossy(content).replace("\r\n", "\n");
        Ok(parse(&text)?.into_iter().map(Fact::Package).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_stanzas_with_sources() {
        let status = "Package: libssh2-1\nStatus: install ok installed\nArchitecture: amd64\nSource: libssh2 (1.10.0-3)\nVersion: 1.10.0-3+b1\nDescription: x\n more\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.15-1~deb12u1\n";
        let p = parse(status).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].source_name.as_deref(), p[0].source_version.as_deref()), (Some("libssh2"), Some("1.10.0-3")));
        assert_eq!((p[1].source_name.as_deref(), p[1].source_version.as_deref()), (Some("openssl"), None));
        assert!(parse("Version: 1\n").is_err());
        let e = FileEntry { path: String::new(), kind: temper_layer::EntryKind::File, size: 1, mode: 0o644, uid: 0, gid: 0 };
        assert!(DpkgCataloger.wants("var/lib/dpkg/status.d/base-files", &e));
        assert!(!DpkgCataloger.wants("var/lib/dpkg/status.d/base-files.md5sums", &e));
        assert!(!DpkgCataloger.wants("var/lib/dpkg/status-old", &e));
        assert!(!DpkgCataloger.wants("var/lib/dpkg/info/bash.list", &e));
    }
}
