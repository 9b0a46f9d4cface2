//! npm lockfiles: `package-lock.json` and `npm-shrinkwrap.json`, versions 1
//! to 3.
//!
//! Version 1 nests `dependencies` by install location; versions 2 and 3
//! list `packages` keyed by their path (`node_modules/a/node_modules/b`),
//! with the root project under `""`. Entries marked `dev` are left out (a
//! production image does not ship them); links to workspace directories
//! are not registry packages. An alias (`"name": "real"` on the entry) is
//! reported under the real package name, which is what advisories use.
//! In versions 2 and 3 each entry's `dependencies` are resolved as Node
//! would from the entry's path into the `name@version` of the entry
//! loaded, and the root project's make its entries direct.
//!
//! A lockfile inside an installed package (`node_modules/x/package-lock.json`)
//! describes that package's own development checkout, not the image.
//! `node_modules/.package-lock.json` is npm's cache of what is installed,
//! not a lockfile; the installed manifests already say it. How lockfile
//! packages are merged with installed ones is decided in
//! [`crate::Inventory::build`].

use serde::Deserialize;
use serde_json::{Map, Value};
use temper_layer::{Analyzer, FileEntry};

use crate::graph::NodeModules;
use crate::package::{Ecosystem, Fact, Package};

pub struct NpmLockCataloger;

#[derive(Deserialize)]
struct Lockfile {
    #[serde(rename = "lockfileVersion", default)]
    version: Option<Value>,
    #[serde(default)]
    packages: Option<Map<String, Value>>,
    #[serde(default)]
    dependencies: Option<Map<String, Value>>,
}

fn package(name: &str, entry: &Value) -> Option<Package> {
    let e = entry.as_object()?;
    if e.get("dev").and_then(Value::as_bool) == Some(true) || e.get("link").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let version = e.get("version")?.as_str()?;
    // v1 writes aliases as `npm:real@1.2.3` in the version; v2+ as `name`.
    let (name, version) = match version.strip_prefix("npm:").and_then(|v| v.rsplit_once('@')) {
        Some((real, v)) if !real.is_empty() => (real, v),
        _ => (e.get("name").and_then(Value::as_str).unwrap_or(name), version),
    };
    // Git, file and tarball URLs are not registry versions.
    if name.is_empty() || version.is_empty() || version.contains(':') || version.contains('/') {
        return None;
    }
    let licenses = e.get("license").and_then(Value::as_str).map(|l| vec![l.to_owned()]).unwrap_or_default();
    Some(Package::new(name, version, Ecosystem::Npm).with_licenses(licenses))
}

/// v1: `dependencies` nested by location, to a bounded depth.
fn walk_v1(deps: &Map<String, Value>, depth: usize, out: &mut Vec<Package>) -> Result<(), String> {
    if depth > 64 {
        return Err("dependencies nested more than 64 deep".into());
    }
    for (name, entry) in deps {
        out.extend(package(name, entry));
        if let Some(Value::Object(nested)) = entry.get("dependencies") {
            walk_v1(nested, depth + 1, out)?;
        }
    }
    Ok(())
}

/// Packages of one lockfile, sorted and without duplicates.
pub fn parse(content: &[u8]) -> Result<Vec<Package>, String> {
    super::bounded::json(content).map_err(|e| format!("not an npm lockfile: {e}"))?;
    let lock: Lockfile = serde_json::from_slice(content).map_err(|e| format!("not an npm lockfile: {e}"))?;
    let mut out = Vec::new();
    match (&lock.packages, &lock.dependencies) {
        (Some(packages), _) => {
            let requires = |key: &str| packages.get(key).and_then(|e| e.get("dependencies")).and_then(Value::as_object).map(|d| d.keys().map(String::as_str).collect::<Vec<_>>()).unwrap_or_default();
            let root = requires("");
            let mut found = Vec::new();
            for (key, entry) in packages {
                // The root project (`""`) and workspace members (paths not under node_modules).
                let Some(at) = key.rfind("node_modules/") else { continue };
                if let Some(mut p) = package(&key[at + "node_modules/".len()..], entry) {
                    p.direct = key.strip_prefix("node_modules/").is_some_and(|name| root.contains(&name));
                    found.push((key.as_str(), p));
                }
            }
            let node = NodeModules::new(found.iter().map(|(key, p)| (*key, format!("{}@{}", p.name, p.version))));
            // Each entry requires what Node would load from its directory;
            // one it cannot find keeps its bare name, which meets nothing.
            let resolved: Vec<Vec<String>> = found.iter().map(|(key, _)| {
                let scope = node.scope(key);
                requires(key).into_iter().map(|name| node.resolve(&scope, name).cloned().unwrap_or_else(|| name.to_owned())).collect()
            }).collect();
            for ((_, mut p), depends) in found.into_iter().zip(resolved) {
                p.depends = depends;
                out.push(p);
            }
        }
        (None, Some(deps)) => walk_v1(deps, 0, &mut out)?,
        (None, None) => {
            if lock.version.is_none() {
                return Err("no lockfileVersion, packages or dependencies".into());
            }
        }
    }
    Ok(super::distinct(out))
}

