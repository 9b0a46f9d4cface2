//! `[packages]`: Debian packages installed into, or upgraded in, the
//! image from apt repositories, with no program of the image run.
//! `temper-apt` does the work — signed indexes verified, the resolver,
//! `.deb`s unpacked with the dpkg database updated; this step finds the
//! sources and keyrings (the spec's, else the base's own), pins what the
//! lock says, and turns the installation into layer entries.
//!
//! The lock records every package by the SHA-256 of its `.deb`: a rebuild
//! installs the locked versions even when the sources offer newer ones,
//! and a locked `.deb` the sources no longer list comes from the package
//! cache, or from the spec's `snapshot` URL, checked against its hash.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use temper_apt::keyring::Keyring;
use temper_apt::repo::Repository;
use temper_apt::resolve::{self, Candidate, Request};
use temper_apt::sources::{self, SignedBy, Source};
use temper_apt::{deb, install};

use crate::base::Base;
use crate::layer::{Content, Entry, Node};
use crate::lock::LockedPackage;
use crate::spec::{Packages, Spec, Upgrade};
use crate::{Error, Options};

/// One line of the plan.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Planned {
    /// The package.
    pub name: String,
    /// Its architecture.
    pub architecture: String,
    /// The version installed now, for an upgrade.
    pub from: Option<String>,
    /// The version it gets.
    pub to: String,
    /// The `.deb`'s size in bytes.
    pub size: u64,
}

/// What the step made.
pub struct Step {
    /// The layer's entries (files staged on disk, whiteouts for what an upgrade removed).
    pub entries: Vec<Entry>,
    /// Every package installed or upgraded, for the lock.
    pub locked: Vec<LockedPackage>,
    /// What was installed and upgraded.
    pub plan: Vec<Planned>,
    /// Maintainer-script commands not reproduced, one line per package and
    /// script: `nginx-common postinst runs chown, chmod, systemctl (9 commands)`.
    pub scripts: Vec<String>,
    /// Where the `.deb`s were unpacked; removed when the step is dropped.
    _staging: tempfile::TempDir,
}

/// Debian's name for an OCI architecture (and variant).
fn debian_arch(architecture: &str, variant: Option<&str>) -> String {
    match (architecture, variant) {
        ("arm", Some("v5" | "v6")) => "armel".to_owned(),
        ("arm", _) => "armhf".to_owned(),
        ("386", _) => "i386".to_owned(),
        ("ppc64le", _) => "ppc64el".to_owned(),
        ("mips64le", _) => "mips64el".to_owned(),
        (other, _) => other.to_owned(),
    }
}

fn apt_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Spec(format!("[packages] {what}: {e}"))
}

/// The sources: the spec's lines, else the base's sources.list and sources.list.d.
fn sources_of(packages: &Packages, base: &Base) -> Result<Vec<Source>, Error> {
    if !packages.sources.is_empty() {
        return sources::parse_one_line("golden.toml [packages] sources", &packages.sources.join("\n")).map_err(|e| apt_error("sources", e));
    }
    let mut out = Vec::new();
    let list = base.file("etc/apt/sources.list").map(|t| ("etc/apt/sources.list".to_owned(), t.to_vec()));
    let dir = base.files_under("etc/apt/sources.list.d/").filter(|(p, _)| p.ends_with(".list") || p.ends_with(".sources")).map(|(p, t)| (p.to_owned(), t.to_vec()));
    for (path, text) in list.into_iter().chain(dir) {
        out.extend(sources::parse(&format!("/{path} in the base"), &String::from_utf8_lossy(&text)).map_err(|e| apt_error("sources", e))?);
    }
    if out.is_empty() {
        return Err(Error::Spec("[packages]: the base has no apt sources (/etc/apt/sources.list, sources.list.d); give `sources`".into()));
    }
    Ok(out)
}

