//! Rust crates declared by a `Cargo.lock`.
//!
//! Every lockfile version (v1 unversioned, v2, `version = 3`, `version =
//! 4`) lists its crates as `[[package]]` tables with `name`, `version` and,
//! for crates not in the workspace, `source`; v1 keeps checksums apart in
//! `[metadata]`, and lockfiles before 2017 put the root crate in `[root]`.
//! Only names and versions are read, so one TOML shape covers them all.
//! Workspace members (no `source`) are reported too: they are the project
//! the lockfile belongs to.

use serde::Deserialize;
use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, Package};

pub struct CargoLockCataloger;

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<Locked>,
    root: Option<Locked>,
}

#[derive(Deserialize)]
struct Locked {
    name: String,
    version: String,
}

/// `(name, version)` of every locked crate, in file order.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let lock: Lockfile = toml::from_str(text).map_err(|e| format!("Cargo.lock: {}", e.message()))?;
    Ok(lock.root.into_iter().chain(lock.package).map(|p| (p.name, p.version)).collect())
}

impl Analyzer<Fact> for CargoLockCataloger {
    fn id(&self) -> &'static str {
        "cargo-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        path == "Cargo.lock" || path.ends_with("/Cargo.lock")
    }
    fn max_bytes(&self) -> u64 {
        // The largest workspaces lock about a thousand crates in ~300 KiB.
        8 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(content).map_err(|e| format!("Cargo.lock: not UTF-8: {e}"))?;
        Ok(parse(text)?
            .into_iter()
            .map(|(name, version)| {
                Fact::Package(Package { name, version, ecosystem: Ecosystem::Cargo, arch: None, source_name: None, source_version: None, licenses: Vec::new() })
            })
            .collect())
    }
}
