//! `curl-pipe-shell`: a script downloaded and run in one go (`curl … |
//! sh`, `wget -O- … | bash`, `sh -c "$(curl …)"`, `bash <(curl …)`). Nothing
//! checks what was downloaded: a compromised or hijacked server, or a
//! truncated download, runs as root in the build.
//!
//! Downloaders are `curl` and `wget`; shells are `sh`, `bash`, `ash`,
//! `dash`, `zsh`, `ksh` and `python`/`python3`/`perl`/`ruby`/`node` reading
//! their script from the pipe, also behind `sudo` or `env`. A pipe into a
//! shell that runs a file (`curl … | sh -s -- args` still reads stdin and
//! counts; `curl … | tar x` is not a shell) is told apart by the program
//! only. Accepted: downloading to a file, checking it, then running it.

use std::collections::HashSet;

use temper_dockerfile::{Dockerfile, SimpleCommand};

use super::util::commands;
use crate::shell::program;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct CurlPipe;

static META: RuleMeta = RuleMeta {
    id: "curl-pipe-shell",
    hadolint: None,
    severity: Severity::Error,
    message: "A downloaded script is piped into a shell",
    hint: "Download to a file, verify it (`sha256sum -c`), then run it: `curl -fsSLo install.sh <url> && echo \"<hash>  install.sh\" | sha256sum -c - && sh install.sh`.",
    doc: "`curl … | sh` runs whatever the server sends, unverified, as the build user (usually root): a compromised host, a hijacked domain or a truncated download becomes code in your image, and the next build may run something else. Download the script to a file, check its checksum or signature, and run it; better, install a pinned release artifact. The rule fires on `curl` or `wget` piped into `sh`, `bash`, `zsh`, `dash`, `ash`, `ksh` (also behind `sudo` or `env`) or an interpreter reading stdin (`python`, `perl`, `ruby`, `node`), and on `sh -c \"$(curl …)\"` and `bash <(curl …)`. Fix: `RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh && echo \"<sha256>  /tmp/install.sh\" | sha256sum -c - && sh /tmp/install.sh`.",
};

const DOWNLOADERS: &[&str] = &["curl", "wget"];
const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "python", "python3", "perl", "ruby", "node"];

impl Rule for CurlPipe {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for ins in &df.instructions {
            // The pipelines (and whether in a substitution) that have had a
            // downloader so far, so no command looks back over the others.
            let mut downloading: HashSet<(usize, bool)> = HashSet::new();
            for cmd in commands(ins) {
                if let Some(shell) = shell_of(cmd) {
                    // A downloader earlier in the same pipeline.
                    let piped = cmd.in_pipeline() && cmd.pipeline_position > 0 && downloading.contains(&(cmd.pipeline, cmd.in_substitution));
                    // `sh -c "$(curl …)"`, `bash <(curl …)`.
                    let substituted =
                        cmd.args.iter().any(|a| DOWNLOADERS.iter().any(|d| ["$(", "<(", "`"].iter().any(|open| a.text.contains(&format!("{open}{d} ")))));
                    // The parser drops process substitutions (`bash <(curl …)`)
                    // from the command: read the source right after it.
                    let after = df.source().get(cmd.span.end..).unwrap_or_default().trim_start();
                    let process = after.strip_prefix("<(").is_some_and(|r| DOWNLOADERS.iter().any(|d| r.trim_start().starts_with(&format!("{d} "))));
                    if piped || substituted || process {
                        out.push(Violation::with(cmd.span, format!("A downloaded script is run by {shell}")));
                    }
                }
                if cmd.in_pipeline() && program(cmd).is_some_and(|p| DOWNLOADERS.contains(&p.as_str())) {
                    downloading.insert((cmd.pipeline, cmd.in_substitution));
                }
            }
        }
        out
    }
}

/// The shell or interpreter `cmd` runs, looking through `sudo` and `env`.
fn shell_of(cmd: &SimpleCommand) -> Option<String> {
    let prog = program(cmd)?;
    if SHELLS.contains(&prog.as_str()) {
        return Some(prog);
    }
    if matches!(prog.as_str(), "sudo" | "env" | "exec") {
        let inner = cmd.args.iter().map(|a| a.unquoted()).find(|a| !a.starts_with('-') && !a.contains('='))?;
        let inner = inner.rsplit('/').next().unwrap_or(&inner).to_owned();
        return SHELLS.contains(&inner.as_str()).then_some(inner);
    }
    None
}
