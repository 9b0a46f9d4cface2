//! `expose-port-range` (hadolint DL3011): ports are 0 to 65535; a larger
//! number in `EXPOSE` is a typo that BuildKit rejects or misreads.
//!
//! Ranges (`8000-8010`) are checked at both ends; ports given by
//! unresolved variables or that are not numbers are left alone.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct ExposePortRange;

static META: RuleMeta = RuleMeta {
    id: "expose-port-range",
    hadolint: Some("DL3011"),
    severity: Severity::Error,
    message: "EXPOSE port outside 0-65535",
    hint: "Use a port between 0 and 65535.",
    doc: "TCP and UDP ports are 16-bit numbers, so `EXPOSE 80800` is a typo. Both ends of a range (`EXPOSE 8000-8010/tcp`) are checked; ports from unresolved variables are skipped. Fix the number: `EXPOSE 8080`.",
};

impl Rule for ExposePortRange {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for ins in &df.instructions {
            let InstructionKind::Expose(ports) = &ins.kind else {
                continue;
            };
            for w in ports.iter().filter(|w| w.unresolved.is_empty()) {
                let port = w.value.split('/').next().unwrap_or_default();
                let bad = port.split('-').any(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u32>().map_or(true, |n| n > 65535));
                if bad {
                    out.push(Violation::with(w.span, format!("EXPOSE port {} outside 0-65535", w.value)));
                }
            }
        }
        out
    }
}
