//! Both encoders on hand-built inventories: schema-valid, licences mapped
//! as documented, duplicate purls kept apart, deterministic.

use serde_json::Value;
use temper_image::{Digest, Platform};

use super::{Licence, Sbom, Subject, Timestamp, cyclonedx, spdx, validate};
use crate::{Ecosystem, Inventory, InventoryPackage, OsRelease, Package};

fn digest(byte: &str) -> Digest {
    Digest::parse(&format!("sha256:{}", byte.repeat(64))).expect("digest")
}

fn subject() -> Subject {
    Subject {
        name: "registry.example/team/app:1.0".into(),
        short_name: "app".into(),
        repository: Some("registry.example/team/app".into()),
        tag: Some("1.0".into()),
        manifest_digest: Some(digest("a")),
        config_digest: Some(digest("c")),
        platform: Some(Platform { os: "linux".into(), architecture: "amd64".into(), variant: None, os_version: None }),
        created: Some("2024-05-06T07:08:09.123456789Z".into()),
        diff_ids: vec![digest("1"), digest("2")],
    }
}

fn debian() -> OsRelease {
    OsRelease { id: "debian".into(), version_id: Some("12".into()), codename: Some("bookworm".into()), pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()) }
}

fn pkg(name: &str, version: &str, ecosystem: Ecosystem, licenses: &[&str], layer: usize, path: &str) -> InventoryPackage {
    let package = Package {
        name: name.into(),
        version: version.into(),
        ecosystem,
        arch: None,
        source_name: None,
        source_version: None,
        licenses: licenses.iter().map(|&l| l.to_owned()).collect(),
        checksum: None,
        depends: Vec::new(),
        provides: Vec::new(),
        direct: false,
    };
    InventoryPackage {
        purl: crate::purl::purl(&package, Some(&debian())),
        package,
        layer: Some(layer),
        diff_id: Some(digest(&(layer + 1).to_string())),
        paths: vec![path.into()],
        found_by: "test-cataloger",
        owner: None,
    }
}

fn inventory() -> Inventory {
    let mut libssl = pkg("libssl3", "3.0.15-1~deb12u1", Ecosystem::Deb, &[], 0, "var/lib/dpkg/status");
    libssl.package.arch = Some("amd64".into());
    libssl.package.source_name = Some("openssl".into());
    libssl.package.source_version = Some("3.0.15-1~deb12u1".into());
    libssl.purl = crate::purl::purl(&libssl.package, Some(&debian()));
    Inventory {
        os: Some(debian()),
        packages: vec![
            libssl,
            pkg("lodash", "4.17.21", Ecosystem::Npm, &["MIT"], 1, "app/node_modules/lodash/package.json"),
            pkg("either", "1.0.0", Ecosystem::Npm, &["(MIT OR Apache-2.0)"], 1, "app/node_modules/either/package.json"),
            pkg("ms", "2.1.3", Ecosystem::Npm, &["MIT"], 1, "app/node_modules/debug/node_modules/ms/package.json"),
            pkg("ms", "2.1.3", Ecosystem::Npm, &["MIT"], 1, "app/node_modules/ms/package.json"),
            pkg("classic", "1.0", Ecosystem::Pypi, &["BSD License"], 1, "usr/lib/python3/dist-packages/classic-1.0.dist-info/METADATA"),
            pkg("both", "2.0", Ecosystem::Pypi, &["MIT", "Apache-2.0 OR MIT"], 1, "usr/lib/python3/dist-packages/both-2.0.dist-info/METADATA"),
            pkg("mixed", "3.0", Ecosystem::Pypi, &["GPL-2.0-only", "Custom: see COPYING", "MIT OR 0BSD"], 1, "usr/lib/python3/dist-packages/mixed-3.0.dist-info/METADATA"),
        ],
        unknowns: vec![],
        accounts: None,
        secrets: vec![],
    }
}

fn encode_both(subject: &Subject, inventory: &Inventory, timestamp: Timestamp) -> (String, String) {
    let sbom = Sbom { subject, inventory, timestamp, tool_version: "9.9.9" };
    (cyclonedx::encode(&sbom).expect("cyclonedx"), spdx::encode(&sbom).expect("spdx"))
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).expect("json")
}

fn epoch(secs: &str) -> Timestamp {
    Timestamp::resolve(Some(secs), None).expect("timestamp")
}

/// The component (or SPDX package) whose purl and first path match.
fn component<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["components"].as_array().expect("components").iter().find(|c| c["name"] == name).expect(name)
}

fn spdx_package<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["packages"].as_array().expect("packages").iter().find(|c| c["name"] == name).expect(name)
}

