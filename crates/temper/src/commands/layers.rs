//! `temper layers`: what each layer adds, modifies and removes, the space
//! wasted, and the thresholds CI sets on them.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use temper_cli::{Format, LayersArgs};
use temper_layer::{Amount, LayerReport, Threshold};

use super::{limits, open, print};
use crate::exit::Verdict;
use crate::progress::Terminal;
use crate::{render, size};

fn ratio(s: &str) -> Result<f64> {
    let v = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => s.trim().parse::<f64>(),
    }
    .map_err(|_| anyhow!("--min-efficiency takes a ratio such as 0.9 or 90%, not '{s}'"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(anyhow!("--min-efficiency must be between 0 and 1 (or 0% and 100%)"));
    }
    Ok(v)
}

fn thresholds(args: &LayersArgs) -> Result<Vec<Threshold>> {
    let mut thresholds = Vec::new();
    if let Some(e) = &args.min_efficiency {
        thresholds.push(Threshold::MinEfficiency(ratio(e)?));
    }
    if let Some(w) = &args.max_wasted {
        let amount = match w.strip_suffix('%') {
            Some(p) => Amount::Percent(p.trim().parse().map_err(|_| anyhow!("--max-wasted: '{w}' is not a percentage"))?),
            None => Amount::Bytes(size::parse_size(w).map_err(|e| anyhow!("--max-wasted: {e}"))?),
        };
        thresholds.push(Threshold::MaxWasted(amount));
    }
    if let Some(s) = &args.max_size {
        thresholds.push(Threshold::MaxSize(size::parse_size(s).map_err(|e| anyhow!("--max-size: {e}"))?));
    }
    Ok(thresholds)
}

pub fn run(args: &LayersArgs) -> Result<ExitCode> {
    let thresholds = thresholds(args)?;
    let image = open(&args.image)?.image;
    if let Some(n) = args.layer
        && n >= image.layers.len()
    {
        return Err(anyhow!("--layer {n}: the image has {} layers (0..{})", image.layers.len(), image.layers.len().saturating_sub(1)));
    }
    let walked = temper_verdict::pass::walk(&image, &limits(&args.image.limits)?, &Terminal, &temper_layer::NoFiles)?;
    let analysis = temper_layer::analyze(&walked).map_err(|source| temper_verdict::Error::Merge { image: image.name.clone(), source })?;
    let report = LayerReport::build(&image, &walked, &analysis);
    let results = report.check(&thresholds);

    if args.tree {
        let text = match args.layer {
            Some(n) => render::tree::layer(&walked[n].entries),
            None => render::tree::merged(&analysis.merged),
        };
        print(&text)?;
    } else {
        match args.format {
            Format::Json => {
                let mut value = serde_json::to_value(&report)?;
                value["thresholds"] = serde_json::to_value(&results)?;
                print(&(serde_json::to_string_pretty(&value)? + "\n"))?;
            }
            Format::Table => print(&render::layers::table(&report, &results, args.top))?,
        }
    }
    let mut verdict = Verdict::new(args.exit_code);
    for failed in results.iter().filter(|r| !r.passed) {
        verdict.fail(failed.reason.clone().unwrap_or_else(|| "threshold not met".to_owned()));
    }
    Ok(verdict.finish())
}
