//! Images built in test code, opened through every source and walked:
//! equivalence across sources and compressions, whiteouts and the merged
//! view, exact change/waste figures, hostile layers and limits, `dir:`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::io::Write as _;

use serde_json::json;
use support::*;
use temper_image::{Digest, Image, Layer, LayerContent, OpenOptions, open_str};
use temper_layer::{
    Compression, EntryKind, LayerChange, LayerIndex, LayerReport, Limits, NoProgress, WalkError, analyze, walk_image, walk_layer,
};

fn open(src: &str) -> Image {
    open_str(src, &OpenOptions::default()).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn walk(src: &str) -> (Image, Vec<LayerIndex>) {
    let image = open(src);
    let walked = walk_image(&image, &Limits::default(), &NoProgress).unwrap_or_else(|e| panic!("{src}: {e}"));
    (image, walked)
}

/// The message of the first failure of open, walk or analyze; panics if
/// all three succeed.
fn failure(src: &str, limits: &Limits) -> String {
    let image = match open_str(src, &OpenOptions::default()) {
        Ok(i) => i,
        Err(e) => return e.to_string(),
    };
    let walked = match walk_image(&image, limits, &NoProgress) {
        Ok(w) => w,
        Err(e) => return e.to_string(),
    };
    match analyze(&walked) {
        Ok(_) => panic!("{src}: expected an error, got a result"),
        Err(e) => e.to_string(),
    }
}

/// Walks a detached blob, as the fuzz target does.
fn walk_blob(bytes: Vec<u8>, media_type: &str, limits: &Limits) -> Result<LayerIndex, WalkError> {
    let layer = Layer::new(None, None, media_type, Some(bytes.len() as u64));
    walk_layer(0, &layer, LayerContent::Stream(Box::new(std::io::Cursor::new(bytes))), limits, &Default::default(), &NoProgress)
}

fn paths(l: &LayerIndex) -> Vec<&str> {
    l.entries.iter().map(|e| e.path.as_str()).collect()
}

// ---------------------------------------------------------------- the image

/// The crafted 3-layer image. Sizes are chosen so every figure below can be
/// checked by hand.
fn crafted() -> [Vec<Entry>; 3] {
    [
        // Layer 0: 4030 bytes of regular files in 14 entries.
        vec![
            dir("etc"),
            sized("etc/a", 100),
            sized("etc/b", 200),
            sized("etc/c", 30),
            hardlink("etc/c-link", "etc/c"),
            symlink("lib", "usr/lib"),
            dir("opt"),
            sized("opt/old", 300),
            dir("srv"),
            sized("srv/data", 400),
            dir("usr"),
            dir("usr/lib"),
            sized("usr/lib/x", 1000),
            file_mode("usr/lib/y", vec![b'y'; 2000], 0o4755),
        ],
        // Layer 1: whiteout of a file (etc/b) and of a directory (usr/lib),
        // opaque opt/ with a same-layer child written *before* the marker.
        vec![
            dir("etc"),
            whiteout("etc/b"),
            sized("etc/a", 150),
            dir("opt"),
            sized("opt/fresh", 70),
            opaque("opt"),
            dir("usr"),
            whiteout("usr/lib"),
            sized("new1", 500),
        ],
        // Layer 2: the directory srv/ replaced by a 10-byte file, etc/a again.
        vec![dir("etc"), sized("etc/a", 120), file("srv", vec![b's'; 10]), sized("new2", 5)],
    ]
}

const HISTORY: &[(&str, bool)] = &[("ADD base", false), ("ENV A=1", true), ("RUN one", false), ("CMD sh", true), ("RUN two", false)];

fn crafted_spec(c: Comp) -> ImageSpec {
    ImageSpec::new(crafted().iter().map(|e| layer(e, c)).collect()).history(HISTORY)
}

// ------------------------------------------------------------- equivalence

#[test]
fn every_source_and_compression_gives_the_same_layer_indexes() {
    let tmp = tempfile::tempdir().unwrap();
    let tars: Vec<Vec<u8>> = crafted().iter().map(|e| tar_of(e)).collect();
    let mut results: Vec<(String, Comp, Vec<LayerIndex>)> = Vec::new();
    for c in ALL_COMP {
        let spec = crafted_spec(c);
        let oci = tmp.path().join(format!("oci-{c:?}"));
        OciLayout::single(&oci, &spec, "latest");
        let archive = tmp.path().join(format!("oci-{c:?}.tar"));
        tar_dir(&oci, &archive);
        let docker = tmp.path().join(format!("docker-{c:?}.tar"));
        docker_archive(&docker, &[(vec!["lab/app:1.0"], &spec)]);
        for source in [src("oci", &oci, None), src("oci", &oci, Some("latest")), src("oci-archive", &archive, None), src("docker-archive", &docker, None)] {
            let (image, walked) = walk(&source);
            assert_eq!(image.layers.len(), 3, "{source}");
            results.push((source, c, walked));
        }
        // Without a prefix the kind is detected from the content.
        for (path, kind) in [(&oci, "oci:"), (&archive, "oci-archive:"), (&docker, "docker-archive:")] {
            let parsed = temper_image::Source::parse(path.to_str().unwrap()).unwrap();
            assert!(parsed.to_string().starts_with(kind), "{parsed} from {}", path.display());
        }
    }
    let (first_src, _, first) = &results[0];
    for (source, c, walked) in &results {
        for (i, (l, base)) in walked.iter().zip(first).enumerate() {
            assert_eq!(l.entries, base.entries, "layer {i} of {source} differs from {first_src}");
            assert_eq!(l.diff_id, base.diff_id, "layer {i} of {source}");
            assert_eq!(l.diff_id, Some(Digest::sha256_of(&tars[i])));
            assert_eq!(l.uncompressed_size, tars[i].len() as u64);
            assert_eq!(l.tar_entries, base.tar_entries);
            let expected = match c {
                Comp::Plain => Compression::None,
                Comp::Gzip => Compression::Gzip,
                Comp::Zstd => Compression::Zstd,
            };
            assert_eq!(l.compression, expected, "{source}");
            let blob = compress(&tars[i], *c);
            assert_eq!(l.digest, Some(Digest::sha256_of(&blob)), "{source}");
            assert_eq!(l.compressed_size, blob.len() as u64, "{source}");
        }
    }
    // The same tar stored three ways: three digests, one diffID.
    for i in 0..3 {
        let digests: std::collections::BTreeSet<_> =
            results.iter().map(|(_, _, w)| w[i].digest.clone().unwrap()).collect();
        assert_eq!(digests.len(), 3, "layer {i}: {digests:?}");
    }
}

#[test]
fn docker_archive_layers_may_be_compressed_and_shared() {
    let tmp = tempfile::tempdir().unwrap();
    let base = layer(&crafted()[0], Comp::Gzip);
    let a = ImageSpec::new(vec![base.clone(), layer(&[sized("a", 3)], Comp::Plain)]);
    let b = ImageSpec::new(vec![base.clone(), layer(&[sized("b", 4)], Comp::Zstd)]);
    let path = tmp.path().join("two.tar");
    docker_archive(&path, &[(vec!["a:1"], &a), (vec!["b:1"], &b)]);
    let (_, wa) = walk(&src("docker-archive", &path, Some("@0")));
    let (_, wb) = walk(&src("docker-archive", &path, Some("@1")));
    assert_eq!(wa[0].entries, wb[0].entries);
    assert_eq!(wa[0].compression, Compression::Gzip);
    assert_eq!(wb[1].compression, Compression::Zstd);
    assert_eq!(paths(&wa[1]), ["a"]);
    assert_eq!(paths(&wb[1]), ["b"]);
    assert_eq!(wa[0].digest.as_ref(), Some(&base.digest));
}

// ------------------------------------------------------- merge and figures

#[test]
fn crafted_image_merged_view() {
    let tmp = tempfile::tempdir().unwrap();
    OciLayout::single(tmp.path(), &crafted_spec(Comp::Gzip), "v1");
    let (_, walked) = walk(&src("oci", tmp.path(), None));
    // Whiteouts and the opaque marker are recorded at the path they affect.
    let kinds: Vec<_> = walked[1].entries.iter().filter(|e| e.is_deletion()).map(|e| (e.path.as_str(), e.kind.clone())).collect();
    assert_eq!(kinds, [("etc/b", EntryKind::Whiteout), ("opt", EntryKind::OpaqueDir), ("usr/lib", EntryKind::Whiteout)]);
    let merged = analyze(&walked).unwrap().merged;
    let visible: Vec<(&str, usize)> = merged.files.iter().map(|(p, m)| (p.as_str(), m.layer)).collect();
    assert_eq!(
        visible,
        [
            ("etc", 2),
            ("etc/a", 2),
            ("etc/c", 0),
            ("etc/c-link", 0),
            ("lib", 0),
            ("new1", 1),
            ("new2", 2),
            ("opt", 1),
            // opt/old is hidden by the opaque marker; opt/fresh, from the
            // same layer, stays although it precedes the marker in the tar.
            ("opt/fresh", 1),
            ("srv", 2), // srv/data went with the directory
            ("usr", 1), // usr/lib and its children are whited out
        ]
    );
    assert_eq!(merged.files["etc/c-link"].entry.kind, EntryKind::Hardlink { target: "etc/c".into() });
    assert_eq!(merged.files["lib"].entry.kind, EntryKind::Symlink { target: "usr/lib".into() });
    assert_eq!(merged.files["srv"].entry.kind, EntryKind::File);
    assert_eq!(merged.files["srv"].entry.size, 10);
    // The setuid bit survives the walk.
    let y = walked[0].entries.iter().find(|e| e.path == "usr/lib/y").unwrap();
    assert_eq!(y.mode, 0o4755);
}

#[test]
fn crafted_image_exact_figures() {
    let tmp = tempfile::tempdir().unwrap();
    OciLayout::single(tmp.path(), &crafted_spec(Comp::Zstd), "v1");
    let (image, walked) = walk(&src("oci", tmp.path(), Some("v1")));
    let analysis = analyze(&walked).unwrap();
    let c = &analysis.merged.changes;
    // Layer 0: everything is new: 100+200+30+300+400+1000+2000 = 4030
    // bytes in 14 entries (directories, links and the symlink included).
    assert_eq!(c[0], LayerChange { added_bytes: 4030, added_files: 14, ..Default::default() });
    // Layer 1: deletions first: etc/b (200), usr/lib with x and y (3000,
    // 3 entries), opt/old under the opaque opt (300): 3500 bytes, 5 entries.
    // etc/a 100 -> 150 is a modification; new1 (500) and opt/fresh (70)
    // are new. Shadowed: the old etc/a (100) + everything removed = 3600.
    assert_eq!(
        c[1],
        LayerChange {
            added_bytes: 570,
            modified_bytes: 150,
            removed_bytes: 3500,
            added_files: 2,
            modified_files: 1,
            removed_files: 5,
            shadowed_bytes: 3600,
        }
    );
    // Layer 2: the file srv replaces the directory srv (removing srv/data,
    // 400) and counts as a modification of 10 bytes; etc/a 150 -> 120 is a
    // modification; new2 (5) is new. Shadowed: 150 + 400 = 550.
    assert_eq!(
        c[2],
        LayerChange {
            added_bytes: 5,
            modified_bytes: 130,
            removed_bytes: 400,
            added_files: 1,
            modified_files: 2,
            removed_files: 1,
            shadowed_bytes: 550,
        }
    );
    assert_eq!(analysis.merged.shadowed_bytes(), 4150);
    // Visible: etc/a 120, etc/c 30, new1 500, opt/fresh 70, srv 10, new2 5.
    assert_eq!(analysis.merged.visible_bytes(), 735);

    // dive: each layer's leaves are sightings of their path.
    //   layer 0: etc/a 100, etc/b 200, etc/c 30, etc/c-link 0, lib 0,
    //            opt/old 300, srv/data 400, usr/lib/x 1000, usr/lib/y 2000
    //   layer 1: etc/a 150, etc/b 0 (whiteout of a file), new1 500,
    //            opt/fresh 70, usr/lib 3000 (whiteout of a dir: x + y)
    //   layer 2: etc/a 120, srv 10, new2 5
    // Paths sighted twice or more: etc/a (100+150+120 = 370, layers 0 1 2)
    // and etc/b (200+0 = 200, layers 0 1): wasted = 570.
    // Σ sum = 370+200+30+300+400+1000+2000+500+70+3000+10+5 = 7885
    // Σ min = 100+  0+30+300+400+1000+2000+500+70+3000+10+5 = 7415
    let eff = &analysis.efficiency;
    assert_eq!(eff.wasted_bytes, 570);
    let wasted: Vec<_> = eff.wasted_files.iter().map(|w| (w.path.as_str(), w.bytes, w.layers.clone())).collect();
    assert_eq!(wasted, [("etc/a", 370, vec![0, 1, 2]), ("etc/b", 200, vec![0, 1])]);
    assert!((eff.score - 7415.0 / 7885.0).abs() < 1e-12, "{}", eff.score);

    let report = LayerReport::build(&image, &walked, &analysis);
    // Bytes of regular files above the base: 150+70+500 + 120+10+5 = 855.
    assert_eq!(report.user_bytes, 855);
    assert_eq!(report.wasted_bytes, 570);
    assert!((report.wasted_percent - 57000.0 / 855.0).abs() < 1e-9, "{}", report.wasted_percent);
    assert_eq!(report.shadowed_bytes, 4150);
    assert_eq!(report.visible_bytes, 735);
    assert_eq!(report.visible_files, 6);
    assert_eq!(report.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(report.digest, image.manifest.as_ref().map(|m| m.digest.clone()));
    assert_eq!(report.uncompressed_size, walked.iter().map(|w| w.uncompressed_size).sum::<u64>());
    assert_eq!(report.layers[1].whiteouts, ["etc/b", "usr/lib"]);
    assert_eq!(report.layers[1].opaque_dirs, ["opt"]);
    assert_eq!(report.layers[1].media_type, Comp::Zstd.media_type());
    // History: empty-layer steps are kept but make no layer.
    let created: Vec<_> = report.layers.iter().map(|l| l.created_by.as_deref()).collect();
    assert_eq!(created, [Some("ADD base"), Some("RUN one"), Some("RUN two")]);
    let steps: Vec<_> = report.history.iter().map(|h| (h.created_by.as_deref().unwrap(), h.empty_layer, h.layer)).collect();
    assert_eq!(
        steps,
        [("ADD base", false, Some(0)), ("ENV A=1", true, None), ("RUN one", false, Some(1)), ("CMD sh", true, None), ("RUN two", false, Some(2))]
    );
    // Tar headers: layer 1 has 9 (the markers included), layer 2 has 4.
    assert_eq!(report.layers.iter().map(|l| l.entries).collect::<Vec<_>>(), [14, 9, 4]);
}

#[test]
fn whiteout_only_hides_lower_layers_and_replacing_a_file_by_a_dir() {
    // A whiteout never hides its own layer's file, whatever the tar order.
    let l0 = layer(&[sized("a", 10), sized("f", 7)], Comp::Plain);
    let l1 = layer(&[sized("a", 20), whiteout("a"), dir("f"), sized("f/inner", 3)], Comp::Plain);
    let tmp = tempfile::tempdir().unwrap();
    OciLayout::single(tmp.path(), &ImageSpec::new(vec![l0, l1]), "x");
    let (_, walked) = walk(&src("oci", tmp.path(), None));
    let merged = analyze(&walked).unwrap().merged;
    assert_eq!(merged.files["a"].layer, 1);
    assert_eq!(merged.files["a"].entry.size, 20);
    // A directory replacing a file: the file's bytes are shadowed.
    assert!(merged.files["f"].entry.is_dir());
    assert_eq!(merged.files["f/inner"].layer, 1);
    assert_eq!(merged.changes[1].removed_bytes, 10);
    assert_eq!(merged.changes[1].shadowed_bytes, 10 + 7);
}

// ---------------------------------------------------------------- hostile

/// A benign base layer and `entries` on top, as an OCI layout; returns the
/// failure and the hostile layer's digest.
fn hostile(entries: &[Entry]) -> (String, Digest) {
    let tmp = tempfile::tempdir().unwrap();
    let top = layer(entries, Comp::Gzip);
    let digest = top.digest.clone();
    OciLayout::single(tmp.path(), &ImageSpec::new(vec![layer(&[sized("ok", 1)], Comp::Gzip), top]), "x");
    (failure(&src("oci", tmp.path(), None), &Limits::default()), digest)
}

#[test]
fn hostile_paths_are_refused_naming_layer_and_path() {
    use tar::EntryType as T;
    let cases: Vec<(Entry, &str)> = vec![
        (raw(b"../x", T::Regular, b"", b"evil"), "'../x'"),
        (raw(b"a/../../x", T::Regular, b"", b"evil"), "'a/../../x'"),
        (raw(b"/etc/x", T::Regular, b"", b"evil"), "absolute path '/etc/x'"),
        (raw(b"link", T::Link, b"../../x", b""), "hard link 'link'"),
        (raw(b"link", T::Link, b"/etc/shadow", b""), "'/etc/shadow'"),
    ];
    for (entry, needle) in cases {
        let (err, digest) = hostile(std::slice::from_ref(&entry));
        assert!(err.contains(&format!("layer 1 ({digest})")), "{entry:?}: {err}");
        assert!(err.contains(needle), "{entry:?}: {err}");
    }
    // The hard link names the target it refused too.
    let (err, _) = hostile(&[raw(b"link", T::Link, b"../../x", b"")]);
    assert!(err.contains("../../x"), "{err}");
}

#[test]
fn writes_through_symlinks_are_refused() {
    // In one layer.
    let (err, _) = hostile(&[symlink("a", "/etc"), file("a/passwd", "root::0:0::/:/bin/sh\n")]);
    assert!(err.contains("layer 1") && err.contains("'a/passwd'") && err.contains("'a' -> '/etc'"), "{err}");
    // Across layers, through a relative link, deeper.
    let tmp = tempfile::tempdir().unwrap();
    let l0 = layer(&[dir("d"), symlink("d/up", "../../..")], Comp::Plain);
    let l1 = layer(&[sized("x", 1)], Comp::Plain);
    let l2 = layer(&[dir("d/up/etc"), file("d/up/etc/cron", "* * * * * sh")], Comp::Plain);
    OciLayout::single(tmp.path(), &ImageSpec::new(vec![l0, l1, l2]), "x");
    let err = failure(&src("oci", tmp.path(), None), &Limits::default());
    assert!(err.contains("layer 2") && err.contains("'d/up/etc'") && err.contains("'d/up' -> '../../..'"), "{err}");
    // Replacing the symlink by a directory first makes the same path fine.
    let tmp = tempfile::tempdir().unwrap();
    let l0 = layer(&[symlink("a", "/etc")], Comp::Plain);
    let l1 = layer(&[dir("a"), file("a/passwd", "x")], Comp::Plain);
    OciLayout::single(tmp.path(), &ImageSpec::new(vec![l0, l1]), "x");
    let (_, walked) = walk(&src("oci", tmp.path(), None));
    assert!(analyze(&walked).unwrap().merged.files["a"].entry.is_dir());
}

#[test]
fn truncated_streams_are_errors_not_short_successes() {
    let tar = tar_of(&crafted()[0]);
    let limits = Limits::default();
    // Sanity: the whole streams walk.
    for c in ALL_COMP {
        assert_eq!(walk_blob(compress(&tar, c), c.media_type(), &limits).unwrap().entries.len(), 14);
    }
    for c in [Comp::Gzip, Comp::Zstd] {
        let blob = compress(&tar, c);
        for keep in [blob.len() / 2, blob.len() - 4, blob.len() - 1] {
            let err = walk_blob(blob[..keep].to_vec(), c.media_type(), &limits);
            assert!(err.is_err(), "{c:?} cut to {keep} of {} bytes walked: {:?}", blob.len(), err.map(|l| l.entries.len()));
        }
    }
    // A plain tar cut inside an entry.
    let err = walk_blob(tar[..tar.len() / 2 + 100].to_vec(), Comp::Plain.media_type(), &limits).unwrap_err().to_string();
    assert!(err.starts_with("layer 0: "), "{err}");
    // Cut, but through an image: the error names the layer.
    let tmp = tempfile::tempdir().unwrap();
    let mut spec = ImageSpec::new(vec![layer(&crafted()[0], Comp::Gzip)]);
    let cut = spec.layers[0].bytes[..spec.layers[0].bytes.len() - 10].to_vec();
    spec.layers[0] = Blob { digest: Digest::sha256_of(&cut), bytes: cut, ..spec.layers[0].clone() };
    OciLayout::single(tmp.path(), &spec, "x");
    let err = failure(&src("oci", tmp.path(), None), &limits);
    assert!(err.contains(&format!("layer 0 ({})", spec.layers[0].digest)), "{err}");
}

#[test]
fn digest_and_diff_id_mismatches() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = ImageSpec::new(vec![layer(&[sized("a", 5)], Comp::Gzip), layer(&[sized("b", 5)], Comp::Gzip)]);
    // The manifest names layer 1 by a digest its bytes do not have.
    let wrong = Digest::sha256_of(b"something else");
    let dir = tmp.path().join("digest");
    let layout = OciLayout::new(&dir);
    let desc = layout.add_image_with(&spec, |_| {}, |m| m["layers"][1]["digest"] = json!(wrong.to_string()));
    layout.put_blob_at(&wrong, &spec.layers[1].bytes);
    layout.write_index(vec![desc]);
    let err = failure(&src("oci", &dir, None), &Limits::default());
    assert!(err.contains("digest mismatch") && err.contains(&format!("layer 1 ({wrong})")), "{err}");
    assert!(err.contains(&spec.layers[1].digest.to_string()), "{err}");

    // The config names layer 0 by a wrong diffID.
    let dir = tmp.path().join("diffid");
    let layout = OciLayout::new(&dir);
    let desc = layout.add_image_with(&spec, |c| c["rootfs"]["diff_ids"][0] = json!(wrong.to_string()), |_| {});
    layout.write_index(vec![desc]);
    let err = failure(&src("oci", &dir, None), &Limits::default());
    assert!(err.contains("diffID mismatch") && err.contains("layer 0") && err.contains(&wrong.to_string()), "{err}");
    assert!(err.contains(&spec.layers[0].diff_id.to_string()), "{err}");

    // docker-archive: a member named by a digest its bytes do not have.
    let path = tmp.path().join("docker.tar");
    let plain = ImageSpec::new(vec![layer(&[sized("a", 5)], Comp::Plain)]);
    let mut members = docker_members(&[(vec!["x:1"], &plain)], |_| {});
    members[0].1 = tar_of(&[sized("a", 6)]);
    tar_members(&path, &members);
    let err = failure(&src("docker-archive", &path, None), &Limits::default());
    assert!(err.contains("digest mismatch") && err.contains("layer 0"), "{err}");
}

#[test]
fn declared_and_detected_compression_must_agree() {
    let tar = tar_of(&[sized("a", 5)]);
    let limits = Limits::default();
    let err = walk_blob(gzip(&tar), Comp::Zstd.media_type(), &limits).unwrap_err().to_string();
    assert!(err.contains("declares zstd but the content is gzip"), "{err}");
    let err = walk_blob(zstd(&tar), Comp::Gzip.media_type(), &limits).unwrap_err().to_string();
    assert!(err.contains("declares gzip but the content is zstd"), "{err}");
    // A plain tar under a compressed media type is tolerated.
    assert_eq!(walk_blob(tar.clone(), Comp::Zstd.media_type(), &limits).unwrap().compression, Compression::None);
    // Through a manifest: the layer is named.
    let tmp = tempfile::tempdir().unwrap();
    let mut spec = ImageSpec::new(vec![layer_from_tar(&tar, Comp::Gzip)]);
    spec.layers[0].media_type = Comp::Zstd.media_type().into();
    OciLayout::single(tmp.path(), &spec, "x");
    let err = failure(&src("oci", tmp.path(), None), &limits);
    assert!(err.contains(&format!("layer 0 ({})", spec.layers[0].digest)) && err.contains("declares zstd"), "{err}");
}

#[test]
fn garbage_and_empty_layers_are_errors() {
    let limits = Limits::default();
    assert!(walk_blob(Vec::new(), Comp::Plain.media_type(), &limits).unwrap_err().to_string().contains("is empty"));
    // gzip magic, then nonsense.
    assert!(walk_blob(vec![0x1f, 0x8b, 8, 0, 1, 2, 3], Comp::Gzip.media_type(), &limits).is_err());
    assert!(walk_blob(vec![0x28, 0xb5, 0x2f, 0xfd, 9, 9, 9, 9], Comp::Zstd.media_type(), &limits).is_err());
    // 1 KiB of text is not a tar.
    assert!(walk_blob(vec![b'x'; 1024], Comp::Plain.media_type(), &limits).is_err());
}

#[test]
fn decompression_bombs_and_limits() {
    // 200 MiB of zeros in a few kilobytes.
    let bomb = zstd_bomb(200 << 20);
    assert!(bomb.len() < 64 << 10, "bomb is {} bytes", bomb.len());
    let err = walk_blob(bomb.clone(), Comp::Zstd.media_type(), &Limits::default()).unwrap_err().to_string();
    assert!(err.contains("decompresses more than 200x"), "{err}");
    let small = Limits { max_layer_bytes: 1 << 20, ..Limits::default() };
    let err = walk_blob(bomb, Comp::Zstd.media_type(), &small).unwrap_err().to_string();
    assert!(err.contains("exceeds the limit of 1048576 bytes per layer"), "{err}");

    // The image-wide cap counts across layers.
    let tar = tar_of(&[sized("a", 3000)]);
    let limits = Limits { max_image_bytes: tar.len() as u64 + 1000, ..Limits::default() };
    let total = temper_layer::ImageTally::default();
    let blob = |t: &[u8]| LayerContent::Stream(Box::new(std::io::Cursor::new(t.to_vec())));
    let described = Layer::new(None, None, Comp::Plain.media_type(), None);
    walk_layer(0, &described, blob(&tar), &limits, &total, &NoProgress).unwrap();
    let err = walk_layer(1, &described, blob(&tar), &limits, &total, &NoProgress).unwrap_err().to_string();
    assert!(err.contains("layer 1") && err.contains("image exceeds the limit"), "{err}");

    // Entries per layer.
    let many: Vec<Entry> = (0..11).map(|i| sized(&format!("f{i}"), 1)).collect();
    let limits = Limits { max_entries: 10, ..Limits::default() };
    let err = walk_blob(tar_of(&many), Comp::Plain.media_type(), &limits).unwrap_err().to_string();
    assert!(err.contains("more than 10 tar entries"), "{err}");
    assert_eq!(walk_blob(tar_of(&many[..10]), Comp::Plain.media_type(), &limits).unwrap().entries.len(), 10);

    // Through an image, a lowered limit names the layer.
    let tmp = tempfile::tempdir().unwrap();
    OciLayout::single(tmp.path(), &ImageSpec::new(vec![layer(&many, Comp::Gzip)]), "x");
    let err = failure(&src("oci", tmp.path(), None), &limits);
    assert!(err.contains("layer 0 (sha256:") && err.contains("more than 10 tar entries"), "{err}");
}

// -------------------------------------------------------------------- dir:

#[test]
fn dir_source_keeps_links_and_modes() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink as mklink};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::write(root.join("usr/bin/su"), vec![1u8; 1234]).unwrap();
    std::fs::set_permissions(root.join("usr/bin/su"), std::fs::Permissions::from_mode(0o4755)).unwrap();
    std::fs::write(root.join("usr/bin/a"), b"same inode").unwrap();
    std::fs::hard_link(root.join("usr/bin/a"), root.join("usr/bin/b")).unwrap();
    mklink("usr/bin", root.join("bin")).unwrap();
    mklink("/etc/passwd", root.join("passwd")).unwrap();
    assert_eq!(std::fs::metadata(root.join("usr/bin/su")).unwrap().mode() & 0o7777, 0o4755);

    let (image, walked) = walk(&format!("dir:{}", root.display()));
    assert_eq!(image.layers.len(), 1);
    let l = &walked[0];
    assert_eq!(l.compression, Compression::Directory);
    assert_eq!(paths(l), ["bin", "passwd", "usr", "usr/bin", "usr/bin/a", "usr/bin/b", "usr/bin/su"]);
    let get = |p: &str| l.entries.iter().find(|e| e.path == p).unwrap();
    assert_eq!(get("bin").kind, EntryKind::Symlink { target: "usr/bin".into() });
    assert_eq!(get("passwd").kind, EntryKind::Symlink { target: "/etc/passwd".into() });
    assert_eq!(get("usr/bin/su").mode, 0o4755);
    assert_eq!(get("usr/bin/su").size, 1234);
    assert_eq!(get("usr/bin/su").kind, EntryKind::File);
    assert!(get("usr").is_dir());
    // One of the two names is the file, the other a hard link to it.
    let (a, b) = (get("usr/bin/a"), get("usr/bin/b"));
    let pair = [(&a.kind, a.size), (&b.kind, b.size)];
    assert!(
        pair == [(&EntryKind::File, 10), (&EntryKind::Hardlink { target: "usr/bin/a".into() }, 0)]
            || pair == [(&EntryKind::Hardlink { target: "usr/bin/b".into() }, 0), (&EntryKind::File, 10)],
        "{pair:?}"
    );
    assert_eq!(l.uncompressed_size, 1234 + 10);
    let analysis = analyze(&walked).unwrap();
    assert_eq!(analysis.merged.visible_bytes(), 1244);
    assert_eq!(analysis.efficiency.wasted_bytes, 0);
}

