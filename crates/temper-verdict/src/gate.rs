//! The gate: one image's assessment judged by a policy, the verdict `temper
//! gate` prints and the admission webhook answers with. The policy says
//! what the assessment must verify (its keys, attestation types and base
//! keys), so signatures are checked with exactly what the rules count; an
//! image the policy decides without looking (exempt, or no scope selects
//! it) is not opened at all.

use temper_policy::{Policy, Verdict};

use crate::assessment::{self, Assessed, Request, Trust};
use crate::{Error, Reporter, trust};

/// A verdict and, unless the policy decided without one, the assessment it judged.
pub struct Gated {
    /// The verdict.
    pub verdict: Verdict,
    /// The assessment; `None` for an image the policy exempts or leaves to `no-match`.
    pub assessed: Option<Assessed>,
}

/// What the policy needs verified, as trust policies: the image's
/// signature and attestation keys and keyless identities, and the base's keys.
pub fn trust_of(policy: &Policy) -> (Option<trust::Policy>, Option<trust::Policy>) {
    let r = policy.requirements();
    let mut keys = r.signature_keys.clone();
    keys.extend(r.attestation_keys.iter().filter(|k| !r.signature_keys.contains(k)).cloned());
    // The policy compares subject and issuer exactly, so the verifier does too.
    let keyless = r.trusted_root.as_ref().filter(|_| !r.identities.is_empty()).map(|root| trust::Keyless {
        root: root.clone(),
        identities: r.identities.iter().map(|i| temper_trust::keyless::Identity { subject: temper_trust::keyless::Pattern::Exact(i.subject.clone()), issuer: temper_trust::keyless::Pattern::Exact(i.issuer.clone()) }).collect(),
    });
    let image = (!keys.is_empty() || keyless.is_some()).then(|| trust::Policy { keys, keyless });
    let base = (!r.base_keys.is_empty()).then(|| trust::Policy { keys: r.base_keys.clone(), keyless: None });
    (image, base)
}

/// Judges the image `request` names by `policy` (`namespace` for the
/// webhook). `request.trust` is filled from the policy's requirements.
pub fn gate(request: Request<'_>, policy: &Policy, namespace: Option<&str>, reporter: &dyn Reporter) -> Result<Gated, Error> {
    if let Some(verdict) = policy.decide_unassessed(request.reference, namespace) {
        return Ok(Gated { verdict, assessed: None });
    }
    let (image_trust, base_trust) = trust_of(policy);
    // Only what the selected rules read is verified: a scope without the
    // base rule costs no lookup of the base.
    let selected = match policy.select(request.reference, namespace) {
        temper_policy::Selection::Rules { rules, .. } => rules,
        _ => None,
    };
    let applies = |rule: &str| selected.as_ref().is_none_or(|rules| rules.iter().any(|r| r == rule || r == "rego"));
    let attestation_types = if applies("attestation") { policy.requirements().attestation_types.clone() } else { Vec::new() };
    let image_trust = image_trust.filter(|_| applies("signature") || !attestation_types.is_empty());
    let base_trust = base_trust.filter(|_| applies("base"));
    let request = Request {
        trust: Trust { policy: image_trust.as_ref(), attestation_types, base: base_trust.as_ref() },
        ..request
    };
    let assessed = assessment::assess(&request, reporter)?;
    let document = serde_json::to_value(&assessed.assessment).map_err(|e| Error::Input(format!("{}: the assessment could not be written as JSON: {e}", request.reference)))?;
    let today = time::OffsetDateTime::now_utc().date();
    let verdict = policy.evaluate(&document, temper_policy::Request { namespace, today })?;
    Ok(Gated { verdict, assessed: Some(assessed) })
}
