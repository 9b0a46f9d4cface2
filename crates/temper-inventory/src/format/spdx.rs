//! SPDX 2.3 JSON.
//!
//! The document describes one package, the image (purpose `CONTAINER`,
//! its manifest digest as version and a `pkg:oci` purl when it has a
//! digest), which `CONTAINS` the OS (purpose `OPERATING_SYSTEM`) when one was
//! identified and one package (purpose `LIBRARY`) per inventory package, in
//! inventory order; each package `DEPENDS_ON` the packages that meet its
//! requirements ([`crate::graph`]). Packages are metadata only: `filesAnalyzed` is false,
//! download location and concluded licence are `NOASSERTION`. The purl is a
//! `PACKAGE-MANAGER` external reference; `sourceInfo` names the layer
//! (index and diffID) that introduced the package, the file that evidences
//! it and, for dpkg, the source package.
//!
//! Files a cataloger could not read are listed in `creationInfo.comment`,
//! which then says the inventory may be incomplete.
//!
//! `licenseDeclared` is always a valid SPDX expression or `NOASSERTION`:
//! declared licence strings that are not SPDX become `LicenseRef-` ids
//! defined in `hasExtractedLicensingInfos` with the original text.
//!
//! Identifiers (`SPDXRef-…`) use only letters, digits, `.` and `-`, as the
//! specification requires, and end in a hash of the package's unique
//! reference so that two packages never share one.
//!
//! Reference: <https://spdx.github.io/spdx-spec/v2.3/>.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::{FormatError, Licence, Sbom, absolute, identity, licences, package_refs, to_json};
use crate::InventoryPackage;
use crate::graph::DependencyGraph;

const NOASSERTION: &str = "NOASSERTION";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
const IMAGE_ID: &str = "SPDXRef-Image";
const OS_ID: &str = "SPDXRef-OperatingSystem";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<Package>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicence>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
    license_list_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    download_location: &'static str,
    files_analyzed: bool,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    primary_package_purpose: &'static str,
}

