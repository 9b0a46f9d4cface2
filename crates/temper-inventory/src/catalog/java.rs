//! Java archives: `*.jar`, `*.war`, `*.ear`, and Jenkins plugins (`*.hpi`,
//! `*.jpi`, which are jars by another name). All are zip files.
//!
//! # What identifies an artifact
//! 1. `META-INF/maven/<group>/<artifact>/pom.properties`, written by Maven
//!    (and Gradle's maven-publish) into the jar it builds: Java properties
//!    with `groupId`, `artifactId` and `version`. A shaded ("uber") jar
//!    keeps the file of every artifact folded into it, so each one found is
//!    a package: their vulnerabilities ship inside the jar.
//! 2. Only when an archive has no usable `pom.properties`, its
//!    `META-INF/MANIFEST.MF` (main section; lines of at most 72 bytes, a
//!    line starting with one space continues the previous one):
//!    - version: `Implementation-Version`, else `Bundle-Version`, else the
//!      version in the file name;
//!    - artifact: the file name without extension and without a trailing
//!      `-<version>` (the part from the last `-` followed by a digit), as
//!      Maven names its outputs `artifact-version.jar`;
//!    - group: `Implementation-Vendor-Id`, which Maven's archiver sets to
//!      the groupId. `Bundle-SymbolicName` is not used: it is an OSGi name
//!      (`org.apache.commons.lang3`) that neither equals nor contains the
//!      group reliably. With no group the name is the artifact alone and
//!      the purl has no namespace (`pkg:maven/artifact@1.0`), which says
//!      "group unknown" rather than guessing one.
//!
//!    An archive with no version anywhere yields nothing.
//!
//! Licences come from the manifest's OSGi `Bundle-License` (identifiers or
//! URLs before any `;` attribute) and go to the archive's own artifact:
//! its manifest-derived package, its only `pom.properties`, or the one
//! whose artifact matches the file name.
//!
//! # Nested archives
//! Any entry with one of the extensions above is itself read, from memory,
//! recursively: `WEB-INF/lib/*.jar` of a war, `BOOT-INF/lib/*.jar` of a
//! Spring Boot jar, the jars and wars of an ear. Its packages are reported
//! with the outer file as evidence (`app/app.war`): a [`Package`] carries
//! no location, so `app/app.war!/WEB-INF/lib/x.jar` appears only in error
//! messages.
//!
//! # Hostile archives
//! Inflated sizes are capped per entry (whatever the header claims), per
//! outer file in total, and the entry count per archive and the nesting
//! depth are capped; crossing a cap fails the whole file with an error
//! naming the nested path, as does a corrupt nested archive.

use std::io::{Cursor, Read};

use temper_layer::{Analyzer, FileEntry};
use zip::ZipArchive;

use crate::package::{Ecosystem, Fact, Package};

pub struct JavaCataloger;

/// Extensions of zip-based Java archives (compared in lower case).
const EXTENSIONS: &[&str] = &[".jar", ".war", ".ear", ".hpi", ".jpi"];
/// Archives inside archives inside the file: ear → war → jar needs 2; a
/// shaded jar kept in a Spring Boot jar inside a war, 3.
const MAX_DEPTH: usize = 3;
/// Entries in one archive; the largest real jars hold tens of thousands.
const MAX_ENTRIES: u64 = 200_000;
/// Inflated size of one `pom.properties` or `MANIFEST.MF`.
const MAX_TEXT: u64 = 1 << 20;
/// Inflated size of one nested archive (library jars are a few MB; a war
/// in an ear can be larger).
const MAX_NESTED: u64 = 128 << 20;
/// Inflated bytes for one outer file, all levels together: bounds the work
/// a zip bomb (many entries pointing at the same data) can cause.
const MAX_INFLATED: u64 = 1 << 30;

fn is_archive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e) && lower.len() > e.len())
}

/// Inflated bytes allowed for the current outer file, and what is left.
struct Budget {
    total: u64,
    left: u64,
}

impl Budget {
    fn new(total: u64) -> Budget {
        Budget { total, left: total }
    }
}

