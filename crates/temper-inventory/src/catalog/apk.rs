//! Alpine's package database: `/lib/apk/db/installed`.
//!
//! One stanza per installed package, stanzas separated by a blank line,
//! each line one field written `X:value` where `X` is a single letter:
//! `P` name, `V` version, `A` architecture, `o` origin (the source package
//! an `abuild` run built it from), `L` licence, `D` what it requires and `p`
//! what it provides (space-separated names, `so:`, `cmd:` and `pc:` ones
//! included, with a version constraint or `=version` that is dropped;
//! a `!` requirement is a conflict, not a need), `F` a directory and `R` a
//! file in the last `F` directory. Other letters (checksums, sizes, ACLs)
//! are not needed here. The format is plain text, so
//! it is parsed by hand; no crate reads it.
//!
//! The origin is kept as the source package: Alpine's security database
//! lists fixes by origin. Subpackages always share their origin's version,
//! so the source version is the package version.

use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, OwnedFiles, Package};

pub struct ApkCataloger;

/// The database's path in the image.
pub const INSTALLED: &str = "lib/apk/db/installed";

/// One stanza being read.
#[derive(Default)]
struct Stanza {
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    origin: Option<String>,
    license: Option<String>,
    depends: Vec<String>,
    provides: Vec<String>,
    dir: String,
    files: Vec<String>,
    /// Line number of the stanza's first line, for errors.
    line: usize,
}

impl Stanza {
    fn finish(self, out: &mut Vec<Fact>) -> Result<(), String> {
        let Some(name) = self.name else {
            return Err(format!("the package at line {} has no P: (name) field", self.line));
        };
        let version = self.version.ok_or_else(|| format!("package '{name}' (line {}) has no V: (version) field", self.line))?;
        if !self.files.is_empty() {
            out.push(Fact::Files(OwnedFiles { ecosystem: Ecosystem::Apk, package: name.clone(), arch: self.arch.clone(), files: self.files }));
        }
        out.push(Fact::Package(Package {
            source_version: self.origin.as_ref().map(|_| version.clone()),
            source_name: self.origin,
            name,
            version,
            ecosystem: Ecosystem::Apk,
            arch: self.arch,
            licenses: self.license.into_iter().collect(),
            checksum: None,
            depends: self.depends,
            provides: self.provides,
            direct: false,
        }));
        Ok(())
    }
}

/// The names of a `D:` or `p:` line, without their version constraints.
fn names(value: &str) -> impl Iterator<Item = String> + '_ {
    value.split_whitespace().map(|n| n.split(['<', '>', '=', '~']).next().unwrap_or(n).to_owned()).filter(|n| !n.is_empty() && n != "!")
}

/// Parses the database into packages and, for each package with files,
/// the files it owns.
pub fn parse(text: &str) -> Result<Vec<Fact>, String> {
    // Each R: line repeats its F: directory; a long directory and many
    // short R: lines could expand a small file into gigabytes of paths.
    let mut budget = text.len().saturating_mul(8);
    let mut out = Vec::new();
    let mut current: Option<Stanza> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            if let Some(s) = current.take() {
                s.finish(&mut out)?;
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':').filter(|(k, _)| k.len() == 1) else {
            return Err(format!("line {} is not a 'X:value' field", n + 1));
        };
        let s = current.get_or_insert_with(|| Stanza { line: n + 1, ..Stanza::default() });
        let value = value.to_owned();
        match key {
            "P" => s.name = Some(value),
            "V" => s.version = Some(value),
            "A" => s.arch = Some(value),
            "o" => s.origin = Some(value),
            "L" => s.license = Some(value),
            "D" => s.depends.extend(names(&value).filter(|d| !d.starts_with('!'))),
            "p" => s.provides.extend(names(&value)),
            "F" => s.dir = value,
            "R" => {
                let path = if s.dir.is_empty() { value } else { format!("{}/{value}", s.dir) };
                budget = budget.checked_sub(path.len()).ok_or_else(|| format!("line {}: the file list expands beyond 8 times the database's size", n + 1))?;
                s.files.push(path);
            }
            _ => {}
        }
    }
    if let Some(s) = current {
        s.finish(&mut out)?;
    }
    Ok(out)
}

