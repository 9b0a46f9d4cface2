//! What rules ask of shell commands: the subcommand, flags in their short
//! and long spellings, the operands (packages). Works on the parser's
//! [`SimpleCommand`] words with quotes removed.

use temper_dockerfile::{Instruction, ShellForm, ShellWord, SimpleCommand};

/// apt-get options that take the next word as their value.
pub const APT_GET_VALUE_FLAGS: &[&str] = &["-o", "--option", "-t", "--target-release", "--default-release", "-c", "--config-file"];

/// apk options that take the next word as their value.
pub const APK_VALUE_FLAGS: &[&str] =
    &["-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch", "--keys-dir", "--repositories-file", "--cache-dir", "--cache-max-age"];

/// The command's program name without its directory (`/usr/bin/apt-get` is `apt-get`).
pub fn program(cmd: &SimpleCommand) -> Option<String> {
    cmd.program().map(|p| p.rsplit('/').next().unwrap_or(&p).to_owned())
}

/// Whether the command carries flag `short` (one letter, also inside a
/// cluster such as `-qy`) or `long` (`--yes`, also `--yes=…`).
pub fn has_flag(cmd: &SimpleCommand, short: Option<char>, long: &[&str]) -> bool {
    has_flag_in(&cmd.args, short, long)
}

/// [`has_flag`] over a slice of arguments (those after `python -m pip`).
pub fn has_flag_in(args: &[ShellWord], short: Option<char>, long: &[&str]) -> bool {
    args.iter().map(ShellWord::unquoted).any(|a| {
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
    subcommand_in(&cmd.args)
}

/// [`subcommand`] over a slice of arguments.
pub fn subcommand_in(args: &[ShellWord]) -> Option<&ShellWord> {
    args.iter().find(|a| !a.unquoted().starts_with('-'))
}

/// The arguments after the subcommand that are not flags: the packages of
/// `apt-get install`, `apk add`, `pip install`, `npm install`.
/// `flags_with_values` lists the flags that take the next word as their
/// value (`-o`, `--target`), so that word is not taken for a package.
pub fn operands<'a>(cmd: &'a SimpleCommand, flags_with_values: &[&str]) -> Vec<&'a ShellWord> {
    operands_in(&cmd.args, flags_with_values)
}

/// [`operands`] over a slice of arguments.
pub fn operands_in<'a>(args: &'a [ShellWord], flags_with_values: &[&str]) -> Vec<&'a ShellWord> {
    let mut out = Vec::new();
    let mut seen_sub = false;
    let mut skip = false;
    for a in args {
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

/// The arguments of `program` when the command is `program SUB …` with
/// `SUB` one of `subs` (`apt-get install`, `apk add`); `None` otherwise.
/// `flags_with_values` as for [`operands`], so that in `apt-get -o
/// Opt=1 install` the subcommand is `install`.
pub fn invocation<'a>(cmd: &'a SimpleCommand, programs: &[&str], subs: &[&str], flags_with_values: &[&str]) -> Option<&'a [ShellWord]> {
    let p = program(cmd)?;
    if !programs.contains(&p.as_str()) {
        return None;
    }
    let mut skip = false;
    let sub = cmd.args.iter().map(ShellWord::unquoted).find(|t| {
        if std::mem::take(&mut skip) {
            return false;
        }
        if t.starts_with('-') {
            skip = !t.contains('=') && flags_with_values.contains(&t.as_str());
            return false;
        }
        true
    })?;
    subs.contains(&sub.as_str()).then_some(cmd.args.as_slice())
}

/// The arguments of pip when the command runs it: `pip`, `pip3`,
/// `pip3.12`, or `python… -m pip`.
pub fn pip_args(cmd: &SimpleCommand) -> Option<&[ShellWord]> {
    let p = program(cmd)?;
    if is_versioned(&p, "pip") {
        return Some(&cmd.args);
    }
    if !is_versioned(&p, "python") {
        return None;
    }
    let m = cmd.args.iter().position(|a| a.unquoted() == "-m")?;
    let module = cmd.args.get(m + 1)?.unquoted();
    is_versioned(&module, "pip").then(|| cmd.args.get(m + 2..).unwrap_or_default())
}

/// `pip install …`'s arguments (from `install` on), however pip is run.
pub fn pip_install(cmd: &SimpleCommand) -> Option<&[ShellWord]> {
    let args = pip_args(cmd)?;
    (subcommand_in(args)?.unquoted() == "install").then_some(args)
}

/// `name`, or `name` followed by a version such as `3` or `3.12`.
fn is_versioned(p: &str, name: &str) -> bool {
    p.strip_prefix(name).is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Whether a word's value is only known when the shell runs it: it is
/// entirely an expansion (`$PKGS`, `"${PKGS}"`, `$(cat pkgs.txt)`), which
/// may hold any number of words, pinned or not. A word that merely
/// contains one (`postgresql-${PG_MAJOR}`) is still a package name.
pub fn is_dynamic(word: &ShellWord) -> bool {
    word.text.trim_start_matches(['"', '\'']).starts_with(['$', '`'])
}

/// The packages an operand of `ins` names: the word unquoted, or, for a
/// word that is one variable (`$DEPS`, `"${DEPS}"`) whose value an ARG or
/// ENV makes known, that value split at whitespace as the shell splits it
/// (flags in it left out). Other expansions give nothing: their values are
/// not guessed.
pub fn packages(ins: &Instruction, word: &ShellWord) -> Vec<String> {
    if !is_dynamic(word) {
        return vec![word.unquoted()];
    }
    let text = word.text.trim_matches('"');
    let name = text.strip_prefix("${").and_then(|t| t.strip_suffix('}')).or_else(|| text.strip_prefix('$'));
    let value = name.filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).and_then(|n| ins.known_var(n));
    value.map_or_else(Vec::new, |v| v.split_whitespace().filter(|p| !p.starts_with('-')).map(str::to_owned).collect())
}

/// The commands of a RUN body that PowerShell or cmd runs, as far as they
/// can be read without parsing either language: split at `;`, `|`, `&`
/// and line ends, then at whitespace, `.exe` dropped from the program.
/// Every word spans the whole body. Only programs and their arguments are
/// judged this way (`pip install flask`), never shell syntax.
pub fn windows_commands(body: &ShellForm) -> Vec<SimpleCommand> {
    let word = |text: &str| ShellWord { text: text.to_owned(), span: body.span };
    let mut out = Vec::new();
    for part in body.text.split(['\n', ';', '|', '&']) {
        let mut words = part.split_whitespace();
        let Some(name) = words.next() else { continue };
        let name = name.get(..name.len().saturating_sub(4)).filter(|_| name.to_ascii_lowercase().ends_with(".exe")).unwrap_or(name);
        out.push(SimpleCommand {
            name: Some(word(name)),
            args: words.map(word).collect(),
            assignments: Vec::new(),
            redirects: Vec::new(),
            span: body.span,
            pipeline: out.len(),
            pipeline_position: 0,
            pipeline_len: 1,
            negated: false,
            op_before: None,
            in_subshell: false,
            in_substitution: false,
            in_compound: false,
        });
    }
    out
}
