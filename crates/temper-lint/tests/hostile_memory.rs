//! Issue 12, point 7: memory of `RUN` + 4 MiB of `a && `. The shell parser
//! keeps a token and a syntax-tree node of some hundreds of bytes per word;
//! parsed in one piece, that script took 1 GB. It is parsed in pieces now,
//! so what stays is the model (one `SimpleCommand` per `a`). The process's
//! peak resident size (this file holds one test, so nothing else runs
//! meanwhile) must stay far below 1 GB; the bound is loose.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use temper_lint::{Config, Context};

/// The process's peak resident set in KiB (`VmHWM`), on Linux.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()
}

#[test]
fn four_mib_of_and_lists_stays_within_a_few_hundred_mib() {
    let n = (temper_dockerfile::MAX_SOURCE_LEN - 64) / "a && ".len();
    let source = format!("FROM alpine:3.20\nRUN {}a\n", "a && ".repeat(n));
    let df = temper_dockerfile::parse(&source).expect("parse");
    assert_eq!(df.shell_commands().count(), n + 1);
    let config = Config::default();
    let findings = temper_lint::lint(&df, &Context { config: &config, dockerignore: None, build_context: false });
    assert!(findings.iter().all(|f| f.line <= 2));
    let Some(peak) = peak_rss_kib() else {
        eprintln!("no /proc/self/status: peak memory not checked");
        return;
    };
    // About 200 MiB now (160 bytes of model per command and the vector's
    // growth); 1 GB when the script was parsed whole.
    assert!(peak < 500 << 10, "peak resident size {} MiB", peak >> 10);
}
