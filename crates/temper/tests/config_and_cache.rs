//! Issue 13: one config file found the same way by every command, with
//! unknown keys always an error; and a warm layer cache that still proves
//! each blob is the one named. One test per item, named for it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../temper-layer/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::io::Write as _;
use std::process::{Command, Output};

use serde_json::Value;
use support::{Comp, ImageSpec, OciLayout, file, layer, src};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The binary run in `cwd` with `xdg` as the config home and `env` set;
/// no `TEMPER_CONFIG` or database of the user's.
fn temper_in(cwd: &Path, xdg: &Path, env: &[(&str, &Path)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_temper"));
    cmd.args(args).current_dir(cwd).env_remove("TEMPER_CONFIG").env_remove("TEMPER_DB").env("XDG_CONFIG_HOME", xdg).env("XDG_DATA_HOME", xdg).env("TEMPER_CACHE_DIR", xdg.join("cache"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The commands that read the config file, each stopped by a bad one
/// before it needs anything else.
fn config_commands() -> Vec<Vec<String>> {
    let demo = root().join("examples/demo-app").display().to_string();
    let advisories = root().join("examples/advisories").display().to_string();
    [
        vec!["lint", "Dockerfile"],
        vec!["check", &demo],
        vec!["scan", &demo, "--advisories", &advisories],
        vec!["scan", &demo, "--db", "/nonexistent/x.db"],
        vec!["db", "update", "--db", "/nonexistent/x.db"],
        vec!["db", "check", "--db", "/nonexistent/x.db"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(str::to_owned).collect())
    .collect()
}

#[test]
fn config_discovery_order_is_the_same_for_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let cwd = repo.join("sub/dir");
    let xdg = tmp.path().join("xdg");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(xdg.join("temper")).unwrap();
    std::fs::create_dir(repo.join(".git")).unwrap();
    std::fs::write(cwd.join("Dockerfile"), "FROM scratch\nCOPY app /app\nUSER 10001\nENTRYPOINT [\"/app\"]\n").unwrap();
    // Each candidate holds a key of its own name, so the error says which file was read.
    let candidates = [
        ("explicit", tmp.path().join("explicit.toml")),
        ("env", tmp.path().join("env.toml")),
        ("project", repo.join(".temper.toml")),
        ("user", xdg.join("temper/config.toml")),
        // Above the repository root: never read.
        ("outside", tmp.path().join(".temper.toml")),
    ];
    for (name, path) in &candidates {
        std::fs::write(path, format!("# {name}\n{name}_only = true\n")).unwrap();
    }
    let explicit = candidates[0].1.display().to_string();
    let env_file = candidates[1].1.clone();
    let stages: [(&str, Vec<String>, Vec<(&str, &Path)>); 4] = [
        ("explicit", vec!["--config".to_owned(), explicit], vec![("TEMPER_CONFIG", env_file.as_path())]),
        ("env", vec![], vec![("TEMPER_CONFIG", env_file.as_path())]),
        ("project", vec![], vec![]),
        ("user", vec![], vec![]),
    ];
    for (expected, extra, env) in &stages {
        let path = &candidates.iter().find(|(n, _)| n == expected).unwrap().1;
        for mut args in config_commands() {
            args.extend(extra.iter().cloned());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = temper_in(&cwd, &xdg, env, &args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            let want = format!("{}:2:1: `{expected}_only`: unknown field `{expected}_only`", path.display());
            assert!(err.contains(&want), "{args:?} should read the {expected} file: {err}");
        }
        if *expected == "project" {
            std::fs::remove_file(path).unwrap();
        }
    }
    // With no file left in the order, the one above the repository is still not read.
    std::fs::remove_file(&candidates[3].1).unwrap();
    for args in config_commands() {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = stderr(&temper_in(&cwd, &xdg, &[], &args));
        assert!(!err.contains("outside_only") && !err.contains(".toml"), "{args:?}: {err}");
    }
    let out = temper_in(&cwd, &xdg, &[], &["lint", "Dockerfile", "--failure-threshold", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// An image whose one layer holds a GitHub token in `app/deploy.env`.
fn image_with_a_secret(dir: &Path) -> String {
    let layout = dir.join("oci");
    let token = concat!("ghp_", "Zq8Xk2Lm9Np4Rt7Vw1Yb3Cd6Fg0Hj5Ks8Qe2");
    let spec = ImageSpec::new(vec![layer(&[file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"), file("app/deploy.env", format!("GITHUB_TOKEN={token}\n"))], Comp::Gzip)]);
    OciLayout::single(&layout, &spec, "t");
    src("oci", &layout, Some("t"))
}

fn secret_rules(report: &Value) -> Vec<String> {
    report["secrets"].as_array().unwrap().iter().map(|s| s["rule"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn check_reads_secrets_allow_from_dot_temper_toml() {
    let tmp = tempfile::tempdir().unwrap();
    let image = image_with_a_secret(tmp.path());
    let repo = tmp.path().join("repo");
    let cwd = repo.join("deploy");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir(repo.join(".git")).unwrap();
    let xdg = tmp.path().join("xdg");
    let run = || {
        let out = temper_in(&cwd, &xdg, &[], &["check", &image, "--format", "json", "--fail-on", "none"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    assert_eq!(secret_rules(&run()), ["github-pat"]);
    std::fs::write(repo.join(".temper.toml"), "[[secrets.allow]]\nrule = \"github-pat\"\npath = \"app/*.env\"\n").unwrap();
    assert_eq!(secret_rules(&run()), Vec::<String>::new(), "the allow-list in the repository's .temper.toml applies");
}

#[test]
fn unknown_config_keys_are_errors_with_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let xdg = tmp.path().join("xdg");
    std::fs::write(tmp.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let cases = [
        ("typo = 1\n", "bad.toml:1:1: `typo`: unknown field `typo`, expected one of `db`, `secrets`, `lint`"),
        ("[db]\nmax_age_days = 3\nmax_age = 3\n", "bad.toml:3:1: `db.max_age`: unknown field `max_age`"),
        ("[[db.feeds]]\nname = \"npm\"\nurl = \"https://mirror.example/npm.zip\"\nsha = \"x\"\n", "bad.toml:4:1: `db.feeds[0].sha`: unknown field `sha`"),
        ("[[secrets.allow]]\nrule = \"github-pat\"\nreason = \"reviewed\"\n", "bad.toml:3:1: `secrets.allow[0].reason`: unknown field `reason`"),
        ("[secrets]\nallowed = []\n", "bad.toml:2:1: `secrets.allowed`: unknown field `allowed`"),
        ("[lint]\nignored = [\"DL3008\"]\n", "bad.toml:2:1: `lint.ignored`: unknown field `ignored`"),
        // Rule names are the keys of `[lint.severity]`.
        ("[lint.severity]\nDL9999 = \"error\"\n", "bad.toml:2:1: `lint.severity.DL9999`: unknown rule 'DL9999'"),
        ("[lint]\nignore = [\"DL3008\", \"DL7777\"]\n", "bad.toml:2:21: `lint.ignore`: unknown rule 'DL7777'"),
    ];
    let config = tmp.path().join("bad.toml");
    for (text, want) in cases {
        std::fs::write(&config, text).unwrap();
        for mut args in config_commands() {
            args.extend(["--config".to_owned(), config.display().to_string()]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = temper_in(tmp.path(), &xdg, &[], &args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?} accepted {text:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(want), "{args:?} with {text:?}: {err}");
        }
    }
}

/// `temper ARGS` with the layer cache in `cache` and no config of the user's.
fn temper_cached(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_temper")).args(args).env("TEMPER_CACHE_DIR", cache).env_remove("TEMPER_CONFIG").env("XDG_CONFIG_HOME", cache).output().unwrap()
}

/// Flips every bit of the byte at `offset` of `path`, keeping its size.
fn flip(path: &Path, offset: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset] ^= 0xff;
    std::fs::write(path, bytes).unwrap();
}

/// Where a layer blob's bytes are: the image, the file and the blob's offset in it.
struct Stored {
    image: String,
    file: PathBuf,
    offset: usize,
}

/// The offset of member `name`'s content in the tar at `path`.
fn member_offset(path: &Path, name: &str) -> usize {
    let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
    let entry = archive.entries().unwrap().map(Result::unwrap).find(|e| e.path().unwrap().to_str() == Some(name)).unwrap();
    usize::try_from(entry.raw_file_position()).unwrap()
}

#[test]
fn corrupted_blob_is_caught_even_with_a_warm_cache() {
    let tmp = tempfile::tempdir().unwrap();
    // A plain-tar layer of 3 MiB, so that its middle is outside the first
    // and last MiB the cheap check reads, on top of a small base layer.
    let big = layer(&[support::sized("opt/data.bin", 3 << 20)], Comp::Plain);
    let spec = ImageSpec::new(vec![layer(&[file("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n")], Comp::Gzip), big.clone()]);
    let layout = OciLayout::single(&tmp.path().join("oci"), &spec, "t");
    let archive = tmp.path().join("docker.tar");
    support::docker_archive(&archive, &[(vec!["app:1"], &spec)]);
    let sources = [
        Stored { image: src("oci", &layout.dir, Some("t")), file: layout.blob_path(&big.digest), offset: 0 },
        Stored { image: src("docker-archive", &archive, None), file: archive.clone(), offset: member_offset(&archive, &format!("{}.tar", big.digest.hex())) },
    ];
    let size = big.bytes.len();
    assert!(size > 3 << 20);
    for (n, stored) in sources.iter().enumerate() {
        let cache = tmp.path().join(format!("cache-{n}"));
        let image = stored.image.as_str();
        let sbom = |extra: &[&str]| temper_cached(&cache, &[&["sbom", image, "--format", "json"][..], extra].concat());
        let check = |extra: &[&str]| temper_cached(&cache, &[&["check", image, "--format", "json", "--fail-on", "none"][..], extra].concat());
        let commands: [&dyn Fn(&[&str]) -> Output; 2] = [&sbom, &check];
        let fails_naming_the_layer = |out: Output, what: &str| {
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{image}, {what}: {err}");
            assert!(err.contains(&big.digest.to_string()) && err.contains("digest mismatch"), "{image}, {what}: {err}");
        };
        let flip_at = |offset: usize| flip(&stored.file, stored.offset + offset);
        for command in commands {
            let out = command(&[]);
            assert_eq!(out.status.code(), Some(0), "{image}, warming the cache: {}", stderr(&out));
        }

        // Damage to either end: the cheap check of every hit sees it, and
        // the full pass it falls back to names the layer.
        for offset in [1000, size - 2000] {
            flip_at(offset);
            for command in commands {
                fails_naming_the_layer(command(&[]), &format!("byte {offset} flipped"));
            }
            flip_at(offset);
            for command in commands {
                assert_eq!(command(&[]).status.code(), Some(0), "{image}, byte {offset} restored");
            }
        }

        // Damage in the middle passes the cheap check (the trade-off the
        // README documents); --verify-blobs re-hashes the blob and fails.
        flip_at(size / 2);
        for command in commands {
            assert_eq!(command(&[]).status.code(), Some(0), "{image}: a hit reads only the ends of the blob");
            fails_naming_the_layer(command(&["--verify-blobs"]), "middle byte flipped, --verify-blobs");
        }
        flip_at(size / 2);
    }

    // A blob whose size changed is never a hit.
    std::fs::OpenOptions::new().append(true).open(&sources[0].file).unwrap().write_all(b"x").unwrap();
    let out = temper_cached(&tmp.path().join("cache-0"), &["sbom", &sources[0].image]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&big.digest.to_string()) && err.contains("larger than"), "{err}");
}
