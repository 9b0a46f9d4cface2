//! `temper inspect`.

use clap::Args;

use crate::Format;
use crate::image::ImageArgs;

/// `temper inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The image and how to read it.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}
