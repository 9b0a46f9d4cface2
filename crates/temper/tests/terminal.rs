//! How output meets the terminal, on the bundled example: tables fit
//! `COLUMNS`, colour follows `--color`, `NO_COLOR` and `CLICOLOR_FORCE`, and
//! `--quiet` silences warnings but not errors. The child's stdout is a
//! pipe, so these are the environment's and the flags' effects alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// temper with `env` set and the terminal variables of the test's own
/// environment removed.
fn temper(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_temper"));
    cmd.args(args).current_dir(root());
    for var in ["COLUMNS", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run temper")
}

const SCAN: &[&str] = &["scan", "examples/demo-app", "--advisories", "examples/advisories", "--no-cache"];

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

fn widest(s: &str) -> usize {
    s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// The cells before the TITLE column of every finding row.
fn fixed_cells(s: &str) -> Vec<Vec<String>> {
    s.lines().filter(|l| l.starts_with("  CVE-")).map(|l| l.split_whitespace().take(4).map(str::to_owned).collect()).collect()
}

#[test]
fn tables_fit_the_terminal_width() {
    let wide = stdout(&temper(SCAN, &[]));
    assert!(widest(&wide) > 80, "the example must overflow 80 columns unshrunk:\n{wide}");
    let narrow = stdout(&temper(SCAN, &[("COLUMNS", "80")]));
    assert!(widest(&narrow) <= 80, "{narrow}");
    assert_eq!(wide.lines().count(), narrow.lines().count());
    // Ids, severities and versions stay whole; only the title is cut.
    assert!(!fixed_cells(&wide).is_empty());
    assert_eq!(fixed_cells(&wide), fixed_cells(&narrow));
    assert!(narrow.matches('…').count() > wide.matches('…').count(), "{narrow}");
    // The SBOM table shrinks its PATH column, never name or version.
    let sbom = stdout(&temper(&["sbom", "examples/demo-app", "--no-cache"], &[("COLUMNS", "60")]));
    assert!(widest(&sbom) <= 60, "{sbom}");
    assert!(sbom.contains("busybox-static  1:1.35.0-4+deb12u1+b1  deb"), "{sbom}");
    // The check summary cuts its RESULT column.
    let wide_check = String::from_utf8(temper(&["check", "examples/demo-app", "--no-cache"], &[]).stdout).expect("utf-8");
    let check = String::from_utf8(temper(&["check", "examples/demo-app", "--no-cache"], &[("COLUMNS", "100")]).stdout).expect("utf-8");
    let summary = |s: &str| s.lines().filter(|l| ["PASS ", "FAIL ", "SKIP "].iter().any(|w| l.starts_with(w))).map(str::to_owned).collect::<Vec<_>>();
    assert!(summary(&wide_check).iter().any(|l| l.chars().count() > 100), "{wide_check}");
    assert!(summary(&check).iter().all(|l| l.chars().count() <= 100), "{check}");
    assert_eq!(summary(&check).len(), summary(&wide_check).len());
    // Not a number, or zero: as if unset.
    assert_eq!(stdout(&temper(SCAN, &[("COLUMNS", "wide")])), wide);
    assert_eq!(stdout(&temper(SCAN, &[("COLUMNS", "0")])), wide);
}

#[test]
fn no_color_and_color_flag_are_honoured() {
    let plain = stdout(&temper(SCAN, &[]));
    assert!(!plain.contains('\u{1b}'), "piped output is plain by default");
    let always = stdout(&temper(&[SCAN, &["--color", "always"]].concat(), &[]));
    assert!(always.contains("\u{1b}[2mUNKNOWN\u{1b}[0m"), "{always}");
    // The words stay, and colour never shifts a column.
    let stripped = always.replace("\u{1b}[0m", "").replace("\u{1b}[2m", "");
    assert_eq!(stripped, plain);
    // A global flag: before the subcommand too.
    assert_eq!(stdout(&temper(&[&["--color", "always"], SCAN].concat(), &[])), always);
    // Auto: CLICOLOR_FORCE colours a pipe, NO_COLOR (non-empty) wins over it, an empty NO_COLOR is unset.
    assert_eq!(stdout(&temper(SCAN, &[("CLICOLOR_FORCE", "1")])), always);
    assert_eq!(stdout(&temper(SCAN, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])), plain);
    assert_eq!(stdout(&temper(SCAN, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")])), always);
    assert_eq!(stdout(&temper(&[SCAN, &["--color", "never"]].concat(), &[("CLICOLOR_FORCE", "1")])), plain);
    // lint's snippets follow the same choice.
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("Dockerfile"), "FROM debian\nRUN apt-get install -y curl\n").expect("write");
    let lint = |args: &[&str], env: &[(&str, &str)]| temper(&[&["lint", dir.path().to_str().expect("utf-8")], args].concat(), env).stdout;
    assert!(lint(&["--color", "always"], &[]).contains(&0x1b));
    assert!(lint(&[], &[("CLICOLOR_FORCE", "1")]).contains(&0x1b));
    assert!(!lint(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains(&0x1b));
    assert!(!lint(&[], &[]).contains(&0x1b));
    let bad = temper(&[SCAN, &["--color", "sometimes"]].concat(), &[]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn check_pass_and_fail_are_coloured_only_when_asked() {
    let check = |color: &str| String::from_utf8(temper(&["check", "examples/demo-app", "--no-cache", "--color", color], &[]).stdout).expect("utf-8");
    let (plain, always) = (check("never"), check("always"));
    assert!(!plain.contains('\u{1b}'), "{plain}");
    assert!(plain.lines().any(|l| l.starts_with("FAIL ")) && plain.lines().any(|l| l.starts_with("PASS ")), "{plain}");
    assert!(always.contains("\u{1b}[1m\u{1b}[31mFAIL\u{1b}[0m") && always.contains("\u{1b}[32mPASS\u{1b}[0m"), "{always}");
    // The words stay where they were: stripping the colour gives the plain table.
    let stripped = ["\u{1b}[1m", "\u{1b}[31m", "\u{1b}[32m", "\u{1b}[2m", "\u{1b}[0m"].iter().fold(always, |s, code| s.replace(code, ""));
    assert_eq!(stripped, plain);
}

#[test]
fn quiet_silences_warnings_not_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = dir.path().to_str().expect("utf-8");
    let corrupt = || std::fs::write(dir.path().join("layers-v1.sqlite"), b"not a database, not at all".repeat(200)).expect("write");
    corrupt();
    let loud = temper(&["sbom", "--cache-dir", cache, "examples/demo-app"], &[]);
    assert!(String::from_utf8_lossy(&loud.stderr).starts_with("temper: warning: layer cache "), "{}", String::from_utf8_lossy(&loud.stderr));
    corrupt();
    let quiet = temper(&["sbom", "-q", "--cache-dir", cache, "examples/demo-app"], &[]);
    assert!(quiet.status.success() && quiet.stderr.is_empty(), "{}", String::from_utf8_lossy(&quiet.stderr));
    assert_eq!(quiet.stdout, loud.stdout);
    // Errors still print, and so does every failed threshold.
    let error = temper(&["--quiet", "inspect", "/nonexistent/image.tar"], &[]);
    assert_eq!(error.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&error.stderr).starts_with("temper: error: "), "{}", String::from_utf8_lossy(&error.stderr));
    let failed = temper(&["layers", "-q", "examples/demo-app", "--max-size", "1B"], &[]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("temper: threshold failed: "), "{}", String::from_utf8_lossy(&failed.stderr));
}
