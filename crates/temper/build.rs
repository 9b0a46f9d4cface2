//! Writes the man pages (`temper.1`, `temper-scan.1`, …) from the same
//! argument definitions the binary parses, so they can never drift; the
//! binary embeds them for `temper man`.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    // The definitions live in temper-cli, a build dependency: a change there rebuilds this script.
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| std::io::Error::other("OUT_DIR is not set"))?);
    let dir = out.join("man");
    std::fs::create_dir_all(&dir)?;
    let command = <temper_cli::Cli as clap::CommandFactory>::command().version(env!("CARGO_PKG_VERSION"));
    clap_mangen::generate_to(command, &dir)?;
    let mut names: Vec<String> = std::fs::read_dir(&dir)?.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.ends_with(".1")).collect();
    names.sort();
    let mut index = String::from("/// Every man page, by file name.\npub const PAGES: &[(&str, &str)] = &[\n");
    for name in names {
        let _ = writeln!(index, "    ({name:?}, include_str!(concat!(env!(\"OUT_DIR\"), \"/man/{name}\"))),");
    }
    index.push_str("];\n");
    std::fs::write(out.join("man_pages.rs"), index)
}
