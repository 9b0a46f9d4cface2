//! `licenses`: no package is under a forbidden licence. Forbidden entries
//! are SPDX ids or expressions (every licence an expression names is
//! forbidden). A package's licence is read as an SPDX expression (leniently:
//! `GPL-2.0+`, `/` for OR, common imprecise names) and is forbidden only
//! when it cannot be satisfied without a forbidden licence, so
//! `MIT OR GPL-3.0-only` passes when only GPL-3.0-only is forbidden. A
//! licence that is not an expression is compared as written, without case.
//! A package's several licence entries all apply (as dpkg's copyright
//! files list them).

use serde::Deserialize;
use toml::Spanned;

use super::{Context, Outcome, Rule, split_waived};
use crate::config::Loader;
use crate::exceptions::Waivers;
use crate::input::{Assessment, Package};
use crate::{Mode, Result};

/// `[rules.licenses]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    #[serde(default)]
    pub mode: Mode,
    pub forbidden: Vec<Spanned<String>>,
}

#[derive(Debug)]
pub(crate) struct Licenses {
    ids: Vec<spdx::LicenseId>,
    /// The entries as written, for licences that are not expressions.
    names: Vec<String>,
}

impl Licenses {
    pub fn new(c: &Config, loader: &Loader<'_>) -> Result<Self> {
        let mut ids = Vec::new();
        for f in &c.forbidden {
            let expr = spdx::Expression::parse(f.get_ref()).map_err(|e| loader.at(f.span(), "rules.licenses.forbidden", format!("not an SPDX licence id or expression: {e}")))?;
            ids.extend(expr.requirements().filter_map(|r| r.req.license.id()));
        }
        Ok(Licenses { ids, names: c.forbidden.iter().map(|f| f.get_ref().clone()).collect() })
    }

    /// The forbidden licence entries of `p`.
    fn offending<'p>(&self, p: &'p Package) -> Vec<&'p str> {
        p.licenses
            .iter()
            .filter(|l| match spdx::Expression::parse_mode(l, spdx::ParseMode::LAX) {
                Ok(expr) => !expr.evaluate(|req| req.license.id().is_none_or(|id| !self.ids.contains(&id))),
                Err(_) => self.names.iter().any(|n| n.eq_ignore_ascii_case(l.trim())),
            })
            .map(String::as_str)
            .collect()
    }
}

impl Rule for Licenses {
    fn id(&self) -> &'static str {
        "licenses"
    }

    fn evaluate(&self, input: &Assessment, _: &Context, waivers: &Waivers<'_>) -> Outcome {
        let bad = input.packages.iter().filter_map(|p| {
            let l = self.offending(p);
            (!l.is_empty()).then(|| (p, l.join(" AND ")))
        });
        let item = |(p, l): &(&Package, String)| format!("{} {} ({l})", p.name, p.version);
        let (kept, waived) = split_waived(bad, |(p, _)| waivers.item([p.name.as_str(), p.purl.as_str()].into_iter()), item);
        let outcome = if kept.is_empty() {
            Outcome::pass("no package under a forbidden licence")
        } else {
            Outcome::fail(format!("{} package(s) under a forbidden licence", kept.len()), kept.iter().map(item).collect())
        };
        outcome.with_waived(waived)
    }
}
