//! One file per rule: Dockerfiles that fire it, and close cases that must not.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

mod add_instead_of_copy;
mod apk_no_cache;
mod apk_pin_versions;
mod apt_get_no_install_recommends;
mod apt_get_pin_versions;
mod apt_get_yes;
mod apt_instead_of_apt_get;
mod apt_lists_not_removed;
mod cd_instead_of_workdir;
mod cmd_multiple;
mod cmd_shell_form;
mod entrypoint_multiple;
mod expose_port_range;
mod from_latest;
mod from_untagged;
mod from_untrusted_registry;
mod gem_pin_versions;
mod healthcheck_missing;
mod healthcheck_multiple;
mod maintainer_deprecated;
mod npm_pin_versions;
mod pip_no_cache_dir;
mod pip_pin_versions;
mod pipefail_missing;
mod sudo;
mod user_last_root;
mod workdir_relative;
