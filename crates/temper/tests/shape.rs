//! The binary's shape: one module per subcommand, and no orchestration
//! outside the library that every front end calls.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;

/// Calls that assess an image: a front end reaches them only through
/// `temper-verdict`, so a server or a gate cannot drift from the CLI.
const ORCHESTRATION: [&str; 5] = ["temper_inventory::scan(", "temper_layer::walk_image_with(", "temper_finding::match_inventory(", "temper_check::run(", "temper_image::open("];

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn binary_shape_one_command_module_per_subcommand_and_no_orchestration() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let command = <temper_cli::Cli as clap::CommandFactory>::command();
    let names: Vec<String> = command.get_subcommands().map(|c| c.get_name().to_owned()).collect();
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        let module = src.join("commands").join(format!("{name}.rs"));
        assert!(module.is_file(), "subcommand `{name}` has no {}", module.display());
    }
    let mut files = Vec::new();
    sources(&src, &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for call in ORCHESTRATION {
            assert!(!text.contains(call), "{} calls {call} itself; call temper-verdict instead", file.display());
        }
    }
    let main = std::fs::read_to_string(src.join("main.rs")).unwrap();
    assert!(main.lines().count() < 120, "main.rs is growing again: parse, dispatch, report errors only");
}
