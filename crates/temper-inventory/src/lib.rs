//! The inventory stage: catalogers find packages in the files the layer
//! pass hands them, and [`Inventory::build`] keeps what the merged image
//! really contains, each package with the layer that introduced it.
//!
//! # Flow
//! [`catalog::registry`] lists the catalogers (each an
//! [`temper_layer::Analyzer`] over [`Fact`]s); `temper_layer::walk_image_with`
//! feeds them during the one pass; [`Inventory::build`] then keeps the facts
//! whose evidence file is still visible (a whiteout or overwrite in a later
//! layer removes them; `all_layers` keeps everything) and turns each failed
//! file into an [`Unknown`] instead of dropping it silently. Package
//! databases that each installing layer rewrites whole (dpkg `status`, apk
//! `installed`, rpm's `Packages`) give each package the first layer of the
//! unbroken run of copies listing it; the OS packages' file lists
//! ([`OwnedFiles`]) name the owner of each language package or binary
//! whose evidence file one of them installed. [`format`] writes an
//! inventory as CycloneDX 1.6 or SPDX 2.3 JSON; [`decode`] reads one back.
//!
//! This crate never reads files itself: it gets bytes from the layer pass.

pub mod cache;
pub mod catalog;
pub mod decode;
pub mod format;
pub mod graph;
pub mod kept;
mod package;
pub mod purl;
mod scan;

use std::collections::BTreeMap;

use serde::Serialize;
use temper_image::Digest;
use temper_layer::{Found, LayerIndex, Merged};

pub use graph::DependencyGraph;
pub use package::{Account, Ecosystem, Fact, OsRelease, OwnedFiles, Package, Secret};
pub use scan::{blob_proven, scan, scan_feeding, Scan};

/// A package in the image.
#[derive(Clone, Debug, Serialize)]
pub struct InventoryPackage {
    /// What the cataloger read.
    #[serde(flatten)]
    pub package: Package,
    /// Its package URL.
    pub purl: String,
    /// Index of the layer that introduced it; `None` when no layer is
    /// known (a package read back from an SBOM).
    pub layer: Option<usize>,
    /// That layer's diffID.
    pub diff_id: Option<Digest>,
    /// The file(s) that evidence it.
    pub paths: Vec<String>,
    /// The cataloger that found it.
    pub found_by: &'static str,
    /// The purl of the OS package that installed its evidence file (a
    /// Python module shipped as `python3-yaml`, say), when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// A file a cataloger wanted but could not read, or a part of it (see
/// [`Fact::Unknown`]).
#[derive(Clone, Debug, Serialize)]
pub struct Unknown {
    /// Layer index.
    pub layer: usize,
    /// Path in the image.
    pub path: String,
    /// The cataloger.
    pub cataloger: &'static str,
    /// Why.
    pub reason: String,
}

/// Everything the image is made of, as far as the catalogers can tell.
#[derive(Clone, Debug, Serialize)]
pub struct Inventory {
    /// The OS release, when the image has one.
    pub os: Option<OsRelease>,
    /// Packages, sorted by ecosystem, name, version and path.
    pub packages: Vec<InventoryPackage>,
    /// Files that could not be read.
    pub unknowns: Vec<Unknown>,
    /// The accounts of the visible `/etc/passwd`, when there is one and
    /// its reader ran.
    pub accounts: Option<Vec<Account>>,
    /// Secrets found in any layer, deleted ones included: a file removed
    /// by a later layer still ships in the layer that added it.
    pub secrets: Vec<LayerSecret>,
}

/// A secret in one layer's copy of a file.
#[derive(Clone, Debug, Serialize)]
pub struct LayerSecret {
    /// Layer index.
    pub layer: usize,
    /// That layer's diffID.
    pub diff_id: Option<Digest>,
    /// Path in the image.
    pub path: String,
    /// Whether this copy is the one the merged image shows.
    pub visible: bool,
    /// What was found.
    #[serde(flatten)]
    pub secret: Secret,
}

type PackageKey = (String, String, Option<String>);

fn key(p: &Package) -> PackageKey {
    (p.name.clone(), p.version.clone(), p.arch.clone())
}

/// Package databases (dpkg `status`, apk `installed`, rpm's `Packages`)
/// are rewritten whole by every layer that installs something, so each
/// layer's copy lists everything below it too. A package's layer is the
/// first of the unbroken run of copies, up to the visible one, that list
/// it: a package removed and installed again starts a new run.
#[derive(Default)]
struct FirstLayers {
    /// Per database path: the layer of the copy last recorded, the first
    /// layers as of the copy before it, and as of that copy.
    by_db: BTreeMap<String, (usize, BTreeMap<PackageKey, usize>, BTreeMap<PackageKey, usize>)>,
}

impl FirstLayers {
    /// Records one layer's copy of the database at `path`. Several
    /// analysers may report the same copy (a cataloger, the secret rules):
    /// their facts add to that layer's record instead of replacing it.
    fn record(&mut self, path: &str, layer: usize, facts: &[Fact]) {
        let entry = self.by_db.entry(path.to_owned()).or_insert_with(|| (layer, BTreeMap::new(), BTreeMap::new()));
        if entry.0 != layer {
            let now = std::mem::take(&mut entry.2);
            *entry = (layer, now, BTreeMap::new());
        }
        let (_, before, now) = entry;
        for k in facts.iter().filter_map(|f| if let Fact::Package(p) = f { Some(key(p)) } else { None }) {
            let first = before.get(&k).copied().unwrap_or(layer);
            now.insert(k, first);
        }
    }

