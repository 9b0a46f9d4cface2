//! End-to-end on the real corpus (`shared/corpus`, built by `scripts/test.sh`
//! into `$TEMPER_CORPUS`, default `~/.cache/temper-corpus`): every fact of
//! `expected/<image>.json` that `inspect` and `layers` report is asserted,
//! over the OCI layouts and the docker-archives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn corpus() -> PathBuf {
    let dir = std::env::var_os("TEMPER_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/temper-corpus"));
    assert!(
        dir.join("expected").is_dir(),
        "corpus not found at {} (build it with scripts/test.sh or shared/corpus/build-corpus.sh)",
        dir.display()
    );
    dir
}

fn temper(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_temper")).args(args).output().expect("run temper");
    assert!(out.status.success(), "temper {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn expected(image: &str) -> Value {
    let path = corpus().join("expected").join(format!("{image}.json"));
    serde_json::from_slice(&std::fs::read(&path).expect("expected file")).expect("expected JSON")
}

/// `var/lib/apt/lists/.wh.partial` → `var/lib/apt/lists/partial`.
fn whiteout_target(raw: &str) -> String {
    match raw.rsplit_once('/') {
        Some((parent, base)) => format!("{parent}/{}", base.trim_start_matches(".wh.")),
        None => raw.trim_start_matches(".wh.").to_owned(),
    }
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(|s| s.as_str().unwrap_or_default().to_owned()).collect()).unwrap_or_default()
}

/// Asserts the facts of one expected platform against `layers` and
/// `inspect` JSON of `source`; `archive` skips what a docker-archive cannot
/// know (compressed digests and sizes, the manifest).
fn check(image: &str, want: &Value, source: &str, platform: Option<&str>, archive: bool) {
    let mut args = vec!["layers", "--format", "json", source];
    if let Some(p) = platform {
        args.extend(["--platform", p]);
    }
    let layers = temper(&args);
    args[0] = "inspect";
    let inspect = temper(&args);
    let ctx = format!("{image} via {source}");

    let want_layers = want["layers"].as_array().expect("layers");
    let got_layers = layers["layers"].as_array().expect("layers");
    assert_eq!(got_layers.len() as u64, want["layer_count"].as_u64().expect("count"), "{ctx}: layer count");
    for (w, g) in want_layers.iter().zip(got_layers) {
        let i = &w["index"];
        assert_eq!(g["diff_id"], w["diff_id_expected"], "{ctx}: layer {i} diff_id");
        assert_eq!(g["uncompressed_size"], w["uncompressed_size"], "{ctx}: layer {i} uncompressed size");
        assert_eq!(g["entries"], w["entries"], "{ctx}: layer {i} tar entries");
        assert_eq!(g["shadowed_bytes"], w["shadowed_bytes_from_lower"], "{ctx}: layer {i} shadowed bytes");
        let mut want_wh: Vec<String> = strs(&w["whiteouts"]).iter().map(|s| whiteout_target(s)).collect();
        let mut got_wh = strs(&g["whiteouts"]);
        want_wh.sort();
        got_wh.sort();
        assert_eq!(got_wh, want_wh, "{ctx}: layer {i} whiteouts");
        assert_eq!(strs(&g["opaque_dirs"]), strs(&w["opaque_dirs"]), "{ctx}: layer {i} opaque dirs");
        if !archive {
            assert_eq!(g["digest"], w["digest"], "{ctx}: layer {i} digest");
            assert_eq!(g["size"], w["compressed_size"], "{ctx}: layer {i} compressed size");
            assert_eq!(g["media_type"], w["media_type"], "{ctx}: layer {i} media type");
        }
    }
    assert_eq!(layers["uncompressed_size"], want["uncompressed_size"], "{ctx}: uncompressed size");
    assert_eq!(layers["visible_bytes"], want["squashed_file_bytes"], "{ctx}: visible bytes");
    assert_eq!(layers["visible_files"], want["squashed_file_count"], "{ctx}: visible files");
    assert_eq!(layers["shadowed_bytes"], want["shadowed_bytes"], "{ctx}: shadowed bytes");
    let eff = layers["efficiency"].as_f64().expect("efficiency");
    assert!((0.0..=1.0).contains(&eff), "{ctx}: efficiency {eff}");
    if want["shadowed_bytes"] == 0 && want["layer_count"] == 1 {
        assert_eq!(layers["wasted_bytes"], 0, "{ctx}: a single layer wastes nothing");
    }

    assert_eq!(inspect["platform"], want["platform"], "{ctx}: platform");
    assert_eq!(inspect["config_digest"], want["config_digest"], "{ctx}: config digest");
    if !archive {
        assert_eq!(inspect["digest"], want["manifest_digest"], "{ctx}: manifest digest");
        assert_eq!(inspect["size"], want["compressed_size"], "{ctx}: compressed size");
    }
    let c = &inspect["config"];
    let wc = &want["config"];
    assert_eq!(c["user"], wc["User"], "{ctx}: user");
    assert_eq!(c["env"], wc["Env"], "{ctx}: env");
    assert_eq!(c["entrypoint"], wc["Entrypoint"], "{ctx}: entrypoint");
    assert_eq!(c["cmd"], wc["Cmd"], "{ctx}: cmd");
    assert_eq!(c["workdir"], wc["WorkingDir"], "{ctx}: workdir");
    let ports: Vec<String> = wc["ExposedPorts"].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    assert_eq!(strs(&c["exposed_ports"]), ports, "{ctx}: exposed ports");
    assert_eq!(c["labels"], if wc["Labels"].is_null() { serde_json::json!({}) } else { wc["Labels"].clone() }, "{ctx}: labels");
    let history = inspect["history"].as_array().expect("history");
    let want_history = want["history"].as_array().expect("history");
    assert_eq!(history.len(), want_history.len(), "{ctx}: history length");
    for (h, w) in history.iter().zip(want_history) {
        assert_eq!(h["created_by"], w["created_by"], "{ctx}: history");
        assert_eq!(h["empty_layer"], w["empty_layer"], "{ctx}: history empty_layer");
    }
    // Every non-empty history entry lines up with the next layer.
    let made: Vec<u64> = history.iter().filter_map(|h| h["layer"].as_u64()).collect();
    assert_eq!(made, (0..got_layers.len() as u64).collect::<Vec<_>>(), "{ctx}: history ↔ layers");
    for (l, layer) in got_layers.iter().enumerate() {
        let h = history.iter().find(|h| h["layer"] == l).expect("history entry");
        assert_eq!(layer["created_by"], h["created_by"], "{ctx}: layer {l} created_by");
    }
}

