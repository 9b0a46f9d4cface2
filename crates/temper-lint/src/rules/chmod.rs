//! `chmod-777`: `chmod` that makes files world-writable (`777`, `666`,
//! `-R 777`, `a+rwx`, `o+w`). Any process in the container, whatever its
//! user, can then change those files: a compromised unprivileged process
//! can rewrite the app or its configuration.
//!
//! Numeric modes fire when the last (others) digit has the write bit (2,
//! 3, 6, 7); symbolic modes when a clause for `o` or `a` adds or sets `w`.
//! Accepted: modes with the sticky bit (`1777`, `+t`: the `/tmp`
//! convention, where users cannot remove each other's files) and `+w`
//! without a who, which the umask keeps from others.

use temper_dockerfile::Dockerfile;

use super::util::commands;
use crate::shell::program;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct Chmod;

static META: RuleMeta = RuleMeta {
    id: "chmod-777",
    hadolint: None,
    severity: Severity::Warning,
    message: "chmod makes files world-writable",
    hint: "Give the files to the user that needs them (`COPY --chown=app:app`, `chown app`) with a mode such as 755 or 644.",
    doc: "A world-writable file or directory can be changed by any user in the container, so a compromised low-privilege process can rewrite code, configuration or scripts that something else runs later. `chmod 777` is usually a shortcut around an ownership problem: give the files to the user that runs the app instead. The rule fires on numeric modes whose last digit grants write (`777`, `666`, `0777`, `-R 777`) and symbolic modes granting `w` to `o` or `a` (`a+rwx`, `o+w`, `ugo=rwx`). Accepted: the sticky bit (`chmod 1777 /tmp`, `+t`) and `+w` with no who. Fix: `RUN chown -R app:app /app/data && chmod 755 /app/data`.",
};

impl Rule for Chmod {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for cmd in df.instructions.iter().flat_map(commands) {
            if program(cmd).as_deref() != Some("chmod") {
                continue;
            }
            let Some(mode) = cmd.args.iter().find(|a| !a.unquoted().starts_with('-') || is_symbolic(&a.unquoted())) else { continue };
            let m = mode.unquoted();
            if world_writable(&m) {
                out.push(Violation::with(mode.span, format!("chmod {m} makes files world-writable")));
            }
        }
        out
    }
}

/// `-w` style modes look like flags; these are modes.
fn is_symbolic(a: &str) -> bool {
    a.strip_prefix('-').is_some_and(|r| !r.is_empty() && r.chars().all(|c| "rwxXst".contains(c)))
}

/// Whether the mode grants others write (see the module docs).
pub fn world_writable(mode: &str) -> bool {
    if !mode.is_empty() && mode.chars().all(|c| c.is_digit(8)) {
        let digits: Vec<u32> = mode.chars().filter_map(|c| c.to_digit(8)).collect();
        let others = digits.last().copied().unwrap_or(0);
        let sticky = digits.len() == 4 && digits[0] & 1 == 1;
        return others & 2 == 2 && !sticky;
    }
    if mode.contains('t') {
        return false;
    }
    mode.split(',').any(|clause| {
        let Some(op) = clause.find(['+', '=']) else { return false };
        let (who, perms) = clause.split_at(op);
        (who.contains('o') || who.contains('a')) && perms.contains('w')
    })
}