/// The keyring a source is verified with: the spec's `keyrings` (and a
/// `signed-by` file relative to the spec) when the spec names sources,
/// else the base's `trusted.gpg.d` and its `Signed-By` keyrings.
fn keyring_for(source: &Source, packages: &Packages, spec_dir: &Path, base: &Base) -> Result<Keyring, Error> {
    let from_spec = !packages.sources.is_empty() || !packages.keyrings.is_empty();
    let mut keyring = Keyring::new();
    match &source.signed_by {
        Some(SignedBy::Key(text)) => keyring.extend(Keyring::from_bytes(&format!("Signed-By of {}", source.uri), text.as_bytes()).map_err(|e| apt_error("keyrings", e))?),
        Some(SignedBy::Path(path)) if from_spec => keyring.extend(Keyring::from_file(&spec_dir.join(path)).map_err(|e| apt_error("keyrings", e))?),
        Some(SignedBy::Path(path)) => {
            let inside = path.to_string_lossy().trim_start_matches('/').to_owned();
            let bytes = base.file(&inside).ok_or_else(|| Error::Spec(format!("[packages]: {} is signed by /{inside}, which the base does not have", source.uri)))?;
            keyring.extend(Keyring::from_bytes(&format!("/{inside} in the base"), bytes).map_err(|e| apt_error("keyrings", e))?);
        }
        None if from_spec => {
            for k in &packages.keyrings {
                keyring.extend(Keyring::from_file(&spec_dir.join(k)).map_err(|e| apt_error("keyrings", e))?);
            }
        }
        None => {
            let trusted = base.file("etc/apt/trusted.gpg").map(|b| ("etc/apt/trusted.gpg", b));
            for (path, bytes) in trusted.into_iter().chain(base.files_under("etc/apt/trusted.gpg.d/")) {
                keyring.extend(Keyring::from_bytes(&format!("/{path} in the base"), bytes).map_err(|e| apt_error("keyrings", e))?);
            }
        }
    }
    if keyring.is_empty() {
        return Err(Error::Spec(format!("[packages]: no key to verify {} with; give `keyrings` (the archive's public key)", source.uri)));
    }
    Ok(keyring)
}

/// The base's dpkg database as the resolver and the installer read it.
fn installed_base(base: &Base) -> (install::Base, String) {
    let status = base.file("var/lib/dpkg/status").map(|b| String::from_utf8_lossy(b).into_owned());
    let status_d: Vec<(&str, &[u8])> = base.files_under("var/lib/dpkg/status.d/").collect();
    let status_d_dir = base.entry("var/lib/dpkg/status.d").is_some_and(temper_layer::FileEntry::is_dir);
    let installed_text = match &status {
        Some(s) => s.clone(),
        None => status_d.iter().map(|(_, b)| String::from_utf8_lossy(b).trim_end().to_owned() + "\n\n").collect(),
    };
    let symlinks = base
        .merged
        .files
        .iter()
        .filter_map(|(p, m)| match &m.entry.kind {
            temper_layer::EntryKind::Symlink { target } => Some((p.clone(), target.clone())),
            _ => None,
        })
        .collect();
    let alternatives = base.files_under("var/lib/dpkg/alternatives/").map(|(p, b)| (p.trim_start_matches("var/lib/dpkg/alternatives/").to_owned(), String::from_utf8_lossy(b).into_owned())).collect();
    let lists = base.files_under("var/lib/dpkg/info/").map(|(p, b)| (p.trim_start_matches("var/lib/dpkg/info/").trim_end_matches(".list").to_owned(), String::from_utf8_lossy(b).into_owned())).collect();
    let info = base.merged.files.keys().filter_map(|p| p.strip_prefix("var/lib/dpkg/info/")).filter(|n| !n.contains('/')).map(str::to_owned).collect();
    let conffiles = installed_text
        .lines()
        .filter(|l| l.starts_with(' ') && l.trim_start().starts_with('/'))
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|p| Some((p.trim_start_matches('/').to_owned(), base.md5(p.trim_start_matches('/'))?.to_owned())))
        .collect();
    (install::Base { status, status_d: status_d_dir && base.file("var/lib/dpkg/status").is_none(), symlinks, alternatives, conffiles, lists, info }, installed_text)
}

fn candidate(p: &temper_apt::index::Package) -> Candidate {
    Candidate {
        name: p.name.clone(),
        version: p.version.clone(),
        architecture: p.architecture.clone(),
        multi_arch: p.multi_arch.clone(),
        essential: p.essential,
        depends: p.depends.clone(),
        pre_depends: p.pre_depends.clone(),
        provides: p.provides.clone(),
        conflicts: p.conflicts.clone(),
        breaks: p.breaks.clone(),
    }
}

