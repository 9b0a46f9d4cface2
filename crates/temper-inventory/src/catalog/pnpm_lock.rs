//! `pnpm-lock.yaml`, lockfile versions 5 to 9.
//!
//! `packages` keys name each locked package: `/name/1.2.3_peer@1` (v5),
//! `/name@1.2.3(peer@1)` (v6), `name@1.2.3` (v9); peer suffixes are not
//! part of the version. v5 and v6 mark development packages with `dev:
//! true`; v9 does not, so there the production set is what the importers'
//! `dependencies` and `optionalDependencies` reach through `snapshots`.
//! Local (`link:`, `file:`) and git entries are not registry packages.
//!
//! Each package requires the `name@version` its entry's `dependencies` and
//! `optionalDependencies` lock (v9: those of every snapshot of it); what
//! the importers (v5: the top level) require is direct.

use std::collections::{BTreeSet, HashMap};

use temper_layer::{Analyzer, FileEntry};
use yaml_serde::Value;

use crate::package::{Ecosystem, Fact, Package};

pub struct PnpmLockCataloger;

/// `(name, version)` of a `packages`/`snapshots` key, peers stripped;
/// `slash` for v5 keys, which separate the version with `/`.
fn split_key(key: &str, slash: bool) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let (name, version) = if slash {
        let (name, version) = key.rsplit_once('/')?;
        (name, version.split('_').next().unwrap_or(version))
    } else {
        let key = key.split('(').next().unwrap_or(key);
        let at = key.get(1..)?.find('@')? + 1;
        (&key[..at], &key[at + 1..])
    };
    (!name.is_empty() && version.starts_with(|c: char| c.is_ascii_digit())).then_some((name, version))
}

fn str_of(v: &Value) -> Option<&str> {
    v.as_str()
}

fn map_of(v: Option<&Value>) -> impl Iterator<Item = (&Value, &Value)> {
    v.and_then(Value::as_mapping).into_iter().flat_map(|m| m.iter())
}

/// `name@version` of one locked dependency: the value is a version (peers
/// stripped), an alias's own key, or (importers, v6 on) a map holding
/// `version`; local ones are not packages.
fn locked(name: &Value, value: &Value, slash: bool) -> Option<String> {
    let name = name.as_str()?;
    let v = value.get("version").and_then(str_of).or_else(|| value.as_str())?;
    if v.starts_with(|c: char| c.is_ascii_digit()) {
        let v = v.split(['(', '_']).next().unwrap_or(v);
        return Some(format!("{name}@{v}"));
    }
    let (real, v) = split_key(v, slash)?;
    Some(format!("{real}@{v}"))
}

/// What one entry (a package, snapshot or importer) requires.
fn requires(entry: &Value, slash: bool) -> impl Iterator<Item = String> + '_ {
    ["dependencies", "optionalDependencies"].into_iter().flat_map(move |section| map_of(entry.get(section)).filter_map(move |(n, v)| locked(n, v, slash)))
}

/// The snapshot key a v9 dependency names: `name@version`, or an alias's
/// own key (`string-width: str@4.2.3`).
fn snapshot_key(name: &str, version: &str) -> String {
    if version.starts_with(|c: char| c.is_ascii_digit()) { format!("{name}@{version}") } else { version.to_owned() }
}