#[test]
fn whiteouts_of_dot_and_dot_dot_are_refused() {
    // `.wh..` would whiteout "a/." and `.wh...` "a/..": entry paths must
    // never hold such segments.
    for name in [&b"a/.wh.."[..], b"a/.wh...", b".wh...", b".wh.."] {
        let tar = tar_of(&[dir("a"), raw(name, tar::EntryType::Regular, b"", b"")]);
        match walk_blob(tar, Comp::Plain.media_type(), &Limits::default()) {
            Ok(l) => panic!("{}: walked as {:?}", String::from_utf8_lossy(name), paths(&l)),
            Err(e) => assert!(e.to_string().contains(&*String::from_utf8_lossy(name)), "{e}"),
        }
    }
}

// ---------------------------------------------------------- tar formats

/// Walks `blob` on a thread; no result within a minute is a hang.
fn walk_within(what: &str, blob: Vec<u8>, media_type: &'static str) -> LayerIndex {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(walk_blob(blob, media_type, &Limits::default()).map_err(|e| e.to_string())));
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(r) => r.unwrap_or_else(|e| panic!("{what}: {e}")),
        Err(e) => panic!("{what}: no result ({e}): the walk hangs or panicked"),
    }
}

/// A tree of `n` files whose paths are over 100 bytes (so every tar
/// format needs an extension for them), in a temporary directory.
fn long_named_tree(n: usize) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let deep = tmp.path().join("root").join("directory-with-a-rather-long-name-".repeat(3));
    std::fs::create_dir_all(&deep).unwrap();
    for i in 0..n {
        std::fs::write(deep.join(format!("file-{i:05}-{}", "é".repeat(20))), i.to_string()).unwrap();
    }
    tmp
}

