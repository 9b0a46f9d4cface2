//! OS identity from `/etc/os-release` (or `/usr/lib/os-release`), the file
//! every distro since 2012 ships; `ID` and `VERSION_ID` name the release
//! advisories are matched against.
//!
//! Older or stripped images may lack it; then the distro's own release
//! file stands in: `etc/alpine-release` (`3.20.1`), `etc/redhat-release`,
//! `etc/centos-release` or `etc/system-release` (`Red Hat Enterprise Linux
//! release 9.4 (Plow)`), `etc/debian_version` (`12.5`). Each becomes the
//! `ID` and `VERSION_ID` os-release would have given.
//!
//! # Precedence ([`precedence`])
//! Any os-release file beats every fallback, whatever the layers: a
//! fallback never overrides a real os-release. Within os-release files, a
//! higher layer wins, then `etc/` over `usr/lib/`. Within fallbacks, a
//! higher layer wins, then the more specific file: `centos-release` over
//! `redhat-release` over `system-release` (CentOS ships all three),
//! `alpine-release`, and `debian_version` last (Ubuntu ships one too).

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

/// How a release file ranks against another in the same layer: (tier,
/// preference). Tier 1 is os-release, tier 0 the fallbacks; a higher tier
/// always wins, then the higher layer, then the higher preference.
pub fn precedence(path: &str) -> (u8, u8) {
    match path {
        "etc/os-release" => (1, 1),
        "usr/lib/os-release" => (1, 0),
        "etc/centos-release" => (0, 4),
        "etc/redhat-release" => (0, 3),
        "etc/system-release" => (0, 2),
        "etc/alpine-release" => (0, 1),
        _ => (0, 0),
    }
}

/// `Red Hat Enterprise Linux release 9.4 (Plow)` and its relatives: the
/// words before `release` name the distro, the next word is its version.
fn redhat_like(line: &str) -> Option<OsRelease> {
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?;
    let lower = name.to_ascii_lowercase();
    let id = [
        ("red hat", "rhel"),
        ("centos", "centos"),
        ("fedora", "fedora"),
        ("rocky", "rocky"),
        ("alma", "almalinux"),
        ("oracle", "ol"),
        ("amazon", "amzn"),
    ]
    .iter()
    .find(|(word, _)| lower.contains(word))
    .map(|(_, id)| *id)?;
    // CentOS's os-release says `7` where its release file says `7.9.2009`.
    let version = if id == "centos" { version.split('.').next().unwrap_or(version) } else { version };
    Some(OsRelease { id: id.into(), version_id: Some(version.into()), codename: None, pretty_name: Some(line.into()) })
}

/// The identity a fallback release file gives, if it says anything.
pub fn fallback(path: &str, text: &str) -> Option<OsRelease> {
    let line = text.lines().next()?.trim();
    if line.is_empty() {
        return None;
    }
    match path {
        "etc/alpine-release" => Some(OsRelease { id: "alpine".into(), version_id: Some(line.into()), ..OsRelease::default() }),
        // `12.5` → VERSION_ID `12`, as Debian's os-release writes it;
        // testing and unstable say `trixie/sid`, a codename, no version.
        "etc/debian_version" => Some(match line.split_once('.') {
            Some((major, _)) if !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()) => OsRelease { id: "debian".into(), version_id: Some(major.into()), ..OsRelease::default() },
            _ if line.bytes().all(|b| b.is_ascii_digit()) => OsRelease { id: "debian".into(), version_id: Some(line.into()), ..OsRelease::default() },
            _ => OsRelease { id: "debian".into(), codename: line.split('/').next().map(Into::into), ..OsRelease::default() },
        }),
        _ => redhat_like(line),
    }
}

const FALLBACKS: [&str; 5] = ["etc/alpine-release", "etc/debian_version", "etc/redhat-release", "etc/centos-release", "etc/system-release"];

impl Analyzer<Fact> for OsReleaseCataloger {
    fn id(&self) -> &'static str {
        "os-release"
    }
    fn version(&self) -> u32 {
        2
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        matches!(path, "etc/os-release" | "usr/lib/os-release") || FALLBACKS.contains(&path)
    }
    fn max_bytes(&self) -> u64 {
        64 * 1024
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let text = String::from_utf8_lossy(content);
        if FALLBACKS.contains(&path) {
            return fallback(path, &text).map(|os| vec![Fact::Os(os)]).ok_or_else(|| format!("no release named in '{}'", text.trim()));
        }
        let os = parse(&text);
        if os.id.is_empty() {
            return Err("no ID= line".into());
        }
        Ok(vec![Fact::Os(os)])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_debian_and_quotes() {
        let os = parse("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n# c\n");
        assert_eq!((os.id.as_str(), os.version_id.as_deref(), os.codename.as_deref()), ("debian", Some("12"), Some("bookworm")));
        assert_eq!(os.pretty_name.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        assert_eq!(parse("ID='alpine'\nVERSION_ID=3.20.1").version_id.as_deref(), Some("3.20.1"));
    }

    fn id(path: &str, text: &str) -> (String, Option<String>) {
        let os = fallback(path, text).unwrap();
        (os.id, os.version_id)
    }

    #[test]
    fn fallback_files() {
        let v = |s: &str| Some(s.to_owned());
        assert_eq!(id("etc/alpine-release", "3.20.1\n"), ("alpine".into(), v("3.20.1")));
        assert_eq!(id("etc/debian_version", "12.5\n"), ("debian".into(), v("12")));
        assert_eq!(id("etc/debian_version", "9\n"), ("debian".into(), v("9")));
        assert_eq!(fallback("etc/debian_version", "trixie/sid\n").unwrap().codename.as_deref(), Some("trixie"));
        assert_eq!(id("etc/redhat-release", "Red Hat Enterprise Linux release 9.4 (Plow)\n"), ("rhel".into(), v("9.4")));
        assert_eq!(id("etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n"), ("centos".into(), v("7")));
        assert_eq!(id("etc/redhat-release", "CentOS Stream release 9\n"), ("centos".into(), v("9")));
        assert_eq!(id("etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)"), ("rocky".into(), v("9.3")));
        assert_eq!(id("etc/redhat-release", "AlmaLinux release 8.9 (Midnight Oncilla)"), ("almalinux".into(), v("8.9")));
        assert_eq!(id("etc/system-release", "Amazon Linux release 2023 (Amazon Linux)"), ("amzn".into(), v("2023")));
        assert_eq!(id("etc/redhat-release", "Fedora release 39 (Thirty Nine)"), ("fedora".into(), v("39")));
        assert!(fallback("etc/redhat-release", "Some Linux release 1").is_none());
        assert!(fallback("etc/alpine-release", "\n").is_none());
        assert!(OsReleaseCataloger.analyze("etc/redhat-release", b"garbage").is_err());
        assert!(precedence("usr/lib/os-release") > precedence("etc/centos-release"));
        assert!(precedence("etc/alpine-release") > precedence("etc/debian_version"));
    }
}
