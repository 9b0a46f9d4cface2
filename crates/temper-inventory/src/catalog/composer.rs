//! PHP packages installed by Composer: `vendor/composer/installed.json`,
//! which Composer rewrites on every install. Composer 1 wrote a JSON array
//! of packages; Composer 2 writes `{"packages": [...], "dev": ...}`. Each
//! package has `name` (`vendor/package`), `version` as tagged and
//! `license` (a list of SPDX identifiers). Development packages are in the
//! same list and are reported too: they are installed in the image.
//!
//! Versions lose a leading `v` before a digit (`v5.4.0` → `5.4.0`): tags
//! are written either way, Composer's own `version_normalized` drops it,
//! and Packagist advisories (GitHub's, FriendsOfPHP's) give bare numbers.
//! Branch versions (`dev-main`) stay as they are.

use serde::Deserialize;
use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, Package};

pub struct ComposerCataloger;

#[derive(Deserialize)]
#[serde(untagged)]
enum Installed {
    V2 { packages: Vec<Entry> },
    V1(Vec<Entry>),
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    license: Option<Licenses>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Licenses {
    One(String),
    Many(Vec<serde_json::Value>),
}

fn wanted(path: &str) -> bool {
    path == "vendor/composer/installed.json" || path.ends_with("/vendor/composer/installed.json")
}

fn version(v: &str) -> &str {
    match v.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => v,
    }
}

impl Analyzer<Fact> for ComposerCataloger {
    fn id(&self) -> &'static str {
        "composer"
    }
    fn version(&self) -> u32 {
        2
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        wanted(path)
    }
    /// Every package's autoload map and description is inlined; large
    /// applications reach a few MB.
    fn max_bytes(&self) -> u64 {
        32 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        super::bounded::json(content).map_err(|e| format!("not a Composer installed.json: {e}"))?;
        let installed: Installed = serde_json::from_slice(content).map_err(|e| format!("not a Composer installed.json (array or object with packages): {e}"))?;
        let (Installed::V2 { packages } | Installed::V1(packages)) = installed;
        Ok(packages
            .into_iter()
            .filter_map(|e| {
                let (name, v) = (e.name?, e.version?);
                if name.is_empty() || v.is_empty() {
                    return None;
                }
                let licenses = match e.license {
                    Some(Licenses::One(l)) => vec![l],
                    Some(Licenses::Many(l)) => l.into_iter().filter_map(|l| l.as_str().map(str::to_owned)).collect(),
                    None => Vec::new(),
                };
                let version = version(&v).to_owned();
                Some(Fact::Package(Package::new(name, version, Ecosystem::Composer).with_licenses(licenses)))
            })
            .collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rows(path: &str) -> Vec<(String, String, Vec<String>)> {
        let data = std::fs::read(format!("{}/tests/fixtures/composer/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        ComposerCataloger
            .analyze("app/vendor/composer/installed.json", &data)
            .unwrap()
            .into_iter()
            .map(|f| match f {
                Fact::Package(p) => (p.name, p.version, p.licenses),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn selects_the_installed_file_only() {
        let e = crate::catalog::test_entry();
        assert!(ComposerCataloger.wants("var/www/html/vendor/composer/installed.json", &e));
        assert!(ComposerCataloger.wants("vendor/composer/installed.json", &e));
        assert!(!ComposerCataloger.wants("var/www/html/composer.lock", &e));
        assert!(!ComposerCataloger.wants("var/www/html/vendor/composer/installed.php", &e));
        assert!(!ComposerCataloger.wants("var/www/html/myvendor/composer/installed.json", &e));
    }

    #[test]
    fn composer_2_object_and_composer_1_array() {
        let want = vec![
            ("monolog/monolog".to_owned(), "2.9.1".to_owned(), vec!["MIT".to_owned()]),
            ("psr/log".to_owned(), "3.0.0".to_owned(), vec!["MIT".to_owned()]),
            ("symfony/polyfill-mbstring".to_owned(), "dev-main".to_owned(), vec![]),
        ];
        assert_eq!(rows("installed-v2.json"), want);
        assert_eq!(rows("installed-v1.json"), want);
    }

    #[test]
    fn foreign_json_is_an_error() {
        assert!(ComposerCataloger.analyze("x", br#"{"name":"a"}"#).is_err());
        assert!(ComposerCataloger.analyze("x", b"nope").is_err());
        assert!(ComposerCataloger.analyze("x", br#"{"packages":[{"name":"a/b"}]}"#).unwrap().is_empty());
        assert_eq!(version("V1.0"), "1.0");
        assert_eq!(version("very-1"), "very-1");
    }
}
