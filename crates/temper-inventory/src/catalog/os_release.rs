//! OS identity from `/etc/os-release` (or `/usr/lib/os-release`), the file
//! every distro since 2012 ships; `ID` and `VERSION_ID` name the release
//! advisories are matched against.

use temper_layer::{Analyzer, FileEntry};

use crate::package::{Fact, OsRelease};

pub struct OsReleaseCataloger;

/// Parses the shell-like `KEY=value` lines, quotes removed.
pub fn parse(text: &str) -> OsRelease {
    let mut os = OsRelease::default();
    for line in text.lines() {
        let Some((k, v)) = line.trim().split_once('=') else { continue };
        let v = v.trim().trim_matches(|c| c == '"' || c == '\'').replace("\\\"", "\"");
        let v = (!v.is_empty()).then_some(v);
        match k {
            "ID" => os.id = v.unwrap_or_default(),
            "VERSION_ID" => os.version_id = v,
            "VERSION_CODENAME" => os.codename = v,
            "PRETTY_NAME" => os.pretty_name = v,
            _ => {}
        }
    }
    os
}

impl Analyzer<Fact> for OsReleaseCataloger {
    fn id(&self) -> &'static str {
        "os-release"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        matches!(path, "etc/os-release" | "usr/lib/os-release")
    }
    fn max_bytes(&self) -> u64 {
        64 * 1024
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let os = parse(&String::from_utf8_lossy(content));
        if os.id.is_empty() {
            return Err("no ID= line".into());
        }
        Ok(vec![Fact::Os(os)])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_debian_and_quotes() {
        let os = super::parse("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n# c\n");
        assert_eq!((os.id.as_str(), os.version_id.as_deref(), os.codename.as_deref()), ("debian", Some("12"), Some("bookworm")));
        assert_eq!(os.pretty_name.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        assert_eq!(super::parse("ID='alpine'\nVERSION_ID=3.20.1").version_id.as_deref(), Some("3.20.1"));
    }
}
