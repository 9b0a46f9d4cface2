//! The image fuzz targets' bodies (`fuzz/src/image.rs`) run on stable: seeds built
//! here plus any file under `fuzz/seeds/<target>/` (crash reproductions
//! belong there; `scripts/fuzz-seeds.py` writes tars from GNU tar, Python
//! and Go), each mutated deterministically a few thousand times with a
//! xorshift byte-flip / truncate / splice mutator. The bodies read layers
//! in short pieces (`fuzz/src/split.rs`); every input runs under a watchdog
//! (`fuzz/src/watchdog.rs`), so a panic or a hang is a failure that names
//! the input.
//!
//! `cargo test -p temper-layer --test fuzz_bodies -- --ignored write_seeds`
//! rewrites `fuzz/seeds/` from the seeds below.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/image.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/split.rs"]
mod split;
mod support;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

use std::path::PathBuf;

use serde_json::json;
use mutate::{XorShift, mutate};
use support::*;
use temper_image::model::media;
use watchdog::Watchdog;

fn seed_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target)
}

/// Seeds built here plus those stored under `fuzz/seeds/<target>/`, by
/// name; the stored ones are named `seeds/<file>`.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut all = built_seeds(target);
    if let Ok(dir) = std::fs::read_dir(seed_dir(target)) {
        let mut files: Vec<_> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            if !all.iter().any(|(_, b)| *b == bytes) {
                all.push((format!("seeds/{}", f.file_name().unwrap().to_string_lossy()), bytes));
            }
        }
    }
    all
}

/// Runs `body` under a watchdog on every seed (each must be accepted but
/// stored reproductions, named `crash-*` or `timeout-*` as libFuzzer names
/// them) and on `iterations` mutations; some mutations must be
/// accepted and some refused, or the mutator is not reaching past the
/// first check.
fn run(target: &str, body: fn(&[u8]) -> bool, iterations: usize, seed: u64) {
    let named = seeds(target);
    assert!(named.len() >= 2, "{target}: no seeds");
    let mut dog = Watchdog::new(target, body);
    let must_accept = |name: &str| !name.starts_with("seeds/crash-") && !name.starts_with("seeds/timeout-");
    for (name, input) in &named {
        assert!(dog.run(&format!("seed {name}"), input) || !must_accept(name), "{target}: seed {name} is refused");
    }
    let inputs: Vec<Vec<u8>> = named.iter().map(|(_, b)| b.clone()).collect();
    let mut rng = XorShift(seed);
    let mut accepted = 0;
    for k in 0..iterations {
        let base = rng.below(inputs.len());
        let input = mutate(&mut rng, &inputs[base], &inputs);
        accepted += usize::from(dog.run(&format!("mutation {k} of seed {}", named[base].0), &input));
    }
    eprintln!("{target}: {accepted} of {iterations} mutations accepted; slowest input {:?}", dog.slowest);
    assert!(accepted > iterations / 50 && accepted < iterations, "{target}: {accepted} of {iterations} mutations accepted");
}

