//! `golden.lock`, beside the spec: the base's digest as resolved, and the
//! digest of every local input, so a rebuild is of the same things or
//! says what moved. Written by the build, meant to be committed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

/// What a build was made from.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The format's version.
    pub version: u32,
    /// The base.
    pub base: LockedBase,
    /// Every local input, by its path relative to the spec, sorted.
    #[serde(default)]
    pub inputs: Vec<LockedInput>,
    /// Every Debian package `[packages]` installed or upgraded, sorted by name and architecture.
    #[serde(default)]
    pub packages: Vec<LockedPackage>,
}

/// The base as resolved.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LockedBase {
    /// As the spec names it.
    pub reference: String,
    /// The manifest (or index) digest it resolved to.
    pub digest: String,
    /// For an index: each platform built, with its manifest digest.
    #[serde(default)]
    pub platforms: Vec<LockedPlatform>,
}

/// One platform of a multi-platform base.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LockedPlatform {
    /// `os/arch[/variant]`.
    pub platform: String,
    /// Its manifest digest.
    pub digest: String,
}

/// One local input.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LockedInput {
    /// Relative to the spec.
    pub path: String,
    /// `sha256:…` of its content.
    pub digest: String,
}

/// One Debian package as it was installed: enough to fetch the very same
/// `.deb` again (by hash) after the archive moved on.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LockedPackage {
    /// Its name.
    pub name: String,
    /// The version installed.
    pub version: String,
    /// Its architecture (`amd64`, `all`).
    pub architecture: String,
    /// `sha256:…` of the `.deb`.
    pub sha256: String,
    /// The `.deb`'s size in bytes.
    pub size: u64,
    /// Its path in the repository (`pool/main/c/curl/curl_….deb`).
    pub filename: String,
    /// The repository (`URI SUITE`) it came from.
    pub repository: String,
    /// The `Date` of that repository's signed release.
    pub date: String,
}

/// `golden.lock` beside `spec`.
pub fn path_for(spec: &Path) -> PathBuf {
    spec.with_extension("lock")
}

impl Lock {
    /// The lock at `path`, `None` when there is none.
    pub fn read(path: &Path) -> Result<Option<Lock>, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Lock::parse(&text, path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Read { path: path.to_owned(), source }),
        }
    }

    /// Parses `text` as a lock; errors name `path`, the line and the column.
    pub fn parse(text: &str, path: &Path) -> Result<Lock, Error> {
        temper_verdict::config::parse(path, text).map_err(|e| Error::Spec(e.to_string()))
    }

    /// The lock as TOML.
    pub fn to_toml(&self) -> String {
        // serde_json's string escapes are valid TOML basic strings; TOML
        // also wants DEL escaped, which JSON leaves as it is.
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default().replace('\u{7f}', "\\u007F");
        let mut out = format!("# Written by `temper build`: what the image was built from. Commit it beside the spec.\nversion = {}\n\n[base]\nreference = {}\ndigest = {}\n", self.version, q(&self.base.reference), q(&self.base.digest));
        for p in &self.base.platforms {
            out.push_str(&format!("\n[[base.platforms]]\nplatform = {}\ndigest = {}\n", q(&p.platform), q(&p.digest)));
        }
        for i in &self.inputs {
            out.push_str(&format!("\n[[inputs]]\npath = {}\ndigest = {}\n", q(&i.path), q(&i.digest)));
        }
        for p in &self.packages {
            out.push_str(&format!(
                "\n[[packages]]\nname = {}\nversion = {}\narchitecture = {}\nsha256 = {}\nsize = {}\nfilename = {}\nrepository = {}\ndate = {}\n",
                q(&p.name),
                q(&p.version),
                q(&p.architecture),
                q(&p.sha256),
                p.size,
                q(&p.filename),
                q(&p.repository),
                q(&p.date)
            ));
        }
        out
    }

    /// What differs from `other` (the lock on disk), one line each.
    pub fn changes_from(&self, other: &Lock) -> Vec<String> {
        let mut out = Vec::new();
        if (&self.base.reference, &self.base.digest) != (&other.base.reference, &other.base.digest) {
            out.push(format!("the base {} is now {} (locked: {} at {})", self.base.reference, self.base.digest, other.base.reference, other.base.digest));
        } else if self.base.platforms != other.base.platforms {
            let list = |p: &[LockedPlatform]| p.iter().map(|p| format!("{} {}", p.platform, p.digest)).collect::<Vec<_>>().join(", ");
            out.push(format!("the base's platforms are now [{}] (locked: [{}])", list(&self.base.platforms), list(&other.base.platforms)));
        }
        let (now, locked) = (self.digests_by_path(), other.digests_by_path());
        for (path, digests) in &now {
            match locked.get(path) {
                Some(old) if old != digests => out.push(format!("{path} changed ({} locked, {} now)", joined(old), joined(digests))),
                None => out.push(format!("{path} is a new input")),
                _ => {}
            }
        }
        for path in locked.keys().filter(|p| !now.contains_key(*p)) {
            out.push(format!("{path} is no longer an input"));
        }
        let key = |p: &LockedPackage| (p.name.clone(), p.architecture.clone());
        for p in &self.packages {
            match other.packages.iter().find(|o| key(o) == key(p)) {
                Some(o) if o.version != p.version => out.push(format!("package {} {} -> {}", p.name, o.version, p.version)),
                Some(o) if o.sha256 != p.sha256 => out.push(format!("package {} {}: another .deb ({} locked, {} now)", p.name, p.version, o.sha256, p.sha256)),
                None => out.push(format!("package {} {} is new", p.name, p.version)),
                _ => {}
            }
        }
        for o in other.packages.iter().filter(|o| !self.packages.iter().any(|p| key(p) == key(o))) {
            out.push(format!("package {} {} is no longer installed", o.name, o.version));
        }
        out
    }

    /// Each input path's digests: a path can be listed more than once (two
    /// names that are not UTF-8 print alike, or a hand-edited lock), and is
    /// then compared as the set of its digests, whatever their order.
    fn digests_by_path(&self) -> BTreeMap<&str, BTreeSet<&str>> {
        let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for i in &self.inputs {
            out.entry(&i.path).or_default().insert(&i.digest);
        }
        out
    }
}

/// A path's digests on one line.
fn joined(digests: &BTreeSet<&str>) -> String {
    digests.iter().copied().collect::<Vec<_>>().join(", ")
}
