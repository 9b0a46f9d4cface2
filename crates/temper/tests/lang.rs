//! `temper sbom` on an image built here with one artifact per language
//! cataloger: a war (its own pom.properties, a nested jar with
//! pom.properties, a nested jar with only a manifest), an installed gem
//! specification, a Composer 2 `installed.json` and a .NET `deps.json`,
//! plus decoys that declare but do not install packages.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../temper-layer/tests/support/mod.rs"]
mod support;

use std::io::{Cursor, Write};
use std::process::Command;

use serde_json::Value;
use support::{Comp, ImageSpec, OciLayout, file, layer};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../temper-inventory/tests/fixtures");

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{path}")).unwrap()
}

fn zip_of(entries: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, SimpleFileOptions::default().compression_method(method)).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn war() -> Vec<u8> {
    let lang3 = zip_of(
        &[
            ("META-INF/MANIFEST.MF", &fixture("java/commons-lang3.MANIFEST.MF")),
            ("META-INF/maven/org.apache.commons/commons-lang3/pom.properties", &fixture("java/commons-lang3.pom.properties")),
        ],
        CompressionMethod::Deflated,
    );
    let widget = zip_of(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nImplementation-Vendor-Id: com.example\r\nImplementation-Version: 1.3.2\r\nBundle-License: Apache-2.0\r\n")], CompressionMethod::Deflated);
    // Libraries inside wars are usually stored, not deflated, as here.
    zip_of(
        &[
            ("META-INF/maven/com.example/shop/pom.properties", b"groupId=com.example\nartifactId=shop\nversion=2.4\n"),
            ("WEB-INF/lib/commons-lang3-3.12.0.jar", &lang3),
            ("WEB-INF/lib/widget-1.3.2.jar", &widget),
        ],
        CompressionMethod::Stored,
    )
}

/// ecosystem, name, version, purl, layer, evidence path, cataloger, licences (JSON).
type Row = (String, String, String, String, usize, String, String, String);

#[test]
fn sbom_lists_java_ruby_php_and_dotnet_packages() {
    let dir = tempfile::tempdir().unwrap();
    let base = layer(&[file("srv/shop.war", war()), file("app/rack.gemspec", fixture("gem/rack-2.2.22.gemspec"))], Comp::Gzip);
    let app = layer(
        &[
            file("usr/local/bundle/specifications/rack-2.2.22.gemspec", fixture("gem/rack-2.2.22.gemspec")),
            file("var/www/html/vendor/composer/installed.json", fixture("composer/installed-v2.json")),
            file("var/www/html/composer.lock", fixture("composer/installed-v2.json")),
            file("app/WebApp.deps.json", fixture("dotnet/WebApp.deps.json")),
        ],
        Comp::Zstd,
    );
    let diff_ids = [base.diff_id.to_string(), app.diff_id.to_string()];
    OciLayout::single(&dir.path().join("oci"), &ImageSpec::new(vec![base, app]), "latest");
    let out = Command::new(env!("CARGO_BIN_EXE_temper"))
        .args(["sbom", &format!("oci:{}", dir.path().join("oci").display()), "--format", "json"])
        .env("TEMPER_CACHE_DIR", dir.path().join("cache"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<Row> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let layer = p["layer"].as_u64().unwrap() as usize;
            assert_eq!(p["diff_id"], diff_ids[layer].as_str(), "{p}");
            assert_eq!(p["paths"].as_array().unwrap().len(), 1, "{p}");
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
            (s("ecosystem"), s("name"), s("version"), s("purl"), layer, p["paths"][0].as_str().unwrap().to_owned(), s("found_by"), p["licenses"].to_string())
        })
        .collect();
    let row = |eco: &str, name: &str, version: &str, purl: &str, layer: usize, path: &str, by: &str, lic: &str| -> Row {
        (eco.to_owned(), name.to_owned(), version.to_owned(), purl.to_owned(), layer, path.to_owned(), by.to_owned(), lic.to_owned())
    };
    let php = "var/www/html/vendor/composer/installed.json";
    assert_eq!(
        got,
        [
            row("maven", "com.example:shop", "2.4", "pkg:maven/com.example/shop@2.4", 0, "srv/shop.war", "java", "null"),
            row("maven", "com.example:widget", "1.3.2", "pkg:maven/com.example/widget@1.3.2", 0, "srv/shop.war", "java", r#"["Apache-2.0"]"#),
            row("maven", "org.apache.commons:commons-lang3", "3.12.0", "pkg:maven/org.apache.commons/commons-lang3@3.12.0", 0, "srv/shop.war", "java", "null"),
            row("gem", "rack", "2.2.22", "pkg:gem/rack@2.2.22", 1, "usr/local/bundle/specifications/rack-2.2.22.gemspec", "gem", r#"["MIT"]"#),
            row("composer", "monolog/monolog", "2.9.1", "pkg:composer/monolog/monolog@2.9.1", 1, php, "composer", r#"["MIT"]"#),
            row("composer", "psr/log", "3.0.0", "pkg:composer/psr/log@3.0.0", 1, php, "composer", r#"["MIT"]"#),
            row("composer", "symfony/polyfill-mbstring", "dev-main", "pkg:composer/symfony/polyfill-mbstring@dev-main", 1, php, "composer", "null"),
            row("nuget", "Newtonsoft.Json", "13.0.1", "pkg:nuget/Newtonsoft.Json@13.0.1", 1, "app/WebApp.deps.json", "dotnet", "null"),
            row("nuget", "Serilog", "3.1.1", "pkg:nuget/Serilog@3.1.1", 1, "app/WebApp.deps.json", "dotnet", "null"),
        ]
    );
    assert_eq!(v["unknowns"], serde_json::json!([]), "{}", v["unknowns"]);
}
