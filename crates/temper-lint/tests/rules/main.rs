//! One file per rule: Dockerfiles that fire it, and close cases that must not.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

mod maintainer_deprecated;
mod add_url_without_checksum;
mod apt_get_update_alone;
mod broad_copy_before_install;
mod chmod_777;
mod copy_without_chown;
mod curl_pipe_shell;
mod dev_dependencies_in_final_stage;
mod dockerignore_incomplete;
mod dockerignore_missing;
mod expose_ssh;
mod from_not_pinned_by_digest;
mod init_missing;
mod npm_install_instead_of_ci;
mod secret_in_env_or_arg;
mod toolchain_in_final_stage;
mod user_missing;
