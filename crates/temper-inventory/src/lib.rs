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
        let mut packages: Vec<InventoryPackage> = packages
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
        packages.sort_by(|a, b| {
            (a.package.ecosystem, &a.package.name, &a.package.version, &a.paths, a.layer).cmp(&(b.package.ecosystem, &b.package.name, &b.package.version, &b.paths, b.layer))
        });
        Inventory { os, packages, unknowns }
    }
}