    /// The layer `p`, read from the database at `path`, first appeared in.
    fn first(&self, path: &str, p: &Package) -> Option<usize> {
        self.by_db.get(path)?.2.get(&key(p)).copied()
    }
}

/// With merged /usr (Debian 12, Fedora, Alpine 3.20 in part) `bin`, `sbin`
/// and the `lib` directories are symlinks into `usr/`, so a package
/// database may name `bin/x` where the image's file is `usr/bin/x`, or
/// the other way round: the other spelling of `path`, if it has one.
fn usr_alias(path: &str) -> Option<String> {
    const MERGED: [&str; 6] = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];
    let top = |p: &str| p.split('/').next().is_some_and(|d| MERGED.contains(&d));
    match path.strip_prefix("usr/") {
        Some(rest) if top(rest) => Some(rest.to_owned()),
        Some(_) => None,
        None => top(path).then(|| format!("usr/{path}")),
    }
}

/// Sets `owner` on each language package or binary whose evidence file an
/// OS package (of those in `packages`) lists in `owned`. Only the evidence
/// paths are indexed, so memory stays small however many files the OS
/// packages own.
fn assign_owners(packages: &mut [InventoryPackage], owned: &[OwnedFiles]) {
    let is_os = |e: Ecosystem| matches!(e, Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm);
    let mut wanted: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in packages.iter().enumerate().filter(|(_, p)| !is_os(p.package.ecosystem)) {
        for path in &p.paths {
            wanted.entry(path.clone()).or_default().push(i);
            if let Some(alias) = usr_alias(path) {
                wanted.entry(alias).or_default().push(i);
            }
        }
    }
    if wanted.is_empty() {
        return;
    }
    // (ecosystem, name) → (arch, purl) of each OS package of that name.
    type Candidates<'a> = Vec<(Option<&'a str>, &'a str)>;
    let mut os_packages: BTreeMap<(Ecosystem, &str), Candidates> = BTreeMap::new();
    for p in packages.iter().filter(|p| is_os(p.package.ecosystem)) {
        os_packages.entry((p.package.ecosystem, p.package.name.as_str())).or_default().push((p.package.arch.as_deref(), p.purl.as_str()));
    }
    let mut found: Vec<(usize, String)> = Vec::new();
    for o in owned {
        let Some(candidates) = os_packages.get(&(o.ecosystem, o.package.as_str())) else { continue };
        let Some((_, purl)) = candidates.iter().find(|(arch, _)| o.arch.is_none() || *arch == o.arch.as_deref()) else { continue };
        for f in &o.files {
            for &i in wanted.get(f).into_iter().flatten() {
                found.push((i, (*purl).to_owned()));
            }
        }
    }
    for (i, purl) in found {
        if let Some(p) = packages.get_mut(i) {
            // The first owner in layer order wins when two packages claim a file.
            p.owner.get_or_insert(purl);
        }
    }
}

