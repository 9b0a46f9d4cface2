//! Catalogers, one file each, all listed in [`registry`].

mod apk;
mod dpkg;
mod npm;
pub(crate) mod os_release;
mod python;
pub mod rpm;

use temper_layer::Analyzer;

use crate::package::Fact;

/// Every cataloger, in the order they are reported. Adding one is a file
/// in this directory and a line here.
pub fn registry() -> Vec<&'static dyn Analyzer<Fact>> {
    vec![
        &os_release::OsReleaseCataloger,
        &dpkg::DpkgCataloger,
        &apk::ApkCataloger,
        &rpm::RpmCataloger,
        &npm::NpmCataloger,
        &python::PythonCataloger,
    ]
}

/// Whether the file at `path` is a package database that every layer
/// installing a package rewrites whole (see `Inventory::build`).
pub(crate) fn rewritten_database(path: &str) -> bool {
    path == "var/lib/dpkg/status" || path == apk::INSTALLED || rpm::is_database(path)
}
