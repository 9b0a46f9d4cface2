//! The binary on the bundled example: the README's shown output is the real
//! output, thresholds exit as documented, errors are one line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temper(args: &[&str]) -> Output {
    // The README shows piped output: no width or colour from the caller's environment.
    Command::new(env!("CARGO_BIN_EXE_temper")).args(args).current_dir(root()).env_remove("COLUMNS").env_remove("CLICOLOR_FORCE").output().expect("run temper")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn readme_shows_real_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let mut checked = 0;
    for block in readme.split("<!-- output: ").skip(1) {
        let (args, rest) = block.split_once(" -->\n```text\n").expect("output block");
        let shown = rest.split_once("```").expect("closing fence").0;
        let args: Vec<&str> = args.split_whitespace().collect();
        let out = temper(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let actual = format!("$ temper {}\n{}", args.join(" "), String::from_utf8_lossy(&out.stdout));
        assert_eq!(shown, actual, "README block for {args:?} is stale");
        checked += 1;
    }
    assert!(checked >= 3, "README must show inspect, layers and --tree output");
}

#[test]
fn thresholds_exit_one_with_a_reason() {
    let fail = temper(&["layers", "--min-efficiency", "95%", "examples/demo-app"]);
    assert_eq!(fail.status.code(), Some(1));
    let err = stderr(&fail);
    assert!(err.starts_with("temper: threshold failed: efficiency 92.33% is below the minimum 95.00%"), "{err}");
    assert_eq!(err.lines().count(), 1);

    assert_eq!(temper(&["layers", "--max-wasted", "100KB", "examples/demo-app"]).status.code(), Some(1));
    assert_eq!(temper(&["layers", "--max-wasted", "524288", "examples/demo-app"]).status.code(), Some(0));
    assert_eq!(temper(&["layers", "--max-wasted", "90%", "examples/demo-app"]).status.code(), Some(0));
    assert_eq!(temper(&["layers", "--max-wasted", "80%", "examples/demo-app"]).status.code(), Some(1));
    assert_eq!(temper(&["layers", "--max-size", "1MB", "examples/demo-app"]).status.code(), Some(1));
    let ok = temper(&["layers", "--format", "json", "--min-efficiency", "0.9", "--max-size", "4MiB", "examples/demo-app"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("json");
    assert_eq!(v["thresholds"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["thresholds"][0]["passed"], true);
}

#[test]
fn example_facts() {
    let out = temper(&["layers", "--format", "json", "examples/demo-app"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["wasted_bytes"], 524_288, "cache.bin, 256 KiB in layers 1 and 2");
    assert_eq!(v["wasted_files"][0]["path"], "app/data/cache.bin");
    assert_eq!(v["layers"][2]["whiteouts"], serde_json::json!(["app/tmp"]));
    assert_eq!(v["layers"][2]["compression"], "zstd");
    assert_eq!(v["layers"][0]["compression"], "gzip");
    // app/tmp held build.log (26,000 B) and objects.bin (65,536 B); cache.bin
    // (262,144 B) was overwritten.
    assert_eq!(v["layers"][2]["removed_bytes"], 26_000 + 65_536);
    assert_eq!(v["shadowed_bytes"], 26_000 + 65_536 + 262_144);
    let i = temper(&["inspect", "--format", "json", "examples/demo-app"]);
    let v: serde_json::Value = serde_json::from_slice(&i.stdout).expect("json");
    assert_eq!(v["config"]["user"], "app");
    assert_eq!(v["config"]["stop_signal"], "SIGTERM");
    assert_eq!(v["config"]["healthcheck"]["Retries"], 3);
    assert_eq!(v["history"][1]["empty_layer"], true);
    assert_eq!(v["history"][2]["layer"], 1);
}

#[test]
fn usage_and_input_errors_exit_two_on_one_line() {
    for args in [
        vec!["layers", "--tree", "--layer", "7", "examples/demo-app"],
        vec!["layers", "--min-efficiency", "2", "examples/demo-app"],
        vec!["layers", "--max-size", "12 parsecs", "examples/demo-app"],
        vec!["inspect", "./no/such/image"],
        vec!["inspect", "oci:examples/demo-app:no-such-tag"],
        vec!["inspect", "--platform", "linux", "examples/demo-app"],
    ] {
        let out = temper(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.starts_with("temper: error: "), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    let tag = stderr(&temper(&["inspect", "oci:examples/demo-app:no-such-tag"]));
    assert!(tag.contains("no manifest tagged 'no-such-tag'; tags: 1.1.0"), "{tag}");
}

#[test]
fn dir_source_walks_a_root_filesystem() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("usr/bin")).expect("mkdir");
    std::fs::write(dir.path().join("usr/bin/tool"), vec![7u8; 1000]).expect("write");
    std::os::unix::fs::symlink("usr/bin", dir.path().join("bin")).expect("symlink");
    let src = format!("dir:{}", dir.path().display());
    let out = temper(&["layers", "--format", "json", &src]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["visible_bytes"], 1000);
    assert_eq!(v["visible_files"], 1);
    assert_eq!(v["layers"][0]["diff_id"], serde_json::Value::Null);
    let tree = String::from_utf8_lossy(&temper(&["layers", "--tree", &src]).stdout).into_owned();
    assert!(tree.contains("bin -> usr/bin"), "{tree}");
}

#[test]
fn a_corrupt_cache_heals_once_and_says_so() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("layers-v1.sqlite"), b"not a database, not at all".repeat(200)).expect("write");
    let cache = dir.path().to_str().expect("utf-8");
    let first = temper(&["sbom", "--cache-dir", cache, "examples/demo-app"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let err = stderr(&first);
    assert!(err.starts_with("temper: warning: layer cache ") && err.contains("was corrupt") && err.contains("layers-v1.sqlite.corrupt"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let second = temper(&["sbom", "--cache-dir", cache, "examples/demo-app"]);
    assert!(second.status.success() && second.stderr.is_empty(), "{}", stderr(&second));
    assert_eq!(first.stdout.len(), second.stdout.len());
}

#[test]
fn the_entry_cap_names_the_image_and_its_flag() {
    for args in [&["layers", "--max-entries", "5", "examples/demo-app"][..], &["sbom", "--no-cache", "--max-entries", "5", "examples/demo-app"]] {
        let (cmd, out) = (args[0], temper(args));
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let err = stderr(&out);
        assert!(err.starts_with("temper: error: ") && err.contains("examples/demo-app") && err.contains("more than 5 tar entries") && err.contains("--max-entries"), "{cmd}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn shell_completions_and_man_pages_come_from_the_argument_definitions() {
    let out = temper(&["completions", "bash"]);
    assert!(out.status.success());
    let bash = String::from_utf8_lossy(&out.stdout);
    assert!(bash.contains("_temper()") && bash.contains("--allow-partial-db"), "bash completion knows the scan flags");
    let zsh = temper(&["completions", "zsh"]);
    assert!(String::from_utf8_lossy(&zsh.stdout).starts_with("#compdef temper"));
    assert!(String::from_utf8_lossy(&temper(&["completions", "fish"]).stdout).contains("complete -c temper"));
    let dir = tempfile::tempdir().unwrap();
    let out = temper(&["man", "--output", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let scan = std::fs::read_to_string(dir.path().join("temper-scan.1")).unwrap();
    assert!(scan.starts_with(".ie") || scan.contains(".TH temper-scan 1"), "roff: {}", &scan[..80.min(scan.len())]);
    assert!(scan.contains("allow\\-partial\\-db"), "the page documents every flag");
    for page in ["temper.1", "temper-db-check.1", "temper-lint.1"] {
        assert!(dir.path().join(page).is_file(), "{page}");
    }
    let top = temper(&["man"]);
    assert!(String::from_utf8_lossy(&top.stdout).contains(".TH temper 1"));
}

#[test]
fn readme_signed_golden_example_runs_as_shown() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let block = readme.split("<!-- signed-example -->\n```console\n").nth(1).expect("signed example block").split("```").next().unwrap();
    let mut lines = block.lines().peekable();
    let mut key_id = None;
    let mut ran = 0;
    while let Some(line) = lines.next() {
        let command = line.strip_prefix("$ ").expect("a command line");
        let mut words = command.split_whitespace().peekable();
        let mut env = Vec::new();
        while let Some((k, v)) = words.peek().and_then(|w| w.split_once('=')).filter(|(k, _)| k.chars().all(|c| c.is_ascii_uppercase() || c == '_')) {
            env.push((k.to_owned(), v.to_owned()));
            words.next();
        }
        assert_eq!(words.next(), Some("temper"));
        let args: Vec<&str> = words.collect();
        let out = Command::new(env!("CARGO_BIN_EXE_temper")).args(&args).env_remove("TEMPER_PASSWORD").envs(env).current_dir(root()).output().expect("run temper");
        assert!(out.status.success(), "{command}: {}", stderr(&out));
        let mut shown = String::new();
        while lines.peek().is_some_and(|l| !l.starts_with("$ ")) {
            shown.push_str(lines.next().unwrap());
            shown.push('\n');
        }
        let mut actual = String::from_utf8_lossy(&out.stdout).into_owned();
        if args.first() == Some(&"key") {
            key_id = stderr(&out).split("key id ").nth(1).map(|s| s.trim_end().trim_end_matches(')').to_owned());
        }
        if let Some(id) = &key_id {
            actual = actual.replace(id.as_str(), "KEY-ID");
        }
        assert_eq!(shown, actual, "{command}");
        ran += 1;
    }
    assert_eq!(ran, 7);
}