/// Reads entry `i` of `zip` fully, up to `cap` bytes and the budget; the
/// declared size is not trusted.
fn read_entry<R: Read + std::io::Seek>(zip: &mut ZipArchive<R>, i: usize, cap: u64, budget: &mut Budget, at: &str) -> Result<Vec<u8>, String> {
    let entry = zip.by_index(i).map_err(|e| format!("{at}: {e}"))?;
    let limit = cap.min(budget.left);
    let mut out = Vec::new();
    entry.take(limit + 1).read_to_end(&mut out).map_err(|e| format!("{at}: {e}"))?;
    let n = out.len() as u64;
    if n > limit {
        return Err(if limit == cap {
            format!("{at}: inflates past {cap} bytes")
        } else {
            format!("{at}: the archive inflates past {} bytes in total", budget.total)
        });
    }
    budget.left -= n;
    Ok(out)
}

/// The number of entries the end-of-central-directory record declares
/// (following a zip64 locator when the 16-bit field is saturated), so an
/// absurd count is refused before the directory is parsed into memory.
fn declared_entries(data: &[u8]) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let from = data.len().saturating_sub(22 + 0xFFFF);
    let pos = data.get(from..)?.windows(4).rposition(|w| w == EOCD)? + from;
    let le16 = |at: usize| data.get(at..at + 2).map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])));
    let count = le16(pos + 10)?;
    if count != 0xFFFF {
        return Some(count);
    }
    let locator = data.get(pos.checked_sub(20)?..pos)?;
    if &locator[..4] != b"PK\x06\x07" {
        return Some(count);
    }
    let mut off = [0u8; 8];
    off.copy_from_slice(&locator[8..16]);
    let record = usize::try_from(u64::from_le_bytes(off)).ok()?;
    let mut n = [0u8; 8];
    n.copy_from_slice(data.get(record.checked_add(32)?..record.checked_add(40)?)?);
    Some(u64::from_le_bytes(n))
}

/// The packages of one archive and of the archives inside it.
fn scan(data: &[u8], at: &str, depth: usize, budget: &mut Budget, out: &mut Vec<Package>) -> Result<(), String> {
    if declared_entries(data).is_some_and(|n| n > MAX_ENTRIES) {
        return Err(format!("{at}: more than {MAX_ENTRIES} entries"));
    }
    let mut zip = ZipArchive::new(Cursor::new(data)).map_err(|e| format!("{at}: not a readable zip: {e}"))?;
    if zip.len() as u64 > MAX_ENTRIES {
        return Err(format!("{at}: more than {MAX_ENTRIES} entries"));
    }
    let mut poms = Vec::new();
    let mut manifest = None;
    let mut nested = Vec::new();
    for i in 0..zip.len() {
        let Some(Ok(name)) = zip.name_for_index(i).map(|n| n.map(|n| n.into_owned())) else { continue };
        if name.ends_with('/') {
            continue;
        }
        if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
            poms.push((i, name));
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            manifest = Some(i);
        } else if is_archive(&name) {
            nested.push((i, name));
        }
    }
    let file_name = at.rsplit(['/', '!']).next().unwrap_or(at);
    let manifest = match manifest {
        Some(i) => Some(Manifest::parse(&String::from_utf8_lossy(&read_entry(&mut zip, i, MAX_TEXT, budget, at)?))),
        None => None,
    };
    let licenses = manifest.as_ref().map(Manifest::licenses).unwrap_or_default();
    let mut found = Vec::new();
    for (i, name) in &poms {
        let text = read_entry(&mut zip, *i, MAX_TEXT, budget, &format!("{at}!/{name}"))?;
        if let Some(p) = pom_properties(&String::from_utf8_lossy(&text)) {
            found.push(p);
        }
    }
    if found.is_empty() {
        found.extend(manifest.as_ref().and_then(|m| from_manifest(m, file_name)));
        for p in &mut found {
            p.licenses.clone_from(&licenses);
        }
    } else if !licenses.is_empty() {
        let own = split_file_name(file_name).0;
        let single = found.len() == 1;
        if let Some(p) = found.iter_mut().find(|p| single || p.name.rsplit(':').next() == Some(own)) {
            p.licenses = licenses;
        }
    }
    for p in found {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    for (i, name) in nested {
        let inner_at = format!("{at}!/{name}");
        if depth >= MAX_DEPTH {
            return Err(format!("{inner_at}: archives nested more than {MAX_DEPTH} deep"));
        }
        let bytes = read_entry(&mut zip, i, MAX_NESTED, budget, &inner_at)?;
        scan(&bytes, &inner_at, depth + 1, budget, out)?;
    }
    Ok(())
}