/// A `.deb` the lock names, from the package cache or the snapshot URL,
/// checked against the locked hash.
fn locked_deb(locked: &LockedPackage, cache: &Path, packages: &Packages, http: &temper_image::RegistryOptions) -> Result<PathBuf, Error> {
    let hex = locked.sha256.trim_start_matches("sha256:");
    let mut sha = [0u8; 32];
    hex::decode_to_slice(hex, &mut sha).map_err(|_| Error::Spec(format!("golden.lock: package {}: `{}` is not a SHA-256", locked.name, locked.sha256)))?;
    let path = Repository::deb_path(cache, &sha);
    let digest_of = |p: &Path| -> Option<String> {
        let mut f = std::fs::File::open(p).ok()?;
        let mut h = Sha256::new();
        std::io::copy(&mut f, &mut h).ok()?;
        Some(hex::encode(h.finalize()))
    };
    if digest_of(&path).as_deref() == Some(hex) {
        return Ok(path);
    }
    let Some(snapshot) = &packages.snapshot else {
        return Err(Error::Spec(format!("golden.lock: {} {} ({}) is no longer in the sources nor in the package cache; give [packages] snapshot (an archive that keeps old versions) or build with --update", locked.name, locked.version, locked.sha256)));
    };
    let url = format!("{}/{}", snapshot.trim_end_matches('/'), temper_apt::repo::encode_path(&locked.filename));
    temper_apt::repo::download_pinned(http, &url, locked.size, &sha, cache).map_err(|e| apt_error("snapshot", e))
}