impl Inventory {
    /// Keeps the facts whose evidence is visible in `merged` (all of them
    /// with `all_layers`).
    pub fn build(found: Vec<Found<Fact>>, layers: &[LayerIndex], merged: &Merged, all_layers: bool) -> Inventory {
        let visible = |f: &Found<Fact>| merged.files.get(&f.path).is_some_and(|m| m.layer == f.layer);
        // Ranked by os_release::precedence's tier, then layer, then preference.
        let mut os: Option<((u8, usize, u8), OsRelease)> = None;
        let mut unknowns = Vec::new();
        let mut first_layers = FirstLayers::default();
        let mut owned = Vec::new();
        let mut packages = Vec::new();
        let mut accounts = None;
        let mut secrets = Vec::new();
        for f in found {
            let shown = visible(&f);
            let keep = all_layers || shown;
            let facts = match f.result {
                Ok(facts) => facts,
                Err(reason) => {
                    if keep {
                        unknowns.push(Unknown { layer: f.layer, path: f.path, cataloger: f.analyzer, reason });
                    }
                    continue;
                }
            };
            let rewritten = catalog::rewritten_database(&f.path);
            if rewritten {
                first_layers.record(&f.path, f.layer, &facts);
            }
            let (found_secrets, facts): (Vec<Fact>, Vec<Fact>) = facts.into_iter().partition(|f| matches!(f, Fact::Secret(_)));
            for fact in found_secrets {
                if let Fact::Secret(secret) = fact {
                    let diff_id = layers.get(f.layer).and_then(|l| l.diff_id.clone());
                    secrets.push(LayerSecret { layer: f.layer, diff_id, path: f.path.clone(), visible: shown, secret });
                }
            }
            if !keep {
                continue;
            }
            for fact in facts {
                match fact {
                    Fact::Os(o) => {
                        let (tier, preference) = catalog::os_release::precedence(&f.path);
                        let rank = (tier, f.layer, preference);
                        if os.as_ref().is_none_or(|(r, _)| rank >= *r) {
                            os = Some((rank, o));
                        }
                    }
                    Fact::Package(p) => {
                        let layer = if rewritten { first_layers.first(&f.path, &p).unwrap_or(f.layer) } else { f.layer };
                        packages.push((p, layer, f.path.clone(), f.analyzer));
                    }
                    Fact::Files(o) => owned.push(o),
                    Fact::Accounts { accounts: a } if shown => accounts = Some(a),
                    Fact::Unknown { reason } => unknowns.push(Unknown { layer: f.layer, path: f.path.clone(), cataloger: f.analyzer, reason }),
                    Fact::Accounts { .. } | Fact::Secret(_) | Fact::Text { .. } => {}
                }
            }
        }
        let os = os.map(|(_, o)| o);
        let packages: Vec<InventoryPackage> = packages
            .into_iter()
            .map(|(package, layer, path, found_by)| InventoryPackage {
                purl: purl::purl(&package, os.as_ref()),
                diff_id: layers.get(layer).and_then(|l| l.diff_id.clone()),
                package,
                layer: Some(layer),
                paths: vec![path],
                found_by,
                owner: None,
            })
            .collect();
        let mut packages = merge_lockfiles(drop_npm_self_copies(packages));
        assign_owners(&mut packages, &owned);
        packages.sort_by(|a, b| {
            (a.package.ecosystem, &a.package.name, &a.package.version, &a.paths, a.layer).cmp(&(b.package.ecosystem, &b.package.name, &b.package.version, &b.paths, b.layer))
        });
        Inventory { os, packages, unknowns, accounts, secrets }
    }
}

/// A sub-directory manifest of an installed npm package that repeats the
/// package's own name and version is the same package, not a vendored copy.
fn drop_npm_self_copies(packages: Vec<InventoryPackage>) -> Vec<InventoryPackage> {
    let installed: BTreeMap<&str, (&str, &str)> = packages
        .iter()
        .filter(|p| p.package.ecosystem == Ecosystem::Npm && p.found_by == "npm")
        .filter_map(|p| p.paths.first().filter(|path| catalog::npm::is_installed_manifest(path)).map(|path| (path, p)))
        .filter_map(|(path, p)| Some((catalog::npm::package_root(path)?, (p.package.name.as_str(), p.package.version.as_str()))))
        .collect();
    let copies: Vec<bool> = packages
        .iter()
        .map(|p| {
            p.package.ecosystem == Ecosystem::Npm
                && p.paths.first().is_some_and(|path| {
                    !catalog::npm::is_installed_manifest(path)
                        && catalog::npm::package_root(path).and_then(|root| installed.get(root)) == Some(&(p.package.name.as_str(), p.package.version.as_str()))
                })
        })
        .collect();
    packages.into_iter().zip(copies).filter(|(_, copy)| !copy).map(|(p, _)| p).collect()
}

