//! `signature`: the image is signed by `count` distinct signers (default 1)
//! among the policy's keys and keyless identities. Keys are compared by
//! id (SHA-256 of the SubjectPublicKeyInfo, as `temper-trust` computes it);
//! identities by subject and issuer, exactly. Keyless certificates are
//! verified against `trusted-root` (a Sigstore `trusted_root.json`), which
//! identities need. The assessment must have
//! looked for signatures with these keys ([`crate::Policy::requirements`]):
//! when `signatures.checked` is false the rule fails, since nothing shows
//! the image is signed.

use serde::Deserialize;
use toml::Spanned;

use super::{Context, Outcome, Rule};
use crate::config::Loader;
use crate::exceptions::Waivers;
use crate::input::{Assessment, Signer};
use crate::{Identity, Mode, Requirements, Result};

/// `[rules.signature]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub keys: Vec<Spanned<String>>,
    #[serde(default)]
    pub identities: Vec<Identity>,
    pub trusted_root: Option<Spanned<String>>,
    pub count: Option<Spanned<usize>>,
}

/// Who may sign: key ids and keyless identities.
#[derive(Debug, Default)]
pub(crate) struct Trusted {
    pub key_ids: Vec<String>,
    pub identities: Vec<Identity>,
}

impl Trusted {
    /// The distinct trusted signers among `signers`: `key:ID` or `SUBJECT (ISSUER)`.
    pub fn matching<'a>(&self, signers: impl Iterator<Item = &'a Signer>) -> Vec<String> {
        let mut found: Vec<String> = signers
            .filter_map(|s| {
                if let Some(id) = s.key_id.as_deref().filter(|id| self.key_ids.iter().any(|k| k == id)) {
                    return Some(format!("key:{id}"));
                }
                let (subject, issuer) = (s.identity.as_deref()?, s.issuer.as_deref()?);
                self.identities.iter().any(|i| i.subject == subject && i.issuer == issuer).then(|| format!("{subject} ({issuer})"))
            })
            .collect();
        found.sort();
        found.dedup();
        found
    }
}

#[derive(Debug)]
pub(crate) struct Signature {
    trusted: Trusted,
    count: usize,
}

impl Signature {
    pub fn new(c: &Config, loader: &mut Loader<'_>, requirements: &mut Requirements) -> Result<Self> {
        let keys = loader.keys(&c.keys, "rules.signature.keys")?;
        if keys.is_empty() && c.identities.is_empty() {
            return Err(loader.invalid("rules.signature", "name `keys`, `identities` or both"));
        }
        let count = c.count.as_ref().map_or(1, |n| *n.get_ref());
        if let Some(n) = c.count.as_ref().filter(|n| *n.get_ref() == 0 || *n.get_ref() > keys.len() + c.identities.len()) {
            return Err(loader.at(n.span(), "rules.signature.count", format!("count must be from 1 to the number of keys and identities ({})", keys.len() + c.identities.len())));
        }
        match (&c.trusted_root, c.identities.is_empty()) {
            (None, false) => return Err(loader.invalid("rules.signature", "`identities` need `trusted-root`, the Sigstore trusted_root.json their certificates chain to")),
            (Some(name), true) => return Err(loader.at(name.span(), "rules.signature.trusted-root", "a trusted root is only for keyless `identities`; name them, or remove it")),
            (Some(name), false) => {
                let (path, bytes) = loader.read(name, "rules.signature.trusted-root")?;
                let root = temper_trust::keyless::TrustedRoot::parse(&bytes).map_err(|e| loader.at(name.span(), "rules.signature.trusted-root", format!("{}: {e}", path.display())))?;
                requirements.trusted_root = Some(root);
            }
            (None, true) => {}
        }
        let trusted = Trusted { key_ids: keys.iter().map(|k| k.key_id()).collect(), identities: c.identities.clone() };
        requirements.signature_keys.extend(keys);
        requirements.identities.extend(c.identities.iter().cloned());
        Ok(Signature { trusted, count })
    }
}

impl Rule for Signature {
    fn id(&self) -> &'static str {
        "signature"
    }

    fn evaluate(&self, input: &Assessment, _: &Context, _: &Waivers<'_>) -> Outcome {
        if !input.signatures.checked {
            return Outcome::fail("signatures were not checked: assess the image with this policy's keys and identities", Vec::new());
        }
        let found = self.trusted.matching(input.signatures.verified.iter());
        if found.len() >= self.count {
            Outcome { items: Vec::new(), ..Outcome::pass(format!("signed by {} trusted signer(s): {}", found.len(), found.join(", "))) }
        } else {
            Outcome::fail(format!("signed by {} trusted signer(s), {} required", found.len(), self.count), found)
        }
    }
}
