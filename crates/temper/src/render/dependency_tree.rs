//! `scan --dependency-tree`: why each vulnerable package is in the image.
//!
//! After the findings table, one block per vulnerable package (each copy
//! on its own, in inventory order): the package, its worst severity and
//! its vulnerabilities, then for each root that pulls it in the shortest
//! chain up to it, read right to left as "required by", e.g.
//! `qs@6.5.1 ← body-parser@1.18.2 ← express@4.16.0 ← /app/package-lock.json`.
//! At most [`PATHS`] chains are shown, the nearest roots first, then how
//! many roots more pull it in. The chains come from
//! [`temper_inventory::DependencyGraph`]; a package whose cataloger records
//! no edges is held by its own evidence file, so its chain is one step.

use std::collections::BTreeMap;

use temper_finding::{Finding, Severity};
use temper_inventory::graph::{DependencyGraph, PackageLookup};
use temper_inventory::Inventory;

use super::{escape, fit_line};
use crate::term::{paint, severity_style};

/// Chains shown per package: enough to see the main routes, short enough to scan.
const PATHS: usize = 3;
/// Vulnerability ids named per package before "+N more".
const IDS: usize = 4;

/// Writes the tree of every package `findings` name in `inventory` to `out`.
pub fn write(out: &mut impl std::fmt::Write, inventory: &Inventory, findings: &[Finding]) -> std::fmt::Result {
    let lookup = PackageLookup::new(inventory);
    // Per package copy, its findings; those from an SBOM name no file to trace.
    let mut by_package: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    let mut untraced: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        let found = lookup.find(&f.purl, &f.paths);
        if found.is_empty() {
            untraced.entry((f.package.as_str(), f.version.as_str())).or_default().push(f);
        }
        for i in found {
            by_package.entry(i).or_default().push(f);
        }
    }
    if by_package.is_empty() && untraced.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nDependency origin of vulnerable packages (each line: the package ← what requires it ← … ← the file that holds it)")?;
    let graph = DependencyGraph::of(inventory);
    let label = |i: usize| inventory.packages.get(i).map_or_else(String::new, |p| format!("{}@{}", escape(&p.package.name), escape(&p.package.version)));
    for (i, found) in &by_package {
        writeln!(out, "\n{}", heading(&label(*i), found))?;
        let (chains, total) = graph.chains(*i, PATHS);
        for chain in &chains {
            let mut line: Vec<String> = chain.packages.iter().map(|&p| label(p)).collect();
            let root = graph.roots().get(chain.root).map_or("", |r| r.path.as_str());
            line.push(format!("/{}", escape(root)));
            writeln!(out, "  {}", fit_line(&line.join(" ← ")))?;
        }
        if total > chains.len() {
            writeln!(out, "  +{} more", total - chains.len())?;
        }
        if total == 0 {
            writeln!(out, "  (required only within a dependency cycle: no file holds it directly)")?;
        }
    }
    for ((name, version), found) in &untraced {
        writeln!(out, "\n{}", heading(&format!("{}@{}", escape(name), escape(version)), found))?;
        writeln!(out, "  (no evidence file to trace: the package was read from an SBOM)")?;
    }
    Ok(())
}

/// `name@version  SEVERITY  id, id, +N more`, the severity coloured.
fn heading(label: &str, found: &[&Finding]) -> String {
    let worst = found.iter().map(|f| f.severity).max().unwrap_or(Severity::Unknown);
    let mut ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut list: Vec<String> = ids.iter().take(IDS).map(|id| escape(id).into_owned()).collect();
    if ids.len() > IDS {
        list.push(format!("+{} more", ids.len() - IDS));
    }
    let line = format!("{label}  {}  {}", worst.as_str(), list.join(", "));
    let fitted = fit_line(&line).into_owned();
    match fitted.split_once(worst.as_str()) {
        Some((before, after)) if before.len() == label.len() + 2 => format!("{before}{}{after}", paint(worst.as_str(), severity_style(worst.as_str()))),
        _ => fitted,
    }
}