fn check_image(image: &str) {
    let want = expected(image);
    let platforms = want["platforms"].as_array().expect("platforms");
    let oci = corpus().join("oci").join(image);
    let oci = format!("oci:{}", oci.display());
    for p in platforms {
        let plat = p["platform"].as_str().expect("platform");
        let select = (platforms.len() > 1).then_some(plat);
        check(image, p, &oci, select, false);
        let archive = if platforms.len() > 1 {
            let arch = plat.split('/').nth(1).expect("arch");
            corpus().join("docker-archive").join(format!("{image}-{arch}.tar"))
        } else {
            corpus().join("docker-archive").join(format!("{image}.tar"))
        };
        check(image, p, &format!("docker-archive:{}", archive.display()), None, true);
    }
}

#[test]
fn debian_minbase() {
    check_image("debian-minbase");
}

#[test]
fn node_app() {
    check_image("node-app");
    // The README's wasted-space facts: geoip.dat written in layer 2 and
    // again in layer 3; dive counts both copies.
    let oci = format!("oci:{}", corpus().join("oci/node-app").display());
    let r = temper(&["layers", "--format", "json", &oci]);
    let geoip = r["wasted_files"].as_array().expect("wasted").iter().find(|w| w["path"] == "app/data/geoip.dat").expect("geoip wasted");
    assert_eq!(geoip["bytes"], 2 * 25_165_824);
    assert_eq!(geoip["layers"], serde_json::json!([2, 3]));
    assert_eq!(r["wasted_files"][0]["path"], "app/data/geoip.dat", "largest offender first");
    assert_eq!(r["layers"][3]["modified_bytes"].as_u64().map(|b| b >= 25_165_824), Some(true));
}

#[test]
fn python_app() {
    check_image("python-app");
}

#[test]
fn go_rust_bins() {
    check_image("go-rust-bins");
}

#[test]
fn secrets_and_root() {
    check_image("secrets-and-root");
}

#[test]
fn distroless_like() {
    check_image("distroless-like");
}

#[test]
fn multiarch_index() {
    check_image("multiarch-index");
    let oci = format!("oci:{}", corpus().join("oci/multiarch-index").display());
    let out = Command::new(env!("CARGO_BIN_EXE_temper")).args(["inspect", "--platform", "linux/s390x", &oci]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("linux/amd64") && err.contains("linux/arm64/v8"), "{err}");
    assert_eq!(err.lines().count(), 1, "one-line error: {err}");
}

#[test]
fn big_node() {
    check_image("big-node");
}
