//! Runs one rule over a Dockerfile written in the test.

use temper_lint::{Config, Context, Finding};

/// The findings of rule `id` in `source`, as (line, column, message), with
/// a `.dockerignore` excluding the usual suspects.
pub fn lint(id: &str, source: &str) -> Vec<(usize, usize, String)> {
    lint_with(id, source, &Config::default(), Some(".git\n.env\nnode_modules\n"))
}

/// [`lint`] with a config and a `.dockerignore` (`None`: missing).
pub fn lint_with(id: &str, source: &str, config: &Config, dockerignore: Option<&str>) -> Vec<(usize, usize, String)> {
    findings(id, source, config, dockerignore).into_iter().map(|f| (f.line, f.column, f.message)).collect()
}

/// The full findings of rule `id`.
pub fn findings(id: &str, source: &str, config: &Config, dockerignore: Option<&str>) -> Vec<Finding> {
    assert!(temper_lint::rules::registry().iter().any(|r| r.meta().id == id), "no rule {id}");
    let df = temper_dockerfile::parse(source).unwrap_or_else(|e| panic!("{e}\n{source}"));
    let cx = Context { config, dockerignore, build_context: true };
    temper_lint::lint(&df, &cx).into_iter().filter(|f| f.rule == id).collect()
}

/// The lines rule `id` fires on.
pub fn lines(id: &str, source: &str) -> Vec<usize> {
    lint(id, source).into_iter().map(|(l, _, _)| l).collect()
}
