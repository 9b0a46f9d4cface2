//! The resolver: from the packages a base image has installed, the
//! packages the sources offer and a request (install these, upgrade
//! those), the [`Plan`] of what to unpack.
//!
//! # How it chooses
//! - Nothing is ever removed: a request that would need a removal is an
//!   error. So `Essential` packages, which apt refuses to remove, stay by
//!   construction; a new package that conflicts with one is refused with
//!   the word "essential" in the message.
//! - A dependency already satisfied by what is installed or planned is
//!   left alone (installed packages that satisfy are kept). Otherwise the
//!   first alternative, in the order the field gives them, that the
//!   sources can satisfy is taken, at the newest version that fits; a
//!   virtual package is satisfied by its providers, a versioned relation
//!   only by a versioned `Provides`.
//! - Upgrades take the newest version in the sources and pull in what the
//!   new version needs; an installed package whose dependency an upgrade
//!   breaks (`curl` pinned to `libcurl4 (= old)`) is upgraded too, or the
//!   request fails.
//! - Multi-Arch: `foreign` packages satisfy dependencies from any
//!   architecture, `name:any` needs `Multi-Arch: allowed`, `all` packages
//!   count as the native architecture, `same` packages are co-installable
//!   per architecture.
//! - `Conflicts` and `Breaks` between two packages of which at least one
//!   is planned are errors naming both; what the base already had is not
//!   second-guessed.
//! - Output is sorted by name and architecture, whatever the input order.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::relation::{self, Alternatives, ArchQualifier, Relation, RelationError, Version};

/// A package the sources offer (plain data: the caller maps its index
/// entries onto it and back by name, version and architecture).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidate {
    /// `Package`
    pub name: String,
    /// `Version`
    pub version: String,
    /// `Architecture` (`all` counts as the native one).
    pub architecture: String,
    /// `Multi-Arch` (`same`, `foreign`, `allowed`, `no`).
    pub multi_arch: Option<String>,
    /// `Essential: yes`
    pub essential: bool,
    /// `Depends`, as written.
    pub depends: Option<String>,
    /// `Pre-Depends`, as written.
    pub pre_depends: Option<String>,
    /// `Provides`, as written.
    pub provides: Option<String>,
    /// `Conflicts`, as written.
    pub conflicts: Option<String>,
    /// `Breaks`, as written.
    pub breaks: Option<String>,
}

/// A package of the base image's dpkg database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installed {
    /// `Package`
    pub name: String,
    /// `Version`
    pub version: String,
    /// `Architecture`
    pub architecture: String,
    /// `Multi-Arch`
    pub multi_arch: Option<String>,
    /// `Essential: yes`
    pub essential: bool,
    /// `Status` (`install ok installed`); packages not configured
    /// (removed with config files left, half-installed) satisfy nothing.
    /// Distroless `status.d` entries have none and count as installed.
    pub status: Option<String>,
    /// `Depends`, as written.
    pub depends: Option<String>,
    /// `Pre-Depends`, as written.
    pub pre_depends: Option<String>,
    /// `Provides`, as written.
    pub provides: Option<String>,
    /// `Conflicts`, as written.
    pub conflicts: Option<String>,
    /// `Breaks`, as written.
    pub breaks: Option<String>,
}

/// The packages of a dpkg `status` file (or the paragraphs of distroless
/// `status.d/*` files joined by blank lines), in file order; paragraphs
/// without a `Package` or `Version` are skipped.
pub fn parse_status(text: &str) -> Vec<Installed> {
    let field = |para: &str, name: &str| crate::install::paragraph_field(para, name);
    text.split("\n\n")
        .filter_map(|para| {
            Some(Installed {
                name: field(para, "Package")?,
                version: field(para, "Version")?,
                architecture: field(para, "Architecture").unwrap_or_default(),
                multi_arch: field(para, "Multi-Arch"),
                essential: field(para, "Essential").as_deref() == Some("yes"),
                status: field(para, "Status"),
                depends: field(para, "Depends"),
                pre_depends: field(para, "Pre-Depends"),
                provides: field(para, "Provides"),
                conflicts: field(para, "Conflicts"),
                breaks: field(para, "Breaks"),
            })
        })
        .collect()
}

/// Which installed packages to upgrade.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Upgrade {
    /// None.
    #[default]
    None,
    /// Every installed package that has a newer version in the sources.
    All,
    /// These, by name.
    Only(Vec<String>),
}

/// What to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// `name` or `name=version`.
    pub install: Vec<String>,
    /// Upgrades.
    pub upgrade: Upgrade,
}

/// The outcome, each list sorted by name then architecture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// New packages.
    pub install: Vec<Candidate>,
    /// Installed packages replaced by another version (usually newer; an
    /// explicit `name=version` may go down).
    pub upgrade: Vec<(Installed, Candidate)>,
    /// Requested packages left as installed, because they already satisfy
    /// the request or the sources have nothing newer.
    pub kept: Vec<Installed>,
}

/// Why no plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// A package's field does not parse.
    #[error("package {package}: {source}")]
    Field {
        /// `name version`.
        package: String,
        /// The parse error.
        source: RelationError,
    },
    /// A version that is not a Debian version.
    #[error("package {package}: {reason}")]
    Version {
        /// The package's name.
        package: String,
        /// Why.
        reason: String,
    },
    /// A requested name the sources do not have.
    #[error("{0}")]
    NotFound(String),
    /// A dependency nothing satisfies; the message gives the chain.
    #[error("{0}")]
    Unsatisfiable(String),
    /// Two packages that cannot be installed together.
    #[error("{package} {relation} {other}: {field} {text}; they cannot be installed together")]
    Conflict {
        /// `name version` of the package with the field.
        package: String,
        /// `conflicts with` or `breaks`.
        relation: &'static str,
        /// `name version` of the other one.
        other: String,
        /// The field, `Conflicts` or `Breaks`.
        field: &'static str,
        /// The relation that matched.
        text: String,
    },
}

