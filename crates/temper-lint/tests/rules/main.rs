//! One file per rule: Dockerfiles that fire it, and close cases that must not.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

mod add_instead_of_copy;
mod add_url_without_checksum;
mod apk_no_cache;
mod apk_pin_versions;
mod apt_get_no_install_recommends;
mod apt_get_pin_versions;
mod apt_get_update_alone;
mod apt_get_yes;
mod apt_instead_of_apt_get;
mod apt_lists_not_removed;
mod broad_copy_before_install;
mod cd_instead_of_workdir;
mod chmod_777;
mod cmd_multiple;
mod cmd_shell_form;
mod copy_without_chown;
mod curl_pipe_shell;
mod dev_dependencies_in_final_stage;
mod dockerignore_incomplete;
mod dockerignore_missing;
mod entrypoint_multiple;
mod expose_port_range;
mod expose_ssh;
mod from_latest;
mod from_not_pinned_by_digest;
mod from_untagged;
mod from_untrusted_registry;
mod gem_pin_versions;
mod healthcheck_missing;
mod healthcheck_multiple;
mod init_missing;
mod maintainer_deprecated;
mod npm_install_instead_of_ci;
mod npm_pin_versions;
mod pip_no_cache_dir;
mod pip_pin_versions;
mod pipefail_missing;
mod secret_in_env_or_arg;
mod sudo;
mod toolchain_in_final_stage;
mod user_last_root;
mod user_missing;
mod workdir_relative;
