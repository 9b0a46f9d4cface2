//! Python lockfiles: Poetry's `poetry.lock`, Pipenv's `Pipfile.lock` and
//! uv's `uv.lock`.
//!
//! - `poetry.lock` (TOML `[[package]]`): entries whose `category` is `dev`
//!   (Poetry < 1.2) or whose `groups` leave out `main` (Poetry 2) are
//!   development-only and left out.
//! - `Pipfile.lock` (JSON): the `default` section; `develop` is left out.
//!   Pins are `==1.2.3`; git and path entries have no version and name
//!   nothing an advisory can match.
//! - `uv.lock` (TOML `[[package]]`): the project itself and other local
//!   sources (`editable`, `virtual`, `directory`, `path`) are not index
//!   packages. uv records dev groups on the project rather than on the
//!   locked packages, so every index package is reported.
//!
//! How lockfile packages are merged with installed ones is decided in
//! [`crate::Inventory::build`].

use serde::Deserialize;
use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, Package};

pub struct PythonLockCataloger;

#[derive(Deserialize)]
struct TomlLock {
    #[serde(default)]
    package: Vec<TomlPackage>,
}

#[derive(Deserialize)]
struct TomlPackage {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    source: Option<toml::Table>,
}

fn pypi(name: &str, version: &str) -> Package {
    Package::new(name, version, Ecosystem::Pypi)
}

fn toml_lock(text: &str, uv: bool) -> Result<Vec<Package>, String> {
    super::bounded::toml(text.as_bytes()).map_err(|e| format!("not a lockfile: {e}"))?;
    let lock: TomlLock = toml::from_str(text).map_err(|e| format!("not a lockfile: {}", e.message()))?;
    let local = ["editable", "virtual", "directory", "path"];
    Ok(lock
        .package
        .iter()
        .filter(|p| p.category.as_deref() != Some("dev"))
        .filter(|p| p.groups.as_ref().is_none_or(|g| g.iter().any(|g| g == "main")))
        .filter(|p| !uv || p.source.as_ref().is_none_or(|s| !local.iter().any(|k| s.contains_key(*k))))
        .filter_map(|p| p.version.as_deref().filter(|v| !v.is_empty()).map(|v| pypi(&p.name, v)))
        .collect())
}

fn pipfile_lock(content: &[u8]) -> Result<Vec<Package>, String> {
    super::bounded::json(content).map_err(|e| format!("not a Pipfile.lock: {e}"))?;
    let doc: serde_json::Value = serde_json::from_slice(content).map_err(|e| format!("not a Pipfile.lock: {e}"))?;
    let default = doc.get("default").and_then(|d| d.as_object()).ok_or("no `default` section")?;
    Ok(default
        .iter()
        .filter_map(|(name, entry)| {
            let version = entry.get("version")?.as_str()?.strip_prefix("==")?;
            (!version.is_empty()).then(|| pypi(name, version))
        })
        .collect())
}

impl Analyzer<Fact> for PythonLockCataloger {
    fn id(&self) -> &'static str {
        "python-lock"
    }
    fn version(&self) -> u32 {
        2
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        super::lockfile_named(path, &["poetry.lock", "Pipfile.lock", "uv.lock"])
    }
    fn max_bytes(&self) -> u64 {
        32 << 20
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let packages = if path.ends_with("Pipfile.lock") {
            pipfile_lock(content)?
        } else {
            let text = std::str::from_utf8(content).map_err(|e| format!("not UTF-8: {e}"))?;
            toml_lock(text, path.ends_with("uv.lock"))?
        };
        Ok(super::distinct(packages).into_iter().map(Fact::Package).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(path: &str, content: &str) -> Vec<String> {
        PythonLockCataloger
            .analyze(path, content.as_bytes())
            .unwrap()
            .iter()
            .map(|f| match f {
                Fact::Package(p) => format!("{}@{}", p.name, p.version),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn poetry_main_only() {
        let lock = "[[package]]\nname = \"django\"\nversion = \"2.2\"\ndescription = \"\"\noptional = false\npython-versions = \">=3.5\"\ncategory = \"main\"\n\n\
[[package]]\nname = \"pytest\"\nversion = \"7.0.0\"\ncategory = \"dev\"\n\n\
[[package]]\nname = \"requests\"\nversion = \"2.19.1\"\ngroups = [\"main\", \"docs\"]\n\n\
[[package]]\nname = \"mypy\"\nversion = \"1.0\"\ngroups = [\"dev\"]\n\n[metadata]\nlock-version = \"2.0\"\n";
        assert_eq!(names("app/poetry.lock", lock), ["django@2.2", "requests@2.19.1"]);
    }

    #[test]
    fn pipenv_default_only() {
        let lock = r#"{"_meta":{"hash":{"sha256":"x"}},"default":{"django":{"hashes":[],"version":"==2.2"},"mylib":{"git":"https://example.invalid/x.git"}},"develop":{"pytest":{"version":"==7.0.0"}}}"#;
        assert_eq!(names("app/Pipfile.lock", lock), ["django@2.2"]);
        assert!(PythonLockCataloger.analyze("Pipfile.lock", b"{}").is_err());
    }

    #[test]
    fn uv_index_packages_only() {
        let lock = "version = 1\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n\n\
[[package]]\nname = \"django\"\nversion = \"4.2.1\"\nsource = { registry = \"https://index.example.invalid/simple\" }\n\n\
[[package]]\nname = \"member\"\nversion = \"0.0.1\"\nsource = { virtual = \"packages/member\" }\n";
        assert_eq!(names("app/uv.lock", lock), ["django@4.2.1"]);
        assert!(PythonLockCataloger.analyze("uv.lock", b"[[package]]\nversion = 1").is_err());
    }
}
