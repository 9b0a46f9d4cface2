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
//! Inflated sizes are capped per entry (whatever the header claims), and
//! every inflated byte is charged to the work budget the layer pass gives
//! each layer (inside one for the image, see [`temper_layer::Budget`]): the
//! files of a layer share it, so a few kilobytes of layer holding many
//! small jars of highly compressible entries cost at most that budget.
//! The entry count per archive and the nesting depth are capped too.
//! Crossing a cap never hides what was already read: the packages found
//! so far are kept and each nested archive not read (too deep, too big,
//! corrupt) is reported as an unknown beside them, naming the nested path;
//! its siblings are still read, unless the budget is used up. Only an
//! outer file that is itself unreadable and yields nothing is an error.

use std::collections::BTreeSet;
use std::io::{Cursor, Read};

use temper_layer::{Analyzer, Budget, FileEntry, LAYER_WORK};
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
fn is_archive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e) && lower.len() > e.len())
}

/// Why part of a file was not read.
struct Refusal {
    reason: String,
    /// The layer's (or image's) work budget is used up: nothing more of
    /// the file, nested archives or siblings, can be read.
    exhausted: bool,
}

impl Refusal {
    fn of(reason: String) -> Refusal {
        Refusal { reason, exhausted: false }
    }
}

/// What one outer file yielded so far.
struct Walk<'a> {
    /// Inflated bytes are charged here: the layer's budget, inside the
    /// image's, shared with every other archive of the layer.
    budget: &'a Budget,
    packages: Vec<Package>,
    /// `(name, version)` of `packages`, so a shaded jar of many
    /// `pom.properties` costs no quadratic search.
    seen: BTreeSet<(String, String)>,
    /// Parts not read (a cap hit, a corrupt nested archive), each with
    /// the nested path: reported as unknowns beside the packages.
    gaps: Vec<String>,
}

/// Reads entry `i` of `zip` fully, up to `cap` bytes and what the budget
/// has left above `reserve`; the declared size is not trusted.
fn read_entry<R: Read + std::io::Seek>(zip: &mut ZipArchive<R>, i: usize, cap: u64, reserve: u64, budget: &Budget, at: &str) -> Result<Vec<u8>, Refusal> {
    let entry = zip.by_index(i).map_err(|e| Refusal::of(format!("{at}: {e}")))?;
    let left = budget.left().saturating_sub(reserve);
    let limit = cap.min(left);
    let mut out = Vec::new();
    entry.take(limit + 1).read_to_end(&mut out).map_err(|e| Refusal::of(format!("{at}: {e}")))?;
    let n = out.len() as u64;
    if n > limit {
        return Err(if cap <= left { Refusal::of(format!("{at}: inflates past {cap} bytes")) } else { Refusal { reason: format!("{at}: {}", budget.exhausted()), exhausted: true } });
    }
    budget.spend(n).map_err(|e| Refusal { reason: format!("{at}: {e}"), exhausted: true })?;
    Ok(out)
}