/// Runs the step for one platform of the base; `None` when the spec has
/// nothing to install or upgrade. With `plan_only`, stops at the plan:
/// nothing is downloaded or unpacked.
pub fn step(spec: &Spec, spec_dir: &Path, base: &Base, image: &temper_image::Image, opts: &Options, locked: &[LockedPackage], plan_only: bool) -> Result<Option<Step>, Error> {
    let Some(packages) = spec.packages.as_ref() else { return Ok(None) };
    let upgrade = match &packages.upgrade {
        Upgrade::All(true) => resolve::Upgrade::All,
        Upgrade::All(false) => resolve::Upgrade::None,
        Upgrade::Only(names) => resolve::Upgrade::Only(names.clone()),
    };
    if packages.install.is_empty() && upgrade == resolve::Upgrade::None {
        return Ok(None);
    }
    let arch = debian_arch(&image.config.architecture, image.config.variant.as_deref());
    let cache = opts.cache.dir.clone().or_else(temper_inventory::cache::default_dir).unwrap_or_else(std::env::temp_dir);
    let mut repos = Vec::new();
    for source in sources_of(packages, base)? {
        let keyring = keyring_for(&source, packages, spec_dir, base)?;
        repos.push(Repository::open(&source, &arch, &keyring, &opts.open.registry, &cache, opts.now).map_err(|e| apt_error("repository", e))?);
    }
    let (install_base, installed_text) = installed_base(base);
    let installed = resolve::parse_status(&installed_text);

    // Every package of every source, and the locked ones the sources no longer list.
    let mut offered: BTreeMap<(String, String, String), (Candidate, Option<(usize, usize)>)> = BTreeMap::new();
    for (r, repo) in repos.iter().enumerate() {
        for (i, p) in repo.packages().iter().enumerate() {
            offered.entry((p.name.clone(), p.version.clone(), p.architecture.clone())).or_insert_with(|| (candidate(p), Some((r, i))));
        }
    }
    let pinned = !opts.update && !locked.is_empty();
    let mut local: BTreeMap<(String, String, String), PathBuf> = BTreeMap::new();
    if pinned {
        for l in locked {
            let key = (l.name.clone(), l.version.clone(), l.architecture.clone());
            let listed = offered.get(&key).and_then(|(_, at)| *at).is_some_and(|(r, i)| format!("sha256:{}", hex::encode(repos[r].packages()[i].sha256)) == l.sha256);
            if !listed {
                let path = locked_deb(l, &cache, packages, &opts.open.registry)?;
                let control = deb::read_control(&path, &deb::DebLimits::default()).map_err(|e| apt_error("locked package", e))?;
                let field = |n: &str| control.field(n);
                let c = Candidate {
                    name: l.name.clone(),
                    version: l.version.clone(),
                    architecture: l.architecture.clone(),
                    multi_arch: field("Multi-Arch"),
                    essential: field("Essential").as_deref() == Some("yes"),
                    depends: field("Depends"),
                    pre_depends: field("Pre-Depends"),
                    provides: field("Provides"),
                    conflicts: field("Conflicts"),
                    breaks: field("Breaks"),
                };
                offered.insert(key.clone(), (c, None));
                local.insert(key, path);
            }
        }
    }
    // Pinned: the locked versions, exactly; what the spec adds since is resolved on top.
    let mut request = Request { install: packages.install.clone(), upgrade };
    if pinned {
        let names: Vec<String> = locked.iter().map(|l| format!("{}={}", l.name, l.version)).collect();
        request.install.retain(|i| !locked.iter().any(|l| l.name == i.split('=').next().unwrap_or(i)));
        request.install.extend(names);
        request.upgrade = resolve::Upgrade::None;
    }
    let candidates: Vec<Candidate> = offered.values().map(|(c, _)| c.clone()).collect();
    let plan = resolve::resolve(&arch, &installed, &candidates, &request).map_err(|e| apt_error("cannot resolve", e))?;

    let staging = tempfile::Builder::new().prefix("temper-packages-").tempdir().map_err(|source| Error::Write { path: std::env::temp_dir(), source })?;
    if plan_only {
        let mut plan_lines: Vec<Planned> = plan.install.iter().map(|c| (None, c)).chain(plan.upgrade.iter().map(|(old, c)| (Some(old.version.clone()), c))).map(|(from, c)| {
            let key = (c.name.clone(), c.version.clone(), c.architecture.clone());
            let size = offered.get(&key).and_then(|(_, at)| *at).map_or(0, |(r, i)| repos[r].packages()[i].size);
            Planned { name: c.name.clone(), architecture: c.architecture.clone(), from, to: c.version.clone(), size }
        }).collect();
        plan_lines.sort_by(|a, b| (&a.name, &a.architecture).cmp(&(&b.name, &b.architecture)));
        return Ok(Some(Step { entries: Vec::new(), locked: Vec::new(), plan: plan_lines, scripts: Vec::new(), _staging: staging }));
    }
    let mut debs = Vec::new();
    let mut locked_out = Vec::new();
    let mut planned = Vec::new();
    let chosen = plan.install.iter().map(|c| (None, c)).chain(plan.upgrade.iter().map(|(old, c)| (Some(old.version.clone()), c)));
    for (from, c) in chosen {
        let key = (c.name.clone(), c.version.clone(), c.architecture.clone());
        let (path, sha, size, filename, repository, date) = match (offered.get(&key).and_then(|(_, at)| *at), local.get(&key)) {
            (Some((r, i)), _) => {
                let repo = &repos[r];
                let p = &repo.packages()[i];
                let path = repo.download(p).map_err(|e| apt_error("download", e))?;
                let date = repo.release().date.and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_default();
                (path, format!("sha256:{}", hex::encode(p.sha256)), p.size, p.filename.clone(), format!("{} {}", repo.source().uri, repo.source().suite), date)
            }
            (None, Some(path)) => {
                let l = locked.iter().find(|l| (l.name.clone(), l.version.clone(), l.architecture.clone()) == key).ok_or_else(|| Error::Spec(format!("[packages]: {} has no source", c.name)))?;
                (path.clone(), l.sha256.clone(), l.size, l.filename.clone(), l.repository.clone(), l.date.clone())
            }
            (None, None) => return Err(Error::Spec(format!("[packages]: the resolver chose {} {}, which no source offers", c.name, c.version))),
        };
        debs.push(path);
        planned.push(Planned { name: c.name.clone(), architecture: c.architecture.clone(), from, to: c.version.clone(), size });
        locked_out.push(LockedPackage { name: c.name.clone(), version: c.version.clone(), architecture: c.architecture.clone(), sha256: sha, size, filename, repository, date });
    }
    locked_out.sort_by(|a, b| (&a.name, &a.architecture).cmp(&(&b.name, &b.architecture)));
    planned.sort_by(|a, b| (&a.name, &a.architecture).cmp(&(&b.name, &b.architecture)));

    let installation = install::install(&install_base, &debs, staging.path(), &deb::DebLimits::default()).map_err(|e| apt_error("install", e))?;
    let id = |v: u64, path: &str| u32::try_from(v).map_err(|_| Error::Spec(format!("[packages]: /{path}: owner id {v} is out of range")));
    let mut entries = Vec::new();
    for e in installation.entries {
        let node = match e.kind {
            install::LayerKind::File { source, size } => Node::File { content: Content::Local(source, size), mode: e.mode },
            install::LayerKind::Dir => Node::Dir { mode: e.mode },
            install::LayerKind::Symlink { target } => Node::Symlink { target },
        };
        entries.push(Entry { uid: id(e.uid, &e.path)?, gid: id(e.gid, &e.path)?, path: e.path, node });
    }
    let ca = ca_store(base, &entries, &installation.removed, &planned);
    entries.extend(installation.removed.into_iter().map(|path| Entry { path, node: Node::Whiteout, uid: 0, gid: 0 }));
    let mut notes = installation.scripts;
    // An account the spec declares, or the base has, needs no `adduser`.
    let names = |file: &str| base.file(file).map(|b| String::from_utf8_lossy(b).lines().filter_map(|l| l.split(':').next().map(str::to_owned)).collect::<Vec<_>>()).unwrap_or_default();
    let (base_users, base_groups) = (names(crate::base::PASSWD), names(crate::base::GROUP));
    notes.retain(|n| match &n.account {
        Some((temper_apt::scripts::AccountKind::User, name)) => !spec.users.iter().any(|u| &u.name == name) && !base_users.contains(name),
        Some((temper_apt::scripts::AccountKind::Group, name)) => !spec.groups.iter().any(|g| &g.name == name) && !base_groups.contains(name),
        None => true,
    });
    let missing_accounts: Vec<String> = notes.iter().filter_map(|n| n.account.as_ref().map(|(k, name)| format!("{}: {} {} creates the {} `{name}`; declare it in the spec's {} (temper does not run adduser)", n.package, n.script, n.command.split_whitespace().next().unwrap_or("adduser"), if *k == temper_apt::scripts::AccountKind::User { "user" } else { "group" }, if *k == temper_apt::scripts::AccountKind::User { "[[users]]" } else { "[[groups]]" }))).collect();
    notes.retain(|n| n.account.is_none());
    let mut ca_warnings = Vec::new();
    if let Some((ca_entries, warnings)) = ca {
        // What ca-certificates' postinst and every `update-ca-certificates` call would do is done.
        notes.retain(|n| !((n.package == "ca-certificates" && n.script == "postinst") || n.command.starts_with("update-ca-certificates") || (n.command.starts_with("dpkg-trigger") && n.command.contains("update-ca-certificates"))));
        entries.retain(|e| !ca_entries.iter().any(|c| c.path == e.path));
        entries.extend(ca_entries);
        ca_warnings = warnings;
    }
    let mut scripts = grouped(&notes);
    scripts.extend(missing_accounts);
    scripts.extend(ca_warnings);
    Ok(Some(Step { entries, locked: locked_out, plan: planned, scripts, _staging: staging }))
}