#[test]
fn gnu_tar_formats_walk_with_every_entry() {
    // What GNU tar writes with each format, gzipped as a layer: POSIX
    // (PAX headers, as Go's and Python's writers also emit) once hung
    // every command in an endless loop.
    let tree = long_named_tree(2000);
    for format in ["posix", "gnu", "ustar"] {
        let out = std::process::Command::new("tar")
            .args(["--format", format, "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "-C"])
            .arg(tree.path().join("root"))
            .args(["-cf", "-", "."])
            .output()
            .expect("GNU tar runs");
        if format == "ustar" {
            // ustar cannot hold these names: GNU tar says so and skips them.
            assert!(!out.status.success());
            continue;
        }
        assert!(out.status.success(), "tar --format={format}: {}", String::from_utf8_lossy(&out.stderr));
        let l = walk_within(&format!("tar --format={format} | gzip"), gzip(&out.stdout), Comp::Gzip.media_type());
        assert_eq!(l.entries.iter().filter(|e| e.kind == EntryKind::File).count(), 2000, "tar --format={format}");
        assert!(l.entries.iter().any(|e| e.path.ends_with(&format!("file-01999-{}", "é".repeat(20)))), "tar --format={format}");
    }
}

#[test]
fn pax_records_over_a_read_buffer_walk() {
    // A 9,000-byte PAX record (a long comment) crosses the 8 KiB reads of
    // the decompressor: the guard must follow it across reads.
    let mut b = tar::Builder::new(Vec::new());
    b.append_pax_extensions([("comment", "c".repeat(9000).as_bytes())]).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_size(2);
    h.set_mode(0o644);
    b.append_data(&mut h, "after-the-record", &b"ok"[..]).unwrap();
    let tar = b.into_inner().unwrap();
    for c in ALL_COMP {
        let l = walk_within(&format!("{c:?}"), compress(&tar, c), c.media_type());
        assert_eq!(paths(&l), ["after-the-record"], "{c:?}");
        assert_eq!(l.entries[0].size, 2);
    }
}

// ------------------------------------------------- hostile layers (issue 12)

/// Counts the files the pass hands over, by layer.
#[derive(Default)]
struct Handed(std::sync::Mutex<Vec<usize>>);

impl temper_layer::FileSink for Handed {
    fn wants(&self, _: usize, _: &str, _: &temper_layer::FileEntry) -> Option<u64> {
        Some(16)
    }
    fn take(&self, layer: usize, _: &str, _: &temper_layer::FileEntry, _: &[u8], _: bool) {
        self.0.lock().unwrap().push(layer);
    }
}

#[test]
fn a_blob_listed_many_times_is_read_once_and_counted_each_time() {
    let tmp = tempfile::tempdir().unwrap();
    let base = layer(&[file("a", "x"), file("b", "y")], Comp::Gzip);
    OciLayout::single(tmp.path(), &ImageSpec::new(vec![base.clone(); 6]), "x");
    let image = open(&src("oci", tmp.path(), None));
    let handed = Handed::default();
    let walked = temper_layer::walk_image_with(&image, &Limits::default(), &NoProgress, &handed).unwrap();
    assert_eq!(walked.len(), 6);
    assert!(walked.iter().all(|l| paths(l) == ["a", "b"] && l.digest.as_ref() == Some(&base.digest)));
    assert_eq!(*handed.0.lock().unwrap(), [0, 0], "the blob's files are read once, under its first layer");
    // Each listing holds its entries, so each counts against the cap.
    let limits = Limits { max_entries: 11, ..Limits::default() };
    let err = failure(&src("oci", tmp.path(), None), &limits);
    assert!(err.contains("layer 5 (a repeat of layer") && err.contains("more than 11 tar entries") && err.contains("--max-entries"), "{err}");
    assert_eq!(walk_image(&image, &Limits { max_entries: 12, ..Limits::default() }, &NoProgress).unwrap().len(), 6);
}

#[test]
fn the_entry_cap_is_image_wide() {
    let tmp = tempfile::tempdir().unwrap();
    let many = |p: &str| (0..6).map(|i| sized(&format!("{p}{i}"), 1)).collect::<Vec<_>>();
    OciLayout::single(tmp.path(), &ImageSpec::new(vec![layer(&many("a"), Comp::Gzip), layer(&many("b"), Comp::Zstd)]), "x");
    let err = failure(&src("oci", tmp.path(), None), &Limits { max_entries: 10, ..Limits::default() });
    assert!(
        err.contains("the image has more than 10 tar entries over its layers; if it really has that many files, raise the limit with --max-entries"),
        "{err}"
    );
    assert_eq!(walk(&src("oci", tmp.path(), None)).1.len(), 2);
}

#[test]
fn descriptor_sizes_are_checked_against_the_blob() {
    let tar = tar_of(&[file("a", "x")]);
    let blob = gzip(&tar);
    let walk_declared = |size: u64| {
        let layer = Layer::new(None, None, Comp::Gzip.media_type(), Some(size));
        walk_layer(0, &layer, LayerContent::Stream(Box::new(std::io::Cursor::new(blob.clone()))), &Limits::default(), &Default::default(), &NoProgress)
    };
    let n = blob.len() as u64;
    assert!(walk_declared(n).is_ok());
    let err = walk_declared(10).unwrap_err().to_string();
    assert!(err.contains("larger than the 10 bytes its descriptor declares"), "{err}");
    let err = walk_declared(1 << 62).unwrap_err().to_string();
    assert!(err.contains(&format!("size mismatch: the descriptor declares {} bytes, the blob has {n}", 1u64 << 62)), "{err}");
}

#[test]
fn a_hard_link_to_nothing_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    OciLayout::single(tmp.path(), &ImageSpec::new(vec![layer(&[file("a", "x"), hardlink("b", "missing")], Comp::Gzip)]), "x");
    let err = failure(&src("oci", tmp.path(), None), &Limits::default());
    assert!(err.contains("refusing the hard link 'b': its target 'missing' is not a file"), "{err}");
}

#[test]
fn foreign_compressions_are_named() {
    let tar = tar_of(&[file("a", "x")]);
    for (tool, args, name) in [("bzip2", &["-c"][..], "bzip2"), ("xz", &["-c"][..], "xz")] {
        let Ok(mut child) = std::process::Command::new(tool).args(args).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn() else {
            panic!("{tool} is needed for this test")
        };
        child.stdin.take().unwrap().write_all(&tar).unwrap();
        let out = child.wait_with_output().unwrap().stdout;
        let err = walk_blob(out, Comp::Gzip.media_type(), &Limits::default()).unwrap_err().to_string();
        assert!(err.contains(&format!("the content is {name}-compressed (media type 'application/vnd.oci.image.layer.v1.tar+gzip')")), "{err}");
    }
}

#[test]
fn malformed_header_numbers_are_described_not_echoed() {
    let mut tar = tar_of(&[file("a", "x")]);
    // The size field (offset 124, 12 bytes), the first number the tar
    // reader parses: control bytes instead of octal digits.
    tar[124..136].copy_from_slice(b"\x01\x1b]0;x\x07\x00\x00\x00\x00\x00");
    let mut h = tar::Header::from_byte_slice(&tar[..512]).clone();
    h.set_cksum();
    tar[..512].copy_from_slice(h.as_bytes());
    let err = walk_blob(tar, Comp::Plain.media_type(), &Limits::default()).unwrap_err().to_string();
    assert!(err.contains("malformed tar header of 'a': its size field is not an octal number"), "{err}");
    assert!(!err.chars().any(|c| c.is_control()), "{err:?}");
}

#[test]
fn an_untagged_index_does_not_list_empty_tags() {
    let tmp = tempfile::tempdir().unwrap();
    let oci = OciLayout::new(tmp.path());
    let a = oci.add_image(&ImageSpec::new(vec![layer(&[file("a", "x")], Comp::Gzip)]));
    let b = oci.add_image(&ImageSpec::new(vec![layer(&[file("b", "x")], Comp::Gzip)]));
    oci.write_index(vec![a, b]);
    let err = failure(&src("oci", tmp.path(), None), &Limits::default());
    assert!(err.contains("index.json lists 2 manifests; pick one with :TAG (it tags none)"), "{err}");
    let err = failure(&src("oci", tmp.path(), Some("v1")), &Limits::default());
    assert!(err.contains("no manifest tagged 'v1'; it tags none"), "{err}");
}

/// Hands out `first` bytes in its first read, then everything asked for.
struct ShortFirstRead {
    inner: std::io::Cursor<Vec<u8>>,
    first: Option<usize>,
}

impl std::io::Read for ShortFirstRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.first.take().unwrap_or(buf.len()).min(buf.len());
        self.inner.read(&mut buf[..n])
    }
}

