//! Maintainer scripts, read and never run.
//!
//! A script is parsed as shell (brush-parser, through temper-dockerfile's
//! [`parse_shell`]) and each command it could run is sorted: commands
//! without effect on the file system (`set`, `test`, `echo`, `exit`,
//! `dpkg --compare-versions`, …) and `ldconfig` (a container's loader
//! cache is rebuilt by nothing and needed by nothing: glibc finds
//! libraries in the standard directories without it) are nothing to do;
//! `update-alternatives --install` becomes an [`Alternative`] the
//! installer writes itself; everything else is reported, for the caller to
//! warn about or refuse. The branch a command sits in (`configure` or
//! `abort-upgrade`) is not evaluated: any command that could run counts.

use std::collections::HashSet;

use temper_dockerfile::{Script, parse_shell};

/// An `update-alternatives --install LINK NAME PATH PRIORITY [--slave LINK NAME PATH]…` call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Alternative {
    /// The generic name's link (`/usr/bin/editor`).
    pub link: String,
    /// The generic name (`editor`).
    pub name: String,
    /// This package's choice (`/bin/nano`).
    pub path: String,
    /// Its priority.
    pub priority: i64,
    /// Slaves: `(link, name, path)`.
    pub slaves: Vec<(String, String, String)>,
}

/// Whether an [`Account`] is a user or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountKind {
    /// `adduser NAME`, `useradd NAME`.
    User,
    /// `addgroup NAME`, `groupadd NAME`, and the group `adduser --group` makes.
    Group,
}

/// An account a script creates (`adduser --system www-data`): temper does
/// not run the call; the spec declares the account (`[[users]]`,
/// `[[groups]]`) or the base already has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// User or group.
    pub kind: AccountKind,
    /// Its name.
    pub name: String,
    /// The call as written.
    pub command: String,
}

/// What a script asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classified {
    /// Alternatives to set up.
    pub alternatives: Vec<Alternative>,
    /// Accounts it creates.
    pub accounts: Vec<Account>,
    /// Commands temper does not reproduce, as written (deduplicated, in order).
    pub unhandled: Vec<String>,
}

/// Commands that change nothing on disk.
const NO_EFFECT: &[&str] = &[
    ":", "[", "[[", "basename", "break", "cat", "cmp", "command", "continue", "cut", "dirname", "echo", "egrep", "exit", "expr", "false", "fgrep", "getent", "grep", "head", "id",
    "local", "printf", "read", "readlink", "return", "seq", "set", "shift", "sort", "stat", "tail", "test", "tr", "true", "uname", "uniq", "wc", "which",
];

/// Names the script defines as functions (`name()` at the start of a
/// line): their bodies are classified where they stand, so calls are not.
fn functions(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start().strip_prefix("function ").unwrap_or(l.trim_start());
            let (name, rest) = l.split_once('(')?;
            let name = name.trim_end();
            (rest.trim_start().starts_with(')') && !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')).then_some(name)
        })
        .collect()
}

/// `dpkg` options that only query.
const DPKG_QUERIES: &[&str] = &["--compare-versions", "--print-architecture", "--assert-multi-arch", "--assert-versioned-provides", "--validate-version", "-L", "-s", "--status", "--listfiles"];

fn parse_alternative(args: &[String]) -> Option<Alternative> {
    let mut words = args.iter().map(String::as_str).filter(|a| !matches!(*a, "--quiet" | "--verbose" | "--force"));
    if words.next()? != "--install" {
        return None;
    }
    let (link, name, path, priority) = (words.next()?, words.next()?, words.next()?, words.next()?.parse().ok()?);
    let mut alt = Alternative { link: link.to_owned(), name: name.to_owned(), path: path.to_owned(), priority, slaves: Vec::new() };
    while let Some(flag) = words.next() {
        if flag != "--slave" {
            return None;
        }
        alt.slaves.push((words.next()?.to_owned(), words.next()?.to_owned(), words.next()?.to_owned()));
    }
    let absolute = |p: &str| p.starts_with('/') && !p.contains('$');
    let plain = |n: &str| !n.is_empty() && !n.contains(['/', '$']);
    (absolute(&alt.link) && absolute(&alt.path) && plain(&alt.name) && alt.slaves.iter().all(|(l, n, p)| absolute(l) && plain(n) && absolute(p))).then_some(alt)
}

