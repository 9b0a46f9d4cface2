//! `Packages` indexes (plain, `.gz`, `.xz`): one [`Package`] per stanza,
//! relation fields kept as their raw text for the resolver to parse, and the
//! stanza itself kept for the dpkg status file. Read as a stream with a
//! limit per stanza and on the decompressed total, so a hostile index costs
//! an error, not memory.

use std::io::{BufRead, BufReader, Read};

use crate::control::{Paragraph, Paragraphs};

/// One stanza above this is refused (the largest in Debian are ~50 KiB).
pub const MAX_STANZA_BYTES: usize = 1 << 20;
/// A decompressed index above this is refused (Debian main amd64 is ~50 MiB).
pub const MAX_INDEX_BYTES: u64 = 1 << 30;

/// How an index file is compressed, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// `Packages`.
    None,
    /// `Packages.gz`.
    Gzip,
    /// `Packages.xz`.
    Xz,
}

impl Compression {
    /// The compression `path`'s extension names.
    pub fn of(path: &str) -> Self {
        if path.ends_with(".xz") {
            Compression::Xz
        } else if path.ends_with(".gz") {
            Compression::Gzip
        } else {
            Compression::None
        }
    }

    /// A reader of the decompressed bytes of `input`.
    pub fn decoder<'a, R: Read + 'a>(self, input: R) -> Box<dyn BufRead + 'a> {
        match self {
            Compression::None => Box::new(BufReader::new(input)),
            Compression::Gzip => Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(input))),
            Compression::Xz => Box::new(BufReader::new(liblzma::read::XzDecoder::new_multi_decoder(input))),
        }
    }
}

/// One binary package of an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// `Package`.
    pub name: String,
    /// `Version`.
    pub version: String,
    /// `Architecture` (`amd64`, `all`).
    pub architecture: String,
    /// `Multi-Arch` (`same`, `foreign`, `allowed`).
    pub multi_arch: Option<String>,
    /// `Essential: yes`.
    pub essential: bool,
    /// `Priority`.
    pub priority: Option<String>,
    /// `Section`.
    pub section: Option<String>,
    /// `Installed-Size`, in KiB.
    pub installed_size: Option<u64>,
    /// `Depends`, raw.
    pub depends: Option<String>,
    /// `Pre-Depends`, raw.
    pub pre_depends: Option<String>,
    /// `Provides`, raw.
    pub provides: Option<String>,
    /// `Conflicts`, raw.
    pub conflicts: Option<String>,
    /// `Breaks`, raw.
    pub breaks: Option<String>,
    /// `Replaces`, raw.
    pub replaces: Option<String>,
    /// `Filename`: the `.deb`'s path from the archive root (`pool/main/c/curl/…`).
    pub filename: String,
    /// `Size` of the `.deb`.
    pub size: u64,
    /// `SHA256` of the `.deb`.
    pub sha256: [u8; 32],
    /// The stanza as the index gives it (the dpkg status file keeps its control fields).
    pub stanza: String,
}

