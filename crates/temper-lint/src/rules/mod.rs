//! Every rule, one file each; [`registry`] lists them in the order of
//! `docs/rules.md`.

use crate::Rule;

mod add_url;
mod apt_update;
mod broad_copy;
mod chmod;
mod copy_chown;
mod curl_pipe;
mod dev_deps;
mod digest;
mod dockerignore;
mod expose_ssh;
mod init;
mod maintainer;
mod npm_ci;
mod secret_env;
mod toolchain;
mod user_missing;
mod util;

/// Every rule.
pub fn registry() -> Vec<&'static dyn Rule> {
    vec![
        &maintainer::Maintainer,
        &digest::Digest,
        &secret_env::SecretEnv,
        &add_url::AddUrl,
        &curl_pipe::CurlPipe,
        &chmod::Chmod,
        &expose_ssh::ExposeSsh,
        &user_missing::UserMissing,
        &copy_chown::CopyChown,
        &apt_update::AptUpdate,
        &npm_ci::NpmCi,
        &dev_deps::DevDeps,
        &broad_copy::BroadCopy,
        &toolchain::Toolchain,
        &init::Init,
        &dockerignore::Missing,
        &dockerignore::Incomplete,
    ]
}
