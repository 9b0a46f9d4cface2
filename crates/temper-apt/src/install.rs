//! The installer: verified `.deb`s in, layer entries and dpkg database
//! files out, and no program of the image run.
//!
//! Each package's data tar is unpacked into a staging directory (one file
//! per path, so the layer writer streams them) and described as
//! [`LayerEntry`]s. Paths land where dpkg would put them: through the
//! base's directory symlinks (`bin/ls` → `usr/bin/ls` on merged-/usr
//! systems), while the package's `.list` keeps the paths it shipped, as
//! dpkg's does. Hard links become copies of their target (the same staged
//! file). The dpkg database is updated the way dpkg leaves it:
//! `var/lib/dpkg/status` (stanzas sorted by name, the upgraded ones
//! replaced, `Status: install ok installed`, `Conffiles` with MD5s) and
//! `info/<pkg>.list`, `.md5sums`, `.conffiles` and the other control
//! members; on distroless bases (`status.d/` and no `status`) one
//! `status.d/<pkg>` file and its `.md5sums` instead. Maintainer scripts
//! are read by [`crate::scripts`]: alternatives are set up here, the rest
//! comes back as [`ScriptNote`]s.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

use crate::deb::{self, Control, DataKind, DebError, DebLimits};
use crate::scripts::{self, Alternative};

/// What the installer needs to know of the base image.
#[derive(Debug, Clone, Default)]
pub struct Base {
    /// `var/lib/dpkg/status`, if the base has one.
    pub status: Option<String>,
    /// The base has a `var/lib/dpkg/status.d/` directory (distroless).
    pub status_d: bool,
    /// Every symlink of the base, root-relative path → target as written.
    pub symlinks: BTreeMap<String, String>,
    /// `var/lib/dpkg/alternatives/<name>` files of the base, by name.
    pub alternatives: BTreeMap<String, String>,
    /// MD5 (hex) of the base's current content of each conffile its
    /// status lists, by root-relative path: a conffile changed since its
    /// package installed it is kept on upgrade, as dpkg keeps it.
    pub conffiles: BTreeMap<String, String>,
    /// `var/lib/dpkg/info/<pkg>.list` of the base, by `<pkg>` (with its
    /// `:arch` for `Multi-Arch: same`): what an upgrade leaves behind.
    pub lists: BTreeMap<String, String>,
    /// The file names in the base's `var/lib/dpkg/info`.
    pub info: BTreeSet<String>,
}

/// What a layer entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerKind {
    /// A file whose content is at `source` (in the staging directory).
    File {
        /// Where to read it.
        source: PathBuf,
        /// Its size.
        size: u64,
    },
    /// A directory.
    Dir,
    /// A symlink.
    Symlink {
        /// Where it points, as written.
        target: String,
    },
}

/// One entry of the new layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerEntry {
    /// Root-relative path.
    pub path: String,
    /// What it is.
    pub kind: LayerKind,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
}

/// A maintainer script command temper did not reproduce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptNote {
    /// The package.
    pub package: String,
    /// `preinst` or `postinst`.
    pub script: &'static str,
    /// The command as written.
    pub command: String,
    /// The account it creates, when it is an `adduser`-like call: not a
    /// gap when the spec declares the account or the base has it.
    pub account: Option<(scripts::AccountKind, String)>,
}

impl fmt::Display for ScriptNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} runs {}", self.package, self.script, self.command)
    }
}

/// The installer's output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installation {
    /// The layer's entries, sorted by path, parents before children.
    pub entries: Vec<LayerEntry>,
    /// Script commands not reproduced, by package then script.
    pub scripts: Vec<ScriptNote>,
    /// Conffiles the base had changed, kept on upgrade (root-relative);
    /// when the package's version changed too, it is beside them as
    /// `<path>.dpkg-dist`, as dpkg leaves it.
    pub kept_conffiles: Vec<String>,
    /// Root-relative paths the layer must delete (whiteouts): files of an
    /// upgraded package's old version that the new one no longer ships and
    /// no other package lists, and its old `info/` files not rewritten.
    pub removed: Vec<String>,
}

/// Why the installation failed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A `.deb` could not be read or was refused.
    #[error(transparent)]
    Deb(#[from] DebError),
    /// The staging directory could not be written.
    #[error("staging {}: {source}; check the disk space and permissions of the cache directory", path.display())]
    Staging {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A package whose control or content cannot be installed.
    #[error("{}: {reason}", deb.display())]
    Package {
        /// The `.deb`.
        deb: PathBuf,
        /// Why.
        reason: String,
    },
}

/// A field of a control paragraph: the first line's value, continuation
/// lines kept (joined with `\n`, their leading space included).
pub fn paragraph_field(paragraph: &str, name: &str) -> Option<String> {
    let mut lines = paragraph.lines();
    while let Some(line) = lines.next() {
        if let Some((key, value)) = line.split_once(':')
            && !line.starts_with([' ', '\t'])
            && key.eq_ignore_ascii_case(name)
        {
            let mut out = value.trim().to_owned();
            for cont in lines.by_ref().take_while(|l| l.starts_with([' ', '\t'])) {
                out.push('\n');
                out.push_str(cont);
            }
            return Some(out);
        }
    }
    None
}

/// The fields of a paragraph, `(name, value as written after the colon)`,
/// continuation lines included.
fn fields(paragraph: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in paragraph.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push('\n');
                v.push_str(line);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_owned(), v.trim_start().to_owned()));
        }
    }
    out
}

