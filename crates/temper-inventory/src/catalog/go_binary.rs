//! Go modules from the build information the Go linker embeds in every
//! executable since Go 1.13 (what `go version -m` prints).
//!
//! The format, as Go's `debug/buildinfo` reads it: a 32-byte header
//! aligned to 16 bytes, starting with the magic `\xff Go buildinf:`, then
//! the pointer size (byte 14) and flags (byte 15: bit 0 big-endian, bit 1
//! inline strings). It sits in its own section (ELF `.go.buildinfo`,
//! Mach-O `__go_buildinfo`) or, where there is none, at the start of the
//! writable data (PE `.data`, the writable `PT_LOAD` of an ELF without
//! section headers).
//! - Go ≥ 1.18 (inline): after the header, two strings each prefixed by
//!   its length as an unsigned LEB128 varint: the toolchain version
//!   (`go1.19.8`) and the module information.
//! - Go 1.13–1.17 (pointer): at offsets 16 and 16 + pointer size, the
//!   virtual addresses of two Go string headers (data address, length),
//!   which are translated to file offsets through the segments.
//!
//! The module information is wrapped in two 16-byte sentinels and holds
//! tab-separated lines: `path` (main package), `mod` (main module: path,
//! version, sum), `dep` (path, version, h1 sum), `=>` (replaces the line
//! before it) and `build` (`key=value` settings, quoted Go-style when
//! needed). Binaries built outside module mode (GOPATH) have no `mod` and
//! no `dep` lines, but still a toolchain version.
//!
//! Reported: the standard library as `stdlib` at the toolchain version in
//! module style (`go1.19.8` → `v1.19.8`, `go1.21rc2` → `v1.21.0-rc.2`),
//! the main module, and every dependency; a replacement with a version
//! takes the place of what it replaces, a local-directory replacement (no
//! version) keeps the required path at `(devel)`, as Go itself prints
//! modules built from a directory. A main module at `(devel)` takes a
//! version set with `-ldflags "-X <pkg>.version=…"` when there is exactly
//! one such flag, else stays `(devel)` (its purl percent-encodes the
//! parentheses). Each module's `h1:` sum becomes the package's checksum.
//! The main module is the binary's direct package and requires every other
//! module (see [`packages`]).
//!
//! Hand-parsed because no maintained Rust crate reads this format; the
//! object-file layer is the `object` crate. See [`super::binary`] for
//! which files are read and why 160 MiB.

use object::{BinaryFormat, Object, ObjectSection, ObjectSegment, SegmentFlags};
use temper_layer::{Analyzer, FileEntry};

use super::binary;
use crate::package::{Ecosystem, Fact, Package};

pub struct GoBinaryCataloger;

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
const ALIGN: usize = 16;
const FLAG_BIG_ENDIAN: u8 = 0x1;
const FLAG_INLINE: u8 = 0x2;
/// Longest version or module-information string accepted; real ones are a
/// few KiB even for programs with hundreds of modules.
const MAX_STRING: u64 = 4 << 20;

/// What the build information says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// Toolchain version as written (`go1.19.8`).
    pub go_version: String,
    /// Main module (path, version), absent in GOPATH mode.
    pub main: Option<(String, String)>,
    /// Dependencies (path, version), replacements applied.
    pub deps: Vec<(String, String)>,
    /// The `h1:` sums of modules, by path (after replacement).
    pub sums: std::collections::BTreeMap<String, String>,
    /// `build` settings in order.
    pub settings: Vec<(String, String)>,
}