/// The accounts an `adduser`/`addgroup`/`useradd`/`groupadd` call creates;
/// `None` when the call does something else (`adduser USER GROUP` adds a
/// member) or names its account through a variable.
fn parse_account(program: &str, args: &[String]) -> Option<Vec<(AccountKind, String)>> {
    let with_value: &[&str] = match program {
        "adduser" | "addgroup" => &["--home", "--shell", "--uid", "--gid", "--ingroup", "--gecos", "--comment", "--firstuid", "--lastuid", "--firstgid", "--lastgid", "--conf"],
        "useradd" => &["-b", "--base-dir", "-c", "--comment", "-d", "--home-dir", "-e", "--expiredate", "-f", "--inactive", "-g", "--gid", "-G", "--groups", "-k", "--skel", "-K", "--key", "-p", "--password", "-R", "--root", "-P", "--prefix", "-s", "--shell", "-u", "--uid", "-Z", "--selinux-user"],
        "groupadd" => &["-g", "--gid", "-K", "--key", "-p", "--password", "-R", "--root", "-P", "--prefix"],
        _ => return None,
    };
    let mut positional = Vec::new();
    let mut group_too = false;
    let mut words = args.iter();
    while let Some(w) = words.next() {
        if w == "--group" && program == "adduser" {
            group_too = true;
        } else if with_value.contains(&w.as_str()) {
            words.next()?;
        } else if !w.starts_with('-') {
            positional.push(w.as_str());
        }
    }
    let [name] = positional.as_slice() else { return None };
    if name.is_empty() || name.contains(['$', '`', '/', '\\', '"', '\'']) {
        return None;
    }
    let kind = if matches!(program, "addgroup" | "groupadd") { AccountKind::Group } else { AccountKind::User };
    let mut out = vec![(kind, (*name).to_owned())];
    if group_too {
        out.push((AccountKind::Group, (*name).to_owned()));
    }
    Some(out)
}

/// Sorts the commands of one maintainer script.
/// Whether a `dpkg-maintscript-helper rm_conffile|mv_conffile|symlink_to_dir|dir_to_symlink … [PRIOR-VERSION] -- "$@"`
/// call does nothing here: it acts only on an upgrade from a version at or
/// below PRIOR-VERSION (`le-nl`, dpkg-maintscript-helper(1)), never on a fresh install.
fn maintscript_helper_is_a_no_op(args: &[String], upgrading_from: Option<&str>) -> bool {
    let positional: Vec<&String> = args.iter().take_while(|a| a.as_str() != "--").collect();
    let prior = match positional.first().map(|s| s.as_str()) {
        Some("rm_conffile") => positional.get(2),
        Some("mv_conffile" | "symlink_to_dir" | "dir_to_symlink") => positional.get(3),
        _ => return false,
    };
    match (upgrading_from, prior.filter(|p| !p.is_empty())) {
        (None, _) => true,
        (Some(old), Some(prior)) => crate::relation::compare(old, prior).is_ok_and(|o| o == std::cmp::Ordering::Greater),
        (Some(_), None) => false,
    }
}

