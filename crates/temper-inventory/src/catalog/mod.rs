//! Catalogers, one file each, all listed in [`registry`].

mod apk;
mod binary;
mod bounded;
mod cargo_lock;
mod composer;
mod dotnet;
mod dpkg;
mod gem;
mod go_binary;
mod java;
pub(crate) mod npm;
mod npm_lock;
pub(crate) mod os_release;
mod pnpm_lock;
mod python;
mod python_lock;
pub mod rpm;
mod rust_binary;
mod yarn_lock;

use temper_layer::Analyzer;

use crate::package::{Fact, Package};

/// Every cataloger, in the order they are reported. Adding one is a file
/// in this directory and a line here.
pub fn registry() -> Vec<&'static dyn Analyzer<Fact>> {
    vec![
        &os_release::OsReleaseCataloger,
        &dpkg::DpkgCataloger,
        &apk::ApkCataloger,
        &rpm::RpmCataloger,
        &npm::NpmCataloger,
        &npm_lock::NpmLockCataloger,
        &yarn_lock::YarnLockCataloger,
        &pnpm_lock::PnpmLockCataloger,
        &python::PythonCataloger,
        &python_lock::PythonLockCataloger,
        &java::JavaCataloger,
        &gem::GemCataloger,
        &composer::ComposerCataloger,
        &dotnet::DotnetCataloger,
        &go_binary::GoBinaryCataloger,
        &rust_binary::RustBinaryCataloger,
        &cargo_lock::CargoLockCataloger,
    ]
}

/// Whether the file at `path` is a package database that every layer
/// installing a package rewrites whole (see `Inventory::build`).
pub(crate) fn rewritten_database(path: &str) -> bool {
    path == "var/lib/dpkg/status" || path == apk::INSTALLED || rpm::is_database(path)
}

/// Catalogers that read lockfiles: what they report may be installed
/// elsewhere in the image, so the inventory merges it (see
/// [`crate::Inventory::build`]).
const LOCKFILES: &[&str] = &["npm-lock", "yarn-lock", "pnpm-lock", "python-lock", "cargo-lock"];

/// Whether the cataloger `id` reads lockfiles.
pub fn is_lockfile(id: &str) -> bool {
    LOCKFILES.contains(&id)
}

/// Whether `path` lies inside an installed package (under `node_modules`,
/// `site-packages` or `dist-packages`): lockfiles there describe that
/// package's own development checkout, not the image.
fn inside_installed_package(path: &str) -> bool {
    path.split('/').any(|c| matches!(c, "node_modules" | "site-packages" | "dist-packages"))
}

/// Whether `path` is a lockfile with one of `names` that describes the
/// image, i.e. not one inside an installed package.
fn lockfile_named(path: &str, names: &[&str]) -> bool {
    path.rsplit('/').next().is_some_and(|file| names.contains(&file)) && !inside_installed_package(path)
}

/// A lockfile's packages sorted by name and version, each once (a package
/// locked at several places in the tree is one package).
fn distinct(mut packages: Vec<Package>) -> Vec<Package> {
    packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    // Copies at two places in one graph are one package: direct if either
    // is, requiring what either requires.
    packages.dedup_by(|later, kept| {
        let same = later.name == kept.name && later.version == kept.version;
        if same {
            kept.direct |= later.direct;
            kept.depends.append(&mut later.depends);
        }
        same
    });
    for p in &mut packages {
        p.depends.sort_unstable();
        p.depends.dedup();
    }
    packages
}

/// `f`'s result, run on its own thread; panics when it takes over 30 s, so
/// a regression to unbounded work fails a test instead of hanging it. The
/// bound is generous: the test is about the result, not the speed.
#[cfg(test)]
#[allow(clippy::expect_used)]
fn watchdog<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(30)).expect("still working after 30 s")
}

/// About `size` bytes of `open` repeated, then as many `close`.
#[cfg(test)]
fn nested(open: &str, close: &str, size: usize) -> String {
    let n = size / (open.len() + close.len());
    format!("{}{}", open.repeat(n), close.repeat(n))
}

/// A regular file's entry, for `wants` tables in the catalogers' tests.
#[cfg(test)]
fn test_entry() -> temper_layer::FileEntry {
    temper_layer::FileEntry { path: String::new(), kind: temper_layer::EntryKind::File, size: 100, mode: 0o644, uid: 0, gid: 0 }
}
