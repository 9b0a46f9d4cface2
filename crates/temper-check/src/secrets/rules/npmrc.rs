//! npm's config files (`.npmrc` per user or project, `npmrc` globally):
//! `_authToken`, `_auth` (base64 `user:password`) and `_password` hold a
//! registry credential, usually scoped `//host/:_authToken=…`. A value
//! taken from the environment (`${NPM_TOKEN}`) is the recommended form.

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static AUTH: Rule = Rule {
    id: "npmrc-auth",
    title: "npm registry credential in npmrc",
    severity: Severity::High,
    keywords: &["_auth", "_password"],
    pattern: r#"(?m)(?:^|:)[ \t]*(?:_authToken|_auth|_password)[ \t]*=[ \t]*"?([^\s"]+)"#,
    min_entropy: 2.5,
    paths: Some(is_npmrc),
    accept: values::config_value,
    shown: 4,
    noisy: false,
};

fn is_npmrc(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == ".npmrc" || name == "npmrc"
}
