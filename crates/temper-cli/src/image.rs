//! How a command finds and reads its image, and the cache and output
//! file of the commands that build an inventory.

use std::path::PathBuf;

use clap::Args;

/// Which platform to take and how to reach a registry: shared by every
/// command that reads an image, and by `build` for its base.
#[derive(Args, Debug)]
pub struct RegistryArgs {
    /// Platform to pick from a multi-platform index (os/arch[/variant]).
    #[arg(long)]
    pub platform: Option<String>,
    /// Registry credentials USER:PASSWORD (default: the docker config).
    #[arg(long, env = "TEMPER_CREDS", hide_env_values = true)]
    pub creds: Option<String>,
    /// Allow plain HTTP and unverified TLS to the registry.
    #[arg(long)]
    pub insecure: bool,
    /// Extra CA certificate (PEM) to trust for registries; repeatable.
    #[arg(long = "ca-cert", value_name = "PEM")]
    pub ca_certs: Vec<PathBuf>,
    /// Docker config file to read credentials from.
    #[arg(long, value_name = "FILE")]
    pub docker_config: Option<PathBuf>,
}

/// How to find and read the image.
#[derive(Args, Debug)]
pub struct ImageArgs {
    /// The image: docker-archive:PATH[:REF|:@N], oci:DIR[:TAG],
    /// oci-archive:PATH[:TAG], dir:PATH, docker-daemon:NAME[:TAG],
    /// podman:NAME[:TAG], [registry:]HOST/REPO[:TAG][@DIGEST], or a path
    /// whose kind is detected.
    pub image: String,
    /// The platform and the registry flags.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The layer pass's limits.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Re-hash every layer blob whole even when the layer cache holds its
    /// results (a cache hit otherwise checks the size and the first and
    /// last MiB); inspect and layers always read blobs whole.
    #[arg(long)]
    pub verify_blobs: bool,
}

/// The layer pass's limits: what an image may hold before reading it
/// stops, shared by every command that reads layers.
#[derive(Args, Debug)]
pub struct LimitArgs {
    /// Largest uncompressed layer accepted (e.g. 32GiB).
    #[arg(long, value_name = "SIZE", default_value = "32GiB")]
    pub max_layer_size: String,
    /// Largest uncompressed image accepted.
    #[arg(long, value_name = "SIZE", default_value = "128GiB")]
    pub max_image_size: String,
    /// Largest decompression ratio accepted (past 64 MiB of output).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_ratio: u64,
    /// Most tar entries accepted over all layers (memory grows with them).
    #[arg(long, value_name = "N", default_value_t = 2_000_000)]
    pub max_entries: u64,
}

/// The per-layer cache and the output file, shared by the commands that
/// build an inventory.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The per-layer cache directory (default: $XDG_CACHE_HOME/temper or ~/.cache/temper).
    #[arg(long, value_name = "DIR", env = "TEMPER_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the per-layer cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Write to FILE instead of stdout (written whole, or not at all).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
