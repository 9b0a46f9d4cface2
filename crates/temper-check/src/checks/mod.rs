//! The hardening checks, one file each; [`registry`] lists them in report order.
//!
//! Checks read the merged filesystem as a container would see it, so the
//! helpers here follow symlinks the way the kernel does inside the
//! container's root: absolute targets start at the image root, `..` stops
//! there, and chains are cut after `MAX_HOPS` (40) links. Nothing is ever
//! followed outside the image, because there is no outside: only
//! [`Merged::files`] is consulted.
//!
//! Severities are chosen so that a stock distribution base image under the
//! default profile fails the default `--fail-on high` only for what is
//! serious on its own (running as root, an end-of-life OS); each check's
//! file says why it has the severity it has.

mod eol_os;
mod healthcheck;
mod image_size;
mod oci_labels;
mod package_caches;
mod package_manager;
mod runs_as_root;
mod setuid;
mod shell;
mod wasted_bytes;
mod world_writable;

#[cfg(test)]
mod testing;

use temper_layer::{EntryKind, Merged, MergedEntry};

use crate::{Check, Context};

/// Every check, in the order the report shows them.
pub fn registry() -> Vec<&'static dyn Check> {
    vec![
        &runs_as_root::RunsAsRoot,
        &shell::Shell,
        &package_manager::PackageManager,
        &setuid::Setuid,
        &world_writable::WorldWritable,
        &eol_os::EolOs,
        &package_caches::PackageCaches,
        &healthcheck::Healthcheck,
        &oci_labels::OciLabels,
        &image_size::ImageSize,
        &wasted_bytes::WastedBytes,
    ]
}

/// Longest chain of symlinks followed, as Linux's `MAXSYMLINKS`.
const MAX_HOPS: usize = 40;

/// `path` with every symlink on the way (the last component included)
/// resolved inside the image root. Components that are absent are kept as
/// written, since layers need not record every parent directory; the
/// caller looks the result up. `None` for a loop, a chain longer than
/// [`MAX_HOPS`], or a path that continues below something that is not a
/// directory.
pub(crate) fn resolve(merged: &Merged, path: &str) -> Option<String> {
    // Components still to walk, the next one last.
    let mut pending: Vec<String> = path.split('/').rev().map(str::to_owned).collect();
    let mut done: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => done.push(part),
        }
        let Some(m) = merged.files.get(&done.join("/")) else { continue };
        match &m.entry.kind {
            EntryKind::Symlink { target } => {
                hops += 1;
                if hops > MAX_HOPS {
                    return None;
                }
                done.pop();
                if target.starts_with('/') {
                    done.clear();
                }
                pending.extend(target.split('/').rev().map(str::to_owned));
            }
            EntryKind::Dir => {}
            _ if pending.iter().any(|p| !p.is_empty() && p != ".") => return None,
            _ => {}
        }
    }
    Some(done.join("/"))
}

/// A program found in the image.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Program {
    /// The file name looked for (`sh`).
    pub name: &'static str,
    /// Where it is, its directories resolved (`usr/bin/sh` for `bin/sh`
    /// when `bin -> usr/bin`).
    pub path: String,
    /// The file it finally resolves to.
    pub target: String,
}

impl Program {
    /// `/usr/bin/sh -> /usr/bin/dash`, or just the path when it is the file.
    pub fn display(&self) -> String {
        if self.path == self.target { format!("/{}", self.path) } else { format!("/{} -> /{}", self.path, self.target) }
    }
}

/// Where programs are looked for when the config's `PATH` does not say.
const PROGRAM_DIRS: [&str; 6] = ["bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin"];

/// [`PROGRAM_DIRS`] and the absolute directories of the config's `PATH`
/// (where a virtualenv's `pip` or a Node install's `npm` is found), root-relative.
pub(crate) fn program_dirs(cx: &Context<'_>) -> Vec<String> {
    program_dirs_of(cx.config.config.env.as_deref().unwrap_or_default())
}

/// [`program_dirs`] for a config's `Env`.
fn program_dirs_of(env: &[String]) -> Vec<String> {
    let mut dirs: Vec<String> = PROGRAM_DIRS.iter().map(|d| (*d).to_owned()).collect();
    let path = env.iter().find_map(|e| e.strip_prefix("PATH="));
    for d in path.into_iter().flat_map(|p| p.split(':')).filter_map(|d| d.strip_prefix('/')) {
        let d = d.trim_end_matches('/');
        if !d.is_empty() && !dirs.iter().any(|x| x == d) {
            dirs.push(d.to_owned());
        }
    }
    dirs
}

