//! `shell`: the image has no shell.
//!
//! A shell turns any command-injection bug or `kubectl exec` into an
//! interactive foothold, and most exploits' second stage needs `/bin/sh`.
//! Many applications legitimately need one (entrypoint scripts), so under
//! the default profile this is **low**; the distroless profile promises
//! there is none, so there it is **high**.
//!
//! Looks for `sh`, `bash`, `ash`, `dash`, `zsh`, `ksh`, `mksh` and
//! `busybox` (whose applets include `sh`) in `bin`, `sbin`, `usr/bin`,
//! `usr/sbin`, `usr/local/bin`, `usr/local/sbin` and the directories of
//! the config's `PATH`, following symlinks inside the image, so
//! a merged-`/usr` image's `bin -> usr/bin` counts once, and a symlink to
//! a missing file is not a shell.

use super::{Program, find_programs, program_dirs};
use crate::{Check, Context, Outcome, Profile, Severity};

/// See the module documentation.
pub struct Shell;

pub(super) const SHELLS: [&str; 8] = ["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"];

impl Check for Shell {
    fn id(&self) -> &'static str {
        "shell"
    }
    fn title(&self) -> &'static str {
        "No shell in the image"
    }
    fn severity(&self, profile: Profile) -> Severity {
        match profile {
            Profile::Default => Severity::Low,
            Profile::Distroless => Severity::High,
        }
    }
    fn remediation(&self) -> &'static str {
        "Build the runtime stage from a distroless or scratch base, copy in only the application, and use exec-form ENTRYPOINT/CMD so no shell is needed."
    }
    fn run(&self, cx: &Context<'_>) -> Outcome {
        let found = find_programs(cx.merged, &program_dirs(cx), &SHELLS);
        if found.is_empty() {
            return Outcome::pass("no shell found");
        }
        let mut names: Vec<&str> = found.iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        Outcome::fail(format!("shell present: {}", names.join(", ")), found.iter().map(Program::display).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestImage, dir, file, link, whiteout};
    use super::*;
    use crate::Status;

    #[test]
    fn merged_usr_shells_are_found_through_the_bin_link() {
        let image = TestImage::new().layer(vec![
            link("bin", "usr/bin"),
            dir("usr", 0o755),
            dir("usr/bin", 0o755),
            file("usr/bin/dash", 0o755, 100),
            file("usr/bin/bash", 0o755, 100),
            link("usr/bin/sh", "dash"),
        ]);
        let o = image.run(&Shell);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "shell present: bash, dash, sh");
        assert_eq!(o.details, ["/usr/bin/bash", "/usr/bin/dash", "/usr/bin/sh -> /usr/bin/dash"]);
    }

    #[test]
    fn busybox_applets_count() {
        let image = TestImage::new().layer(vec![dir("bin", 0o755), file("bin/busybox", 0o755, 100), link("bin/sh", "/bin/busybox")]);
        assert_eq!(image.run(&Shell).details, ["/bin/busybox", "/bin/sh -> /bin/busybox"]);
    }

    #[test]
    fn no_shell_passes_and_dangling_links_are_no_shell() {
        let image = TestImage::new().layer(vec![dir("bin", 0o755), link("bin/sh", "/bin/gone"), file("app/server", 0o755, 100)]);
        let o = image.run(&Shell);
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "no shell found"));
        // A shell deleted by a later layer is gone.
        let image = TestImage::new().layer(vec![dir("bin", 0o755), file("bin/sh", 0o755, 1)]).layer(vec![whiteout("bin/sh")]);
        assert_eq!(image.run(&Shell).status, Status::Pass);
    }

    #[test]
    fn the_distroless_profile_makes_it_high() {
        assert_eq!(Shell.severity(Profile::Default), Severity::Low);
        assert_eq!(Shell.severity(Profile::Distroless), Severity::High);
    }
}
