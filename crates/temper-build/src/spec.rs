//! `golden.toml`: what a golden image adds to its base. Every table
//! rejects keys it does not know, with the file, line, column and key;
//! paths of local inputs are relative to the spec's directory. The JSON
//! Schema editors complete it with ([`schema`]) is generated from these
//! types, so it cannot drift from what is parsed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::Error;

/// The whole spec.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Spec {
    /// The base image: any source temper reads (`registry/repo:tag`, `oci:DIR:TAG`, `docker-archive:PATH`…).
    pub base: String,
    /// The platforms to build from a multi-platform base (`linux/amd64`, `linux/arm64/v8`); default: every platform it has.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// `one` layer for everything the spec adds (the default), or one layer `per-step`.
    #[serde(default)]
    pub layers: LayerMode,
    /// Layer compression: `gzip` (the default) or `zstd`.
    #[serde(default)]
    pub compression: Compression,
    /// CA certificates to trust, each installed as its own file and appended to the OS bundle.
    #[serde(default)]
    pub certificates: Vec<Certificate>,
    /// Environment variables; proxy variables are set in both cases (`HTTP_PROXY` and `http_proxy`).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Image labels (merged over the base's).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Manifest annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// The user the image runs as (a name or `uid[:gid]`).
    pub user: Option<String>,
    /// The working directory.
    pub workdir: Option<String>,
    /// The entrypoint (exec form).
    pub entrypoint: Option<Vec<String>>,
    /// The default command (exec form).
    pub cmd: Option<Vec<String>>,
    /// The health check.
    pub healthcheck: Option<Healthcheck>,
    /// The signal that stops the container (`SIGTERM`).
    pub stop_signal: Option<String>,
    /// Ports the image listens on (`8080/tcp`; a bare number is TCP).
    #[serde(default)]
    pub exposed_ports: Vec<String>,
    /// Volume mount points.
    #[serde(default)]
    pub volumes: Vec<String>,
    /// Groups to add to `/etc/group` (and `/etc/gshadow`, password locked, when the base has one).
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Users to add to `/etc/passwd` and `/etc/shadow` (password locked), with their home directories.
    #[serde(default)]
    pub users: Vec<User>,
    /// Files to add.
    #[serde(default)]
    pub files: Vec<File>,
    /// Directories to add (empty, or a copy of a local directory).
    #[serde(default)]
    pub dirs: Vec<Dir>,
    /// Symbolic links to add.
    #[serde(default)]
    pub symlinks: Vec<Symlink>,
    /// Paths to remove (written as whiteouts).
    #[serde(default)]
    pub remove: Vec<String>,
    /// Remove every shell `temper check` finds (`sh`, `bash`, `dash`, `ash`, `busybox`…).
    #[serde(default)]
    pub remove_shells: bool,
    /// Remove every package manager `temper check` finds (`apt`, `dpkg`, `apk`, `rpm`, `pip`, `npm`…).
    #[serde(default)]
    pub remove_package_managers: bool,
    /// Debian packages to install or upgrade from apt repositories (Debian and Ubuntu bases), without running apt or dpkg.
    pub packages: Option<Packages>,
}

/// `[packages]`: what to install and upgrade, from where.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Packages {
    /// Packages to install: `curl`, or `name=version` to pin one.
    #[serde(default)]
    pub install: Vec<String>,
    /// `true` upgrades every installed package to the newest version in the sources; a list upgrades only those.
    #[serde(default)]
    pub upgrade: Upgrade,
    /// One-line apt entries (`deb [signed-by=keys/corp.asc] http://mirror.example/debian bookworm main`); default: the base's own `/etc/apt/sources.list` and `sources.list.d/*`.
    #[serde(default)]
    pub sources: Vec<String>,
    /// OpenPGP public keys (armored or binary), relative to the spec; default: the base's `/etc/apt/trusted.gpg.d/*` and the `Signed-By` keyrings.
    #[serde(default)]
    pub keyrings: Vec<PathBuf>,
    /// A snapshot archive URL the locked `.deb`s are fetched from when the sources no longer hold them.
    pub snapshot: Option<String>,
}

/// `upgrade = true | ["openssl", …]`.
#[derive(Clone, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(untagged)]
pub enum Upgrade {
    /// `true`: every installed package; `false`: none.
    All(bool),
    /// Only these packages.
    Only(Vec<String>),
}

impl Default for Upgrade {
    fn default() -> Self {
        Upgrade::All(false)
    }
}