/// Sorts a maintainer script's commands into what temper does natively and
/// what it reports; `upgrading_from` is the installed version the package
/// replaces (`None` for a fresh install).
pub fn classify(text: &str, upgrading_from: Option<&str>) -> Classified {
    let mut out = Classified::default();
    if let Some(interpreter) = text.strip_prefix("#!").and_then(|l| l.lines().next()).map(str::trim)
        && !interpreter.split_whitespace().next().is_some_and(|p| matches!(p.rsplit('/').next(), Some("sh" | "bash" | "dash")))
    {
        out.unhandled.push(format!("a script for {interpreter}"));
        return out;
    }
    let script = match parse_shell(text) {
        Script::Parsed(s) => s,
        Script::Failed(d) => {
            out.unhandled.push(format!("a script temper cannot read ({})", d.message));
            return out;
        }
        Script::NotShell { interpreter } => {
            out.unhandled.push(format!("a script for {interpreter}"));
            return out;
        }
        Script::NotParsed => return out,
    };
    // Sets, not lists: looking commands up in lists made a script of many
    // distinct commands or functions quadratic.
    let defined: HashSet<&str> = functions(text).into_iter().collect();
    let (mut alternatives, mut unhandled, mut seen_accounts) = (HashSet::new(), HashSet::new(), HashSet::new());
    for command in &script.commands {
        let Some(program) = command.program() else { continue };
        let args = command.arg_values();
        if defined.contains(&program.as_str()) {
            continue;
        }
        // Output sent anywhere but /dev/null or another descriptor writes a file.
        let writes = command.redirects.iter().any(|r| r.operator.contains('>') && !r.operator.contains('&') && r.target.as_ref().is_none_or(|t| t.unquoted() != "/dev/null"));
        let handled = !writes && match program.as_str() {
            p if NO_EFFECT.contains(&p) => true,
            "ldconfig" => true,
            // Without -i, sed only filters a pipe.
            "sed" => !args.iter().any(|a| a.starts_with("--in-place") || (a.starts_with('-') && !a.starts_with("--") && a.contains('i'))),
            // debconf: questions answered by their defaults, kept in
            // debconf's own database, which the image's programs never read.
            "." => args.first().is_some_and(|a| a == "/usr/share/debconf/confmodule"),
            p if p.starts_with("db_") => true,
            "dpkg" => args.first().is_some_and(|a| DPKG_QUERIES.contains(&a.as_str())),
            "dpkg-maintscript-helper" => maintscript_helper_is_a_no_op(&args, upgrading_from),
            "adduser" | "addgroup" | "useradd" | "groupadd" => match parse_account(&program, &args) {
                Some(accounts) => {
                    let command = written(command);
                    for (kind, name) in accounts {
                        if seen_accounts.insert((kind, name.clone())) {
                            out.accounts.push(Account { kind, name, command: command.clone() });
                        }
                    }
                    true
                }
                None => false,
            },
            "update-alternatives" => match parse_alternative(&args) {
                Some(alt) => {
                    if alternatives.insert(alt.clone()) {
                        out.alternatives.push(alt);
                    }
                    true
                }
                None => false,
            },
            _ => false,
        };
        if !handled {
            let written = written(command);
            if unhandled.insert(written.clone()) {
                out.unhandled.push(written);
            }
        }
    }
    out
}