/// dpkg's field order in the status file (lib/dpkg/parse.c); other fields
/// follow in the order the control file has them.
const DPKG_ORDER: &[&str] = &[
    "Package", "Essential", "Protected", "Status", "Priority", "Section", "Installed-Size", "Origin", "Maintainer", "Bugs", "Architecture", "Multi-Arch", "Source", "Version",
    "Config-Version", "Replaces", "Provides", "Depends", "Pre-Depends", "Recommends", "Suggests", "Breaks", "Conflicts", "Enhances", "Conffiles", "Description",
    "Triggers-Pending", "Triggers-Awaited",
];

/// The status stanza of a newly installed package.
fn status_stanza(paragraph: &str, conffiles: &[(String, String)]) -> String {
    let mut f: Vec<(String, String)> = fields(paragraph).into_iter().filter(|(k, _)| !k.eq_ignore_ascii_case("Status") && !k.eq_ignore_ascii_case("Conffiles")).collect();
    f.push(("Status".into(), "install ok installed".into()));
    if !conffiles.is_empty() {
        let lines: String = conffiles.iter().map(|(p, md5)| format!("\n {p} {md5}")).collect();
        f.push(("Conffiles".into(), lines));
    }
    let rank = |k: &str| DPKG_ORDER.iter().position(|o| o.eq_ignore_ascii_case(k)).unwrap_or(DPKG_ORDER.len());
    // A stable sort keeps the control file's order among unknown fields.
    f.sort_by_key(|(k, _)| rank(k));
    f.iter().map(|(k, v)| if v.starts_with('\n') { format!("{k}:{v}") } else { format!("{k}: {v}") }).collect::<Vec<_>>().join("\n")
}

/// Resolves `path` through the symlinks `links` has for its proper
/// ancestors, as the kernel would when dpkg opens it. `None` when the
/// links loop or leave the root.
fn through_links(links: &BTreeMap<String, String>, path: &str) -> Option<String> {
    let mut parts: Vec<String> = path.split('/').map(str::to_owned).collect();
    let mut hops = 0;
    let mut i = 0;
    while i + 1 < parts.len() {
        let prefix = parts[..=i].join("/");
        if let Some(target) = links.get(&prefix) {
            hops += 1;
            if hops > 40 {
                return None;
            }
            let base: Vec<String> = if target.starts_with('/') { Vec::new() } else { parts[..i].to_vec() };
            let mut resolved = base;
            for seg in target.split('/') {
                match seg {
                    "" | "." => {}
                    ".." => {
                        resolved.pop()?;
                    }
                    s => resolved.push(s.to_owned()),
                }
            }
            resolved.extend(parts.drain(i + 1..));
            parts = resolved;
            i = 0;
            continue;
        }
        i += 1;
    }
    (!parts.is_empty() && parts.iter().all(|p| !p.is_empty())).then(|| parts.join("/"))
}

struct Staging<'a> {
    root: PathBuf,
    base: &'a Base,
    /// The base's symlinks plus those unpacked so far.
    links: BTreeMap<String, String>,
    entries: BTreeMap<String, LayerEntry>,
}

