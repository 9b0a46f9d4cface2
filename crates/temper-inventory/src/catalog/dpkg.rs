//! dpkg's database: `/var/lib/dpkg/status` (one stanza per package) and
//! distroless's `/var/lib/dpkg/status.d/*` (one stanza per file).
//!
//! Only stanzas whose `Status` says `installed` count (or that have no
//! `Status`, as distroless writes them). `Source: name (version)` is kept:
//! Debian advisories name source packages, and a binNMU's binary version
//! (`1.10.0-3+b1`) differs from its source's (`1.10.0-3`). `Pre-Depends`,
//! `Depends` and `Provides` are kept as package names, for the SBOM's
//! dependency graph.
//!
//! The files each package installed come from `info/NAME.list` (one
//! absolute path per line, directories included; `NAME:ARCH.list` for
//! multi-arch packages) and, on distroless, `status.d/NAME.md5sums`
//! (`<md5>  <path>` lines, regular files only). `info/*.md5sums` is not
//! read: dpkg writes a `.list` beside it that names every file it does.

use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, OwnedFiles, Package};

const INFO: &str = "var/lib/dpkg/info/";
const STATUS_D: &str = "var/lib/dpkg/status.d/";

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
            checksum: None,
            depends: ["Pre-Depends", "Depends"].iter().filter_map(|f| field(f)).flat_map(|v| requirements(&v)).collect(),
            // `Provides: awk, x-terminal-emulator (= 1)`: names, no alternatives.
            provides: field("Provides").map(|v| requirements(&v)).unwrap_or_default(),
            direct: false,
        });
    }
    Ok(out)
}

/// The requirements of a `Depends`-style field, each as its alternatives'
/// names joined by ` | `: `libc6 (>= 2.34), mawk | awk:any` gives `libc6`
/// and `mawk | awk`.
fn requirements(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(|clause| {
            let names: Vec<&str> = clause
                .split('|')
                .filter_map(|alt| alt.trim().split([' ', '(', '[', '<']).next()?.split(':').next())
                .filter(|n| !n.is_empty())
                .collect();
            (!names.is_empty()).then(|| names.join(" | "))
        })
        .collect()
}

/// `NAME.list` or `NAME:ARCH.list` (and the same for `.md5sums`) split
/// into name and architecture.
fn owner(file: &str, suffix: &str) -> Option<(String, Option<String>)> {
    let stem = file.strip_suffix(suffix).filter(|s| !s.is_empty() && !s.contains('/'))?;
    Some(match stem.split_once(':') {
        Some((name, arch)) => (name.to_owned(), Some(arch.to_owned())),
        None => (stem.to_owned(), None),
    })
}

/// The paths of a `.list` file, root-relative; `/.` (the root) is skipped.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim_start_matches('/')).filter(|p| !p.is_empty() && *p != ".").map(str::to_owned).collect()
}

/// The paths of an `.md5sums` file, root-relative.
pub fn parse_md5sums(text: &str) -> Result<Vec<String>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| match l.split_once(' ') {
            Some((sum, path)) if sum.len() == 32 && sum.bytes().all(|b| b.is_ascii_hexdigit()) && !path.trim().is_empty() => {
                Ok(path.trim_start_matches(' ').trim_start_matches('/').to_owned())
            }
            _ => Err(format!("line {} is not '<md5>  <path>'", n + 1)),
        })
        .collect()
}