/// The part of a budget nested archives may not use, kept for the
/// `pom.properties` and manifests of the files after the one that spent
/// the rest: a bomb in one jar does not hide its neighbours' own packages.
fn text_reserve(budget: &Budget) -> u64 {
    budget.total() / 8
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

/// The packages of one archive and of the archives inside it. A nested
/// archive that cannot be read (too deep, too big, corrupt) becomes a gap
/// and its siblings are still read; an error is returned when this
/// archive itself cannot be read, or when the budget runs out.
fn scan(data: &[u8], at: &str, depth: usize, walk: &mut Walk) -> Result<(), Refusal> {
    if declared_entries(data).is_some_and(|n| n > MAX_ENTRIES) {
        return Err(Refusal::of(format!("{at}: more than {MAX_ENTRIES} entries")));
    }
    let mut zip = ZipArchive::new(Cursor::new(data)).map_err(|e| Refusal::of(format!("{at}: not a readable zip: {e}")))?;
    if zip.len() as u64 > MAX_ENTRIES {
        return Err(Refusal::of(format!("{at}: more than {MAX_ENTRIES} entries")));
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
        Some(i) => Some(Manifest::parse(&String::from_utf8_lossy(&read_entry(&mut zip, i, MAX_TEXT, 0, walk.budget, at)?))),
        None => None,
    };
    let licenses = manifest.as_ref().map(Manifest::licenses).unwrap_or_default();
    let mut found = Vec::new();
    for (i, name) in &poms {
        let text = read_entry(&mut zip, *i, MAX_TEXT, 0, walk.budget, &format!("{at}!/{name}"))?;
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
        if walk.seen.insert((p.name.clone(), p.version.clone())) {
            walk.packages.push(p);
        }
    }
    for (i, name) in nested {
        let inner_at = format!("{at}!/{name}");
        if depth >= MAX_DEPTH {
            walk.gaps.push(format!("{inner_at}: archives nested more than {MAX_DEPTH} deep"));
            continue;
        }
        let inner = read_entry(&mut zip, i, MAX_NESTED, text_reserve(walk.budget), walk.budget, &inner_at).and_then(|bytes| scan(&bytes, &inner_at, depth + 1, walk));
        match inner {
            Err(r) if r.exhausted => return Err(r),
            Err(r) => walk.gaps.push(r.reason),
            Ok(()) => {}
        }
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
        2
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
        self.analyze_within(path, content, &Budget::new("layer", LAYER_WORK))
    }
    /// Packages read before a cap or the budget stopped the walk are kept,
    /// each gap reported beside them; only a file that yields nothing and
    /// is itself unreadable is an error.
    fn analyze_within(&self, path: &str, content: &[u8], budget: &Budget) -> Result<Vec<Fact>, String> {
        let mut walk = Walk { budget, packages: Vec::new(), seen: BTreeSet::new(), gaps: Vec::new() };
        if let Err(r) = scan(content, path, 0, &mut walk) {
            if walk.packages.is_empty() && walk.gaps.is_empty() {
                return Err(r.reason);
            }
            walk.gaps.push(r.reason);
        }
        let gaps = walk.gaps.into_iter().map(|reason| Fact::Unknown { reason });
        Ok(walk.packages.into_iter().map(Fact::Package).chain(gaps).collect())
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

    /// The packages and the unknowns' reasons of one file, read within `budget`.
    fn read(path: &str, data: &[u8], budget: &Budget) -> (Vec<String>, Vec<String>) {
        let (mut packages, mut unknowns) = (Vec::new(), Vec::new());
        for f in JavaCataloger.analyze_within(path, data, budget).unwrap() {
            match f {
                Fact::Package(p) => packages.push(format!("{}@{}", p.name, p.version)),
                Fact::Unknown { reason } => unknowns.push(reason),
                other => panic!("{other:?}"),
            }
        }
        (packages, unknowns)
    }

    fn layer() -> Budget {
        Budget::new("layer", LAYER_WORK)
    }

    #[test]
    fn nesting_is_capped() {
        let mut j = commons_lang3();
        for _ in 0..MAX_DEPTH {
            j = jar(&[("inner.jar", &j)]);
        }
        assert_eq!(packages("a.jar", &j).len(), 1);
        let too_deep = jar(&[("inner.jar", &j)]);
        let (found, unknowns) = read("a.jar", &too_deep, &layer());
        assert!(found.is_empty());
        assert_eq!(unknowns, ["a.jar!/inner.jar!/inner.jar!/inner.jar!/inner.jar: archives nested more than 3 deep"]);
    }

    /// Issue 12: a jar nested past the cap used to drop the whole file, its
    /// own `pom.properties` included, leaving one unknown line.
    #[test]
    fn issue_12_a_too_deep_jar_keeps_what_was_read_before_the_cap() {
        let level = |n: usize, inner: Option<&[u8]>| {
            let pom = format!("groupId=com.example\nartifactId=level{n}\nversion=1.{n}\n");
            let pom_path = format!("META-INF/maven/com.example/level{n}/pom.properties");
            let mut entries: Vec<(&str, &[u8])> = vec![(&pom_path, pom.as_bytes())];
            if let Some(inner) = inner {
                entries.push(("BOOT-INF/lib/inner.jar", inner));
            }
            jar(&entries)
        };
        // Five levels: the outer jar (0) and four nested ones; level 4 lies
        // past the cap of 3.
        let mut j = level(4, None);
        for n in (0..4).rev() {
            j = level(n, Some(&j));
        }
        let sibling = jar(&[("META-INF/maven/org.example/after/pom.properties", b"groupId=org.example\nartifactId=after\nversion=9\n")]);
        let outer = jar(&[("META-INF/maven/com.example/app/pom.properties", b"groupId=com.example\nartifactId=app\nversion=2.0\n"), ("lib/deep.jar", &j), ("lib/z-after.jar", &sibling)]);
        let (found, unknowns) = read("app/app.jar", &outer, &layer());
        assert_eq!(found, ["com.example:app@2.0", "com.example:level0@1.0", "com.example:level1@1.1", "com.example:level2@1.2", "org.example:after@9"]);
        let deep = "app/app.jar!/lib/deep.jar!/BOOT-INF/lib/inner.jar!/BOOT-INF/lib/inner.jar!/BOOT-INF/lib/inner.jar";
        assert_eq!(unknowns, [format!("{deep}: archives nested more than {MAX_DEPTH} deep")]);
        // Through the inventory, the package and the unknown stand side by side.
        let facts = JavaCataloger.analyze("app/app.jar", &outer).unwrap();
        let found = vec![temper_layer::Found { layer: 0, path: "app/app.jar".into(), analyzer: "java", result: Ok(facts) }];
        let inv = crate::Inventory::build(found, &[], &temper_layer::Merged::default(), true);
        assert!(inv.packages.iter().any(|p| p.package.name == "com.example:app" && p.package.version == "2.0"));
        assert_eq!(inv.unknowns.len(), 1);
        assert_eq!((inv.unknowns[0].path.as_str(), inv.unknowns[0].cataloger), ("app/app.jar", "java"));
        assert!(inv.unknowns[0].reason.contains("nested more than 3 deep"), "{:?}", inv.unknowns);
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
        let (found, unknowns) = read("app/app.war", &bomb, &layer());
        assert!(found.is_empty());
        assert_eq!(unknowns, [format!("app/app.war!/WEB-INF/lib/bomb.jar: inflates past {MAX_NESTED} bytes")]);
    }

    #[test]
    fn inflated_bytes_are_charged_to_the_layer() {
        // Many entries, each under the per-entry cap, together over the
        // budget (a real one is LAYER_WORK; a small one keeps the test quick).
        let lib = commons_lang3();
        let names: Vec<String> = (0..10).map(|i| format!("WEB-INF/lib/l{i}.jar")).collect();
        let mut entries: Vec<(&str, &[u8])> = vec![("META-INF/maven/com.example/shop/pom.properties", b"groupId=com.example\nartifactId=shop\nversion=2.4\n")];
        entries.extend(names.iter().map(|n| (n.as_str(), lib.as_slice())));
        let war = jar(&entries);
        let budget = 5 * lib.len() as u64 + 100;
        let (found, unknowns) = read("w.war", &war, &Budget::new("layer", budget));
        // Each library costs its own bytes plus its inflated manifest and
        // pom.properties (about 3 KB in all), so the second one runs out
        // (an eighth of the budget is kept for text entries); what was read
        // before stays.
        assert_eq!(found, ["com.example:shop@2.4", "org.apache.commons:commons-lang3@3.12.0"]);
        assert!(unknowns.len() == 1 && unknowns[0].starts_with("w.war!/WEB-INF/lib/l1.jar"), "{unknowns:?}");
        assert!(unknowns[0].ends_with(&format!(": work budget of the layer ({budget} bytes inflated or decoded) used up")), "{unknowns:?}");
        assert_eq!(read("w.war", &war, &Budget::new("layer", 40 * lib.len() as u64)).1, Vec::<String>::new());
        // The budget is the layer's: the next file of the same layer finds
        // it partly spent and reads what is left.
        let probe = layer();
        read("w.war", &war, &probe);
        let cost = LAYER_WORK - probe.left();
        let half = |what| format!("work budget of the {what} ({} bytes inflated or decoded) used up", cost + cost / 2);
        let shared = Budget::new("layer", cost + cost / 2);
        assert!(read("a.war", &war, &shared).1.is_empty());
        let (found, unknowns) = read("b.war", &war, &shared);
        assert_eq!(found, ["com.example:shop@2.4", "org.apache.commons:commons-lang3@3.12.0"]);
        assert!(unknowns.len() == 1 && unknowns[0].ends_with(&half("layer")), "{unknowns:?}");
        // A layer's budget sits inside the image's, which every layer charges.
        let image = std::sync::Arc::new(Budget::new("image", cost + cost / 2));
        assert!(read("a.war", &war, &layer().within(image.clone())).1.is_empty());
        let (_, unknowns) = read("b.war", &war, &layer().within(image));
        assert!(unknowns.len() == 1 && unknowns[0].ends_with(&half("image")), "{unknowns:?}");
    }

    #[test]
    fn truncated_or_foreign_bytes_are_errors() {
        let j = commons_lang3();
        let err = JavaCataloger.analyze("x.jar", &j[..j.len() / 2]).unwrap_err();
        assert!(err.starts_with("x.jar: not a readable zip"), "{err}");
        // A corrupt nested archive is an unknown beside the rest.
        let war = jar(&[("WEB-INF/lib/bad.jar", b"PK\x03\x04 not really"), ("WEB-INF/lib/commons-lang3.jar", &j)]);
        let (found, unknowns) = read("x.war", &war, &layer());
        assert_eq!(found, ["org.apache.commons:commons-lang3@3.12.0"]);
        assert!(unknowns.len() == 1 && unknowns[0].starts_with("x.war!/WEB-INF/lib/bad.jar: not a readable zip"), "{unknowns:?}");
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