/// The CA store after the installation, when it touched it (installed or
/// upgraded `ca-certificates`, or added certificates where it reads them):
/// the entries `ca-certificates`' postinst and `update-ca-certificates`
/// would leave (see [`temper_apt::ca_store`]), and its warnings.
fn ca_store(base: &Base, installed: &[Entry], removed: &[String], planned: &[Planned]) -> Option<(Vec<Entry>, Vec<String>)> {
    use temper_apt::ca_store::{self, EtcEntry, Store};
    let share = format!("{}/", ca_store::SHARE);
    let local = format!("{}/", ca_store::LOCAL);
    let touches = |p: &str| p.starts_with(&share) || p.starts_with(&local);
    if !planned.iter().any(|p| p.name == "ca-certificates") && !installed.iter().any(|e| touches(&e.path)) && !removed.iter().any(|p| touches(p)) {
        return None;
    }
    let mut store = Store { conf: base.file(ca_store::CONF).map(|b| String::from_utf8_lossy(b).into_owned()), ..Store::default() };
    let etc_prefix = format!("{}/", ca_store::ETC_CERTS);
    for (path, meta) in base.merged.files.range(etc_prefix.clone()..).take_while(|(p, _)| p.starts_with(&etc_prefix)) {
        let Some(name) = path.strip_prefix(&etc_prefix).filter(|n| !n.contains('/') && *n != "ca-certificates.crt") else { continue };
        match &meta.entry.kind {
            temper_layer::EntryKind::Symlink { target } => {
                store.etc.insert(name.to_owned(), EtcEntry::Link(target.clone()));
            }
            temper_layer::EntryKind::File => {
                if let Some(content) = base.file(path) {
                    store.etc.insert(name.to_owned(), EtcEntry::File(content.to_vec()));
                }
            }
            _ => {}
        }
    }
    for (path, content) in base.files_under(&share).chain(base.files_under(&local)).filter(|(p, _)| p.ends_with(".crt")) {
        insert_cert(&mut store, path, content.to_vec());
    }
    for e in installed {
        match &e.node {
            Node::File { content: Content::Local(source, _), .. } if touches(&e.path) && e.path.ends_with(".crt") => {
                if let Ok(content) = std::fs::read(source) {
                    insert_cert(&mut store, &e.path, content);
                }
            }
            Node::Symlink { target } if e.path.starts_with(&etc_prefix) => {
                if let Some(name) = e.path.strip_prefix(&etc_prefix).filter(|n| !n.contains('/')) {
                    store.etc.insert(name.to_owned(), EtcEntry::Link(target.clone()));
                }
            }
            _ => {}
        }
    }
    for p in removed {
        if let Some(rel) = p.strip_prefix(&share) {
            store.shipped.remove(rel);
        } else if let Some(rel) = p.strip_prefix(&local) {
            store.local.remove(rel);
        }
    }
    let update = ca_store::update(&store);
    let mut entries = vec![Entry { path: ca_store::CONF.to_owned(), node: Node::File { content: Content::Bytes(update.conf.into_bytes()), mode: 0o644 }, uid: 0, gid: 0 }];
    if !base.exists(ca_store::LOCAL) && !installed.iter().any(|e| e.path == ca_store::LOCAL) {
        // The postinst makes the directory with /usr/local's mode and group.
        let (mode, gid) = base.entry("usr/local").map_or((0o755, 0), |e| (e.mode & 0o7777, u32::try_from(e.gid).unwrap_or(0)));
        entries.push(Entry { path: ca_store::LOCAL.to_owned(), node: Node::Dir { mode }, uid: 0, gid });
    }
    for name in update.removed {
        entries.push(Entry { path: format!("{etc_prefix}{name}"), node: Node::Whiteout, uid: 0, gid: 0 });
    }
    for (name, target) in update.links {
        entries.push(Entry { path: format!("{etc_prefix}{name}"), node: Node::Symlink { target }, uid: 0, gid: 0 });
    }
    if let Some(bundle) = update.bundle {
        entries.push(Entry { path: ca_store::BUNDLE.to_owned(), node: Node::File { content: Content::Bytes(bundle), mode: 0o644 }, uid: 0, gid: 0 });
    }
    let hooks = base.merged.files.keys().map(String::as_str).chain(installed.iter().map(|e| e.path.as_str())).filter_map(|p| p.strip_prefix("etc/ca-certificates/update.d/")).filter(|n| !n.is_empty() && !n.contains('/')).collect::<std::collections::BTreeSet<_>>();
    let mut warnings: Vec<String> = update.warnings.into_iter().map(|w| format!("ca-certificates: {w}")).collect();
    warnings.extend(hooks.into_iter().map(|h| format!("ca-certificates: hook /etc/ca-certificates/update.d/{h} not run")));
    Some((entries, warnings))
}