impl Analyzer<Fact> for DpkgCataloger {
    fn id(&self) -> &'static str {
        "dpkg"
    }
    fn version(&self) -> u32 {
        4
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        path == "var/lib/dpkg/status"
            || path.strip_prefix(STATUS_D).is_some_and(|f| !f.contains('/'))
            || path.strip_prefix(INFO).and_then(|f| owner(f, ".list")).is_some()
    }
    fn max_bytes(&self) -> u64 {
        64 << 20
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let text = String::from_utf8_lossy(content);
        let files = |(package, arch): (String, Option<String>), files: Vec<String>| Fact::Files(OwnedFiles { ecosystem: Ecosystem::Deb, package, arch, files });
        if let Some(who) = path.strip_prefix(INFO).and_then(|f| owner(f, ".list")) {
            return Ok(vec![files(who, parse_list(&text))]);
        }
        if let Some(who) = path.strip_prefix(STATUS_D).and_then(|f| owner(f, ".md5sums")) {
            return Ok(vec![files(who, parse_md5sums(&text)?)]);
        }
        Ok(parse(&text.replace("\r\n", "\n"))?.into_iter().map(Fact::Package).collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn depends_become_requirements() {
        let status = "Package: dash\nVersion: 0.5.12-2\nPre-Depends: libc6 (>= 2.34)\nDepends: debianutils (>= 5.6-0.1), dpkg (>= 1.19.1)\nProvides: sh, posix-shell (= 1)\n\nPackage: x\nVersion: 1\nDepends: mawk | awk:any, libgcc-s1:amd64 [amd64], ,  | \n";
        let p = parse(status).unwrap();
        assert_eq!(p[0].depends, ["libc6", "debianutils", "dpkg"]);
        assert_eq!(p[0].provides, ["sh", "posix-shell"]);
        assert_eq!(p[1].depends, ["mawk | awk", "libgcc-s1"]);
    }

    #[test]
    fn installed_stanzas_with_sources() {
        let status = "Package: libssh2-1\nStatus: install ok installed\nArchitecture: amd64\nSource: libssh2 (1.10.0-3)\nVersion: 1.10.0-3+b1\nDescription: x\n more\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.15-1~deb12u1\n";
        let p = parse(status).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].source_name.as_deref(), p[0].source_version.as_deref()), (Some("libssh2"), Some("1.10.0-3")));
        assert_eq!((p[1].source_name.as_deref(), p[1].source_version.as_deref()), (Some("openssl"), None));
        assert!(parse("Version: 1\n").is_err());
        assert_eq!(p[0].depends, Vec::<String>::new());
        let e = FileEntry { path: String::new(), kind: temper_layer::EntryKind::File, size: 1, mode: 0o644, uid: 0, gid: 0 };
        assert!(DpkgCataloger.wants("var/lib/dpkg/status.d/base-files", &e));
        assert!(DpkgCataloger.wants("var/lib/dpkg/status.d/base-files.md5sums", &e));
        assert!(!DpkgCataloger.wants("var/lib/dpkg/status-old", &e));
        assert!(DpkgCataloger.wants("var/lib/dpkg/info/bash.list", &e));
        assert!(!DpkgCataloger.wants("var/lib/dpkg/info/bash.md5sums", &e));
        assert!(!DpkgCataloger.wants("var/lib/dpkg/info/.list", &e));
        assert!(!DpkgCataloger.wants("var/lib/dpkg/info/bash.postinst", &e));
    }

    fn owned(path: &str, content: &str) -> OwnedFiles {
        match DpkgCataloger.analyze(path, content.as_bytes()).unwrap().pop() {
            Some(Fact::Files(o)) => o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn owned_files() {
        // As dpkg writes them (bookworm's libc6:amd64.list, head).
        let o = owned("var/lib/dpkg/info/libc6:amd64.list", "/.\n/etc\n/etc/ld.so.conf.d\n/usr/lib/x86_64-linux-gnu/libc.so.6\n");
        assert_eq!((o.package.as_str(), o.arch.as_deref(), o.ecosystem), ("libc6", Some("amd64"), Ecosystem::Deb));
        assert_eq!(o.files, ["etc", "etc/ld.so.conf.d", "usr/lib/x86_64-linux-gnu/libc.so.6"]);
        let o = owned("var/lib/dpkg/status.d/tzdata.md5sums", "2ea5a5a1e7ba0e1b5ad1e4a8f7cd7ad4  usr/share/zoneinfo/UTC\nd41d8cd98f00b204e9800998ecf8427e  usr/share/doc/tzdata/copyright\n");
        assert_eq!((o.package.as_str(), o.arch.as_deref()), ("tzdata", None));
        assert_eq!(o.files, ["usr/share/zoneinfo/UTC", "usr/share/doc/tzdata/copyright"]);
        let e = DpkgCataloger.analyze("var/lib/dpkg/status.d/tzdata.md5sums", b"not a sum\n").unwrap_err();
        assert!(e.contains("line 1"), "{e}");
    }
}