/// `groupId`, `artifactId`, `version` from a `pom.properties` (Java
/// properties: `key=value` or `key: value`, `#`/`!` comments).
fn pom_properties(text: &str) -> Option<Package> {
    let (mut group, mut artifact, mut version) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':']) else { continue };
        let v = v.trim();
        match k.trim() {
            "groupId" => group = Some(v),
            "artifactId" => artifact = Some(v),
            "version" => version = Some(v),
            _ => {}
        }
    }
    let (group, artifact, version) = (group?, artifact?, version?);
    if group.is_empty() || artifact.is_empty() || version.is_empty() {
        return None;
    }
    Some(maven(format!("{group}:{artifact}"), version.to_owned()))
}

fn maven(name: String, version: String) -> Package {
    Package::new(name, version, Ecosystem::Maven)
}

/// `artifact-1.2.3.jar` → (`artifact`, Some(`1.2.3`)); the version starts
/// at the last `-` followed by a digit.
fn split_file_name(file: &str) -> (&str, Option<&str>) {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let cut = stem.match_indices('-').map(|(i, _)| i).rfind(|&i| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()));
    match cut {
        Some(i) if i > 0 => (&stem[..i], Some(&stem[i + 1..])),
        _ => (stem, None),
    }
}

fn from_manifest(m: &Manifest, file_name: &str) -> Option<Package> {
    let (artifact, file_version) = split_file_name(file_name);
    let version = m.get("Implementation-Version").or_else(|| m.get("Bundle-Version")).or(file_version)?;
    if artifact.is_empty() || version.is_empty() {
        return None;
    }
    let name = match m.get("Implementation-Vendor-Id") {
        Some(group) if !group.is_empty() => format!("{group}:{artifact}"),
        _ => artifact.to_owned(),
    };
    Some(maven(name, version.to_owned()))
}

/// The main section of a `MANIFEST.MF`.
struct Manifest(Vec<(String, String)>);

impl Manifest {
    fn parse(text: &str) -> Manifest {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in text.split("\r\n").flat_map(|l| l.split(['\n', '\r'])) {
            if line.is_empty() {
                break; // the main section ends at the first blank line
            }
            if let Some(rest) = line.strip_prefix(' ') {
                if let Some((_, v)) = fields.last_mut() {
                    v.push_str(rest);
                }
            } else if let Some((k, v)) = line.split_once(':') {
                fields.push((k.trim().to_owned(), v.trim_start().to_owned()));
            }
        }
        for (_, v) in &mut fields {
            let t = v.trim_end().len();
            v.truncate(t);
        }
        Manifest(fields)
    }

    /// A field by name (names are case-insensitive).
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    /// `Bundle-License`: comma-separated clauses, each a licence name or
    /// URL followed by `;attribute=value` pairs (values may be quoted).
    fn licenses(&self) -> Vec<String> {
        let Some(v) = self.get("Bundle-License") else { return Vec::new() };
        let mut clauses = Vec::new();
        let (mut cur, mut quoted) = (String::new(), false);
        for c in v.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => clauses.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        clauses.push(cur);
        clauses.iter().filter_map(|c| c.split(';').next()).map(str::trim).filter(|c| !c.is_empty() && *c != "<<EXTERNAL>>").map(str::to_owned).collect()
    }
}

