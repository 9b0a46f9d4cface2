//! `world-writable`: nothing is writable by every user, except sticky
//! directories.
//!
//! A world-writable file can be rewritten by any uid in the container
//! (a script another user runs, a config it reads); a world-writable
//! directory without the sticky bit lets any uid delete or replace what
//! others put there. The sticky bit (`/tmp`, `/var/tmp`, `/run/lock`,
//! `/dev/shm` are 1777) limits deletion to the owner, so such directories
//! pass; a world-writable *file* fails wherever it is. **Medium** in every
//! profile: it takes a second, unprivileged process to exploit.
//!
//! Only regular files and directories are looked at: a symlink's mode
//! means nothing, and device nodes or fifos in a layer are hidden by the
//! `/dev` the runtime mounts.

use temper_layer::EntryKind;

use crate::{Check, Context, Outcome, Profile, Severity};

/// See the module documentation.
pub struct WorldWritable;

impl Check for WorldWritable {
    fn id(&self) -> &'static str {
        "world-writable"
    }
    fn title(&self) -> &'static str {
        "No world-writable files or non-sticky directories"
    }
    fn severity(&self, _: Profile) -> Severity {
        Severity::Medium
    }
    fn remediation(&self) -> &'static str {
        "Give the path to the user that writes it (`chown`) and drop the other-write bit (`chmod o-w`); a shared scratch directory needs the sticky bit (`chmod 1777`)."
    }
    fn run(&self, cx: &Context<'_>) -> Outcome {
        let mut details = Vec::new();
        for (path, m) in &cx.merged.files {
            let e = &m.entry;
            if e.mode & 0o002 == 0 {
                continue;
            }
            let mode = e.mode & 0o7777;
            match e.kind {
                EntryKind::File => details.push(format!("/{path}: file, mode {mode:04o}")),
                EntryKind::Dir if e.mode & 0o1000 == 0 => details.push(format!("/{path}: directory without the sticky bit, mode {mode:04o}")),
                _ => {}
            }
        }
        match details.len() {
            0 => Outcome::pass("no world-writable files or non-sticky directories"),
            1 => Outcome::fail("1 world-writable path", details),
            n => Outcome::fail(format!("{n} world-writable paths"), details),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestImage, dir, file, link};
    use super::*;
    use crate::Status;

    #[test]
    fn reports_files_and_non_sticky_directories() {
        let image = TestImage::new().layer(vec![
            dir("tmp", 0o1777),
            dir("var/tmp", 0o1777),
            dir("srv/uploads", 0o777),
            file("tmp/scratch", 0o666, 1),
            file("etc/app.conf", 0o644, 1),
            link("etc/alias", "app.conf"),
        ]);
        let o = image.run(&WorldWritable);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "2 world-writable paths");
        assert_eq!(o.details, ["/srv/uploads: directory without the sticky bit, mode 0777", "/tmp/scratch: file, mode 0666"]);
    }

    #[test]
    fn sticky_directories_pass() {
        let image = TestImage::new().layer(vec![dir("tmp", 0o1777), dir("run/lock", 0o1777), dir("srv/uploads", 0o775), link("usr/lib/x", "y")]);
        let o = image.run(&WorldWritable);
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "no world-writable files or non-sticky directories"));
    }

    #[test]
    fn a_later_chmod_counts() {
        let image = TestImage::new().layer(vec![dir("srv/uploads", 0o777)]).layer(vec![dir("srv/uploads", 0o1777)]);
        assert_eq!(image.run(&WorldWritable).status, Status::Pass);
    }
}
