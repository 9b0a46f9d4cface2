//! `temper build --check-reproducible`: the spec is built twice into two
//! fresh layouts and the results compared; on a difference, the first
//! differing document field or layer entry field is named, which is
//! what one needs to find the nondeterminism.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::{Error, Options, Reporter, build_with};

/// The verdict.
#[derive(Debug)]
pub struct Reproducibility {
    /// The manifest digest of each build.
    pub digests: [String; 2],
    /// The first difference, when the digests differ.
    pub difference: Option<String>,
}

/// Builds `spec_path` twice (into temporary layouts; the lock is left as
/// it is) and compares.
pub fn check(spec_path: &Path, opts: &Options, reporter: &dyn Reporter) -> Result<Reproducibility, Error> {
    let scratch = tempfile::tempdir().map_err(|source| Error::Write { path: std::env::temp_dir(), source })?;
    let mut digests = Vec::new();
    for run in ["first", "second"] {
        let dir = scratch.path().join(run);
        let opts = Options { output: format!("oci:{}:check", dir.display()), ..opts.clone() };
        digests.push(build_with(spec_path, &opts, reporter, false)?.digest);
    }
    let difference = (digests[0] != digests[1]).then(|| first_difference(&scratch.path().join("first"), &scratch.path().join("second"), &digests[0], &digests[1]));
    Ok(Reproducibility { digests: [digests[0].clone(), digests[1].clone()], difference })
}

fn blob(dir: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(dir.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))).unwrap_or_default()
}

fn json(dir: &Path, digest: &str) -> Value {
    serde_json::from_slice(&blob(dir, digest)).unwrap_or(Value::Null)
}

/// The first JSON path where `a` and `b` differ.
fn json_difference(at: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| json_difference(&format!("{at}.{k}"), x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null)))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x.iter().zip(y).enumerate().find_map(|(i, (p, q))| json_difference(&format!("{at}[{i}]"), p, q)),
        _ if a == b => None,
        _ => Some(format!("{at}: {a} vs {b}")),
    }
}

/// One layer's entries: path → (header fields, content).
fn entries(bytes: &[u8]) -> BTreeMap<String, (String, Vec<u8>)> {
    let reader: Box<dyn Read + '_> = match bytes {
        [0x1f, 0x8b, ..] => Box::new(flate2::read::GzDecoder::new(bytes)),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => match zstd::Decoder::new(bytes) {
            Ok(d) => Box::new(d),
            Err(_) => return BTreeMap::new(),
        },
        _ => Box::new(bytes),
    };
    let mut out = BTreeMap::new();
    let mut archive = tar::Archive::new(reader);
    let Ok(list) = archive.entries() else { return out };
    for e in list.flatten().take(1_000_000) {
        let mut e = e;
        let h = e.header();
        let fields = format!(
            "mode {:o}, uid {}, gid {}, mtime {}, size {}, type {:?}, user {:?}, group {:?}",
            h.mode().unwrap_or(0),
            h.uid().unwrap_or(0),
            h.gid().unwrap_or(0),
            h.mtime().unwrap_or(0),
            h.size().unwrap_or(0),
            h.entry_type(),
            h.username().ok().flatten().unwrap_or(""),
            h.groupname().ok().flatten().unwrap_or("")
        );
        let path = e.path().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        let mut content = Vec::new();
        let _ = e.read_to_end(&mut content);
        out.insert(path, (fields, content));
    }
    out
}

fn first_difference(a: &Path, b: &Path, da: &str, db: &str) -> String {
    let (ma, mb) = (json(a, da), json(b, db));
    // An index: the first platform whose manifests differ.
    if let (Some(xa), Some(xb)) = (ma["manifests"].as_array(), mb["manifests"].as_array()) {
        for (x, y) in xa.iter().zip(xb) {
            let (dx, dy) = (x["digest"].as_str().unwrap_or(""), y["digest"].as_str().unwrap_or(""));
            if dx != dy {
                let platform = serde_json::from_value::<temper_image::Platform>(x["platform"].clone()).map(|p| p.to_string()).unwrap_or_default();
                return format!("{platform}: {}", first_difference(a, b, dx, dy));
            }
        }
        return json_difference("index", &ma, &mb).unwrap_or_else(|| "the indexes differ".to_owned());
    }
    let (ca, cb) = (ma["config"]["digest"].as_str().unwrap_or(""), mb["config"]["digest"].as_str().unwrap_or(""));
    if ca != cb
        && let Some(d) = json_difference("config", &json(a, ca), &json(b, cb))
    {
        return d;
    }
    let empty = Vec::new();
    let (la, lb) = (ma["layers"].as_array().unwrap_or(&empty), mb["layers"].as_array().unwrap_or(&empty));
    for (i, (x, y)) in la.iter().zip(lb).enumerate() {
        let (dx, dy) = (x["digest"].as_str().unwrap_or(""), y["digest"].as_str().unwrap_or(""));
        if dx == dy {
            continue;
        }
        let (ex, ey) = (entries(&blob(a, dx)), entries(&blob(b, dy)));
        for path in ex.keys().chain(ey.keys()).collect::<std::collections::BTreeSet<_>>() {
            match (ex.get(path), ey.get(path)) {
                (Some((fx, cx)), Some((fy, cy))) if fx != fy => return format!("layer {i}: /{path}: {fx} vs {fy}"),
                (Some((_, cx)), Some((_, cy))) if cx != cy => return format!("layer {i}: /{path}: the contents differ"),
                (Some(_), None) | (None, Some(_)) => return format!("layer {i}: /{path} is in one build only"),
                _ => {}
            }
        }
        return format!("layer {i}: the same files, compressed differently ({dx} vs {dy})");
    }
    json_difference("manifest", &ma, &mb).unwrap_or_else(|| "the manifests differ".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_named_by_their_path() {
        let a = serde_json::json!({"config": {"Env": ["A=1"], "User": "x"}, "created": "1"});
        let b = serde_json::json!({"config": {"Env": ["A=2"], "User": "x"}, "created": "2"});
        assert_eq!(json_difference("config", &a, &b).unwrap(), "config.config.Env[0]: \"A=1\" vs \"A=2\"");
        assert!(json_difference("config", &a, &a).is_none());
    }

    #[test]
    fn layer_entries_differ_by_header_field() {
        let tar = |mtime: u64| {
            let mut b = tar::Builder::new(Vec::new());
            let mut h = tar::Header::new_gnu();
            h.set_size(2);
            h.set_mode(0o644);
            h.set_mtime(mtime);
            b.append_data(&mut h, "etc/x", &b"hi"[..]).unwrap();
            b.into_inner().unwrap()
        };
        let (x, y) = (entries(&tar(1)), entries(&tar(2)));
        assert_ne!(x["etc/x"].0, y["etc/x"].0);
        assert!(y["etc/x"].0.contains("mtime 2"));
    }
}
