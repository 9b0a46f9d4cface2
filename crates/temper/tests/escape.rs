//! Issue 12, point 5: text from an image never reaches the terminal raw.
//! A docker-archive built here carries a file named with an OSC title
//! sequence and a newline, a U+202E name, an os-release PRETTY_NAME and a
//! dpkg package with ESC sequences, and a config whose labels, env, history
//! and tag carry them too; every human-readable output must be free of raw
//! control characters and keep one line per entry, while JSON keeps the
//! names as they are.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;
use sha2::{Digest, Sha256};

const TITLE: &str = "\u{1b}]0;pwned\u{7}";
const CLEAR: &str = "\u{1b}[2J\u{1b}[H";

fn evil_file() -> String {
    format!("srv/evil{TITLE}\nname")
}

fn layer(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        // Names go in as bytes: no path checks for what an image may hold.
        b.append_data(&mut h, name, data.as_slice()).expect("append");
    }
    b.into_inner().expect("tar")
}

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A `docker save` archive of one uncompressed layer.
fn archive(path: &Path, layer: &[u8]) {
    let config = json!({
        "architecture": "amd64", "os": "linux",
        "config": {
            "Env": ["PATH=/bin", format!("EVIL={TITLE}")],
            "Labels": {format!("org{CLEAR}"): format!("v{TITLE}\r\nforged")},
            "User": "app\u{1b}[8m",
            "WorkingDir": "/srv\u{7}",
            "Cmd": [format!("sh{TITLE}")],
        },
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", sha(layer))]},
        "history": [{"created_by": format!("/bin/sh -c #(nop) {TITLE}\u{202e}ADD evil")}],
    })
    .to_string()
    .into_bytes();
    let layer_name = format!("{}/layer.tar", sha(layer));
    let config_name = format!("{}.json", sha(&config));
    let manifest = json!([{"Config": config_name, "RepoTags": [format!("hostile{CLEAR}:latest")], "Layers": [layer_name]}]).to_string().into_bytes();
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [(layer_name.as_str(), layer), (config_name.as_str(), config.as_slice()), ("manifest.json", manifest.as_slice())] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).expect("append");
    }
    std::fs::write(path, b.into_inner().expect("tar")).expect("write");
}

fn image(dir: &Path) -> String {
    let os_release = format!("ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian {TITLE}{CLEAR}GNU/Linux 12\"\n");
    let status = format!(
        "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n\
         Package: evil{CLEAR}pkg\nStatus: install ok installed\nVersion: 1.0{TITLE}\nArchitecture: amd64\n\n"
    );
    let files = vec![
        ("etc/os-release".to_owned(), os_release.into_bytes()),
        ("var/lib/dpkg/status".to_owned(), status.into_bytes()),
        (evil_file(), b"x".to_vec()),
        ("srv/invoice\u{202e}txt.exe".to_owned(), b"y".to_vec()),
        ("srv/cr\rhidden\u{9b}31m".to_owned(), b"z".to_vec()),
    ];
    let path = dir.join("hostile.tar");
    archive(&path, &layer(&files));
    format!("docker-archive:{}", path.display())
}

fn temper(args: &[&str]) -> Output {
    let cache = tempfile::tempdir().expect("tempdir");
    Command::new(env!("CARGO_BIN_EXE_temper")).args(args).env("TEMPER_CACHE_DIR", cache.path()).output().expect("run temper")
}

/// No raw control character other than the newlines that end lines, and no
/// C1 control or bidi override.
fn assert_clean(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}'))
        .collect();
    assert!(bad.is_empty(), "{what}: raw {bad:?} in\n{}", text.escape_debug());
}

fn stdout_of(args: &[&str]) -> String {
    let out = temper(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_clean(&format!("{args:?} stderr"), &stderr);
    assert!(out.status.success() || out.status.code() == Some(1), "{args:?}: {stderr}");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert_clean(&format!("{args:?}"), &stdout);
    stdout
}

#[test]
fn tables_trees_and_errors_escape_image_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = image(dir.path());

    let sbom = stdout_of(&["sbom", &src]);
    assert!(sbom.contains("OS  Debian \\x1b]0;pwned\\x07\\x1b[2J\\x1b[HGNU/Linux 12"), "{sbom}");
    let row = sbom.lines().find(|l| l.starts_with("evil")).expect("evil package row");
    assert!(row.starts_with("evil\\x1b[2J\\x1b[Hpkg  1.0\\x1b]0;pwned\\x07"), "{row}");

    // One line per entry: `/`, etc, os-release, srv, its three files, var,
    // lib, dpkg, status.
    let tree = stdout_of(&["layers", "--tree", &src]);
    assert_eq!(tree.lines().count(), 11, "{tree}");
    assert!(tree.lines().any(|l| l.ends_with("evil\\x1b]0;pwned\\x07\\nname")), "{tree}");
    assert!(tree.contains("invoice\\u{202e}txt.exe") && tree.contains("cr\\rhidden\\u{9b}31m"), "{tree}");

    let inspect = stdout_of(&["inspect", &src]);
    for expected in ["EVIL=\\x1b]0;pwned\\x07", "org\\x1b[2J\\x1b[H=v\\x1b]0;pwned\\x07\\r\\nforged", "app\\x1b[8m", "/srv\\x07", "\\u{202e}ADD evil"] {
        assert!(inspect.contains(expected), "{expected} not in\n{inspect}");
    }
    stdout_of(&["layers", &src]);
    stdout_of(&["check", &src]);

    // The error quotes the archive's tags.
    let out = temper(&["inspect", &format!("{src}:no-such-tag")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert_clean("error", &stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // JSON keeps the names as they are (JSON escapes them itself).
    let json: serde_json::Value = serde_json::from_slice(&temper(&["sbom", "--format", "json", &src]).stdout).expect("json");
    let names: Vec<&str> = json["packages"].as_array().expect("packages").iter().filter_map(|p| p["name"].as_str()).collect();
    assert!(names.contains(&format!("evil{CLEAR}pkg").as_str()), "{names:?}");
}
