//! `temper sbom`: every package in an image, as a table, temper's JSON,
//! CycloneDX 1.6 or SPDX 2.3.

use std::process::ExitCode;

use anyhow::Result;
use temper_cli::{SbomArgs, SbomFormat};
use temper_inventory::format;

use super::{cache_settings, emit, limits, open, source_date_epoch};
use crate::progress::Terminal;
use crate::render;

/// A standard SBOM format's encoder.
type Encoder = fn(&format::Sbom<'_>) -> Result<String, format::FormatError>;

pub fn run(args: &SbomArgs) -> Result<ExitCode> {
    let temper_verdict::Opened { source, image } = open(&args.image)?;
    // The standard formats' document time, resolved before the scan so that
    // a malformed SOURCE_DATE_EPOCH fails fast.
    let time = || format::Timestamp::resolve(source_date_epoch()?.as_deref(), image.config.created.as_deref()).map_err(anyhow::Error::from);
    let document: Option<(Encoder, format::Timestamp)> = match args.format {
        SbomFormat::Cyclonedx => Some((format::cyclonedx::encode, time()?)),
        SbomFormat::Spdx => Some((format::spdx::encode, time()?)),
        SbomFormat::Json | SbomFormat::Table => None,
    };
    let temper_verdict::Scanned { layers, inventory, .. } = temper_verdict::pass::scan(&image, &limits(&args.image.limits)?, &cache_settings(&args.image, &args.run), &Terminal, args.all_layers)?;
    let text = match (document, args.format) {
        (Some((encode, timestamp)), _) => {
            let subject = temper_verdict::target::subject(&source, &image, &layers);
            encode(&format::Sbom { subject: &subject, inventory: &inventory, timestamp, tool_version: env!("CARGO_PKG_VERSION") })?
        }
        (None, SbomFormat::Json) => {
            let doc = serde_json::json!({
                "image": image.name,
                "digest": image.manifest.as_ref().map(|m| m.digest.to_string()),
                "platform": image.platform().map(|p| p.to_string()),
                "os": inventory.os,
                "packages": inventory.packages,
                "unknowns": inventory.unknowns,
            });
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        (None, _) => render::sbom::table(&inventory),
    };
    emit(args.run.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
