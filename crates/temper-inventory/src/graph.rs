//! The dependency graph of an inventory, the one every output that shows
//! edges reads: CycloneDX `dependencies`, SPDX `DEPENDS_ON` and
//! `scan --dependency-tree`.
//!
//! Nodes are indices into [`Inventory::packages`]; an edge says a package
//! requires another the image holds. How a requirement ([`Package::depends`])
//! is met follows the package manager that recorded it:
//! - dpkg and apk: by name, or by a virtual name another package of the
//!   same ecosystem provides (dpkg `Provides`, apk `p:`); each package that
//!   meets one of the alternatives counts;
//! - Python distributions: by normalised name, one in the same
//!   `site-packages` first (a requirement under an environment marker may
//!   rightly be missing);
//! - installed npm packages: Node's lookup, the nearest
//!   `node_modules/NAME` up from the package's directory (at most 64
//!   levels up; past that a requirement is unmet);
//! - lockfiles (npm, pnpm, yarn) and Go binaries, which pin one graph: the
//!   `name@version` of a package read from the same file.
//!
//! Packages of other catalogers have no edges read ([`DependencyGraph::read`]
//! is false): nothing is known, which is not the same as "depends on nothing".
//!
//! Roots are the files that hold packages directly: a package its file
//! marks [`Package::direct`] (a lockfile's project dependencies, a binary's
//! main module), or one nothing in the image requires, is held by its first
//! evidence file. Every step uses hash maps over names and paths, so
//! building is linear in packages plus requirements, and each
//! [`DependencyGraph::chains`] query one breadth-first walk.
//!
//! [`Package::depends`]: crate::Package::depends
//! [`Package::direct`]: crate::Package::direct

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use crate::{Ecosystem, Inventory, InventoryPackage, purl};

/// Catalogers whose `depends` are `name@version` of an entry of the same file.
const PINNED: &[&str] = &["npm-lock", "pnpm-lock", "yarn-lock", "go-binary"];

/// The packages of an inventory and what each requires.
#[derive(Clone, Debug, Default)]
pub struct DependencyGraph {
    /// Per package, the packages it depends on, in requirement order, each once.
    edges: Vec<Vec<usize>>,
    /// Per package, the packages that depend on it.
    dependents: Vec<Vec<usize>>,
    /// Per package, whether its cataloger records requirements.
    read: Vec<bool>,
    /// Per package, whether a requirement of it is met by nothing in the image.
    incomplete: Vec<bool>,
    /// Files holding packages directly, sorted by path.
    roots: Vec<Root>,
    /// Per package, the indices into `roots` of the files holding it.
    held_by: Vec<Vec<usize>>,
}

/// A file that holds packages directly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    /// Its path in the image, without a leading slash.
    pub path: String,
    /// The packages it holds, in inventory order.
    pub packages: Vec<usize>,
}

/// Why a package is there: the path from it up to a root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// Index into [`DependencyGraph::roots`].
    pub root: usize,
    /// The package asked about first, then each package that requires the
    /// one before it, up to the one the root holds.
    pub packages: Vec<usize>,
}

/// How a package's requirements are met.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Resolution {
    ByName,
    Python,
    Node,
    Pinned,
    Unread,
}

fn resolution(p: &InventoryPackage) -> Resolution {
    match p.package.ecosystem {
        Ecosystem::Deb | Ecosystem::Apk => Resolution::ByName,
        // A Go binary records no edges of its dependencies, only the main module's.
        _ if p.found_by == "go-binary" && p.package.depends.is_empty() => Resolution::Unread,
        _ if PINNED.contains(&p.found_by) => Resolution::Pinned,
        Ecosystem::Npm if p.found_by == "npm" => Resolution::Node,
        Ecosystem::Pypi if p.found_by == "python" => Resolution::Python,
        _ => Resolution::Unread,
    }
}

