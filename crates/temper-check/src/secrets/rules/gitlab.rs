//! GitLab tokens: personal, project and group access tokens start with
//! `glpat-`, runner authentication tokens with `glrt-`; at least 20
//! characters follow.

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static PAT: Rule = Rule {
    id: "gitlab-pat",
    title: "GitLab access token",
    severity: Severity::High,
    keywords: &["glpat-"],
    pattern: r"\b(glpat-[A-Za-z0-9_-]{20,})",
    min_entropy: 3.0,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};

pub(crate) static RUNNER_TOKEN: Rule = Rule {
    id: "gitlab-runner-token",
    title: "GitLab runner authentication token",
    severity: Severity::High,
    keywords: &["glrt-"],
    pattern: r"\b(glrt-[A-Za-z0-9_-]{20,})",
    min_entropy: 3.0,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};
