//! Reading an inventory back from an SBOM file (CycloneDX or SPDX JSON,
//! including the ones Syft and Trivy write), so `temper scan` can match an
//! SBOM without the image.
//!
//! Packages are taken from their purls. Distro packages need more than a
//! purl's name: the source package (Trivy: the `aquasecurity:trivy:SrcName`
//! and `SrcVersion` properties; Syft: the `upstream` qualifier; temper: its
//! own properties) and the distro release (the `distro` qualifier, or the
//! document's `operating-system` component).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::package::{Ecosystem, OsRelease, Package};
use crate::{Inventory, InventoryPackage};

/// A purl taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// `deb`, `npm`…
    pub kind: String,
    /// Namespace, percent-decoded (`debian`, `@babel`, `org.apache`).
    pub namespace: Option<String>,
    /// Name, percent-decoded.
    pub name: String,
    /// Version, percent-decoded.
    pub version: Option<String>,
    /// Qualifiers, percent-decoded.
    pub qualifiers: BTreeMap<String, String>,
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(h);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a purl (`pkg:type/namespace/name@version?qualifiers#subpath`).
pub fn parse_purl(purl: &str) -> Option<Purl> {
    let rest = purl.strip_prefix("pkg:")?.trim_start_matches('/');
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (kind, path) = rest.split_once('/')?;
    let (path, version) = match path.rsplit_once('@') {
        Some((p, v)) if !p.is_empty() && !p.ends_with('/') => (p, Some(decode(v))),
        _ => (path, None),
    };
    let (namespace, name) = match path.rsplit_once('/') {
        Some((ns, n)) => (Some(decode(ns)), decode(n)),
        None => (None, decode(path)),
    };
    if name.is_empty() {
        return None;
    }
    let qualifiers = query.split('&').filter_map(|q| q.split_once('=')).map(|(k, v)| (k.to_ascii_lowercase(), decode(v))).collect();
    Some(Purl { kind: kind.to_ascii_lowercase(), namespace, name, version, qualifiers })
}

/// The package a purl names, with what extra `properties` say and the
/// document's name for it.
fn package_of(p: &Purl, props: &BTreeMap<String, String>, doc_name: Option<&str>) -> Option<Package> {
    let ecosystem = match p.kind.as_str() {
        "deb" => Ecosystem::Deb,
        "apk" => Ecosystem::Apk,
        "rpm" => Ecosystem::Rpm,
        "npm" => Ecosystem::Npm,
        "pypi" => Ecosystem::Pypi,
        "golang" => Ecosystem::Golang,
        "cargo" => Ecosystem::Cargo,
        "maven" => Ecosystem::Maven,
        "gem" => Ecosystem::Gem,
        "composer" => Ecosystem::Composer,
        "nuget" => Ecosystem::Nuget,
        _ => return None,
    };
    let mut version = p.version.clone()?;
    // Trivy puts deb and rpm epochs in a qualifier; temper keeps E:V-R.
    if let Some(epoch) = p.qualifiers.get("epoch").filter(|e| *e != "0")
        && matches!(ecosystem, Ecosystem::Deb | Ecosystem::Rpm)
        && !version.contains(':')
    {
        version = format!("{epoch}:{version}");
    }
    let name = match (ecosystem, &p.namespace) {
        (Ecosystem::Npm | Ecosystem::Golang | Ecosystem::Composer, Some(ns)) => format!("{ns}/{}", p.name),
        (Ecosystem::Maven, Some(ns)) => format!("{ns}:{}", p.name),
        // The purl holds PyPI's normalised name; the document keeps the
        // project's spelling (`Django`), as the image's own scan shows it.
        (Ecosystem::Pypi, _) => doc_name.filter(|n| crate::purl::pep503(n) == p.name).map_or_else(|| p.name.clone(), str::to_owned),
        _ => p.name.clone(),
    };
    let prop = |keys: &[&str]| keys.iter().find_map(|k| props.get(*k).cloned());
    // `upstream` (Syft, temper) is `name` or `name@version` for deb and apk;
    // Syft's rpm form is a file name, and rpm advisories name binaries anyway.
    let upstream = p.qualifiers.get("upstream").filter(|_| matches!(ecosystem, Ecosystem::Deb | Ecosystem::Apk)).map(|u| match u.split_once('@') {
        Some((n, v)) => (n.to_owned(), Some(v.to_owned()).filter(|v| !v.is_empty())),
        // An apk origin is built at the package's own version, as the
        // cataloger records it; a dpkg source without one is too, which
        // the matcher assumes when the source version is unknown.
        None => (u.clone(), (ecosystem == Ecosystem::Apk).then(|| version.clone())),
    });
    // An empty name would match no advisory at all; the package's own is better.
    let upstream = upstream.filter(|(n, _)| !n.is_empty());
    let source_name = prop(&["temper:package:sourceName", "aquasecurity:trivy:SrcName"]).or_else(|| upstream.as_ref().map(|(n, _)| n.clone()));
    // Trivy splits a source version into SrcEpoch, SrcVersion and SrcRelease.
    let source_version = prop(&["temper:package:sourceVersion", "aquasecurity:trivy:SrcVersion"]).map(|v| {
        let v = match prop(&["aquasecurity:trivy:SrcRelease"]).filter(|r| !r.is_empty()) {
            Some(r) if !v.contains('-') => format!("{v}-{r}"),
            _ => v,
        };
        match prop(&["aquasecurity:trivy:SrcEpoch"]).filter(|e| e != "0") {
            Some(e) if !v.contains(':') => format!("{e}:{v}"),
            _ => v,
        }
    });
    let source_version = source_version.or_else(|| upstream.and_then(|(_, v)| v));
    Some(Package { name, version, ecosystem, arch: p.qualifiers.get("arch").cloned(), source_name, source_version, licenses: Vec::new(), checksum: None, depends: Vec::new(), provides: Vec::new(), direct: false })
}

