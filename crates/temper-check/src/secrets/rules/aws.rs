//! AWS credentials. An access key id is `AKIA` (long-term), `ASIA`
//! (temporary), `ABIA` or `ACCA` plus 16 upper-case letters and digits; the
//! secret access key is 40 base64 characters with no prefix of its own, so
//! it is only taken next to the name every AWS tool gives it.
//! AWS's documented examples (`…EXAMPLE`, `…EXAMPLEKEY`) are ignored.

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static ACCESS_KEY_ID: Rule = Rule {
    id: "aws-access-key-id",
    title: "AWS access key id",
    severity: Severity::High,
    keywords: &["AKIA", "ASIA", "ABIA", "ACCA"],
    pattern: r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b",
    min_entropy: 3.0,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};

pub(crate) static SECRET_ACCESS_KEY: Rule = Rule {
    id: "aws-secret-access-key",
    title: "AWS secret access key",
    severity: Severity::Critical,
    keywords: &["secret_access_key", "secretaccesskey", "secret-access-key", "aws_secret_key", "awssecretkey"],
    pattern: r#"(?i)(?:secret[_-]?access[_-]?key|aws[_-]?secret[_-]?key)["']?[ \t]*(?:=|:|=>)[ \t]*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
    min_entropy: 3.5,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};
