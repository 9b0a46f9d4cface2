//! `[[groups]]` and `[[users]]`: lines appended to `/etc/group`,
//! `/etc/passwd` and (when the base has them) `/etc/gshadow` and
//! `/etc/shadow`, with the passwords locked, and each user's home directory created with its
//! owner — edited as files, as `useradd` would leave them, without
//! running it. A name or id the base already uses is an error: silently
//! sharing an id gives one user the other's files.

use crate::Error;
use crate::base::{Base, GROUP, GSHADOW, PASSWD, SHADOW};
use crate::layer::{Content, Entry, Node};
use crate::spec::Spec;

/// The accounts of the image being built: the base's and the spec's.
#[derive(Default)]
pub struct Accounts {
    /// (name, uid, gid) of every user.
    pub users: Vec<(String, u32, u32)>,
    /// (name, gid) of every group.
    pub groups: Vec<(String, u32)>,
}

impl Accounts {
    /// A user's uid and primary gid.
    pub fn user(&self, name: &str) -> Option<(u32, u32)> {
        self.users.iter().find(|(n, ..)| n == name).map(|(_, u, g)| (*u, *g))
    }

    /// A group's gid.
    pub fn group(&self, name: &str) -> Option<u32> {
        self.groups.iter().find(|(n, _)| n == name).map(|(_, g)| *g)
    }
}

/// `name` and the numeric field `field` (0-based) of each `:` line.
fn records(text: &str, field: usize) -> Vec<(String, Option<u32>, Option<u32>)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f[0].to_owned(), f.get(field).and_then(|v| v.parse().ok()), f.get(field + 1).and_then(|v| v.parse().ok()))
        })
        .collect()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 32 && !name.starts_with('-') && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

fn text_of(base: &Base, path: &str) -> String {
    base.file(path).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default()
}

/// `text` with `lines` appended, a newline between.
fn appended(mut text: String, lines: &[String]) -> Vec<u8> {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    text.into_bytes()
}

/// The file at `path` with its base mode and owner (or `mode`, root).
fn file(base: &Base, path: &str, content: Vec<u8>, mode: u32) -> Entry {
    let (mode, uid, gid) = base.entry(path).map_or((mode, 0, 0), |e| (e.mode & 0o7777, e.uid as u32, e.gid as u32));
    Entry { path: path.to_owned(), node: Node::File { content: Content::Bytes(content), mode }, uid, gid }
}

/// The entries that add the spec's groups and users, and the accounts
/// that result; `epoch` dates the shadow entries.
pub fn step(spec: &Spec, base: &Base, epoch: u64) -> Result<(Vec<Entry>, Accounts), Error> {
    let passwd = text_of(base, PASSWD);
    let group = text_of(base, GROUP);
    let mut accounts = Accounts {
        users: records(&passwd, 2).into_iter().filter_map(|(n, u, g)| Some((n, u?, g?))).collect(),
        groups: records(&group, 2).into_iter().filter_map(|(n, g, _)| Some((n, g?))).collect(),
    };
    if spec.users.is_empty() && spec.groups.is_empty() {
        return Ok((Vec::new(), accounts));
    }
    let mut group_lines = Vec::new();
    let mut gshadow_lines = Vec::new();
    for g in &spec.groups {
        if !valid_name(&g.name) {
            return Err(Error::Spec(format!("[[groups]] `{}`: not a valid group name (letters, digits, `.`, `_`, `-`; at most 32)", g.name)));
        }
        if let Some((name, gid)) = accounts.groups.iter().find(|(n, id)| *n == g.name || *id == g.gid) {
            return Err(Error::Spec(format!("[[groups]] `{}` (gid {}) clashes with group `{name}` (gid {gid}) already in the base or the spec", g.name, g.gid)));
        }
        accounts.groups.push((g.name.clone(), g.gid));
        group_lines.push(format!("{}:x:{}:", g.name, g.gid));
        // As `groupadd` writes it: password locked, no administrators, no members.
        gshadow_lines.push(format!("{}:!::", g.name));
    }
    let mut passwd_lines = Vec::new();
    let mut shadow_lines = Vec::new();
    let mut homes = Vec::new();
    let days = epoch / 86_400;
    for u in &spec.users {
        if !valid_name(&u.name) {
            return Err(Error::Spec(format!("[[users]] `{}`: not a valid user name (letters, digits, `.`, `_`, `-`; at most 32)", u.name)));
        }
        if let Some((name, uid, _)) = accounts.users.iter().find(|(n, id, _)| *n == u.name || *id == u.uid) {
            return Err(Error::Spec(format!("[[users]] `{}` (uid {}) clashes with user `{name}` (uid {uid}) already in the base or the spec", u.name, u.uid)));
        }
        let gid = u.gid.or_else(|| accounts.group(&u.name)).unwrap_or(u.uid);
        let home = u.home.clone().unwrap_or_else(|| format!("/home/{}", u.name));
        let shell = u.shell.clone().unwrap_or_else(|| "/sbin/nologin".to_owned());
        if [&home, &shell].iter().any(|s| !s.starts_with('/') || s.contains([':', '\n'])) {
            return Err(Error::Spec(format!("[[users]] `{}`: home and shell must be absolute paths without `:`", u.name)));
        }
        accounts.users.push((u.name.clone(), u.uid, gid));
        passwd_lines.push(format!("{}:x:{}:{gid}::{home}:{shell}", u.name, u.uid));
        shadow_lines.push(format!("{}:!:{days}:0:99999:7:::", u.name));
        homes.push((home, u.uid, gid));
    }
    let mut entries = Vec::new();
    if !group_lines.is_empty() {
        entries.push(file(base, GROUP, appended(group, &group_lines), 0o644));
        // Without one in the base (distroless, Alpine) nothing reads it.
        if base.file(GSHADOW).is_some() {
            entries.push(file(base, GSHADOW, appended(text_of(base, GSHADOW), &gshadow_lines), 0o640));
        }
    }
    if !passwd_lines.is_empty() {
        entries.push(file(base, PASSWD, appended(passwd, &passwd_lines), 0o644));
        // No shadow file in the base (distroless): nothing reads one there.
        if base.file(SHADOW).is_some() {
            entries.push(file(base, SHADOW, appended(text_of(base, SHADOW), &shadow_lines), 0o640));
        }
    }
    for (home, uid, gid) in homes {
        let path = home.trim_start_matches('/').trim_end_matches('/').to_owned();
        if !path.is_empty() && !base.exists(&path) {
            entries.push(Entry { path, node: Node::Dir { mode: 0o750 }, uid, gid });
        }
    }
    Ok((entries, accounts))
}