#[test]
fn compression_is_detected_after_a_short_first_read() {
    // Found by the split-read fuzz bodies: the magic number was judged on
    // the first read alone, so a stream whose first read held 1 to 3 bytes
    // had its gzip or zstd layer read as a plain tar.
    let tar = tar_of(&[file("etc/os-release", "ID=x\n")]);
    for c in ALL_COMP {
        for first in 1..=4 {
            let blob = compress(&tar, c);
            let layer = Layer::new(None, None, c.media_type(), Some(blob.len() as u64));
            let stream = ShortFirstRead { inner: std::io::Cursor::new(blob), first: Some(first) };
            let l = walk_layer(0, &layer, LayerContent::Stream(Box::new(stream)), &Limits::default(), &Default::default(), &NoProgress)
                .unwrap_or_else(|e| panic!("{c:?}, first read {first}: {e}"));
            assert_eq!(paths(&l), ["etc/os-release"], "{c:?}, first read {first}");
        }
    }
}

#[test]
fn pax_global_headers_are_not_entries() {
    // GNU tar writes one for `--pax-option key=value` and names it
    // $TMPDIR/GlobalHead.<pid>.<n>, an absolute path; git archive writes
    // one too. It describes the archive: skipped, not refused.
    let mut b = tar::Builder::new(Vec::new());
    let records = b"28 comment=from git archive\n";
    let mut g = tar::Header::new_ustar();
    g.set_entry_type(tar::EntryType::XGlobalHeader);
    g.set_size(records.len() as u64);
    g.set_mode(0o644);
    // (set_path refuses absolute names)
    g.as_old_mut().name[..22].copy_from_slice(b"/tmp/GlobalHead.1234.1");
    g.set_cksum();
    b.append(&g, &records[..]).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_size(2);
    h.set_mode(0o644);
    b.append_data(&mut h, "etc/after", &b"ok"[..]).unwrap();
    let tar = b.into_inner().unwrap();
    let l = walk_within("a PAX global header", tar, Comp::Plain.media_type());
    assert_eq!(paths(&l), ["etc/after"]);
    assert_eq!(l.tar_entries, 2);
}
