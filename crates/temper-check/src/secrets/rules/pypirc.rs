//! `.pypirc`, the upload credentials of Python packaging tools: a
//! `password` line in a repository section (an API token or a password).

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static PASSWORD: Rule = Rule {
    id: "pypirc-password",
    title: "Package index password in .pypirc",
    severity: Severity::High,
    keywords: &["password"],
    pattern: r"(?m)^[ \t]*password[ \t]*[=:][ \t]*([^\s#;]+)[ \t]*\r?$",
    min_entropy: 2.5,
    paths: Some(is_pypirc),
    accept: values::config_value,
    shown: 4,
    noisy: false,
};

fn is_pypirc(path: &str) -> bool {
    path.rsplit('/').next() == Some(".pypirc")
}
