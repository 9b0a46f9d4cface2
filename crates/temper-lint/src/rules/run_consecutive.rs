//! `run-consecutive` (hadolint DL3059): two RUNs in a row that could be one.
//! Each RUN is a layer and a cache step; two one-command RUNs with the same
//! flags gain nothing from being apart.
//!
//! Reported at the second of two RUNs that follow each other in a stage
//! (comments and blank lines between do not count) when both have the same
//! flags, in any order, and each runs a single command (a command
//! substitution's commands count: `cp $(cat list) /x` runs two). Longer
//! RUNs are often kept apart on purpose, for the cache, so they are left
//! alone, as hadolint does.

use temper_dockerfile::{Command, Dockerfile, Instruction, InstructionKind, Script};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct RunConsecutive;

static META: RuleMeta = RuleMeta {
    id: "run-consecutive",
    hadolint: Some("DL3059"),
    severity: Severity::Info,
    message: "Consecutive RUNs that could be one",
    hint: "Join them with `&&` in one RUN, unless they are apart on purpose for the build cache.",
    doc: "Every RUN is a layer and a cache step. Two RUNs in a row with the same flags, each running a single command, make an extra layer for nothing; join them with `&&`. Only one-command RUNs are reported, since longer RUNs are often split on purpose so that a change in the second does not rebuild the first.",
};

/// How many commands a RUN runs, substitutions' commands included;
/// `None` when its script was not parsed.
fn command_count(ins: &Instruction) -> Option<usize> {
    match &ins.kind {
        InstructionKind::Run(Some(Command::Exec { .. })) => Some(1),
        InstructionKind::Run(Some(Command::Shell(_))) => {
            let mut count = 0;
            for script in ins.scripts() {
                let s = match script {
                    Script::Parsed(s) => s,
                    // A RUN made only of heredoc markers: the heredocs hold
                    // the scripts.
                    Script::NotParsed => continue,
                    Script::Failed(_) | Script::NotShell { .. } => return None,
                };
                count += s.commands.len();
            }
            Some(count)
        }
        _ => None,
    }
}

fn flags(df: &Dockerfile, ins: &Instruction) -> Vec<String> {
    let mut flags: Vec<String> = ins.flags.iter().map(|f| df.text(f.span).to_owned()).collect();
    flags.sort();
    flags
}

impl Rule for RunConsecutive {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for pair in df.instructions.windows(2) {
            let [first, second] = pair else { continue };
            let both_runs = matches!(first.kind, InstructionKind::Run(_)) && matches!(second.kind, InstructionKind::Run(_));
            if !both_runs || first.stage != second.stage {
                continue;
            }
            if command_count(first) == Some(1) && command_count(second) == Some(1) && flags(df, first) == flags(df, second) {
                let line = df.position(first.span.start).line;
                out.push(Violation::with(second.keyword_span, format!("RUN right after the one-command RUN on line {line}; they could be one")));
            }
        }
        out
    }
}