impl DependencyGraph {
    /// The graph of `inventory`.
    pub fn of(inventory: &Inventory) -> DependencyGraph {
        let packages = &inventory.packages;
        let n = packages.len();
        let modes: Vec<Resolution> = packages.iter().map(resolution).collect();
        let mut by_name: HashMap<(Ecosystem, &str), Vec<usize>> = HashMap::new();
        let mut python_in: HashMap<(&str, String), usize> = HashMap::new();
        let mut python: HashMap<String, usize> = HashMap::new();
        let mut pinned: HashMap<(&str, &str, &str), usize> = HashMap::new();
        for (i, p) in packages.iter().enumerate() {
            let pk = &p.package;
            match pk.ecosystem {
                Ecosystem::Deb | Ecosystem::Apk => {
                    for name in std::iter::once(&pk.name).chain(&pk.provides) {
                        by_name.entry((pk.ecosystem, name.as_str())).or_default().push(i);
                    }
                }
                Ecosystem::Pypi if p.found_by == "python" => {
                    let name = purl::pep503(&pk.name);
                    if let Some(path) = p.paths.first() {
                        python_in.entry((site_dir(path), name.clone())).or_insert(i);
                    }
                    python.entry(name).or_insert(i);
                }
                _ => {}
            }
            // A lockfile entry merged into an installed package is found under each of its files.
            if matches!(pk.ecosystem, Ecosystem::Npm | Ecosystem::Golang) {
                for path in &p.paths {
                    pinned.entry((path.as_str(), pk.name.as_str(), pk.version.as_str())).or_insert(i);
                }
            }
        }

        let node = NodeModules::new(packages.iter().enumerate().filter_map(|(i, p)| Some((npm_dir(p)?, i))));
        let mut edges = vec![Vec::new(); n];
        let mut incomplete = vec![false; n];
        for (i, p) in packages.iter().enumerate() {
            let mut seen = HashSet::new();
            let scope = if modes[i] == Resolution::Node { npm_dir(p).map(|dir| node.scope(dir)).unwrap_or_default() } else { Vec::new() };
            for req in &p.package.depends {
                let (req, conditional) = req.strip_prefix('?').map_or((req.as_str(), false), |r| (r, true));
                let met: Vec<usize> = match modes[i] {
                    Resolution::ByName => req.split(" | ").flat_map(|name| by_name.get(&(p.package.ecosystem, name.trim())).into_iter().flatten().copied()).collect(),
                    Resolution::Python => {
                        let name = purl::pep503(req);
                        let near = p.paths.first().and_then(|path| python_in.get(&(site_dir(path), name.clone())));
                        near.or_else(|| python.get(&name)).copied().into_iter().collect()
                    }
                    Resolution::Node => node.resolve(&scope, req).copied().into_iter().collect(),
                    Resolution::Pinned => match (req.rsplit_once('@').filter(|(name, _)| !name.is_empty()), p.paths.first()) {
                        (Some((name, version)), Some(path)) => pinned.get(&(path.as_str(), name, version)).copied().into_iter().collect(),
                        _ => Vec::new(),
                    },
                    Resolution::Unread => break,
                };
                if met.is_empty() && !conditional {
                    incomplete[i] = true;
                }
                for j in met {
                    if j != i && seen.insert(j) {
                        edges[i].push(j);
                    }
                }
            }
        }
        let mut dependents = vec![Vec::new(); n];
        for (i, list) in edges.iter().enumerate() {
            for &j in list {
                dependents[j].push(i);
            }
        }

        let mut by_path: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, p) in packages.iter().enumerate() {
            if p.package.direct || dependents[i].is_empty() {
                by_path.entry(p.paths.first().map_or("", String::as_str)).or_default().push(i);
            }
        }
        let mut held_by = vec![Vec::new(); n];
        let roots = by_path
            .into_iter()
            .enumerate()
            .map(|(r, (path, held))| {
                for &i in &held {
                    held_by[i].push(r);
                }
                Root { path: path.to_owned(), packages: held }
            })
            .collect();
        let read = modes.iter().map(|m| *m != Resolution::Unread).collect();
        DependencyGraph { edges, dependents, read, incomplete, roots, held_by }
    }

    /// What package `i` depends on; empty for an index out of range.
    pub fn depends_on(&self, i: usize) -> &[usize] {
        self.edges.get(i).map_or(&[], Vec::as_slice)
    }

    /// Whether the requirements of package `i` were read: false means its
    /// edges are unknown, not absent.
    pub fn read(&self, i: usize) -> bool {
        self.read.get(i).copied().unwrap_or(false)
    }

    /// Whether package `i` has a requirement nothing in the image meets
    /// (a dpkg package not installed, an npm dependency hoisted out of the
    /// image), so its list of dependencies is incomplete.
    pub fn incomplete(&self, i: usize) -> bool {
        self.incomplete.get(i).copied().unwrap_or(false)
    }

    /// The files that hold packages directly, sorted by path.
    pub fn roots(&self) -> &[Root] {
        &self.roots
    }

    /// The number of edges.
    pub fn edge_count(&self) -> usize {
        self.edges.iter().map(Vec::len).sum()
    }

    /// Why package `i` is there: for each root that pulls it in, one
    /// shortest chain, nearest roots first, at most `max`; and how many
    /// roots pull it in in all. A package in a cycle nothing outside
    /// requires has no chain.
    pub fn chains(&self, i: usize, max: usize) -> (Vec<Chain>, usize) {
        let n = self.edges.len();
        if i >= n {
            return (Vec::new(), 0);
        }
        // From each package reached, the one before it on the way from `i`.
        let mut came_from: Vec<Option<usize>> = vec![None; n];
        let mut visited = vec![false; n];
        let mut roots_seen = vec![false; self.roots.len()];
        let (mut chains, mut total) = (Vec::new(), 0);
        let mut queue = VecDeque::from([i]);
        visited[i] = true;
        while let Some(at) = queue.pop_front() {
            for &r in &self.held_by[at] {
                if std::mem::replace(&mut roots_seen[r], true) {
                    continue;
                }
                total += 1;
                if chains.len() < max {
                    let mut packages = vec![at];
                    let mut step = at;
                    while let Some(prev) = came_from[step] {
                        packages.push(prev);
                        step = prev;
                    }
                    packages.reverse();
                    chains.push(Chain { root: r, packages });
                }
            }
            for &d in &self.dependents[at] {
                if !std::mem::replace(&mut visited[d], true) {
                    came_from[d] = Some(at);
                    queue.push_back(d);
                }
            }
        }
        (chains, total)
    }
}

