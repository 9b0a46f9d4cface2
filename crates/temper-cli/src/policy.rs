//! `temper policy`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::Format;

/// `temper policy …`.
#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Run the `test_*` rules of the .rego files under DIR (recursively,
    /// with `data` from DIR/data/*.json and *.yaml) as `opa test` does:
    /// PASS or FAIL per test and a summary; exit 0 when all pass, 1 when
    /// one fails, 2 on an error loading the files.
    Test(PolicyTestArgs),
}

/// `temper policy test`.
#[derive(Args, Debug)]
pub struct PolicyTestArgs {
    /// The directory of policies and their tests.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}
