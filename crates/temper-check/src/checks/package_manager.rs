//! `package-manager`: the image has no package manager.
//!
//! A package manager lets whoever gets code execution in the container
//! install the tools for the next step, and it is never needed at run
//! time. It is more often removable than a shell, so under the default
//! profile this is **medium**: a stock distribution base fails it without
//! failing the default `--fail-on high`. The distroless profile promises
//! there is none: **high**.
//!
//! Looks in the same directories as `shell` (the usual ones and those of
//! the config's `PATH`) for the OS managers (`apt`,
//! `apt-get`, `dpkg`, `apk`, `yum`, `dnf`, `microdnf`, `rpm`) and the
//! language ones that install from the network (`pip`, `pip3`, `npm`,
//! `yarn`, `pnpm`, `gem`). A package database without its tool (a
//! distroless `status.d`) is no package manager.

use super::{Program, find_programs, program_dirs};
use crate::{Check, Context, Outcome, Profile, Severity};

/// See the module documentation.
pub struct PackageManager;

pub(super) const MANAGERS: [&str; 14] = ["apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "pip", "pip3", "npm", "yarn", "pnpm", "gem"];

impl Check for PackageManager {
    fn id(&self) -> &'static str {
        "package-manager"
    }
    fn title(&self) -> &'static str {
        "No package manager in the image"
    }
    fn severity(&self, profile: Profile) -> Severity {
        match profile {
            Profile::Default => Severity::Medium,
            Profile::Distroless => Severity::High,
        }
    }
    fn remediation(&self) -> &'static str {
        "Install packages in a build stage and copy only the results into a runtime stage without a package manager (distroless or scratch), or remove the manager in the last layer that uses it."
    }
    fn run(&self, cx: &Context<'_>) -> Outcome {
        let found = find_programs(cx.merged, &program_dirs(cx), &MANAGERS);
        if found.is_empty() {
            return Outcome::pass("no package manager found");
        }
        let mut names: Vec<&str> = found.iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        Outcome::fail(format!("package managers present: {}", names.join(", ")), found.iter().map(Program::display).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestImage, dir, file, link};
    use super::*;
    use crate::Status;

    #[test]
    fn finds_os_and_language_managers() {
        let image = TestImage::new()
            .layer(vec![link("bin", "usr/bin"), dir("usr/bin", 0o755), file("usr/bin/dpkg", 0o755, 10), file("usr/bin/apt-get", 0o755, 10)])
            .layer(vec![dir("usr/local/bin", 0o755), link("usr/local/bin/pip3", "/opt/venv/bin/pip3"), file("opt/venv/bin/pip3", 0o755, 10)]);
        let o = image.run(&PackageManager);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "package managers present: apt-get, dpkg, pip3");
        assert_eq!(o.details, ["/usr/bin/apt-get", "/usr/bin/dpkg", "/usr/local/bin/pip3 -> /opt/venv/bin/pip3"]);
    }

    #[test]
    fn a_virtualenv_on_the_path_counts() {
        let image = TestImage::new()
            .layer(vec![file("opt/venv/bin/pip", 0o755, 10), file("opt/other/bin/npm", 0o755, 10)])
            .config(r#"{"Env": ["PATH=/opt/venv/bin/:/usr/local/bin:/usr/bin:relative/bin"]}"#);
        let o = image.run(&PackageManager);
        assert_eq!((o.message.as_str(), o.details.as_slice()), ("package managers present: pip", ["/opt/venv/bin/pip".to_owned()].as_slice()));
    }

    #[test]
    fn a_package_database_alone_passes() {
        let image = TestImage::new().layer(vec![file("var/lib/dpkg/status.d/base-files", 0o644, 10), file("app/server", 0o755, 10)]);
        let o = image.run(&PackageManager);
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "no package manager found"));
    }

    #[test]
    fn severity_by_profile() {
        assert_eq!(PackageManager.severity(Profile::Default), Severity::Medium);
        assert_eq!(PackageManager.severity(Profile::Distroless), Severity::High);
    }
}