impl Package {
    fn new(spdx_id: String, name: String, purpose: &'static str) -> Package {
        Package {
            spdx_id,
            name,
            version_info: None,
            download_location: NOASSERTION,
            files_analyzed: false,
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION.to_owned(),
            copyright_text: NOASSERTION,
            description: None,
            source_info: None,
            comment: None,
            external_refs: Vec::new(),
            primary_package_purpose: purpose,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

impl ExternalRef {
    fn purl(purl: String) -> ExternalRef {
        ExternalRef { reference_category: "PACKAGE-MANAGER", reference_type: "purl", reference_locator: purl }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicence {
    license_id: String,
    extracted_text: String,
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    related_spdx_element: String,
    relationship_type: &'static str,
}

/// Encodes `sbom` as an SPDX 2.3 JSON document.
pub fn encode(sbom: &Sbom<'_>) -> Result<String, FormatError> {
    let mut doc = build(sbom);
    // Identity over the content with the time left blank, so that
    // SOURCE_DATE_EPOCH moves `created` only.
    let id = identity(&doc)?;
    doc.document_namespace = format!("{}/spdx/{}-{id}", env!("CARGO_PKG_REPOSITORY"), id_safe(&sbom.subject.short_name));
    doc.creation_info.created = sbom.timestamp.rfc3339();
    to_json(&doc)
}

fn build(sbom: &Sbom<'_>) -> Document {
    let subject = sbom.subject;
    let inventory = sbom.inventory;

    let mut image = Package::new(IMAGE_ID.to_owned(), subject.name.clone(), "CONTAINER");
    image.version_info = subject.manifest_digest.as_ref().map(ToString::to_string);
    image.external_refs.extend(subject.purl().map(ExternalRef::purl));
    let mut facts = Vec::new();
    if let Some(d) = &subject.config_digest {
        facts.push(format!("config {d}"));
    }
    if let Some(p) = &subject.platform {
        facts.push(format!("platform {p}"));
    }
    if !subject.diff_ids.is_empty() {
        let layers: Vec<String> = subject.diff_ids.iter().map(ToString::to_string).collect();
        facts.push(format!("layer diffIDs (base first) {}", layers.join(", ")));
    }
    image.comment = (!facts.is_empty()).then(|| facts.join("; "));

    let mut packages = vec![image];
    let mut relationships = vec![Relationship { spdx_element_id: DOCUMENT_ID.to_owned(), related_spdx_element: IMAGE_ID.to_owned(), relationship_type: "DESCRIBES" }];
    let contains = |id: &str| Relationship { spdx_element_id: IMAGE_ID.to_owned(), related_spdx_element: id.to_owned(), relationship_type: "CONTAINS" };
    if let Some(os) = &inventory.os {
        let mut p = Package::new(OS_ID.to_owned(), os.id.clone(), "OPERATING_SYSTEM");
        p.version_info = os.version_id.clone();
        p.description = os.pretty_name.clone();
        relationships.push(contains(OS_ID));
        packages.push(p);
    }
    let mut extracted = BTreeMap::new();
    let mut used = BTreeSet::new();
    let mut ids = Vec::with_capacity(inventory.packages.len());
    for (p, unique) in inventory.packages.iter().zip(package_refs(inventory)) {
        let mut id = format!("SPDXRef-Package-{}-{}-{}", p.package.ecosystem.purl_type(), id_safe(&p.package.name), short_hash(&unique));
        // Hashes of distinct references do not collide in practice; this
        // keeps the document valid even if they did.
        while !used.insert(id.clone()) {
            id.push_str("-1");
        }
        relationships.push(contains(&id));
        packages.push(package(p, id.clone(), &mut extracted));
        ids.push(id);
    }
    let graph = DependencyGraph::of(inventory);
    for (i, id) in ids.iter().enumerate() {
        for &j in graph.depends_on(i) {
            if let Some(to) = ids.get(j) {
                relationships.push(Relationship { spdx_element_id: id.clone(), related_spdx_element: to.clone(), relationship_type: "DEPENDS_ON" });
            }
        }
    }

    Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        name: subject.name.clone(),
        document_namespace: String::new(),
        creation_info: CreationInfo {
            created: String::new(),
            creators: vec![format!("Tool: temper-{}", sbom.tool_version)],
            license_list_version: license_list_version(::spdx::license_version()),
            comment: (!inventory.unknowns.is_empty()).then(|| {
                let list: Vec<String> = inventory.unknowns.iter().map(super::unknown).collect();
                format!("The inventory may be incomplete: files temper could not read: {}", list.join("; "))
            }),
        },
        packages,
        has_extracted_licensing_infos: extracted
            .into_iter()
            .map(|(license_id, text): (String, String)| ExtractedLicence { license_id, name: text.clone(), extracted_text: text })
            .collect(),
        relationships,
    }
}

fn package(p: &InventoryPackage, spdx_id: String, extracted: &mut BTreeMap<String, String>) -> Package {
    let mut out = Package::new(spdx_id, p.package.name.clone(), "LIBRARY");
    out.version_info = Some(p.package.version.clone());
    out.external_refs.push(ExternalRef::purl(p.purl.clone()));
    out.license_declared = declared(licences(&p.package.licenses), extracted);
    let mut info = format!("found by {}", p.found_by);
    match (p.layer, &p.diff_id) {
        (Some(l), Some(d)) => info.push_str(&format!(" in layer {l} ({d})")),
        (Some(l), None) => info.push_str(&format!(" in layer {l}")),
        (None, _) => {}
    }
    if !p.paths.is_empty() {
        let paths: Vec<String> = p.paths.iter().map(|path| absolute(path)).collect();
        info.push_str(&format!(" at {}", paths.join(", ")));
    }
    match (&p.package.source_name, &p.package.source_version) {
        (Some(n), Some(v)) => info.push_str(&format!("; source package {n} {v}")),
        (Some(n), None) => info.push_str(&format!("; source package {n}")),
        (None, Some(v)) => info.push_str(&format!("; source version {v}")),
        (None, None) => {}
    }
    out.source_info = Some(info);
    out
}

/// The licence list release as SPDX 2.3 writes it, `M.N`: the spdx crate
/// names the list's release (`3.29.0`), which SPDX's own tools reject.
fn license_list_version(release: &str) -> String {
    let mut parts = release.split('.');
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) => format!("{major}.{minor}"),
        _ => release.to_owned(),
    }
}

/// One SPDX expression for the declared licences: ids and expressions as
/// they are, free text as a `LicenseRef-` recorded in `extracted`, all joined
/// with `AND`; `NOASSERTION` when nothing was declared.
fn declared(list: Vec<Licence>, extracted: &mut BTreeMap<String, String>) -> String {
    if list.is_empty() {
        return NOASSERTION.to_owned();
    }
    let parts: Vec<String> = list
        .into_iter()
        .map(|l| match l {
            Licence::Id(s) | Licence::Expression(s) => s,
            Licence::Text(text) => {
                let id = licence_ref(&text);
                extracted.insert(id.clone(), text);
                id
            }
        })
        .collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    super::and_all(&parts)
}

/// `LicenseRef-<readable part>-<hash>`: readable, and distinct for texts
/// that differ only in characters an id cannot hold.
fn licence_ref(text: &str) -> String {
    let readable: String = id_safe(text).chars().take(40).collect();
    format!("LicenseRef-{}-{}", readable.trim_end_matches(['-', '.']), &short_hash(text)[..8])
}

/// `s` with every character SPDX ids do not allow turned into `-`, runs of
/// them collapsed.
fn id_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() { "x".to_owned() } else { trimmed.to_owned() }
}

/// The first 16 hex digits of the SHA-256 of `s`.
fn short_hash(s: &str) -> String {
    hex::encode(&Sha256::digest(s.as_bytes())[..8])
}
