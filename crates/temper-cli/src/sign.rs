//! `temper sign` and `temper verify`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::Format;
use crate::image::RegistryArgs;

/// `temper sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    /// The image, in its registry or an OCI layout (oci:DIR[:TAG]).(HOST/REPO:TAG or HOST/REPO@sha256:…) or an OCI layout (oci:DIR[:TAG]).
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// The private key (cosign's encrypted format, or PKCS#8); the password
    /// comes from TEMPER_PASSWORD, else a prompt.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Where the signature goes: the `.sig` tag, a Sigstore bundle referrer, or both.
    #[arg(long, value_enum, default_value_t = SignStorage::Both)]
    pub storage: SignStorage,
    /// KEY=VALUE added to the payload's `optional` section (repeatable).
    #[arg(long = "annotation", short = 'a', value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// Sign each platform manifest of an index too, not only the index.
    #[arg(long)]
    pub recursive: bool,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format of the summary.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `--storage` values.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SignStorage {
    /// The `sha256-<hex>.sig` tag and a bundle referrer.
    Both,
    /// The `sha256-<hex>.sig` tag only.
    Legacy,
    /// A Sigstore bundle as an OCI 1.1 referrer only.
    Bundle,
}

/// `temper verify`: exit 0 verified, 3 no signature found, 4 signature
/// invalid, 5 signed by none of the keys.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The image, in its registry or an OCI layout (oci:DIR[:TAG]).
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// What a signature must verify with.
    #[command(flatten)]
    pub verifier: VerifierArgs,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format: a one-line verdict, or every signature found as JSON.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `temper attest`.
#[derive(Args, Debug)]
pub struct AttestArgs {
    /// The image, in its registry or an OCI layout (oci:DIR[:TAG]).
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// The private key (cosign's encrypted format, or PKCS#8).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The predicate, a JSON file (an SBOM, SLSA provenance, an OpenVEX document…).
    #[arg(long, value_name = "FILE")]
    pub predicate: PathBuf,
    /// Its type: slsaprovenance1, slsaprovenance, cyclonedx, spdx, spdxjson, openvex, vuln, link, custom, or a URI.
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub predicate_type: String,
    /// Where the attestation goes: a `.att` tag layer, a Sigstore bundle referrer, or both.
    #[arg(long, value_enum, default_value_t = SignStorage::Both)]
    pub storage: SignStorage,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format of the summary.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `temper verify-attestation`: exit codes as `verify`.
#[derive(Args, Debug)]
pub struct VerifyAttestationArgs {
    /// The image, in its registry or an OCI layout (oci:DIR[:TAG]).
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// The predicate type wanted (as `attest --type`).
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub predicate_type: String,
    /// What a signature must verify with.
    #[command(flatten)]
    pub verifier: VerifierArgs,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format: a one-line verdict, or the attestations found and the verified statements as JSON.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `temper tree`.
#[derive(Args, Debug)]
pub struct TreeArgs {
    /// The image, in its registry or an OCI layout (oci:DIR[:TAG]).
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The keys and the keyless policy a verification accepts.
#[derive(Args, Debug, Clone)]
pub struct VerifierArgs {
    /// A public key (PEM) a signature must verify with (repeatable).
    #[arg(long = "key", value_name = "PUB")]
    pub keys: Vec<PathBuf>,
    /// A directory of public keys (`*.pub`, `*.pem`): a rotation set.
    #[arg(long, value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,
    /// Keyless verification.
    #[command(flatten)]
    pub keyless: KeylessArgs,
}

/// Keyless verification flags (cosign's names).
#[derive(Args, Debug, Clone)]
pub struct KeylessArgs {
    /// A Sigstore trusted root (`trusted_root.json`) that keyless bundles
    /// (signed with a Fulcio certificate) are verified against, offline.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// The signer's identity a keyless certificate must name (its SAN), exactly.
    #[arg(long, value_name = "ID")]
    pub certificate_identity: Option<String>,
    /// … or a regular expression matching the whole identity.
    #[arg(long, value_name = "REGEX", conflicts_with = "certificate_identity")]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer a keyless certificate must name, exactly.
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// … or a regular expression matching the whole issuer.
    #[arg(long, value_name = "REGEX", conflicts_with = "certificate_oidc_issuer")]
    pub certificate_oidc_issuer_regexp: Option<String>,
}
