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

/// The object file in `content`, or `None` when it is not ELF, Mach-O or
/// PE at all (scripts, data): those are not worth an error. A file that
/// has one of the magics but does not parse is an error.
pub fn parse(content: &[u8]) -> Result<Option<object::File<'_>>, String> {
    let magic = content.get(..4).unwrap_or_default();
    let known = magic == b"\x7fELF"
        || matches!(magic, [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe])
        || magic.starts_with(b"MZ");
    if !known {
        return Ok(None);
    }
    match object::File::parse(content) {
        Ok(file) => Ok(Some(file)),
        // A DOS stub without a PE header is an old DOS program, not ours.
        Err(_) if magic.starts_with(b"MZ") => Ok(None),
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
