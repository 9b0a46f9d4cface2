//! `temper inspect`: an image's digest, platform, config, history and layers.

use std::process::ExitCode;

use anyhow::Result;
use temper_cli::{Format, InspectArgs};

use super::{limits, open, print};
use crate::progress::Terminal;
use crate::render;

pub fn run(args: &InspectArgs) -> Result<ExitCode> {
    let image = open(&args.image)?.image;
    let walked = temper_verdict::pass::walk(&image, &limits(&args.image.limits)?, &Terminal, &temper_layer::NoFiles)?;
    let view = render::inspect::View::new(&image, &walked);
    match args.format {
        Format::Json => print(&(serde_json::to_string_pretty(&view)? + "\n"))?,
        Format::Table => print(&render::inspect::table(&view))?,
    }
    Ok(ExitCode::SUCCESS)
}
