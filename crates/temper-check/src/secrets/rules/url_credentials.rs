//! A password inside a URL (`scheme://user:password@host`), as in
//! connection strings. URL parsers and their tests are full of
//! `user:pass@` examples, so the password must not be a placeholder, must
//! mix character classes with some entropy, and the host must not be a
//! documentation domain.

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static URL_CREDENTIALS: Rule = Rule {
    id: "url-credentials",
    title: "Password in a URL",
    severity: Severity::High,
    keywords: &["://"],
    pattern: r#"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@"'`<>\\]{1,64}:([^\s:/@"'`<>\\]{1,128})@[A-Za-z0-9._-]+"#,
    min_entropy: 3.0,
    paths: None,
    accept,
    shown: 4,
    noisy: true,
};

fn accept(m: &values::Match<'_>) -> bool {
    let host = m.text.rsplit(|&b| b == b'@').next().unwrap_or_default();
    values::password(m) && values::classes(m.secret) >= 3 && !values::contains_ci(host, b"example")
}
