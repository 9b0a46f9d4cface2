//! GitHub tokens: since 2021 each kind has its own prefix (`ghp_` personal,
//! `gho_` OAuth, `ghu_`/`ghs_` GitHub App user-to-server and installation,
//! `ghr_` refresh) and 36 base62 characters; fine-grained personal tokens
//! are `github_pat_`, 22 characters, `_`, 59 characters.

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static PAT: Rule = Rule {
    id: "github-pat",
    title: "GitHub personal access token",
    severity: Severity::High,
    keywords: &["ghp_"],
    pattern: r"\b(ghp_[A-Za-z0-9]{36})\b",
    min_entropy: 3.0,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};

pub(crate) static OAUTH: Rule = Rule {
    id: "github-oauth",
    title: "GitHub OAuth access token",
    severity: Severity::High,
    keywords: &["gho_"],
    pattern: r"\b(gho_[A-Za-z0-9]{36})\b",
    min_entropy: 3.0,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};

pub(crate) static APP_TOKEN: Rule = Rule {
    id: "github-app-token",
    title: "GitHub App token",
    severity: Severity::High,
    keywords: &["ghu_", "ghs_"],
    pattern: r"\b((?:ghu|ghs)_[A-Za-z0-9]{36})\b",
    min_entropy: 3.0,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};

pub(crate) static REFRESH_TOKEN: Rule = Rule {
    id: "github-refresh-token",
    title: "GitHub refresh token",
    severity: Severity::High,
    keywords: &["ghr_"],
    pattern: r"\b(ghr_[A-Za-z0-9]{36})\b",
    min_entropy: 3.0,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};

pub(crate) static FINE_GRAINED_PAT: Rule = Rule {
    id: "github-fine-grained-pat",
    title: "GitHub fine-grained personal access token",
    severity: Severity::High,
    keywords: &["github_pat_"],
    pattern: r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
    min_entropy: 3.0,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};