impl Staging<'_> {
    fn io(&self, path: &Path) -> impl Fn(io::Error) -> InstallError + use<> {
        let path = path.to_owned();
        move |source| InstallError::Staging { path: path.clone(), source }
    }

    fn place(&self, deb: &Path, shipped: &str) -> Result<String, InstallError> {
        through_links(&self.links, shipped).ok_or_else(|| InstallError::Package { deb: deb.to_owned(), reason: format!("'{shipped}' lies beyond a symlink that leaves the root or loops") })
    }

    /// Writes `bytes` as the file `path` (root-relative) of the layer.
    fn write_file(&mut self, path: &str, mode: u32, content: &mut dyn Read) -> Result<(u64, String), InstallError> {
        let source = self.root.join(path);
        if let Some(parent) = source.parent() {
            fs::create_dir_all(parent).map_err(self.io(parent))?;
        }
        let mut file = fs::File::create(&source).map_err(self.io(&source))?;
        let mut md5 = Md5::new();
        let mut buf = vec![0u8; 64 << 10];
        let mut size = 0u64;
        loop {
            let n = content.read(&mut buf).map_err(self.io(&source))?;
            if n == 0 {
                break;
            }
            md5.update(&buf[..n]);
            file.write_all(&buf[..n]).map_err(self.io(&source))?;
            size += n as u64;
        }
        self.entries.insert(path.to_owned(), LayerEntry { path: path.to_owned(), kind: LayerKind::File { source, size }, mode, uid: 0, gid: 0 });
        Ok((size, hex(&md5.finalize())))
    }

    fn add(&mut self, path: String, kind: LayerKind, mode: u32) {
        if let LayerKind::Symlink { target } = &kind {
            self.links.insert(path.clone(), target.clone());
        }
        self.entries.insert(path.clone(), LayerEntry { path, kind, mode, uid: 0, gid: 0 });
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The parts of an alternatives file (`var/lib/dpkg/alternatives/NAME`).
#[derive(Debug, Default)]
struct AltFile {
    mode: String,
    link: String,
    /// `(name, link)`
    slaves: Vec<(String, String)>,
    /// `(path, priority, slave paths by slave name)`
    choices: Vec<(String, i64, BTreeMap<String, String>)>,
}

impl AltFile {
    fn parse(text: &str) -> Option<AltFile> {
        let mut lines = text.lines();
        let mut f = AltFile { mode: lines.next()?.to_owned(), link: lines.next()?.to_owned(), ..Default::default() };
        loop {
            let name = lines.next()?;
            if name.is_empty() {
                break;
            }
            f.slaves.push((name.to_owned(), lines.next()?.to_owned()));
        }
        loop {
            let path = lines.next().unwrap_or_default();
            if path.is_empty() {
                break;
            }
            let priority = lines.next()?.parse().ok()?;
            let mut paths = BTreeMap::new();
            for (name, _) in &f.slaves {
                let p = lines.next()?;
                if !p.is_empty() {
                    paths.insert(name.clone(), p.to_owned());
                }
            }
            f.choices.push((path.to_owned(), priority, paths));
        }
        Some(f)
    }

    fn add(&mut self, alt: &Alternative) {
        self.link = alt.link.clone();
        for (link, name, _) in &alt.slaves {
            match self.slaves.iter_mut().find(|(n, _)| n == name) {
                Some(s) => s.1 = link.clone(),
                None => self.slaves.push((name.clone(), link.clone())),
            }
        }
        self.choices.retain(|(p, _, _)| p != &alt.path);
        self.choices.push((alt.path.clone(), alt.priority, alt.slaves.iter().map(|(_, n, p)| (n.clone(), p.clone())).collect()));
    }

    /// The choice auto mode picks: highest priority, the first listed on a tie.
    fn best(&self) -> Option<&(String, i64, BTreeMap<String, String>)> {
        self.choices.iter().rev().max_by_key(|(_, prio, _)| *prio)
    }

    /// The file as update-alternatives writes it: slaves sorted by name,
    /// choices by path.
    fn text(&self) -> String {
        let mut slaves = self.slaves.clone();
        slaves.sort();
        let mut choices: Vec<_> = self.choices.iter().collect();
        choices.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = format!("{}\n{}\n", self.mode, self.link);
        for (name, link) in &slaves {
            out.push_str(&format!("{name}\n{link}\n"));
        }
        out.push('\n');
        for (path, prio, paths) in choices {
            out.push_str(&format!("{path}\n{prio}\n"));
            for (name, _) in &slaves {
                out.push_str(paths.get(name).map_or("", String::as_str));
                out.push('\n');
            }
        }
        out.push('\n');
        out
    }
}

/// A package being installed: its control, the paths it shipped, the MD5s of its files.
struct Unpacked {
    control: Control,
    name: String,
    arch: String,
    /// `name` or `name:arch` for `Multi-Arch: same`.
    info_name: String,
    list: Vec<String>,
    md5s: BTreeMap<String, String>,
}

/// Installs the `.deb`s at `debs` (already verified; in the plan's order)
/// over `base`, staging file contents under `staging`.
pub fn install(base: &Base, debs: &[PathBuf], staging: &Path, limits: &DebLimits) -> Result<Installation, InstallError> {
    let mut st = Staging { root: staging.join("rootfs"), base, links: base.symlinks.clone(), entries: BTreeMap::new() };
    // The MD5s the base's status records for each package's conffiles, as
    // shipped by the installed version.
    let mut shipped: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for para in base.status.as_deref().unwrap_or_default().split("\n\n") {
        let (Some(name), Some(conffiles)) = (paragraph_field(para, "Package"), paragraph_field(para, "Conffiles")) else { continue };
        let sums = conffiles.lines().filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.trim_start_matches('/').to_owned(), w.next()?.to_owned()))
        });
        shipped.entry(name).or_default().extend(sums);
    }
    let mut unpacked = Vec::new();
    let mut kept = Vec::new();
    for deb in debs {
        unpacked.push(unpack(&mut st, deb, limits, &shipped, &mut kept)?);
    }
    let mut notes = Vec::new();
    let mut alternatives: BTreeMap<String, AltFile> = BTreeMap::new();
    let installed = base.status.as_deref().map(crate::resolve::parse_status).unwrap_or_default();
    for u in &unpacked {
        let upgrading_from = installed.iter().find(|i| i.name == u.name && (i.architecture == u.arch || i.architecture == "all" || u.arch == "all")).map(|i| i.version.as_str());
        for (script, text) in u.control.scripts() {
            if !matches!(script, "preinst" | "postinst") {
                // prerm and postrm run at removal; nothing is removed.
                continue;
            }
            let c = scripts::classify(&text, upgrading_from);
            for alt in &c.alternatives {
                let file = alternatives.entry(alt.name.clone()).or_insert_with(|| {
                    st.base.alternatives.get(&alt.name).and_then(|t| AltFile::parse(t)).unwrap_or_else(|| AltFile { mode: "auto".into(), ..Default::default() })
                });
                file.add(alt);
            }
            notes.extend(c.unhandled.into_iter().map(|command| ScriptNote { package: u.name.clone(), script, command, account: None }));
            notes.extend(c.accounts.into_iter().map(|a| ScriptNote { package: u.name.clone(), script, command: a.command, account: Some((a.kind, a.name)) }));
        }
    }
    for (name, file) in &alternatives {
        write_alternative(&mut st, name, file)?;
    }
    write_database(&mut st, &unpacked)?;
    let removed = removals(&st, &unpacked);
    Ok(Installation { entries: finish(st), scripts: notes, kept_conffiles: kept, removed })
}