impl Analyzer<Fact> for NpmLockCataloger {
    fn id(&self) -> &'static str {
        "npm-lock"
    }
    fn version(&self) -> u32 {
        3
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        super::lockfile_named(path, &["package-lock.json", "npm-shrinkwrap.json"])
    }
    fn max_bytes(&self) -> u64 {
        64 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        Ok(parse(content)?.into_iter().map(Fact::Package).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &[Package]) -> Vec<String> {
        p.iter().map(|p| format!("{}@{}", p.name, p.version)).collect()
    }

    #[test]
    fn v3_packages_without_dev_links_and_root() {
        let lock = br#"{"name":"app","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
            "":{"name":"app","version":"1.0.0","dependencies":{"lodash":"^4"}},
            "node_modules/lodash":{"version":"4.17.15","integrity":"sha512-x","license":"MIT"},
            "node_modules/marked":{"version":"0.3.6","dev":true},
            "node_modules/@babel/core":{"version":"7.24.0"},
            "node_modules/a/node_modules/lodash":{"version":"3.10.1"},
            "node_modules/str":{"name":"string-width","version":"4.2.3"},
            "node_modules/ws-member":{"resolved":"packages/member","link":true},
            "packages/member":{"name":"member","version":"0.0.1"},
            "node_modules/gitdep":{"version":"git+ssh://git@example.invalid/x.git#abc"}}}"#;
        let p = parse(lock).unwrap();
        assert_eq!(names(&p), ["@babel/core@7.24.0", "lodash@3.10.1", "lodash@4.17.15", "string-width@4.2.3"]);
        assert_eq!(p[2].licenses, ["MIT"]);
    }

    #[test]
    fn package_lock_edges_follow_node_modules_nesting() {
        let lock = br#"{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
            "":{"name":"app","version":"1.0.0","dependencies":{"express":"^4","ms":"^2"}},
            "node_modules/express":{"version":"4.17.1","dependencies":{"debug":"2.6.9","ms":"2.1.3","gone":"1"}},
            "node_modules/debug":{"version":"2.6.9","dependencies":{"ms":"2.0.0"}},
            "node_modules/debug/node_modules/ms":{"version":"2.0.0"},
            "node_modules/ms":{"version":"2.1.3"}}}"#;
        let p = parse(lock).unwrap();
        let get = |n: &str| p.iter().find(|p| format!("{}@{}", p.name, p.version) == n).unwrap();
        assert_eq!(get("express@4.17.1").depends, ["debug@2.6.9", "gone", "ms@2.1.3"], "an entry the lockfile lacks keeps its bare name");
        assert_eq!(get("debug@2.6.9").depends, ["ms@2.0.0"], "the nested copy is nearer");
        assert!(get("express@4.17.1").direct && get("ms@2.1.3").direct);
        assert!(!get("debug@2.6.9").direct && !get("ms@2.0.0").direct);
    }

    #[test]
    fn deep_package_lock_resolution_is_bounded() {
        // One entry 5,000 levels deep requiring 20,000 names: walking every
        // level for every name would take minutes.
        let key = format!("node_modules/a{}", "/node_modules/a".repeat(5000));
        let deps: Vec<String> = (0..20_000).map(|n| format!(r#""d{n}":"^1.0.0 || ^2.0.0""#)).collect();
        let lock = format!(r#"{{"lockfileVersion":3,"packages":{{"node_modules/d7":{{"version":"1.0.0"}},"{key}":{{"version":"1.0.0","dependencies":{{{}}}}}}}}}"#, deps.join(","));
        let p = crate::catalog::watchdog(move || parse(lock.as_bytes())).unwrap();
        let deep = p.iter().find(|p| p.name == "a").unwrap();
        assert_eq!(deep.depends.len(), 20_000);
        assert!(deep.depends.contains(&"d7".to_owned()), "past 64 levels nothing is looked up: unmet, so incomplete rather than slow");
    }

    #[test]
    fn v1_nested_dependencies_and_aliases() {
        let lock = br#"{"name":"app","lockfileVersion":1,"dependencies":{
            "express":{"version":"4.16.0","dependencies":{"debug":{"version":"2.6.9"}}},
            "jest":{"version":"29.0.0","dev":true},
            "str":{"version":"npm:string-width@4.2.3"}}}"#;
        assert_eq!(names(&parse(lock).unwrap()), ["debug@2.6.9", "express@4.16.0", "string-width@4.2.3"]);
    }

    #[test]
    fn refuses_what_is_not_a_lockfile() {
        assert!(parse(b"[]").is_err());
        assert!(parse(b"{}").is_err());
        assert!(parse(br#"{"lockfileVersion":3}"#).unwrap().is_empty());
        let deep = format!(r#"{{"lockfileVersion":1,"dependencies":{}1{}}}"#, r#"{"a":{"version":"1","dependencies":"#.repeat(70), "}}".repeat(70));
        assert!(parse(deep.as_bytes()).is_err());
        let e = FileEntry { path: String::new(), kind: temper_layer::EntryKind::File, size: 1, mode: 0o644, uid: 0, gid: 0 };
        assert!(NpmLockCataloger.wants("app/package-lock.json", &e));
        assert!(!NpmLockCataloger.wants("app/node_modules/.package-lock.json", &e));
        assert!(!NpmLockCataloger.wants("app/node_modules/uri-js/package-lock.json", &e));
    }
}
