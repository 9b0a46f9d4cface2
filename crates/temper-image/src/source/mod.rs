//! One module per place an image can live; each turns it into an [`Image`](crate::Image).

pub(crate) mod daemon;
pub(crate) mod docker_archive;
pub(crate) mod files;
pub(crate) mod oci;
pub(crate) mod resolve;
pub(crate) mod rootfs;
