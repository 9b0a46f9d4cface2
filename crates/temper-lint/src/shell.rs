//! What rules ask of shell commands: the subcommand, flags in their short
//! and long spellings, the operands (packages). Works on the parser's
//! [`SimpleCommand`] words with quotes removed.

use temper_dockerfile::{ShellWord, SimpleCommand};

/// The command's program name without its directory (`/usr/bin/apt-get` is `apt-get`).
pub fn program(cmd: &SimpleCommand) -> Option<String> {
    cmd.program().map(|p| p.rsplit('/').next().unwrap_or(&p).to_owned())
}

/// Whether the command carries flag `short` (one letter, also inside a
/// cluster such as `-qy`) or `long` (`--yes`, also `--yes=…`).
pub fn has_flag(cmd: &SimpleCommand, short: Option<char>, long: &[&str]) -> bool {
    cmd.args.iter().map(ShellWord::unquoted).any(|a| {
        if let Some(l) = a.strip_prefix("--") {
            let name = l.split('=').next().unwrap_or(l);
            long.iter().any(|x| x.trim_start_matches('-') == name)
        } else if let Some(s) = a.strip_prefix('-') {
            short.is_some_and(|c| !s.is_empty() && s.chars().all(|x| x.is_ascii_alphanumeric()) && s.contains(c))
        } else {
            false
        }
    })
}

/// The first argument that is not a flag (`install` in `apt-get -y install x`).
pub fn subcommand(cmd: &SimpleCommand) -> Option<&ShellWord> {
    cmd.args.iter().find(|a| !a.unquoted().starts_with('-'))
}

/// The arguments after the subcommand that are not flags: the packages of
/// `apt-get install`, `apk add`, `pip install`, `npm install`.
/// `flags_with_values` lists the flags that take the next word as their
/// value (`-o`, `--target`), so that word is not taken for a package.
pub fn operands<'a>(cmd: &'a SimpleCommand, flags_with_values: &[&str]) -> Vec<&'a ShellWord> {
    let mut out = Vec::new();
    let mut seen_sub = false;
    let mut skip = false;
    for a in &cmd.args {
        let t = a.unquoted();
        if skip {
            skip = false;
            continue;
        }
        if t.starts_with('-') {
            skip = !t.contains('=') && flags_with_values.contains(&t.as_str());
            continue;
        }
        if !seen_sub {
            seen_sub = true;
            continue;
        }
        out.push(a);
    }
    out
}
