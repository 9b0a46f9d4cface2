//! `attestation` (each `[[rules.attestation]]`): the image carries a
//! verified attestation of `type`, signed by one of `keys` when keys are
//! given, whose predicate meets every condition.
//!
//! `type` is a predicate type URI or one of cosign's short names
//! (`slsaprovenance1`, `slsaprovenance`, `cyclonedx`, `spdx`, `spdxjson`,
//! `vuln`, `openvex`). `builder-id` is a shorthand for the SLSA builder's id
//! (`runDetails.builder.id` in v1, `builder.id` in v0.2); `conditions` test
//! any predicate field by its dotted path, `equals` a value or `matches` a
//! glob. The assessment holds only verified statements, so one that is
//! there was signed by a key or identity the assessment trusted.

use serde::Deserialize;
use toml::Spanned;

use super::{Context, Outcome, Rule};
use crate::config::Loader;
use crate::exceptions::Waivers;
use crate::input::Assessment;
use crate::{Mode, Requirements, Result};

/// One `[[rules.attestation]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    #[serde(default)]
    pub mode: Mode,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub keys: Vec<Spanned<String>>,
    pub builder_id: Option<String>,
    #[serde(default)]
    pub conditions: Vec<ConditionConfig>,
}

/// A test on one predicate field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ConditionConfig {
    pub path: String,
    pub equals: Option<toml::Value>,
    pub matches: Option<Spanned<String>>,
}

#[derive(Debug)]
enum Test {
    Equals(serde_json::Value),
    Matches(globset::GlobMatcher),
}

#[derive(Debug)]
struct Condition {
    /// Alternative paths: the first present is tested.
    paths: Vec<Vec<String>>,
    test: Test,
    text: String,
}

#[derive(Debug)]
pub(crate) struct Attestation {
    predicate_type: String,
    key_ids: Vec<String>,
    conditions: Vec<Condition>,
}

/// The URI of a cosign short name, else `kind` itself.
fn predicate_type(kind: &str) -> &str {
    match kind {
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "spdx" => "https://spdx.dev/Document",
        "spdxjson" => "https://spdx.dev/Document",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex" => "https://openvex.dev/ns",
        other => other,
    }
}

fn split(path: &str) -> Vec<String> {
    path.split('.').map(str::to_owned).collect()
}

impl Attestation {
    pub fn new(c: &Config, n: usize, loader: &mut Loader<'_>, requirements: &mut Requirements) -> Result<Self> {
        let key = |k: &str| format!("rules.attestation[{n}].{k}");
        let predicate_type = predicate_type(&c.kind).to_owned();
        if !predicate_type.contains(':') {
            return Err(loader.invalid(&key("type"), format!("'{}' is neither a predicate type URI nor one of slsaprovenance1, slsaprovenance, cyclonedx, spdx, spdxjson, vuln, openvex", c.kind)));
        }
        let keys = loader.keys(&c.keys, &key("keys"))?;
        let mut conditions = Vec::new();
        if let Some(id) = &c.builder_id {
            conditions.push(Condition { paths: vec![split("runDetails.builder.id"), split("builder.id")], test: Test::Equals(serde_json::Value::String(id.clone())), text: format!("builder id is {id}") });
        }
        for (i, cond) in c.conditions.iter().enumerate() {
            let test = match (&cond.equals, &cond.matches) {
                (Some(v), None) => Test::Equals(serde_json::to_value(v).map_err(|e| loader.invalid(&key(&format!("conditions[{i}].equals")), e))?),
                (None, Some(g)) => Test::Matches(loader.glob(g, &key(&format!("conditions[{i}].matches")))?),
                _ => return Err(loader.invalid(&key(&format!("conditions[{i}]")), "give exactly one of `equals` and `matches`")),
            };
            let text = match &test {
                Test::Equals(v) => format!("{} = {v}", cond.path),
                Test::Matches(g) => format!("{} matches {}", cond.path, g.glob()),
            };
            conditions.push(Condition { paths: vec![split(&cond.path)], test, text });
        }
        if !requirements.attestation_types.contains(&predicate_type) {
            requirements.attestation_types.push(predicate_type.clone());
        }
        let key_ids = keys.iter().map(|k| k.key_id()).collect();
        requirements.attestation_keys.extend(keys);
        Ok(Attestation { predicate_type, key_ids, conditions })
    }
}

impl Condition {
    fn holds(&self, predicate: &serde_json::Value) -> bool {
        let value = self.paths.iter().find_map(|p| p.iter().try_fold(predicate, |v, k| v.get(k)));
        match (&self.test, value) {
            (Test::Equals(want), Some(v)) => v == want,
            (Test::Matches(g), Some(serde_json::Value::String(s))) => g.is_match(s),
            _ => false,
        }
    }
}

impl Rule for Attestation {
    fn id(&self) -> &'static str {
        "attestation"
    }

    fn evaluate(&self, input: &Assessment, _: &Context, _: &Waivers<'_>) -> Outcome {
        let of_type: Vec<_> = input
            .attestations
            .iter()
            .filter(|a| a.predicate_type == self.predicate_type)
            .filter(|a| self.key_ids.is_empty() || a.signer.key_id.as_ref().is_some_and(|id| self.key_ids.contains(id)))
            .collect();
        if of_type.is_empty() {
            let by = if self.key_ids.is_empty() { String::new() } else { " signed by the policy's keys".to_owned() };
            return Outcome::fail(format!("no verified {} attestation{by}", self.predicate_type), Vec::new());
        }
        if of_type.iter().any(|a| self.conditions.iter().all(|c| c.holds(&a.predicate))) {
            return Outcome::pass(format!("a verified {} attestation meets every condition", self.predicate_type));
        }
        let unmet: Vec<String> = self.conditions.iter().filter(|c| !of_type.iter().any(|a| c.holds(&a.predicate))).map(|c| c.text.clone()).collect();
        Outcome::fail(format!("no {} attestation meets the conditions", self.predicate_type), unmet)
    }
}
