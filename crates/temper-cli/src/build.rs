//! `temper build`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::image::RegistryArgs;

/// `temper build` output formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum BuildFormat {
    /// One line: the reference and digest written.
    Table,
    /// temper's own JSON.
    Json,
}

/// `temper build`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    /// The spec (golden.toml); its lock (golden.lock) sits beside it.
    #[arg(value_name = "SPEC", default_value = "golden.toml")]
    pub spec: PathBuf,
    /// Where to write the image: oci:DIR[:TAG], oci-archive:PATH[:TAG] or docker-archive:PATH[:REPO[:TAG]] (docker load reads it); the tag defaults to latest.
    #[arg(long, short, value_name = "TARGET", required_unless_present_any = ["print_schema", "check_reproducible", "push", "plan"])]
    pub output: Option<String>,
    /// Also push the result to this registry reference (HOST/REPO[:TAG]); without --output it is built in a temporary layout.
    #[arg(long, value_name = "REF")]
    pub push: Option<String>,
    /// A label KEY=VALUE set over the spec's (repeatable); org.opencontainers.image.source and .revision also become manifest annotations.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Refuse to build when the base or an input differs from the lock (CI).
    #[arg(long, conflicts_with = "update")]
    pub locked: bool,
    /// Resolve the base's tag again instead of using the locked digest.
    #[arg(long)]
    pub update: bool,
    /// Build twice and compare: exit 1 naming the first differing field when the digests differ (the lock is not written).
    #[arg(long)]
    pub check_reproducible: bool,
    /// Print what [packages] would install and upgrade (name, old -> new version, size), without building.
    #[arg(long, conflicts_with_all = ["check_reproducible", "push"])]
    pub plan: bool,
    /// Refuse packages whose maintainer scripts do what temper does not reproduce (else a warning lists them).
    #[arg(long)]
    pub strict_scripts: bool,
    /// Print the JSON Schema of the spec and exit (for editors).
    #[arg(long, exclusive = true)]
    pub print_schema: bool,
    /// Sign the image with this private key once built (and pushed), and
    /// attest its SLSA provenance and (one platform) its CycloneDX SBOM, as
    /// `temper sign` and `temper attest` do; the password from TEMPER_PASSWORD or a prompt.
    #[arg(long, value_name = "KEY", conflicts_with_all = ["check_reproducible", "plan"])]
    pub sign: Option<PathBuf>,
    /// The base's platform and the registry flags (they serve --push too).
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The per-layer cache the result's SBOM is made through (default: $XDG_CACHE_HOME/temper or ~/.cache/temper).
    #[arg(long, value_name = "DIR", env = "TEMPER_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the per-layer cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = BuildFormat::Table)]
    pub format: BuildFormat,
}
