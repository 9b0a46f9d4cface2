//! `setuid`: no file of the image is setuid or setgid.
//!
//! A setuid-root binary is how an unprivileged process in the container
//! becomes root: through a bug in the binary, or by design when it is a
//! general tool (a setuid `find` runs `-exec` as root). Containers rarely
//! need any: passwords are not changed and filesystems not mounted inside
//! them. Docker's and CIS's benchmarks say to strip the bits, so every
//! such file fails the check, the stock ones of a distribution base
//! included (`passwd`, `su`, `mount`, …), and all are listed. It is
//! **medium** in every profile: the bits matter only to a process that is
//! not root already, and `--security-opt no-new-privileges` neutralises
//! them at run time.
//!
//! Regular files with mode `& 0o6000`, and hard links to them (the same
//! file under another name), in the merged view, each with its mode and
//! owner.

use temper_layer::EntryKind;

use crate::{Check, Context, Outcome, Profile, Severity};

/// See the module documentation.
pub struct Setuid;

impl Check for Setuid {
    fn id(&self) -> &'static str {
        "setuid"
    }
    fn title(&self) -> &'static str {
        "No setuid or setgid files"
    }
    fn severity(&self, _: Profile) -> Severity {
        Severity::Medium
    }
    fn remediation(&self) -> &'static str {
        "Strip the bits in the last stage: `RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`, or remove the binaries that are not needed; run with `--security-opt no-new-privileges`."
    }
    fn run(&self, cx: &Context<'_>) -> Outcome {
        let files = &cx.merged.files;
        let user = |uid: u64| match cx.inventory.accounts.iter().flatten().find(|a| a.uid == uid) {
            Some(a) => format!("{} ({uid})", a.name),
            None => uid.to_string(),
        };
        let mut details = Vec::new();
        for (path, m) in files {
            // A hard link shares its target's inode, so the target's mode is the one that counts.
            let e = match &m.entry.kind {
                EntryKind::File => &m.entry,
                EntryKind::Hardlink { target } => match files.get(target) {
                    Some(t) if t.entry.kind == EntryKind::File => &t.entry,
                    _ => continue,
                },
                _ => continue,
            };
            let bits = match e.mode & 0o6000 {
                0 => continue,
                0o4000 => "setuid",
                0o2000 => "setgid",
                _ => "setuid and setgid",
            };
            details.push(format!("/{path}: {bits}, mode {:04o}, owner {} group {}", e.mode & 0o7777, user(e.uid), e.gid));
        }
        match details.len() {
            0 => Outcome::pass("no setuid or setgid files"),
            n => Outcome::fail(format!("{n} setuid or setgid files"), details),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestImage, file};
    use super::*;
    use crate::Status;

    #[test]
    fn lists_every_setuid_and_setgid_file() {
        let mut gadget = file("usr/local/bin/backup-find", 0o4755, 10);
        gadget.gid = 50;
        let image = TestImage::new()
            .passwd("root:x:0:0:root:/root:/bin/sh\n")
            .layer(vec![file("usr/bin/passwd", 0o4755, 10), file("usr/bin/chage", 0o2755, 10), file("usr/bin/ls", 0o755, 10), file("opt/both", 0o6711, 1)])
            .layer(vec![gadget]);
        let o = image.run(&Setuid);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "4 setuid or setgid files");
        assert_eq!(
            o.details,
            [
                "/opt/both: setuid and setgid, mode 6711, owner root (0) group 0",
                "/usr/bin/chage: setgid, mode 2755, owner root (0) group 0",
                "/usr/bin/passwd: setuid, mode 4755, owner root (0) group 0",
                "/usr/local/bin/backup-find: setuid, mode 4755, owner root (0) group 50",
            ]
        );
    }

    #[test]
    fn plain_files_and_stripped_bits_pass() {
        let image = TestImage::new().layer(vec![file("usr/bin/passwd", 0o4755, 10)]).layer(vec![file("usr/bin/passwd", 0o755, 10)]);
        let o = image.run(&Setuid);
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "no setuid or setgid files"));
    }

    #[test]
    fn hard_links_to_setuid_files_count() {
        let mut hard = file("usr/bin/sg", 0o644, 0);
        hard.kind = EntryKind::Hardlink { target: "usr/bin/newgrp".to_owned() };
        let image = TestImage::new().layer(vec![file("usr/bin/newgrp", 0o4755, 10), hard]);
        assert_eq!(image.run(&Setuid).details, ["/usr/bin/newgrp: setuid, mode 4755, owner 0 group 0", "/usr/bin/sg: setuid, mode 4755, owner 0 group 0"]);
    }
}
