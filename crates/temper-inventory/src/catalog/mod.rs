//! Catalogers, one file each, all listed in [`registry`].

mod composer;
mod dotnet;
mod dpkg;
mod gem;
mod java;
mod npm;
mod os_release;
mod python;

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
        &java::JavaCataloger,
        &gem::GemCataloger,
        &composer::ComposerCataloger,
        &dotnet::DotnetCataloger,
    ]
}

/// A regular file's entry, for `wants` tables in the catalogers' tests.
#[cfg(test)]
fn test_entry() -> temper_layer::FileEntry {
    temper_layer::FileEntry { path: String::new(), kind: temper_layer::EntryKind::File, size: 100, mode: 0o644, uid: 0, gid: 0 }
}
