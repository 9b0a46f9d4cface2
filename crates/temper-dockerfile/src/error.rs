//! Why a Dockerfile was refused, and where.

use crate::span::{Position, Span};

/// A Dockerfile BuildKit would refuse, with the place it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {}, column {}: {kind}", position.line, position.column)]
pub struct ParseError {
    /// What is wrong.
    pub kind: ErrorKind,
    /// Where, as bytes of the source.
    pub span: Span,
    /// Where, as line and column of `span.start`.
    pub position: Position,
}

/// The ways a Dockerfile can be refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The source is larger than [`crate::MAX_SOURCE_LEN`].
    #[error("Dockerfile is {len} bytes, more than the {max} this parser reads")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More heredocs than [`crate::MAX_HEREDOCS`].
    #[error("more than {max} heredocs")]
    TooManyHeredocs {
        /// The limit.
        max: usize,
    },
    /// A parser directive given twice.
    #[error("the {0} parser directive is given twice")]
    DuplicateDirective(String),
    /// `# escape=` with something other than a backslash or a backtick.
    #[error("invalid escape character {0:?}: must be \\ or `")]
    InvalidEscape(String),
    /// An instruction keyword BuildKit does not know.
    #[error("unknown instruction {0}")]
    UnknownInstruction(String),
    /// No instruction at all.
    #[error("the file has no instructions")]
    Empty,
    /// An instruction other than ARG before the first FROM.
    #[error("{0} before the first FROM")]
    BeforeFrom(String),
    /// A heredoc whose terminator line never comes.
    #[error("heredoc {0} is not terminated")]
    UnterminatedHeredoc(String),
    /// A heredoc where BuildKit takes none (e.g. a COPY destination).
    #[error("{0} cannot take a heredoc here")]
    MisplacedHeredoc(String),
    /// Too few or too many arguments.
    #[error("{instruction} {expected}")]
    Arguments {
        /// The instruction keyword.
        instruction: String,
        /// What it wants, e.g. "requires exactly one argument".
        expected: &'static str,
    },
    /// A JSON array with something other than strings in it.
    #[error("{0}: a JSON array must hold only strings")]
    JsonNotStrings(String),
    /// SHELL in shell form.
    #[error("SHELL requires the JSON form")]
    ShellNotJson,
    /// ENV or LABEL word without `=` after a first `key=value`.
    #[error("{instruction}: no = in {word:?}; use name=value")]
    MissingEquals {
        /// The instruction keyword.
        instruction: String,
        /// The word.
        word: String,
    },
    /// ARG, ENV or LABEL with an empty name.
    #[error("{0} names must not be blank")]
    BlankName(String),
    /// A flag the instruction does not take.
    #[error("{instruction} has no flag --{flag}")]
    UnknownFlag {
        /// The instruction keyword.
        instruction: String,
        /// The flag, without dashes.
        flag: String,
    },
    /// A flag given twice that may be given once.
    #[error("flag --{0} is given twice")]
    DuplicateFlag(String),
    /// A valued flag without a value.
    #[error("flag --{0} needs a value")]
    MissingFlagValue(String),
    /// A boolean flag with a value other than true/false.
    #[error("flag --{flag} takes true or false, not {value:?}")]
    NotBoolean {
        /// The flag.
        flag: String,
        /// The value.
        value: String,
    },
    /// A flag word that does not start with `--` once unquoted.
    #[error("flag {0:?} does not start with --")]
    BadFlag(String),
    /// FROM with a wrong shape or stage name.
    #[error("{0}")]
    BadFrom(String),
    /// Two stages with one name.
    #[error("stage name {0:?} is used twice")]
    DuplicateStage(String),
    /// HEALTHCHECK with a type other than CMD or NONE, or NONE with arguments.
    #[error("{0}")]
    BadHealthcheck(String),
    /// ONBUILD with an instruction it may not trigger.
    #[error("{0} is not allowed as an ONBUILD trigger")]
    BadOnbuild(String),
}
