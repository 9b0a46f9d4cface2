//! rpm's package database, in each of its three on-disk backends:
//!
//! * `rpmdb.sqlite` (RHEL 9, Fedora 33+, Amazon Linux 2023): a `Packages`
//!   table of header blobs ([`sqlite`]);
//! * `Packages`, a Berkeley DB hash file (RHEL/CentOS 7 and 8, Amazon
//!   Linux 2) ([`bdb`]);
//! * `Packages.db`, rpm's own "NDB" format (SUSE) ([`ndb`]).
//!
//! Each is found under `var/lib/rpm/` or `usr/lib/sysimage/rpm/`. Every
//! backend stores one header blob per package ([`header`]); the package is
//! read from it, as are the files it owns. No crate reads the Berkeley DB
//! or NDB formats without linking librpm or libdb, which would put C
//! parsers of strangers' files into the process, so those two and the
//! header are parsed here, with bounds on every count and offset. SQLite
//! itself is the bundled library, opened on an in-memory copy.
//!
//! `gpg-pubkey` entries are the keys rpm trusts, stored as pseudo-packages:
//! they are skipped. Versions are `E:V-R`, the epoch only when it is set
//! and not zero (rpm compares an absent epoch as zero), and `SOURCERPM`
//! (`openssl-3.0.7-27.el9.src.rpm`) gives the source package, which
//! carries the binary's epoch: both are built from the same spec file.

mod bdb;
mod header;
mod ndb;
mod sqlite;

use temper_layer::{Analyzer, FileEntry};

use crate::package::{Ecosystem, Fact, OwnedFiles, Package};
use header::Header;

/// The rpm cataloger: every backend's `Packages` store.
pub struct RpmCataloger;

/// The directories rpm keeps its database in.
const DIRS: [&str; 2] = ["var/lib/rpm/", "usr/lib/sysimage/rpm/"];

/// Which backend a path is, by its file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Bdb,
    Ndb,
}

fn backend(path: &str) -> Option<Backend> {
    let name = DIRS.iter().find_map(|d| path.strip_prefix(d))?;
    match name {
        "rpmdb.sqlite" => Some(Backend::Sqlite),
        "Packages" => Some(Backend::Bdb),
        "Packages.db" => Some(Backend::Ndb),
        _ => None,
    }
}

/// Whether `path` is one of rpm's package databases.
pub(crate) fn is_database(path: &str) -> bool {
    backend(path).is_some()
}

/// `name-version-release.src.rpm` split into name and `version-release`.
fn source_rpm(file: &str) -> Option<(String, String)> {
    let stem = file.strip_suffix(".src.rpm").or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    (!name.is_empty() && !version.is_empty() && !release.is_empty()).then(|| (name.to_owned(), format!("{version}-{release}")))
}

/// How many bytes of file paths a database (or a lone header) may expand
/// into, per byte of its own: real ones stay under 1, since directory names
/// are shared by many files.
const PATH_BYTES_PER_BYTE: usize = 8;

/// The package (and the files it owns) in one header blob; nothing for
/// `gpg-pubkey` pseudo-packages. Public so the header parser has a fuzz
/// target of its own.
pub fn header_facts(blob: &[u8]) -> Result<Vec<Fact>, String> {
    header_facts_within(blob, &mut blob.len().saturating_mul(PATH_BYTES_PER_BYTE))
}

/// [`header_facts`], with the file paths charged to `budget`.
fn header_facts_within(blob: &[u8], budget: &mut usize) -> Result<Vec<Fact>, String> {
    let h = Header::parse(blob)?;
    let name = h.string(header::NAME)?.ok_or("header has no NAME")?;
    if name == "gpg-pubkey" {
        return Ok(Vec::new());
    }
    let version = h.string(header::VERSION)?.ok_or_else(|| format!("package '{name}' has no VERSION"))?;
    let release = h.string(header::RELEASE)?.ok_or_else(|| format!("package '{name}' has no RELEASE"))?;
    let epoch = h.int32s(header::EPOCH)?.first().copied().filter(|&e| e != 0);
    let with_epoch = |vr: String| match epoch {
        Some(e) => format!("{e}:{vr}"),
        None => vr,
    };
    let (source_name, source_version) = match h.string(header::SOURCERPM)?.as_deref().and_then(source_rpm) {
        Some((n, vr)) => (Some(n), Some(with_epoch(vr))),
        None => (None, None),
    };
    let arch = h.string(header::ARCH)?;
    let files = h.files(budget)?;
    let mut out = Vec::with_capacity(2);
    if !files.is_empty() {
        out.push(Fact::Files(OwnedFiles { ecosystem: Ecosystem::Rpm, package: name.clone(), arch: arch.clone(), files }));
    }
    out.push(Fact::Package(Package {
        version: with_epoch(format!("{version}-{release}")),
        name,
        ecosystem: Ecosystem::Rpm,
        arch,
        source_name,
        source_version,
        licenses: h.string(header::LICENSE)?.into_iter().collect(),
        checksum: None,
        depends: Vec::new(),
        provides: Vec::new(),
        direct: false,
    }));
    Ok(out)
}

