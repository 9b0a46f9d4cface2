//! `retention.toml`: what to keep, read with every error naming the file,
//! line, column and key (as `policy.toml` is read).
//!
//! ```toml
//! protected = ["latest", "release-*"]      # tags never removed
//! delete-untagged-older-than = "30d"       # untagged images, by age
//!
//! [[rules]]                                # rules that retain, OR-combined
//! repositories = ["team/*"]                # default: every repository
//! tags = ["**"]                            # the tags the rule looks at (default: all)
//! exclude-tags = ["tmp-*"]
//! keep-most-recent = 10                    # per repository
//! keep-younger-than = "14d"
//! keep-always = false
//! ```

use std::path::Path;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use toml::Spanned;

use crate::{Error, Result};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    #[serde(default)]
    protected: Vec<Spanned<String>>,
    delete_untagged_older_than: Option<Spanned<String>>,
    #[serde(default)]
    rules: Vec<Spanned<RuleFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RuleFile {
    #[serde(default)]
    repositories: Vec<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_tags: Vec<Spanned<String>>,
    keep_most_recent: Option<u32>,
    keep_younger_than: Option<Spanned<String>>,
    #[serde(default)]
    keep_always: bool,
}

/// A glob and the text it was written as.
#[derive(Clone, Debug)]
pub struct Pattern {
    text: String,
    matcher: GlobMatcher,
}

impl Pattern {
    /// A glob where `*` stops at `/` and `**` crosses it.
    pub fn new(text: &str) -> std::result::Result<Self, globset::Error> {
        let matcher = globset::GlobBuilder::new(text).literal_separator(true).build().map(|g: Glob| g.compile_matcher())?;
        Ok(Pattern { text: text.to_owned(), matcher })
    }

    /// Whether `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        self.matcher.is_match(s)
    }

    /// The glob as written.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// One rule that retains tags.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Its number, from 1, in file order (for reasons).
    pub number: usize,
    /// The repositories it applies to (any of them).
    pub repositories: Vec<Pattern>,
    /// The tags it looks at (any of them).
    pub tags: Vec<Pattern>,
    /// Tags it does not look at.
    pub exclude_tags: Vec<Pattern>,
    /// Keep the N most recent of the tags it looks at, per repository.
    pub keep_most_recent: Option<u32>,
    /// Keep those younger than this many days.
    pub keep_younger_than_days: Option<u32>,
    /// Keep every tag it looks at.
    pub keep_always: bool,
}

impl Rule {
    /// Whether the rule applies to `repository`.
    pub fn selects_repository(&self, repository: &str) -> bool {
        self.repositories.iter().any(|p| p.matches(repository))
    }

    /// Whether the rule looks at `tag`.
    pub fn selects_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|p| p.matches(tag)) && !self.exclude_tags.iter().any(|p| p.matches(tag))
    }
}

/// A whole retention policy.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Tags never removed, whatever the rules say.
    pub protected: Vec<Pattern>,
    /// Untagged images older than this many days are deleted.
    pub delete_untagged_older_than_days: Option<u32>,
    /// The rules, OR-combined: a tag is kept when any rule keeps it.
    pub rules: Vec<Rule>,
}

