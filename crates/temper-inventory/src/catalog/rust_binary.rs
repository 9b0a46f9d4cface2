//! Rust crates from the dependency list `cargo auditable build` embeds.
//!
//! The format (cargo-auditable's specification, format 0): a section
//! named `.dep-v0` (ELF, PE; Mach-O: in segment `__DATA`) holding a
//! zlib stream of JSON: `{"packages": [{"name", "version", "source",
//! "kind", "dependencies", "root"}]}`. `source` is `crates.io`, `git`,
//! `local` or `registry`; `kind` is `runtime` (the default, omitted) or
//! `build`; exactly one package is the `root`, the crate that was built.
//!
//! Every listed crate is reported, the root too (its source is local, so
//! its purl names a crate that may not be on crates.io). Build-only crates
//! (build scripts, proc macros and what they use) are reported like the
//! others: none of their code ships in the binary, but they ran while it
//! was built, so an advisory against them still concerns it. [`Package`]
//! has no field for the kind, so a reader cannot tell the two apart yet.
//!
//! The JSON is small and flat, so it is read with serde into our own
//! structs (unknown fields ignored) rather than through `auditable-info`,
//! which reads files itself. Inflating stops at 8 MiB: real lists are a
//! few KiB even for a thousand crates, and a zlib bomb in a stranger's
//! binary must not take the memory; what is inflated is charged to the
//! layer's work budget (see [`temper_layer::Budget`]), so a layer of many
//! small bombs costs no more than the budget. See [`super::binary`] for
//! which files are read.

use std::io::Read;

use serde::Deserialize;
use temper_layer::{Analyzer, Budget, FileEntry, LAYER_WORK};

use super::binary;
use crate::package::{Ecosystem, Fact, Package};

pub struct RustBinaryCataloger;

/// Largest inflated dependency list accepted.
const MAX_INFLATED: u64 = 8 << 20;

#[derive(Deserialize)]
struct VersionInfo {
    packages: Vec<Crate>,
}

#[derive(Deserialize)]
struct Crate {
    name: String,
    version: String,
}

/// The `(name, version)` of every crate listed in the binary; `Ok(None)`
/// when there is no `.dep-v0` section. Inflated bytes are charged to `budget`.
pub fn read(content: &[u8], budget: &Budget) -> Result<Option<Vec<(String, String)>>, String> {
    let Some(file) = binary::parse(content)? else { return Ok(None) };
    let Some(compressed) = binary::section(&file, ".dep-v0")? else { return Ok(None) };
    let mut json = Vec::new();
    let limit = MAX_INFLATED.min(budget.left());
    flate2::read::ZlibDecoder::new(compressed)
        .take(limit + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!(".dep-v0: not a zlib stream: {e}"))?;
    if json.len() as u64 > limit {
        return Err(if limit == MAX_INFLATED { format!(".dep-v0: inflates to more than {MAX_INFLATED} bytes") } else { format!(".dep-v0: {}", budget.exhausted()) });
    }
    budget.spend(json.len() as u64).map_err(|e| format!(".dep-v0: {e}"))?;
    let info: VersionInfo = serde_json::from_slice(&json).map_err(|e| format!(".dep-v0: {e}"))?;
    if let Some(c) = info.packages.iter().find(|c| c.name.is_empty() || c.version.is_empty()) {
        return Err(format!(".dep-v0: crate '{}' without a name or version", c.name.escape_debug()));
    }
    Ok(Some(info.packages.into_iter().map(|c| (c.name, c.version)).collect()))
}

