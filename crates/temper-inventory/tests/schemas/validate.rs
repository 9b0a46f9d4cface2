//! Checks generated SBOMs against the official schemas vendored beside this
//! file, serving the schemas' `$ref`s to sibling files from here (never the
//! network), then checks the rules the schemas leave out: unique
//! `bom-ref`s and SPDX ids, references that resolve, SPDX id characters and
//! licence expressions. Shared by temper-inventory's unit tests and temper's
//! end-to-end tests through `#[path]`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

fn schema_dir() -> PathBuf {
    // Both crates sit in `crates/`, so this resolves from either.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../temper-inventory/tests/schemas")
}

fn load(name: &str) -> Result<Value, String> {
    let path = schema_dir().join(name);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Serves the CycloneDX schema's sibling schemas from disk.
struct Local;

impl jsonschema::Retrieve for Local {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = match uri.as_str() {
            "http://cyclonedx.org/schema/spdx.schema.json" => "spdx.schema.json",
            "http://cyclonedx.org/schema/jsf-0.82.schema.json" => "jsf-0.82.schema.json",
            other => return Err(format!("not vendored (tests never fetch): {other}").into()),
        };
        Ok(load(name)?)
    }
}

fn schema_errors(schema: &str, doc: &Value) -> Result<(), String> {
    let validator = jsonschema::options()
        .with_retriever(Local)
        .should_validate_formats(true)
        .build(&load(schema)?)
        .map_err(|e| format!("{schema}: {e}"))?;
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    if errors.is_empty() { Ok(()) } else { Err(format!("{schema}:\n{}", errors.join("\n"))) }
}

fn str_at<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v[key].as_str().ok_or_else(|| format!("{key} missing in {v}"))
}

/// A CycloneDX 1.6 document: schema, unique bom-refs, dependency refs known.
pub fn cyclonedx(doc: &Value) -> Result<(), String> {
    schema_errors("bom-1.6.schema.json", doc)?;
    let mut refs = BTreeSet::new();
    let components = doc["components"].as_array().map(Vec::as_slice).unwrap_or_default();
    for c in std::iter::once(&doc["metadata"]["component"]).chain(components) {
        let r = str_at(c, "bom-ref")?;
        if !refs.insert(r.to_owned()) {
            return Err(format!("bom-ref {r} repeats"));
        }
    }
    for d in doc["dependencies"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let deps = d["dependsOn"].as_array().map(Vec::as_slice).unwrap_or_default();
        for r in std::iter::once(&d["ref"]).chain(deps) {
            let r = r.as_str().ok_or("a dependency ref is not a string")?;
            if !refs.contains(r) {
                return Err(format!("dependency on unknown bom-ref {r}"));
            }
        }
    }
    Ok(())
}

/// An SPDX 2.3 document: schema, then what the specification requires
/// beyond it.
pub fn spdx(doc: &Value) -> Result<(), String> {
    schema_errors("spdx-2.3.schema.json", doc)?;
    let id_ok = |id: &str| id.strip_prefix("SPDXRef-").is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
    let mut ids = BTreeSet::from(["SPDXRef-DOCUMENT".to_owned()]);
    let mut licence_refs = BTreeSet::new();
    for e in doc["hasExtractedLicensingInfos"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let id = str_at(e, "licenseId")?;
        let ok = id.strip_prefix("LicenseRef-").is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
        if !ok || !licence_refs.insert(id.to_owned()) {
            return Err(format!("bad or repeated licenseId {id}"));
        }
        str_at(e, "extractedText")?;
    }
    for p in doc["packages"].as_array().ok_or("no packages")? {
        let id = str_at(p, "SPDXID")?;
        if !id_ok(id) || !ids.insert(id.to_owned()) {
            return Err(format!("bad or repeated SPDXID {id}"));
        }
        for key in ["licenseDeclared", "licenseConcluded"] {
            let Some(expr) = p[key].as_str() else { continue };
            if expr == "NOASSERTION" || expr == "NONE" {
                continue;
            }
            let parsed = spdx::Expression::parse_mode(expr, spdx::ParseMode { allow_deprecated: true, ..spdx::ParseMode::STRICT })
                .map_err(|e| format!("{id} {key} '{expr}': {e}"))?;
            for r in parsed.requirements() {
                if let spdx::LicenseItem::Other(lr) = &r.req.license {
                    let name = format!("LicenseRef-{}", lr.lic_ref);
                    if !licence_refs.contains(&name) {
                        return Err(format!("{id} uses {name}, which hasExtractedLicensingInfos does not define"));
                    }
                }
            }
        }
    }
    for r in doc["relationships"].as_array().map(Vec::as_slice).unwrap_or_default() {
        for key in ["spdxElementId", "relatedSpdxElement"] {
            let id = str_at(r, key)?;
            if !ids.contains(id) {
                return Err(format!("relationship names unknown {id}"));
            }
        }
    }
    let created = str_at(&doc["creationInfo"], "created")?;
    let shape = created.len() == 20 && created.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        10 => b == b'T',
        13 | 16 => b == b':',
        19 => b == b'Z',
        _ => b.is_ascii_digit(),
    });
    if !shape {
        return Err(format!("created '{created}' is not YYYY-MM-DDThh:mm:ssZ"));
    }
    // SPDX 2.3 §6.7: `M.N`; SPDX's own tools reject a patch level.
    if let Some(v) = doc["creationInfo"]["licenseListVersion"].as_str() {
        let parts: Vec<&str> = v.split('.').collect();
        if parts.len() != 2 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
            return Err(format!("licenseListVersion '{v}' is not M.N"));
        }
    }
    let namespace = str_at(doc, "documentNamespace")?;
    if namespace.contains('#') || !namespace.contains("://") {
        return Err(format!("documentNamespace '{namespace}' is not an absolute URI without '#'"));
    }
    Ok(())
}
