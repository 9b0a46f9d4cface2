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
//! file into an [`Unknown`] instead of dropping it silently. [`format`]
//! writes an inventory as CycloneDX 1.6 or SPDX 2.3 JSON.
//!
//! This crate never reads files itself: it gets bytes from the layer pass.

pub mod cache;
pub mod catalog;
pub mod decode;
pub mod format;
mod package;
pub mod purl;
mod scan;

use std::collections::BTreeMap;

use serde::Serialize;
use temper_image::Digest;
use temper_layer::{Found, LayerIndex, Merged};

pub use package::{Ecosystem, Fact, OsRelease, Package};
pub use scan::{scan, Scan};

/// A package in the image.
#[derive(Clone, Debug, Serialize)]
pub struct InventoryPackage {
    /// What the cataloger read.
    #[serde(flatten)]
    pub package: Package,
    /// Its package URL.
    pub purl: String,
    /// Index of the layer that introduced it.
    pub layer: usize,
    /// That layer's diffID.
    pub diff_id: Option<Digest>,
    /// The file(s) that evidence it.
    pub paths: Vec<String>,
    /// The cataloger that found it.
    pub found_by: &'static str,
}

/// A file a cataloger wanted but could not read.
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
}

impl Inventory {
    /// Keeps the facts whose evidence is visible in `merged` (all of them
    /// with `all_layers`).
    pub fn build(found: Vec<Found<Fact>>, layers: &[LayerIndex], merged: &Merged, all_layers: bool) -> Inventory {
        let visible = |f: &Found<Fact>| merged.files.get(&f.path).is_some_and(|m| m.layer == f.layer);
        let mut os: Option<(usize, OsRelease)> = None;
        let mut unknowns = Vec::new();
        // dpkg's status file is rewritten by every layer that installs
        // something; a package's layer is the first of the unbroken run of
        // status files, up to the visible one, that list it.
        let mut dpkg_first: BTreeMap<(String, String, Option<String>), usize> = BTreeMap::new();
        let mut packages = Vec::new();
        for f in found {
            let keep = all_layers || visible(&f);
            let facts = match f.result {
                Ok(facts) => facts,
                Err(reason) => {
                    if keep {
                        unknowns.push(Unknown { layer: f.layer, path: f.path, cataloger: f.analyzer, reason });
                    }
                    continue;
                }
            };
            let is_dpkg_status = f.path == "var/lib/dpkg/status";
            if is_dpkg_status {
                let mut next = BTreeMap::new();
                for fact in &facts {
                    if let Fact::Package(p) = fact {
                        let key = (p.name.clone(), p.version.clone(), p.arch.clone());
                        let first = dpkg_first.get(&key).copied().unwrap_or(f.layer);
                        next.insert(key, first);
                    }
                }
                dpkg_first = next;
            }
            if !keep {
                continue;
            }
            for fact in facts {
                match fact {
                    Fact::Os(o) => {
                        // etc/os-release wins over usr/lib/os-release; a higher layer over a lower one.
                        let rank = f.layer * 2 + usize::from(f.path == "etc/os-release");
                        if os.as_ref().is_none_or(|(r, _)| rank >= *r) {
                            os = Some((rank, o));
                        }
                    }
                    Fact::Package(p) => {
                        let layer = if is_dpkg_status {
                            dpkg_first.get(&(p.name.clone(), p.version.clone(), p.arch.clone())).copied().unwrap_or(f.layer)
                        } else {
                            f.layer
                        };
                        packages.push((p, layer, f.path.clone(), f.analyzer));
                    }
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
                layer,
                paths: vec![path],
                found_by,
            })
            .collect();
        let packages = merge_lockfiles(drop_npm_self_copies(packages));
        let mut packages = packages;
        packages.sort_by(|a, b| {
            (a.package.ecosystem, &a.package.name, &a.package.version, &a.paths, a.layer).cmp(&(b.package.ecosystem, &b.package.name, &b.package.version, &b.paths, b.layer))
        });
        Inventory { os, packages, unknowns }
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
