//! The `policy.toml` schema and the helpers that read what it names.
//!
//! Errors name the file, line, column and dotted key, as the config file of
//! `temper-verdict` does: values that are checked after parsing (globs,
//! paths, licence ids) are kept `Spanned` so their errors point at them too.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::Sha256;
use toml::Spanned;

use crate::{Error, Result};

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct File {
    /// What happens to images no scope selects.
    #[serde(default)]
    pub no_match: NoMatch,
    /// Which rules apply to which images.
    #[serde(default)]
    pub scope: Vec<ScopeConfig>,
    /// The built-in rules that are on.
    #[serde(default)]
    pub rules: crate::rules::Config,
    /// Conftest-style Rego policies.
    pub rego: Option<RegoConfig>,
    /// Findings or images a rule lets through until a date.
    #[serde(default)]
    pub exceptions: Vec<ExceptionConfig>,
}

/// What happens to an image no `[[scope]]` selects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoMatch {
    /// It fails.
    Deny,
    /// It passes with a warning.
    Warn,
    /// It passes.
    #[default]
    Allow,
}

/// Whether a rule's failure fails the image or only warns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// A failure fails the image.
    #[default]
    Enforce,
    /// A failure is reported as a warning.
    Warn,
}

/// One `[[scope]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ScopeConfig {
    /// Globs on the image reference.
    pub images: Vec<Spanned<String>>,
    /// Globs on the webhook's namespace; absent: any (and none).
    pub namespaces: Option<Vec<Spanned<String>>>,
    /// Rule ids (and `rego`); absent: every rule.
    pub rules: Option<Vec<Spanned<String>>>,
    /// Allowed without an assessment.
    #[serde(default)]
    pub exempt: bool,
}

/// `[rego]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RegoConfig {
    /// `.rego` files, or directories whose `*.rego` (not `*_test.rego`) are read.
    pub files: Vec<Spanned<String>>,
    /// JSON or YAML documents merged into `data`.
    #[serde(default)]
    pub data: Vec<Spanned<String>>,
    /// The packages whose `deny`/`violation`/`warn` rules count (default `main`).
    #[serde(default = "default_namespaces")]
    pub namespaces: Vec<String>,
}

fn default_namespaces() -> Vec<String> {
    vec!["main".to_owned()]
}

/// One `[[exceptions]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ExceptionConfig {
    /// The built-in rule it applies to.
    pub rule: Spanned<String>,
    /// The items (finding ids and aliases, package names, secret paths, check ids) it lets through.
    #[serde(default)]
    pub ids: Vec<String>,
    /// Globs on the image reference it is limited to.
    #[serde(default)]
    pub images: Vec<Spanned<String>>,
    /// The last day it applies.
    pub expires: Spanned<toml::value::Datetime>,
    /// Why: shown in every verdict it changes.
    pub reason: Spanned<String>,
}

/// What reading the files a policy names needs: where they are relative
/// to, and the digest they are added to.
pub(crate) struct Loader<'a> {
    /// The policy file's directory.
    pub base: &'a Path,
    /// The policy file.
    pub policy: &'a Path,
    /// Its text, for error places.
    pub text: &'a str,
    /// The policy digest being computed.
    pub hasher: &'a mut Sha256,
}

impl Loader<'_> {
    /// An error about the value at `span` under `key`.
    pub fn at(&self, span: std::ops::Range<usize>, key: &str, message: impl std::fmt::Display) -> Error {
        Error::Invalid(temper_toml::at(self.policy, self.text, span, key, message))
    }

    /// An error about `key` as a whole, which has no single place.
    pub fn invalid(&self, key: &str, message: impl std::fmt::Display) -> Error {
        Error::Invalid(format!("{}: `{key}`: {}", self.policy.display(), temper_toml::one_line(&message.to_string())))
    }

    /// `name` relative to the policy file.
    pub fn path(&self, name: &str) -> PathBuf {
        self.base.join(name)
    }

    /// Reads `name` (relative to the policy file), adding it to the digest.
    pub fn read(&mut self, name: &Spanned<String>, key: &str) -> Result<(PathBuf, Vec<u8>)> {
        let path = self.path(name.get_ref());
        let bytes = read_bounded(&path).map_err(|e| self.at(name.span(), key, e))?;
        crate::digest_part(self.hasher, &path, &bytes);
        Ok((path, bytes))
    }

    /// The verifying keys in the PEM files `names`.
    pub fn keys(&mut self, names: &[Spanned<String>], key: &str) -> Result<Vec<temper_trust::key::VerifyingKey>> {
        names
            .iter()
            .map(|n| {
                let (path, bytes) = self.read(n, key)?;
                temper_trust::key::VerifyingKey::from_pem(&bytes).map_err(|e| self.at(n.span(), key, format!("{}: not a public key in PEM: {e}", path.display())))
            })
            .collect()
    }

    /// A glob on references or namespaces: `*` does not cross `/`, `**` does.
    pub fn glob(&self, g: &Spanned<String>, key: &str) -> Result<globset::GlobMatcher> {
        globset::GlobBuilder::new(g.get_ref()).literal_separator(true).build().map(|g| g.compile_matcher()).map_err(|e| self.at(g.span(), key, e.kind()))
    }
}

/// The largest file a policy reads (a key, a Rego or data file).
pub(crate) const MAX_FILE_BYTES: u64 = 16 << 20;

/// The bytes of `path`, refused past [`MAX_FILE_BYTES`] (a policy naming
/// `/dev/zero` must not hang).
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let read_error = |source| Error::Read { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(read_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::Invalid(format!("{}: larger than {MAX_FILE_BYTES} bytes", path.display())));
    }
    Ok(bytes)
}

/// `text`, the TOML file at `path`, parsed as `T`; errors say
/// `FILE:LINE:COLUMN: KEY: what is wrong`.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    temper_toml::parse(path, text).map_err(Error::Invalid)
}
