//! What several rules of this crate ask of stages and instructions: the
//! stages that make up the final image, the shell commands of one
//! instruction, COPYs of the whole build context, dependency installs.

use temper_dockerfile::{Base, Command, Dockerfile, Instruction, InstructionKind, Script, SimpleCommand, Source, Stage};

use crate::shell::{has_flag, operands, program, subcommand};

/// The stages whose instructions end up in the final image: the last
/// stage and the earlier stages it is built `FROM`, root first.
pub fn final_chain(df: &Dockerfile) -> Vec<&Stage> {
    df.stages.last().map_or_else(Vec::new, |s| chain(df, s))
}

/// `stage` and the earlier stages it is built `FROM`, root first.
pub fn chain<'a>(df: &'a Dockerfile, stage: &'a Stage) -> Vec<&'a Stage> {
    let mut out = Vec::new();
    let mut next = Some(stage);
    while let Some(stage) = next {
        // Bases always point backwards; the bound guards a malformed model.
        if out.len() > df.stages.len() {
            break;
        }
        out.push(stage);
        next = match stage.base {
            Base::Stage(i) if i < stage.index => df.stages.get(i),
            _ => None,
        };
    }
    out.reverse();
    out
}

/// Whether `stage` builds a Windows image: the file's escape character is
/// a backtick, the stage's root base is a Windows image, or a SHELL in it
/// or the stages it is built from runs PowerShell or cmd.
pub fn windows_stage(df: &Dockerfile, stage: &Stage) -> bool {
    if df.escape == '`' {
        return true;
    }
    let chain = chain(df, stage);
    chain.first().is_some_and(|root| matches!(&root.base, Base::Image(r) if temper_dockerfile::windows_image(r)))
        || chain
            .iter()
            .flat_map(|s| df.stage_instructions(s))
            .any(|i| matches!(&i.kind, InstructionKind::Shell(w) if w.first().is_some_and(|p| windows_shell(&p.value))))
}

/// PowerShell or cmd, by path or name.
pub fn windows_shell(program: &str) -> bool {
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program).to_ascii_lowercase();
    matches!(base.strip_suffix(".exe").unwrap_or(&base), "powershell" | "pwsh" | "cmd")
}

/// For every instruction (by its index in [`Dockerfile::instructions`]),
/// whether `sets` holds for an instruction before it in its stage or in the
/// stages that stage is built from, for all instructions in one pass
/// (bases are always earlier stages, so each stage starts from its base's
/// state at the end) rather than a look back from each.
pub fn set_before(df: &Dockerfile, sets: impl Fn(&Instruction) -> bool) -> Vec<bool> {
    let mut out = vec![false; df.instructions.len()];
    let mut at_end: Vec<bool> = Vec::with_capacity(df.stages.len());
    for stage in &df.stages {
        let mut set = match stage.base {
            Base::Stage(i) if i < stage.index => at_end.get(i).copied().unwrap_or(false),
            _ => false,
        };
        for n in stage.instructions.clone() {
            let Some(ins) = df.instructions.get(n) else { break };
            out[n] = set;
            set = set || sets(ins);
        }
        at_end.push(set);
    }
    out
}

/// The index of `ins` in [`Dockerfile::instructions`] (instructions are in
/// source order).
pub fn index_of(df: &Dockerfile, ins: &Instruction) -> usize {
    df.instructions.partition_point(|i| i.span.start < ins.span.start)
}

/// The instructions of the final image, in order (see [`final_chain`]).
pub fn final_instructions(df: &Dockerfile) -> Vec<&Instruction> {
    final_chain(df).into_iter().flat_map(|s| df.stage_instructions(s)).collect()
}

/// Every parsed shell command of one instruction (its RUN body and the
/// heredocs that run as scripts).
pub fn commands(ins: &Instruction) -> impl Iterator<Item = &SimpleCommand> {
    ins.scripts().filter_map(Script::parsed).flat_map(|s| s.commands.iter())
}

/// The subcommand of `cmd` unquoted, if any.
pub fn sub(cmd: &SimpleCommand) -> Option<String> {
    subcommand(cmd).map(|w| w.unquoted())
}

/// The program and the arguments of an exec-form or shell-form command,
/// as far as they can be read: shell form is split on whitespace.
pub fn command_words(cmd: &Command) -> Vec<String> {
    match cmd {
        Command::Exec { args, .. } => args.iter().map(|w| w.value.clone()).collect(),
        Command::Shell(s) => s.text.split_whitespace().map(|w| w.trim_matches(['"', '\'']).to_owned()).collect(),
    }
}

/// The last path component of `path`.
pub fn basename(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or(path)
}

/// Whether the COPY or ADD reads the build context (not `--from`).
pub fn from_context(ins: &Instruction) -> bool {
    ins.flag("from").is_none()
}

/// The context sources of a COPY or ADD (empty for other instructions
/// and for `COPY --from`).
pub fn context_sources(ins: &Instruction) -> Vec<&temper_dockerfile::Word> {
    match &ins.kind {
        InstructionKind::Copy(c) | InstructionKind::Add(c) if from_context(ins) => {
            c.sources.iter().filter_map(|s| if let Source::Path(w) = s { Some(w) } else { None }).collect()
        }
        _ => Vec::new(),
    }
}

