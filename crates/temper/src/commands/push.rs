//! `temper push`: an image from any source to a registry, through the
//! write API of `temper-image` (`registry::push`).

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use temper_cli::{Format, PushArgs};
use temper_cli::ImageArgs;
use temper_image::{Image, RegistryRef};
use temper_image::registry::push::{PushOptions, Pusher};

use super::{open_options, print};
use crate::size::{human, parse_size};
use crate::term;

pub fn run(args: &PushArgs) -> Result<ExitCode> {
    let reference = args.reference.strip_prefix("registry:").unwrap_or(&args.reference);
    let target = RegistryRef::parse(reference)?;
    let chunk = parse_size(&args.chunk_size).map_err(|e| anyhow!("--chunk-size: {e}"))?;
    let image = open_any_platform(&args.image)?;
    let options = PushOptions { chunk_threshold: chunk, chunk_size: chunk.max(1), all_platforms: args.image.registry.platform.is_none(), ..PushOptions::default() };
    let pushed = Pusher::new(&target, &open_options(&args.image)?.registry, options)?.push_image(&image)?;
    match args.format {
        Format::Json => print(&(serde_json::to_string_pretty(&pushed)? + "\n"))?,
        Format::Table => {
            let s = pushed.stats;
            term::note(&format!(
                "{} blobs uploaded ({}), {} already present, {} mounted; {} manifests",
                s.uploaded,
                human(s.bytes_uploaded),
                s.present,
                s.mounted,
                s.manifests
            ));
            print(&format!("{}\n", pushed.reference))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The image the flags name; without --platform the whole index goes up,
/// so an index without the host's platform is opened at its first one.
fn open_any_platform(args: &ImageArgs) -> Result<Image> {
    Ok(temper_verdict::target::open_any_platform(&args.image, &open_options(args)?)?.image)
}
