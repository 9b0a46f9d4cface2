//! Every rule, one file each; [`registry`] lists them in the order of
//! `docs/rules.md`. Helpers shared by several rules live here and in
//! `util`.

use temper_dockerfile::{Base, Command, Dockerfile, Instruction, InstructionKind, Script, SimpleCommand};

use crate::{Rule, Violation};

mod add_instead_of_copy;
mod add_url;
mod apk_no_cache;
mod apk_pin_versions;
mod apt_get_no_install_recommends;
mod apt_get_pin_versions;
mod apt_get_yes;
mod apt_instead_of_apt_get;
mod apt_lists_not_removed;
mod apt_update;
mod broad_copy;
mod cd_instead_of_workdir;
mod chmod;
mod cmd_multiple;
mod copy_from_own_stage;
mod copy_from_unknown_stage;
mod cmd_shell_form;
mod copy_chown;
mod curl_pipe;
mod dev_deps;
mod digest;
mod dockerignore;
mod entrypoint_multiple;
mod expose_port_range;
mod expose_ssh;
mod from_latest;
mod from_untagged;
mod from_untrusted_registry;
mod gem_pin_versions;
mod healthcheck_missing;
mod healthcheck_multiple;
mod init;
mod maintainer;
mod npm_ci;
mod npm_pin_versions;
mod pip_no_cache_dir;
mod pip_pin_versions;
mod pipefail_missing;
mod run_consecutive;
mod secret_env;
mod sudo;
mod toolchain;
mod user_last_root;
mod user_missing;
mod util;
mod workdir_relative;

/// Every rule: temper's own first, then those matching hadolint rules
/// in the order of their hadolint ids.
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
        &workdir_relative::WorkdirRelative,
        &user_last_root::UserLastRoot,
        &cd_instead_of_workdir::CdInsteadOfWorkdir,
        &sudo::Sudo,
        &from_untagged::FromUntagged,
        &from_latest::FromLatest,
        &apt_get_pin_versions::AptGetPinVersions,
        &apt_lists_not_removed::AptListsNotRemoved,
        &expose_port_range::ExposePortRange,
        &healthcheck_multiple::HealthcheckMultiple,
        &pip_pin_versions::PipPinVersions,
        &apt_get_yes::AptGetYes,
        &apt_get_no_install_recommends::AptGetNoInstallRecommends,
        &npm_pin_versions::NpmPinVersions,
        &apk_pin_versions::ApkPinVersions,
        &apk_no_cache::ApkNoCache,
        &add_instead_of_copy::AddInsteadOfCopy,
        &cmd_shell_form::CmdShellForm,
        &from_untrusted_registry::FromUntrustedRegistry,
        &apt_instead_of_apt_get::AptInsteadOfAptGet,
        &gem_pin_versions::GemPinVersions,
        &pip_no_cache_dir::PipNoCacheDir,
        &healthcheck_missing::HealthcheckMissing,
        &cmd_multiple::CmdMultiple,
        &entrypoint_multiple::EntrypointMultiple,
        &pipefail_missing::PipefailMissing,
        &copy_from_unknown_stage::CopyFromUnknownStage,
        &copy_from_own_stage::CopyFromOwnStage,
        &run_consecutive::RunConsecutive,
    ]
}

/// One violation at the keyword of each RUN with a shell command `hit`
/// accepts (for a body PowerShell or cmd runs, a command as
/// [`crate::shell::windows_commands`] reads it), with the message `hit` returns for the first such command.
/// Reported at the keyword because hadolint reports the instruction's
/// first line, and findings are compared by line.
pub(crate) fn per_run(df: &Dockerfile, mut hit: impl FnMut(&Instruction, &SimpleCommand) -> Option<String>) -> Vec<Violation> {
    let mut out = Vec::new();
    for ins in df.instructions.iter().filter(|i| matches!(i.kind, InstructionKind::Run(_))) {
        // A body PowerShell or cmd runs still names programs: pip, npm and
        // the like are judged by their arguments all the same.
        let windows = match &ins.kind {
            InstructionKind::Run(Some(Command::Shell(body))) if matches!(&body.script, Script::NotShell { interpreter } if util::windows_shell(interpreter)) => {
                crate::shell::windows_commands(body)
            }
            _ => Vec::new(),
        };
        let found = ins.scripts().filter_map(|s| s.parsed()).flat_map(|s| s.commands.iter()).chain(&windows).find_map(|c| hit(ins, c));
        if let Some(message) = found {
            out.push(Violation::with(ins.keyword_span, message));
        }
    }
    out
}

/// Every violation of "more than one `kind` in a stage": each instruction
/// after the first of its kind in the same stage.
pub(crate) fn repeated_in_stage(df: &Dockerfile, is_kind: impl Fn(&InstructionKind) -> bool, message: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    for stage in &df.stages {
        let mut seen = None;
        for ins in df.stage_instructions(stage).iter().filter(|i| is_kind(&i.kind)) {
            if let Some(first) = seen {
                let line = df.position(first).line;
                out.push(Violation::with(ins.keyword_span, format!("{message} (the first is on line {line}; only the last takes effect)")));
            } else {
                seen = Some(ins.span.start);
            }
        }
    }
    out
}

/// An image reference split into its parts: `registry/repo:tag@digest`.
pub(crate) struct ImageRef<'a> {
    /// The registry host, when the first component names one.
    pub registry: Option<&'a str>,
    /// The tag, if any.
    pub tag: Option<&'a str>,
    /// The digest, if any.
    pub digest: Option<&'a str>,
}

/// Splits an image reference; the registry is the first component when
/// it has a dot or a port or is `localhost`, as Docker decides.
pub(crate) fn image_ref(reference: &str) -> ImageRef<'_> {
    let (name, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (reference, None),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match name[last_slash..].find(':') {
        Some(i) => (&name[..last_slash + i], name.get(last_slash + i + 1..)),
        None => (name, None),
    };
    let registry = path.split_once('/').map(|(first, _)| first).filter(|f| f.contains(['.', ':']) || *f == "localhost");
    ImageRef { registry, tag, digest }
}

/// The base images of the Dockerfile's stages with their FROM, skipping
/// `scratch`, earlier stages and references whose variables have no
/// known value.
pub(crate) fn base_images(df: &Dockerfile) -> impl Iterator<Item = (&Instruction, &str)> {
    df.stages.iter().filter_map(|s| {
        let ins = df.instructions.get(s.from)?;
        let InstructionKind::From(f) = &ins.kind else {
            return None;
        };
        match &s.base {
            Base::Image(r) if f.image.unresolved.is_empty() && !r.is_empty() => Some((ins, r.as_str())),
            _ => None,
        }
    })
}