/// Lockfile packages that are also installed become evidence of the
/// installed package; an npm lockfile beside a `node_modules` tree says
/// nothing more than the tree does (what it lists but the tree lacks was
/// pruned, or is optional for another platform). What remains is locked
/// but not installed where temper can see it (bundled apps, vendored
/// trees), and is reported from the lockfile.
fn merge_lockfiles(packages: Vec<InventoryPackage>) -> Vec<InventoryPackage> {
    let key = |p: &InventoryPackage| {
        let name = if p.package.ecosystem == Ecosystem::Pypi { purl::pep503(&p.package.name) } else { p.package.name.clone() };
        (p.package.ecosystem, name, p.package.version.clone())
    };
    let (locked, mut kept): (Vec<_>, Vec<_>) = packages.into_iter().partition(|p| catalog::is_lockfile(p.found_by));
    let mut index: BTreeMap<_, usize> = BTreeMap::new();
    for (i, p) in kept.iter().enumerate() {
        index.entry(key(p)).or_insert(i);
    }
    let npm_trees: Vec<String> = kept
        .iter()
        .filter(|p| p.found_by == "npm")
        .filter_map(|p| p.paths.first().and_then(|path| path.rfind("node_modules/").map(|at| path[..at].to_owned())))
        .collect();
    for p in locked {
        if let Some(&i) = index.get(&key(&p)) {
            for path in p.paths {
                if !kept[i].paths.contains(&path) {
                    kept[i].paths.push(path);
                }
            }
            continue;
        }
        let dir = p.paths.first().map_or("", |path| path.rsplit_once('/').map_or("", |(d, _)| d));
        let beside_tree = p.package.ecosystem == Ecosystem::Npm && npm_trees.iter().any(|t| t.strip_suffix('/').unwrap_or(t) == dir);
        if !beside_tree {
            kept.push(p);
        }
    }
    kept
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use temper_layer::{EntryKind, FileEntry, MergedEntry};

    fn pkg(name: &str, ecosystem: Ecosystem) -> Package {
        Package::new(name, "1", ecosystem)
    }

    fn at(layer: usize, path: &str, facts: Vec<Fact>) -> Found<Fact> {
        Found { layer, path: path.into(), analyzer: "test", result: Ok(facts) }
    }

    /// The merged view in which each (path, layer) is the visible copy.
    fn merged(visible: &[(&str, usize)]) -> Merged {
        let mut m = Merged::default();
        for (path, layer) in visible {
            let entry = FileEntry { path: (*path).into(), kind: EntryKind::File, size: 1, mode: 0o644, uid: 0, gid: 0 };
            m.files.insert((*path).into(), MergedEntry { entry, layer: *layer });
        }
        m
    }

    fn names_and_layers(inv: &Inventory) -> Vec<(String, usize)> {
        // An image's packages all have a layer; one without would drop out and fail the comparison.
        inv.packages.iter().filter_map(|p| Some((p.package.name.clone(), p.layer?))).collect()
    }

    #[test]
    fn rewritten_databases_keep_the_first_layer_of_each_run() {
        let db = "lib/apk/db/installed";
        let apk = |n: &str| Fact::Package(pkg(n, Ecosystem::Apk));
        let found = vec![
            at(0, db, vec![apk("musl"), apk("busybox")]),
            at(1, db, vec![apk("musl"), apk("busybox"), apk("curl")]),
            // Layer 2 removes busybox; layer 3 installs it again.
            at(2, db, vec![apk("musl"), apk("curl")]),
            at(3, db, vec![apk("musl"), apk("curl"), apk("busybox")]),
        ];
        let inv = Inventory::build(found, &[], &merged(&[(db, 3)]), false);
        assert_eq!(names_and_layers(&inv), [("busybox".into(), 3), ("curl".into(), 1), ("musl".into(), 0)]);
        // The same for rpm's databases, each path on its own.
        let rpm = |n: &str| Fact::Package(pkg(n, Ecosystem::Rpm));
        let sqlite = "var/lib/rpm/rpmdb.sqlite";
        let found = vec![at(0, sqlite, vec![rpm("bash")]), at(2, sqlite, vec![rpm("bash"), rpm("zlib")])];
        let inv = Inventory::build(found, &[], &merged(&[(sqlite, 2)]), false);
        assert_eq!(names_and_layers(&inv), [("bash".into(), 0), ("zlib".into(), 2)]);
    }

    #[test]
    fn a_removed_package_is_gone() {
        let db = "var/lib/rpm/Packages";
        let rpm = |n: &str| Fact::Package(pkg(n, Ecosystem::Rpm));
        let found = vec![at(0, db, vec![rpm("bash"), rpm("vim-minimal")]), at(1, db, vec![rpm("bash")])];
        let inv = Inventory::build(found, &[], &merged(&[(db, 1)]), false);
        assert_eq!(names_and_layers(&inv), [("bash".into(), 0)]);
    }

    #[test]
    fn release_files_never_override_os_release() {
        let os = |id: &str| Fact::Os(OsRelease { id: id.into(), ..OsRelease::default() });
        let found = vec![at(0, "usr/lib/os-release", vec![os("ubuntu")]), at(1, "etc/debian_version", vec![os("debian")])];
        let inv = Inventory::build(found, &[], &merged(&[("usr/lib/os-release", 0), ("etc/debian_version", 1)]), false);
        assert_eq!(inv.os.unwrap().id, "ubuntu");
        let found = vec![at(0, "etc/debian_version", vec![os("debian")]), at(0, "etc/redhat-release", vec![os("rhel")])];
        let inv = Inventory::build(found, &[], &merged(&[("etc/debian_version", 0), ("etc/redhat-release", 0)]), false);
        assert_eq!(inv.os.unwrap().id, "rhel");
    }

    #[test]
    fn owners_of_evidence_files() {
        let meta = "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA";
        let list = "var/lib/dpkg/info/python3-yaml:amd64.list";
        let deb = Package { arch: Some("amd64".into()), ..pkg("python3-yaml", Ecosystem::Deb) };
        let files = |package: &str, arch: Option<&str>, files: &[&str]| {
            Fact::Files(OwnedFiles { ecosystem: Ecosystem::Deb, package: package.into(), arch: arch.map(Into::into), files: files.iter().map(|f| (*f).into()).collect() })
        };
        let found = vec![
            at(0, "var/lib/dpkg/status", vec![Fact::Package(deb), Fact::Package(pkg("tool", Ecosystem::Deb)), Fact::Package(pkg("nodejs", Ecosystem::Deb))]),
            at(0, list, vec![files("python3-yaml", Some("amd64"), &["usr/lib/python3/dist-packages/PyYAML-6.0.dist-info", meta])]),
            // The dpkg database says bin/, the image has usr/bin/ (merged /usr).
            at(0, "var/lib/dpkg/info/tool.list", vec![files("tool", None, &["bin/tool"])]),
            at(1, meta, vec![Fact::Package(pkg("PyYAML", Ecosystem::Pypi))]),
            at(1, "usr/bin/tool", vec![Fact::Package(pkg("tool", Ecosystem::Golang))]),
            // A later layer deleted nodejs.list: its claim no longer counts.
            at(0, "var/lib/dpkg/info/nodejs.list", vec![files("nodejs", None, &["app/node_modules/x/package.json"])]),
            at(1, "app/node_modules/x/package.json", vec![Fact::Package(pkg("x", Ecosystem::Npm))]),
        ];
        let visible = [
            ("var/lib/dpkg/status", 0),
            (list, 0),
            ("var/lib/dpkg/info/tool.list", 0),
            (meta, 1),
            ("usr/bin/tool", 1),
            ("app/node_modules/x/package.json", 1),
        ];
        let inv = Inventory::build(found, &[], &merged(&visible), false);
        let owner = |n: &str, e: Ecosystem| inv.packages.iter().find(|p| p.package.name == n && p.package.ecosystem == e).unwrap().owner.clone();
        assert_eq!(owner("PyYAML", Ecosystem::Pypi).as_deref(), Some("pkg:deb/debian/python3-yaml@1?arch=amd64"));
        assert_eq!(owner("x", Ecosystem::Npm), None);
        assert_eq!(owner("tool", Ecosystem::Golang).as_deref(), Some("pkg:deb/debian/tool@1"));
        assert_eq!(owner("tool", Ecosystem::Deb), None, "OS packages have no owner");
        let json = serde_json::to_value(&inv.packages).unwrap();
        assert!(json.as_array().unwrap().iter().filter(|p| p.get("owner").is_some()).count() == 2, "owner is left out when None");
    }

    #[test]
    fn merged_usr_aliases() {
        assert_eq!(usr_alias("usr/bin/python3").as_deref(), Some("bin/python3"));
        assert_eq!(usr_alias("lib64/ld.so").as_deref(), Some("usr/lib64/ld.so"));
        assert_eq!(usr_alias("usr/share/doc/x"), None);
        assert_eq!(usr_alias("etc/x"), None);
        assert_eq!(usr_alias("library/x"), None);
    }
}