fn unpack(st: &mut Staging, deb: &Path, limits: &DebLimits, shipped: &BTreeMap<String, BTreeMap<String, String>>, kept: &mut Vec<String>) -> Result<Unpacked, InstallError> {
    let control = deb::read_control(deb, limits)?;
    let bad = |reason: String| InstallError::Package { deb: deb.to_owned(), reason };
    let name = control.field("Package").filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))).ok_or_else(|| bad("the control file has no valid Package field".into()))?;
    let arch = control.field("Architecture").unwrap_or_default();
    if !arch.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(bad(format!("Architecture '{arch}' is not an architecture")));
    }
    let info_name = if control.field("Multi-Arch").as_deref() == Some("same") { format!("{name}:{arch}") } else { name.clone() };
    let mut u = Unpacked { control, name, arch, info_name, list: vec!["/.".to_owned()], md5s: BTreeMap::new() };
    let mut placed: BTreeMap<String, String> = BTreeMap::new();
    let conffiles: BTreeSet<String> = u.control.conffiles().iter().map(|p| p.trim_start_matches('/').to_owned()).collect();
    let no_sums = BTreeMap::new();
    let old_sums = shipped.get(&u.name).unwrap_or(&no_sums);
    deb::each_data_entry(deb, limits, &mut |e, content| {
        u.list.push(format!("/{}", e.path));
        let at = st.place(deb, &e.path)?;
        match &e.kind {
            DataKind::File { .. } => {
                let (_, md5) = st.write_file(&at, e.mode, content)?;
                if conffiles.contains(&e.path)
                    && let (Some(old), Some(current)) = (old_sums.get(&e.path), st.base.conffiles.get(&at))
                    && old != current
                {
                    // Changed in the base since installed: dpkg keeps the
                    // change and leaves a changed package version beside it.
                    if let Some(mut entry) = st.entries.remove(&at)
                        && &md5 != old
                    {
                        entry.path = format!("{at}.dpkg-dist");
                        st.entries.insert(entry.path.clone(), entry);
                    }
                    kept.push(at.clone());
                }
                u.md5s.insert(e.path.clone(), md5);
            }
            DataKind::Dir => {
                // A directory the base has as a symlink stays a symlink (dpkg
                // follows it): usrmerge's `bin` → `usr/bin`.
                if !st.links.contains_key(&at) && !matches!(st.entries.get(&at), Some(LayerEntry { kind: LayerKind::Symlink { .. }, .. })) {
                    st.add(at.clone(), LayerKind::Dir, e.mode);
                }
            }
            DataKind::Symlink { target } => st.add(at.clone(), LayerKind::Symlink { target: target.clone() }, 0o777),
            DataKind::Hardlink { target } => {
                let Some(source) = placed.get(target).and_then(|t| st.entries.get(t)).cloned() else {
                    return Err(InstallError::Package { deb: deb.to_owned(), reason: format!("hard link '{}' to '{target}', which is not an earlier file of the package", e.path) });
                };
                if let Some(md5) = u.md5s.get(target).cloned() {
                    u.md5s.insert(e.path.clone(), md5);
                }
                st.entries.insert(at.clone(), LayerEntry { path: at.clone(), mode: e.mode, ..source });
            }
        }
        st.entries.entry(at.clone()).and_modify(|x| {
            x.uid = e.uid;
            x.gid = e.gid;
        });
        placed.insert(e.path.clone(), at);
        Ok(())
    })?;
    Ok(u)
}

fn write_alternative(st: &mut Staging, name: &str, file: &AltFile) -> Result<(), InstallError> {
    let text = file.text();
    st.write_file(&format!("var/lib/dpkg/alternatives/{name}"), 0o644, &mut text.as_bytes())?;
    if file.mode != "auto" {
        // A manual choice in the base is the administrator's; dpkg keeps it.
        return Ok(());
    }
    let Some((path, _, slave_paths)) = file.best() else { return Ok(()) };
    let link = |st: &mut Staging, generic: &str, alt_name: &str, chosen: &str| -> Result<(), InstallError> {
        let rel = generic.trim_start_matches('/');
        let at = through_links(&st.links, rel).ok_or_else(|| InstallError::Package { deb: PathBuf::from(alt_name), reason: format!("alternative link '{generic}' leaves the root") })?;
        st.add(at, LayerKind::Symlink { target: format!("/etc/alternatives/{alt_name}") }, 0o777);
        st.add(format!("etc/alternatives/{alt_name}"), LayerKind::Symlink { target: chosen.to_owned() }, 0o777);
        Ok(())
    };
    link(st, &file.link, name, path)?;
    for (slave, slave_link) in &file.slaves {
        if let Some(p) = slave_paths.get(slave) {
            link(st, slave_link, slave, p)?;
        }
    }
    Ok(())
}

