//! `base`: the image is built on a golden image: the base it names
//! (`image.base`) has one of `digests`, or was signed by one of `keys`
//! (`image.base.signers`, which the assessment fills in when the policy
//! asks, see [`crate::Policy::requirements`]).

use serde::Deserialize;
use toml::Spanned;

use super::{Context, Outcome, Rule};
use crate::config::Loader;
use crate::exceptions::Waivers;
use crate::input::Assessment;
use crate::{Mode, Requirements, Result};

/// `[rules.base]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub digests: Vec<Spanned<String>>,
    #[serde(default)]
    pub keys: Vec<Spanned<String>>,
}

#[derive(Debug)]
pub(crate) struct Base {
    digests: Vec<String>,
    key_ids: Vec<String>,
}

impl Base {
    pub fn new(c: &Config, loader: &mut Loader<'_>, requirements: &mut Requirements) -> Result<Self> {
        for d in &c.digests {
            let hex = d.get_ref().strip_prefix("sha256:").unwrap_or("");
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                return Err(loader.at(d.span(), "rules.base.digests", format!("'{}' is not a sha256:<64 hex> digest", d.get_ref())));
            }
        }
        let keys = loader.keys(&c.keys, "rules.base.keys")?;
        if keys.is_empty() && c.digests.is_empty() {
            return Err(loader.invalid("rules.base", "name `digests`, `keys` or both"));
        }
        let key_ids = keys.iter().map(|k| k.key_id()).collect();
        requirements.base_keys.extend(keys);
        Ok(Base { digests: c.digests.iter().map(|d| d.get_ref().clone()).collect(), key_ids })
    }
}

impl Rule for Base {
    fn id(&self) -> &'static str {
        "base"
    }

    fn evaluate(&self, input: &Assessment, _: &Context, _: &Waivers<'_>) -> Outcome {
        let Some(base) = &input.image.base else {
            return Outcome::fail("the image names no base image (org.opencontainers.image.base.digest), so it cannot be shown to be built on a golden image", Vec::new());
        };
        let name = format!("{}@{}", base.name.as_deref().unwrap_or("?"), base.digest.as_deref().unwrap_or("?"));
        if base.digest.as_ref().is_some_and(|d| self.digests.contains(d)) {
            return Outcome::pass(format!("base {name} is an allowed golden image"));
        }
        if let Some(id) = base.signers.iter().filter_map(|s| s.key_id.as_ref()).find(|id| self.key_ids.contains(id)) {
            return Outcome::pass(format!("base {name} is signed by key {id}"));
        }
        Outcome::fail(format!("base {name} is neither an allowed digest nor signed by a golden key"), vec![name])
    }
}