impl Analyzer<Fact> for JavaCataloger {
    fn id(&self) -> &'static str {
        "java"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        is_archive(path.rsplit('/').next().unwrap_or(path))
    }
    /// The whole archive is buffered: the zip directory is at its end.
    /// Spring Boot fat jars and wars reach about 100 MB; 256 MB leaves room
    /// and still bounds the memory of one file; anything bigger becomes an
    /// unknown, not a silent gap.
    fn max_bytes(&self) -> u64 {
        256 << 20
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let mut packages = Vec::new();
        scan(content, path, 0, &mut Budget::new(MAX_INFLATED), &mut packages)?;
        Ok(packages.into_iter().map(Fact::Package).collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/java");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
    }

    fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn packages(path: &str, data: &[u8]) -> Vec<(String, String, Vec<String>)> {
        JavaCataloger
            .analyze(path, data)
            .unwrap()
            .into_iter()
            .map(|f| match f {
                Fact::Package(p) => {
                    assert_eq!(p.ecosystem, Ecosystem::Maven);
                    (p.name, p.version, p.licenses)
                }
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn commons_lang3() -> Vec<u8> {
        jar(&[
            ("META-INF/MANIFEST.MF", &fixture("commons-lang3.MANIFEST.MF")),
            ("META-INF/maven/org.apache.commons/commons-lang3/pom.properties", &fixture("commons-lang3.pom.properties")),
            ("org/apache/commons/lang3/StringUtils.class", b"\xca\xfe\xba\xbe"),
        ])
    }

    #[test]
    fn selects_java_archives() {
        let e = crate::catalog::test_entry();
        for p in ["usr/share/java/commons-lang3.jar", "app/app.WAR", "srv/app.ear", "var/jenkins/plugins/git.hpi", "p/x.jpi"] {
            assert!(JavaCataloger.wants(p, &e), "{p}");
        }
        for p in ["usr/share/java/.jar", "app/jar", "app/x.jar.sha1", "app/x.zip", "app/x.class"] {
            assert!(!JavaCataloger.wants(p, &e), "{p}");
        }
    }

    #[test]
    fn pom_properties_wins_over_the_manifest() {
        assert_eq!(packages("usr/share/java/commons-lang3.jar", &commons_lang3()), [("org.apache.commons:commons-lang3".to_owned(), "3.12.0".to_owned(), vec![])]);
    }

    #[test]
    fn manifest_only_jar_takes_its_name_from_the_file() {
        let j = jar(&[("META-INF/MANIFEST.MF", &fixture("commons-lang3.MANIFEST.MF"))]);
        assert_eq!(packages("usr/share/java/commons-lang3-3.12.0.jar", &j), [("commons-lang3".to_owned(), "3.12.0".to_owned(), vec![])]);
        // Implementation-Vendor-Id gives the group; Bundle-License the licence.
        let mf = b"Manifest-Version: 1.0\r\nImplementation-Vendor-Id: com.example\r\nBundle-Version: 2.0.1\r\nBundle-License: \"Apache-2.0\";link=\"https://www.apache.org/lic\r\n enses/LICENSE-2.0\", MIT\r\n\r\nName: x\r\nImplementation-Version: 9\r\n";
        assert_eq!(packages("lib/widget.jar", &jar(&[("META-INF/MANIFEST.MF", mf)])), [("com.example:widget".to_owned(), "2.0.1".to_owned(), vec!["Apache-2.0".to_owned(), "MIT".to_owned()])]);
        // No version anywhere: nothing.
        assert!(packages("lib/resources.jar", &jar(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n")])).is_empty());
    }

    #[test]
    fn manifest_continuation_lines_join() {
        let m = Manifest::parse(&String::from_utf8_lossy(&fixture("commons-lang3.MANIFEST.MF")));
        assert_eq!(m.get("bundle-description"), Some("Apache Commons Lang, a package of Java utility classes for the  classes that are in java.lang's hierarchy, or are considered to be sostandard as to justify existence in java.lang."));
        assert_eq!(m.get("Implementation-Version"), Some("3.12.0"));
        assert_eq!(split_file_name("spring-boot-starter-web-3.2.0-SNAPSHOT.jar"), ("spring-boot-starter-web", Some("3.2.0-SNAPSHOT")));
        assert_eq!(split_file_name("log4j-1.2-api-2.17.1.jar"), ("log4j-1.2-api", Some("2.17.1")));
        assert_eq!(split_file_name("app.war"), ("app", None));
    }

    #[test]
    fn shaded_jar_reports_every_pom_properties() {
        let j = jar(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nBundle-License: Apache-2.0\n"),
            ("META-INF/maven/com.example/tool/pom.properties", b"#Generated by Maven\ngroupId=com.example\nartifactId=tool\nversion=1.0\n"),
            ("META-INF/maven/com.google.guava/guava/pom.properties", b"version=31.1-jre\ngroupId=com.google.guava\nartifactId=guava\n"),
            ("META-INF/maven/org.example/broken/pom.properties", b"groupId=org.example\nversion=1\n"),
        ]);
        assert_eq!(
            packages("opt/tool-1.0.jar", &j),
            [("com.example:tool".to_owned(), "1.0".to_owned(), vec!["Apache-2.0".to_owned()]), ("com.google.guava:guava".to_owned(), "31.1-jre".to_owned(), vec![])]
        );
    }

    #[test]
    fn war_with_nested_jars() {
        let ann = jar(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nImplementation-Version: 1.3.2\n")]);
        let war = jar(&[
            ("META-INF/maven/com.example/shop/pom.properties", b"groupId=com.example\nartifactId=shop\nversion=2.4\n"),
            ("WEB-INF/lib/commons-lang3-3.12.0.jar", &commons_lang3()),
            ("WEB-INF/lib/javax.annotation-api-1.3.2.jar", &ann),
            ("WEB-INF/web.xml", b"<web-app/>"),
        ]);
        let ear = jar(&[("shop.war", &war), ("lib/commons-lang3.jar", &commons_lang3())]);
        let want = [
            ("com.example:shop".to_owned(), "2.4".to_owned(), vec![]),
            ("org.apache.commons:commons-lang3".to_owned(), "3.12.0".to_owned(), vec![]),
            ("javax.annotation-api".to_owned(), "1.3.2".to_owned(), vec![]),
        ];
        assert_eq!(packages("srv/shop.war", &war), want);
        // The ear's own copy of commons-lang3 is the same package: reported once.
        assert_eq!(packages("srv/shop.ear", &ear), want);
    }

    #[test]
    fn nesting_is_capped() {
        let mut j = commons_lang3();
        for _ in 0..MAX_DEPTH {
            j = jar(&[("inner.jar", &j)]);
        }
        assert_eq!(packages("a.jar", &j).len(), 1);
        let too_deep = jar(&[("inner.jar", &j)]);
        let err = JavaCataloger.analyze("a.jar", &too_deep).unwrap_err();
        assert!(err.starts_with("a.jar!/inner.jar!/inner.jar!/inner.jar!/inner.jar: archives nested more than 3 deep"), "{err}");
    }

    #[test]
    fn zip_bomb_is_refused() {
        // 200 MB of zeros deflates to about 200 KB; its real size is found
        // by inflating, not by trusting the header.
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("WEB-INF/lib/bomb.jar", SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).large_file(true)).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            w.write_all(&zeros).unwrap();
        }
        let bomb = w.finish().unwrap().into_inner();
        assert!(bomb.len() < 1 << 20);
        let err = JavaCataloger.analyze("app/app.war", &bomb).unwrap_err();
        assert_eq!(err, format!("app/app.war!/WEB-INF/lib/bomb.jar: inflates past {MAX_NESTED} bytes"));
    }

    #[test]
    fn total_inflated_bytes_are_capped() {
        // Many entries, each under the per-entry cap, together over the
        // budget (a real budget is 1 GiB; a small one keeps the test quick).
        let lib = commons_lang3();
        let names: Vec<String> = (0..10).map(|i| format!("WEB-INF/lib/l{i}.jar")).collect();
        let war = jar(&names.iter().map(|n| (n.as_str(), lib.as_slice())).collect::<Vec<_>>());
        let budget = 5 * lib.len() as u64 + 100;
        let mut out = Vec::new();
        let err = scan(&war, "w.war", 0, &mut Budget::new(budget), &mut out).unwrap_err();
        // Each library costs its own bytes plus its inflated manifest and
        // pom.properties (about 3 KB in all), so the third one runs out.
        assert_eq!(err, format!("w.war!/WEB-INF/lib/l2.jar: the archive inflates past {budget} bytes in total"));
        let mut out = Vec::new();
        scan(&war, "w.war", 0, &mut Budget::new(40 * lib.len() as u64), &mut out).unwrap();
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn truncated_or_foreign_bytes_are_errors() {
        let j = commons_lang3();
        let err = JavaCataloger.analyze("x.jar", &j[..j.len() / 2]).unwrap_err();
        assert!(err.starts_with("x.jar: not a readable zip"), "{err}");
        let war = jar(&[("WEB-INF/lib/bad.jar", b"PK\x03\x04 not really")]);
        let err = JavaCataloger.analyze("x.war", &war).unwrap_err();
        assert!(err.starts_with("x.war!/WEB-INF/lib/bad.jar: not a readable zip"), "{err}");
        assert!(JavaCataloger.analyze("x.jar", b"").is_err());
    }

    #[test]
    fn absurd_entry_counts_are_refused_before_parsing() {
        // An end-of-central-directory record declaring 0xFFFF entries and
        // a zip64 record declaring 2^40.
        let mut z = vec![0u8; 56];
        z[..4].copy_from_slice(b"PK\x06\x06");
        z[32..40].copy_from_slice(&(1u64 << 40).to_le_bytes());
        let mut loc = b"PK\x06\x07".to_vec();
        loc.extend([0u8; 16]);
        z.extend(loc);
        let mut eocd = b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff".to_vec();
        eocd.extend([0xffu8; 8]);
        eocd.extend([0u8; 2]);
        z.extend(eocd);
        assert_eq!(declared_entries(&z), Some(1 << 40));
        assert_eq!(JavaCataloger.analyze("x.jar", &z).unwrap_err(), format!("x.jar: more than {MAX_ENTRIES} entries"));
        assert_eq!(declared_entries(&commons_lang3()), Some(3));
    }
}