/// How the added content is split into layers.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LayerMode {
    /// Everything in one layer.
    #[default]
    One,
    /// One layer per step (certificates, accounts, files, removals).
    PerStep,
}

/// Layer compression.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Compression {
    /// gzip (every runtime reads it).
    #[default]
    Gzip,
    /// zstd (smaller and faster; containerd 1.5+, Docker 23+).
    Zstd,
}

/// A CA certificate: a PEM file or inline PEM.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Certificate {
    /// A PEM file, relative to the spec.
    pub path: Option<PathBuf>,
    /// Inline PEM.
    pub content: Option<String>,
    /// The installed file's name without `.crt` (default: the file's stem, or `cert-N` for inline content).
    pub name: Option<String>,
}

/// A `HEALTHCHECK`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Healthcheck {
    /// `["CMD", "prog", "arg"]`, `["CMD-SHELL", "…"]` or `["NONE"]`.
    pub test: Vec<String>,
    /// Time between checks (`30s`, `1m`).
    pub interval: Option<String>,
    /// Time one check may take.
    pub timeout: Option<String>,
    /// Grace period after start.
    pub start_period: Option<String>,
    /// Failures before unhealthy.
    pub retries: Option<u32>,
}

/// A group.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Group {
    /// Its name.
    pub name: String,
    /// Its id.
    pub gid: u32,
}

/// A user.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct User {
    /// Its name.
    pub name: String,
    /// Its id.
    pub uid: u32,
    /// Its primary group id (default: a group of its own name and id is expected in `groups`, else the uid).
    pub gid: Option<u32>,
    /// Its home directory, created and owned by it (default `/home/NAME`).
    pub home: Option<String>,
    /// Its login shell (default `/sbin/nologin`).
    pub shell: Option<String>,
}

/// Who owns an added path, as the spec gives it.
#[derive(Clone, Copy, Debug)]
pub struct Owner<'a> {
    /// User id.
    pub uid: Option<u32>,
    /// Group id.
    pub gid: Option<u32>,
    /// User name.
    pub owner: Option<&'a str>,
    /// Group name.
    pub group: Option<&'a str>,
}

/// A file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct File {
    /// Where, in the image.
    pub path: String,
    /// A local file, relative to the spec.
    pub source: Option<PathBuf>,
    /// Inline content.
    pub content: Option<String>,
    /// Permission bits (`0o644`, the default).
    pub mode: Option<u32>,
    /// Owner's user id (default 0).
    pub uid: Option<u32>,
    /// Owner's group id (default 0).
    pub gid: Option<u32>,
    /// Owner's user name, looked up in the resulting `/etc/passwd`.
    pub owner: Option<String>,
    /// Owner's group name, looked up in the resulting `/etc/group`.
    pub group: Option<String>,
}

/// A directory.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Dir {
    /// Where, in the image.
    pub path: String,
    /// A local directory whose tree is copied under it (files keep their executable bit: 0o755, else 0o644).
    pub source: Option<PathBuf>,
    /// Permission bits of the directory (`0o755`, the default).
    pub mode: Option<u32>,
    /// Owner's user id (default 0).
    pub uid: Option<u32>,
    /// Owner's group id (default 0).
    pub gid: Option<u32>,
    /// Owner's user name, looked up in the resulting `/etc/passwd`.
    pub owner: Option<String>,
    /// Owner's group name, looked up in the resulting `/etc/group`.
    pub group: Option<String>,
}

/// A symbolic link.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Symlink {
    /// Where, in the image.
    pub path: String,
    /// What it points to.
    pub target: String,
}

impl File {
    /// Its owner.
    pub fn owner(&self) -> Owner<'_> {
        Owner { uid: self.uid, gid: self.gid, owner: self.owner.as_deref(), group: self.group.as_deref() }
    }
}

impl Dir {
    /// Its owner.
    pub fn owner(&self) -> Owner<'_> {
        Owner { uid: self.uid, gid: self.gid, owner: self.owner.as_deref(), group: self.group.as_deref() }
    }
}

impl Spec {
    /// Reads and parses the spec at `path`; also gives its text, which the
    /// provenance records (read once, so it is the text that was built).
    pub fn read(path: &Path) -> Result<(Spec, String), Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
        Ok((Spec::parse(&text, path)?, text))
    }

    /// Parses `text` as a spec; errors name `path`, the line and the column.
    pub fn parse(text: &str, path: &Path) -> Result<Spec, Error> {
        temper_verdict::config::parse(path, text).map_err(|e| Error::Spec(e.to_string()))
    }
}

/// The JSON Schema of `golden.toml`, pretty-printed.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Spec);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
