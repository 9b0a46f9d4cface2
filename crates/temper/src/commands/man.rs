//! `temper man`: the man pages, generated at build time from the argument
//! definitions (build.rs) and embedded.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};

use super::{print, write_whole};

mod pages {
    include!(concat!(env!("OUT_DIR"), "/man_pages.rs"));
}

pub fn run(output: Option<&Path>) -> Result<ExitCode> {
    let Some(dir) = output else {
        let (_, page) = pages::PAGES.iter().find(|(name, _)| *name == "temper.1").ok_or_else(|| anyhow!("this build has no man page"))?;
        print(page)?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the directory", dir.display()))?;
    for (name, page) in pages::PAGES {
        write_whole(&dir.join(name), page)?;
    }
    print(&format!("wrote {} man pages to {}\n", pages::PAGES.len(), dir.display()))?;
    Ok(ExitCode::SUCCESS)
}