/// Reads the build information of an object file; `Ok(None)` when it is
/// not a Go binary.
pub fn read(content: &[u8]) -> Result<Option<BuildInfo>, String> {
    let Some(file) = binary::parse(content)? else { return Ok(None) };
    let Some((addr, data)) = find_header(&file)? else { return Ok(None) };
    let ptr_size = usize::from(data[14]);
    let flags = data[15];
    let (version, modinfo) = if flags & FLAG_INLINE != 0 {
        let rest = &data[HEADER_LEN..];
        let (version, rest) = varint_string(rest).ok_or("build info: truncated Go version")?;
        let (modinfo, _) = varint_string(rest).ok_or("build info: truncated module information")?;
        (version, modinfo)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!("build info at {addr:#x}: pointer size {ptr_size}"));
        }
        let big = flags & FLAG_BIG_ENDIAN != 0;
        let ptr = |b: &[u8]| read_uint(b, ptr_size, big);
        let version_at = ptr(&data[16..]).ok_or("build info: truncated header")?;
        let modinfo_at = ptr(&data[16 + ptr_size..]).ok_or("build info: truncated header")?;
        let version = go_string(&file, version_at, ptr_size, big).ok_or_else(|| format!("build info: Go version at {version_at:#x} is outside the file or over 4 MiB"))?;
        // A binary without module support has a null pointer here.
        let modinfo = if modinfo_at == 0 {
            &[][..]
        } else {
            go_string(&file, modinfo_at, ptr_size, big).ok_or_else(|| format!("build info: module information at {modinfo_at:#x} is outside the file or over 4 MiB"))?
        };
        (version, modinfo)
    };
    let go_version = std::str::from_utf8(version).map_err(|_| "build info: Go version is not UTF-8")?;
    if !go_version.starts_with("go") && !go_version.starts_with("devel") {
        return Err(format!("build info: '{}' is not a Go version", go_version.escape_debug()));
    }
    let modinfo = String::from_utf8_lossy(strip_sentinels(modinfo));
    let mut info = parse_modinfo(&modinfo);
    info.go_version = go_version.to_owned();
    Ok(Some(info))
}

/// The header's address and the bytes from it to the end of its region.
fn find_header<'a>(file: &object::File<'a>) -> Result<Option<(u64, &'a [u8])>, String> {
    // Where the linker puts it, then where Go's reader looks when that
    // section is missing.
    let names: &[&str] = match file.format() {
        BinaryFormat::Elf => &[".go.buildinfo"],
        BinaryFormat::MachO => &["__go_buildinfo", "__data"],
        _ => &[".data"],
    };
    let mut regions = Vec::new();
    if let Some(s) = names.iter().find_map(|n| file.section_by_name(n)) {
        regions.push((s.address(), s.data().map_err(|e| format!("section {}: {e}", s.name().unwrap_or("?")))?));
    } else if file.format() == BinaryFormat::Elf && file.sections().next().is_none() {
        // Section headers stripped: Go looks in the writable loaded segments.
        for seg in file.segments() {
            if matches!(seg.flags(), SegmentFlags::Elf { p_flags } if p_flags & object::elf::PF_W != 0) {
                regions.push((seg.address(), seg.data().map_err(|e| format!("segment at {:#x}: {e}", seg.address()))?));
            }
        }
    }
    for (addr, data) in regions {
        let found = (0..data.len().saturating_sub(HEADER_LEN - 1)).step_by(ALIGN).find(|&i| data[i..].starts_with(MAGIC));
        if let Some(i) = found {
            return Ok(Some((addr.wrapping_add(i as u64), &data[i..])));
        }
    }
    Ok(None)
}

/// An unsigned LEB128-length-prefixed string and what follows it.
fn varint_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        len |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let start = i + 1;
            let end = start.checked_add(usize::try_from(len).ok()?)?;
            return Some((b.get(start..end)?, &b[end..]));
        }
    }
    None
}

fn read_uint(b: &[u8], size: usize, big: bool) -> Option<u64> {
    let b = b.get(..size)?;
    let fold = |acc: u64, &x: &u8| acc << 8 | u64::from(x);
    Some(if big { b.iter().fold(0, fold) } else { b.iter().rev().fold(0, fold) })
}

/// The bytes of the Go string whose header (data address, length) is at
/// `addr`.
fn go_string<'a>(file: &object::File<'a>, addr: u64, ptr_size: usize, big: bool) -> Option<&'a [u8]> {
    let header = binary::read_at(file, addr, 2 * ptr_size as u64)?;
    let data = read_uint(header, ptr_size, big)?;
    let len = read_uint(&header[ptr_size..], ptr_size, big)?;
    if len == 0 {
        return Some(&[]);
    }
    if len > MAX_STRING {
        return None;
    }
    binary::read_at(file, data, len)
}

/// The module information without its two 16-byte sentinels; empty when
/// they are missing (as Go's reader does).
fn strip_sentinels(m: &[u8]) -> &[u8] {
    if m.len() >= 33 && m[m.len() - 17] == b'\n' { &m[16..m.len() - 16] } else { &[] }
}

