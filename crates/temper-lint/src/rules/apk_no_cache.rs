//! `apk-no-cache` (hadolint DL3019): without `--no-cache`, `apk add`
//! leaves the index in `/var/cache/apk`, which ships in the layer.
//!
//! Accepted: `--no-cache` anywhere on the command (`apk --no-cache add`),
//! and a cache mount over `/var/cache/apk` or `/etc/apk/cache`. A later
//! `rm -rf /var/cache/apk/*` is not accepted, as with hadolint:
//! `--no-cache` says the same without the index ever being written.

use temper_dockerfile::Dockerfile;

use crate::rules::per_run;
use crate::shell::{APK_VALUE_FLAGS, has_flag_in, invocation};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct ApkNoCache;

static META: RuleMeta = RuleMeta {
    id: "apk-no-cache",
    hadolint: Some("DL3019"),
    severity: Severity::Info,
    message: "apk add without --no-cache",
    hint: "Use `apk add --no-cache …` (no `apk update` needed).",
    doc: "`apk add` without `--no-cache` stores the package index in `/var/cache/apk`, which then ships in the layer; `--no-cache` fetches the index on the fly and needs no `apk update` or clean-up. Accepted: `--no-cache` in any position, and `RUN --mount=type=cache,target=/var/cache/apk`. Write `RUN apk add --no-cache curl=8.5.0-r0`.",
};

impl Rule for ApkNoCache {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        per_run(df, |ins, c| {
            let args = invocation(c, &["apk"], &["add"], APK_VALUE_FLAGS)?;
            let mounted = ins.mounts().any(|m| {
                m.kind == "cache"
                    && m.get("target").or_else(|| m.get("dst")).or_else(|| m.get("destination")).is_some_and(|t| {
                        let t = t.trim_end_matches('/');
                        t == "/var/cache/apk" || t == "/etc/apk/cache"
                    })
            });
            (!has_flag_in(args, None, &["no-cache"]) && !mounted).then(|| META.message.to_owned())
        })
    }
}