/// Finds packages by purl and evidence file in constant time: how a
/// finding, which names both, is traced back to the inventory.
pub struct PackageLookup<'a> {
    by: HashMap<(&'a str, &'a str), Vec<usize>>,
}

impl<'a> PackageLookup<'a> {
    /// Indexes `inventory`.
    pub fn new(inventory: &'a Inventory) -> PackageLookup<'a> {
        let mut by: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, p) in inventory.packages.iter().enumerate() {
            for path in &p.paths {
                by.entry((p.purl.as_str(), path.as_str())).or_default().push(i);
            }
        }
        PackageLookup { by }
    }

    /// The packages with purl `purl` evidenced by any of `paths`, in
    /// inventory order.
    pub fn find(&self, purl: &str, paths: &[String]) -> Vec<usize> {
        let mut found: Vec<usize> = paths.iter().flat_map(|path| self.by.get(&(purl, path.as_str())).into_iter().flatten().copied()).collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// The `site-packages` directory of a distribution's metadata file.
fn site_dir(path: &str) -> &str {
    fn parent(p: &str) -> &str {
        p.rsplit_once('/').map_or("", |(d, _)| d)
    }
    let dir = parent(path);
    if dir.ends_with(".dist-info") || dir.ends_with(".egg-info") { parent(dir) } else { dir }
}

/// The directory of an npm package the npm cataloger read from its own
/// `package.json` (not a lockfile entry).
fn npm_dir(p: &InventoryPackage) -> Option<&str> {
    if p.found_by != "npm" {
        return None;
    }
    let manifest = p.paths.first()?;
    if manifest == "package.json" { Some("") } else { manifest.strip_suffix("/package.json") }
}

/// Ancestor directories examined per lookup: real trees nest a few
/// levels; a hostile path of thousands would cost its depth times its
/// length for every requirement.
const NODE_LEVELS: usize = 64;

/// Node's module lookup over installed package directories
/// (`A/node_modules/NAME`): a requirement of `NAME` from directory `D`
/// loads it from the nearest of `D` and its ancestors, `node_modules`
/// directories skipped, that holds it. Directories are numbered once, so a
/// lookup costs the requirement's name per level, not the path.
pub(crate) struct NodeModules<'a, T> {
    /// Each directory holding a `node_modules`, numbered.
    dirs: HashMap<&'a str, usize>,
    /// Per directory, package name → what is installed there.
    installed: HashMap<usize, HashMap<&'a str, T>>,
}

impl<'a, T> NodeModules<'a, T> {
    /// From `(package directory, value)` pairs; the first of a directory wins.
    pub(crate) fn new(packages: impl IntoIterator<Item = (&'a str, T)>) -> NodeModules<'a, T> {
        let mut dirs = HashMap::new();
        let mut installed: HashMap<usize, HashMap<&str, T>> = HashMap::new();
        for (dir, value) in packages {
            let (parent, name) = match dir.rfind("/node_modules/") {
                Some(at) => (&dir[..at], &dir[at + "/node_modules/".len()..]),
                None => match dir.strip_prefix("node_modules/") {
                    Some(name) => ("", name),
                    None => continue,
                },
            };
            let next = dirs.len();
            let id = *dirs.entry(parent).or_insert(next);
            installed.entry(id).or_default().entry(name).or_insert(value);
        }
        NodeModules { dirs, installed }
    }

    /// Where a package in `from` looks, nearest first: the numbers of
    /// `from` and its ancestors that hold a `node_modules`.
    pub(crate) fn scope(&self, from: &str) -> Vec<usize> {
        let mut found = Vec::new();
        let mut dir = Some(from);
        for _ in 0..NODE_LEVELS {
            let Some(d) = dir else { break };
            if d != "node_modules" && !d.ends_with("/node_modules") {
                found.extend(self.dirs.get(d).copied());
            }
            dir = (!d.is_empty()).then(|| d.rsplit_once('/').map_or("", |(parent, _)| parent));
        }
        found
    }

    /// What `name` loads from `scope`.
    pub(crate) fn resolve(&self, scope: &[usize], name: &str) -> Option<&T> {
        scope.iter().find_map(|id| self.installed.get(id)?.get(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Package;

    fn at(name: &str, version: &str, ecosystem: Ecosystem, found_by: &'static str, path: &str, depends: &[&str]) -> InventoryPackage {
        let package = Package { depends: depends.iter().map(|d| (*d).to_owned()).collect(), ..Package::new(name, version, ecosystem) };
        InventoryPackage { purl: format!("pkg:{}/{name}@{version}", ecosystem.purl_type()), package, layer: Some(0), diff_id: None, paths: vec![path.to_owned()], found_by, owner: None }
    }

    fn inventory(packages: Vec<InventoryPackage>) -> Inventory {
        Inventory { os: None, packages, unknowns: Vec::new(), accounts: None, secrets: Vec::new() }
    }

    fn names(inv: &Inventory, list: &[usize]) -> Vec<String> {
        list.iter().map(|&i| inv.packages[i].package.name.clone()).collect()
    }

    #[test]
    fn chains_are_shortest_per_root_and_counted() {
        let lock = "app/package-lock.json";
        let npm = |name: &str, depends: &[&str]| at(name, "1.0.0", Ecosystem::Npm, "npm-lock", lock, depends);
        let mut express = npm("express", &["body-parser@1.0.0", "qs@1.0.0"]);
        express.package.direct = true;
        let mut direct_qs = npm("qs", &[]);
        direct_qs.package.direct = true;
        let inv = inventory(vec![
            express,
            npm("body-parser", &["qs@1.0.0"]),
            direct_qs,
            at("tool", "1.0.0", Ecosystem::Npm, "npm-lock", "other/package-lock.json", &[]),
            at("unread", "1", Ecosystem::Gem, "gem", "x.gemspec", &[]),
        ]);
        let g = DependencyGraph::of(&inv);
        assert_eq!(names(&inv, g.depends_on(0)), ["body-parser", "qs"]);
        assert!(g.read(0) && !g.read(4), "a gem's edges are unknown, not absent");
        let roots: Vec<&str> = g.roots().iter().map(|r| r.path.as_str()).collect();
        assert_eq!(roots, ["app/package-lock.json", "other/package-lock.json", "x.gemspec"]);
        assert_eq!(names(&inv, &g.roots()[0].packages), ["express", "qs"], "body-parser is required, so not a root of its own");
        let (chains, total) = g.chains(2, 3);
        assert_eq!((chains.len(), total), (1, 1), "one root, one shortest chain");
        assert_eq!(names(&inv, &chains[0].packages), ["qs"], "qs is held directly, not via express");
        let (chains, _) = g.chains(1, 3);
        assert_eq!(names(&inv, &chains[0].packages), ["body-parser", "express"]);
        assert_eq!(g.chains(99, 3), (Vec::new(), 0));
        assert_eq!(g.edge_count(), 3);
    }

    #[test]
    fn chains_stop_at_max_but_count_every_root() {
        let mut packages = vec![at("lib_x", "1", Ecosystem::Pypi, "python", "s/site-packages/lib_x-1.dist-info/METADATA", &[])];
        for n in 0..4 {
            // Requirements name distributions as their authors spell them.
            packages.push(at(&format!("user{n}"), "1", Ecosystem::Pypi, "python", &format!("u{n}/site-packages/user{n}-1.dist-info/METADATA"), &["Lib.X"]));
        }
        let inv = inventory(packages);
        let g = DependencyGraph::of(&inv);
        let (chains, total) = g.chains(0, 3);
        assert_eq!((chains.len(), total), (3, 4));
        assert_eq!(names(&inv, &chains[0].packages), ["lib_x", "user0"]);
        assert_eq!(g.roots()[chains[0].root].path, "u0/site-packages/user0-1.dist-info/METADATA");
    }

    #[test]
    fn python_requires_dist_prefers_its_own_site_packages() {
        let site = |dir: &str, name: &str, version: &str, depends: &[&str]| at(name, version, Ecosystem::Pypi, "python", &format!("{dir}/site-packages/{name}-{version}.dist-info/METADATA"), depends);
        let inv = inventory(vec![
            site("usr/lib/python3", "six", "1.0", &[]),
            site("opt/venv", "cryptography", "3.3.2", &["six", "?enum34"]),
            site("opt/venv", "six", "1.16.0", &[]),
            site("opt/venv", "requests", "2.19.1", &["idna"]),
        ]);
        let g = DependencyGraph::of(&inv);
        assert_eq!(g.depends_on(1), [2], "the venv's own six");
        assert!(!g.incomplete(1), "a requirement under a marker may rightly be missing");
        assert!(g.incomplete(3), "idna is not installed");
    }

    #[test]
    fn package_lookup_by_purl_and_path() {
        let inv = inventory(vec![
            at("ms", "2.0.0", Ecosystem::Npm, "npm", "a/node_modules/ms/package.json", &[]),
            at("ms", "2.0.0", Ecosystem::Npm, "npm", "b/node_modules/ms/package.json", &[]),
            at("ms", "2.1.3", Ecosystem::Npm, "npm", "c/node_modules/ms/package.json", &[]),
        ]);
        let lookup = PackageLookup::new(&inv);
        let paths = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(lookup.find("pkg:npm/ms@2.0.0", &paths(&["b/node_modules/ms/package.json", "a/node_modules/ms/package.json"])), [0, 1]);
        assert_eq!(lookup.find("pkg:npm/ms@2.0.0", &paths(&["c/node_modules/ms/package.json"])), Vec::<usize>::new());
    }
}