/// Parses the tab-separated module lines.
pub fn parse_modinfo(text: &str) -> BuildInfo {
    let mut info = BuildInfo::default();
    // Whether the last module line was the main module or a dependency,
    // so that `=>` knows what it replaces.
    let mut last_is_main = false;
    for line in text.lines() {
        let mut f = line.split('\t');
        let (Some(kind), a, b) = (f.next(), f.next().unwrap_or_default(), f.next().unwrap_or_default()) else { continue };
        let sum = f.next().filter(|s| s.starts_with("h1:"));
        match kind {
            "mod" => {
                info.main = Some((a.to_owned(), b.to_owned()));
                if let Some(sum) = sum {
                    info.sums.insert(a.to_owned(), sum.to_owned());
                }
                last_is_main = true;
            }
            "dep" => {
                info.deps.push((a.to_owned(), b.to_owned()));
                if let Some(sum) = sum {
                    info.sums.insert(a.to_owned(), sum.to_owned());
                }
                last_is_main = false;
            }
            "=>" => {
                let target = if last_is_main { info.main.as_mut() } else { info.deps.last_mut() };
                if let Some(m) = target {
                    if b.is_empty() {
                        m.1 = "(devel)".to_owned();
                    } else {
                        *m = (a.to_owned(), b.to_owned());
                        if let Some(sum) = sum {
                            info.sums.insert(a.to_owned(), sum.to_owned());
                        }
                    }
                }
            }
            "build" => {
                // Keys and values are quoted Go-style when they hold spaces,
                // tabs, quotes or `=` (keys only).
                let (k, v) = split_setting(a);
                info.settings.push((k, v));
            }
            _ => {}
        }
    }
    info
}

fn split_setting(s: &str) -> (String, String) {
    let (key, rest) = if s.starts_with('"') {
        let (k, n) = unquote(s);
        (k, s.get(n..).unwrap_or_default().strip_prefix('=').unwrap_or_default())
    } else {
        match s.split_once('=') {
            Some((k, v)) => (k.to_owned(), v),
            None => (s.to_owned(), ""),
        }
    };
    let value = if rest.starts_with('"') { unquote(rest).0 } else { rest.to_owned() };
    (key, value)
}

/// A Go double-quoted string at the start of `s`: its value and the bytes
/// it took. Only the escapes `strconv.Quote` emits for printable text are
/// decoded; others are kept as written.
fn unquote(s: &str) -> (String, usize) {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, i + 1),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, e)) if e == '"' || e == '\\' => out.push(e),
                Some((_, e)) => {
                    out.push('\\');
                    out.push(e);
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    (out, s.len())
}

/// `go1.19.8` → `v1.19.8`, `go1.20` → `v1.20.0`, `go1.21rc2` →
/// `v1.21.0-rc.2`; `None` for anything else (development toolchains).
pub fn module_version(go_version: &str) -> Option<String> {
    let v = go_version.split_whitespace().next()?.strip_prefix("go")?;
    let split = v.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(v.len());
    let (nums, pre) = v.split_at(split);
    let parts: Vec<&str> = nums.split('.').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let n = |i: usize| parts.get(i).copied().unwrap_or("0");
    let pre = if pre.is_empty() {
        String::new()
    } else {
        let tag = pre.trim_end_matches(|c: char| c.is_ascii_digit());
        let num = &pre[tag.len()..];
        if !matches!(tag, "rc" | "beta" | "alpha") || num.is_empty() {
            return None;
        }
        format!("-{tag}.{num}")
    };
    Some(format!("v{}.{}.{}{pre}", n(0), n(1), n(2)))
}

/// The version given with `-ldflags "-X path.version=…"` (also `Version`,
/// `gitVersion`…: the variable's name ends in `version`), when exactly one
/// such flag is set.
fn ldflags_version(settings: &[(String, String)]) -> Option<String> {
    let flags = &settings.iter().find(|(k, _)| k == "-ldflags")?.1;
    let mut words = flags.split_whitespace().map(|w| w.trim_matches(|c| c == '\'' || c == '"'));
    let mut found = Vec::new();
    while let Some(w) = words.next() {
        let assignment = match w {
            "-X" | "--X" => words.next(),
            w => w.strip_prefix("-X=").or_else(|| w.strip_prefix("--X=")),
        };
        if let Some((var, value)) = assignment.and_then(|a| a.split_once('='))
            && var.rsplit('.').next().is_some_and(|name| name.to_ascii_lowercase().ends_with("version"))
            && value.trim_start_matches('v').starts_with(|c: char| c.is_ascii_digit())
        {
            found.push(value.to_owned());
        }
    }
    found.dedup();
    match found.as_slice() {
        [one] if one.starts_with('v') => Some(one.clone()),
        [one] => Some(format!("v{one}")),
        _ => None,
    }
}

