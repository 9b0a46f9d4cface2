//! npm packages from `package.json` manifests.
//!
//! Three kinds of manifest name a package that is really in the image:
//! - the top of an installed package (`node_modules/NAME/package.json`,
//!   `node_modules/@SCOPE/NAME/package.json`): what `npm install` wrote;
//! - a copy vendored inside an installed package (`next` ships
//!   `dist/compiled/react-refresh/package.json`): the code is there, so
//!   its advisories apply; a sub-directory manifest that merely repeats its
//!   package's own name and version is not a second package and is
//!   dropped when the inventory is built (see [`package_root`]);
//! - an application root outside `node_modules` (`/app/package.json`).
//!
//! The names in `dependencies` (less those also in `optionalDependencies`,
//! which may rightly be missing) are kept for the SBOM's dependency graph.
//!
//! Manifests without both a name and a version (workspace roots, `{"type":
//! "module"}` markers in sub-directories) name nothing. Debian's
//! `/usr/share/nodejs` and `/usr/lib/nodejs` hold dpkg content, not npm
//! installs: they are dpkg packages and are not reported again as npm.

use serde::Deserialize;
use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, Package};

pub struct NpmCataloger;

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    name: Option<serde_json::Value>,
    #[serde(default)]
    version: Option<serde_json::Value>,
    #[serde(default)]
    license: Option<serde_json::Value>,
    #[serde(default)]
    licenses: Option<serde_json::Value>,
    #[serde(default)]
    dependencies: Option<serde_json::Value>,
    #[serde(default, rename = "optionalDependencies")]
    optional_dependencies: Option<serde_json::Value>,
}

/// Whether `path` is the manifest at the top of an installed package.
pub fn is_installed_manifest(path: &str) -> bool {
    path.strip_suffix("/package.json").and_then(package_root).is_some_and(|root| path.len() == root.len() + "/package.json".len())
}

/// The installed package directory that contains `path`, if any: the
/// innermost `…/node_modules/NAME` or `…/node_modules/@SCOPE/NAME`.
pub fn package_root(path: &str) -> Option<&str> {
    let at = path.rfind("node_modules/")?;
    let rest = &path[at + "node_modules/".len()..];
    let mut parts = rest.split('/');
    let first = parts.next().filter(|s| !s.is_empty() && !s.starts_with('.'))?;
    let len = if first.starts_with('@') {
        let second = parts.next().filter(|s| !s.is_empty() && !s.starts_with('.'))?;
        first.len() + 1 + second.len()
    } else {
        first.len()
    };
    Some(&path[..at + "node_modules/".len() + len])
}

fn is_debian_nodejs(path: &str) -> bool {
    path.starts_with("usr/share/nodejs/") || path.starts_with("usr/lib/nodejs/")
}

fn license_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Object(o) => o.get("type").and_then(|t| t.as_str()).map(str::to_owned),
        _ => None,
    }
}

