//! `temper sbom`.

use clap::{Args, ValueEnum};

use crate::image::{ImageArgs, RunArgs};

/// SBOM formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SbomFormat {
    /// Human-readable table.
    Table,
    /// temper's own JSON (documented in the README).
    Json,
    /// CycloneDX 1.6 JSON; its time is SOURCE_DATE_EPOCH, else the image's creation time.
    #[value(alias = "cyclonedx-json")]
    Cyclonedx,
    /// SPDX 2.3 JSON; its time is SOURCE_DATE_EPOCH, else the image's creation time.
    #[value(alias = "spdx-json")]
    Spdx,
}

/// `temper sbom`.
#[derive(Args, Debug)]
pub struct SbomArgs {
    /// The image and how to read it.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = SbomFormat::Table)]
    pub format: SbomFormat,
    /// Also list packages that later layers deleted or replaced.
    #[arg(long)]
    pub all_layers: bool,
    /// The per-layer cache and where the output goes.
    #[command(flatten)]
    pub run: RunArgs,
}
