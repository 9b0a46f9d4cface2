//! `healthcheck`: the image declares a `HEALTHCHECK`.
//!
//! Without one, Docker and Swarm cannot tell a hung process from a
//! working one and never restart it. Only Docker-format configs carry the
//! field (the OCI config has none, and Kubernetes uses its own probes), so
//! this is **low** in every profile: advice, not a hole.
//!
//! Fails when the config has no healthcheck, an empty test (which means
//! "inherit" while building and nothing in a finished image) or
//! `HEALTHCHECK NONE` (`["NONE"]`).

use crate::{Check, Context, Outcome, Profile, Severity};

/// See the module documentation.
pub struct Healthcheck;

impl Check for Healthcheck {
    fn id(&self) -> &'static str {
        "healthcheck"
    }
    fn title(&self) -> &'static str {
        "Declares a HEALTHCHECK"
    }
    fn severity(&self, _: Profile) -> Severity {
        Severity::Low
    }
    fn remediation(&self) -> &'static str {
        "Add `HEALTHCHECK CMD [\"/app/healthcheck\"]` (exec form, so no shell is needed), or rely on orchestrator probes and accept this finding."
    }
    fn run(&self, cx: &Context<'_>) -> Outcome {
        let Some(h) = &cx.config.config.healthcheck else { return Outcome::fail("no HEALTHCHECK", Vec::new()) };
        match h.test.split_first() {
            None => Outcome::fail("HEALTHCHECK with an empty test", Vec::new()),
            Some((kind, _)) if kind == "NONE" => Outcome::fail("HEALTHCHECK NONE disables the health check", Vec::new()),
            Some((kind, args)) => Outcome::pass(format!("HEALTHCHECK {kind} {}", args.join(" "))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::TestImage;
    use super::*;
    use crate::Status;

    fn run(config: &str) -> Outcome {
        TestImage::new().config(config).run(&Healthcheck)
    }

    #[test]
    fn a_test_command_passes() {
        let o = run(r#"{"Healthcheck": {"Test": ["CMD", "/app/server", "-health"], "Interval": 30000000000}}"#);
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "HEALTHCHECK CMD /app/server -health"));
    }

    #[test]
    fn absent_empty_or_none_fails() {
        assert_eq!(run("{}").message, "no HEALTHCHECK");
        assert_eq!(run("{}").status, Status::Fail);
        assert_eq!(run(r#"{"Healthcheck": {"Test": []}}"#).status, Status::Fail);
        let o = run(r#"{"Healthcheck": {"Test": ["NONE"]}}"#);
        assert_eq!((o.status, o.message.as_str()), (Status::Fail, "HEALTHCHECK NONE disables the health check"));
    }
}
