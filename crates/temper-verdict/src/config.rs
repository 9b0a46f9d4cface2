//! The one config file every command that takes `--config` reads (`lint`,
//! `check`, `scan`, `db update`, `db check`), found the same way for each:
//!
//! 1. `--config FILE`, else `TEMPER_CONFIG`;
//! 2. `.temper.toml` in the working directory or a parent of it, up to the
//!    repository root (the first directory holding `.git`); outside a
//!    repository, the working directory only, so a stray file above it is
//!    never picked up;
//! 3. `$XDG_CONFIG_HOME/temper/config.toml`, else `~/.config/temper/config.toml`.
//!
//! The first file found is the whole configuration: files are not merged,
//! so what a command does never depends on a file the user did not expect
//! to count. Every table rejects keys it does not know, with the file,
//! line, column and key, so a typo is never a silent no-op.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why the config file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The working directory, where discovery starts, cannot be read.
    #[error("the working directory: {0}")]
    WorkingDirectory(#[source] std::io::Error),
    /// The file cannot be read.
    #[error("config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file does not parse, or holds an unknown key or a wrong value:
    /// `FILE:LINE:COLUMN: KEY: what is wrong`.
    #[error("{0}")]
    Invalid(String),
}

type Result<T> = std::result::Result<T, ConfigError>;

/// The file's schema: one table per concern.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Advisory feeds and the staleness limit (`db update`, `db check`, `scan`).
    #[serde(default)]
    pub db: temper_advisory::feed::DbConfig,
    /// Reviewed secrets (`check`).
    #[serde(default)]
    pub secrets: temper_check::secrets::AllowList,
    /// Severity overrides, ignored rules, trusted registries (`lint`).
    #[serde(default)]
    pub lint: temper_lint::Config,
}

/// The project file name searched for upwards from the working directory.
pub const PROJECT_FILE: &str = ".temper.toml";

/// Finds and parses the config file (see the module doc), the defaults
/// when there is none; `explicit` is `--config` or `TEMPER_CONFIG` (clap
/// reads the variable).
pub fn load(explicit: Option<&Path>) -> Result<Config> {
    let cwd = std::env::current_dir().map_err(ConfigError::WorkingDirectory)?;
    let Some(path) = discover(explicit, &cwd, user_file().as_deref()) else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
    let config: Config = parse(&path, &text)?;
    check_rule_names(&path, &text, &config.lint)?;
    Ok(config)
}

/// Where `[lint]` names rules, with their places in the file.
#[derive(Deserialize, Default)]
struct RuleNames {
    #[serde(default)]
    lint: LintNames,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct LintNames {
    #[serde(default)]
    ignore: Vec<toml::Spanned<String>>,
    #[serde(default)]
    severity: std::collections::BTreeMap<toml::Spanned<String>, serde::de::IgnoredAny>,
    #[serde(default)]
    digest_pinning: Option<toml::Spanned<String>>,
}

/// Checks the rule names and values `[lint]` gives: rule names are the
/// keys of `[lint.severity]`, so an unknown one is an error for every
/// command, with its place, like any other unknown key.
fn check_rule_names(path: &Path, text: &str, lint: &temper_lint::Config) -> Result<()> {
    let known: Vec<_> = temper_lint::rules::registry().iter().map(|r| r.meta()).collect();
    let Err(whole) = lint.validate(&known) else { return Ok(()) };
    let names: RuleNames = toml::from_str(text).unwrap_or_default();
    let one = |key: String, config: temper_lint::Config, at: &toml::Spanned<String>| {
        config.validate(&known).err().map(|e| ConfigError::Invalid(temper_toml::at(path, text, at.span(), &key, e)))
    };
    let located = names
        .lint
        .ignore
        .iter()
        .find_map(|n| one("lint.ignore".into(), temper_lint::Config { ignore: vec![n.get_ref().clone()], ..Default::default() }, n))
        .or_else(|| names.lint.severity.keys().find_map(|n| one(format!("lint.severity.{}", n.get_ref()), temper_lint::Config { ignore: vec![n.get_ref().clone()], ..Default::default() }, n)))
        .or_else(|| names.lint.digest_pinning.as_ref().and_then(|d| one("lint.digest-pinning".into(), temper_lint::Config { digest_pinning: Some(d.get_ref().clone()), ..Default::default() }, d)));
    Err(located.unwrap_or_else(|| ConfigError::Invalid(format!("{}: [lint] {whole}", path.display()))))
}

/// The file used: `explicit`, else the first `.temper.toml` from `cwd` up
/// to the repository root, else `user` when it exists.
fn discover(explicit: Option<&Path>, cwd: &Path, user: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_owned());
    }
    let in_repo = cwd.ancestors().any(|d| d.join(".git").exists());
    // `.git` is a directory in a clone and a file in a worktree.
    for dir in cwd.ancestors() {
        let candidate = dir.join(PROJECT_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        if !in_repo || dir.join(".git").exists() {
            break;
        }
    }
    user.filter(|p| p.is_file()).map(Path::to_owned)
}

/// `$XDG_CONFIG_HOME/temper/config.toml`, else `~/.config/temper/config.toml`.
fn user_file() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("temper/config.toml"))
}

/// `text`, the TOML file at `path`, parsed as `T`; errors say
/// `FILE:LINE:COLUMN: KEY: what is wrong`.
pub fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    temper_toml::parse(path, text).map_err(ConfigError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_stops_at_the_repository_root() {
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join("repo");
        let sub = repo.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir(repo.join(".git")).unwrap();
        let user = root.path().join("user.toml");
        std::fs::write(&user, "").unwrap();
        // Above the repository: never read.
        std::fs::write(root.path().join(PROJECT_FILE), "").unwrap();
        assert_eq!(discover(None, &sub, Some(&user)), Some(user.clone()));
        std::fs::write(repo.join(PROJECT_FILE), "").unwrap();
        assert_eq!(discover(None, &sub, Some(&user)), Some(repo.join(PROJECT_FILE)));
        std::fs::write(repo.join("a").join(PROJECT_FILE), "").unwrap();
        assert_eq!(discover(None, &sub, Some(&user)), Some(repo.join("a").join(PROJECT_FILE)));
        assert_eq!(discover(Some(Path::new("x.toml")), &sub, Some(&user)), Some(PathBuf::from("x.toml")));
        // Outside a repository only the working directory counts.
        let loose = root.path().join("loose/deep");
        std::fs::create_dir_all(&loose).unwrap();
        assert_eq!(discover(None, &loose, None), None);
    }
}
