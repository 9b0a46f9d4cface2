//! Stripe live-mode secret (`sk_live_`) and restricted (`rk_live_`) keys.
//! Test-mode keys (`sk_test_`) cannot move money and are not reported.

use super::Rule;
use crate::Severity;
use crate::secrets::values;

pub(crate) static SECRET_KEY: Rule = Rule {
    id: "stripe-secret-key",
    title: "Stripe live secret key",
    severity: Severity::Critical,
    keywords: &["sk_live_", "rk_live_"],
    pattern: r"\b((?:sk|rk)_live_[A-Za-z0-9]{20,})",
    min_entropy: 3.0,
    paths: None,
    accept: values::token,
    shown: 4,
    noisy: false,
};