/// Whether a COPY/ADD source names the whole build context (`.`, `./`, `*`).
pub fn is_whole_context(source: &str) -> bool {
    matches!(source.trim(), "." | "./" | "*" | "./*" | "/" | "/.")
}

/// A dependency install: `npm ci`, `npm install` without packages,
/// `yarn`/`yarn install`, `pnpm install`, `pip install -r`, `poetry
/// install`, `pipenv install`, `uv sync`, `bundle install`, `go mod
/// download`, `composer install`, `mvn dependency:go-offline`, `cargo
/// fetch`. Returns what to call it in a message.
pub fn dependency_install(cmd: &SimpleCommand) -> Option<String> {
    let prog = program(cmd)?;
    let sub = sub(cmd);
    let sub = sub.as_deref();
    let args = cmd.arg_values();
    match (prog.as_str(), sub) {
        ("npm", Some("ci")) => Some("npm ci".into()),
        ("npm", Some("install" | "i" | "isntall")) if !is_global(cmd) && npm_packages(cmd).is_empty() => Some("npm install".into()),
        ("yarn", None | Some("install")) if !yarn_query(cmd) => Some("yarn install".into()),
        ("pnpm", Some("install" | "i")) => Some("pnpm install".into()),
        ("pip" | "pip3", Some("install")) if has_flag(cmd, Some('r'), &["requirement"]) => Some(format!("{prog} install -r")),
        ("poetry" | "pipenv", Some("install")) => Some(format!("{prog} install")),
        ("uv", Some("sync")) => Some("uv sync".into()),
        ("bundle", Some("install")) | ("bundle", None) => Some("bundle install".into()),
        ("go", Some("mod")) if args.iter().any(|a| a == "download") => Some("go mod download".into()),
        ("composer", Some("install")) => Some("composer install".into()),
        ("mvn" | "mvnw", _) if args.iter().any(|a| a.starts_with("dependency:go-offline") || a.starts_with("dependency:resolve")) => {
            Some("mvn dependency:go-offline".into())
        }
        ("cargo", Some("fetch")) => Some("cargo fetch".into()),
        _ => None,
    }
    .or_else(|| {
        // `python -m pip install -r requirements.txt`
        let i = args.iter().position(|a| a == "pip")?;
        (matches!(prog.as_str(), "python" | "python3") && args.get(i + 1).is_some_and(|a| a == "install") && has_flag(cmd, Some('r'), &["requirement"]))
            .then(|| format!("{prog} -m pip install -r"))
    })
}

/// `yarn --version`, `yarn -v`, `yarn --help`: bare yarn that installs nothing.
pub fn yarn_query(cmd: &SimpleCommand) -> bool {
    has_flag(cmd, Some('v'), &["version", "help"]) || has_flag(cmd, Some('h'), &[])
}

/// `npm install -g …` / `--global`.
pub fn is_global(cmd: &SimpleCommand) -> bool {
    has_flag(cmd, Some('g'), &["global", "location"])
}

/// The package operands of an `npm install` (empty: from package.json).
pub fn npm_packages(cmd: &SimpleCommand) -> Vec<String> {
    const WITH_VALUES: &[&str] =
        &["--prefix", "--registry", "-w", "--workspace", "--omit", "--include", "--cache", "--loglevel", "--userconfig", "--tag", "--location"];
    operands(cmd, WITH_VALUES).into_iter().map(|w| w.unquoted()).collect()
}

/// Whether a `USER` value names root (`root`, `0`, `root:…`, `0:…`).
pub fn is_root_user(value: &str) -> bool {
    let user = value.split(':').next().unwrap_or(value).trim();
    user == "root" || user == "0"
}

/// A glob match of one path component: `*`, `?` and `[…]` classes
/// (ranges, `^`/`!` negation).
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while let Some(&c) = n.get(ni) {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ni;
                pi += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => class(&p[pi..], c),
            Some(&x) => (x == c).then_some(1),
            None => None,
        };
        match (step, star) {
            (Some(len), _) => {
                pi += len;
                ni += 1;
            }
            (None, Some(s)) => {
                pi = s + 1;
                mark += 1;
                ni = mark;
            }
            (None, None) => return false,
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|&c| c == '*')
}

/// Matches `c` against the class at the start of `p` (`[a-z]`); the
/// class's length when it matches. An unclosed `[` is a literal.
fn class(p: &[char], c: char) -> Option<usize> {
    let Some(close) = p.iter().skip(2).position(|&x| x == ']').map(|i| i + 2) else { return (c == '[').then_some(1) };
    let body = p.get(1..close).unwrap_or_default();
    let (negate, body) = match body.split_first() {
        Some(('^' | '!', rest)) => (true, rest),
        _ => (false, body),
    };
    let mut hit = false;
    let mut i = 0;
    while let Some(&lo) = body.get(i) {
        if body.get(i + 1) == Some(&'-')
            && let Some(&hi) = body.get(i + 2)
        {
            hit |= (lo..=hi).contains(&c);
            i += 3;
        } else {
            hit |= lo == c;
            i += 1;
        }
    }
    (hit != negate).then_some(close + 1)
}
