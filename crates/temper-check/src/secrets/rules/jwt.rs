//! JSON Web Tokens: three base64url parts, the first two JSON objects, so
//! both start `eyJ` (`{"`). A match counts only if its header decodes to
//! JSON naming an `alg`; the token every JWT tutorial shows (subject
//! `1234567890`) is an example, not a credential.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static JWT: Rule = Rule {
    id: "jwt",
    title: "JSON Web Token",
    severity: Severity::Medium,
    keywords: &["eyJ"],
    pattern: r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})",
    min_entropy: 4.0,
    paths: None,
    accept,
    shown: 4,
    noisy: true,
};

fn accept(m: &values::Match<'_>) -> bool {
    let mut parts = m.secret.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else { return false };
    let (Ok(header), Ok(payload)) = (URL_SAFE_NO_PAD.decode(header), URL_SAFE_NO_PAD.decode(payload)) else { return false };
    let example = payload.windows(10).any(|w| w == b"1234567890");
    values::token(m) && header.starts_with(b"{") && values::contains(&header, b"\"alg\"") && payload.starts_with(b"{") && !example
}