/// `distro=debian-12` (temper, Syft) or `distro=12.4` with the namespace
/// naming the distro (Trivy).
fn os_from_purl(p: &Purl) -> Option<OsRelease> {
    let distro = p.qualifiers.get("distro")?;
    let ns = p.namespace.clone()?;
    let version = distro.strip_prefix(&format!("{ns}-")).unwrap_or(distro);
    Some(OsRelease { id: ns, version_id: Some(version.to_owned()), codename: None, pretty_name: None })
}

/// Reads an SBOM document into an inventory. Errors say what the document
/// is missing.
pub fn from_sbom(doc: &Value) -> Result<Inventory, String> {
    // (purl, properties, the document's name for the package)
    let mut found: Vec<(String, BTreeMap<String, String>, Option<String>)> = Vec::new();
    let mut os: Option<OsRelease> = None;
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        let mut stack: Vec<&Value> = doc.get("components").and_then(Value::as_array).into_iter().flatten().collect();
        let mut budget = 1_000_000usize;
        while let Some(c) = stack.pop() {
            budget = budget.checked_sub(1).ok_or("more than a million components")?;
            stack.extend(c.get("components").and_then(Value::as_array).into_iter().flatten());
            if c.get("type").and_then(Value::as_str) == Some("operating-system") {
                if let Some(id) = c.get("name").and_then(Value::as_str) {
                    os = Some(OsRelease { id: id.to_ascii_lowercase(), version_id: c.get("version").and_then(Value::as_str).map(str::to_owned), codename: None, pretty_name: None });
                }
                continue;
            }
            let Some(purl) = c.get("purl").and_then(Value::as_str) else { continue };
            let props = c
                .get("properties")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| Some((p.get("name")?.as_str()?.to_owned(), p.get("value")?.as_str()?.to_owned())))
                .collect();
            found.push((purl.to_owned(), props, c.get("name").and_then(Value::as_str).map(str::to_owned)));
        }
    } else if doc.get("spdxVersion").is_some() {
        for p in doc.get("packages").and_then(Value::as_array).into_iter().flatten() {
            if p.get("primaryPackagePurpose").and_then(Value::as_str) == Some("OPERATING_SYSTEM")
                && let Some(id) = p.get("name").and_then(Value::as_str)
            {
                os = Some(OsRelease { id: id.to_ascii_lowercase(), version_id: p.get("versionInfo").and_then(Value::as_str).map(str::to_owned), codename: None, pretty_name: None });
                continue;
            }
            let refs = p.get("externalRefs").and_then(Value::as_array);
            let purl = refs.into_iter().flatten().find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl")).and_then(|r| r.get("referenceLocator")).and_then(Value::as_str);
            if let Some(purl) = purl {
                found.push((purl.to_owned(), BTreeMap::new(), p.get("name").and_then(Value::as_str).map(str::to_owned)));
            }
        }
    } else {
        return Err("neither CycloneDX (`bomFormat`) nor SPDX (`spdxVersion`) JSON".into());
    }
    let mut packages = Vec::new();
    for (purl, props, doc_name) in found {
        let Some(parsed) = parse_purl(&purl) else { continue };
        if os.is_none() && matches!(parsed.kind.as_str(), "deb" | "apk" | "rpm") {
            os = os_from_purl(&parsed);
        }
        let Some(package) = package_of(&parsed, &props, doc_name.as_deref()) else { continue };
        // An SBOM does not say which layer holds a package.
        packages.push(InventoryPackage { package, purl, layer: None, diff_id: None, paths: Vec::new(), found_by: "sbom", owner: None });
    }
    // Trivy writes the OS version with its point release (`12.4`); OSV
    // names Debian releases by major version, which the matcher derives.
    packages.sort_by(|a, b| (a.package.ecosystem, &a.package.name, &a.package.version).cmp(&(b.package.ecosystem, &b.package.name, &b.package.version)));
    packages.dedup_by(|a, b| a.purl == b.purl);
    Ok(Inventory { os, packages, unknowns: Vec::new(), accounts: None, secrets: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_come_apart() {
        let p = parse_purl("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl").unwrap();
        assert_eq!((p.kind.as_str(), p.namespace.as_deref(), p.name.as_str(), p.version.as_deref()), ("deb", Some("debian"), "libssl3", Some("3.0.11-1~deb12u2")));
        assert_eq!(p.qualifiers["upstream"], "openssl");
        let p = parse_purl("pkg:npm/%40babel/core@7.24.0").unwrap();
        assert_eq!((p.namespace.as_deref(), p.name.as_str()), (Some("@babel"), "core"));
        let p = parse_purl("pkg:golang/golang.org/x/net@v0.7.0").unwrap();
        assert_eq!((p.namespace.as_deref(), p.name.as_str()), (Some("golang.org/x"), "net"));
        assert!(parse_purl("npm/x@1").is_none());
        assert!(parse_purl("pkg:npm/").is_none());
    }

    #[test]
    fn trivy_and_syft_cyclonedx() {
        let doc: Value = serde_json::from_str(
            r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
              {"type":"operating-system","name":"debian","version":"12.4"},
              {"type":"library","name":"libssl3","version":"3.0.11-1~deb12u2","purl":"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.4",
               "properties":[{"name":"aquasecurity:trivy:SrcName","value":"openssl"},{"name":"aquasecurity:trivy:SrcVersion","value":"3.0.11"},{"name":"aquasecurity:trivy:SrcRelease","value":"1~deb12u2"}]},
              {"type":"library","name":"bsdutils","purl":"pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?arch=amd64&epoch=1&upstream=util-linux%402.38.1-5"},
              {"type":"library","name":"core","purl":"pkg:npm/%40babel/core@7.24.0"},
              {"type":"application","name":"/app","components":[{"type":"library","name":"django","purl":"pkg:pypi/django@2.2"}]},
              {"type":"library","name":"nopurl"}]}"#,
        )
        .unwrap();
        let inv = from_sbom(&doc).unwrap();
        assert_eq!(inv.os.as_ref().map(|o| (o.id.as_str(), o.version_id.as_deref())), Some(("debian", Some("12.4"))));
        let names: Vec<(String, String, Option<String>)> = inv.packages.iter().map(|p| (p.package.name.clone(), p.package.version.clone(), p.package.source_name.clone())).collect();
        assert_eq!(inv.packages[1].package.source_version.as_deref(), Some("3.0.11-1~deb12u2"));
        assert_eq!(
            names,
            [
                ("bsdutils".to_owned(), "1:2.38.1-5+b1".to_owned(), Some("util-linux".to_owned())),
                ("libssl3".to_owned(), "3.0.11-1~deb12u2".to_owned(), Some("openssl".to_owned())),
                ("@babel/core".to_owned(), "7.24.0".to_owned(), None),
                ("django".to_owned(), "2.2".to_owned(), None),
            ]
        );
    }

    #[test]
    fn upstream_qualifier_restores_the_source_package() {
        let doc = serde_json::json!({"spdxVersion": "SPDX-2.3", "packages": [
            {"name": "bsdutils", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:deb/debian/bsdutils@1:2.38.1-5+b1?arch=amd64&distro=debian-12&upstream=util-linux%402.38.1-5"}]},
            {"name": "libssl3", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"}]},
            {"name": "libcrypto3", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:apk/alpine/libcrypto3@3.3.1-r3?arch=x86_64&upstream=openssl"}]},
            {"name": "openssl-libs", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:rpm/rhel/openssl-libs@3.0.7-27.el9?upstream=openssl-3.0.7-27.el9.src.rpm"}]},
            {"name": "tar", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:deb/debian/tar@1.34%2Bdfsg-1.2?upstream=%401.34"}]},
            {"name": "zlib1g", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?upstream=zlib%40"}]}
        ]});
        let inv = from_sbom(&doc).unwrap();
        let sources: Vec<(&str, Option<&str>, Option<&str>)> =
            inv.packages.iter().map(|p| (p.package.name.as_str(), p.package.source_name.as_deref(), p.package.source_version.as_deref())).collect();
        assert_eq!(
            sources,
            [
                ("bsdutils", Some("util-linux"), Some("2.38.1-5")),
                ("libssl3", Some("openssl"), None),
                // Hostile or broken qualifiers: an empty name is ignored, an empty version unknown.
                ("tar", None, None),
                ("zlib1g", Some("zlib"), None),
                ("libcrypto3", Some("openssl"), Some("3.3.1-r3")),
                ("openssl-libs", None, None),
            ]
        );
        assert_eq!(inv.os.as_ref().map(|o| (o.id.as_str(), o.version_id.as_deref())), Some(("debian", Some("12"))));
    }

    #[test]
    fn spdx_packages_by_purl() {
        let doc: Value = serde_json::from_str(
            r#"{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"SPDXRef-a","name":"lodash","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/lodash@4.17.15"}]},{"SPDXID":"SPDXRef-img","name":"img"}]}"#,
        )
        .unwrap();
        let inv = from_sbom(&doc).unwrap();
        assert_eq!(inv.packages.len(), 1);
        assert_eq!(inv.packages[0].package.name, "lodash");
        assert!(from_sbom(&serde_json::json!({"hello": 1})).is_err());
    }
}