impl Analyzer<Fact> for ApkCataloger {
    fn id(&self) -> &'static str {
        "apk"
    }
    fn version(&self) -> u32 {
        2
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        path == INSTALLED
    }
    fn max_bytes(&self) -> u64 {
        64 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        parse(&String::from_utf8_lossy(content))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const DB: &str = "C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nS:1\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\n\
C:Q1def=\nP:libcrypto3\nV:3.3.1-r3\nA:x86_64\nL:Apache-2.0\no:openssl\nF:etc/ssl\nR:openssl.cnf\nF:usr/lib\nR:libcrypto.so.3\n\n\
P:alpine-baselayout-data\nV:3.6.5-r0\nA:x86_64\n";

    #[test]
    fn packages_origins_and_files() {
        let facts = parse(DB).unwrap();
        let pkgs: Vec<&Package> = facts.iter().filter_map(|f| if let Fact::Package(p) = f { Some(p) } else { None }).collect();
        assert_eq!(pkgs.len(), 3);
        let crypto = pkgs[1];
        assert_eq!((crypto.name.as_str(), crypto.version.as_str(), crypto.arch.as_deref()), ("libcrypto3", "3.3.1-r3", Some("x86_64")));
        assert_eq!((crypto.source_name.as_deref(), crypto.source_version.as_deref()), (Some("openssl"), Some("3.3.1-r3")));
        assert_eq!(crypto.licenses, ["Apache-2.0"]);
        assert_eq!((pkgs[2].source_name.as_ref(), pkgs[2].licenses.len()), (None, 0));
        let files: Vec<&OwnedFiles> = facts.iter().filter_map(|f| if let Fact::Files(o) = f { Some(o) } else { None }).collect();
        assert_eq!(files.len(), 2, "the package without R: lines owns nothing");
        assert_eq!(files[1].package, "libcrypto3");
        assert_eq!(files[1].files, ["etc/ssl/openssl.cnf", "usr/lib/libcrypto.so.3"]);
        assert_eq!(files[0].files, ["lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"]);
    }

    #[test]
    fn apk_depends_and_provides() {
        let db = "P:musl\nV:1.2.5-r0\np:so:libc.musl-x86_64.so.1=1\n\nP:busybox-binsh\nV:1.36.1-r29\nD:busybox=1.36.1-r29\np:/bin/sh cmd:sh=1.36.1-r29\n\nP:busybox\nV:1.36.1-r29\nD:so:libc.musl-x86_64.so.1\n\nP:curl\nV:8.9.0-r0\nD:ca-certificates-bundle>=20240226 so:libc.musl-x86_64.so.1 !curl-old /bin/sh\n";
        let pkgs: Vec<Package> = parse(db).unwrap().into_iter().filter_map(|f| if let Fact::Package(p) = f { Some(p) } else { None }).collect();
        assert_eq!(pkgs[3].depends, ["ca-certificates-bundle", "so:libc.musl-x86_64.so.1", "/bin/sh"], "constraints dropped, conflicts skipped");
        assert_eq!(pkgs[1].provides, ["/bin/sh", "cmd:sh"]);
        assert_eq!(pkgs[0].provides, ["so:libc.musl-x86_64.so.1"]);
        // And the graph meets them through what the packages provide.
        let inv = crate::Inventory {
            os: None,
            packages: pkgs.into_iter().map(|p| crate::InventoryPackage { purl: format!("pkg:apk/alpine/{}", p.name), package: p, layer: Some(0), diff_id: None, paths: vec![INSTALLED.into()], found_by: "apk", owner: None }).collect(),
            unknowns: Vec::new(),
            accounts: None,
            secrets: Vec::new(),
        };
        let g = crate::DependencyGraph::of(&inv);
        assert_eq!(g.depends_on(3), [0, 1], "curl needs musl (so:) and busybox-binsh (/bin/sh)");
        assert!(g.incomplete(3), "ca-certificates-bundle is not installed");
        assert_eq!(g.depends_on(1), [2]);
    }

    #[test]
    fn broken_stanzas_are_errors() {
        assert!(parse("V:1\nA:x86_64\n").unwrap_err().contains("line 1 has no P:"));
        assert!(parse("P:a\nV:1\n\nP:b\n").unwrap_err().contains("'b' (line 4) has no V:"));
        assert!(parse("P:a\nnot a field\n").unwrap_err().contains("line 2"));
        assert!(parse("").unwrap().is_empty());
        let long_dir = format!("P:a\nV:1\nF:{}\n{}", "d".repeat(1000), "R:f\n".repeat(100));
        assert!(parse(&long_dir).unwrap_err().contains("expands"));
        let e = FileEntry { path: String::new(), kind: temper_layer::EntryKind::File, size: 1, mode: 0o644, uid: 0, gid: 0 };
        assert!(ApkCataloger.wants("lib/apk/db/installed", &e));
        assert!(!ApkCataloger.wants("lib/apk/db/installed.new", &e));
        assert!(!ApkCataloger.wants("usr/lib/apk/db/installed", &e));
    }
}
