//! npm packages installed under `node_modules/`: one `package.json` at the
//! top of each package directory (`node_modules/NAME/` or
//! `node_modules/@SCOPE/NAME/`). `package.json` files elsewhere (a
//! package's own sub-directories, Debian's `/usr/share/nodejs`) are not
//! installs from the npm registry and are not reported as npm packages.

use serde::Deserialize;
use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, Package};

pub struct NpmCataloger;

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    license: Option<serde_json::Value>,
    #[serde(default)]
    licenses: Option<Vec<serde_json::Value>>,
}

/// Whether `path` is the manifest at the top of an installed package.
fn is_package_manifest(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/package.json") else { return false };
    let parts: Vec<&str> = dir.rsplit('/').take(3).collect();
    match parts.as_slice() {
        [name, "node_modules", ..] => !name.starts_with('@') && !name.starts_with('.'),
        [name, scope, "node_modules"] => scope.starts_with('@') && !name.starts_with('.'),
        _ => false,
    }
}

fn license_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o.get("type").and_then(|t| t.as_str()).map(str::to_owned),
        _ => None,
    }
}

impl Analyzer<Fact> for NpmCataloger {
    fn id(&self) -> &'static str {
        "npm"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        is_package_manifest(path)
    }
    fn max_bytes(&self) -> u64 {
        4 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let m: Manifest = serde_json::from_slice(content).map_err(|e| format!("not a package.json: {e}"))?;
        let (Some(name), Some(version)) = (m.name, m.version) else {
            return Ok(Vec::new()); // workspaces and private stubs carry no name or version
        };
        let mut licenses: Vec<String> = m.license.iter().filter_map(license_text).collect();
        licenses.extend(m.licenses.iter().flatten().filter_map(license_text));
        Ok(vec![Fact::Package(Package { name, version, ecosystem: Ecosystem::Npm, arch: None, source_name: None, source_version: None, licenses })])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_package_roots_only() {
        assert!(is_package_manifest("app/node_modules/express/package.json"));
        assert!(is_package_manifest("app/node_modules/@babel/core/package.json"));
        assert!(is_package_manifest("app/node_modules/http-errors/node_modules/depd/package.json"));
        assert!(!is_package_manifest("app/node_modules/express/lib/package.json"));
        assert!(!is_package_manifest("app/package.json"));
        assert!(!is_package_manifest("usr/share/nodejs/acorn/package.json"));
        assert!(!is_package_manifest("app/node_modules/.package-lock.json"));
        assert!(!is_package_manifest("app/node_modules/@scope/package.json"));
    }

    #[test]
    fn reads_name_version_licence() {
        let f = NpmCataloger.analyze("x", br#"{"name":"lodash","version":"4.17.15","license":"MIT"}"#).unwrap();
        let Fact::Package(p) = &f[0] else { panic!("{f:?}") };
        assert_eq!((p.name.as_str(), p.version.as_str(), p.licenses.clone()), ("lodash", "4.17.15", vec!["MIT".to_owned()]));
        assert!(NpmCataloger.analyze("x", b"{\"private\":true}").unwrap().is_empty());
        assert!(NpmCataloger.analyze("x", b"not json").is_err());
    }
}