type Key = (String, String);

/// Links of a dependency chain kept from its start in a planned package's
/// `why`; the last link is kept too.
const WHY_LINKS: usize = 8;

/// The parts of a package the resolver reasons about.
struct Pkg {
    name: String,
    version: Version,
    /// Effective architecture: `all` becomes the native one.
    arch: String,
    multi_arch: String,
    essential: bool,
    provides: Vec<Relation>,
    depends: Option<String>,
    pre_depends: Option<String>,
    conflicts: Option<String>,
    breaks: Option<String>,
}

impl Pkg {
    fn key(&self) -> Key {
        (self.name.clone(), self.arch.clone())
    }

    fn label(&self) -> String {
        format!("{} {}", self.name, self.version)
    }

    fn field(&self, field: &str, text: &Option<String>) -> Result<Vec<Alternatives>, ResolveError> {
        text.as_deref().map_or(Ok(Vec::new()), |t| relation::parse(field, t)).map_err(|source| ResolveError::Field { package: self.label(), source })
    }

    fn flat(&self, field: &str, text: &Option<String>) -> Result<Vec<Relation>, ResolveError> {
        text.as_deref().map_or(Ok(Vec::new()), |t| relation::parse_flat(field, t)).map_err(|source| ResolveError::Field { package: self.label(), source })
    }

