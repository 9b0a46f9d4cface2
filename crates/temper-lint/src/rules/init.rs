//! `init-missing`: the final image runs Node.js (`node`, `npm`, `yarn`,
//! `pnpm`, `npx`) as PID 1 without an init. The kernel gives PID 1 no
//! default signal handlers, and Node installs none for SIGTERM, so `docker
//! stop` waits its full timeout and then kills the process; PID 1 must
//! also reap orphaned children, which Node does not. npm as PID 1 is worse:
//! it does not forward signals to the app.
//!
//! The process that runs is read from the last ENTRYPOINT and CMD of the
//! final image (stages it is built from included): the ENTRYPOINT's
//! program when there is one, else the CMD's. Accepted: `tini`,
//! `tini-static`, `dumb-init`, `docker-init`, s6's `/init` or
//! `pm2-runtime` as the ENTRYPOINT (or CMD) program, an ENTRYPOINT of
//! any other program, and a bare `node` with no script (the official
//! node images' `CMD ["node"]`: an interactive REPL for base images). An entrypoint script (`*.sh`, `docker-entrypoint*`,
//! `entrypoint*`) is taken to end in `exec "$@"`, as the official images'
//! do, so the CMD is what runs as PID 1 then. `docker run --init` and compose's `init:
//! true` cannot be seen in a Dockerfile; suppress the rule where they are
//! used. Other runtimes are out of scope: Java, Go and most Python servers
//! (gunicorn, uvicorn) install SIGTERM handlers.

use temper_dockerfile::{Command, Dockerfile, Instruction, InstructionKind, Span};

use super::util::{basename, command_words, final_instructions};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct Init;

static META: RuleMeta = RuleMeta {
    id: "init-missing",
    hadolint: None,
    severity: Severity::Info,
    message: "Node.js runs as PID 1 without an init",
    hint: "Start it under an init: `ENTRYPOINT [\"/usr/bin/tini\", \"--\"]` (or `dumb-init`), or run the container with `--init`.",
    doc: "PID 1 in a container has no default signal handling and must reap orphaned processes. Node.js does neither unless the app handles SIGTERM itself, so `docker stop` hangs for the whole grace period and zombies pile up; `npm start` as PID 1 also swallows signals meant for the app. The rule reads the final image's ENTRYPOINT (or CMD when there is none) and fires when it starts `node`, `npm`, `yarn`, `pnpm` or `npx`. Accepted: `tini`, `dumb-init`, `docker-init`, s6's `/init` or `pm2-runtime` as the program, a bare `CMD [\"node\"]` (the REPL of base images), and an ENTRYPOINT program other than those; with an entrypoint script (`docker-entrypoint.sh`), which normally ends in `exec \"$@\"`, the CMD is checked. `docker run --init` cannot be seen in a Dockerfile: ignore the rule where it is used. Fix: `RUN apk add --no-cache tini`, `ENTRYPOINT [\"/sbin/tini\", \"--\"]`, `CMD [\"node\", \"server.js\"]`.",
};

const NODE: &[&str] = &["node", "nodejs", "npm", "yarn", "pnpm", "npx"];
const INITS: &[&str] = &["tini", "tini-static", "dumb-init", "docker-init", "init", "pm2-runtime", "catatonit", "s6-svscan"];

impl Rule for Init {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let instructions = final_instructions(df);
        let last = |pick: fn(&Instruction) -> Option<&Option<Command>>| instructions.iter().rev().find_map(|i| pick(i).map(|c| (*i, c)));
        let entrypoint = last(|i| if let InstructionKind::Entrypoint(c) = &i.kind { Some(c) } else { None });
        let cmd = last(|i| if let InstructionKind::Cmd(c) = &i.kind { Some(c) } else { None });
        // ENTRYPOINT [] clears it; a set ENTRYPOINT decides PID 1.
        let (ins, command) = match entrypoint {
            Some((i, Some(c))) if !command_words(c).is_empty() => (i, c),
            _ => match cmd {
                Some((i, Some(c))) => (i, c),
                _ => return Vec::new(),
            },
        };
        let words = command_words(command);
        let Some(first) = words.first() else { return Vec::new() };
        let mut prog = basename(first).to_owned();
        let mut at = (ins, command);
        // An entrypoint script normally ends in `exec "$@"`: CMD becomes PID 1.
        if is_entrypoint_script(&prog)
            && let Some((i, Some(c))) = cmd
            && let Some(p) = command_words(c).first()
        {
            prog = basename(p).to_owned();
            at = (i, c);
        }
        // Bare `node` (the official image's CMD) is a REPL, not a server.
        let bare = command_words(at.1).len() == 1;
        if INITS.contains(&prog.as_str()) || !NODE.contains(&prog.as_str()) || bare {
            return Vec::new();
        }
        vec![Violation::with(span_of(at.0, at.1), format!("{prog} runs as PID 1 without an init"))]
    }
}

/// Where to point: the exec array or the shell text.
fn span_of(ins: &Instruction, command: &Command) -> Span {
    match command {
        Command::Exec { span, .. } => *span,
        Command::Shell(s) if !s.span.is_empty() => s.span,
        Command::Shell(_) => ins.keyword_span,
    }
}

/// An entrypoint script that hands over to CMD (`docker-entrypoint.sh`,
/// `entrypoint.sh`, any `*.sh`).
fn is_entrypoint_script(prog: &str) -> bool {
    prog.ends_with(".sh") || prog.starts_with("docker-entrypoint") || prog.starts_with("entrypoint")
}
