//! CycloneDX 1.6 JSON.
//!
//! The document: `metadata.component` is the image (type `container`, its
//! manifest digest as version and a `pkg:oci` purl when it has a digest);
//! `metadata.tools.components` names temper. `components` holds the OS (type
//! `operating-system`) when one was identified, then one `library` per
//! package in inventory order. Each package carries its purl, licences,
//! `evidence.occurrences` (the files that evidence it) and `temper:`
//! properties: the layer index and diffID that introduced it, the cataloger
//! and, for dpkg, the source package. In `dependencies` the image depends on
//! every component, and each package whose requirements its cataloger
//! records on the packages that meet them, as [`crate::graph`] resolves
//! them. A package with a requirement nothing installed meets (a dpkg
//! package that is not installed, a dependency npm hoisted out of the
//! image) is named in a composition whose `dependencies` aggregate is
//! `incomplete`. Packages of other catalogers, which do not read edges,
//! have no entry: CycloneDX reads that as "unknown", the truth for them.
//!
//! Files a cataloger could not read are not dropped: each is a
//! `temper:unknown` property of `metadata`, and a composition marks the
//! image's inventory `incomplete`.
//!
//! Reference: <https://cyclonedx.org/docs/1.6/json/>.

use serde::Serialize;

use super::{FormatError, Licence, Sbom, absolute, identity, licences, package_refs, to_json};
use crate::graph::DependencyGraph;
use crate::{Inventory, InventoryPackage};

/// The schema this module writes.
const SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/// The SPDX ids CycloneDX 1.6 accepts in `license.id`, one per line: the
/// enumeration of its `spdx.schema.json` (a test keeps the two equal). The
/// SPDX list grows after a CycloneDX release, so a newer id is written as an
/// expression, which the schema does not enumerate.
const LICENSE_IDS: &str = include_str!("cyclonedx-1.6-spdx-ids.txt");

fn known_id(id: &str) -> bool {
    LICENSE_IDS.lines().any(|l| l == id)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    compositions: Vec<Composition>,
    /// Vulnerabilities (a scan's findings), already in CycloneDX form;
    /// they name components by the refs of [`super::package_refs`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Evidence>,
}

impl Component {
    fn new(kind: &'static str, name: String) -> Component {
        Component { kind, bom_ref: None, name, version: None, description: None, licenses: Vec::new(), purl: None, properties: Vec::new(), evidence: None }
    }
}

/// CycloneDX's `licenseChoice`: a list of licences, or one expression alone.
#[derive(Serialize)]
#[serde(untagged)]
enum LicenseChoice {
    License { license: License },
    Expression { expression: String },
}