fn golang(name: &str, version: &str, checksum: Option<&String>) -> Package {
    Package { checksum: checksum.cloned(), ..Package::new(name, version, Ecosystem::Golang) }
}

/// The packages of a build: `stdlib`, the main module, the dependencies.
/// The binary holds its main module directly, which requires every other
/// module built in (the build info does not say which module requires
/// which); without a main module (GOPATH mode) it holds them all directly.
pub fn packages(info: &BuildInfo) -> Vec<Fact> {
    let stdlib = module_version(&info.go_version).unwrap_or_else(|| info.go_version.clone());
    let mut built_in = vec![golang("stdlib", &stdlib, None)];
    built_in.extend(info.deps.iter().filter(|(p, _)| !p.is_empty()).map(|(p, v)| golang(p, v, info.sums.get(p))));
    let main = info.main.as_ref().filter(|(path, _)| !path.is_empty()).map(|(path, version)| {
        let version = match version.as_str() {
            "" | "(devel)" => ldflags_version(&info.settings).unwrap_or_else(|| "(devel)".to_owned()),
            v => v.to_owned(),
        };
        let depends = built_in.iter().map(|p| format!("{}@{}", p.name, p.version)).collect();
        Package { depends, direct: true, ..golang(path, &version, info.sums.get(path)) }
    });
    if main.is_none() {
        built_in.iter_mut().for_each(|p| p.direct = true);
    }
    let mut facts = Vec::with_capacity(built_in.len() + 1);
    let mut built_in = built_in.into_iter();
    facts.extend(built_in.next().map(Fact::Package));
    facts.extend(main.map(Fact::Package));
    facts.extend(built_in.map(Fact::Package));
    facts
}