impl Analyzer<Fact> for NpmCataloger {
    fn id(&self) -> &'static str {
        "npm"
    }
    fn version(&self) -> u32 {
        3
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        (path == "package.json" || path.ends_with("/package.json")) && !is_debian_nodejs(path)
    }
    fn max_bytes(&self) -> u64 {
        4 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let m: Manifest = serde_json::from_slice(content).map_err(|e| format!("not a package.json: {e}"))?;
        let (Some(serde_json::Value::String(name)), Some(serde_json::Value::String(version))) = (m.name, m.version) else {
            return Ok(Vec::new());
        };
        if name.is_empty() || version.is_empty() {
            return Ok(Vec::new());
        }
        let mut licenses: Vec<String> = m.license.iter().filter_map(license_text).collect();
        if let Some(serde_json::Value::Array(list)) = &m.licenses {
            licenses.extend(list.iter().filter_map(license_text));
        }
        // Maps of name to range; anything else says nothing about edges.
        let names = |v: &Option<serde_json::Value>| v.as_ref().and_then(serde_json::Value::as_object).map(|o| o.keys().filter(|k| !k.is_empty()).cloned().collect::<Vec<_>>()).unwrap_or_default();
        let optional = names(&m.optional_dependencies);
        let depends = names(&m.dependencies).into_iter().filter(|n| !optional.contains(n)).collect();
        Ok(vec![Fact::Package(Package { depends, ..Package::new(name, version, Ecosystem::Npm).with_licenses(licenses) })])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_roots_and_package_dirs() {
        assert!(is_installed_manifest("app/node_modules/express/package.json"));
        assert!(is_installed_manifest("app/node_modules/@babel/core/package.json"));
        assert!(is_installed_manifest("app/node_modules/http-errors/node_modules/depd/package.json"));
        assert!(!is_installed_manifest("app/node_modules/express/lib/package.json"));
        assert!(!is_installed_manifest("app/package.json"));
        assert!(!is_installed_manifest("app/node_modules/.package-lock.json"));
        assert!(!is_installed_manifest("app/node_modules/@scope/package.json"));
        assert_eq!(package_root("srv/node_modules/next/dist/compiled/react-is/package.json"), Some("srv/node_modules/next"));
        assert_eq!(package_root("a/node_modules/@x/y/node_modules/z/esm/package.json"), Some("a/node_modules/@x/y/node_modules/z"));
        assert_eq!(package_root("app/package.json"), None);
        assert_eq!(package_root("app/node_modules/.bin/x"), None);
    }

    #[test]
    fn wants_every_manifest_but_debians() {
        let e = FileEntry { path: String::new(), kind: temper_layer::EntryKind::File, size: 10, mode: 0o644, uid: 0, gid: 0 };
        assert!(NpmCataloger.wants("app/package.json", &e));
        assert!(NpmCataloger.wants("srv/web/node_modules/next/dist/compiled/react-is/package.json", &e));
        assert!(!NpmCataloger.wants("usr/share/nodejs/acorn/package.json", &e));
        assert!(!NpmCataloger.wants("app/node_modules/.package-lock.json", &e));
    }

    #[test]
    fn reads_name_version_licence() {
        let f = NpmCataloger.analyze("x", br#"{"name":"lodash","version":"4.17.15","license":"MIT"}"#).unwrap();
        let Fact::Package(p) = &f[0] else { panic!("{f:?}") };
        assert_eq!((p.name.as_str(), p.version.as_str(), p.licenses.clone()), ("lodash", "4.17.15", vec!["MIT".to_owned()]));
        let f = NpmCataloger.analyze("x", br#"{"name":"old","version":"1.0.0","licenses":[{"type":"BSD"},{"type":"MIT"}]}"#).unwrap();
        let Fact::Package(p) = &f[0] else { panic!("{f:?}") };
        assert_eq!(p.licenses, ["BSD", "MIT"]);
        assert!(p.depends.is_empty());
        let f = NpmCataloger.analyze("x", br#"{"name":"chokidar","version":"3.5.3","dependencies":{"braces":"~3.0.2","fsevents":"~2.3.2","":"x"},"optionalDependencies":{"fsevents":"~2.3.2"}}"#).unwrap();
        let Fact::Package(p) = &f[0] else { panic!("{f:?}") };
        assert_eq!(p.depends, ["braces"], "optional dependencies may be missing; they are not requirements");
        let f = NpmCataloger.analyze("x", br#"{"name":"odd","version":"1.0.0","dependencies":["a"]}"#).unwrap();
        let Fact::Package(p) = &f[0] else { panic!("{f:?}") };
        assert!(p.depends.is_empty());
        assert!(NpmCataloger.analyze("x", b"{\"private\":true}").unwrap().is_empty());
        assert!(NpmCataloger.analyze("x", br#"{"type":"module"}"#).unwrap().is_empty());
        assert!(NpmCataloger.analyze("x", br#"{"name":{"x":1},"version":2}"#).unwrap().is_empty());
        assert!(NpmCataloger.analyze("x", b"not json").is_err());
    }
}
