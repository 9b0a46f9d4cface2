//! Private keys in PEM armour: PKCS#1 (`RSA`), SEC1 (`EC`), `DSA`, PKCS#8
//! (plain and `ENCRYPTED`), `OPENSSH` and PGP (`PGP PRIVATE KEY BLOCK`).
//! A match needs a body of base64 lines and the END line, so code that
//! only mentions the header (a parser's constant, a placeholder such as
//! `<private key>`) is not a key. Newlines may be real or escaped as `\n`
//! (keys inside JSON or environment strings). Only the BEGIN line is ever
//! shown.

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static PRIVATE_KEY: Rule = Rule {
    id: "private-key",
    title: "Private key",
    severity: Severity::Critical,
    keywords: &["PRIVATE KEY"],
    pattern: concat!(
        r"-----BEGIN (?:[A-Z0-9]+ ){0,2}PRIVATE KEY(?: BLOCK)?-----",
        // The secret: optional armour headers (`Proc-Type:`, `Version:`),
        // then at least two lines of base64, then the END line.
        r"((?:[ \t]*(?:\r?\n|\\r\\n|\\n))+",
        r"(?:[A-Za-z-]+:[^\r\n\\]*(?:\r?\n|\\r\\n|\\n)(?:[ \t]*(?:\r?\n|\\r\\n|\\n))*)*",
        r"(?:[ \t]*[A-Za-z0-9+/=]{16,}[ \t]*(?:\r?\n|\\r\\n|\\n)){2,}",
        r"(?:[ \t]*[A-Za-z0-9+/=]*[ \t]*(?:\r?\n|\\r\\n|\\n))*",
        r"-----END (?:[A-Z0-9]+ ){0,2}PRIVATE KEY(?: BLOCK)?-----)",
    ),
    min_entropy: 4.0,
    paths: None,
    accept: values::token,
    shown: 0,
    noisy: false,
};
