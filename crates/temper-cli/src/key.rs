//! `temper key`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// `temper key …`.
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Make a signing key pair, PREFIX.key (encrypted with a password, in
    /// cosign's format) and PREFIX.pub (PEM): cosign reads both, and temper
    /// reads keys cosign made. The password comes from TEMPER_PASSWORD, else
    /// a prompt; an empty one is allowed, as cosign allows it.
    Generate(KeyGenerateArgs),
}

/// `temper key generate`.
#[derive(Args, Debug)]
pub struct KeyGenerateArgs {
    /// Where to write: PREFIX.key and PREFIX.pub.
    #[arg(long, value_name = "PREFIX", default_value = "temper")]
    pub output_prefix: PathBuf,
    /// The key type.
    #[arg(long, value_enum, default_value_t = KeyAlgorithm::EcdsaP256)]
    pub algorithm: KeyAlgorithm,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

/// `--algorithm` values.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256 with SHA-256 (cosign's default).
    EcdsaP256,
    /// Ed25519.
    Ed25519,
}