/// A command as the script writes it.
fn written(command: &temper_dockerfile::SimpleCommand) -> String {
    std::iter::once(command.name.as_ref().map(|n| n.text.clone()).unwrap_or_default())
        .chain(command.args.iter().map(|a| a.text.clone()))
        .chain(command.redirects.iter().map(|r| format!("{} {}", r.operator, r.target.as_ref().map_or("", |t| t.text.as_str()))))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_debhelper_boilerplate_and_ldconfig_need_nothing() {
        let text = "#!/bin/sh\nset -e\n# Automatically added by dh_makeshlibs\nif [ \"$1\" = \"configure\" ]; then\n\tldconfig\nfi\ncase \"$1\" in\n  configure) ;;\n  abort-upgrade|abort-remove) ;;\n  *) echo \"postinst called with unknown argument '$1'\" >&2; exit 1 ;;\nesac\nexit 0\n";
        assert_eq!(classify(text, None), Classified::default());
    }

    #[test]
    fn scripts_update_alternatives_install_is_understood() {
        let text = "#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n  update-alternatives --install /usr/bin/editor editor /bin/nano 40 \\\n    --slave /usr/share/man/man1/editor.1.gz editor.1.gz /usr/share/man/man1/nano.1.gz\nfi\n";
        let c = classify(text, None);
        assert!(c.unhandled.is_empty(), "{c:?}");
        assert_eq!(
            c.alternatives,
            [Alternative {
                link: "/usr/bin/editor".into(),
                name: "editor".into(),
                path: "/bin/nano".into(),
                priority: 40,
                slaves: vec![("/usr/share/man/man1/editor.1.gz".into(), "editor.1.gz".into(), "/usr/share/man/man1/nano.1.gz".into())],
            }]
        );
    }

    #[test]
    fn scripts_maintscript_helper_is_a_no_op_unless_upgrading_from_at_or_below_its_prior_version() {
        let text = "dpkg-maintscript-helper dir_to_symlink /usr/share/zoneinfo/posix/US ../US 2022g-1\\~ -- \"$@\"\ndpkg-maintscript-helper rm_conffile /etc/apt/apt.conf.d/20changelog 1.2.4~ -- \"$@\"\n";
        assert!(classify(text, None).unhandled.is_empty(), "a fresh install");
        assert!(classify(text, Some("2026b-0+deb12u1")).unhandled.is_empty(), "from a version above both");
        assert_eq!(classify(text, Some("2021a-1")).unhandled.len(), 1, "from 2021a, dir_to_symlink acts; rm_conffile's 1.2.4~ is below it");
        assert_eq!(classify("dpkg-maintscript-helper rm_conffile /etc/x -- \"$@\"\n", Some("1")).unhandled.len(), 1, "no prior version: every upgrade");
    }

    /// Found by scaling the `apt_scripts` fuzz body: each command was looked
    /// up in the lists of what was listed and of the script's functions, so
    /// fifty thousand distinct commands took most of a minute (debug build).
    /// The growth, not a time limit, is asserted: four times the commands
    /// take about four times as long, where the quadratic lookup took sixteen.
    #[test]
    fn scripts_of_many_distinct_commands_classify_in_linear_time() {
        let script = |n: usize| -> String { (0..n).map(|i| format!("f{i}() {{ :; }}\nchown a /b{i}\nupdate-alternatives --install /usr/bin/a a /usr/bin/a{i} {i}\n")).collect() };
        let timed = |n: usize| {
            let text = script(n);
            let start = std::time::Instant::now();
            let c = classify(&text, None);
            let took = start.elapsed();
            assert_eq!((c.unhandled.len(), c.alternatives.len()), (n, n));
            assert_eq!(c.unhandled[n - 1], format!("chown a /b{}", n - 1));
            took
        };
        let (small, large) = (timed(8_000), timed(32_000));
        assert!(large < small * 10, "4× the commands took {:.1}× as long ({small:?}, {large:?})", large.as_secs_f64() / small.as_secs_f64());
    }

    #[test]
    fn scripts_account_creation_names_the_account() {
        let accounts = |text: &str| classify(text, None).accounts.into_iter().map(|a| (a.kind, a.name)).collect::<Vec<_>>();
        use AccountKind::{Group, User};
        assert_eq!(accounts("adduser --system --group --home /nonexistent --no-create-home --quiet foo"), [(User, "foo".into()), (Group, "foo".into())]);
        assert_eq!(accounts("if ! getent passwd _apt >/dev/null; then adduser --force-badname --system --home /nonexistent --no-create-home --quiet _apt || true; fi"), [(User, "_apt".into())]);
        assert_eq!(accounts("addgroup --system --gid 101 www-data\nuseradd -r -u 33 -g www-data -d /var/www -s /usr/sbin/nologin www-data\ngroupadd -g 5 --system tty"), [(Group, "www-data".into()), (User, "www-data".into()), (Group, "tty".into())]);
        let c = classify("adduser foo bar\nadduser --system \"$USER\"\n", None);
        assert!(c.accounts.is_empty());
        assert_eq!(c.unhandled, ["adduser foo bar", "adduser --system \"$USER\""]);
        assert_eq!(classify("adduser --system foo\n", None).accounts[0].command, "adduser --system foo");
    }

    #[test]
    fn scripts_other_commands_are_reported_as_written() {
        let c = classify("#!/bin/sh\nset -e\nadduser --system --group foo\nchown foo:foo /var/lib/foo\nupdate-alternatives --install /usr/bin/x x \"$DIR/x\" 10\nif dpkg --compare-versions \"$2\" lt 2; then rm -f /etc/old; fi\n", None);
        assert_eq!(c.unhandled, ["chown foo:foo /var/lib/foo", "update-alternatives --install /usr/bin/x x \"$DIR/x\" 10", "rm -f /etc/old"]);
        let c = classify("each() { for x in $1; do echo $x; done; }\neach \"$L\" | tr , ' ' | sort | uniq -c | sed -e 's/a/b/'\nsed -i 's/a/b/' /etc/x\n. /usr/share/debconf/confmodule\ndb_get foo/bar\n", None);
        assert_eq!(c.unhandled, ["sed -i 's/a/b/' /etc/x"]);
        assert_eq!(classify("echo yes > /etc/flag\necho fine >/dev/null 2>&1\n", None).unhandled, ["echo yes > /etc/flag"]);
        assert_eq!(classify("#!/usr/bin/perl\nprint 1;\n", None).unhandled, ["a script for /usr/bin/perl"]);
    }
}
