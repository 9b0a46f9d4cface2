//! Packages and the other facts catalogers report.

use serde::{Deserialize, Serialize};

/// The ecosystem a package belongs to; decides its purl type and, later,
/// its version scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Debian packages (dpkg).
    Deb,
    /// npm packages.
    Npm,
    /// Python distributions.
    Pypi,
    /// Alpine packages (apk).
    Apk,
    /// RPM packages (Red Hat family, SUSE, Amazon Linux).
    Rpm,
    /// Go modules and the Go standard library (`stdlib`).
    Golang,
    /// Rust crates.
    Cargo,
    /// Java artifacts; the name is `group:artifact`.
    Maven,
    /// Ruby gems.
    Gem,
    /// PHP Composer packages; the name is `vendor/package`.
    Composer,
    /// .NET NuGet packages.
    Nuget,
}

impl Ecosystem {
    /// The purl type.
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Golang => "golang",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Maven => "maven",
            Ecosystem::Gem => "gem",
            Ecosystem::Composer => "composer",
            Ecosystem::Nuget => "nuget",
        }
    }
}

/// One package as a cataloger saw it in one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Name as its ecosystem writes it.
    pub name: String,
    /// Version as installed; rpm versions carry their epoch as `E:V-R`.
    pub version: String,
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// CPU architecture (dpkg, apk, rpm).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Source package name, when it differs or is known (dpkg `Source:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Source package version (dpkg `Source: name (version)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// Declared licences as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// A checksum the package record carries, as written (the `h1:` hash
    /// of a Go module in a binary's build info).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// What it requires, as its package manager records it: one entry per
    /// requirement, versions and architecture qualifiers dropped. A package
    /// database or installed manifest names what it needs (dpkg
    /// `Pre-Depends` and `Depends` with alternatives joined by ` | `, apk
    /// `D:`, npm `dependencies`, Python `Requires-Dist`); a lockfile or
    /// binary, which pins one graph, names the `name@version` of the entry
    /// of the same file that meets it. A requirement that holds only in
    /// some environments (a Python marker) starts with `?`: nothing
    /// meeting it is no gap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends: Vec<String>,
    /// The virtual package names it stands in for (dpkg `Provides`, apk
    /// `p:`), which other packages' requirements may name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provides: Vec<String>,
    /// Whether the file it was read from requires it directly (a
    /// lockfile's project dependencies, a binary's main module), so that
    /// file is a root of the dependency graph for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub direct: bool,
}

impl Package {
    /// A package known by name and version only; the optional fields are
    /// filled in by the catalogers that know them.
    pub fn new(name: impl Into<String>, version: impl Into<String>, ecosystem: Ecosystem) -> Package {
        Package { name: name.into(), version: version.into(), ecosystem, arch: None, source_name: None, source_version: None, licenses: Vec::new(), checksum: None, depends: Vec::new(), provides: Vec::new(), direct: false }
    }

    /// The same package with its declared licences.
    pub fn with_licenses(self, licenses: Vec<String>) -> Package {
        Package { licenses, ..self }
    }
}

/// `/etc/os-release` and friends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    /// `ID` (`debian`, `alpine`).
    pub id: String,
    /// `VERSION_ID` (`12`, `3.20.1`).
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`.
    pub codename: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
}

/// The files one OS package installed, as its package manager records
/// them; lets the inventory name the OS package a language package or
/// binary came with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedFiles {
    /// The owner's ecosystem (deb, apk, rpm).
    pub ecosystem: Ecosystem,
    /// The owner's name.
    pub package: String,
    /// The owner's architecture, when the record names it (dpkg
    /// `name:arch.list`); otherwise any package of that name matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Root-relative paths, without a leading slash.
    pub files: Vec<String>,
}

/// What a cataloger reports about one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum Fact {
    /// An installed package.
    Package(Package),
    /// The OS identity.
    Os(OsRelease),
    /// Files an OS package owns.
    Files(OwnedFiles),
    /// The accounts of `/etc/passwd` (a struct variant: the enum is
    /// internally tagged, which cannot hold a bare list).
    Accounts {
        /// One per valid line.
        accounts: Vec<Account>,
    },
    /// A secret left in a file.
    Secret(Secret),
    /// A small file kept whole for a later stage that edits it
    /// ([`crate::kept`]).
    Text {
        /// The file's content.
        text: String,
    },
    /// A part of the file the cataloger did not read (a nested archive
    /// past a cap, say), reported as an unknown beside the facts it did
    /// read: a cap must not hide what came before it.
    Unknown {
        /// What was not read, and why.
        reason: String,
    },
}

/// One line of `/etc/passwd`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u64,
    /// Primary group id.
    pub gid: u64,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
}

/// A secret a rule matched in a file: where, and a redacted form that
/// never contains the secret itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// The rule's id (`aws-access-key-id`).
    pub rule: String,
    /// 1-based line of the match.
    pub line: u32,
    /// The matched text with the secret masked.
    pub redacted: String,
}