fn write_database(st: &mut Staging, unpacked: &[Unpacked]) -> Result<(), InstallError> {
    let distroless = st.base.status.is_none() && st.base.status_d;
    let mut stanzas: BTreeMap<(String, String), String> = BTreeMap::new();
    if let Some(status) = &st.base.status {
        for para in status.split("\n\n").map(|p| p.trim_matches('\n')).filter(|p| !p.trim().is_empty()) {
            let key = (paragraph_field(para, "Package").unwrap_or_default(), paragraph_field(para, "Architecture").unwrap_or_default());
            stanzas.insert(key, para.to_owned());
        }
    }
    for u in unpacked {
        let md5sums: Vec<u8> = match u.control.md5sums() {
            Some(m) => m.to_vec(),
            // dpkg --verify and scanners read it; packages without one get it computed.
            None => u.md5s.iter().map(|(p, m)| format!("{m}  {p}\n")).collect::<String>().into_bytes(),
        };
        if distroless {
            st.write_file(&format!("var/lib/dpkg/status.d/{}", u.name), 0o644, &mut format!("{}\n", u.control.paragraph).as_bytes())?;
            st.write_file(&format!("var/lib/dpkg/status.d/{}.md5sums", u.name), 0o644, &mut &md5sums[..])?;
            continue;
        }
        let conffiles: Vec<(String, String)> = u
            .control
            .conffiles()
            .into_iter()
            .map(|p| {
                let md5 = u.md5s.get(p.trim_start_matches('/')).cloned().unwrap_or_else(|| "newconffile".to_owned());
                (p, md5)
            })
            .collect();
        // An upgrade replaces the stanza of the same package (and, for
        // Multi-Arch: same, architecture); a package of one architecture
        // replaces its `all` or other-architecture predecessor too.
        let same = u.info_name.contains(':');
        stanzas.retain(|(name, arch), _| !(name == &u.name && (!same || arch == &u.arch)));
        stanzas.insert((u.name.clone(), u.arch.clone()), status_stanza(&u.control.paragraph, &conffiles));
        let info = format!("var/lib/dpkg/info/{}", u.info_name);
        let list: String = u.list.iter().map(|p| format!("{p}\n")).collect();
        st.write_file(&format!("{info}.list"), 0o644, &mut list.as_bytes())?;
        st.write_file(&format!("{info}.md5sums"), 0o644, &mut &md5sums[..])?;
        for (member, bytes) in &u.control.members {
            if member == "md5sums" || member.contains('/') {
                continue;
            }
            let mode = if deb::SCRIPTS.contains(&member.as_str()) || member == "config" { 0o755 } else { 0o644 };
            st.write_file(&format!("{info}.{member}"), mode, &mut &bytes[..])?;
        }
    }
    if !distroless {
        if !st.base.info.contains("format") {
            // Without it dpkg reads `info/` in the layout before multiarch
            // and finds no `<pkg>:<arch>.list`.
            st.write_file("var/lib/dpkg/info/format", 0o644, &mut &b"1\n"[..])?;
        }
        let text: String = stanzas.values().map(|s| format!("{s}\n\n")).collect();
        st.write_file("var/lib/dpkg/status", 0o644, &mut text.as_bytes())?;
    }
    Ok(())
}

/// What upgraded packages leave behind, as dpkg would remove it.
fn removals(st: &Staging, unpacked: &[Unpacked]) -> Vec<String> {
    let mut removed = BTreeSet::new();
    let upgraded: BTreeSet<&str> = unpacked.iter().map(|u| u.info_name.as_str()).filter(|n| st.base.lists.contains_key(*n)).collect();
    // Paths someone else still lists, and directories (parents of any listed path).
    let mut owned: BTreeSet<&str> = BTreeSet::new();
    let mut parents: BTreeSet<&str> = BTreeSet::new();
    let lists = st.base.lists.iter().filter(|(n, _)| !upgraded.contains(n.as_str())).flat_map(|(_, l)| l.lines()).chain(unpacked.iter().flat_map(|u| u.list.iter().map(String::as_str)));
    for path in lists {
        let path = path.trim_start_matches('/');
        owned.insert(path);
        parents.extend(path.match_indices('/').map(|(i, _)| &path[..i]));
    }
    for u in unpacked.iter().filter(|u| upgraded.contains(u.info_name.as_str())) {
        let old = st.base.lists.get(&u.info_name).map_or("", String::as_str);
        for path in old.lines().map(|p| p.trim_start_matches('/')).filter(|p| !p.is_empty() && *p != ".") {
            if owned.contains(path) || parents.contains(path) {
                continue;
            }
            if let Some(at) = through_links(&st.base.symlinks, path)
                && !st.entries.contains_key(&at)
                && !st.base.symlinks.contains_key(&at)
            {
                removed.insert(at);
            }
        }
        for file in &st.base.info {
            // `hello.list` belongs to `hello`, `hello.world.list` to `hello.world`.
            if let Some(member) = file.strip_prefix(&format!("{}.", u.info_name))
                && !member.contains('.')
            {
                let path = format!("var/lib/dpkg/info/{file}");
                if !st.entries.contains_key(&path) {
                    removed.insert(path);
                }
            }
        }
    }
    removed.into_iter().collect()
}