fn insert_cert(store: &mut temper_apt::ca_store::Store, path: &str, content: Vec<u8>) {
    use temper_apt::ca_store;
    if let Some(rel) = path.strip_prefix(ca_store::SHARE).and_then(|r| r.strip_prefix('/')) {
        store.shipped.insert(rel.to_owned(), content);
    } else if let Some(rel) = path.strip_prefix(ca_store::LOCAL).and_then(|r| r.strip_prefix('/')) {
        store.local.insert(rel.to_owned(), content);
    }
}

/// One line per package and script, naming the programs it would run (each
/// once, in order), so a warning stays readable for a large upgrade.
fn grouped(notes: &[install::ScriptNote]) -> Vec<String> {
    let mut groups: Vec<((String, &str), Vec<String>, usize)> = Vec::new();
    for n in notes {
        let key = (n.package.clone(), n.script);
        let program = n.command.split_whitespace().next().unwrap_or_default().to_owned();
        match groups.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, programs, count)) => {
                *count += 1;
                if !programs.contains(&program) {
                    programs.push(program);
                }
            }
            None => groups.push((key, vec![program], 1)),
        }
    }
    groups
        .into_iter()
        .map(|((package, script), programs, count)| {
            let commands = if count == 1 { "1 command".to_owned() } else { format!("{count} commands") };
            format!("{package} {script} runs {} ({commands})", programs.join(", "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_warnings_are_one_line_per_package_and_script() {
        let note = |package: &str, script: &'static str, command: &str| install::ScriptNote { package: package.into(), script, command: command.into(), account: None };
        let notes = [note("nginx-common", "postinst", "chown root:adm /var/log/nginx"), note("nginx-common", "postinst", "chmod 0755 /var/log/nginx"), note("nginx-common", "postinst", "chown www-data:adm x"), note("apt", "postinst", "adduser --system _apt")];
        assert_eq!(grouped(&notes), ["nginx-common postinst runs chown, chmod (3 commands)", "apt postinst runs adduser (1 command)"]);
    }
}
