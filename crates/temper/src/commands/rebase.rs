//! `temper rebase`: an app moved onto a new base, through `temper-build`.

use std::process::ExitCode;

use anyhow::Result;
use temper_build::rebase::{Inherit, RebaseOptions};
use temper_cli::{Format, InheritChoice, RebaseArgs};

use super::{print, source_options};
use crate::render;

pub fn run(args: &RebaseArgs) -> Result<ExitCode> {
    let (scratch, output) = super::output_or_scratch(args.output.as_deref(), args.push.is_some())?;
    let inherit = match args.inherit {
        InheritChoice::New => Inherit::New,
        InheritChoice::Old => Inherit::Old,
        InheritChoice::Error => Inherit::Error,
    };
    let open = source_options(&args.registry)?;
    let opts = RebaseOptions { app: args.app.clone(), old_base: args.old_base.clone(), new_base: args.new_base.clone(), output, inherit, open };
    let rebased = temper_build::rebase::rebase(&opts)?;
    let pushed = match &args.push {
        Some(reference) => {
            let pushed = temper_build::output::push(&rebased.output, reference, &opts.open.registry, &[&rebased.new_base, &args.app])?;
            let s = &pushed.stats;
            crate::term::note(&format!("pushed {}: {} blobs uploaded, {} already present, {} mounted", pushed.reference, s.uploaded, s.present, s.mounted));
            Some(pushed.reference)
        }
        None => None,
    };
    match args.format {
        Format::Json => {
            let mut doc = serde_json::to_value(&rebased)?;
            doc["pushed"] = serde_json::json!(pushed);
            print(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
        }
        Format::Table => {
            let mut out = String::new();
            for p in &rebased.platforms {
                out.push_str(&format!("{}: {} base layer(s) replaced by {} ({} -> {}), {} app layer(s) kept\n", render::escape(&p.platform), p.layers_removed, p.layers_added, p.old_base, p.new_base, p.app_layers));
                for i in &p.inherited {
                    let took = if args.inherit == InheritChoice::Old { &i.old } else { &i.new };
                    out.push_str(&format!("  inherited {}: old base {}, new base {}; now {}\n", render::escape(&i.field), render::escape(&i.old), render::escape(&i.new), render::escape(took)));
                }
            }
            let top = match (&pushed, scratch.is_some()) {
                (Some(reference), true) => reference.clone(),
                _ => format!("{}@{}", rebased.output, rebased.digest),
            };
            out.push_str(&format!("{}  (on {})\n", render::escape(&top), render::escape(&rebased.new_base)));
            print(&out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