/// The entries sorted, with every missing parent directory added
/// (`0755 root:root`, as the base has them).
fn finish(st: Staging) -> Vec<LayerEntry> {
    let mut entries = st.entries;
    let parents: BTreeSet<String> = entries.keys().flat_map(|p| p.match_indices('/').map(move |(i, _)| p[..i].to_owned())).collect();
    for dir in parents {
        if !st.links.contains_key(&dir) {
            entries.entry(dir.clone()).or_insert(LayerEntry { path: dir, kind: LayerKind::Dir, mode: 0o755, uid: 0, gid: 0 });
        }
    }
    entries.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deb::tests::{Pkg, build};
    use std::process::Command;

    const HELLO: Pkg = Pkg {
        control: "Package: hello\nVersion: 2.10-3\nArchitecture: amd64\nMaintainer: A <a@example.org>\nInstalled-Size: 10\nDepends: libc6 (>= 2.34)\nSection: devel\nPriority: optional\nHomepage: https://example.org/hello\nDescription: greets\n in two lines",
        members: &[("conffiles", "/etc/hello.conf\n"), ("postinst", "#!/bin/sh\nset -e\nldconfig\nadduser --system hello\n"), ("md5sums", "0123  usr/bin/hello\n")],
        files: &[("usr/bin/hello", "#!/bin/sh\necho hi\n"), ("etc/hello.conf", "greeting=hi\n")],
        links: &[("usr/bin/hi", "hello")],
    };

    const BASE_STATUS: &str = "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\nDescription: base\n\nPackage: hello\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: 2.10-2\nDescription: old greets\n\n";

    fn content(inst: &Installation, path: &str) -> String {
        let e = inst.entries.iter().find(|e| e.path == path).unwrap_or_else(|| panic!("no {path}"));
        let LayerKind::File { source, size } = &e.kind else { panic!("{path} is not a file") };
        let text = fs::read_to_string(source).unwrap();
        assert_eq!(text.len() as u64, *size);
        text
    }

    fn md5_of(text: &str) -> String {
        hex(&Md5::digest(text.as_bytes()))
    }

    #[test]
    fn install_status_has_new_and_upgraded_stanzas() {
        let dir = tempfile::tempdir().unwrap();
        let hello = build(dir.path(), "hello", &HELLO, "xz");
        let tool = build(dir.path(), "tool", &Pkg { control: "Package: aatool\nVersion: 1\nArchitecture: all\nDescription: t", members: &[], files: &[("usr/share/aatool/x", "x")], links: &[] }, "gzip");
        let base = Base { status: Some(BASE_STATUS.into()), ..Default::default() };
        let inst = install(&base, &[hello, tool], &dir.path().join("stage"), &DebLimits::default()).unwrap();
        let status = content(&inst, "var/lib/dpkg/status");
        let want = format!(
            "Package: aatool\nStatus: install ok installed\nArchitecture: all\nVersion: 1\nDescription: t\n\n\
             Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\nDescription: base\n\n\
             Package: hello\nStatus: install ok installed\nPriority: optional\nSection: devel\nInstalled-Size: 10\nMaintainer: A <a@example.org>\nArchitecture: amd64\nVersion: 2.10-3\nDepends: libc6 (>= 2.34)\nConffiles:\n /etc/hello.conf {}\nDescription: greets\n in two lines\nHomepage: https://example.org/hello\n\n",
            md5_of("greeting=hi\n")
        );
        assert_eq!(status, want);
    }

    #[test]
    fn install_list_md5sums_and_control_members_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let hello = build(dir.path(), "hello", &HELLO, "zstd");
        let tool = build(dir.path(), "tool", &Pkg { control: "Package: tool\nVersion: 1\nArchitecture: amd64\nMulti-Arch: same\nDescription: t", members: &[], files: &[("usr/lib/tool.so", "elf")], links: &[] }, "gzip");
        let inst = install(&Base::default(), &[hello, tool], &dir.path().join("stage"), &DebLimits::default()).unwrap();
        assert_eq!(content(&inst, "var/lib/dpkg/info/hello.list"), "/.\n/etc\n/etc/hello.conf\n/usr\n/usr/bin\n/usr/bin/hello\n/usr/bin/hi\n");
        assert_eq!(content(&inst, "var/lib/dpkg/info/hello.md5sums"), "0123  usr/bin/hello\n");
        assert_eq!(content(&inst, "var/lib/dpkg/info/hello.conffiles"), "/etc/hello.conf\n");
        assert!(content(&inst, "var/lib/dpkg/info/hello.postinst").contains("adduser"));
        // Multi-Arch: same packages are named with their architecture; without
        // an md5sums member the sums are computed.
        assert_eq!(content(&inst, "var/lib/dpkg/info/tool:amd64.list"), "/.\n/usr\n/usr/lib\n/usr/lib/tool.so\n");
        assert_eq!(content(&inst, "var/lib/dpkg/info/tool:amd64.md5sums"), format!("{}  usr/lib/tool.so\n", md5_of("elf")));
        assert_eq!(content(&inst, "usr/bin/hello"), "#!/bin/sh\necho hi\n");
        let hi = inst.entries.iter().find(|e| e.path == "usr/bin/hi").unwrap();
        assert_eq!(hi.kind, LayerKind::Symlink { target: "hello".into() });
        let paths: Vec<&str> = inst.entries.iter().map(|e| e.path.as_str()).collect();
        let mut sorted = paths.clone();
        sorted.sort_unstable();
        assert_eq!(paths, sorted);
        assert!(paths.contains(&"var/lib/dpkg/info") && paths.contains(&"var"), "parents are listed: {paths:?}");
    }

    #[test]
    fn install_unknown_postinst_command_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let hello = build(dir.path(), "hello", &HELLO, "xz");
        let inst = install(&Base::default(), &[hello], &dir.path().join("stage"), &DebLimits::default()).unwrap();
        let notes: Vec<String> = inst.scripts.iter().map(ToString::to_string).collect();
        assert_eq!(notes, ["hello: postinst runs adduser --system hello"]);
    }

    #[test]
    fn install_update_alternatives_makes_links_and_database() {
        let dir = tempfile::tempdir().unwrap();
        let postinst = "#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n  update-alternatives --install /usr/bin/editor editor /bin/nano 40 --slave /usr/share/man/man1/editor.1.gz editor.1.gz /usr/share/man/man1/nano.1.gz\nfi\n";
        let nano = build(dir.path(), "nano", &Pkg { control: "Package: nano\nVersion: 7\nArchitecture: amd64\nDescription: e", members: &[("postinst", postinst)], files: &[("bin/nano", "elf")], links: &[] }, "xz");
        // The base already has vim as an editor at priority 30.
        let existing = "auto\n/usr/bin/editor\neditor.1.gz\n/usr/share/man/man1/editor.1.gz\n\n/usr/bin/vim.basic\n30\n/usr/share/man/man1/vim.1.gz\n\n";
        let base = Base { status: Some(String::new()), alternatives: BTreeMap::from([("editor".into(), existing.into())]), ..Default::default() };
        let inst = install(&base, &[nano], &dir.path().join("stage"), &DebLimits::default()).unwrap();
        assert!(inst.scripts.is_empty(), "{:?}", inst.scripts);
        let link = |p: &str| match &inst.entries.iter().find(|e| e.path == p).unwrap_or_else(|| panic!("no {p}")).kind {
            LayerKind::Symlink { target } => target.clone(),
            k => panic!("{p}: {k:?}"),
        };
        assert_eq!(link("usr/bin/editor"), "/etc/alternatives/editor");
        assert_eq!(link("etc/alternatives/editor"), "/bin/nano");
        assert_eq!(link("usr/share/man/man1/editor.1.gz"), "/etc/alternatives/editor.1.gz");
        assert_eq!(link("etc/alternatives/editor.1.gz"), "/usr/share/man/man1/nano.1.gz");
        assert_eq!(
            content(&inst, "var/lib/dpkg/alternatives/editor"),
            // What the host's `update-alternatives --root` writes for the same two calls.
            "auto\n/usr/bin/editor\neditor.1.gz\n/usr/share/man/man1/editor.1.gz\n\n/bin/nano\n40\n/usr/share/man/man1/nano.1.gz\n/usr/bin/vim.basic\n30\n/usr/share/man/man1/vim.1.gz\n\n"
        );
    }

    #[test]
    fn install_follows_base_directory_symlinks_and_lists_shipped_paths() {
        let dir = tempfile::tempdir().unwrap();
        let tool = build(dir.path(), "tool", &Pkg { control: "Package: tool\nVersion: 1\nArchitecture: amd64\nDescription: t", members: &[], files: &[("bin/tool", "elf")], links: &[] }, "xz");
        let base = Base { status: Some(String::new()), symlinks: BTreeMap::from([("bin".into(), "usr/bin".into())]), ..Default::default() };
        let inst = install(&base, &[tool], &dir.path().join("stage"), &DebLimits::default()).unwrap();
        assert_eq!(content(&inst, "usr/bin/tool"), "elf");
        assert!(!inst.entries.iter().any(|e| e.path == "bin" || e.path.starts_with("bin/")));
        assert_eq!(content(&inst, "var/lib/dpkg/info/tool.list"), "/.\n/bin\n/bin/tool\n");
        // A symlink leaving the root is refused, not followed.
        let base = Base { status: Some(String::new()), symlinks: BTreeMap::from([("bin".into(), "../../..".into())]), ..Default::default() };
        let tool = dir.path().join("tool.deb");
        let err = install(&base, &[tool], &dir.path().join("stage2"), &DebLimits::default()).unwrap_err().to_string();
        assert!(err.contains("'bin' lies beyond a symlink that leaves the root") || err.contains("'bin/tool' lies beyond"), "{err}");
    }

    #[test]
    fn install_keeps_conffiles_the_base_changed() {
        let dir = tempfile::tempdir().unwrap();
        let hello = build(dir.path(), "hello", &HELLO, "xz");
        let old = md5_of("greeting=hello\n");
        let status = format!("Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.10-2\nConffiles:\n /etc/hello.conf {old}\nDescription: old\n\n");
        // Unchanged in the base: the new version replaces it.
        let base = Base { status: Some(status.clone()), conffiles: BTreeMap::from([("etc/hello.conf".into(), old.clone())]), ..Default::default() };
        let inst = install(&base, std::slice::from_ref(&hello), &dir.path().join("s1"), &DebLimits::default()).unwrap();
        assert_eq!(content(&inst, "etc/hello.conf"), "greeting=hi\n");
        assert!(inst.kept_conffiles.is_empty());
        // Changed in the base: kept, the package's version beside it.
        let base = Base { status: Some(status), conffiles: BTreeMap::from([("etc/hello.conf".into(), md5_of("mine\n"))]), ..Default::default() };
        let inst = install(&base, &[hello], &dir.path().join("s2"), &DebLimits::default()).unwrap();
        assert!(!inst.entries.iter().any(|e| e.path == "etc/hello.conf"));
        assert_eq!(content(&inst, "etc/hello.conf.dpkg-dist"), "greeting=hi\n");
        assert_eq!(inst.kept_conffiles, ["etc/hello.conf"]);
        assert!(content(&inst, "var/lib/dpkg/status").contains(&format!("Conffiles:\n /etc/hello.conf {}\n", md5_of("greeting=hi\n"))));
    }

    #[test]
    fn install_upgrade_removes_what_the_old_version_alone_shipped() {
        let dir = tempfile::tempdir().unwrap();
        let hello = build(dir.path(), "hello", &HELLO, "xz");
        let base = Base {
            status: Some(BASE_STATUS.into()),
            lists: BTreeMap::from([
                ("hello".into(), "/.\n/usr\n/usr/bin\n/usr/bin/hello\n/usr/bin/hello-old\n/usr/share\n/usr/share/hello\n/usr/share/hello/shared\n/usr/share/hello/empty\n".into()),
                ("base-files".into(), "/.\n/usr\n/usr/share\n/usr/share/hello\n/usr/share/hello/shared\n/usr/share/base\n".into()),
            ]),
            info: ["hello.list", "hello.postrm", "hello.md5sums", "hello.world.list", "base-files.list"].into_iter().map(String::from).collect(),
            ..Default::default()
        };
        let inst = install(&base, &[hello], &dir.path().join("stage"), &DebLimits::default()).unwrap();
        // hello-old and the empty directory went with the old version; a
        // path base-files lists too stays; so do the info files rewritten.
        assert_eq!(inst.removed, ["usr/bin/hello-old", "usr/share/hello/empty", "var/lib/dpkg/info/hello.postrm"]);
        // A new package removes nothing.
        let tool = build(dir.path(), "tool", &Pkg { control: "Package: tool\nVersion: 1\nArchitecture: amd64\nDescription: t", members: &[], files: &[("usr/bin/tool", "x")], links: &[] }, "xz");
        assert!(install(&base, &[tool], &dir.path().join("stage2"), &DebLimits::default()).unwrap().removed.is_empty());
    }

    #[test]
    fn install_hard_links_become_copies() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("perl.tree");
        fs::create_dir_all(tree.join("DEBIAN")).unwrap();
        fs::create_dir_all(tree.join("usr/bin")).unwrap();
        fs::write(tree.join("DEBIAN/control"), "Package: perl\nVersion: 5\nArchitecture: amd64\nDescription: p\n").unwrap();
        fs::write(tree.join("usr/bin/perl"), "elf").unwrap();
        fs::hard_link(tree.join("usr/bin/perl"), tree.join("usr/bin/perl5.36")).unwrap();
        let deb = dir.path().join("perl.deb");
        assert!(Command::new("dpkg-deb").args(["--root-owner-group", "--build"]).arg(&tree).arg(&deb).output().unwrap().status.success());
        let mut kinds = Vec::new();
        deb::each_data_entry(&deb, &DebLimits::default(), &mut |e, _| Ok::<(), DebError>(kinds.push(e.kind.clone()))).unwrap();
        assert!(kinds.iter().any(|k| matches!(k, DataKind::Hardlink { .. })), "the fixture has a hard link: {kinds:?}");
        let inst = install(&Base::default(), &[deb], &dir.path().join("stage"), &DebLimits::default()).unwrap();
        assert_eq!(content(&inst, "usr/bin/perl"), "elf");
        assert_eq!(content(&inst, "usr/bin/perl5.36"), "elf");
        assert!(content(&inst, "var/lib/dpkg/info/perl.md5sums").contains(&format!("{}  usr/bin/perl5.36\n", md5_of("elf"))));
    }

    #[test]
    fn install_distroless_base_gets_status_d_files() {
        let dir = tempfile::tempdir().unwrap();
        let hello = build(dir.path(), "hello", &HELLO, "gzip");
        let base = Base { status: None, status_d: true, ..Default::default() };
        let inst = install(&base, &[hello], &dir.path().join("stage"), &DebLimits::default()).unwrap();
        assert_eq!(content(&inst, "var/lib/dpkg/status.d/hello"), format!("{}\n", HELLO.control));
        assert_eq!(content(&inst, "var/lib/dpkg/status.d/hello.md5sums"), "0123  usr/bin/hello\n");
        assert!(!inst.entries.iter().any(|e| e.path == "var/lib/dpkg/status" || e.path.starts_with("var/lib/dpkg/info/")));
    }

    #[test]
    fn install_database_reads_back_with_dpkg_query() {
        let dir = tempfile::tempdir().unwrap();
        let hello = build(dir.path(), "hello", &HELLO, "xz");
        let tool = build(dir.path(), "tool", &Pkg { control: "Package: tool\nVersion: 1\nArchitecture: amd64\nMulti-Arch: same\nDescription: t", members: &[], files: &[("usr/lib/tool.so", "elf")], links: &[] }, "gzip");
        let base = Base { status: Some(BASE_STATUS.into()), ..Default::default() };
        let stage = dir.path().join("stage");
        install(&base, &[hello, tool], &stage, &DebLimits::default()).unwrap();
        let admin = stage.join("rootfs/var/lib/dpkg");
        fs::create_dir_all(admin.join("updates")).unwrap();
        let out = Command::new("dpkg-query").arg(format!("--admindir={}", admin.display())).args(["-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}${Conffiles}\n"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("base-files 12.4 ii \nhello 2.10-3 ii  /etc/hello.conf {}\ntool 1 ii \n", md5_of("greeting=hi\n")));
        let out = Command::new("dpkg-query").arg(format!("--admindir={}", admin.display())).args(["-L", "hello"]).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "/.\n/etc\n/etc/hello.conf\n/usr\n/usr/bin\n/usr/bin/hello\n/usr/bin/hi\n");
        // Multi-Arch: same lists are found (info/format says the layout).
        let out = Command::new("dpkg-query").arg(format!("--admindir={}", admin.display())).args(["-L", "tool"]).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "/.\n/usr\n/usr/lib\n/usr/lib/tool.so\n");
    }
}