impl Analyzer<Fact> for GoBinaryCataloger {
    fn id(&self) -> &'static str {
        "go-binary"
    }
    fn version(&self) -> u32 {
        3
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
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        Ok(read(content)?.map(|info| packages(&info)).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use temper_layer::Analyzer;

    use super::super::binary::testutil::{self, BASE, DATA_OFFSET};
    use super::*;

    /// `.go.buildinfo` of the corpus's `linkcheck` (Go 1.19.8, inline format).
    const LINKCHECK: &[u8] = include_bytes!("../../testdata/binaries/linkcheck.go.buildinfo");
    /// `.go.buildinfo` of the corpus's `skopeo` (built in GOPATH mode).
    const SKOPEO: &[u8] = include_bytes!("../../testdata/binaries/skopeo.go.buildinfo");

    fn names(facts: &[Fact]) -> Vec<(String, String)> {
        facts
            .iter()
            .map(|f| match f {
                Fact::Package(p) => {
                    assert_eq!(p.ecosystem, Ecosystem::Golang);
                    (p.name.clone(), p.version.clone())
                }
                other => panic!("not a package: {other:?}"),
            })
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    fn linkcheck_packages() -> Vec<(String, String)> {
        pairs(&[("stdlib", "v1.19.8"), ("example.com/lab/linkcheck", "(devel)"), ("golang.org/x/crypto", "v0.4.0"), ("golang.org/x/net", "v0.7.0")])
    }

    #[test]
    fn reads_inline_build_info_from_elf_macho_and_pe() {
        for format in [BinaryFormat::Elf, BinaryFormat::MachO] {
            let name = if format == BinaryFormat::Elf { ".go.buildinfo" } else { "__go_buildinfo" };
            let file = testutil::with_section(format, name, LINKCHECK);
            let facts = GoBinaryCataloger.analyze("usr/local/bin/linkcheck", &file).unwrap();
            assert_eq!(names(&facts), linkcheck_packages(), "{format:?}");
            let info = read(&file).unwrap().unwrap();
            assert!(info.settings.contains(&("CGO_ENABLED".to_owned(), "1".to_owned())), "{:?}", info.settings);
        }
        // PE: no section of its own; the header opens `.data`.
        let exe = testutil::pe_with_section(".data", LINKCHECK);
        assert_eq!(names(&GoBinaryCataloger.analyze("app/linkcheck.exe", &exe).unwrap()), linkcheck_packages());
    }

    #[test]
    fn gopath_mode_binary_still_gives_stdlib() {
        let file = testutil::with_section(BinaryFormat::Elf, ".go.buildinfo", SKOPEO);
        let info = read(&file).unwrap().unwrap();
        assert_eq!((info.go_version.as_str(), info.main.is_none(), info.deps.is_empty()), ("go1.19.8", true, true));
        assert_eq!(names(&GoBinaryCataloger.analyze("skopeo", &file).unwrap()), pairs(&[("stdlib", "v1.19.8")]));
    }

    #[test]
    fn go_main_module_requires_every_module_of_its_binary() {
        let file = testutil::with_section(BinaryFormat::Elf, ".go.buildinfo", LINKCHECK);
        let packages: Vec<Package> = GoBinaryCataloger.analyze("usr/local/bin/linkcheck", &file).unwrap().into_iter().filter_map(|f| if let Fact::Package(p) = f { Some(p) } else { None }).collect();
        let main = packages.iter().find(|p| p.name == "example.com/lab/linkcheck").unwrap();
        assert!(main.direct);
        assert_eq!(main.depends, ["stdlib@v1.19.8", "golang.org/x/crypto@v0.4.0", "golang.org/x/net@v0.7.0"]);
        assert!(packages.iter().filter(|p| p.name != main.name).all(|p| !p.direct && p.depends.is_empty()));
        // Without a main module the binary holds every module directly.
        let file = testutil::with_section(BinaryFormat::Elf, ".go.buildinfo", SKOPEO);
        assert!(GoBinaryCataloger.analyze("skopeo", &file).unwrap().iter().all(|f| matches!(f, Fact::Package(p) if p.direct)));
    }

    const OLD_MODINFO: &[u8] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6path\texample.com/old\nmod\texample.com/old\t(devel)\t\ndep\tgithub.com/a/b\tv1.0.0\th1:x=\n=>\tgithub.com/a/c\tv1.1.0\th1:y=\ndep\tgithub.com/local\tv0.1.0\t\n=>\t../local\t\t\n\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

    /// The build information of a Go 1.13–1.17 binary: the header holds
    /// pointers to two Go string headers, which point to the bytes; all
    /// laid out from [`DATA_OFFSET`] of [`testutil::exec_without_sections`].
    fn pointer_format(version: &[u8], modinfo: &[u8]) -> Vec<u8> {
        let at = BASE + DATA_OFFSET;
        let (hdr_v, hdr_m, str_v) = (at + 32, at + 48, at + 64);
        let str_m = str_v + version.len() as u64;
        let mut data = b"\xff Go buildinf:\x08\x00".to_vec();
        for v in [hdr_v, hdr_m, str_v, version.len() as u64, str_m, modinfo.len() as u64] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        data.extend_from_slice(version);
        data.extend_from_slice(modinfo);
        data
    }

    /// Pointer format resolved through the segment of an ELF that has no
    /// section headers; replacements applied.
    #[test]
    fn reads_pointer_format_through_segments() {
        let data = pointer_format(b"go1.16.15", OLD_MODINFO);
        let file = testutil::exec_without_sections(&data);
        let facts = GoBinaryCataloger.analyze("app", &file).unwrap();
        assert_eq!(
            names(&facts),
            pairs(&[("stdlib", "v1.16.15"), ("example.com/old", "(devel)"), ("github.com/a/c", "v1.1.0"), ("github.com/local", "(devel)")])
        );
        // A string pointer outside the file is named in the error.
        let mut bad = data.clone();
        bad[16..24].copy_from_slice(&0xdead_0000u64.to_le_bytes());
        let err = GoBinaryCataloger.analyze("app", &testutil::exec_without_sections(&bad)).unwrap_err();
        assert!(err.contains("0xdead0000"), "{err}");
    }

    #[test]
    fn not_go_gives_nothing() {
        assert!(GoBinaryCataloger.analyze("run.sh", b"#!/bin/sh\nexec /app \"$@\"\n").unwrap().is_empty());
        let rust = testutil::with_section(BinaryFormat::Elf, ".data", b"hello");
        assert!(GoBinaryCataloger.analyze("bin/tool", &rust).unwrap().is_empty());
        // A truncated ELF is an error, not silence.
        assert!(GoBinaryCataloger.analyze("bin/broken", &rust[..40]).is_err());
    }

    #[test]
    fn sums_follow_replacements() {
        let info = parse_modinfo(
            "path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/net\tv0.7.0\th1:abc=\ndep\told.example/lib\tv1.0.0\th1:old=\n=>\tnew.example/lib\tv1.2.0\th1:new=\ndep\tlocal.example/x\tv0.1.0\th1:x=\n=>\t../x\t\t\n",
        );
        let sums: Vec<(String, Option<String>)> = packages(&info)
            .into_iter()
            .map(|f| match f {
                Fact::Package(p) => (format!("{}@{}", p.name, p.version), p.checksum),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            sums[1..],
            [
                ("example.com/app@(devel)".to_owned(), None),
                ("golang.org/x/net@v0.7.0".to_owned(), Some("h1:abc=".to_owned())),
                ("new.example/lib@v1.2.0".to_owned(), Some("h1:new=".to_owned())),
                ("local.example/x@(devel)".to_owned(), Some("h1:x=".to_owned())),
            ]
        );
    }

    #[test]
    fn module_versions_of_toolchains() {
        assert_eq!(module_version("go1.19.8").as_deref(), Some("v1.19.8"));
        assert_eq!(module_version("go1.20").as_deref(), Some("v1.20.0"));
        assert_eq!(module_version("go1.21rc2").as_deref(), Some("v1.21.0-rc.2"));
        assert_eq!(module_version("go1.22.1 X:boringcrypto").as_deref(), Some("v1.22.1"));
        assert_eq!(module_version("devel go1.23-abc123"), None);
    }

    #[test]
    fn devel_main_module_takes_an_obvious_ldflags_version() {
        let text = "mod\texample.com/app\t(devel)\t\nbuild\t-ldflags=\"-s -w -X example.com/app/internal.Version=1.4.2\"\n";
        assert_eq!(names(&packages(&BuildInfo { go_version: "go1.21.0".into(), ..parse_modinfo(text) }))[1], ("example.com/app".to_owned(), "v1.4.2".to_owned()));
        // Two different versions: not obvious, stays (devel).
        let text = "mod\texample.com/app\t(devel)\t\nbuild\t-ldflags=\"-X main.version=1.0 -X main.goVersion=1.21\"\n";
        assert_eq!(names(&packages(&BuildInfo { go_version: "go1.21.0".into(), ..parse_modinfo(text) }))[1].1, "(devel)");
    }

    #[test]
    fn wants_object_files_with_an_executable_bit() {
        let entry = |mode, size| temper_layer::FileEntry { path: "x".into(), kind: temper_layer::EntryKind::File, size, mode, uid: 0, gid: 0 };
        assert!(GoBinaryCataloger.wants("usr/local/bin/app", &entry(0o755, 4096)));
        assert!(!GoBinaryCataloger.wants("usr/lib/x86_64-linux-gnu/libnode.so.108", &entry(0o644, 47_461_152)));
        assert!(!GoBinaryCataloger.wants("usr/bin/true-script", &entry(0o755, 10)));
        // Then by the head: object files only, not scripts or executable data.
        assert!(GoBinaryCataloger.wants_head(&testutil::with_section(BinaryFormat::Elf, ".go.buildinfo", SKOPEO)));
        assert!(GoBinaryCataloger.wants_head(&testutil::with_section(BinaryFormat::MachO, "__go_buildinfo", SKOPEO)));
        assert!(GoBinaryCataloger.wants_head(&testutil::pe_with_section(".data", SKOPEO)));
        assert!(!GoBinaryCataloger.wants_head(b"#!/bin/sh\nexec node /app/server.js\n"));
        assert!(!GoBinaryCataloger.wants_head(b"\x1f\x8b\x08\x00"));
    }

    #[test]
    fn fuzz_seeds() {
        testutil::seed("catalog_go_binary", "linkcheck-elf", &testutil::with_section(BinaryFormat::Elf, ".go.buildinfo", LINKCHECK));
        testutil::seed("catalog_go_binary", "skopeo-macho", &testutil::with_section(BinaryFormat::MachO, "__go_buildinfo", SKOPEO));
        testutil::seed("catalog_go_binary", "go1.16-pointer-elf", &testutil::exec_without_sections(&pointer_format(b"go1.16.15", OLD_MODINFO)));
    }
}