impl Policy {
    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Policy(format!("{}: cannot read the retention policy: {e}", path.display())))?;
        Self::parse(path, &text)
    }

    /// Parses `text`, the file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let file: File = temper_toml::parse(path, text).map_err(Error::Policy)?;
        let at = |span: std::ops::Range<usize>, key: &str, why: String| Error::Policy(temper_toml::at(path, text, span, key, why));
        let globs = |list: &[Spanned<String>], key: &str| -> Result<Vec<Pattern>> {
            list.iter().map(|g| Pattern::new(g.get_ref()).map_err(|e| at(g.span(), key, e.kind().to_string()))).collect()
        };
        let days = |d: &Spanned<String>, key: &str| parse_days(d.get_ref()).ok_or_else(|| at(d.span(), key, format!("'{}' is not a number of days (write it as \"30d\")", d.get_ref())));
        let mut rules = Vec::new();
        for (i, spanned) in file.rules.iter().enumerate() {
            let r = spanned.get_ref();
            let key = format!("rules[{i}]");
            if r.keep_most_recent.is_none() && r.keep_younger_than.is_none() && !r.keep_always {
                return Err(at(spanned.span(), &key, "keeps nothing: give keep-most-recent, keep-younger-than or keep-always = true".into()));
            }
            let all = || Pattern::new("**").map(|p| vec![p]).map_err(|e| at(spanned.span(), &key, e.to_string()));
            let repositories = if r.repositories.is_empty() { all()? } else { globs(&r.repositories, &format!("{key}.repositories"))? };
            let tags = if r.tags.is_empty() { all()? } else { globs(&r.tags, &format!("{key}.tags"))? };
            rules.push(Rule {
                number: i + 1,
                repositories,
                tags,
                exclude_tags: globs(&r.exclude_tags, &format!("{key}.exclude-tags"))?,
                keep_most_recent: r.keep_most_recent,
                keep_younger_than_days: r.keep_younger_than.as_ref().map(|d| days(d, &format!("{key}.keep-younger-than"))).transpose()?,
                keep_always: r.keep_always,
            });
        }
        Ok(Policy {
            protected: globs(&file.protected, "protected")?,
            delete_untagged_older_than_days: file.delete_untagged_older_than.as_ref().map(|d| days(d, "delete-untagged-older-than")).transpose()?,
            rules,
        })
    }
}

/// `"30d"` as 30.
fn parse_days(s: &str) -> Option<u32> {
    s.trim().strip_suffix('d').and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy> {
        Policy::parse(Path::new("retention.toml"), text)
    }

    #[test]
    fn a_full_policy_parses() {
        let p = parse("protected = [\"latest\"]\ndelete-untagged-older-than = \"30d\"\n[[rules]]\nrepositories = [\"team/*\"]\ntags = [\"v*\"]\nexclude-tags = [\"v0*\"]\nkeep-most-recent = 3\nkeep-younger-than = \"7d\"\n").unwrap();
        assert_eq!(p.delete_untagged_older_than_days, Some(30));
        let r = &p.rules[0];
        assert_eq!((r.keep_most_recent, r.keep_younger_than_days, r.keep_always), (Some(3), Some(7), false));
        assert!(r.selects_repository("team/app") && !r.selects_repository("team/a/b") && !r.selects_repository("other/app"));
        assert!(r.selects_tag("v1.2") && !r.selects_tag("v0.9") && !r.selects_tag("latest"));
        assert!(p.protected[0].matches("latest"));
    }

    #[test]
    fn defaults_select_everything() {
        let p = parse("[[rules]]\nkeep-always = true\n").unwrap();
        assert!(p.rules[0].selects_repository("a/b/c") && p.rules[0].selects_tag("x"));
    }

    #[test]
    fn errors_name_line_column_and_key() {
        let e = parse("[[rules]]\nkeep-most-recnt = 3\n").unwrap_err().to_string();
        assert!(e.starts_with("retention.toml:2:1:") && e.contains("keep-most-recnt"), "{e}");
        let e = parse("[[rules]]\nkeep-most-recent = \"ten\"\n").unwrap_err().to_string();
        assert!(e.starts_with("retention.toml:2:20:") && e.contains("keep-most-recent"), "{e}");
        let e = parse("delete-untagged-older-than = \"30 days\"\n").unwrap_err().to_string();
        assert_eq!(e, "retention.toml:1:30: `delete-untagged-older-than`: '30 days' is not a number of days (write it as \"30d\")");
        let e = parse("[[rules]]\ntags = [\"a[\"]\nkeep-always = true\n").unwrap_err().to_string();
        assert!(e.starts_with("retention.toml:2:9: `rules[0].tags`:"), "{e}");
        let e = parse("x = 1\n[[rules]]\nrepositories = [\"a\"]\n").unwrap_err().to_string();
        assert!(e.starts_with("retention.toml:1:1:"), "{e}");
    }
}
