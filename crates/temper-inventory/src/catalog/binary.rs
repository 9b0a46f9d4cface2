//! What the binary catalogers ([`super::go_binary`], [`super::rust_binary`])
//! share: which files they ask for, how much of them, and the object-file
//! reading (ELF, Mach-O, PE through the `object` crate, read-only).
//!
//! Which files: regular files with an executable bit. Go and Rust programs
//! are installed executable; Debian and most distros ship shared libraries
//! `0644`, so large native libraries and Node addons (the 125 MB `.node`
//! of the corpus's `big-node`) are not buffered at all. Executable shared
//! objects (Fedora's `0755` libraries) are read like programs: a Go
//! `c-shared` library or a Rust `cdylib` carries the same sections.
//!
//! Of those, only files that start like an object file ([`is_object`],
//! checked on the head the layer pass reads first) are buffered: scripts
//! and data files that happen to be executable (every file of an image
//! built from a `0777` checkout) cost 4 KiB, not their size.
//!
//! How much: the layer pass buffers a wanted file whole before handing it
//! over, so the cap is the peak memory one layer thread can spend on one
//! binary. 160 MiB covers the large Go programs seen in images (kubectl,
//! terraform, k3s: 50–130 MB); a bigger executable is reported as an
//! unknown rather than read.

use object::{Object, ObjectSection, ObjectSegment};
use temper_layer::FileEntry;

/// Largest executable read (see the module doc).
pub const MAX_BYTES: u64 = 160 << 20;

/// Below this nothing is an object file worth parsing (an ELF header alone
/// is 64 bytes); keeps `#!` one-liners out of the buffer.
const MIN_BYTES: u64 = 64;

/// Whether a file is a plausible program: executable bit and not tiny.
pub fn wants(entry: &FileEntry) -> bool {
    entry.mode & 0o111 != 0 && entry.size >= MIN_BYTES
}

/// Whether `head` starts like an ELF, Mach-O (thin, either byte order) or
/// PE file; everything else (scripts, data with an executable bit) is
/// skipped before it is buffered.
pub fn is_object(head: &[u8]) -> bool {
    let magic = head.get(..4).unwrap_or_default();
    magic == b"\x7fELF" || matches!(magic, [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe]) || magic.starts_with(b"MZ")
}

/// The object file in `content`, or `None` when it is not ELF, Mach-O or
/// PE at all: those are not worth an error. A file that has one of the
/// magics but does not parse is an error.
pub fn parse(content: &[u8]) -> Result<Option<object::File<'_>>, String> {
    if !is_object(content) {
        return Ok(None);
    }
    match object::File::parse(content) {
        Ok(file) => Ok(Some(file)),
        // A DOS stub without a PE header is an old DOS program, not ours.
        Err(_) if content.starts_with(b"MZ") => Ok(None),
        Err(e) => Err(format!("unreadable object file: {e}")),
    }
}

/// The bytes of the first section named `name` (Mach-O: in any segment).
pub fn section<'a>(file: &object::File<'a>, name: &str) -> Result<Option<&'a [u8]>, String> {
    match file.section_by_name(name) {
        Some(s) => s.data().map(Some).map_err(|e| format!("section {name}: {e}")),
        None => Ok(None),
    }
}

/// `size` bytes at virtual address `addr`, looked up through the loaded
/// segments (what the loader maps), then the sections (PE images and
/// Mach-O files where a section is all there is).
pub fn read_at<'a>(file: &object::File<'a>, addr: u64, size: u64) -> Option<&'a [u8]> {
    file.segments()
        .find_map(|s| s.data_range(addr, size).ok().flatten())
        .or_else(|| file.sections().find_map(|s| s.data_range(addr, size).ok().flatten()))
}

/// Small object files with one chosen section, for tests and fuzz seeds.
#[cfg(test)]
pub mod testutil {
    use object::write::{Object, Symbol, SymbolSection};
    use object::{Architecture, BinaryFormat, Endianness, SectionKind, SymbolFlags, SymbolKind, SymbolScope};

    /// A relocatable object of `format` with a data section `name` (in
    /// segment `__DATA` for Mach-O) holding `data`.
    pub fn with_section(format: BinaryFormat, name: &str, data: &[u8]) -> Vec<u8> {
        let mut obj = Object::new(format, Architecture::X86_64, Endianness::Little);
        let segment = if format == BinaryFormat::MachO { b"__DATA".to_vec() } else { Vec::new() };
        let id = obj.add_section(segment, name.as_bytes().to_vec(), SectionKind::Data);
        let offset = obj.append_section_data(id, data, 16);
        // One symbol, as linkers leave: a Mach-O without a symbol table
        // does not parse.
        obj.add_symbol(Symbol {
            name: b"data".to_vec(),
            value: offset,
            size: data.len() as u64,
            kind: SymbolKind::Data,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Section(id),
            flags: SymbolFlags::None,
        });
        obj.write().unwrap()
    }

