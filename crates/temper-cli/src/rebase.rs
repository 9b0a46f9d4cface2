//! `temper rebase`.

use clap::{Args, ValueEnum};

use crate::Format;
use crate::image::RegistryArgs;

/// Which value wins on a config field the app inherited from its old base.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum InheritChoice {
    /// The new base's value, as a rebuild on it would give.
    New,
    /// The old base's value, as the app has it now.
    Old,
    /// Refuse, listing the fields that differ.
    Error,
}

/// `temper rebase`.
#[derive(Args, Debug)]
pub struct RebaseArgs {
    /// The app image (any source temper reads); without --platform every platform of an index is rebased.
    #[arg(value_name = "APP")]
    pub app: String,
    /// The base the app was built on (default: its org.opencontainers.image.base.name annotation, pinned to base.digest).
    #[arg(long, value_name = "REF")]
    pub old_base: Option<String>,
    /// The base to move it onto (default: the base.name annotation, read again).
    #[arg(long, value_name = "REF")]
    pub new_base: Option<String>,
    /// Where to write the result: oci:DIR[:TAG], oci-archive:PATH[:TAG] or docker-archive:PATH[:REPO[:TAG]].
    #[arg(long, short, value_name = "TARGET", required_unless_present = "push")]
    pub output: Option<String>,
    /// Also push the result to this registry reference (HOST/REPO[:TAG]); without --output it is written to a temporary layout.
    #[arg(long, value_name = "REF")]
    pub push: Option<String>,
    /// Which value a field takes when the app inherited it from the old base (Env, User, WorkingDir, Entrypoint, Cmd, labels…) and the new base sets it differently.
    #[arg(long, value_enum, default_value_t = InheritChoice::New)]
    pub inherit: InheritChoice,
    /// The platform and the registry flags (for the three images and --push).
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}
