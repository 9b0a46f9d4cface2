//! Issue 12, point 7: lint time is linear in the file. Each generated
//! Dockerfile is near the parser's 4 MiB cap or has tens of thousands of
//! instructions or findings; a rule or lookup that looks back (or forward)
//! from every instruction or finding turns these into minutes, which the
//! watchdog catches. The bounds are generous (debug builds on a loaded
//! machine): they catch quadratic work, not slowness.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::mpsc;
use std::time::Duration;

use temper_lint::{Config, Context, Finding};

/// Far above a linear run in a debug build (a few seconds), far below a
/// quadratic one (minutes).
const WATCHDOG: Duration = Duration::from_secs(90);

const MAX: usize = temper_dockerfile::MAX_SOURCE_LEN;

/// Parses and lints `source` on a thread; fails when that takes longer than
/// the watchdog.
fn lint_within(name: &str, source: String) -> Vec<Finding> {
    assert!(source.len() <= MAX, "{name}: {} bytes", source.len());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let df = temper_dockerfile::parse(&source).expect("parse");
        let config = Config::default();
        let cx = Context { config: &config, dockerignore: Some(".git\n.env\nnode_modules\n"), build_context: true };
        let _ = tx.send(temper_lint::lint(&df, &cx));
    });
    match rx.recv_timeout(WATCHDOG) {
        Ok(findings) => findings,
        Err(_) => panic!("{name}: lint took over {WATCHDOG:?}: quadratic?"),
    }
}

fn count(findings: &[Finding], rule: &str) -> usize {
    findings.iter().filter(|f| f.rule == rule).count()
}

#[test]
fn many_runs_pipefail_and_consecutive() {
    let n = 100_000;
    let f = lint_within("RUN a", format!("FROM alpine:3.20\nSHELL [\"/bin/sh\", \"-c\"]\n{}", "RUN a | b\n".repeat(n)));
    assert_eq!(count(&f, "pipefail-missing"), n);
    let f = lint_within("RUN a", format!("FROM alpine:3.20\n{}", "RUN a\n".repeat(n)));
    assert_eq!(count(&f, "run-consecutive"), n - 1);
    let last = f.iter().rfind(|f| f.rule == "run-consecutive").unwrap();
    assert_eq!(last.line, n + 1);
}

#[test]
fn pipefail_from_the_base_stage_still_counts() {
    // The state is carried from stage to stage, not looked up: check it.
    let src = "FROM alpine AS a\nSHELL [\"/bin/ash\", \"-eo\", \"pipefail\", \"-c\"]\nFROM a AS b\nRUN x | y\nFROM alpine\nRUN x | y\nSHELL [\"/bin/ash\", \"-o\", \"pipefail\", \"-c\"]\nRUN x | y\n";
    let f = lint_within("stages", src.to_owned());
    let lines: Vec<usize> = f.iter().filter(|f| f.rule == "pipefail-missing").map(|f| f.line).collect();
    assert_eq!(lines, [6]);
}

#[test]
fn one_run_of_a_mib_of_and_lists() {
    // The full 4 MiB (and its memory) is tests/hostile_memory.rs.
    let n = MAX / 4 / "a && ".len();
    let f = lint_within("a && ", format!("FROM alpine:3.20\nRUN {}a\n", "a && ".repeat(n)));
    assert!(f.iter().all(|f| f.line <= 2));
}

#[test]
fn a_finding_per_command_on_one_long_line() {
    // Each chmod is a finding on the RUN's line, at its mode; columns count
    // characters (ü is two bytes) and are looked up per finding, as is the
    // ignore comment.
    let unit = "chmod 777 ü; ";
    let n = MAX / 4 / unit.len();
    let f = lint_within("chmod", format!("FROM alpine:3.20\n# temper ignore=chmod-777\nRUN {}true\n", unit.repeat(n)));
    assert_eq!(count(&f, "chmod-777"), 0, "the ignore comment applies to every finding");
    let f = lint_within("chmod", format!("FROM alpine:3.20\nRUN {}true\n", unit.repeat(n)));
    let modes: Vec<&Finding> = f.iter().filter(|f| f.rule == "chmod-777").collect();
    assert_eq!(modes.len(), n);
    let width = unit.chars().count();
    assert_eq!((modes[1].line, modes[1].column), (2, 5 + 6 + width));
    assert_eq!(modes[n - 1].column, 5 + 6 + width * (n - 1));
}

#[test]
fn rules_that_look_along_the_stage() {
    let n = 40_000;
    let f = lint_within("pip", format!("FROM python:3.12\n{}", "RUN pip install a==1\n".repeat(n)));
    assert_eq!(count(&f, "pip-no-cache-dir"), n);
    let f = lint_within("pip env", format!("FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\n{}", "RUN pip install a==1\n".repeat(n)));
    assert_eq!(count(&f, "pip-no-cache-dir"), 0);
    let f = lint_within("npm", format!("FROM node:22\nCOPY package-lock.json .\n{}", "RUN npm install\n".repeat(n)));
    assert_eq!(count(&f, "npm-install-instead-of-ci"), n);
    let f = lint_within("copy", format!("FROM node:22\n{}RUN npm ci\n", "COPY . .\n".repeat(n)));
    assert_eq!(count(&f, "broad-copy-before-install"), n);
    let f = lint_within("chown", format!("FROM node:22\n{}USER node\n", "COPY a /app/\n".repeat(n)));
    assert_eq!(count(&f, "copy-without-chown"), n);
    let f = lint_within("dev deps", format!("FROM node:22\n{}RUN npm prune --omit=dev\n{}", "RUN npm ci\n".repeat(n), "RUN npm ci\n".repeat(3)));
    assert_eq!(count(&f, "dev-dependencies-in-final-stage"), 3);
}

#[test]
fn a_long_pipeline_into_shells() {
    let n = MAX / 4 / "sh | ".len();
    let f = lint_within("curl | sh", format!("FROM alpine:3.20\nRUN curl -fsSL x | {}sh\n", "sh | ".repeat(n)));
    assert_eq!(count(&f, "curl-pipe-shell"), n + 1);
}


#[test]
fn many_envs_and_stages() {
    // Each ENV expands a variable: the scope was a list scanned per lookup
    // and copied per ENV.
    let n = 40_000;
    let envs: String = (0..n).map(|i: usize| format!("ENV a{i}=$a{}\n", i.saturating_sub(1))).collect();
    lint_within("ENV", format!("FROM alpine:3.20\n{envs}"));
    let stages: String = (0..5_000).map(|i| format!("FROM alpine:3.20 AS s{i}\nRUN a\n")).collect();
    lint_within("stages", stages);
}

#[test]
fn many_known_package_variables() {
    // Every RUN word a variable with a known value: the lookups stay
    // logarithmic, the recorded values bounded by the expansion budget.
    let n = 20_000;
    let args: String = (0..n).map(|i| format!("ARG P{i}=pkg{i}\n")).collect();
    let words: String = (0..n).map(|i| format!(" $P{i}")).collect();
    let f = lint_within("known vars", format!("FROM debian:12\n{args}RUN apt-get install -y{words}\n"));
    assert_eq!(count(&f, "apt-get-pin-versions"), 1);
}