#[derive(Serialize)]
struct License {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Serialize)]
struct Property {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Evidence {
    occurrences: Vec<Occurrence>,
}

#[derive(Serialize)]
struct Occurrence {
    location: String,
}

#[derive(Serialize)]
struct Composition {
    aggregate: &'static str,
    /// Components whose own inventory is incomplete (the image's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    assemblies: Vec<String>,
    /// Components whose `dependencies` entry is incomplete.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
}

#[derive(Serialize)]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

/// Encodes `sbom` as a CycloneDX 1.6 JSON document.
pub fn encode(sbom: &Sbom<'_>) -> Result<String, FormatError> {
    encode_with_vulnerabilities(sbom, Vec::new())
}

/// Encodes `sbom` with a `vulnerabilities` section (CycloneDX's
/// vulnerability-disclosure form); the identity covers them too.
pub fn encode_with_vulnerabilities(sbom: &Sbom<'_>, vulnerabilities: Vec<serde_json::Value>) -> Result<String, FormatError> {
    let mut bom = build(sbom);
    bom.vulnerabilities = vulnerabilities;
    // Identity over the content with the time left blank, so that
    // SOURCE_DATE_EPOCH moves the timestamp only.
    bom.serial_number = format!("urn:uuid:{}", identity(&bom)?);
    bom.metadata.timestamp = sbom.timestamp.rfc3339();
    to_json(&bom)
}

fn build(sbom: &Sbom<'_>) -> Bom {
    let subject = sbom.subject;
    let inventory = sbom.inventory;
    let image_purl = subject.purl();
    let image_ref = image_purl.clone().unwrap_or_else(|| "image".to_owned());

    let mut image = Component::new("container", subject.name.clone());
    image.bom_ref = Some(image_ref.clone());
    image.version = subject.manifest_digest.as_ref().map(ToString::to_string);
    image.purl = image_purl;
    if let Some(d) = &subject.config_digest {
        image.properties.push(Property { name: "temper:image:configDigest", value: d.to_string() });
    }
    if let Some(p) = &subject.platform {
        image.properties.push(Property { name: "temper:image:platform", value: p.to_string() });
    }
    if let Some(c) = &subject.created {
        image.properties.push(Property { name: "temper:image:created", value: c.clone() });
    }
    // Repeated, base layer first: CycloneDX properties keep their order.
    image.properties.extend(subject.diff_ids.iter().map(|d| Property { name: "temper:image:diffID", value: d.to_string() }));

    let mut tool = Component::new("application", "temper".to_owned());
    tool.version = Some(sbom.tool_version.to_owned());

    let mut components = Vec::with_capacity(inventory.packages.len() + 1);
    if let Some(os) = &inventory.os {
        let mut c = Component::new("operating-system", os.id.clone());
        c.bom_ref = Some(match &os.version_id {
            Some(v) => format!("os:{}@{v}", os.id),
            None => format!("os:{}", os.id),
        });
        c.version = os.version_id.clone();
        c.description = os.pretty_name.clone();
        if let Some(codename) = &os.codename {
            c.properties.push(Property { name: "temper:os:codename", value: codename.clone() });
        }
        components.push(c);
    }
    let refs = package_refs(inventory);
    for (p, bom_ref) in inventory.packages.iter().zip(&refs) {
        components.push(package(p, bom_ref.clone()));
    }

    let depends_on = components.iter().filter_map(|c| c.bom_ref.clone()).collect();
    let unknowns: Vec<Property> = inventory.unknowns.iter().map(|u| Property { name: "temper:unknown", value: super::unknown(u) }).collect();
    let (package_deps, incomplete) = package_dependencies(inventory, &refs);
    let mut compositions = Vec::new();
    if !unknowns.is_empty() {
        compositions.push(Composition { aggregate: "incomplete", assemblies: vec![image_ref.clone()], dependencies: Vec::new() });
    }
    if !incomplete.is_empty() {
        compositions.push(Composition { aggregate: "incomplete", assemblies: Vec::new(), dependencies: incomplete });
    }
    Bom {
        schema: SCHEMA,
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: String::new(),
        version: 1,
        metadata: Metadata { timestamp: String::new(), tools: Tools { components: vec![tool] }, component: image, properties: unknowns },
        components,
        dependencies: std::iter::once(Dependency { reference: image_ref, depends_on }).chain(package_deps).collect(),
        compositions,
        vulnerabilities: Vec::new(),
    }
}

/// Dependency entries from the [`DependencyGraph`]: one per package whose
/// edges were read. Also returns the refs of the packages with a
/// requirement nothing installed meets, whose lists are therefore incomplete.
fn package_dependencies(inventory: &Inventory, refs: &[String]) -> (Vec<Dependency>, Vec<String>) {
    let graph = DependencyGraph::of(inventory);
    let mut entries = Vec::new();
    let mut incomplete = Vec::new();
    for (i, r) in refs.iter().enumerate().filter(|(i, _)| graph.read(*i)) {
        if graph.incomplete(i) {
            incomplete.push(r.clone());
        }
        let depends_on = graph.depends_on(i).iter().filter_map(|&j| refs.get(j).cloned()).collect();
        entries.push(Dependency { reference: r.clone(), depends_on });
    }
    (entries, incomplete)
}

fn package(p: &InventoryPackage, bom_ref: String) -> Component {
    let mut c = Component::new("library", p.package.name.clone());
    c.bom_ref = Some(bom_ref);
    c.version = Some(p.package.version.clone());
    c.licenses = license_choice(licences(&p.package.licenses));
    c.purl = Some(p.purl.clone());
    if let Some(l) = p.layer {
        c.properties.push(Property { name: "temper:layer:index", value: l.to_string() });
    }
    if let Some(d) = &p.diff_id {
        c.properties.push(Property { name: "temper:layer:diffID", value: d.to_string() });
    }
    c.properties.push(Property { name: "temper:package:foundBy", value: p.found_by.to_owned() });
    if let Some(s) = &p.package.source_name {
        c.properties.push(Property { name: "temper:package:sourceName", value: s.clone() });
    }
    if let Some(s) = &p.package.source_version {
        c.properties.push(Property { name: "temper:package:sourceVersion", value: s.clone() });
    }
    if !p.paths.is_empty() {
        c.evidence = Some(Evidence { occurrences: p.paths.iter().map(|path| Occurrence { location: absolute(path) }).collect() });
    }
    c
}

/// CycloneDX allows either licences (ids and names) or exactly one
/// expression. Several strings that are all ids or expressions become one
/// expression joined with `AND`; when free text sits beside an expression,
/// the expression is kept as a named licence rather than dropped.
fn license_choice(list: Vec<Licence>) -> Vec<LicenseChoice> {
    let list: Vec<Licence> = list
        .into_iter()
        .map(|l| match l {
            Licence::Id(id) if !known_id(&id) => Licence::Expression(id),
            other => other,
        })
        .collect();
    let has_expression = list.iter().any(|l| matches!(l, Licence::Expression(_)));
    let has_text = list.iter().any(|l| matches!(l, Licence::Text(_)));
    if has_expression && !has_text {
        let parts: Vec<&str> = list
            .iter()
            .map(|l| match l {
                Licence::Id(s) | Licence::Expression(s) | Licence::Text(s) => s.as_str(),
            })
            .collect();
        return vec![LicenseChoice::Expression { expression: super::and_all(&parts) }];
    }
    list.into_iter()
        .map(|l| {
            let license = match l {
                Licence::Id(id) => License { id: Some(id), name: None },
                Licence::Expression(s) | Licence::Text(s) => License { id: None, name: Some(s) },
            };
            LicenseChoice::License { license }
        })
        .collect()
}