/// Every package in the header blobs of a database of `size` bytes; a bad
/// blob names its place in the database.
fn facts(blobs: Vec<(u64, Vec<u8>)>, size: usize) -> Result<Vec<Fact>, String> {
    let mut budget = size.saturating_mul(PATH_BYTES_PER_BYTE);
    let mut out = Vec::new();
    for (id, blob) in blobs {
        out.extend(header_facts_within(&blob, &mut budget).map_err(|e| format!("package record {id}: {e}"))?);
    }
    Ok(out)
}

impl Analyzer<Fact> for RpmCataloger {
    fn id(&self) -> &'static str {
        "rpm"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        is_database(path)
    }
    fn max_bytes(&self) -> u64 {
        // A large Fedora install's database is some 100 MB in BDB form.
        192 << 20
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        let blobs = match backend(path) {
            Some(Backend::Sqlite) => sqlite::blobs(content)?,
            Some(Backend::Bdb) => bdb::blobs(content)?,
            Some(Backend::Ndb) => ndb::blobs(content)?,
            None => return Err(format!("'{path}' is not an rpm database")),
        };
        facts(blobs, content.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::header::tests::{blob, i32s, s, sa};
    use super::*;

    fn pkg(facts: &[Fact]) -> &Package {
        facts.iter().find_map(|f| if let Fact::Package(p) = f { Some(p) } else { None }).unwrap()
    }

    #[test]
    fn epoch_source_and_files() {
        let b = blob(&[
            s(header::NAME, "openssl-libs"),
            s(header::VERSION, "3.0.7"),
            s(header::RELEASE, "27.el9"),
            i32s(header::EPOCH, &[1]),
            s(header::ARCH, "x86_64"),
            s(header::LICENSE, "ASL 2.0"),
            s(header::SOURCERPM, "openssl-3.0.7-27.el9.src.rpm"),
            sa(header::DIRNAMES, &["/usr/lib64/"]),
            sa(header::BASENAMES, &["libssl.so.3"]),
            i32s(header::DIRINDEXES, &[0]),
        ]);
        let f = header_facts(&b).unwrap();
        let p = pkg(&f);
        assert_eq!((p.name.as_str(), p.version.as_str(), p.arch.as_deref()), ("openssl-libs", "1:3.0.7-27.el9", Some("x86_64")));
        assert_eq!((p.source_name.as_deref(), p.source_version.as_deref()), (Some("openssl"), Some("1:3.0.7-27.el9")));
        assert_eq!(p.licenses, ["ASL 2.0"]);
        assert!(matches!(&f[0], Fact::Files(o) if o.files == ["usr/lib64/libssl.so.3"] && o.package == "openssl-libs"));
        // Epoch 0 is no epoch.
        let b = blob(&[s(header::NAME, "a"), s(header::VERSION, "1"), s(header::RELEASE, "2"), i32s(header::EPOCH, &[0])]);
        assert_eq!(pkg(&header_facts(&b).unwrap()).version, "1-2");
        let key = blob(&[s(header::NAME, "gpg-pubkey"), s(header::VERSION, "fd431d51"), s(header::RELEASE, "4ae0493b")]);
        assert!(header_facts(&key).unwrap().is_empty());
        let b = blob(&[s(header::NAME, "a"), s(header::VERSION, "1")]);
        assert!(header_facts(&b).unwrap_err().contains("'a' has no RELEASE"));
    }

    #[test]
    fn source_rpm_names() {
        assert_eq!(source_rpm("glibc-2.34-100.el9_4.2.src.rpm"), Some(("glibc".into(), "2.34-100.el9_4.2".into())));
        assert_eq!(source_rpm("python3.11-3.11.7-1.el9.src.rpm"), Some(("python3.11".into(), "3.11.7-1.el9".into())));
        assert_eq!(source_rpm("xz-libs-5.2.5-8.el9_0.nosrc.rpm"), Some(("xz-libs".into(), "5.2.5-8.el9_0".into())));
        assert_eq!(source_rpm("nodash.src.rpm"), None);
        assert_eq!(source_rpm("a-1-2.rpm"), None);
    }

    #[test]
    fn paths() {
        assert_eq!(backend("var/lib/rpm/rpmdb.sqlite"), Some(Backend::Sqlite));
        assert_eq!(backend("usr/lib/sysimage/rpm/rpmdb.sqlite"), Some(Backend::Sqlite));
        assert_eq!(backend("var/lib/rpm/Packages"), Some(Backend::Bdb));
        assert_eq!(backend("usr/lib/sysimage/rpm/Packages.db"), Some(Backend::Ndb));
        assert_eq!(backend("var/lib/rpm/Packages.db-journal"), None);
        assert_eq!(backend("var/lib/rpm/rpmdb.sqlite-wal"), None);
        assert_eq!(backend("opt/var/lib/rpm/Packages"), None);
    }

    /// Real databases made by `scripts/make-rpm-fixtures.sh`.
    const SQLITE: &[u8] = include_bytes!("../../../tests/fixtures/rpm/rpmdb.sqlite");
    const SQLITE_2: &[u8] = include_bytes!("../../../tests/fixtures/rpm/rpmdb-2.sqlite");
    const BDB: &[u8] = include_bytes!("../../../tests/fixtures/rpm/Packages");
    const NDB: &[u8] = include_bytes!("../../../tests/fixtures/rpm/Packages.db");

    fn summary(path: &str, content: &[u8]) -> Vec<String> {
        let facts = RpmCataloger.analyze(path, content).unwrap();
        facts
            .iter()
            .map(|f| match f {
                Fact::Package(p) => format!(
                    "{} {} {} src={}@{} lic={}",
                    p.name,
                    p.version,
                    p.arch.as_deref().unwrap_or("-"),
                    p.source_name.as_deref().unwrap_or("-"),
                    p.source_version.as_deref().unwrap_or("-"),
                    p.licenses.join(",")
                ),
                Fact::Files(o) => format!("{} owns {}", o.package, o.files.join(" ")),
                other => unreachable!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn real_databases_in_every_backend() {
        // In package-number order: rpm installed world first.
        let want = [
            "world owns usr/lib/python3.12/site-packages/world-0.1.dist-info/METADATA usr/share/world/data.txt",
            "world 0.1-3 noarch src=world@0.1-3 lic=GPL-2.0-or-later",
            "hello owns usr/bin/hello",
            "hello 2:1.0-1 x86_64 src=hello@2:1.0-1 lic=MIT",
        ];
        // The gpg-pubkey entry in each database is not a package.
        assert_eq!(summary("var/lib/rpm/rpmdb.sqlite", SQLITE), want);
        assert_eq!(summary("var/lib/rpm/Packages", BDB), want);
        assert_eq!(summary("usr/lib/sysimage/rpm/Packages.db", NDB), want);
        assert_eq!(
            summary("usr/lib/sysimage/rpm/rpmdb.sqlite", SQLITE_2),
            [
                "hello owns usr/bin/hello",
                "hello 2:1.0-1 x86_64 src=hello@2:1.0-1 lic=MIT",
                "hello-libs owns usr/lib64/libhello.so.1",
                "hello-libs 2:1.0-1 x86_64 src=hello@2:1.0-1 lic=MIT AND BSD-3-Clause",
            ]
        );
    }

    #[test]
    fn truncated_databases_are_errors() {
        for (path, db) in [("var/lib/rpm/rpmdb.sqlite", SQLITE), ("var/lib/rpm/Packages", BDB), ("var/lib/rpm/Packages.db", NDB)] {
            for cut in [0, 1, 16, 100, db.len() / 3, db.len() / 2, db.len() - 1] {
                let got = RpmCataloger.analyze(path, &db[..cut]);
                // A cut that happens to fall after the last record may still
                // read fine, but never yields packages it should not.
                if let Ok(facts) = got {
                    assert!(facts.len() <= 4, "{path} cut at {cut}");
                }
            }
            assert!(RpmCataloger.analyze(path, &db[..db.len() / 2]).is_err(), "{path} cut in half");
        }
        let mut flipped = NDB.to_vec();
        flipped[4096 + 40] ^= 0xff;
        assert!(RpmCataloger.analyze("var/lib/rpm/Packages.db", &flipped).unwrap_err().contains("checksum"));
    }
}