fn layer_tars() -> Vec<Vec<u8>> {
    let long = format!("{}/file", "d".repeat(150));
    vec![
        tar_of(&[
            dir("etc"),
            file_mode("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644),
            file_mode("bin/su", vec![7; 300], 0o4755),
            symlink("lib", "usr/lib"),
            hardlink("etc/passwd-", "etc/passwd"),
            file(&long, "long name"),
        ]),
        tar_of(&[dir("etc"), whiteout("etc/passwd-"), opaque("var"), file("var/x", "y"), whiteout("lib")]),
    ]
}

/// The seeds, by file name, for `target`.
fn built_seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    match target {
        "manifest" => {
            let spec = ImageSpec::new(layer_tars().iter().map(|t| layer_from_tar(t, Comp::Gzip)).collect())
                .history(&[("ADD x", false), ("ENV a=b", true), ("RUN y", false)]);
            let config = to_bytes(&spec.config_json());
            let manifest = to_bytes(&spec.manifest_json(&descriptor(media::OCI_CONFIG, &config)));
            let m = descriptor(media::OCI_MANIFEST, &manifest);
            let index = to_bytes(&json!({
                "schemaVersion": 2,
                "mediaType": media::OCI_INDEX,
                "manifests": [
                    with_ref(with_platform(m.clone(), "linux", "amd64", None), "latest"),
                    with_platform(m, "linux", "arm64", Some("v8")),
                ],
            }));
            vec![
                ("config.json".into(), config),
                ("manifest.json".into(), manifest),
                ("index.json".into(), index),
                ("docker-list.json".into(), format!(r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[]}}"#, media::DOCKER_LIST).into_bytes()),
                ("reference.txt".into(), b"ghcr.io/org/app:1.0@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_vec()),
                ("platform.txt".into(), b"linux/arm64/v8".to_vec()),
            ]
        }
        "layer_walk" => {
            let mut out = Vec::new();
            for (i, t) in layer_tars().iter().enumerate() {
                for c in ALL_COMP {
                    out.push((format!("layer{i}-{c:?}.bin").to_lowercase(), compress(t, c)));
                }
            }
            out
        }
        "archive" => {
            let tmp = tempfile::tempdir().unwrap();
            let tars = layer_tars();
            let a = ImageSpec::new(vec![layer_from_tar(&tars[0], Comp::Plain)]);
            let b = ImageSpec::new(vec![layer_from_tar(&tars[0], Comp::Plain), layer_from_tar(&tars[1], Comp::Plain)]);
            let docker = tmp.path().join("docker.tar");
            docker_archive(&docker, &[(vec!["app:1.0"], &a), (vec!["tool:2"], &b)]);
            let oci = tmp.path().join("oci");
            OciLayout::single(&oci, &ImageSpec::new(vec![layer_from_tar(&tars[1], Comp::Gzip)]), "latest");
            let oci_tar = tmp.path().join("oci.tar");
            tar_dir(&oci, &oci_tar);
            vec![("docker-archive.tar".into(), std::fs::read(docker).unwrap()), ("oci-archive.tar".into(), std::fs::read(oci_tar).unwrap())]
        }
        other => panic!("no target {other}"),
    }
}

#[test]
fn seeds_are_what_the_bodies_accept() {
    // (Run whole, without the split reads of the bodies.)
    // The mutations start from inputs that get all the way through.
    let tars = layer_tars();
    for (name, blob) in built_seeds("layer_walk") {
        let layer = temper_image::Layer::new(None, None, media::OCI_LAYER_TAR, None);
        let content = temper_image::LayerContent::Stream(Box::new(std::io::Cursor::new(blob)));
        let idx = temper_layer::walk_layer(0, &layer, content, &bodies::small_limits(), &Default::default(), &temper_layer::NoProgress).unwrap();
        assert!(tars.iter().any(|t| idx.uncompressed_size == t.len() as u64), "{name}");
        assert!(!idx.entries.is_empty(), "{name}");
    }
    let archives = built_seeds("archive");
    let tmp = tempfile::tempdir().unwrap();
    for (name, bytes) in &archives {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let kind = if name.starts_with("docker") { "docker-archive:" } else { "oci-archive:" };
        let image = temper_image::open_str(&format!("{kind}{}:@1", p.display()), &Default::default())
            .or_else(|_| temper_image::open_str(&format!("{kind}{}", p.display()), &Default::default()))
            .unwrap();
        temper_layer::walk_image(&image, &bodies::small_limits(), &temper_layer::NoProgress).unwrap();
    }
}

#[test]
fn manifest_body_survives_mutations() {
    run("manifest", bodies::manifest, 10_000, 0x9e37_79b9_7f4a_7c15);
}

#[test]
fn layer_walk_body_survives_mutations() {
    run("layer_walk", bodies::layer_walk, 10_000, 0xdead_beef_cafe_f00d);
}

#[test]
fn archive_body_survives_mutations() {
    run("archive", bodies::archive, 2000, 0x0123_4567_89ab_cdef);
}

/// Writes `fuzz/seeds/<target>/` (run by hand).
#[test]
#[ignore = "writes into the source tree"]
fn write_seeds() {
    for target in ["manifest", "layer_walk", "archive"] {
        let dir = seed_dir(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in built_seeds(target) {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
}