/// v9: the snapshot keys reachable from the importers' production
/// dependencies.
fn production_v9(doc: &Value) -> BTreeSet<String> {
    let snapshots = doc.get("snapshots");
    let mut todo: Vec<String> = Vec::new();
    for (_, importer) in map_of(doc.get("importers")) {
        for section in ["dependencies", "optionalDependencies"] {
            for (name, dep) in map_of(importer.get(section)) {
                let version = dep.get("version").and_then(str_of).or_else(|| dep.as_str());
                if let (Some(name), Some(version)) = (name.as_str(), version) {
                    todo.push(snapshot_key(name, version));
                }
            }
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(key) = todo.pop() {
        if !seen.insert(key.clone()) {
            continue;
        }
        let Some(snap) = snapshots.and_then(|s| s.get(key.as_str())) else { continue };
        for section in ["dependencies", "optionalDependencies"] {
            for (name, version) in map_of(snap.get(section)) {
                if let (Some(name), Some(version)) = (name.as_str(), version.as_str()) {
                    todo.push(snapshot_key(name, version));
                }
            }
        }
    }
    seen
}

/// Packages of one lockfile, sorted and without duplicates.
pub fn parse(text: &str) -> Result<Vec<Package>, String> {
    let doc = super::bounded::yaml(text).map_err(|e| format!("not YAML: {e}"))?;
    let version = doc.get("lockfileVersion").ok_or("no lockfileVersion")?;
    let major: u32 = match version {
        Value::Number(n) => n.as_f64().map_or(0, |f| f as u32),
        Value::String(s) => s.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0),
        _ => 0,
    };
    let production = (major >= 9).then(|| production_v9(&doc));
    let slash = major < 6;
    let importers: Vec<&Value> = match doc.get("importers") {
        Some(i) => map_of(Some(i)).map(|(_, v)| v).collect(),
        None => vec![&doc],
    };
    let direct: BTreeSet<String> = importers.into_iter().flat_map(|i| requires(i, slash)).collect();
    // v9 keeps requirements in `snapshots`, one per peer variant.
    let mut snapshots: HashMap<&str, Vec<&Value>> = HashMap::new();
    for (key, snap) in map_of(doc.get("snapshots")) {
        if let Some(key) = key.as_str() {
            snapshots.entry(key.split('(').next().unwrap_or(key)).or_default().push(snap);
        }
    }
    let mut out = Vec::new();
    for (key, entry) in map_of(doc.get("packages")) {
        let Some((name, version)) = key.as_str().and_then(|k| split_key(k, major < 6)) else { continue };
        if entry.get("dev").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        if let Some(prod) = &production {
            let exact = format!("{name}@{version}");
            let with_peers = |k: &String| k.split('(').next() == Some(exact.as_str());
            if !prod.range(exact.clone()..).take_while(|k| k.starts_with(&exact)).any(with_peers) {
                continue;
            }
        }
        let exact = format!("{name}@{version}");
        let mut depends: Vec<String> = requires(entry, slash).collect();
        depends.extend(snapshots.get(exact.as_str()).into_iter().flatten().flat_map(|snap| requires(snap, slash)));
        out.push(Package { depends, direct: direct.contains(&exact), ..Package::new(name, version, Ecosystem::Npm) });
    }
    Ok(super::distinct(out))
}

impl Analyzer<Fact> for PnpmLockCataloger {
    fn id(&self) -> &'static str {
        "pnpm-lock"
    }
    fn version(&self) -> u32 {
        3
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        super::lockfile_named(path, &["pnpm-lock.yaml"])
    }
    fn max_bytes(&self) -> u64 {
        64 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(content).map_err(|e| format!("not UTF-8: {e}"))?;
        Ok(parse(text)?.into_iter().map(Fact::Package).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &[Package]) -> Vec<String> {
        p.iter().map(|p| format!("{}@{}", p.name, p.version)).collect()
    }

    #[test]
    fn keys() {
        assert_eq!(split_key("/lodash/4.17.21", true), Some(("lodash", "4.17.21")));
        assert_eq!(split_key("/@babel/core/7.24.0", true), Some(("@babel/core", "7.24.0")));
        assert_eq!(split_key("/react-dom/18.2.0_react@18.2.0", true), Some(("react-dom", "18.2.0")));
        assert_eq!(split_key("/@types/react-dom/18.2.0_@types+react@18.0.0", true), Some(("@types/react-dom", "18.2.0")));
        assert_eq!(split_key("/@babel/core@7.24.0(supports-color@5.5.0)", false), Some(("@babel/core", "7.24.0")));
        assert_eq!(split_key("lodash@4.17.21", false), Some(("lodash", "4.17.21")));
        assert_eq!(split_key("@types/node@20.1.0", false), Some(("@types/node", "20.1.0")));
        assert_eq!(split_key("github.com/user/repo/abc123", true), None);
        assert_eq!(split_key("github.com/user/repo/abc123", false), None);
        assert_eq!(split_key("local@link:../x", false), None);
    }

    #[test]
    fn v5_and_v6_skip_dev() {
        let v5 = "lockfileVersion: 5.4\nspecifiers:\n  lodash: ^4.17.21\npackages:\n  /lodash/4.17.21:\n    resolution: {integrity: sha512-x}\n    dev: false\n  /jest/29.0.0:\n    dev: true\n  /react-dom/18.2.0_react@18.2.0:\n    dev: false\n";
        assert_eq!(names(&parse(v5).unwrap()), ["lodash@4.17.21", "react-dom@18.2.0"]);
        let v6 = "lockfileVersion: '6.0'\npackages:\n  /@babel/core@7.24.0(supports-color@5.5.0):\n    dev: false\n  /typescript@5.4.5:\n    dev: true\n";
        assert_eq!(names(&parse(v6).unwrap()), ["@babel/core@7.24.0"]);
    }

    #[test]
    fn v9_follows_production_dependencies() {
        let v9 = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      express:\n        specifier: ^4.18.0\n        version: 4.18.2\n    devDependencies:\n      jest:\n        specifier: ^29\n        version: 29.0.0\n\
packages:\n  express@4.18.2:\n    resolution: {integrity: sha512-x}\n  debug@2.6.9:\n    resolution: {integrity: sha512-y}\n  jest@29.0.0:\n    resolution: {integrity: sha512-z}\n  '@types/node@20.1.0':\n    resolution: {integrity: sha512-w}\n\
snapshots:\n  express@4.18.2:\n    dependencies:\n      debug: 2.6.9\n  debug@2.6.9: {}\n  jest@29.0.0:\n    dependencies:\n      '@types/node': 20.1.0\n  '@types/node@20.1.0': {}\n";
        assert_eq!(names(&parse(v9).unwrap()), ["debug@2.6.9", "express@4.18.2"]);
    }

    /// Issue 12: 400 KB of nested flow collections cost libyaml 99 s (its
    /// stack of open collections is rescanned for every token); now the
    /// read stops at the first one past the depth bound.
    #[test]
    fn pnpm_lock_edges_from_packages_and_snapshots() {
        let v9 = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      express:\n        specifier: ^4.18.0\n        version: 4.18.2\n\
packages:\n  express@4.18.2:\n    resolution: {integrity: sha512-x}\n  debug@2.6.9:\n    resolution: {integrity: sha512-y}\n  react-dom@18.2.0:\n    resolution: {integrity: sha512-z}\n  str@4.2.3:\n    resolution: {integrity: sha512-w}\n\
snapshots:\n  express@4.18.2:\n    dependencies:\n      debug: 2.6.9\n      react-dom: 18.2.0(react@18.2.0)\n      string-width: str@4.2.3\n      local: link:../local\n  debug@2.6.9: {}\n  react-dom@18.2.0(react@18.2.0): {}\n  str@4.2.3: {}\n";
        let p = parse(v9).unwrap();
        assert_eq!(names(&p), ["debug@2.6.9", "express@4.18.2", "react-dom@18.2.0", "str@4.2.3"]);
        assert_eq!(p[1].depends, ["debug@2.6.9", "react-dom@18.2.0", "str@4.2.3"], "peers stripped, aliases followed, links skipped");
        assert!(p[1].direct && !p[0].direct);
        let v5 = "lockfileVersion: 5.4\ndependencies:\n  react-dom: 18.2.0_react@18.2.0\npackages:\n  /react-dom/18.2.0_react@18.2.0:\n    dependencies:\n      loose-envify: 1.4.0\n    dev: false\n  /loose-envify/1.4.0:\n    dev: false\n";
        let p = parse(v5).unwrap();
        assert_eq!((p[1].depends.clone(), p[1].direct, p[0].direct), (vec!["loose-envify@1.4.0".to_owned()], true, false));
    }

    #[test]
    fn issue_12_deep_nesting_is_refused_without_quadratic_work() {
        for (open, close) in [("[", "]"), ("{a: ", "}")] {
            let text = format!("lockfileVersion: '9.0'\npackages: {}\n", crate::catalog::nested(open, close, 400 << 10));
            let err = crate::catalog::watchdog(move || PnpmLockCataloger.analyze("app/pnpm-lock.yaml", text.as_bytes())).unwrap_err();
            assert_eq!(err, "not YAML: nested more than 64 levels deep (line 2)");
        }
        // Many shallow collections are fine, however many.
        let wide = format!("lockfileVersion: '6.0'\npackages:\n  /a@1.0.0:\n    x: [{}]\n", "[{integrity: sha512-abcdefghijklmnopqrstuvwxyz}], ".repeat(50_000));
        assert_eq!(names(&crate::catalog::watchdog(move || parse(&wide)).unwrap()), ["a@1.0.0"]);
    }

    #[test]
    fn refuses_other_text() {
        assert!(parse("{").is_err());
        assert!(parse("a: 1").is_err());
    }
}
