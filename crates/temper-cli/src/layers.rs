//! `temper layers`.

use clap::Args;

use crate::Format;
use crate::image::ImageArgs;

/// `temper layers`.
#[derive(Args, Debug)]
pub struct LayersArgs {
    /// The image and how to read it.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Fail when efficiency is below this (0..1, e.g. 0.9, or 90%).
    #[arg(long, value_name = "RATIO")]
    pub min_efficiency: Option<String>,
    /// Fail when wasted bytes exceed this: a size (20MB) or a percentage of
    /// the bytes above the base layer (10%).
    #[arg(long, value_name = "BYTES|PCT")]
    pub max_wasted: Option<String>,
    /// Fail when the uncompressed image is larger than this (e.g. 500MB).
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// Print the file tree of the merged image (or, with --layer, of one layer).
    #[arg(long)]
    pub tree: bool,
    /// With --tree: print only layer N's own entries (base = 0), whiteouts included.
    #[arg(long, value_name = "N", requires = "tree")]
    pub layer: Option<usize>,
    /// How many wasted files the table lists.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// The exit code when a threshold fails (default 1).
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
}