    /// Whether this package satisfies `r`, asked by a package of architecture `from`.
    fn satisfies(&self, r: &Relation, from: &str, native: &str) -> bool {
        let arch_ok = match &r.arch {
            None => self.arch == from || self.multi_arch == "foreign",
            Some(ArchQualifier::Any) => self.multi_arch == "allowed" || self.multi_arch == "foreign" && self.arch == from,
            Some(ArchQualifier::Native) => self.arch == native,
            Some(ArchQualifier::Arch(a)) => &self.arch == a,
        };
        if !arch_ok {
            return false;
        }
        if self.name == r.name && r.version_ok(&self.version) {
            return true;
        }
        self.provides.iter().any(|p| {
            p.name == r.name
                && match (&r.version, &p.version) {
                    (None, _) => true,
                    (Some(_), Some((relation::Op::Eq, v))) => r.version_ok(v),
                    (Some(_), _) => false,
                }
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn pkg(
    name: &str, version: &str, architecture: &str, multi_arch: &Option<String>, essential: bool, provides: &Option<String>, native: &str,
    rest: [&Option<String>; 4],
) -> Result<Pkg, ResolveError> {
    let version = version.parse::<Version>().map_err(|reason| ResolveError::Version { package: name.to_owned(), reason })?;
    let arch = if architecture == "all" || architecture.is_empty() { native.to_owned() } else { architecture.to_owned() };
    let [depends, pre_depends, conflicts, breaks] = rest;
    let mut p = Pkg {
        name: name.to_owned(),
        version,
        arch,
        multi_arch: multi_arch.clone().unwrap_or_default(),
        essential,
        provides: Vec::new(),
        depends: depends.clone(),
        pre_depends: pre_depends.clone(),
        conflicts: conflicts.clone(),
        breaks: breaks.clone(),
    };
    p.provides = p.flat("Provides", provides)?;
    Ok(p)
}

/// dpkg states in which a package satisfies dependencies.
fn configured(status: &Option<String>) -> bool {
    status.as_deref().is_none_or(|s| matches!(s.split_whitespace().nth(2), Some("installed" | "triggers-pending" | "triggers-awaited")))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sel {
    Kept(usize),
    Planned(usize),
}

struct Resolver<'a> {
    native: &'a str,
    installed: &'a [Installed],
    candidates: &'a [Candidate],
    inst: Vec<Option<Pkg>>,
    cand: Vec<Pkg>,
    /// Index in `candidates` of each `cand`.
    origin: Vec<usize>,
    /// Candidates left out, by name: why.
    broken: BTreeMap<String, String>,
    by_name: BTreeMap<String, Vec<usize>>,
    providers: BTreeMap<String, Vec<usize>>,
    world: BTreeMap<Key, Sel>,
    /// The keys of `world` by every name their packages had or provided: a
    /// superset (each use checks the package selected now), so a relation
    /// looks at the packages it can name instead of the whole world, which
    /// a status or an index of many thousands made quadratic.
    named: BTreeMap<String, BTreeSet<Key>>,
    /// The installed packages (configured) by name and provided names.
    inst_named: BTreeMap<String, Vec<usize>>,
    /// Kept packages by each name their dependencies name, filled by the
    /// first repair pass; `touched`: the names (and provided names) of the
    /// packages the plan put in or replaced since the last pass began. Later passes
    /// look only at the packages depending on a touched name: a pass over
    /// every kept package for each one repaired made a chain quadratic.
    depending: Option<BTreeMap<String, BTreeSet<(Key, usize)>>>,
    touched: BTreeSet<String>,
    /// Where each planned package came from: the chain text that explains it.
    why: BTreeMap<Key, String>,
    queue: VecDeque<Key>,
    kept: BTreeSet<usize>,
}

/// Resolves `request` against the base's `installed` packages and the
/// sources' `candidates`, for the image architecture `arch` (`amd64`).
pub fn resolve(arch: &str, installed: &[Installed], candidates: &[Candidate], request: &Request) -> Result<Plan, ResolveError> {
    let mut inst = Vec::with_capacity(installed.len());
    for i in installed {
        inst.push(if configured(&i.status) {
            Some(pkg(&i.name, &i.version, &i.architecture, &i.multi_arch, i.essential, &i.provides, arch, [&i.depends, &i.pre_depends, &i.conflicts, &i.breaks])?)
        } else {
            None
        });
    }
    let mut cand = Vec::with_capacity(candidates.len());
    let mut origin = Vec::with_capacity(candidates.len());
    let mut broken = BTreeMap::new();
    let (mut by_name, mut providers) = (BTreeMap::<String, Vec<usize>>::new(), BTreeMap::<String, Vec<usize>>::new());
    for (n, c) in candidates.iter().enumerate() {
        // One unreadable stanza among the sources' thousands must not stop
        // every build: it is left out, and named if the plan needed it.
        let p = match pkg(&c.name, &c.version, &c.architecture, &c.multi_arch, c.essential, &c.provides, arch, [&c.depends, &c.pre_depends, &c.conflicts, &c.breaks]) {
            Ok(p) => p,
            Err(e) => {
                broken.entry(c.name.clone()).or_insert_with(|| e.to_string());
                continue;
            }
        };
        by_name.entry(p.name.clone()).or_default().push(cand.len());
        for prov in &p.provides {
            providers.entry(prov.name.clone()).or_default().push(cand.len());
        }
        cand.push(p);
        origin.push(n);
    }
    let mut r = Resolver {
        native: arch,
        installed,
        candidates,
        inst,
        cand,
        origin,
        broken,
        by_name,
        providers,
        world: BTreeMap::new(),
        named: BTreeMap::new(),
        inst_named: BTreeMap::new(),
        depending: None,
        touched: BTreeSet::new(),
        why: BTreeMap::new(),
        queue: VecDeque::new(),
        kept: BTreeSet::new(),
    };
    for n in 0..r.inst.len() {
        if let Some(p) = &r.inst[n] {
            for name in std::iter::once(&p.name).chain(p.provides.iter().map(|v| &v.name)) {
                r.inst_named.entry(name.clone()).or_default().push(n);
            }
            r.select(p.key(), Sel::Kept(n));
        }
    }
    r.upgrades(&request.upgrade)?;
    for want in &request.install {
        r.request_install(want)?;
    }
    loop {
        r.close()?;
        if !r.repair_broken()? {
            break;
        }
    }
    r.check_conflicts()?;
    Ok(r.plan())
}

impl Resolver<'_> {
    fn pkg(&self, sel: Sel) -> Option<&Pkg> {
        match sel {
            Sel::Kept(n) => self.inst.get(n).and_then(Option::as_ref),
            Sel::Planned(n) => self.cand.get(n),
        }
    }

    /// The newest candidate with `key`'s name and architecture.
    fn newest_for(&self, key: &Key) -> Option<usize> {
        self.by_name.get(&key.0)?.iter().copied().filter(|&c| self.cand[c].arch == key.1).max_by(|&a, &b| self.cand[a].version.cmp(&self.cand[b].version).then(b.cmp(&a)))
    }

    /// Puts `sel` in the world at `key`.
    fn select(&mut self, key: Key, sel: Sel) {
        if let Some(old) = self.world.get(&key).and_then(|&s| self.pkg(s)) {
            let names: Vec<String> = std::iter::once(&old.name).chain(old.provides.iter().map(|v| &v.name)).cloned().collect();
            self.touched.extend(names);
        }
        if let Some(p) = self.pkg(sel) {
            let names: Vec<String> = std::iter::once(&p.name).chain(p.provides.iter().map(|v| &v.name)).cloned().collect();
            for name in names {
                self.named.entry(name.clone()).or_default().insert(key.clone());
                self.touched.insert(name);
            }
        }
        self.world.insert(key, sel);
    }

    /// The world's packages that may satisfy a relation on `name`, in key order.
    fn selected<'a>(&'a self, name: &str) -> impl Iterator<Item = (&'a Key, Sel, &'a Pkg)> + 'a {
        self.named.get(name).into_iter().flatten().filter_map(|k| self.world.get_key_value(k)).filter_map(|(k, &sel)| self.pkg(sel).map(|p| (k, sel, p)))
    }

    fn plan_pkg(&mut self, c: usize, why: String) {
        let key = self.cand[c].key();
        self.select(key.clone(), Sel::Planned(c));
        // A dependency chain as deep as the sources make it would repeat in
        // every link's text: its middle is left out.
        let why = match why.match_indices(": ").nth(WHY_LINKS) {
            Some((cut, _)) => match why.match_indices(": ").last() {
                Some((last, _)) if last > cut => format!("{}: …{}", &why[..cut], &why[last..]),
                _ => why,
            },
            None => why,
        };
        self.why.insert(key.clone(), why);
        self.queue.push_back(key);
    }

    fn upgrades(&mut self, upgrade: &Upgrade) -> Result<(), ResolveError> {
        let keys: Vec<Key> = match upgrade {
            Upgrade::None => return Ok(()),
            Upgrade::All => self.world.keys().cloned().collect(),
            Upgrade::Only(names) => {
                let mut keys = Vec::new();
                for name in names {
                    let found: Vec<Key> = self.world.keys().filter(|k| &k.0 == name).cloned().collect();
                    if found.is_empty() {
                        return Err(ResolveError::NotFound(format!("cannot upgrade {name}: the base image does not have it installed; list it under install instead")));
                    }
                    keys.extend(found);
                }
                keys
            }
        };
        for key in keys {
            let Some(&Sel::Kept(i)) = self.world.get(&key) else { continue };
            match self.newest_for(&key) {
                Some(c) if self.cand[c].version > self.inst[i].as_ref().map_or(self.cand[c].version.clone(), |p| p.version.clone()) => {
                    self.plan_pkg(c, format!("upgrade {}", key.0));
                }
                _ => {
                    if matches!(upgrade, Upgrade::Only(_)) {
                        self.kept.insert(i);
                    }
                }
            }
        }
        Ok(())
    }

    fn request_install(&mut self, want: &str) -> Result<(), ResolveError> {
        let (name, version) = match want.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().parse::<Version>().map_err(|reason| ResolveError::Version { package: n.trim().to_owned(), reason })?)),
            None => (want.trim(), None),
        };
        let key = (name.to_owned(), self.native.to_owned());
        if let Some(&sel) = self.world.get(&key)
            && let Some(p) = self.pkg(sel)
            && version.as_ref().is_none_or(|v| v == &p.version)
        {
            if let Sel::Kept(i) = sel {
                self.kept.insert(i);
            }
            return Ok(());
        }
        let named: Vec<usize> = self.by_name.get(name).map(|v| v.iter().copied().filter(|&c| self.cand[c].arch == self.native).collect()).unwrap_or_default();
        if named.is_empty() {
            let mut provided: Vec<&str> = self.providers.get(name).map(|v| v.iter().map(|&c| self.cand[c].name.as_str()).collect()).unwrap_or_default();
            provided.sort_unstable();
            provided.dedup();
            return Err(ResolveError::NotFound(match provided.as_slice() {
                [] => match self.broken.get(name) {
                    Some(why) => format!("cannot install {name}: the sources' entry for it is unreadable: {why}"),
                    None => format!("cannot install {name}: the sources have no package of that name for {}; check the name, or add the repository that has it to sources", self.native),
                },
                some => format!("cannot install {name}: it is a virtual package, provided by {}; install one of those", some.join(", ")),
            }));
        }
        let pick = named
            .iter()
            .copied()
            .filter(|&c| version.as_ref().is_none_or(|v| v == &self.cand[c].version))
            .max_by(|&a, &b| self.cand[a].version.cmp(&self.cand[b].version).then(b.cmp(&a)));
        let Some(c) = pick else {
            return Err(ResolveError::NotFound(format!("cannot install {want}: the sources have only {}", self.versions(&named))));
        };
        if let Some(Sel::Planned(other)) = self.world.get(&key)
            && *other != c
        {
            return Err(ResolveError::Unsatisfiable(format!("cannot install {want}: {} is already planned ({})", self.cand[*other].label(), self.why.get(&key).map_or("", String::as_str))));
        }
        self.plan_pkg(c, format!("install {name}"));
        Ok(())
    }

    fn versions(&self, cands: &[usize]) -> String {
        let mut v: Vec<&Version> = cands.iter().map(|&c| &self.cand[c].version).collect();
        v.sort();
        v.dedup();
        v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    }

    fn satisfied(&self, group: &[Relation], from: &str) -> bool {
        group.iter().any(|r| self.selected(&r.name).any(|(_, _, p)| p.satisfies(r, from, self.native)))
    }

    /// The best candidate for one alternative, or why there is none.
    /// `also` are the depender's other plain relations: a version that
    /// fits them too (`lib (>= 2), lib (<< 4)`) is preferred.
    fn choose(&self, r: &Relation, from: &str, also: &[Relation]) -> Result<usize, String> {
        let mut fits: Vec<usize> = Vec::new();
        let named = self.by_name.get(&r.name).map_or(&[][..], Vec::as_slice);
        let provided = self.providers.get(&r.name).map_or(&[][..], Vec::as_slice);
        for &c in named.iter().chain(provided) {
            if self.cand[c].satisfies(r, from, self.native) {
                fits.push(c);
            }
        }
        // A package already planned at another version cannot be swapped.
        fits.retain(|&c| !matches!(self.world.get(&self.cand[c].key()), Some(Sel::Planned(o)) if *o != c));
        let all_fit: Vec<usize> = fits.iter().copied().filter(|&c| also.iter().filter(|a| a.name == self.cand[c].name).all(|a| self.cand[c].satisfies(a, from, self.native))).collect();
        if !all_fit.is_empty() {
            fits = all_fit;
        }
        // Prefer the package named over a provider, then the newest.
        let best = fits.iter().copied().max_by(|&a, &b| {
            (self.cand[a].name == r.name).cmp(&(self.cand[b].name == r.name)).then(self.cand[a].version.cmp(&self.cand[b].version)).then(self.cand[b].name.cmp(&self.cand[a].name)).then(b.cmp(&a))
        });
        best.ok_or_else(|| {
            if named.is_empty() && provided.is_empty() {
                return match self.broken.get(&r.name) {
                    Some(why) => format!("the sources' entry for {} is unreadable: {why}", r.name),
                    None => format!("the sources have no {}", r.name),
                };
            }
            let planned = named.iter().find_map(|&c| match self.world.get(&self.cand[c].key()) {
                Some(Sel::Planned(o)) if !self.cand[*o].satisfies(r, from, self.native) => Some(*o),
                _ => None,
            });
            if let Some(o) = planned {
                return format!("{} is already planned ({})", self.cand[o].label(), self.why.get(&self.cand[o].key()).map_or("", String::as_str));
            }
            let same_arch: Vec<usize> = named.iter().copied().filter(|&c| self.cand[c].arch == from || self.cand[c].multi_arch == "foreign").collect();
            if !named.is_empty() && same_arch.is_empty() {
                return format!("the sources have {} only for another architecture", r.name);
            }
            if named.is_empty() {
                return format!("no provider of {} in the sources fits", r.name);
            }
            format!("the sources have only {}", self.versions(named))
        })
    }

    /// Follows the dependencies of everything planned.
    fn close(&mut self) -> Result<(), ResolveError> {
        while let Some(key) = self.queue.pop_front() {
            let Some(&Sel::Planned(c)) = self.world.get(&key) else { continue };
            let p = &self.cand[c];
            let from = p.arch.clone();
            let mut groups: Vec<(&str, Alternatives)> = p.field("Pre-Depends", &p.pre_depends)?.into_iter().map(|g| ("pre-depends on", g)).collect();
            groups.extend(p.field("Depends", &p.depends)?.into_iter().map(|g| ("depends on", g)));
            let (name, why) = (p.name.clone(), self.why.get(&key).cloned().unwrap_or_default());
            let plain: Vec<Relation> = groups.iter().filter(|(_, g)| g.len() == 1).flat_map(|(_, g)| g.iter().cloned()).collect();
            for (verb, group) in groups {
                if self.satisfied(&group, &from) {
                    continue;
                }
                let mut reasons = Vec::new();
                let mut chosen = None;
                for r in &group {
                    match self.choose(r, &from, &plain) {
                        Ok(c2) => {
                            chosen = Some(c2);
                            break;
                        }
                        Err(reason) => reasons.push(reason),
                    }
                }
                let step = format!("{why}: {name} {verb} {}", relation::group_text(&group));
                match chosen {
                    Some(c2) => self.plan_pkg(c2, step),
                    None => return Err(ResolveError::Unsatisfiable(format!("cannot {step}, but {}", reasons.join("; and ")))),
                }
            }
        }
        Ok(())
    }

    /// Upgrades installed packages whose dependencies the plan broke;
    /// true when it planned any.
    fn repair_broken(&mut self) -> Result<bool, ResolveError> {
        // Every planned package has its `why`.
        if self.why.is_empty() {
            return Ok(false);
        }
        let touched = std::mem::take(&mut self.touched);
        let first = self.depending.is_none();
        let mut depending = self.depending.take().unwrap_or_default();
        let kept: Vec<(Key, usize)> = if first {
            self.world.iter().filter_map(|(k, s)| if let Sel::Kept(i) = s { Some((k.clone(), *i)) } else { None }).collect()
        } else {
            let kept: BTreeSet<&(Key, usize)> = touched.iter().filter_map(|n| depending.get(n)).flatten().filter(|(k, i)| self.world.get(k) == Some(&Sel::Kept(*i))).collect();
            kept.into_iter().cloned().collect()
        };
        let mut any = false;
        for (key, i) in kept {
            let Some(p) = self.inst[i].as_ref() else { continue };
            let mut groups = p.field("Pre-Depends", &p.pre_depends)?;
            groups.extend(p.field("Depends", &p.depends)?);
            if first {
                for r in groups.iter().flatten() {
                    depending.entry(r.name.clone()).or_default().insert((key.clone(), i));
                }
            }
            let Some(broken) = groups.into_iter().find(|g| !self.satisfied(g, &p.arch)) else { continue };
            let text = relation::group_text(&broken);
            // Only breakage the plan caused is ours to repair: a dependency
            // the base already lacked stays the base's business.
            let before_ok = broken.iter().any(|r| self.inst_named.get(&r.name).into_iter().flatten().filter_map(|&n| self.inst[n].as_ref()).any(|q| q.satisfies(r, &p.arch, self.native)));
            if !before_ok {
                continue;
            }
            let label = p.label();
            match self.newest_for(&key) {
                Some(c) if self.cand[c].version > p.version => {
                    self.plan_pkg(c, format!("keep {label} working (it depends on {text})"));
                    any = true;
                }
                _ => {
                    let planned: Vec<String> = broken.iter().filter_map(|r| self.world.get(&(r.name.clone(), p.arch.clone())).and_then(|&s| self.pkg(s)).map(Pkg::label)).collect();
                    return Err(ResolveError::Unsatisfiable(format!(
                        "the plan breaks {label}, which depends on {text}, but {} replaces it and the sources have no newer {}",
                        if planned.is_empty() { "the plan".to_owned() } else { planned.join(", ") },
                        key.0
                    )));
                }
            }
        }
        self.depending = Some(depending);
        Ok(any)
    }

    fn check_conflicts(&self) -> Result<(), ResolveError> {
        for (key, &sel) in &self.world {
            let Some(p) = self.pkg(sel) else { continue };
            for (field, verb, text) in [("Conflicts", "conflicts with", &p.conflicts), ("Breaks", "breaks", &p.breaks)] {
                for r in p.flat(field, text)? {
                    for (okey, osel, o) in self.selected(&r.name) {
                        if okey == key || matches!((sel, osel), (Sel::Kept(_), Sel::Kept(_))) {
                            continue;
                        }
                        if o.satisfies(&r, &p.arch, self.native) {
                            let other = if o.essential { format!("the essential package {}", o.label()) } else { o.label() };
                            return Err(ResolveError::Conflict { package: p.label(), relation: verb, other, field, text: r.to_string() });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn plan(self) -> Plan {
        let mut plan = Plan::default();
        let installed_at: BTreeMap<Key, usize> = self.inst.iter().enumerate().filter_map(|(n, p)| p.as_ref().map(|p| (p.key(), n))).collect();
        for (key, sel) in &self.world {
            if let Sel::Planned(c) = *sel {
                let candidate = self.candidates[self.origin[c]].clone();
                match installed_at.get(key) {
                    Some(&i) => plan.upgrade.push((self.installed[i].clone(), candidate)),
                    None => plan.install.push(candidate),
                }
            }
        }
        plan.kept = self.kept.iter().filter(|&&i| matches!(self.inst[i].as_ref().and_then(|p| self.world.get(&p.key())), Some(Sel::Kept(_)))).map(|&i| self.installed[i].clone()).collect();
        plan.kept.sort_by(|a, b| (&a.name, &a.architecture).cmp(&(&b.name, &b.architecture)));
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(name: &str, version: &str, fields: &[(&str, &str)]) -> Candidate {
        let mut c = Candidate { name: name.into(), version: version.into(), architecture: "amd64".into(), ..Default::default() };
        for &(f, v) in fields {
            let v = Some(v.to_owned());
            match f {
                "Depends" => c.depends = v,
                "Pre-Depends" => c.pre_depends = v,
                "Provides" => c.provides = v,
                "Conflicts" => c.conflicts = v,
                "Breaks" => c.breaks = v,
                "Multi-Arch" => c.multi_arch = v,
                "Architecture" => c.architecture = v.unwrap_or_default(),
                _ => panic!("{f}"),
            }
        }
        c
    }

    fn inst(c: Candidate) -> Installed {
        Installed {
            name: c.name,
            version: c.version,
            architecture: c.architecture,
            multi_arch: c.multi_arch,
            essential: c.essential,
            status: Some("install ok installed".into()),
            depends: c.depends,
            pre_depends: c.pre_depends,
            provides: c.provides,
            conflicts: c.conflicts,
            breaks: c.breaks,
        }
    }

    fn install(names: &[&str]) -> Request {
        Request { install: names.iter().map(|s| s.to_string()).collect(), upgrade: Upgrade::None }
    }

    /// How much longer `f(4n)` takes than `f(n)`: about 4 when linear, 16
    /// when quadratic; a ratio, not a time limit, so a busy machine passes.
    fn growth(n: usize, f: impl Fn(usize)) -> f64 {
        let timed = |n: usize| {
            let start = std::time::Instant::now();
            f(n);
            start.elapsed().as_secs_f64()
        };
        let small = timed(n);
        timed(4 * n) / small.max(1e-3)
    }

    /// Found by scaling the `apt_status` fuzz body: each relation looked at
    /// every package of the world (twenty thousand packages breaking their
    /// neighbours took half a minute in a debug build), and each planned
    /// package's chain repeated the whole chain before it, so a deep
    /// dependency chain cost memory quadratic in its depth.
    #[test]
    fn a_chain_of_twenty_thousand_resolves_quickly_and_explains_itself_briefly() {
        let chain_of = |n: usize| -> Vec<Candidate> { (0..n).map(|i| cand(&format!("p{i}"), "1", &[("Depends", &format!("p{}", i + 1)), ("Breaks", &format!("p{} (<< 1)", i + 2)), ("Provides", &format!("v{i}"))])).collect() };
        let ratio = growth(5_000, |n| {
            let err = resolve("amd64", &[], &chain_of(n), &install(&["p0"])).unwrap_err().to_string();
            assert!(err.starts_with("cannot install p0: p0 depends on p1: p1 depends on p2: "), "{err}");
            assert!(err.contains(&format!(": …: p{} depends on p{}: p{} depends on p{n}, but the sources have no p{n}", n - 2, n - 1, n - 1)), "{err}");
            assert!(err.len() < 500, "{} bytes", err.len());
        });
        assert!(ratio < 10.0, "4× the chain took {ratio:.1}× as long");
        const N: usize = 20_000;
        let mut whole = chain_of(N);
        whole.push(cand(&format!("p{N}"), "1", &[]));
        let plan = resolve("amd64", &[], &whole, &install(&["p0"])).unwrap();
        assert_eq!(plan.install.len(), N + 1);
    }

    /// Each repair pass looked at every kept package and repaired what the
    /// last pass broke: installed packages each pinned to the one before
    /// (`= 1`), named so that every pass reached them in the wrong order,
    /// took one pass per package (4,000: 33 s in a debug build).
    #[test]
    fn upgrading_the_head_of_a_long_pinned_chain_repairs_it_in_few_passes() {
        let ratio = growth(2_500, |n| {
            let name = |i: usize| format!("p{:06}", n - i);
            let pinned = |i: usize, v: &str| cand(&name(i), v, &[("Depends", &if i > 0 { format!("{} (= {v})", name(i - 1)) } else { "base".to_owned() })]);
            let installed: Vec<Installed> = (0..n).map(|i| inst(pinned(i, "1"))).chain([inst(cand("base", "1", &[]))]).collect();
            let sources: Vec<Candidate> = (0..n).map(|i| pinned(i, "2")).collect();
            let plan = resolve("amd64", &installed, &sources, &Request { install: Vec::new(), upgrade: Upgrade::Only(vec![name(0)]) }).unwrap();
            assert_eq!(plan.upgrade.len(), n);
            assert!(plan.upgrade.iter().all(|(i, c)| i.version == "1" && c.version == "2"));
        });
        assert!(ratio < 10.0, "4× the chain took {ratio:.1}× as long");
    }

    fn names(plan: &Plan) -> Vec<String> {
        plan.install.iter().map(|c| format!("{}={}", c.name, c.version)).collect()
    }

    #[test]
    fn resolve_alternatives_take_the_first_satisfiable_or_what_is_installed() {
        let sources = [cand("app", "1", &[("Depends", "nope | mawk | gawk")]), cand("mawk", "1.3", &[]), cand("gawk", "5", &[])];
        let plan = resolve("amd64", &[], &sources, &install(&["app"])).unwrap();
        assert_eq!(names(&plan), ["app=1", "mawk=1.3"]);
        // gawk installed: the group is satisfied, nothing more is pulled.
        let plan = resolve("amd64", &[inst(cand("gawk", "4", &[]))], &sources, &install(&["app"])).unwrap();
        assert_eq!(names(&plan), ["app=1"]);
    }

    #[test]
    fn resolve_virtual_packages_and_versioned_provides() {
        let sources = [
            cand("mta-user", "1", &[("Depends", "mail-transport-agent")]),
            cand("postfix", "3", &[("Provides", "mail-transport-agent")]),
            cand("needs-v", "1", &[("Depends", "libfoo-abi (>= 2)")]),
            cand("libfoo-old", "1", &[("Provides", "libfoo-abi")]),
            cand("libfoo-new", "2", &[("Provides", "libfoo-abi (= 2)")]),
        ];
        assert_eq!(names(&resolve("amd64", &[], &sources, &install(&["mta-user"])).unwrap()), ["mta-user=1", "postfix=3"]);
        // An unversioned Provides does not satisfy a versioned relation.
        assert_eq!(names(&resolve("amd64", &[], &sources, &install(&["needs-v"])).unwrap()), ["libfoo-new=2", "needs-v=1"]);
        let e = resolve("amd64", &[], &sources, &install(&["mail-transport-agent"])).unwrap_err().to_string();
        assert_eq!(e, "cannot install mail-transport-agent: it is a virtual package, provided by postfix; install one of those");
    }

    #[test]
    fn resolve_versioned_relations_pick_the_newest_that_fits() {
        let sources = [cand("app", "1", &[("Depends", "lib (>= 2), lib (<< 4)")]), cand("lib", "1", &[]), cand("lib", "3", &[]), cand("lib", "4", &[]), cand("lib", "2", &[])];
        assert_eq!(names(&resolve("amd64", &[], &sources, &install(&["app"])).unwrap()), ["app=1", "lib=3"]);
        assert_eq!(names(&resolve("amd64", &[], &sources, &install(&["lib=2"])).unwrap()), ["lib=2"]);
        // An installed lib 1 is too old: it is upgraded to the newest fitting version.
        let plan = resolve("amd64", &[inst(cand("lib", "1", &[]))], &sources, &install(&["app"])).unwrap();
        assert_eq!(plan.upgrade.len(), 1);
        assert_eq!(plan.upgrade[0].1.version, "3");
    }

    #[test]
    fn resolve_conflicts_name_both_packages() {
        let sources = [cand("a", "1", &[("Conflicts", "b")]), cand("b", "2", &[]), cand("c", "1", &[("Breaks", "d (<< 2)")])];
        let e = resolve("amd64", &[], &sources, &install(&["a", "b"])).unwrap_err().to_string();
        assert_eq!(e, "a 1 conflicts with b 2: Conflicts b; they cannot be installed together");
        let mut essential = cand("d", "1", &[]);
        essential.essential = true;
        let e = resolve("amd64", &[inst(essential)], &sources, &install(&["c"])).unwrap_err().to_string();
        assert_eq!(e, "c 1 breaks the essential package d 1: Breaks d (<< 2); they cannot be installed together");
        // A conflict between two packages the base already had is not ours.
        let base = [inst(cand("x", "1", &[("Conflicts", "y")])), inst(cand("y", "1", &[]))];
        assert!(resolve("amd64", &base, &sources, &install(&["b"])).is_ok());
    }

    #[test]
    fn resolve_unsatisfiable_request_explains_the_chain() {
        let sources = [
            cand("curl", "7.88.1-10+deb12u5", &[("Depends", "libcurl4 (= 7.88.1-10+deb12u5), libc6")]),
            cand("libcurl4", "7.88.1-10+deb12u4", &[]),
            cand("libc6", "2.36", &[]),
            cand("top", "1", &[("Depends", "curl")]),
        ];
        let e = resolve("amd64", &[], &sources, &install(&["top"])).unwrap_err().to_string();
        assert_eq!(
            e,
            "cannot install top: top depends on curl: curl depends on libcurl4 (= 7.88.1-10+deb12u5), but the sources have only 7.88.1-10+deb12u4"
        );
        let e = resolve("amd64", &[], &sources, &install(&["nothing-such"])).unwrap_err().to_string();
        assert!(e.starts_with("cannot install nothing-such: the sources have no package of that name for amd64"), "{e}");
        let e = resolve("amd64", &[], &sources, &install(&["curl=9"])).unwrap_err().to_string();
        assert_eq!(e, "cannot install curl=9: the sources have only 7.88.1-10+deb12u5");
    }

    #[test]
    fn resolve_upgrade_picks_newest_and_pulls_new_dependencies() {
        let base = [inst(cand("openssl", "3.0.11-1~deb12u1", &[("Depends", "libssl3 (>= 3.0.11)")])), inst(cand("libssl3", "3.0.11-1~deb12u1", &[])), inst(cand("zlib1g", "1.2.13", &[]))];
        let sources = [
            cand("openssl", "3.0.11-1~deb12u2", &[]),
            cand("openssl", "3.0.15-1~deb12u1", &[("Depends", "libssl3 (>= 3.0.15), libzstd1")]),
            cand("libssl3", "3.0.15-1~deb12u1", &[]),
            cand("libzstd1", "1.5.4", &[]),
            cand("zlib1g", "1.2.13", &[]),
        ];
        let plan = resolve("amd64", &base, &sources, &Request { install: vec![], upgrade: Upgrade::All }).unwrap();
        let up: Vec<String> = plan.upgrade.iter().map(|(i, c)| format!("{} {} -> {}", i.name, i.version, c.version)).collect();
        assert_eq!(up, ["libssl3 3.0.11-1~deb12u1 -> 3.0.15-1~deb12u1", "openssl 3.0.11-1~deb12u1 -> 3.0.15-1~deb12u1"]);
        assert_eq!(names(&plan), ["libzstd1=1.5.4"]);
        // Upgrading only openssl still pulls the libssl3 it needs.
        let plan = resolve("amd64", &base, &sources, &Request { install: vec![], upgrade: Upgrade::Only(vec!["openssl".into(), "zlib1g".into()]) }).unwrap();
        assert_eq!(plan.upgrade.len(), 2);
        assert_eq!(plan.kept.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(), ["zlib1g"]);
    }

    #[test]
    fn resolve_upgrade_of_a_library_upgrades_what_pins_it() {
        let base = [inst(cand("curl", "1", &[("Depends", "libcurl4 (= 1)")])), inst(cand("libcurl4", "1", &[]))];
        let sources = [cand("curl", "2", &[("Depends", "libcurl4 (= 2)")]), cand("libcurl4", "2", &[])];
        let plan = resolve("amd64", &base, &sources, &Request { install: vec![], upgrade: Upgrade::Only(vec!["libcurl4".into()]) }).unwrap();
        assert_eq!(plan.upgrade.iter().map(|(_, c)| c.name.as_str()).collect::<Vec<_>>(), ["curl", "libcurl4"]);
        let e = resolve("amd64", &base, &sources[1..], &Request { install: vec![], upgrade: Upgrade::Only(vec!["libcurl4".into()]) }).unwrap_err().to_string();
        assert_eq!(e, "the plan breaks curl 1, which depends on libcurl4 (= 1), but libcurl4 2 replaces it and the sources have no newer curl");
    }

    #[test]
    fn resolve_already_installed_is_kept() {
        let base = [inst(cand("curl", "1", &[("Depends", "libc6")])), inst(cand("libc6", "2.36", &[]))];
        let sources = [cand("curl", "2", &[]), cand("libc6", "2.37", &[])];
        let plan = resolve("amd64", &base, &sources, &install(&["curl"])).unwrap();
        assert!(plan.install.is_empty() && plan.upgrade.is_empty());
        assert_eq!(plan.kept.len(), 1);
        // Not configured: it satisfies nothing, so it is installed anew.
        let mut half = base[0].clone();
        half.status = Some("deinstall ok config-files".into());
        let plan = resolve("amd64", &[half], &sources, &install(&["curl"])).unwrap();
        assert_eq!(names(&plan), ["curl=2"]);
    }

    #[test]
    fn resolve_multi_arch_foreign_satisfies_any_architecture() {
        let sources = [
            cand("app", "1", &[("Depends", "tool, perl:any")]),
            cand("tool", "1", &[("Architecture", "arm64"), ("Multi-Arch", "foreign")]),
            cand("perl", "5", &[("Multi-Arch", "allowed")]),
            cand("plain", "1", &[("Architecture", "arm64")]),
            cand("needs-plain", "1", &[("Depends", "plain")]),
            cand("needs-any", "1", &[("Depends", "tool2:any")]),
            cand("tool2", "1", &[]),
            cand("common", "1", &[("Architecture", "all"), ("Depends", "perl")]),
        ];
        assert_eq!(names(&resolve("amd64", &[], &sources, &install(&["app", "common"])).unwrap()), ["app=1", "common=1", "perl=5", "tool=1"]);
        let e = resolve("amd64", &[], &sources, &install(&["needs-plain"])).unwrap_err().to_string();
        assert!(e.ends_with("but the sources have plain only for another architecture"), "{e}");
        // `:any` needs Multi-Arch: allowed.
        assert!(resolve("amd64", &[], &sources, &install(&["needs-any"])).is_err());
    }

    #[test]
    fn resolve_parse_status_reads_installed_packages() {
        let text = "Package: libc6\nStatus: install ok installed\nEssential: yes\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36-9+deb12u4\nDepends: libgcc-s1\nDescription: GNU C\n more\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nNot: a package\n";
        let got = parse_status(text);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].name.as_str(), got[0].version.as_str(), got[0].essential, got[0].multi_arch.as_deref()), ("libc6", "2.36-9+deb12u4", true, Some("same")));
        assert_eq!(got[0].depends.as_deref(), Some("libgcc-s1"));
        // The config-files leftover satisfies nothing.
        let plan = resolve("amd64", &got, &[cand("gone", "2", &[])], &install(&["gone"])).unwrap();
        assert_eq!(names(&plan), ["gone=2"]);
    }

    #[test]
    fn resolve_unreadable_candidate_is_left_out_and_named_when_needed() {
        let sources = [cand("ok", "1", &[]), cand("bad", "1", &[("Provides", "x (>= )")]), cand("needs-bad", "1", &[("Depends", "bad")])];
        assert_eq!(names(&resolve("amd64", &[], &sources, &install(&["ok"])).unwrap()), ["ok=1"]);
        let e = resolve("amd64", &[], &sources, &install(&["needs-bad"])).unwrap_err().to_string();
        assert_eq!(e, "cannot install needs-bad: needs-bad depends on bad, but the sources' entry for bad is unreadable: package bad 1: Provides field 'x (>= )': '' is not a Debian version");
    }

    #[test]
    fn resolve_output_is_sorted_whatever_the_input_order() {
        let mut sources = vec![cand("z", "1", &[("Depends", "a, m")]), cand("a", "1", &[]), cand("m", "1", &[])];
        let first = resolve("amd64", &[], &sources, &install(&["z"])).unwrap();
        sources.reverse();
        assert_eq!(resolve("amd64", &[], &sources, &install(&["z"])).unwrap(), first);
        assert_eq!(names(&first), ["a=1", "m=1", "z=1"]);
    }
}
