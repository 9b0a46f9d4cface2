//! Catalogers, one file each, all listed in [`registry`].

mod binary;
mod cargo_lock;
mod dpkg;
mod go_binary;
mod npm;
mod os_release;
mod python;
mod rust_binary;

use temper_layer::Analyzer;

use crate::package::Fact;

/// Every cataloger, in the order they are reported. Adding one is a file
/// in this directory and a line here.
pub fn registry() -> Vec<&'static dyn Analyzer<Fact>> {
    vec![
        &os_release::OsReleaseCataloger,
        &dpkg::DpkgCataloger,
        &npm::NpmCataloger,
        &python::PythonCataloger,
        &go_binary::GoBinaryCataloger,
        &rust_binary::RustBinaryCataloger,
        &cargo_lock::CargoLockCataloger,
    ]
}
