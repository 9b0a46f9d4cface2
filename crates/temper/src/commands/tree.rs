//! `temper tree`: what is attached to an image, unverified.

use std::process::ExitCode;

use anyhow::Result;
use temper_cli::{Format, TreeArgs};
use temper_verdict::trust;

use super::{print, source_options};
use crate::render::escape;

pub fn run(args: &TreeArgs) -> Result<ExitCode> {
    let tree = trust::tree(&args.image, &source_options(&args.registry)?)?;
    if args.format == Format::Json {
        print(&(serde_json::to_string_pretty(&tree)? + "\n"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!("{} {}\n", escape(&args.image), tree.digest);
    for tag in &tree.tags {
        out.push_str(&format!("├── {} (tag {})\n", tag.kind, tag.tag));
        for l in &tag.layers {
            let predicate = l.predicate_type.as_deref().map(|p| format!(" {}", escape(p))).unwrap_or_default();
            out.push_str(&format!("│   └── {} {}{predicate}\n", escape(&l.digest), escape(&l.media_type)));
        }
    }
    let via = if tree.referrers_api { "referrers API" } else { "tag-schema index" };
    out.push_str(&format!("└── referrers ({via}): {}\n", tree.referrers.len()));
    for r in &tree.referrers {
        let predicate = r.predicate_type.as_deref().map(|p| format!(" {}", escape(p))).unwrap_or_default();
        out.push_str(&format!("    └── {} {}{predicate}\n", escape(&r.digest), escape(&r.artifact_type)));
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}
