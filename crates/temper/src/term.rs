//! How output meets the terminal: colour, table width and `--quiet`,
//! decided once from the global flags and the environment, so renderers
//! and warnings need no arguments for them.

use std::io::IsTerminal;
use std::sync::OnceLock;

use anstyle::{AnsiColor, Style};

use temper_cli::ColorChoice;

struct Settings {
    color: bool,
    width: Option<usize>,
    quiet: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Fixes the settings for the run; later calls change nothing.
pub fn init(color: ColorChoice, quiet: bool) {
    let color = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // anstream applies NO_COLOR (any non-empty value), CLICOLOR_FORCE,
        // CLICOLOR, TERM=dumb and "is stdout a terminal" in that order.
        ColorChoice::Auto => anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never,
    };
    let _ = SETTINGS.set(Settings { color, width: detect_width(), quiet });
}

/// `COLUMNS` when set to a positive number, else the width of the
/// terminal stdout is; none when stdout is not a terminal, so piped output
/// keeps every cell whole.
fn detect_width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS").ok().and_then(|v| v.trim().parse::<usize>().ok()).filter(|n| *n > 0) {
        return Some(n);
    }
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(stdout).map(|(w, _)| usize::from(w.0)).filter(|w| *w > 0)
}

/// Whether tables are coloured.
pub fn color() -> bool {
    SETTINGS.get().is_some_and(|s| s.color)
}

/// The width tables must fit, if any.
pub fn width() -> Option<usize> {
    SETTINGS.get().and_then(|s| s.width)
}

/// Whether `--quiet` was given: no progress, warnings or notes.
pub fn quiet() -> bool {
    SETTINGS.get().is_some_and(|s| s.quiet)
}

/// Prints `temper: warning: MESSAGE` on stderr unless `--quiet`; the
/// message is escaped, as it quotes the input.
pub fn warn(message: &str) {
    say("warning", message);
}

/// Prints `temper: note: MESSAGE` on stderr unless `--quiet`.
pub fn note(message: &str) {
    say("note", message);
}

fn say(kind: &str, message: &str) {
    if !quiet() {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "temper: {kind}: {}", crate::render::escape(message));
    }
}

/// The style of a severity word (`CRITICAL`, `HIGH KEV`…): the word stays,
/// the colour only helps the eye.
pub fn severity_style(word: &str) -> Style {
    match word.split_whitespace().next().unwrap_or("") {
        "CRITICAL" => Style::new().bold().fg_color(Some(AnsiColor::BrightRed.into())),
        "HIGH" => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
        "MEDIUM" => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        "LOW" | "UNKNOWN" => Style::new().dimmed(),
        _ => Style::new(),
    }
}

/// `text` in `style` when colour is on, else as is.
pub fn paint(text: &str, style: Style) -> String {
    if color() && style != Style::new() { format!("{style}{text}{style:#}") } else { text.to_owned() }
}