    /// A 64-bit PE executable with one initialised, writable data section
    /// `name` (at most 8 bytes) holding `data`.
    pub fn pe_with_section(name: &str, data: &[u8]) -> Vec<u8> {
        use object::pe;
        use object::write::pe::{NtHeaders, Writer};
        let mut buf = Vec::new();
        let mut w = Writer::new(true, 0x1000, 0x200, &mut buf);
        w.reserve_dos_header_and_stub();
        w.reserve_nt_headers(16);
        w.reserve_section_headers(1);
        let mut short = [0u8; 8];
        short[..name.len()].copy_from_slice(name.as_bytes());
        let flags = pe::IMAGE_SCN_CNT_INITIALIZED_DATA | pe::IMAGE_SCN_MEM_READ | pe::IMAGE_SCN_MEM_WRITE;
        let len = u32::try_from(data.len()).unwrap();
        let range = w.reserve_section(short, flags, len, len);
        w.write_dos_header_and_stub().unwrap();
        w.write_nt_headers(NtHeaders {
            machine: pe::IMAGE_FILE_MACHINE_AMD64,
            time_date_stamp: 0,
            characteristics: pe::IMAGE_FILE_EXECUTABLE_IMAGE | pe::IMAGE_FILE_LARGE_ADDRESS_AWARE,
            major_linker_version: 0,
            minor_linker_version: 0,
            address_of_entry_point: 0,
            image_base: 0x1_4000_0000,
            major_operating_system_version: 6,
            minor_operating_system_version: 0,
            major_image_version: 0,
            minor_image_version: 0,
            major_subsystem_version: 6,
            minor_subsystem_version: 0,
            subsystem: pe::IMAGE_SUBSYSTEM_WINDOWS_CUI,
            dll_characteristics: 0,
            size_of_stack_reserve: 0x10_0000,
            size_of_stack_commit: 0x1000,
            size_of_heap_reserve: 0x10_0000,
            size_of_heap_commit: 0x1000,
        });
        w.write_section_headers();
        w.write_section(range.file_offset, data);
        buf
    }

    /// Where [`exec_without_sections`] loads its file.
    pub const BASE: u64 = 0x40_0000;
    /// File offset of the data in [`exec_without_sections`].
    pub const DATA_OFFSET: u64 = 128;

    /// A little-endian x86-64 ELF executable without section headers: one
    /// writable `PT_LOAD` maps the whole file at [`BASE`]; `data` starts at
    /// [`DATA_OFFSET`] (address `BASE + DATA_OFFSET`).
    pub fn exec_without_sections(data: &[u8]) -> Vec<u8> {
        let total = DATA_OFFSET + data.len() as u64;
        let mut f = Vec::new();
        f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        f.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&BASE.to_le_bytes()); // entry
        f.extend_from_slice(&64u64.to_le_bytes()); // phoff
        f.extend_from_slice(&0u64.to_le_bytes()); // shoff
        f.extend_from_slice(&0u32.to_le_bytes());
        for v in [64u16, 56, 1, 64, 0, 0] {
            f.extend_from_slice(&v.to_le_bytes()); // ehsize, phentsize, phnum, shentsize, shnum, shstrndx
        }
        f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        f.extend_from_slice(&6u32.to_le_bytes()); // PF_R | PF_W
        for v in [0, BASE, BASE, total, total, 0x1000] {
            f.extend_from_slice(&v.to_le_bytes()); // offset, vaddr, paddr, filesz, memsz, align
        }
        f.resize(DATA_OFFSET as usize, 0);
        f.extend_from_slice(data);
        f
    }

    /// Writes `bytes` to `fuzz/seeds/<target>/<name>` when
    /// `TEMPER_WRITE_SEEDS` is set, else checks the committed seed is
    /// exactly what the test builds (so seeds stay real-format).
    pub fn seed(target: &str, name: &str, bytes: &[u8]) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target).join(name);
        if std::env::var_os("TEMPER_WRITE_SEEDS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{} is stale: rerun with TEMPER_WRITE_SEEDS=1", path.display());
    }
}
