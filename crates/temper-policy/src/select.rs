//! `[[scope]]`: which rules apply to which images. The first scope whose
//! image globs match the reference (and, when it names namespaces, whose
//! namespace globs match the webhook's namespace) selects the image; when
//! none does, `no-match` decides. A policy without `[[scope]]` applies
//! every rule to every image.

use serde::Serialize;

use crate::config::{Loader, ScopeConfig};
use crate::verdict::ScopeMatch;
use crate::{NoMatch, Result};

/// A compiled scope.
#[derive(Debug)]
pub(crate) struct Scope {
    index: usize,
    globs: Vec<String>,
    images: Vec<globset::GlobMatcher>,
    namespaces: Option<Vec<globset::GlobMatcher>>,
    rules: Option<Vec<String>>,
    exempt: bool,
}

/// What the policy does with an image, known before it is assessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Selection {
    /// Rules apply.
    Rules {
        /// The scope that selected it.
        scope: ScopeMatch,
        /// The rules that apply (`rego` for every Rego rule); `None`: all.
        rules: Option<Vec<String>>,
    },
    /// Allowed as is: no assessment is needed.
    Exempt {
        /// The exempting scope.
        scope: ScopeMatch,
    },
    /// No scope selects it.
    NoMatch {
        /// What the policy does then.
        no_match: NoMatch,
    },
}

impl Selection {
    /// The scope part, as the verdict reports it.
    pub fn scope(&self) -> ScopeMatch {
        match self {
            Selection::Rules { scope, .. } | Selection::Exempt { scope } => scope.clone(),
            Selection::NoMatch { no_match } => ScopeMatch::None { no_match: *no_match },
        }
    }

    /// Whether the image must be assessed (it is neither exempt nor decided by `no-match`).
    pub fn needs_assessment(&self) -> bool {
        matches!(self, Selection::Rules { .. })
    }
}

pub(crate) fn compile(list: &[ScopeConfig], loader: &Loader<'_>) -> Result<Vec<Scope>> {
    list.iter()
        .enumerate()
        .map(|(index, s)| {
            let key = |k: &str| format!("scope[{index}].{k}");
            if s.images.is_empty() {
                return Err(loader.invalid(&key("images"), "a scope names at least one image glob (\"**\" for every image)"));
            }
            let images = s.images.iter().map(|g| loader.glob(g, &key("images"))).collect::<Result<_>>()?;
            let namespaces = s.namespaces.as_ref().map(|ns| ns.iter().map(|g| loader.glob(g, &key("namespaces"))).collect::<Result<_>>()).transpose()?;
            if let Some(r) = s.rules.iter().flatten().find(|r| r.get_ref() != "rego" && !crate::rules::IDS.contains(&r.get_ref().as_str())) {
                return Err(loader.at(r.span(), &key("rules"), format!("no rule is called `{}` (one of {}, rego)", r.get_ref(), crate::rules::IDS.join(", "))));
            }
            Ok(Scope {
                index,
                globs: s.images.iter().map(|g| g.get_ref().clone()).collect(),
                images,
                namespaces,
                rules: s.rules.as_ref().map(|r| r.iter().map(|r| r.get_ref().clone()).collect()),
                exempt: s.exempt,
            })
        })
        .collect()
}

pub(crate) fn select(scopes: &[Scope], no_match: NoMatch, reference: &str, namespace: Option<&str>) -> Selection {
    if scopes.is_empty() {
        return Selection::Rules { scope: ScopeMatch::All, rules: None };
    }
    let hit = scopes.iter().find(|s| {
        s.images.iter().any(|g| g.is_match(reference))
            && match (&s.namespaces, namespace) {
                (None, _) => true,
                (Some(globs), Some(ns)) => globs.iter().any(|g| g.is_match(ns)),
                (Some(_), None) => false,
            }
    });
    match hit {
        Some(s) => {
            let scope = ScopeMatch::Scope { index: s.index, images: s.globs.clone() };
            if s.exempt { Selection::Exempt { scope } } else { Selection::Rules { scope, rules: s.rules.clone() } }
        }
        None => Selection::NoMatch { no_match },
    }
}