/// Every `dir/name` that leads to a file (a regular file or a hard link),
/// each place once however many spellings of its directory lead there,
/// sorted by path. A symlink to a missing file is not a program.
pub(crate) fn find_programs(merged: &Merged, dirs: &[String], names: &[&'static str]) -> Vec<Program> {
    let mut found: Vec<Program> = Vec::new();
    for dir in dirs {
        let Some(dir) = resolve(merged, dir) else { continue };
        for &name in names {
            let path = if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") };
            if found.iter().any(|p| p.path == path) {
                continue;
            }
            let Some(target) = resolve(merged, &path) else { continue };
            if merged.files.get(&target).is_some_and(is_file) {
                found.push(Program { name, path, target });
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// The paths that make the programs `names` reachable in an image whose
/// config has `env`: each name as found and the file it resolves to,
/// root-relative, sorted, once each. Removing them all makes the check
/// that looks for those programs pass (a build's removal presets).
fn reachable_paths(merged: &Merged, env: &[String], names: &[&'static str]) -> Vec<String> {
    let mut paths: Vec<String> = find_programs(merged, &program_dirs_of(env), names).into_iter().flat_map(|p| [p.path, p.target]).collect();
    paths.sort();
    paths.dedup();
    paths
}

/// `path` as the image sees it, its directories resolved through links
/// inside the root and its last component kept (removing a link removes
/// the link, not its target); `None` when a directory on the way loops or
/// is not one.
pub fn path_through_links(merged: &Merged, path: &str) -> Option<String> {
    match path.rsplit_once('/') {
        None => Some(path.to_owned()),
        Some((dir, name)) => {
            let dir = resolve(merged, dir)?;
            Some(if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") })
        }
    }
}

/// What must go for the `shell` check to pass (see [`reachable_paths`]).
pub fn shell_paths(merged: &Merged, env: &[String]) -> Vec<String> {
    reachable_paths(merged, env, &shell::SHELLS)
}

/// What must go for the `package-manager` check to pass (see [`reachable_paths`]).
pub fn package_manager_paths(merged: &Merged, env: &[String]) -> Vec<String> {
    reachable_paths(merged, env, &package_manager::MANAGERS)
}

/// A regular file, or a hard link (which is one).
fn is_file(m: &MergedEntry) -> bool {
    matches!(m.entry.kind, EntryKind::File | EntryKind::Hardlink { .. })
}

/// `24.0 MiB (25165824 bytes)`: readable, with the exact figure the
/// thresholds compare.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{v:.1} {} ({n} bytes)", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::testing::{dir, file, link};
    use super::*;

    fn merged(entries: Vec<temper_layer::FileEntry>) -> Merged {
        let mut m = Merged::default();
        for e in entries {
            m.files.insert(e.path.clone(), MergedEntry { entry: e, layer: 0 });
        }
        m
    }

    #[test]
    fn resolves_inside_the_root() {
        let m = merged(vec![
            link("bin", "usr/bin"),
            dir("usr", 0o755),
            dir("usr/bin", 0o755),
            file("usr/bin/dash", 0o755, 10),
            link("usr/bin/sh", "dash"),
            link("usr/bin/up", "../../../../etc"),
            link("abs", "/usr/bin/sh"),
            link("loop1", "loop2"),
            link("loop2", "loop1"),
        ]);
        assert_eq!(resolve(&m, "bin/sh").as_deref(), Some("usr/bin/dash"));
        assert_eq!(resolve(&m, "abs").as_deref(), Some("usr/bin/dash"));
        // `..` stops at the image root, as it does inside a container.
        assert_eq!(resolve(&m, "usr/bin/up/passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(resolve(&m, "loop1"), None);
        // Nothing lives below a regular file.
        assert_eq!(resolve(&m, "usr/bin/dash/x"), None);
        assert_eq!(resolve(&m, "/bin/./sh").as_deref(), Some("usr/bin/dash"));
    }

    #[test]
    fn programs_are_found_once_per_place() {
        let m = merged(vec![
            link("bin", "usr/bin"),
            dir("usr/bin", 0o755),
            file("usr/bin/dash", 0o755, 10),
            link("usr/bin/sh", "dash"),
            link("usr/bin/bash", "missing"),
        ]);
        let found = find_programs(&m, &["bin".to_owned(), "usr/bin".to_owned()], &["sh", "bash", "dash"]);
        let shown: Vec<String> = found.iter().map(Program::display).collect();
        assert_eq!(shown, ["/usr/bin/dash", "/usr/bin/sh -> /usr/bin/dash"]);
    }

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut ids: Vec<&str> = registry().iter().map(|c| c.id()).collect();
        assert!(ids.iter().all(|id| id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')), "{ids:?}");
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), registry().len());
    }

    #[test]
    fn a_distroless_image_passes_the_distroless_profile() {
        use super::testing::{TestImage, day};
        use crate::{Profile, Severity, Status};
        let mut image = TestImage::new()
            .passwd("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n")
            .layer(vec![dir("tmp", 0o1777), dir("home/nonroot", 0o700), file("var/lib/dpkg/status.d/base-files", 0o644, 100)])
            .layer(vec![file("app/server", 0o755, 1000)])
            .config(r#"{"User": "65532:65532", "Healthcheck": {"Test": ["CMD", "/app/server", "-health"]}}"#)
            .os("debian", Some("12"), Some("Distroless"))
            .profile(Profile::Distroless);
        image.settings.today = day(2025, time::Month::January, 1);
        let results = image.run_all();
        let failed: Vec<&str> = results.iter().filter(|r| r.status != Status::Pass).map(|r| r.id).collect();
        assert_eq!(failed, ["oci-labels"]);
        let shell = results.iter().find(|r| r.id == "shell").unwrap();
        assert_eq!(shell.severity, Severity::High);
        // The same image with a shell fails at high under this profile.
        let with_shell = image.layer(vec![file("bin/sh", 0o755, 100)]);
        let shell = with_shell.run_all().into_iter().find(|r| r.id == "shell").unwrap();
        assert_eq!((shell.status, shell.severity, shell.details), (Status::Fail, Severity::High, vec!["/bin/sh".to_owned()]));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(25_165_824), "24.0 MiB (25165824 bytes)");
    }
}
