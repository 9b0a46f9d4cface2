//! `runs-as-root`: the image's default user is not uid 0.
//!
//! A process running as root in a container is root in the kernel's eyes
//! (unless user namespaces remap it): one container escape or a writable
//! host mount away from the host. So this fails at **high** in every
//! profile.
//!
//! `USER` may be `name`, `uid`, `name:group` or `uid:gid`; only the user
//! part decides. Empty or absent means root. A number is taken as it is:
//! a non-zero uid passes even without a passwd entry, because runtimes run
//! a numeric uid whether or not it has one. A name is looked up in the
//! image's `/etc/passwd`; `root` without a passwd entry is still uid 0 by
//! convention. Any other name that cannot be resolved **fails**: a
//! container runtime refuses to start such an image ("unable to find
//! user"), so the image as configured does not run as a non-root user, and
//! the fix is the same (a numeric uid). When the image has `/etc/passwd`
//! but the passwd reader did not run, the check cannot tell and skips.

use crate::{Check, Context, Outcome, Profile, Severity};

/// See the module documentation.
pub struct RunsAsRoot;

/// How the user was found to be who it is.
enum Resolved {
    /// A uid, and how it was known.
    Uid(u64, String),
    /// A name without an account.
    Unknown(String),
    /// A name, with an `/etc/passwd` the reader did not read.
    Unread,
}

fn resolve(user: &str, cx: &Context<'_>) -> Resolved {
    if user.is_empty() {
        return Resolved::Uid(0, "no user given, so the runtime's default, root".to_owned());
    }
    if let Ok(uid) = user.parse::<u64>() {
        return Resolved::Uid(uid, "numeric".to_owned());
    }
    match &cx.inventory.accounts {
        Some(accounts) => match accounts.iter().find(|a| a.name == user) {
            Some(a) => Resolved::Uid(a.uid, "from /etc/passwd".to_owned()),
            None if user == "root" => Resolved::Uid(0, "root by convention; /etc/passwd has no entry".to_owned()),
            None => Resolved::Unknown("/etc/passwd has no such user".to_owned()),
        },
        None if cx.merged.files.contains_key("etc/passwd") => Resolved::Unread,
        None if user == "root" => Resolved::Uid(0, "root by convention; the image has no /etc/passwd".to_owned()),
        None => Resolved::Unknown("the image has no /etc/passwd".to_owned()),
    }
}

impl Check for RunsAsRoot {
    fn id(&self) -> &'static str {
        "runs-as-root"
    }
    fn title(&self) -> &'static str {
        "Runs as a non-root user"
    }
    fn severity(&self, _: Profile) -> Severity {
        Severity::High
    }
    fn remediation(&self) -> &'static str {
        "Create an unprivileged user in the image and end the Dockerfile with `USER <uid>:<gid>` (numeric, so that runtimes and Kubernetes' runAsNonRoot can verify it)."
    }
    fn run(&self, cx: &Context<'_>) -> Outcome {
        let given = cx.config.config.user.as_deref().unwrap_or("").trim();
        let user = given.split_once(':').map_or(given, |(u, _)| u);
        let shown = if given.is_empty() { "no USER".to_owned() } else { format!("USER {given}") };
        match resolve(user, cx) {
            Resolved::Uid(0, how) => Outcome::fail(format!("runs as root ({shown})"), vec![format!("{shown}: uid 0 ({how})")]),
            Resolved::Uid(uid, how) => Outcome::pass(format!("runs as uid {uid} ({shown}, {how})")),
            Resolved::Unknown(why) => Outcome::fail(
                format!("{shown}: user '{user}' cannot be resolved, so a runtime refuses to start the image"),
                vec![format!("{shown}: {why}")],
            ),
            Resolved::Unread => Outcome::skip(format!("{shown}: the image has /etc/passwd but it was not read, so '{user}' cannot be resolved")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::TestImage;
    use super::*;
    use crate::Status;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";

    fn run(image: TestImage) -> Outcome {
        image.run(&RunsAsRoot)
    }

    #[test]
    fn no_user_is_root() {
        let o = run(TestImage::new().config("{}"));
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "runs as root (no USER)");
        assert_eq!(o.details, ["no USER: uid 0 (no user given, so the runtime's default, root)"]);
        assert_eq!(run(TestImage::new().config(r#"{"User": ""}"#)).status, Status::Fail);
    }

    #[test]
    fn numeric_users() {
        assert_eq!(run(TestImage::new().config(r#"{"User": "0"}"#)).details, ["USER 0: uid 0 (numeric)"]);
        assert_eq!(run(TestImage::new().config(r#"{"User": "0:1000"}"#)).status, Status::Fail);
        // No passwd needed for a number.
        let o = run(TestImage::new().config(r#"{"User": "1000:1000"}"#));
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "runs as uid 1000 (USER 1000:1000, numeric)"));
    }

    #[test]
    fn names_are_looked_up() {
        let o = run(TestImage::new().passwd(PASSWD).config(r#"{"User": "app"}"#));
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "runs as uid 1000 (USER app, from /etc/passwd)"));
        let o = run(TestImage::new().passwd(PASSWD).config(r#"{"User": "toor:app"}"#));
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.details, ["USER toor:app: uid 0 (from /etc/passwd)"]);
        let o = run(TestImage::new().config(r#"{"User": "root"}"#));
        assert_eq!(o.details, ["USER root: uid 0 (root by convention; the image has no /etc/passwd)"]);
    }

    #[test]
    fn unknown_names_fail_and_unread_passwd_skips() {
        let o = run(TestImage::new().passwd(PASSWD).config(r#"{"User": "ghost"}"#));
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "USER ghost: user 'ghost' cannot be resolved, so a runtime refuses to start the image");
        assert_eq!(o.details, ["USER ghost: /etc/passwd has no such user"]);
        let o = run(TestImage::new().config(r#"{"User": "app"}"#));
        assert_eq!(o.details, ["USER app: the image has no /etc/passwd"]);
        let unread = TestImage::new().layer(vec![super::super::testing::file("etc/passwd", 0o644, 10)]).config(r#"{"User": "app"}"#);
        assert_eq!(run(unread).status, Status::Skip);
    }
}
