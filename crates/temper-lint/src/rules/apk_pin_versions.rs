//! `apk-pin-versions` (hadolint DL3018, info in temper): `apk add curl`
//! installs whatever the repository has at build time.
//!
//! Accepted: `pkg=1.2.3-r0`, fuzzy and range constraints (`pkg~1.2`,
//! `"pkg>1.2"`), local packages (`./x.apk`, `/tmp/x.apk`), the virtual
//! package name after `-t`/`--virtual`, and words that are expansions.

use temper_dockerfile::Dockerfile;

use crate::rules::per_run;
use crate::shell::{APK_VALUE_FLAGS, invocation, operands_in, packages};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct ApkPinVersions;

static META: RuleMeta = RuleMeta {
    id: "apk-pin-versions",
    hadolint: Some("DL3018"),
    severity: Severity::Info,
    message: "apk add without version pins",
    hint: "Pin versions: `apk add curl=8.5.0-r0`.",
    doc: "`apk add curl` takes whatever the Alpine repository serves at build time, so rebuilds drift. Accepted: `curl=8.5.0-r0`, fuzzy or range constraints (`curl~8.5`, `\"curl>8\"`), local `.apk` files, the virtual package named by `-t`/`--virtual`, and words that are expansions. Reported as info. Write `apk add --no-cache curl=8.5.0-r0`.",
};

impl Rule for ApkPinVersions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        per_run(df, |ins, c| {
            let args = invocation(c, &["apk"], &["add"], APK_VALUE_FLAGS)?;
            let unpinned: Vec<String> = operands_in(args, APK_VALUE_FLAGS)
                .into_iter()
                .flat_map(|w| packages(ins, w))
                .filter(|p| !p.contains(['=', '~', '<', '>']) && !p.ends_with(".apk") && !p.starts_with(['.', '/']))
                .collect();
            (!unpinned.is_empty()).then(|| format!("apk add without version pins: {}", unpinned.join(", ")))
        })
    }
}