/// Why an index was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The index cannot be read: decompression, syntax or a limit.
    #[error("{origin}: {reason}")]
    Read {
        /// The index's URL or file.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// A stanza without a field every package needs, or with a bad value.
    #[error("{origin}: package {package}: field {field}: {reason}")]
    Field {
        /// The index's URL or file.
        origin: String,
        /// The stanza's `Package` (or `?`).
        package: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Parses the decompressed index `input`.
pub fn parse<R: BufRead>(origin: &str, input: R) -> Result<Vec<Package>, Error> {
    let mut out = Vec::new();
    let limited = std::io::BufReader::new(LimitedRead { inner: input, left: MAX_INDEX_BYTES });
    for para in Paragraphs::new(limited, MAX_STANZA_BYTES) {
        let para = para.map_err(|e| Error::Read { origin: origin.to_owned(), reason: e.to_string() })?;
        out.push(package(origin, para)?);
    }
    Ok(out)
}

fn package(origin: &str, para: Paragraph) -> Result<Package, Error> {
    // Values are quoted escaped: a continuation line would break the one-line message.
    let name = para.get("Package").unwrap_or("?").escape_debug().to_string();
    let fail = |field: &'static str, reason: String| Error::Field { origin: origin.to_owned(), package: name.clone(), field, reason };
    let required = |field: &'static str| para.get(field).map(str::to_owned).ok_or_else(|| fail(field, "missing".into()));
    let optional = |field: &str| para.get(field).map(str::to_owned);
    let number = |field: &'static str, v: &str| v.trim().parse::<u64>().map_err(|_| fail(field, format!("`{}` is not a number", v.escape_debug())));
    let sha = required("SHA256")?;
    let mut sha256 = [0u8; 32];
    hex::decode_to_slice(sha.trim(), &mut sha256).map_err(|_| fail("SHA256", format!("`{}` is not a SHA-256 in hex", sha.escape_debug())))?;
    let filename = required("Filename")?;
    // The path is joined to the archive URL: no way out of the archive root.
    if filename.starts_with('/') || filename.split('/').any(|c| c == "..") {
        return Err(fail("Filename", format!("`{}` leaves the archive root", filename.escape_debug())));
    }
    Ok(Package {
        version: required("Version")?,
        architecture: required("Architecture")?,
        multi_arch: optional("Multi-Arch"),
        essential: para.get("Essential").is_some_and(|v| v.eq_ignore_ascii_case("yes")),
        priority: optional("Priority"),
        section: optional("Section"),
        installed_size: para.get("Installed-Size").map(|v| number("Installed-Size", v)).transpose()?,
        depends: optional("Depends"),
        pre_depends: optional("Pre-Depends"),
        provides: optional("Provides"),
        conflicts: optional("Conflicts"),
        breaks: optional("Breaks"),
        replaces: optional("Replaces"),
        size: number("Size", &required("Size")?)?,
        filename,
        sha256,
        name: required("Package")?,
        stanza: para.raw,
    })
}

/// Ends the stream with an error past `left` bytes (decompression bombs).
struct LimitedRead<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for LimitedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| std::io::Error::other(format!("decompressed index above the {MAX_INDEX_BYTES} byte limit")))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STANZA: &str = "Package: hello\nVersion: 1.0-1\nArchitecture: amd64\nDepends: libc6 (>= 2.34)\nFilename: pool/main/h/hello/hello_1.0-1_amd64.deb\nSize: 42\nSHA256: 00000000000000000000000000000000000000000000000000000000000000ff\nDescription: hi\n more\n";

    #[test]
    fn packages_index_gives_fields_and_raw_stanza() {
        let pkgs = parse("t", STANZA.as_bytes()).unwrap();
        assert_eq!(pkgs.len(), 1);
        let p = &pkgs[0];
        assert_eq!((p.name.as_str(), p.version.as_str(), p.size, p.sha256[31]), ("hello", "1.0-1", 42, 0xff));
        assert_eq!(p.depends.as_deref(), Some("libc6 (>= 2.34)"));
        assert_eq!(p.stanza, STANZA);
    }

    #[test]
    fn a_filename_leaving_the_archive_root_is_refused() {
        let text = STANZA.replace("pool/main/h/hello/", "pool/../../");
        let err = parse("t", text.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("leaves the archive root"), "{err}");
    }

    /// Found by the `apt_index` fuzz body: a value with continuation lines
    /// was quoted raw, so the refusal ran over several lines.
    #[test]
    fn a_refused_multi_line_value_stays_on_one_line() {
        for (text, want) in [
            (STANZA.replace("Size: 42", "Size: 4\n 2"), "field Size: `4\\n2` is not a number"),
            (STANZA.replace("Package: hello", "Package: hel\n lo").replace("Size: 42", "Size: x"), "package hel\\nlo: field Size"),
            (STANZA.replace("Filename: pool", "Filename: /\n pool"), "`/\\npool/main/h/hello/hello_1.0-1_amd64.deb` leaves the archive root"),
        ] {
            let err = parse("t", text.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(want) && !err.contains('\n'), "{err:?}");
        }
    }

    #[test]
    fn a_stanza_above_the_limit_is_refused() {
        let text = format!("{STANZA}X-Big: {}\n", "x".repeat(MAX_STANZA_BYTES));
        let err = parse("t", text.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("longer than"), "{err}");
    }
}
