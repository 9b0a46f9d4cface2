//! The `temper` command: parses arguments (defined in `temper-cli`), runs
//! the subcommand (`commands/`, one module each, calling `temper-verdict`
//! and the stage crates) and renders its results (`render/`). Exit codes
//! (`exit`): 0 success, 1 a threshold or policy failed, 2 an error.

mod commands;
mod exit;
mod progress;
mod render;
mod size;
mod term;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use temper_cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    term::init(cli.color, cli.quiet);
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "temper: error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// The longest error line printed, in characters: a cause can quote a
/// whole header of a binary file, which helps nobody.
const MAX_ERROR_CHARS: usize = 1000;

/// The error and its causes on one line, [`render::escape`]d (every
/// message printed goes through here): messages quote file names, tags,
/// config values and bytes of the input, which must not reach the
/// terminal raw. A cause its wrapper already quotes is left out, and so is
/// one that only restates such a cause (SQLite's "Error code 26: file is
/// not a database" under "file is not a database").
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut quoted = String::new();
    for c in e.chain() {
        let s = c.to_string();
        let restated = !quoted.is_empty() && s.contains(&quoted);
        if parts.iter().any(|p| p.contains(&s)) || restated {
            quoted = s;
        } else {
            quoted.clear();
            parts.push(s);
        }
    }
    let line = render::escape(&parts.join(": ").replace('\n', " ")).into_owned();
    match line.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::anyhow;

    #[derive(Debug)]
    struct Cause(&'static str, Option<Box<Cause>>);

    impl std::fmt::Display for Cause {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Cause {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|c| c as &(dyn std::error::Error + 'static))
        }
    }

    #[test]
    fn one_line_says_each_cause_once_escaped_and_bounded() {
        // SQLite's shape: the wrapper quotes the cause, whose cause restates it with a code.
        let sqlite = Cause("file is not a database", Some(Box::new(Cause("Error code 26: file is not a database", None))));
        let e = anyhow::Error::new(sqlite).context("db.sqlite: file is not a database");
        assert_eq!(one_line(&e), "db.sqlite: file is not a database");
        // A context that the cause repeats is kept: it is not a restatement.
        let e = anyhow::Error::new(Cause("img.tar: bad\x1b[2J\nheader", None)).context("img.tar");
        assert_eq!(one_line(&e), "img.tar: img.tar: bad\\x1b[2J header");
        let long = anyhow!("{}", "x".repeat(5000));
        assert_eq!(one_line(&long).chars().count(), MAX_ERROR_CHARS + 1);
    }
}
