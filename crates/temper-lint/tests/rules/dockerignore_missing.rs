use temper_lint::{Config, Context};

use super::support::lint_with;

const ID: &str = "dockerignore-missing";

#[test]
fn fires_at_line_1_without_a_dockerignore() {
    assert_eq!(
        lint_with(ID, "# syntax=docker/dockerfile:1\nFROM alpine\n", &Config::default(), None),
        [(1, 1, "No .dockerignore beside the Dockerfile: the whole directory is the build context".to_owned())]
    );
}

#[test]
fn present_or_stdin_is_fine() {
    assert!(lint_with(ID, "FROM alpine\n", &Config::default(), Some("")).is_empty());
    let df = temper_dockerfile::parse("FROM alpine\n").unwrap();
    let cx = Context { config: &Config::default(), dockerignore: None, build_context: false };
    assert!(temper_lint::lint(&df, &cx).iter().all(|f| f.rule != ID));
}
