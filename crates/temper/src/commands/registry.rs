//! `temper registry ls|tags|rm|prune`: flags to options, then
//! `temper-image`'s registry operations and `temper-retention`'s planner.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
use temper_cli::{Format, RegistryCommand, RegistryLsArgs, RegistryPruneArgs, RegistryRmArgs, RegistryTagsArgs};
use temper_image::registry::catalog::Catalog;
use temper_image::registry::delete::{Repository, Untagged};
use temper_image::{Digest, RegistryRef};
use temper_fleet::first_seen::FirstSeen;
use temper_fleet::{Fleet, Location};
use temper_retention::age::{AgeSource, ConfigCreated};
use temper_retention::{Policy, apply, gather, plan};

use super::{print, source_options};
use crate::render::{escape, registry as render};

pub fn run(command: RegistryCommand) -> Result<ExitCode> {
    match command {
        RegistryCommand::Ls(args) => ls(&args),
        RegistryCommand::Tags(args) => tags(&args),
        RegistryCommand::Rm(args) => rm(&args),
        RegistryCommand::Prune(args) => prune(&args),
    }
}

fn json(value: &impl serde::Serialize) -> Result<()> {
    print(&(serde_json::to_string_pretty(value)? + "\n"))
}

fn ls(args: &RegistryLsArgs) -> Result<ExitCode> {
    let (host, prefix) = args.target.split_once('/').unwrap_or((&args.target, ""));
    let opts = source_options(&args.registry)?.registry;
    let repositories = gather::repositories(host, prefix, &opts)?;
    match args.format {
        Format::Json => json(&serde_json::json!({ "registry": host, "prefix": prefix, "repositories": repositories }))?,
        Format::Table => print(&repositories.iter().map(|r| format!("{}\n", escape(r))).collect::<String>())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn repository(input: &str) -> Result<RegistryRef> {
    let r = RegistryRef::parse(input)?;
    if r.tag.is_some() || r.digest.is_some() {
        bail!("{input}: name a repository (HOST/REPO), without tag or digest");
    }
    Ok(r)
}

fn tags(args: &RegistryTagsArgs) -> Result<ExitCode> {
    let r = repository(&args.repository)?;
    let opts = source_options(&args.registry)?.registry;
    let mut tags = Catalog::connect(&r.registry, &opts)?.tags(&r.repository, gather::PAGE_SIZE)?;
    // Registries list tags in storage order (the distribution registry's is not sorted).
    tags.sort();
    match args.format {
        Format::Json => json(&serde_json::json!({ "repository": format!("{}/{}", r.registry, r.repository), "tags": tags }))?,
        Format::Table => print(&tags.iter().map(|t| format!("{}\n", escape(t))).collect::<String>())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn rm(args: &RegistryRmArgs) -> Result<ExitCode> {
    let r = RegistryRef::parse(&args.reference)?;
    let opts = source_options(&args.registry)?.registry;
    let repository = Repository::connect(&r, &opts)?;
    let (action, placeholder) = match (&r.digest, &r.tag) {
        (Some(digest), _) => {
            repository.delete_manifest(digest)?;
            ("deleted", None)
        }
        (None, Some(tag)) => match repository.untag(tag)? {
            Untagged::Deleted => ("untagged", None),
            Untagged::Placeholder(d) => ("untagged", Some(d)),
        },
        (None, None) => bail!("{}: give a tag (HOST/REPO:TAG) or a digest (HOST/REPO@sha256:…) to remove", args.reference),
    };
    match args.format {
        Format::Json => json(&serde_json::json!({ "reference": r.to_string(), "action": action, "placeholder": placeholder.as_ref().map(ToString::to_string) }))?,
        Format::Table => {
            let via = placeholder.map(|d| format!(" (through the placeholder {d})")).unwrap_or_default();
            print(&format!("{action} {}{via}\n", escape(&r.to_string())))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The digests of an `--untagged` file: one per line, `#` comments.
fn untagged(path: &Path) -> Result<Vec<Digest>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("--untagged {}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(i, l)| (i, l.split('#').next().unwrap_or_default().trim()))
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| Digest::parse(l).map_err(|e| anyhow!("--untagged {}:{}: {e}", path.display(), i + 1)))
        .collect()
}

fn prune(args: &RegistryPruneArgs) -> Result<ExitCode> {
    let policy = Policy::load(&args.policy)?;
    let opts = source_options(&args.registry)?.registry;
    let extra = args.untagged.as_deref().map(untagged).transpose()?.unwrap_or_default();
    let mut repos = Vec::new();
    for spec in &args.repositories {
        for r in gather::expand(spec, &opts)? {
            repos.push(gather::gather(&r, &opts, &extra)?);
        }
    }
    // The fleet's first-seen records, when a store is given, stand before `created`.
    let first_seen = args.store.as_deref().map(|s| Fleet::open(&Location::parse(s)).and_then(|mut f| FirstSeen::load(&mut f))).transpose()?;
    let mut sources: Vec<&dyn AgeSource> = first_seen.iter().map(|f| f as &dyn AgeSource).collect();
    sources.push(&ConfigCreated);
    let plan = plan::plan(&repos, &policy, &sources, time::OffsetDateTime::now_utc());
    if !args.apply {
        match args.format {
            Format::Json => json(&plan)?,
            Format::Table => print(&render::plan(&plan))?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let applied = apply::apply(&plan, &opts);
    match args.format {
        Format::Json => json(&serde_json::json!({ "plan": plan, "applied": applied }))?,
        Format::Table => print(&(render::plan(&plan) + "\n" + &render::applied(&applied)))?,
    }
    if applied.failed > 0 {
        bail!("{} of {} registry changes failed (listed above); the others were made", applied.failed, applied.steps.len());
    }
    Ok(ExitCode::SUCCESS)
}
