//! Stages and variables: which instructions belong to which stage, what each
//! stage starts from, and every expandable word expanded with the ARG and
//! ENV values in scope where it is, as BuildKit scopes them:
//!
//! - ARGs before the first FROM are global: FROM lines see them, stages do
//!   not, unless a stage declares the name again (`ARG NAME`), which then
//!   takes the global default.
//! - Inside a stage an ARG or ENV is visible from the next instruction on;
//!   ENV wins over ARG of the same name; one ENV's values see the variables
//!   as they were before it.
//! - A stage built FROM another stage inherits its ENV, not its ARGs.
//! - BuildKit's platform ARGs (`TARGETARCH`, `BUILDPLATFORM`…) are known
//!   globally with values only known at build time.

use std::collections::HashMap;

use crate::error::ErrorKind;
use crate::expand::{Lookup, Vars, expand};
use crate::model::{Base, Command, Diagnostic, Instruction, InstructionKind, Source, Stage, Word};
use crate::parse::{PResult, parse_mount};

const PLATFORM_ARGS: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// Total bytes expansion may produce over a whole file.
const EXPANSION_BUDGET: usize = 64 << 20;

#[derive(Default, Clone)]
struct Scope {
    /// By name: a lookup or a reassignment is one hash probe, however many
    /// variables the file sets (a list scanned per lookup made 40k ENVs
    /// quadratic).
    env: HashMap<String, String>,
    args: HashMap<String, Option<String>>,
    platform_args: bool,
}

impl Vars for Scope {
    fn lookup(&self, name: &str) -> Lookup<'_> {
        if let Some(v) = self.env.get(name) {
            return Lookup::Value(v);
        }
        match self.args.get(name) {
            Some(Some(v)) => Lookup::Value(v),
            Some(None) => Lookup::Unknown,
            None if self.platform_args && PLATFORM_ARGS.contains(&name) => Lookup::Unknown,
            None => Lookup::Unset,
        }
    }
}

impl Scope {
    fn set_env(&mut self, k: String, v: String) {
        self.env.insert(k, v);
    }

    fn set_arg(&mut self, k: String, v: Option<String>) {
        self.args.insert(k, v);
    }
}

struct Expander<'d> {
    escape: u8,
    budget: usize,
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Expander<'_> {
    fn word(&mut self, w: &mut Word, scope: &Scope) {
        if !w.text.contains(['$', '\'', '"', self.escape as char]) {
            return;
        }
        if self.budget == 0 {
            return;
        }
        let e = expand(&w.text, scope, self.escape);
        self.budget = self.budget.saturating_sub(e.value.len());
        if self.budget == 0 {
            self.diagnostics.push(Diagnostic { message: "variable expansion stopped: too much output".into(), span: w.span });
        }
        if let Some(message) = e.error {
            self.diagnostics.push(Diagnostic { message, span: w.span });
        }
        w.value = e.value;
        w.unresolved = e.unresolved;
    }

    fn instruction(&mut self, ins: &mut Instruction, scope: &mut Scope, globals: &Scope) {
        for f in &mut ins.flags {
            if let Some(v) = &mut f.value {
                self.word(v, scope);
                if f.mount.is_some() {
                    f.mount = Some(parse_mount(v));
                }
            }
        }
        match &mut ins.kind {
            InstructionKind::Add(c) | InstructionKind::Copy(c) => {
                for s in &mut c.sources {
                    if let Source::Path(w) = s {
                        self.word(w, scope);
                    }
                }
                self.word(&mut c.dest, scope);
            }
            InstructionKind::Env(kvs) => {
                // Every pair expands against the scope before the
                // instruction: set them after (not on a copy of the scope per
                // ENV, which made many ENVs quadratic).
                for kv in kvs.iter_mut() {
                    self.word(&mut kv.key, scope);
                    self.word(&mut kv.value, scope);
                }
                for kv in kvs.iter() {
                    scope.set_env(kv.key.value.clone(), kv.value.value.clone());
                }
            }
            InstructionKind::Label(kvs) => {
                for kv in kvs.iter_mut() {
                    self.word(&mut kv.key, scope);
                    self.word(&mut kv.value, scope);
                }
            }
            InstructionKind::Arg(decls) => {
                for d in decls.iter_mut() {
                    self.word(&mut d.name, scope);
                    let value = match &mut d.default {
                        Some(w) => {
                            self.word(w, scope);
                            Some(w.value.clone())
                        }
                        None => match globals.lookup(&d.name.value) {
                            Lookup::Value(v) => Some(v.to_string()),
                            Lookup::Unknown | Lookup::Unset => None,
                        },
                    };
                    scope.set_arg(d.name.value.clone(), value);
                }
            }
            InstructionKind::Expose(ws) | InstructionKind::Volume(ws) => {
                for w in ws {
                    self.word(w, scope);
                }
            }
            InstructionKind::User(w) | InstructionKind::Workdir(w) | InstructionKind::Stopsignal(w) => self.word(w, scope),
            InstructionKind::Run(Some(Command::Shell(body))) => {
                // The shell expands these itself when the RUN runs, with the
                // ARG and ENV values as its environment; rules that read
                // package lists (`apt-get install $DEPS`) need them.
                for name in references(&body.text) {
                    if ins.known_vars.contains_key(name) || self.budget == 0 {
                        continue;
                    }
                    if let Lookup::Value(v) = scope.lookup(name) {
                        self.budget = self.budget.saturating_sub(v.len());
                        ins.known_vars.insert(name.to_string(), v.to_string());
                    }
                }
            }
            InstructionKind::Cmd(_)
            | InstructionKind::Entrypoint(_)
            | InstructionKind::From(_)
            | InstructionKind::Healthcheck(_)
            | InstructionKind::Maintainer(_)
            | InstructionKind::Onbuild(_)
            | InstructionKind::Run(_)
            | InstructionKind::Shell(_) => {}
        }
    }
}