fn property<'a>(c: &'a Value, name: &str) -> Vec<&'a str> {
    c["properties"].as_array().map(Vec::as_slice).unwrap_or_default().iter().filter(|p| p["name"] == name).filter_map(|p| p["value"].as_str()).collect()
}

#[test]
fn both_formats_validate_and_describe_the_image() {
    let (cdx, spdx_doc) = encode_both(&subject(), &inventory(), epoch("1700000000"));
    let (cdx, spdx_doc) = (parse(&cdx), parse(&spdx_doc));
    validate::cyclonedx(&cdx).expect("CycloneDX valid");
    validate::spdx(&spdx_doc).expect("SPDX valid");

    let image = &cdx["metadata"]["component"];
    assert_eq!(image["type"], "container");
    assert_eq!(image["version"], format!("sha256:{}", "a".repeat(64)));
    let purl = format!("pkg:oci/app@sha256%3A{}?arch=amd64&repository_url=registry.example/team/app&tag=1.0", "a".repeat(64));
    assert_eq!(image["purl"], purl.as_str());
    assert_eq!(property(image, "temper:image:diffID"), [digest("1").to_string(), digest("2").to_string()]);
    assert_eq!(cdx["metadata"]["tools"]["components"][0]["name"], "temper");
    assert_eq!(cdx["metadata"]["tools"]["components"][0]["version"], "9.9.9");
    assert_eq!(cdx["metadata"]["timestamp"], "2023-11-14T22:13:20Z");

    // The OS first, then every package; the image depends on all of them.
    let components = cdx["components"].as_array().expect("components");
    assert_eq!(components.len(), 1 + inventory().packages.len());
    assert_eq!(components[0]["type"], "operating-system");
    assert_eq!(components[0]["name"], "debian");
    assert_eq!(components[0]["version"], "12");
    assert!(components[1..].iter().all(|c| c["type"] == "library"));
    let refs: Vec<&Value> = components.iter().map(|c| &c["bom-ref"]).collect();
    let deps = &cdx["dependencies"][0];
    assert_eq!(deps["ref"], purl.as_str());
    assert_eq!(deps["dependsOn"].as_array().expect("dependsOn").iter().collect::<Vec<_>>(), refs);

    let packages = spdx_doc["packages"].as_array().expect("packages");
    assert_eq!(packages.len(), 2 + inventory().packages.len());
    assert_eq!(packages[0]["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(packages[0]["externalRefs"][0]["referenceLocator"], purl.as_str());
    assert_eq!(packages[1]["primaryPackagePurpose"], "OPERATING_SYSTEM");
    assert!(packages[2..].iter().all(|p| p["primaryPackagePurpose"] == "LIBRARY" && p["downloadLocation"] == "NOASSERTION" && p["filesAnalyzed"] == false));
    let purls: Vec<&Value> = packages[2..].iter().map(|p| &p["externalRefs"][0]["referenceLocator"]).collect();
    let want: Vec<Value> = inventory().packages.iter().map(|p| Value::from(p.purl.as_str())).collect();
    assert_eq!(purls, want.iter().collect::<Vec<_>>());
    let relationships = spdx_doc["relationships"].as_array().expect("relationships");
    assert_eq!(relationships[0]["relationshipType"], "DESCRIBES");
    assert_eq!(relationships[0]["relatedSpdxElement"], "SPDXRef-Image");
    assert_eq!(relationships.len(), 1 + packages.len() - 1);
    assert!(relationships[1..].iter().all(|r| r["spdxElementId"] == "SPDXRef-Image" && r["relationshipType"] == "CONTAINS"));
    assert_eq!(spdx_doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    assert_eq!(spdx_doc["creationInfo"]["creators"][0], "Tool: temper-9.9.9");
}

#[test]
fn licences_map_to_id_expression_or_text() {
    let (cdx, spdx_doc) = encode_both(&subject(), &inventory(), epoch("0"));
    let (cdx, spdx_doc) = (parse(&cdx), parse(&spdx_doc));
    let cdx_licences = |name: &str| component(&cdx, name)["licenses"].clone();
    assert_eq!(cdx_licences("lodash"), serde_json::json!([{ "license": { "id": "MIT" } }]));
    assert_eq!(cdx_licences("either"), serde_json::json!([{ "expression": "(MIT OR Apache-2.0)" }]));
    assert_eq!(cdx_licences("classic"), serde_json::json!([{ "license": { "name": "BSD License" } }]));
    assert_eq!(cdx_licences("both"), serde_json::json!([{ "expression": "MIT AND (Apache-2.0 OR MIT)" }]));
    // Free text beside an expression: CycloneDX cannot mix them, so the
    // expression is kept as a name rather than lost.
    assert_eq!(
        cdx_licences("mixed"),
        serde_json::json!([
            { "license": { "id": "GPL-2.0-only" } },
            { "license": { "name": "Custom: see COPYING" } },
            { "license": { "name": "MIT OR 0BSD" } },
        ])
    );
    assert!(component(&cdx, "libssl3").get("licenses").is_none());

    let declared = |name: &str| spdx_package(&spdx_doc, name)["licenseDeclared"].as_str().expect("licenseDeclared").to_owned();
    assert_eq!(declared("lodash"), "MIT");
    assert_eq!(declared("either"), "(MIT OR Apache-2.0)");
    assert_eq!(declared("both"), "MIT AND (Apache-2.0 OR MIT)");
    assert_eq!(declared("libssl3"), "NOASSERTION");
    let classic = declared("classic");
    assert!(classic.starts_with("LicenseRef-BSD-License-"), "{classic}");
    let mixed = declared("mixed");
    assert!(mixed.starts_with("GPL-2.0-only AND LicenseRef-Custom-see-COPYING-") && mixed.ends_with(" AND (MIT OR 0BSD)"), "{mixed}");
    let extracted = spdx_doc["hasExtractedLicensingInfos"].as_array().expect("extracted");
    let texts: Vec<(&str, &str)> = extracted.iter().map(|e| (e["licenseId"].as_str().unwrap_or_default(), e["extractedText"].as_str().unwrap_or_default())).collect();
    assert_eq!(texts.len(), 2);
    assert!(texts.contains(&(classic.as_str(), "BSD License")));
    assert!(texts.iter().any(|(id, text)| mixed.contains(id) && *text == "Custom: see COPYING"));
}

#[test]
fn classify_licences() {
    let id = |s: &str| Some(Licence::Id(s.into()));
    let expr = |s: &str| Some(Licence::Expression(s.into()));
    let text = |s: &str| Some(Licence::Text(s.into()));
    assert_eq!(Licence::classify("MIT"), id("MIT"));
    assert_eq!(Licence::classify("  Apache-2.0\n"), id("Apache-2.0"));
    assert_eq!(Licence::classify("GPL-2.0"), id("GPL-2.0"), "deprecated ids are still SPDX ids");
    assert_eq!(Licence::classify("MIT OR Apache-2.0"), expr("MIT OR Apache-2.0"));
    assert_eq!(Licence::classify("GPL-2.0-or-later WITH Classpath-exception-2.0"), expr("GPL-2.0-or-later WITH Classpath-exception-2.0"));
    assert_eq!(Licence::classify("LicenseRef-acme"), text("LicenseRef-acme"));
    assert_eq!(Licence::classify("MIT License"), text("MIT License"));
    assert_eq!(Licence::classify("MIT/Apache-2.0"), text("MIT/Apache-2.0"));
    assert_eq!(Licence::classify("   "), None);
    assert_eq!(Licence::classify("NOASSERTION"), None);
}

#[test]
fn duplicate_purls_get_distinct_stable_refs() {
    let (cdx, spdx_doc) = encode_both(&subject(), &inventory(), epoch("0"));
    let (cdx, spdx_doc) = (parse(&cdx), parse(&spdx_doc));
    let ms: Vec<&str> = cdx["components"].as_array().expect("components").iter().filter(|c| c["name"] == "ms").filter_map(|c| c["bom-ref"].as_str()).collect();
    assert_eq!(
        ms,
        ["pkg:npm/ms@2.1.3#app/node_modules/debug/node_modules/ms/package.json", "pkg:npm/ms@2.1.3#app/node_modules/ms/package.json"]
    );
    assert_eq!(component(&cdx, "lodash")["bom-ref"], "pkg:npm/lodash@4.17.21", "a unique purl is its own ref");
    let ids: Vec<&str> = spdx_doc["packages"].as_array().expect("packages").iter().filter(|p| p["name"] == "ms").filter_map(|p| p["SPDXID"].as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert!(ids.iter().all(|id| id.starts_with("SPDXRef-Package-npm-ms-")));

    // The same purl, path and layer twice (possible with --all-layers when
    // a layer rewrites a file with the same content) still gets two refs.
    let mut inv = inventory();
    let mut again = inv.packages[1].clone();
    again.layer = Some(2);
    inv.packages.push(again.clone());
    inv.packages.push(again);
    let (cdx, spdx_doc) = encode_both(&subject(), &inv, epoch("0"));
    validate::cyclonedx(&parse(&cdx)).expect("CycloneDX valid");
    validate::spdx(&parse(&spdx_doc)).expect("SPDX valid");
}

#[test]
fn dpkg_source_package_and_layer_are_kept() {
    let (cdx, spdx_doc) = encode_both(&subject(), &inventory(), epoch("0"));
    let (cdx, spdx_doc) = (parse(&cdx), parse(&spdx_doc));
    let ssl = component(&cdx, "libssl3");
    assert_eq!(ssl["purl"], "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl");
    assert_eq!(property(ssl, "temper:package:sourceName"), ["openssl"]);
    assert_eq!(property(ssl, "temper:package:sourceVersion"), ["3.0.15-1~deb12u1"]);
    assert_eq!(property(ssl, "temper:layer:index"), ["0"]);
    assert_eq!(property(ssl, "temper:layer:diffID"), [digest("1").to_string()]);
    assert_eq!(property(ssl, "temper:package:foundBy"), ["test-cataloger"]);
    assert_eq!(ssl["evidence"]["occurrences"], serde_json::json!([{ "location": "/var/lib/dpkg/status" }]));
    assert!(property(component(&cdx, "lodash"), "temper:package:sourceName").is_empty());
    let info = spdx_package(&spdx_doc, "libssl3")["sourceInfo"].as_str().expect("sourceInfo").to_owned();
    assert_eq!(info, format!("found by test-cataloger in layer 0 ({}) at /var/lib/dpkg/status; source package openssl 3.0.15-1~deb12u1", digest("1")));
}

#[test]
fn spdx_license_list_version_is_major_minor() {
    let (_, spdx_doc) = encode_both(&subject(), &inventory(), epoch("0"));
    let spdx_doc = parse(&spdx_doc);
    let release = ::spdx::license_version();
    let want: Vec<&str> = release.split('.').take(2).collect();
    assert_eq!(spdx_doc["creationInfo"]["licenseListVersion"], want.join("."), "from the crate's list release {release}");
    let mut patched = spdx_doc.clone();
    patched["creationInfo"]["licenseListVersion"] = Value::from("3.29.0");
    assert!(validate::spdx(&patched).is_err(), "the validator must reject a patch level");
}

#[test]
fn sbom_round_trip_keeps_source_packages_names_and_os() {
    let mut inv = inventory();
    // A binNMU: the source's version is not the package's.
    let mut bsdutils = pkg("bsdutils", "1:2.38.1-5+b1", Ecosystem::Deb, &[], 0, "var/lib/dpkg/status");
    bsdutils.package.arch = Some("amd64".into());
    bsdutils.package.source_name = Some("util-linux".into());
    bsdutils.package.source_version = Some("2.38.1-5".into());
    bsdutils.purl = crate::purl::purl(&bsdutils.package, Some(&debian()));
    inv.packages.push(bsdutils);
    inv.packages.push(pkg("Django", "2.2", Ecosystem::Pypi, &[], 1, "usr/lib/python3/dist-packages/Django-2.2.dist-info/METADATA"));
    let facts = |inv: &Inventory| {
        let mut v: Vec<(String, String, Ecosystem, Option<String>, Option<String>, Option<String>)> = inv
            .packages
            .iter()
            .map(|p| {
                let k = &p.package;
                // dpkg leaves the source version out when it is the package's; so does `upstream`.
                let source_version = k.source_version.clone().filter(|v| *v != k.version);
                (k.name.clone(), k.version.clone(), k.ecosystem, k.arch.clone(), k.source_name.clone(), source_version)
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let (cdx, spdx_doc) = encode_both(&subject(), &inv, epoch("0"));
    for (format, doc) in [("CycloneDX", parse(&cdx)), ("SPDX", parse(&spdx_doc))] {
        let back = crate::decode::from_sbom(&doc).expect("decodes");
        assert_eq!(facts(&back), facts(&inv), "{format}");
        let os = back.os.as_ref().map(|o| (o.id.as_str(), o.version_id.as_deref()));
        assert_eq!(os, Some(("debian", Some("12"))), "{format}");
        let ssl = back.packages.iter().find(|p| p.package.name == "libssl3").expect("libssl3");
        assert_eq!(ssl.package.source_name.as_deref(), Some("openssl"), "{format}");
    }
    // SPDX has only the purl to carry the source package.
    let spdx_doc = parse(&spdx_doc);
    let bsd = spdx_package(&spdx_doc, "bsdutils")["externalRefs"][0]["referenceLocator"].as_str().expect("purl").to_owned();
    assert!(bsd.ends_with("&upstream=util-linux%402.38.1-5"), "{bsd}");
}

#[test]
fn sbom_packages_have_no_layer() {
    let (cdx, spdx_doc) = encode_both(&subject(), &inventory(), epoch("0"));
    for doc in [parse(&cdx), parse(&spdx_doc)] {
        let back = crate::decode::from_sbom(&doc).expect("decodes");
        assert_eq!(back.packages.len(), inventory().packages.len() - 1, "the two ms copies are one package to a scanner");
        assert!(back.packages.iter().all(|p| p.layer.is_none() && p.diff_id.is_none() && p.paths.is_empty()));
    }
    // And an encoder handed such packages says nothing about a layer.
    let mut inv = inventory();
    inv.packages.iter_mut().for_each(|p| (p.layer, p.diff_id) = (None, None));
    let (cdx, spdx_doc) = encode_both(&subject(), &inv, epoch("0"));
    let (cdx, spdx_doc) = (parse(&cdx), parse(&spdx_doc));
    validate::cyclonedx(&cdx).expect("CycloneDX valid");
    validate::spdx(&spdx_doc).expect("SPDX valid");
    assert!(property(component(&cdx, "lodash"), "temper:layer:index").is_empty());
    assert_eq!(spdx_package(&spdx_doc, "lodash")["sourceInfo"], "found by test-cataloger at /app/node_modules/lodash/package.json");
}

#[test]
fn cyclonedx_dependencies_follow_dpkg_depends() {
    let deb = |name: &str, depends: &[&str]| {
        let mut p = pkg(name, "1.0-1", Ecosystem::Deb, &[], 0, "var/lib/dpkg/status");
        p.package.depends = depends.iter().map(|&d| d.to_owned()).collect();
        p
    };
    let mut inv = inventory();
    inv.packages.truncate(2); // libssl3, lodash
    inv.packages[0].package.depends = vec!["libc6".into(), "zlib1g | libz-ng".into()];
    let mut mawk = deb("mawk", &["not-installed"]);
    mawk.package.provides = vec!["awk".into()];
    inv.packages.extend([deb("libc6", &["libgcc-s1"]), deb("libgcc-s1", &["libc6"]), deb("zlib1g", &[]), mawk, deb("base-files", &["awk"])]);
    let cdx = parse(&encode_both(&subject(), &inv, epoch("0")).0);
    validate::cyclonedx(&cdx).expect("CycloneDX valid");
    let deps = cdx["dependencies"].as_array().expect("dependencies");
    let entry = |name: &str| {
        let r = component(&cdx, name)["bom-ref"].clone();
        deps.iter().find(|d| d["ref"] == r).map(|d| d["dependsOn"].as_array().expect("dependsOn").iter().map(|x| x.as_str().expect("ref").to_owned()).collect::<Vec<_>>())
    };
    let purl = |name: &str| component(&cdx, name)["purl"].as_str().expect("purl").to_owned();
    assert_eq!(entry("libssl3"), Some(vec![purl("libc6"), purl("zlib1g")]), "an alternative met by what is installed");
    assert_eq!(entry("libc6"), Some(vec![purl("libgcc-s1")]));
    assert_eq!(entry("libgcc-s1"), Some(vec![purl("libc6")]), "cycles are as dpkg records them");
    assert_eq!(entry("zlib1g"), Some(vec![]), "no requirements: depends on nothing");
    assert_eq!(entry("base-files"), Some(vec![purl("mawk")]), "a virtual package met by what provides it");
    assert_eq!(entry("mawk"), Some(vec![]), "a requirement nothing installed meets…");
    let incomplete: Vec<&Value> = cdx["compositions"].as_array().expect("compositions").iter().filter(|c| c["dependencies"].is_array()).collect();
    assert_eq!(incomplete.len(), 1);
    assert_eq!(incomplete[0]["aggregate"], "incomplete");
    assert_eq!(incomplete[0]["dependencies"], serde_json::json!([purl("mawk")]), "…makes its list incomplete");
    assert_eq!(entry("lodash"), None, "edges this cataloger does not read: unknown");
    assert_eq!(deps[0]["dependsOn"].as_array().map(Vec::len), Some(1 + inv.packages.len()), "the image depends on every component");
}

#[test]
fn cyclonedx_dependencies_follow_node_resolution() {
    let npm = |name: &str, version: &str, path: &str, depends: &[&str]| {
        let mut p = pkg(name, version, Ecosystem::Npm, &[], 1, path);
        p.found_by = "npm";
        p.package.depends = depends.iter().map(|&d| d.to_owned()).collect();
        p
    };
    let mut inv = inventory();
    inv.packages = vec![
        npm("app", "1.0.0", "app/package.json", &["express", "left-pad"]),
        npm("express", "4.17.1", "app/node_modules/express/package.json", &["debug", "ms", "@types/node"]),
        npm("debug", "2.6.9", "app/node_modules/debug/package.json", &["ms"]),
        npm("ms", "2.0.0", "app/node_modules/debug/node_modules/ms/package.json", &[]),
        npm("ms", "2.1.3", "app/node_modules/ms/package.json", &[]),
        npm("@types/node", "20.0.0", "app/node_modules/@types/node/package.json", &[]),
        // A lockfile entry resolves in its own file, never by directory.
        { let mut p = npm("lodash", "4.17.21", "app/package-lock.json", &["debug@2.6.9"]); p.found_by = "npm-lock"; p },
    ];
    let cdx = parse(&encode_both(&subject(), &inv, epoch("0")).0);
    validate::cyclonedx(&cdx).expect("CycloneDX valid");
    let deps = cdx["dependencies"].as_array().expect("dependencies");
    let refs: Vec<String> = crate::format::package_refs(&inv);
    let entry = |i: usize| deps.iter().find(|d| d["ref"] == refs[i].as_str()).map(|d| d["dependsOn"].clone());
    assert_eq!(entry(0), Some(serde_json::json!([refs[1]])), "left-pad is not installed");
    assert_eq!(entry(1), Some(serde_json::json!([refs[2], refs[4], refs[5]])), "express loads the top-level ms");
    assert_eq!(entry(2), Some(serde_json::json!([refs[3]])), "debug loads its own nested ms");
    assert_eq!(entry(3), Some(serde_json::json!([])));
    assert_eq!(entry(6), Some(serde_json::json!([])));
    let incomplete: Vec<&Value> = cdx["compositions"].as_array().expect("compositions").iter().filter(|c| c["dependencies"].is_array()).collect();
    assert_eq!(incomplete[0]["dependencies"], serde_json::json!([refs[0], refs[6]]));
}

#[test]
fn empty_inventory_of_a_rootfs() {
    let subject = Subject { name: "dir:/tmp/rootfs".into(), short_name: "rootfs".into(), ..Default::default() };
    let empty = Inventory { os: None, packages: vec![], unknowns: vec![], accounts: None, secrets: vec![] };
    let (cdx, spdx_doc) = encode_both(&subject, &empty, Timestamp::resolve(None, None).expect("timestamp"));
    let (cdx, spdx_doc) = (parse(&cdx), parse(&spdx_doc));
    validate::cyclonedx(&cdx).expect("CycloneDX valid");
    validate::spdx(&spdx_doc).expect("SPDX valid");
    assert_eq!(cdx["components"], serde_json::json!([]));
    assert_eq!(cdx["dependencies"], serde_json::json!([{ "ref": "image", "dependsOn": [] }]));
    assert!(cdx["metadata"]["component"].get("purl").is_none(), "no digest, no pkg:oci purl");
    assert_eq!(cdx["metadata"]["timestamp"], "1970-01-01T00:00:00Z");
    assert_eq!(spdx_doc["packages"].as_array().map(Vec::len), Some(1));
    assert_eq!(spdx_doc["relationships"].as_array().map(Vec::len), Some(1));
}

#[test]
fn output_is_deterministic_and_identity_follows_content() {
    let t = epoch("1700000000");
    let first = encode_both(&subject(), &inventory(), t);
    assert_eq!(first, encode_both(&subject(), &inventory(), t));

    // Another time changes the time fields and nothing else.
    let later = encode_both(&subject(), &inventory(), epoch("1800000000"));
    for (a, b) in [(&first.0, &later.0), (&first.1, &later.1)] {
        let changed: Vec<(&str, &str)> = a.lines().zip(b.lines()).filter(|(x, y)| x != y).collect();
        assert_eq!(a.lines().count(), b.lines().count());
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert!(changed[0].0.contains("2023-11-14T22:13:20Z") && changed[0].1.contains("2027-01-15T08:00:00Z"), "{changed:?}");
    }

    // Another image, or another inventory, is another document.
    let serial = |cdx: &str| parse(cdx)["serialNumber"].as_str().expect("serial").to_owned();
    let namespace = |s: &str| parse(s)["documentNamespace"].as_str().expect("namespace").to_owned();
    let other_image = Subject { manifest_digest: Some(digest("b")), ..subject() };
    let other = encode_both(&other_image, &inventory(), t);
    assert_ne!(serial(&first.0), serial(&other.0));
    assert_ne!(namespace(&first.1), namespace(&other.1));
    let mut fewer = inventory();
    fewer.packages.pop();
    let fewer = encode_both(&subject(), &fewer, t);
    assert_ne!(serial(&first.0), serial(&fewer.0));
    assert_ne!(namespace(&first.1), namespace(&fewer.1));
    assert!(namespace(&first.1).starts_with(concat!(env!("CARGO_PKG_REPOSITORY"), "/spdx/app-")));
}

#[test]
fn timestamps_prefer_source_date_epoch_then_created() {
    let created = Some("2024-01-02T03:04:05.123456789+01:00");
    assert_eq!(Timestamp::resolve(None, created).expect("created").rfc3339(), "2024-01-02T02:04:05Z");
    assert_eq!(Timestamp::resolve(Some("1700000000"), created).expect("sde").rfc3339(), "2023-11-14T22:13:20Z");
    assert_eq!(Timestamp::resolve(None, Some("last tuesday")).expect("fallback").rfc3339(), "1970-01-01T00:00:00Z");
    assert_eq!(Timestamp::resolve(None, None).expect("epoch").rfc3339(), "1970-01-01T00:00:00Z");
    for bad in ["", "soon", "1.5", "99999999999999", "-62135596801"] {
        let e = Timestamp::resolve(Some(bad), created).expect_err(bad);
        assert!(e.to_string().contains("SOURCE_DATE_EPOCH"), "{e}");
    }
}

#[test]
fn image_purl_needs_a_digest() {
    let local = Subject { name: "oci:/x/demo-app".into(), short_name: "Demo-App".into(), manifest_digest: Some(digest("d")), ..Default::default() };
    assert_eq!(local.purl().as_deref(), Some(format!("pkg:oci/demo-app@sha256%3A{}", "d".repeat(64)).as_str()));
    let port = Subject { repository: Some("localhost:5000/a/b".into()), tag: Some("v1+x".into()), ..local.clone() };
    assert_eq!(port.purl().as_deref(), Some(format!("pkg:oci/demo-app@sha256%3A{}?repository_url=localhost:5000/a/b&tag=v1%2Bx", "d".repeat(64)).as_str()));
    assert_eq!(Subject { manifest_digest: None, ..local }.purl(), None);
}

#[test]
fn validators_reject_broken_documents() {
    let (cdx, spdx_doc) = encode_both(&subject(), &inventory(), epoch("0"));
    let (cdx, spdx_doc) = (parse(&cdx), parse(&spdx_doc));
    let broken_cdx = |edit: &dyn Fn(&mut Value)| {
        let mut doc = cdx.clone();
        edit(&mut doc);
        validate::cyclonedx(&doc).expect_err("broken CycloneDX accepted")
    };
    // An id outside the SPDX list (checked through the $ref'd spdx.schema.json).
    broken_cdx(&|d| d["components"][2]["licenses"] = serde_json::json!([{ "license": { "id": "Not-A-Licence" } }]));
    // An expression may not sit beside a licence.
    broken_cdx(&|d| d["components"][2]["licenses"] = serde_json::json!([{ "license": { "id": "MIT" } }, { "expression": "MIT OR 0BSD" }]));
    broken_cdx(&|d| d["serialNumber"] = "urn:uuid:not-a-uuid".into());
    broken_cdx(&|d| d["components"][2]["bom-ref"] = d["components"][3]["bom-ref"].clone());
    broken_cdx(&|d| d["dependencies"][0]["dependsOn"][0] = "nowhere".into());

    let broken_spdx = |edit: &dyn Fn(&mut Value)| {
        let mut doc = spdx_doc.clone();
        edit(&mut doc);
        validate::spdx(&doc).expect_err("broken SPDX accepted")
    };
    broken_spdx(&|d| d["packages"][2]["primaryPackagePurpose"] = "OPERATING-SYSTEM".into());
    broken_spdx(&|d| d["packages"][2]["SPDXID"] = "SPDXRef-has_underscore".into());
    broken_spdx(&|d| d["packages"][2]["licenseDeclared"] = "MIT License".into());
    broken_spdx(&|d| d["packages"][2]["licenseDeclared"] = "LicenseRef-undefined".into());
    broken_spdx(&|d| d["relationships"][1]["relatedSpdxElement"] = "SPDXRef-nowhere".into());
    broken_spdx(&|d| d["creationInfo"]["created"] = "2024-01-02T03:04:05.5Z".into());
    broken_spdx(&|d| {
        if let Some(o) = d.as_object_mut() {
            o.remove("dataLicense");
        }
    });
}

#[test]
fn ids_newer_than_cyclonedx_1_6_become_expressions() {
    // The list the encoder embeds is the vendored schema's enumeration.
    let schema: Value = serde_json::from_str(include_str!("../../tests/schemas/spdx.schema.json")).expect("schema");
    let enumerated: Vec<&str> = schema["enum"].as_array().expect("enum").iter().filter_map(Value::as_str).collect();
    assert_eq!(include_str!("cyclonedx-1.6-spdx-ids.txt").lines().collect::<Vec<_>>(), enumerated);

    // HDF5 joined the SPDX list after CycloneDX 1.6.2 was published.
    assert_eq!(Licence::classify("HDF5"), Some(Licence::Id("HDF5".into())));
    assert!(!enumerated.contains(&"HDF5"));
    let mut inv = inventory();
    inv.packages[1].package.licenses = vec!["HDF5".into()];
    inv.packages[2].package.licenses = vec!["HDF5".into(), "MIT".into()];
    let (cdx, spdx_doc) = encode_both(&subject(), &inv, epoch("0"));
    let (cdx, spdx_doc) = (parse(&cdx), parse(&spdx_doc));
    validate::cyclonedx(&cdx).expect("CycloneDX valid");
    validate::spdx(&spdx_doc).expect("SPDX valid");
    assert_eq!(component(&cdx, "lodash")["licenses"], serde_json::json!([{ "expression": "HDF5" }]));
    assert_eq!(component(&cdx, "either")["licenses"], serde_json::json!([{ "expression": "HDF5 AND MIT" }]));
    assert_eq!(spdx_package(&spdx_doc, "lodash")["licenseDeclared"], "HDF5");
}

#[test]
fn unreadable_files_mark_the_inventory_incomplete() {
    let (complete, _) = encode_both(&subject(), &inventory(), epoch("0"));
    assert!(parse(&complete).get("compositions").is_none());
    let mut inv = inventory();
    inv.unknowns.push(crate::Unknown { layer: 1, path: "usr/lib/python3/dist-packages/bad-1.0.dist-info/METADATA".into(), cataloger: "python", reason: "not UTF-8".into() });
    let (cdx, spdx_doc) = encode_both(&subject(), &inv, epoch("0"));
    let (cdx, spdx_doc) = (parse(&cdx), parse(&spdx_doc));
    validate::cyclonedx(&cdx).expect("CycloneDX valid");
    validate::spdx(&spdx_doc).expect("SPDX valid");
    let line = "layer 1 /usr/lib/python3/dist-packages/bad-1.0.dist-info/METADATA (python): not UTF-8";
    assert_eq!(cdx["metadata"]["properties"], serde_json::json!([{ "name": "temper:unknown", "value": line }]));
    assert_eq!(cdx["compositions"], serde_json::json!([{ "aggregate": "incomplete", "assemblies": [cdx["metadata"]["component"]["bom-ref"]] }]));
    let comment = spdx_doc["creationInfo"]["comment"].as_str().expect("comment");
    assert!(comment.contains("incomplete") && comment.ends_with(line), "{comment}");
}

#[test]
fn spdx_depends_on_follows_the_same_graph() {
    let npm = |name: &str, path: &str, depends: &[&str]| {
        let mut p = pkg(name, "1.0.0", Ecosystem::Npm, &[], 1, path);
        p.found_by = "npm";
        p.package.depends = depends.iter().map(|&d| d.to_owned()).collect();
        p
    };
    let mut inv = inventory();
    inv.packages = vec![npm("app", "app/package.json", &["express"]), npm("express", "app/node_modules/express/package.json", &["debug"]), npm("debug", "app/node_modules/debug/package.json", &[])];
    let (cdx, spdx_doc) = encode_both(&subject(), &inv, epoch("0"));
    let (cdx, spdx_doc) = (parse(&cdx), parse(&spdx_doc));
    validate::spdx(&spdx_doc).expect("SPDX valid");
    let id = |name: &str| spdx_package(&spdx_doc, name)["SPDXID"].as_str().expect("id").to_owned();
    let depends_on: Vec<(String, String)> = spdx_doc["relationships"]
        .as_array()
        .expect("relationships")
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .map(|r| (r["spdxElementId"].as_str().expect("id").to_owned(), r["relatedSpdxElement"].as_str().expect("id").to_owned()))
        .collect();
    assert_eq!(depends_on, [(id("app"), id("express")), (id("express"), id("debug"))]);
    let cdx_edges: usize = cdx["dependencies"].as_array().expect("dependencies").iter().skip(1).map(|d| d["dependsOn"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(cdx_edges, depends_on.len(), "both formats write the same edges");
}
