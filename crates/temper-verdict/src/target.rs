//! What an assessment is of: an image from any source temper reads, or an
//! SBOM file (CycloneDX or SPDX JSON) standing in for one.

use std::path::Path;

use temper_image::{Image, OpenOptions, Source};
use temper_inventory::Inventory;

use crate::Error;

/// An image and the source it was read from.
pub struct Opened {
    /// The source as parsed.
    pub source: Source,
    /// The image.
    pub image: Image,
}

/// What was named.
pub enum Target {
    /// An image.
    Image(Box<Opened>),
    /// An SBOM file: its packages, with no layers to read.
    Sbom(Inventory),
}

/// Opens the image `reference` names (any source syntax).
pub fn open(reference: &str, opts: &OpenOptions) -> Result<Opened, Error> {
    let source = Source::parse(reference)?;
    let image = temper_image::open(&source, opts)?;
    Ok(Opened { source, image })
}

/// An SBOM file when `reference` is a JSON file, else the image it names.
pub fn resolve(reference: &str, opts: &OpenOptions) -> Result<Target, Error> {
    match sbom_file(reference)? {
        Some(inventory) => Ok(Target::Sbom(inventory)),
        None => Ok(Target::Image(Box::new(open(reference, opts)?))),
    }
}

/// The largest SBOM file read.
const MAX_SBOM_BYTES: u64 = 512 << 20;

/// The inventory of `target` when it is an SBOM file (a file whose first
/// non-blank byte is `{`); `None` when it is an image source.
fn sbom_file(target: &str) -> Result<Option<Inventory>, Error> {
    let path = Path::new(target);
    if !path.is_file() {
        return Ok(None);
    }
    let read = |source| Error::Read { path: path.to_owned(), source };
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).map_err(read)?;
    if head[..n].iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Ok(None);
    }
    if std::fs::metadata(path).map_err(read)?.len() > MAX_SBOM_BYTES {
        return Err(Error::Input(format!("{target}: SBOM over 512 MiB")));
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).map_err(read)?).map_err(|e| Error::Input(format!("{target}: not JSON: {e}")))?;
    temper_inventory::decode::from_sbom(&doc).map(Some).map_err(|e| Error::Input(format!("{target}: {e}")))
}
