//! Google Cloud service-account key files: JSON with `"type":
//! "service_account"` whose `private_key` holds a PKCS#8 PEM, newlines
//! escaped as `\n`. Reported before the plain PEM rule, so the key is named
//! for what it unlocks.

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static SERVICE_ACCOUNT: Rule = Rule {
    id: "gcp-service-account",
    title: "Google Cloud service-account key",
    severity: Severity::Critical,
    keywords: &["service_account"],
    pattern: r#""private_key"[ \t]*:[ \t]*"-----BEGIN (?:RSA )?PRIVATE KEY-----((?:\\n)+[A-Za-z0-9+/=\\]{64,}-----END (?:RSA )?PRIVATE KEY-----(?:\\n)*)""#,
    min_entropy: 4.0,
    paths: None,
    accept: values::token,
    shown: 0,
    noisy: false,
};
