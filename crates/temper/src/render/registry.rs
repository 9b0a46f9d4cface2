//! `temper registry prune`: the plan as tables (per repository, every
//! ordinary tag and what happens to it, then every deletion), and what
//! `--apply` did.

use temper_retention::apply::Applied;
use temper_retention::plan::{Kind, Plan};

use super::columns;
use crate::size::human;

/// `sha256:` and the first 12 hex digits.
fn short(digest: &str) -> String {
    digest.get(..19).unwrap_or(digest).to_owned()
}

fn kind(k: Kind) -> &'static str {
    match k {
        Kind::Signature => "signature",
        Kind::Attestation => "attestation",
        Kind::Sbom => "sbom",
        Kind::ReferrersIndex => "referrers-index",
        Kind::Referrer => "referrer",
        Kind::Index => "index",
        Kind::Image => "image",
        Kind::Artifact => "artifact",
    }
}

/// The dry run.
pub fn plan(plan: &Plan) -> String {
    let mut out = String::new();
    for repo in &plan.repositories {
        out.push_str(&format!(
            "{}: {} tags kept, {} removed (accessory tags included); {} manifests kept, {} deleted; frees {}\n\n",
            super::escape(&repo.repository),
            repo.tags_kept,
            repo.tags_removed,
            repo.manifests_kept,
            repo.manifests_deleted,
            human(repo.bytes_freed)
        ));
        let mut rows = vec![vec!["TAG".to_owned(), "DIGEST".into(), "CREATED".into(), "SOURCE".into(), "ACTION".into(), "REASON".into()]];
        for t in &repo.tags {
            let created = t.age.created.map_or_else(|| "-".to_owned(), |c| c.date().to_string());
            rows.push(vec![t.tag.clone(), short(&t.digest), created, t.age.source.clone(), if t.keep { "keep" } else { "remove" }.into(), t.reason.clone()]);
        }
        out.push_str(&columns(&rows, &[]));
        if !repo.delete.is_empty() {
            let mut rows = vec![vec!["DELETE".to_owned(), "KIND".into(), "FREES".into(), "REASON".into()]];
            for d in &repo.delete {
                rows.push(vec![short(&d.digest), kind(d.kind).into(), human(d.bytes_freed), d.reason.clone()]);
            }
            out.push('\n');
            out.push_str(&columns(&rows, &[2]));
        }
        out.push('\n');
    }
    out.push_str(&format!("In all: {} tags removed, {} manifests deleted, {} freed (after the registry's garbage collection)\n", plan.tags_removed, plan.manifests_deleted, human(plan.bytes_freed)));
    out
}

/// What `--apply` did, one step a line.
pub fn applied(applied: &Applied) -> String {
    let mut rows = vec![vec!["STEP".to_owned(), "TARGET".into(), "OUTCOME".into()]];
    for s in &applied.steps {
        let outcome = match (&s.error, &s.placeholder) {
            (Some(e), _) => format!("failed: {e}"),
            (None, Some(p)) => format!("{} {}", s.outcome, short(p)),
            (None, None) => s.outcome.clone(),
        };
        rows.push(vec![s.action.to_owned(), s.target.clone(), outcome]);
    }
    columns(&rows, &[]) + &format!("{} steps, {} failed\n", applied.steps.len(), applied.failed)
}
