//! `size`: the image is not larger than `max` (uncompressed: every file of
//! the merged filesystem), its layers as stored not larger than
//! `max-compressed`, and its wasted bytes (files a later layer replaces or
//! deletes, and duplicates) not more than `max-wasted`, in bytes or as a
//! percentage of the uncompressed size.
//!
//! Sizes are written as `temper check --max-size` takes them: `123`,
//! `1.5GB` (decimal units), `20MiB` or `20M` (binary units).

use serde::Deserialize;
use toml::Spanned;

use super::{Context, Outcome, Rule};
use crate::config::Loader;
use crate::exceptions::Waivers;
use crate::input::Assessment;
use crate::{Mode, Result};

/// `[rules.size]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    #[serde(default)]
    pub mode: Mode,
    pub max: Option<Spanned<String>>,
    pub max_compressed: Option<Spanned<String>>,
    pub max_wasted: Option<Spanned<String>>,
}

/// A limit on wasted bytes.
#[derive(Debug, Clone, Copy)]
enum Wasted {
    Bytes(u64),
    /// Percent of the uncompressed size.
    Percent(f64),
}

#[derive(Debug)]
pub(crate) struct Size {
    max: Option<u64>,
    max_compressed: Option<u64>,
    max_wasted: Option<Wasted>,
}

use temper_layer::parse_size;

impl Size {
    pub fn new(c: &Config, loader: &Loader<'_>) -> Result<Self> {
        let bytes = |v: &Option<Spanned<String>>, key: &str| v.as_ref().map(|v| parse_size(v.get_ref()).map_err(|e| loader.at(v.span(), key, e))).transpose();
        let max_wasted = match &c.max_wasted {
            Some(v) => Some(match v.get_ref().trim().strip_suffix('%') {
                Some(p) => Wasted::Percent(p.trim().parse::<f64>().ok().filter(|p| (0.0..=100.0).contains(p)).ok_or_else(|| loader.at(v.span(), "rules.size.max-wasted", format!("'{}' is not a percentage from 0% to 100%", v.get_ref())))?),
                None => Wasted::Bytes(parse_size(v.get_ref()).map_err(|e| loader.at(v.span(), "rules.size.max-wasted", e))?),
            }),
            None => None,
        };
        Ok(Size { max: bytes(&c.max, "rules.size.max")?, max_compressed: bytes(&c.max_compressed, "rules.size.max-compressed")?, max_wasted })
    }
}

impl Rule for Size {
    fn id(&self) -> &'static str {
        "size"
    }

    fn evaluate(&self, input: &Assessment, _: &Context, _: &Waivers<'_>) -> Outcome {
        let size = &input.image.size;
        let wasted = input.layers.wasted_bytes;
        let mut over = Vec::new();
        if let Some(max) = self.max.filter(|&m| size.uncompressed > m) {
            over.push(format!("uncompressed size {} bytes is over {max}", size.uncompressed));
        }
        if let Some(max) = self.max_compressed.filter(|&m| size.compressed > m) {
            over.push(format!("compressed size {} bytes is over {max}", size.compressed));
        }
        match self.max_wasted {
            Some(Wasted::Bytes(max)) if wasted > max => over.push(format!("{wasted} wasted bytes is over {max}")),
            Some(Wasted::Percent(p)) if wasted as f64 > size.uncompressed as f64 * p / 100.0 => over.push(format!("{wasted} wasted bytes is over {p}% of {}", size.uncompressed)),
            _ => {}
        }
        if over.is_empty() {
            Outcome::pass(format!("{} bytes uncompressed, {} compressed, {wasted} wasted: within the limits", size.uncompressed, size.compressed))
        } else {
            Outcome::fail(over.join("; "), over)
        }
    }
}
