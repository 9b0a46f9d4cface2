//! `temper push`.

use clap::Args;

use crate::Format;
use crate::image::ImageArgs;

/// `temper push`.
#[derive(Args, Debug)]
pub struct PushArgs {
    /// The image to push (any source temper reads) and how to read it;
    /// --creds, --insecure, --ca-cert and --docker-config serve the
    /// destination registry too.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Where to: HOST/REPO[:TAG] (the tag defaults to latest), or
    /// HOST/REPO@DIGEST to push only when the manifest has that digest.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Blobs larger than this go up in chunks of this size (e.g. 16MiB, 5MB).
    #[arg(long, value_name = "SIZE", default_value = "16MiB")]
    pub chunk_size: String,
    /// Output format of the summary (table: the pushed REF@DIGEST on
    /// stdout and what went up on stderr).
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}
