//! The secret rules as data, one file per family, listed once in [`RULES`].
//!
//! A rule is a regex whose capture group 1 is the secret, guarded by
//! keywords: the scanner runs one Aho-Corasick pass over a file for the
//! keywords of every rule and only then the regexes of the rules whose
//! keywords occur, so most files cost one linear scan. Rules for one file
//! format (`.npmrc`, `.env`…) name the files they apply to instead and run
//! on those files whatever their keywords.
//!
//! [`RULES`] is also the priority order: where two rules match the same
//! bytes, the earlier one reports them. Token formats with a fixed prefix
//! come first, file formats next, and the generic, entropy-gated rules
//! last, so a GitHub token in a `.env` file is a `github-pat`, not a
//! `dotenv-secret`.

mod aws;
mod docker_config;
mod dotenv;
mod gcp;
mod generic;
mod github;
mod gitlab;
mod jwt;
mod npmrc;
mod private_key;
mod pypirc;
mod slack;
mod stripe;
mod url_credentials;

use crate::Severity;
use crate::secrets::values;

/// One secret rule.
pub(crate) struct Rule {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// What it finds.
    pub title: &'static str,
    /// How bad a finding is.
    pub severity: Severity,
    /// Words one of which must occur before the regex runs: as written
    /// when the regex is case-sensitive, else in lower, upper, capitalised
    /// or camel case (`api_key`, `API_KEY`, `Api_key`, `apiKey`, `ApiKey`);
    /// empty only for rules with a [`Rule::paths`] filter.
    pub keywords: &'static [&'static str],
    /// The regex; capture group 1 is the secret.
    pub pattern: &'static str,
    /// Smallest Shannon entropy of the secret, in bits per byte (0: none).
    pub min_entropy: f64,
    /// The files this rule reads (by image path), for file-format rules;
    /// `None` for rules that apply to any text, metadata included.
    pub paths: Option<fn(&str) -> bool>,
    /// Whether a match's secret is real; rejects placeholders and
    /// documented example values.
    pub accept: fn(&values::Match<'_>) -> bool,
    /// How many leading bytes of the secret a report may show (at most 4).
    pub shown: usize,
    /// Whether the rule is too loose for documentation, tests and examples
    /// (READMEs, type declarations, `test/` trees), which are full of
    /// made-up credentials; such files are not read by it.
    pub noisy: bool,
}

/// Every rule, in priority order.
pub(crate) static RULES: &[&Rule] = &[
    &gcp::SERVICE_ACCOUNT,
    &private_key::PRIVATE_KEY,
    &aws::ACCESS_KEY_ID,
    &aws::SECRET_ACCESS_KEY,
    &github::PAT,
    &github::OAUTH,
    &github::APP_TOKEN,
    &github::REFRESH_TOKEN,
    &github::FINE_GRAINED_PAT,
    &gitlab::PAT,
    &gitlab::RUNNER_TOKEN,
    &slack::TOKEN,
    &slack::WEBHOOK,
    &stripe::SECRET_KEY,
    &jwt::JWT,
    &npmrc::AUTH,
    &pypirc::PASSWORD,
    &docker_config::AUTH,
    &url_credentials::URL_CREDENTIALS,
    &dotenv::SECRET,
    &generic::PASSWORD,
];
