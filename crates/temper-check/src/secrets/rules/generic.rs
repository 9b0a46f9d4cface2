//! Any assignment of a secret-named key (`password`, `passwd`, `pwd`,
//! `secret`, `api_key`, `access_token`, `auth_token`, `client_secret`) to a
//! literal, in configuration or code: `password=…`, `"apiKey": "…"`,
//! `secret: …`. The noisiest rule, so the value must pass every gate: no
//! placeholder (`changeme`, `${VAR}`, `<password>`, `xxxx`, `****`,
//! `null`), no code (`opts.password`, `getenv(…)`), no prose (spaces), and
//! enough entropy. Unquoted values must also mix letter case or digits
//! (`passwd: setuid-binary` is prose).

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static PASSWORD: Rule = Rule {
    id: "generic-password",
    title: "Hard-coded password or secret",
    severity: Severity::Medium,
    keywords: &["passw", "pwd", "secret", "api_key", "apikey", "api-key", "access_token", "auth_token"],
    pattern: concat!(
        // The key ends with the keyword: `db_password`, `clientSecret`, not
        // `SecretId` or `secretsmanager`.
        r#"(?i)[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)["']?[ \t]*(?:=|:=|:|=>)[ \t]*"#,
        r#"(?:"([^"\r\n]{6,128})"|'([^'\r\n]{6,128})'|([^\s"'`,;()\[\]{}<>]{6,128}))"#,
    ),
    min_entropy: 3.0,
    paths: None,
    accept: values::password,
    shown: 4,
    noisy: true,
};