impl Analyzer<Fact> for RustBinaryCataloger {
    fn id(&self) -> &'static str {
        "rust-binary"
    }
    fn version(&self) -> u32 {
        2
    }
    fn wants(&self, _: &str, entry: &FileEntry) -> bool {
        binary::wants(entry)
    }
    fn wants_head(&self, head: &[u8]) -> bool {
        binary::is_object(head)
    }
    fn max_bytes(&self) -> u64 {
        binary::MAX_BYTES
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        self.analyze_within(path, content, &Budget::new("layer", LAYER_WORK))
    }
    fn analyze_within(&self, _: &str, content: &[u8], budget: &Budget) -> Result<Vec<Fact>, String> {
        let crates = read(content, budget)?.unwrap_or_default();
        Ok(crates
            .into_iter()
            .map(|(name, version)| {
                Fact::Package(Package::new(name, version, Ecosystem::Cargo))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use object::BinaryFormat;
    use temper_layer::Analyzer;

    use super::super::binary::testutil;
    use super::*;

    /// `.dep-v0` of the corpus's `rusty-app` (12 crates, one build-only).
    const RUSTY_APP: &[u8] = include_bytes!("../../testdata/binaries/rusty-app.dep-v0");

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn reads_every_crate_from_elf_macho_and_pe() {
        for format in [BinaryFormat::Elf, BinaryFormat::MachO, BinaryFormat::Pe] {
            let file = if format == BinaryFormat::Pe { testutil::pe_with_section(".dep-v0", RUSTY_APP) } else { testutil::with_section(format, ".dep-v0", RUSTY_APP) };
            let facts = RustBinaryCataloger.analyze("usr/local/bin/rusty-app", &file).unwrap();
            let crates: Vec<(String, String)> = facts
                .iter()
                .map(|f| match f {
                    Fact::Package(p) if p.ecosystem == Ecosystem::Cargo => (p.name.clone(), p.version.clone()),
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(crates.len(), 12, "{format:?}");
            // The root crate (local source) and the build-only one are listed.
            assert!(crates.contains(&("rusty-app".to_owned(), "0.3.1".to_owned())));
            assert!(crates.contains(&("autocfg".to_owned(), "1.5.1".to_owned())));
            assert!(crates.contains(&("regex".to_owned(), "1.5.4".to_owned())));
        }
    }

    #[test]
    fn zlib_bomb_is_capped() {
        let mut json = br#"{"packages":[{"name":"a","version":"1.0.0","source":"local","root":true}]}"#.to_vec();
        json.resize(json.len() + (MAX_INFLATED as usize) + 1, b' ');
        let file = testutil::with_section(BinaryFormat::Elf, ".dep-v0", &zlib(&json));
        assert!(file.len() < 64 * 1024);
        let err = RustBinaryCataloger.analyze("bin/bomb", &file).unwrap_err();
        assert!(err.contains("inflates to more than"), "{err}");
    }

    /// Issue 12: inflating is charged to the layer's budget, shared by its files.
    #[test]
    fn inflating_is_charged_to_the_layer() {
        let mut json = br#"{"packages":[{"name":"a","version":"1.0.0","source":"local","root":true}]}"#.to_vec();
        json.resize(6 << 20, b' ');
        let file = testutil::with_section(BinaryFormat::Elf, ".dep-v0", &zlib(&json));
        let layer = Budget::new("layer", 10 << 20);
        assert_eq!(RustBinaryCataloger.analyze_within("bin/a", &file, &layer).unwrap().len(), 1);
        let err = RustBinaryCataloger.analyze_within("bin/b", &file, &layer).unwrap_err();
        assert_eq!(err, format!(".dep-v0: work budget of the layer ({} bytes inflated or decoded) used up", 10 << 20));
    }

    #[test]
    fn bad_contents_are_named() {
        let not_zlib = testutil::with_section(BinaryFormat::Elf, ".dep-v0", b"plain");
        assert!(RustBinaryCataloger.analyze("x", &not_zlib).unwrap_err().contains("not a zlib stream"));
        let no_version = testutil::with_section(BinaryFormat::Elf, ".dep-v0", &zlib(br#"{"packages":[{"name":"a","version":""}]}"#));
        assert!(RustBinaryCataloger.analyze("x", &no_version).unwrap_err().contains("'a' without a name or version"));
        let other = testutil::with_section(BinaryFormat::Elf, ".rodata", b"x");
        assert!(RustBinaryCataloger.analyze("x", &other).unwrap().is_empty());
    }

    #[test]
    fn fuzz_seeds() {
        testutil::seed("catalog_rust_binary", "rusty-app-elf", &testutil::with_section(BinaryFormat::Elf, ".dep-v0", RUSTY_APP));
        testutil::seed("catalog_rust_binary", "rusty-app-pe", &testutil::pe_with_section(".dep-v0", RUSTY_APP));
    }
}
