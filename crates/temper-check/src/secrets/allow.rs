//! Allow-lists: findings the user has reviewed and accepts, by rule, by
//! path glob, or both. Applied after the layer pass, so cached per-layer
//! results never depend on configuration.

use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::Deserialize;

/// One allow entry as written in the config file.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    /// A rule id; any rule when absent.
    #[serde(default)]
    pub rule: Option<String>,
    /// A glob over image paths (`opt/app/test/**`; a leading `/` is
    /// ignored; `*` stays within one directory, `**` crosses them); any
    /// path when absent.
    #[serde(default)]
    pub path: Option<String>,
}

/// The `[secrets]` table of temper's config file:
///
/// ```toml
/// [[secrets.allow]]
/// rule = "generic-password"
/// path = "opt/app/test/**"
/// ```
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(try_from = "SecretsTable")]
pub struct AllowList {
    entries: Vec<(Option<String>, Option<GlobMatcher>)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretsTable {
    #[serde(default)]
    allow: Vec<AllowEntry>,
}

impl TryFrom<SecretsTable> for AllowList {
    type Error = AllowError;
    fn try_from(t: SecretsTable) -> Result<Self, AllowError> {
        AllowList::new(t.allow)
    }
}

/// Why an allow-list cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AllowError {
    /// The entry names neither a rule nor a path, so it would hide everything.
    #[error("secrets.allow entry {0} names neither a rule nor a path")]
    Empty(usize),
    /// The path is not a valid glob.
    #[error("secrets.allow entry {index}: bad path glob '{glob}': {source}")]
    Glob {
        /// 1-based entry number.
        index: usize,
        /// The glob.
        glob: String,
        /// Why.
        source: globset::Error,
    },
}

impl AllowList {
    /// Compiles the entries.
    pub fn new(entries: Vec<AllowEntry>) -> Result<Self, AllowError> {
        let mut out = Vec::with_capacity(entries.len());
        for (i, e) in entries.into_iter().enumerate() {
            let index = i + 1;
            let glob = match &e.path {
                Some(p) => Some(
                    GlobBuilder::new(p.trim_start_matches('/'))
                        .literal_separator(true)
                        .build()
                        .map(|g: Glob| g.compile_matcher())
                        .map_err(|source| AllowError::Glob { index, glob: p.clone(), source })?,
                ),
                None if e.rule.is_none() => return Err(AllowError::Empty(index)),
                None => None,
            };
            out.push((e.rule, glob));
        }
        Ok(AllowList { entries: out })
    }

    /// Whether a finding of `rule` at `path` (an image path, or a metadata
    /// location such as `config.Env`) is allowed.
    pub fn allows(&self, rule: &str, path: &str) -> bool {
        let path = path.trim_start_matches('/');
        self.entries.iter().any(|(r, g)| r.as_deref().is_none_or(|r| r == rule) && g.as_ref().is_none_or(|g| g.is_match(path)))
    }

    /// Whether nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Config {
        #[serde(default)]
        secrets: AllowList,
    }

    fn parse(toml_text: &str) -> Result<AllowList, toml::de::Error> {
        toml::from_str::<Config>(toml_text).map(|c| c.secrets)
    }

    #[test]
    fn by_rule_by_path_and_both() {
        let a = parse(
            r#"
[[secrets.allow]]
rule = "generic-password"
path = "/opt/app/test/**"

[[secrets.allow]]
path = "srv/fixtures/*.pem"

[[secrets.allow]]
rule = "jwt"
"#,
        )
        .unwrap();
        assert!(a.allows("generic-password", "opt/app/test/a/b.py"));
        assert!(!a.allows("github-pat", "opt/app/test/a/b.py"));
        assert!(!a.allows("generic-password", "opt/app/src/b.py"));
        assert!(a.allows("private-key", "srv/fixtures/k.pem"));
        assert!(!a.allows("private-key", "srv/fixtures/sub/k.pem"), "* stays in one directory");
        assert!(a.allows("jwt", "anything/at/all"));
        assert!(a.allows("jwt", "config.Env"));
        assert!(!a.allows("aws-access-key-id", "root/.aws/credentials"));
    }

    #[test]
    fn empty_and_invalid_entries_are_refused() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("[secrets]\n").unwrap().is_empty());
        let e = parse("[[secrets.allow]]\n").err().unwrap().to_string();
        assert!(e.contains("neither a rule nor a path"), "{e}");
        let e = parse("[[secrets.allow]]\npath = \"a/[b\"\n").err().unwrap().to_string();
        assert!(e.contains("bad path glob"), "{e}");
        assert!(parse("[[secrets.allow]]\nrules = \"x\"\n").is_err());
    }
}
