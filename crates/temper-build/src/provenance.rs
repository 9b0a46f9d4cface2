//! What a build writes beside its output, ready to be attested once
//! signing exists: a CycloneDX SBOM of the result, made by the inventory
//! stage every scan uses (the base's layers hit the layer cache), and an
//! in-toto statement with a SLSA provenance v1 predicate: the spec and
//! the lock as external parameters, the base and every local input as
//! resolved dependencies. Neither holds the time of the build, so both are
//! as reproducible as the image.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::lock::Lock;
use crate::{Error, Reporter};

/// The build type this predicate follows (a URI temper owns).
pub const BUILD_TYPE: &str = "https://example.invalid/temper/build-types/golden/v1";

/// `PATH.SUFFIX` beside an output at `PATH`.
fn beside(output: &Path, suffix: &str) -> PathBuf {
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "image".to_owned());
    let dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    dir.join(format!("{name}.{suffix}"))
}

/// `PATH.sbom.cdx.json` beside an output at `PATH`; `PATH.linux-arm64.sbom.cdx.json` for one platform of an index.
pub fn sbom_path(output: &Path, platform: Option<&str>) -> PathBuf {
    match platform {
        Some(p) => beside(output, &format!("{p}.sbom.cdx.json")),
        None => beside(output, "sbom.cdx.json"),
    }
}

/// `PATH.provenance.json` beside an output at `PATH`.
pub fn provenance_path(output: &Path) -> PathBuf {
    beside(output, "provenance.json")
}

/// Writes `text` to `path` through a temporary file.
pub fn write_whole(path: &Path, text: &str) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|source| Error::Write { path: tmp.clone(), source })?;
    std::fs::rename(&tmp, path).map_err(|source| Error::Write { path: path.to_owned(), source })
}

/// The CycloneDX SBOM of the image at `reference` (the build's output), of `platform` for an index.
pub fn sbom(reference: &str, platform: Option<temper_image::Platform>, limits: &temper_layer::Limits, cache: &temper_verdict::CacheSettings, epoch: i64, reporter: &dyn Reporter) -> Result<String, Error> {
    let opened = temper_verdict::target::open(reference, &temper_image::OpenOptions { platform, ..Default::default() })?;
    let scanned = temper_verdict::pass::scan(&opened.image, limits, cache, reporter, false)?;
    let subject = temper_verdict::target::subject(&opened.source, &opened.image, &scanned.layers);
    let timestamp = temper_inventory::format::Timestamp::resolve(Some(&epoch.to_string()), None).map_err(|e| Error::Spec(e.to_string()))?;
    let doc = temper_inventory::format::Sbom { subject: &subject, inventory: &scanned.inventory, timestamp, tool_version: env!("CARGO_PKG_VERSION") };
    temper_inventory::format::cyclonedx::encode(&doc).map_err(|e| Error::Spec(e.to_string()))
}

/// `{"sha256": hex}` of a `sha256:hex` digest.
fn digest_set(digest: &str) -> Value {
    match digest.split_once(':') {
        Some((alg, hex)) => json!({ alg: hex }),
        None => json!({}),
    }
}

/// The in-toto statement with the SLSA provenance v1 predicate; its
/// subjects are (name, digest): the output, and each platform of an index.
pub fn statement(output: &str, subjects: &[(String, String)], spec_path: &Path, spec_text: &str, labels: &std::collections::BTreeMap<String, String>, lock: &Lock, source_date_epoch: Option<&str>) -> Value {
    let mut dependencies = vec![json!({ "uri": lock.base.reference, "digest": digest_set(&lock.base.digest), "name": "base" })];
    dependencies.extend(lock.inputs.iter().map(|i| json!({ "uri": format!("file:{}", i.path), "digest": digest_set(&i.digest) })));
    let inputs: Vec<Value> = lock.inputs.iter().map(|i| json!({ "path": i.path, "digest": i.digest })).collect();
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects.iter().map(|(name, digest)| json!({ "name": name, "digest": digest_set(digest) })).collect::<Vec<_>>(),
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "spec": {
                        "path": spec_path.file_name().map(|n| n.to_string_lossy().into_owned()),
                        "digest": { "sha256": hex::encode(Sha256::digest(spec_text.as_bytes())) },
                        "content": spec_text,
                    },
                    "lock": { "version": lock.version, "base": { "reference": lock.base.reference, "digest": lock.base.digest, "platforms": lock.base.platforms.iter().map(|p| json!({ "platform": p.platform, "digest": p.digest })).collect::<Vec<_>>() }, "inputs": inputs },
                    "labels": labels,
                    "output": output,
                },
                "internalParameters": { "SOURCE_DATE_EPOCH": source_date_epoch },
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": { "id": "https://example.invalid/temper/builders/local", "version": { "temper": env!("CARGO_PKG_VERSION") } },
                "metadata": {},
            },
        },
    })
}
