//! `--apply`: exactly the plan, nothing else. Per repository the tags go
//! first (by `DELETE`, else the placeholder of
//! [`temper_image::registry::delete`]), then the manifests in the plan's
//! order. A failure is recorded and the rest goes on; the caller reports
//! and exits non-zero.

use serde::Serialize;
use temper_image::registry::delete::{Repository, Untagged};
use temper_image::{Digest, RegistryOptions, RegistryRef};

use crate::plan::Plan;

/// What one step did.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// `untag` or `delete`.
    pub action: &'static str,
    /// `host/repository:tag` or `host/repository@digest`.
    pub target: String,
    /// `deleted`, `untagged`, `untagged via placeholder sha256:…`, or `failed`.
    pub outcome: String,
    /// The placeholder manifest written and deleted to remove a tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What `--apply` did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Applied {
    /// Every step, in order.
    pub steps: Vec<Step>,
    /// Steps that failed.
    pub failed: usize,
}

/// Performs `plan`.
pub fn apply(plan: &Plan, opts: &RegistryOptions) -> Applied {
    let mut out = Applied::default();
    for repo in &plan.repositories {
        if repo.untag.is_empty() && repo.delete.is_empty() {
            continue;
        }
        let connected = RegistryRef::parse(&repo.repository).and_then(|r| Repository::connect(&r, opts));
        let repository = match connected {
            Ok(r) => r,
            Err(e) => {
                out.steps.push(Step { action: "connect", target: repo.repository.clone(), outcome: "failed".into(), placeholder: None, error: Some(e.to_string()) });
                out.failed += 1;
                continue;
            }
        };
        for t in &repo.untag {
            let target = format!("{}:{}", repo.repository, t.tag);
            let step = match repository.untag(&t.tag) {
                Ok(Untagged::Deleted) => Step { action: "untag", target, outcome: "untagged".into(), placeholder: None, error: None },
                Ok(Untagged::Placeholder(d)) => Step { action: "untag", target, outcome: "untagged via placeholder".into(), placeholder: Some(d.to_string()), error: None },
                Err(e) => Step { action: "untag", target, outcome: "failed".into(), placeholder: None, error: Some(e.to_string()) },
            };
            out.failed += usize::from(step.error.is_some());
            out.steps.push(step);
        }
        for d in &repo.delete {
            let target = format!("{}@{}", repo.repository, d.digest);
            let result = Digest::parse(&d.digest).map_err(|e| e.to_string()).and_then(|digest| repository.delete_manifest(&digest).map_err(|e| e.to_string()));
            let step = match result {
                Ok(()) => Step { action: "delete", target, outcome: "deleted".into(), placeholder: None, error: None },
                Err(e) => Step { action: "delete", target, outcome: "failed".into(), placeholder: None, error: Some(e) },
            };
            out.failed += usize::from(step.error.is_some());
            out.steps.push(step);
        }
    }
    out
}