/// The variable names `text` references as `$NAME` or `${NAME…}`, repeats
/// included (quoting is not tracked: a name in single quotes is
/// looked up too, which only adds a value nobody asks for).
fn references(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices('$').filter_map(move |(i, _)| {
        let rest = &text[i + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let name = &rest[..len];
        name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_').then_some(name)
    })
}

/// Assign stages, check the stage structure, expand words.
pub(crate) fn resolve(ins: &mut [Instruction], escape: u8, diagnostics: &mut Vec<Diagnostic>) -> PResult<Vec<Stage>> {
    let mut ex = Expander { escape, budget: EXPANSION_BUDGET, diagnostics };
    let mut globals = Scope { platform_args: true, ..Scope::default() };
    let mut stages: Vec<Stage> = Vec::new();
    let mut stage_env: Vec<HashMap<String, String>> = Vec::new();
    // Stage names (lowercase) to their index, for FROM and duplicate checks.
    let mut stage_names: HashMap<String, usize> = HashMap::new();
    let mut scope = Scope::default();
    let total = ins.len();
    for (i, current) in ins.iter_mut().enumerate() {
        if let InstructionKind::From(from) = &mut current.kind {
            let index = stages.len();
            if let Some(prev) = stages.last_mut() {
                prev.instructions.end = i;
                stage_env.push(std::mem::take(&mut scope.env));
            }
            ex.word(&mut from.image, &globals);
            let mut platform = None;
            for f in &mut current.flags {
                if let Some(v) = &mut f.value {
                    ex.word(v, &globals);
                    if f.name == "platform" {
                        platform = Some(v.value.clone());
                    }
                }
            }
            let name = from.alias.as_ref().map(|(_, w)| w.value.clone());
            if let (Some(n), Some((_, w))) = (&name, &from.alias)
                && stage_names.contains_key(n)
            {
                return Err((ErrorKind::DuplicateStage(n.clone()), w.span));
            }
            let image = from.image.value.to_ascii_lowercase();
            let base = match stage_names.get(&image).copied() {
                Some(s) => Base::Stage(s),
                None if image == "scratch" => Base::Scratch,
                None => Base::Image(from.image.value.clone()),
            };
            scope = Scope::default();
            if let Base::Stage(s) = base {
                scope.env = stage_env[s].clone();
            }
            current.stage = Some(index);
            if let Some(n) = &name {
                stage_names.insert(n.clone(), index);
            }
            stages.push(Stage { index, name, base, platform, from: i, instructions: i + 1..i + 1 });
            continue;
        }
        if stages.is_empty() {
            if !matches!(current.kind, InstructionKind::Arg(_)) {
                return Err((ErrorKind::BeforeFrom(current.keyword.clone()), current.keyword_span));
            }
            let mut g = globals.clone();
            ex.instruction(current, &mut g, &Scope::default());
            globals = g;
            continue;
        }
        current.stage = Some(stages.len() - 1);
        ex.instruction(current, &mut scope, &globals);
    }
    match stages.last_mut() {
        Some(last) => last.instructions.end = total,
        None => {
            let span = ins.first().map(|i| i.keyword_span).unwrap_or_default();
            return Err((if ins.is_empty() { ErrorKind::Empty } else { ErrorKind::BadFrom("the file has no FROM instruction".into()) }, span));
        }
    }
    Ok(stages)
}
