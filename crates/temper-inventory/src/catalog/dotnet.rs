//! .NET dependencies: the `<app>.deps.json` the SDK writes next to every
//! published application. Its `libraries` object maps `Name/Version` to
//! `{"type": ...}`; type `package` is a NuGet package, while `project`
//! (the app itself and projects it references), `reference` and
//! `runtimepack` are not NuGet packages and are skipped.

use std::collections::BTreeMap;

use serde::Deserialize;
use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, Package};

pub struct DotnetCataloger;

#[derive(Deserialize)]
struct Deps {
    #[serde(default)]
    libraries: BTreeMap<String, Library>,
}

#[derive(Deserialize)]
struct Library {
    #[serde(rename = "type", default)]
    kind: String,
}

fn wanted(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.len() > ".deps.json".len() && file.ends_with(".deps.json")
}

impl Analyzer<Fact> for DotnetCataloger {
    fn id(&self) -> &'static str {
        "dotnet"
    }
    fn version(&self) -> u32 {
        2
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        wanted(path)
    }
    /// The runtime's own `Microsoft.NETCore.App.deps.json` lists every
    /// assembly and is under 100 KB; applications rarely pass 1 MB.
    fn max_bytes(&self) -> u64 {
        16 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        super::bounded::json(content).map_err(|e| format!("not a .deps.json: {e}"))?;
        let deps: Deps = serde_json::from_slice(content).map_err(|e| format!("not a .deps.json: {e}"))?;
        Ok(deps
            .libraries
            .into_iter()
            .filter(|(_, l)| l.kind == "package")
            .filter_map(|(key, _)| {
                let (name, version) = key.split_once('/')?;
                if name.is_empty() || version.is_empty() {
                    return None;
                }
                Some(Fact::Package(Package::new(name, version, Ecosystem::Nuget)))
            })
            .collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn selects_deps_files() {
        let e = crate::catalog::test_entry();
        assert!(DotnetCataloger.wants("app/MyApp.deps.json", &e));
        assert!(DotnetCataloger.wants("usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json", &e));
        assert!(!DotnetCataloger.wants("app/.deps.json", &e));
        assert!(!DotnetCataloger.wants("app/MyApp.runtimeconfig.json", &e));
    }

    #[test]
    fn packages_not_projects() {
        let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dotnet/WebApp.deps.json")).unwrap();
        let got: Vec<(String, String)> = DotnetCataloger
            .analyze("app/WebApp.deps.json", &data)
            .unwrap()
            .into_iter()
            .map(|f| match f {
                Fact::Package(p) => {
                    assert_eq!(p.ecosystem, Ecosystem::Nuget);
                    (p.name, p.version)
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got, [("Newtonsoft.Json".to_owned(), "13.0.1".to_owned()), ("Serilog".to_owned(), "3.1.1".to_owned())]);
        assert!(DotnetCataloger.analyze("x", b"{}").unwrap().is_empty());
        assert!(DotnetCataloger.analyze("x", br#"{"libraries":{"a/1":{}}}"#).unwrap().is_empty());
        assert!(DotnetCataloger.analyze("x", b"[1]").is_err());
    }
}
