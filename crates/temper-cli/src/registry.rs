//! `temper registry`: list, untag, delete and prune in registries.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::Format;
use crate::image::RegistryArgs;

/// `temper registry` subcommands.
#[derive(Subcommand, Debug)]
pub enum RegistryCommand {
    /// List the repositories of a registry (its catalog), or those under a prefix.
    Ls(RegistryLsArgs),
    /// List the tags of a repository.
    Tags(RegistryTagsArgs),
    /// Remove a tag (the image and its other tags stay) or delete a manifest by digest.
    Rm(RegistryRmArgs),
    /// Apply a retention policy to repositories: a dry run listing every deletion, its reason and the bytes it frees; --apply performs it.
    Prune(RegistryPruneArgs),
}

/// `temper registry ls`.
#[derive(Args, Debug)]
pub struct RegistryLsArgs {
    /// The registry host, optionally with a repository prefix (HOST[/PREFIX]).
    #[arg(value_name = "REGISTRY[/REPO]")]
    pub target: String,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `temper registry tags`.
#[derive(Args, Debug)]
pub struct RegistryTagsArgs {
    /// The repository (HOST/REPO).
    #[arg(value_name = "REPO")]
    pub repository: String,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `temper registry rm`.
#[derive(Args, Debug)]
pub struct RegistryRmArgs {
    /// HOST/REPO:TAG removes the tag only; HOST/REPO@sha256:… deletes the manifest (and every tag naming it).
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `temper registry prune`: exit 0 done (or planned), 2 an error or a failed deletion.
#[derive(Args, Debug)]
pub struct RegistryPruneArgs {
    /// Repositories (HOST/REPO); a `*` in the path matches repositories of the catalog (HOST/team/*).
    #[arg(value_name = "REPO", required = true)]
    pub repositories: Vec<String>,
    /// The retention policy (retention.toml).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// Perform the plan (without it, a dry run).
    #[arg(long)]
    pub apply: bool,
    /// A file of untagged manifests to judge too, one `sha256:…` per line (the registry API cannot list them).
    #[arg(long, value_name = "FILE")]
    pub untagged: Option<PathBuf>,
    /// A fleet store (SQLite path or postgres:// URL) whose first-seen records give ages, before the config's `created`.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}
