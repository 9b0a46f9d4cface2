//! `[[files]]`, `[[dirs]]`, `[[symlinks]]` and `remove`: paths the spec
//! adds or takes away. Local inputs are read where the spec points
//! (relative to it); owners given by name are looked up in the accounts
//! the image will have; a path that leaves the image root is refused.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::accounts::Accounts;
use crate::base::Base;
use crate::layer::{Content, Entry, Node};
use crate::spec::{Owner, Spec};

/// `/a/b/` as the root-relative `a/b`; `..`, empty and NUL-holding paths
/// are refused.
pub fn image_path(what: &str, p: &str) -> Result<String, Error> {
    let parts: Vec<&str> = p.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    if parts.is_empty() || parts.contains(&"..") || p.contains('\0') {
        // Quoted with escapes: a TOML string may hold control characters.
        return Err(Error::Spec(format!("{what} {p:?}: not a path inside the image (no `..`, not the root)")));
    }
    Ok(parts.join("/"))
}

fn owner(what: &str, o: Owner<'_>, accounts: &Accounts) -> Result<(u32, u32), Error> {
    let (mut uid, mut gid) = (o.uid.unwrap_or(0), o.gid.unwrap_or(0));
    if let Some(name) = o.owner {
        let (u, g) = accounts.user(name).ok_or_else(|| Error::Spec(format!("{what}: no user `{name}` in /etc/passwd (the base's or [[users]])")))?;
        uid = u;
        if o.gid.is_none() && o.group.is_none() {
            gid = g;
        }
    }
    if let Some(name) = o.group {
        gid = accounts.group(name).ok_or_else(|| Error::Spec(format!("{what}: no group `{name}` in /etc/group (the base's or [[groups]])")))?;
    }
    Ok((uid, gid))
}

fn mode(what: &str, m: Option<u32>, default: u32) -> Result<u32, Error> {
    let m = m.unwrap_or(default);
    if m > 0o7777 {
        return Err(Error::Spec(format!("{what}: mode {m:#o} has bits beyond 0o7777 (write it as 0o644)")));
    }
    Ok(m)
}

/// A local input file: its size now (the lock holds its digest).
fn local(path: &Path) -> Result<Content, Error> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
    if !meta.is_file() {
        return Err(Error::Spec(format!("{}: not a regular file", path.display())));
    }
    Ok(Content::Local(path.to_owned(), meta.len()))
}

/// Every entry of the local tree `dir`, under `at`, sorted.
fn tree(dir: &Path, at: &str, uid: u32, gid: u32, out: &mut Vec<Entry>) -> Result<(), Error> {
    let mut names: Vec<_> = std::fs::read_dir(dir).map_err(|source| Error::Read { path: dir.to_owned(), source })?.collect::<Result<_, _>>().map_err(|source| Error::Read { path: dir.to_owned(), source })?;
    names.sort_by_key(std::fs::DirEntry::file_name);
    for e in names {
        let path = e.path();
        let name = e.file_name().into_string().map_err(|_| Error::Spec(format!("{}: not UTF-8", path.display())))?;
        let inside = format!("{at}/{name}");
        let kind = e.file_type().map_err(|source| Error::Read { path: path.clone(), source })?;
        if kind.is_symlink() {
            let target = std::fs::read_link(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
            out.push(Entry { path: inside, node: Node::Symlink { target: target.to_string_lossy().into_owned() }, uid, gid });
        } else if kind.is_dir() {
            out.push(Entry { path: inside.clone(), node: Node::Dir { mode: 0o755 }, uid, gid });
            tree(&path, &inside, uid, gid, out)?;
        } else if kind.is_file() {
            // Only the executable bit is taken from the local file: umask and checkout modes vary.
            let exec = std::os::unix::fs::PermissionsExt::mode(&e.metadata().map_err(|source| Error::Read { path: path.clone(), source })?.permissions()) & 0o111 != 0;
            out.push(Entry { path: inside, node: Node::File { content: local(&path)?, mode: if exec { 0o755 } else { 0o644 } }, uid, gid });
        } else {
            return Err(Error::Spec(format!("{}: neither a file, a directory nor a link", path.display())));
        }
    }
    Ok(())
}

/// The entries of `[[files]]`, `[[dirs]]` and `[[symlinks]]`.
pub fn step(spec: &Spec, spec_dir: &Path, accounts: &Accounts) -> Result<Vec<Entry>, Error> {
    let mut out = Vec::new();
    for f in &spec.files {
        let what = format!("[[files]] {}", f.path);
        let path = image_path("[[files]]", &f.path)?;
        let (uid, gid) = owner(&what, f.owner(), accounts)?;
        let content = match (&f.source, &f.content) {
            (Some(s), None) => local(&spec_dir.join(s))?,
            (None, Some(c)) => Content::Bytes(c.clone().into_bytes()),
            _ => return Err(Error::Spec(format!("{what}: give exactly one of `source` and `content`"))),
        };
        out.push(Entry { path, node: Node::File { content, mode: mode(&what, f.mode, 0o644)? }, uid, gid });
    }
    for d in &spec.dirs {
        let what = format!("[[dirs]] {}", d.path);
        let path = image_path("[[dirs]]", &d.path)?;
        let (uid, gid) = owner(&what, d.owner(), accounts)?;
        out.push(Entry { path: path.clone(), node: Node::Dir { mode: mode(&what, d.mode, 0o755)? }, uid, gid });
        if let Some(source) = &d.source {
            let source: PathBuf = spec_dir.join(source);
            if !source.is_dir() {
                return Err(Error::Spec(format!("{what}: {} is not a directory", source.display())));
            }
            tree(&source, &path, uid, gid, &mut out)?;
        }
    }
    for l in &spec.symlinks {
        if l.target.is_empty() || l.target.contains('\0') {
            return Err(Error::Spec(format!("[[symlinks]] {}: empty target", l.path)));
        }
        out.push(Entry { path: image_path("[[symlinks]]", &l.path)?, node: Node::Symlink { target: l.target.clone() }, uid: 0, gid: 0 });
    }
    Ok(out)
}

/// Whiteouts for `remove` and the presets; `env` is the image's final
/// `Env`, whose `PATH` says where programs are looked for.
pub fn removals(spec: &Spec, base: &Base, env: &[String]) -> Result<Vec<Entry>, Error> {
    let mut paths = Vec::new();
    for p in &spec.remove {
        let written = image_path("remove", p)?;
        // `/bin/sh` on a merged-/usr base is `/usr/bin/sh`: a whiteout must name the real place.
        let path = temper_check::checks::path_through_links(&base.merged, &written).filter(|r| base.exists(r)).ok_or_else(|| Error::Spec(format!("remove `{p}`: nothing there in the base")))?;
        paths.push(path);
    }
    if spec.remove_shells {
        paths.extend(temper_check::checks::shell_paths(&base.merged, env));
    }
    if spec.remove_package_managers {
        paths.extend(temper_check::checks::package_manager_paths(&base.merged, env));
    }
    paths.sort();
    paths.dedup();
    Ok(paths.into_iter().map(|path| Entry { path, node: Node::Whiteout, uid: 0, gid: 0 }).collect())
}
