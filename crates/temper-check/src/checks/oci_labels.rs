//! `oci-labels`: the image says where it comes from.
//!
//! The OCI annotation keys for the source repository, the revision, the
//! build time and the base image let a scanner's finding be traced back
//! to a commit and a base, and let tools tell when the base moved.
//! Missing them weakens traceability but exposes nothing, so this is
//! **low** in every profile.

use crate::{Check, Context, Outcome, Profile, Severity};

/// See the module documentation.
pub struct OciLabels;

/// The labels looked for.
const WANTED: [&str; 5] = [
    "org.opencontainers.image.source",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.created",
    "org.opencontainers.image.base.name",
    "org.opencontainers.image.base.digest",
];

impl Check for OciLabels {
    fn id(&self) -> &'static str {
        "oci-labels"
    }
    fn title(&self) -> &'static str {
        "Carries the OCI provenance labels"
    }
    fn severity(&self, _: Profile) -> Severity {
        Severity::Low
    }
    fn remediation(&self) -> &'static str {
        "Set the labels at build time, e.g. `docker buildx build --label org.opencontainers.image.revision=$(git rev-parse HEAD) …`, with `base.name` and `base.digest` naming the `FROM` image and its digest."
    }
    fn run(&self, cx: &Context<'_>) -> Outcome {
        let labels = cx.config.config.labels.as_ref();
        let missing: Vec<String> = WANTED
            .iter()
            .filter(|k| labels.and_then(|l| l.get(**k)).is_none_or(|v| v.trim().is_empty()))
            .map(|k| (*k).to_owned())
            .collect();
        match missing.len() {
            0 => Outcome::pass("all five OCI provenance labels are set"),
            n if n == WANTED.len() => Outcome::fail("none of the five OCI provenance labels is set", missing),
            n => Outcome::fail(format!("{n} of the five OCI provenance labels missing"), missing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::TestImage;
    use super::*;
    use crate::Status;

    #[test]
    fn all_five_pass() {
        let config = r#"{"Labels": {
            "org.opencontainers.image.source": "https://example.invalid/app",
            "org.opencontainers.image.revision": "0123abc",
            "org.opencontainers.image.created": "2026-11-01T00:00:00Z",
            "org.opencontainers.image.base.name": "docker.io/library/debian:12",
            "org.opencontainers.image.base.digest": "sha256:00"}}"#;
        let o = TestImage::new().config(config).run(&OciLabels);
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "all five OCI provenance labels are set"));
    }

    #[test]
    fn lists_the_missing_ones() {
        let config = r#"{"Labels": {"org.opencontainers.image.source": "https://example.invalid/app", "org.opencontainers.image.revision": " "}}"#;
        let o = TestImage::new().config(config).run(&OciLabels);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "4 of the five OCI provenance labels missing");
        assert_eq!(
            o.details,
            ["org.opencontainers.image.revision", "org.opencontainers.image.created", "org.opencontainers.image.base.name", "org.opencontainers.image.base.digest"]
        );
        let o = TestImage::new().config("{}").run(&OciLabels);
        assert_eq!((o.message.as_str(), o.details.len()), ("none of the five OCI provenance labels is set", 5));
    }
}
