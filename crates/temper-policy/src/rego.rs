//! Rego policies as conftest users write them, evaluated by `regorus`.
//!
//! OPA v1 syntax (`import rego.v1` is accepted and not required). In each
//! namespace (package) counted, default `main`, the rules `deny`,
//! `violation` and `warn`, and those named `deny_*`, `violation_*` and
//! `warn_*`, are sets of messages: a string, or an object whose `msg` is
//! one (any other value is shown as JSON). A non-empty deny or violation
//! set fails the image; a non-empty warn set warns. `data` is the merge of
//! the JSON and YAML documents given with the policy.
//!
//! Bounds: each file is parsed under regorus's length limits (its
//! `PolicyLengthConfig` defaults: 1 MiB, 20,000 lines), and each evaluation
//! runs under its execution timer ([`EVAL_LIMIT`]), so a policy that loops
//! or explodes a comprehension errors instead of hanging; regorus has no
//! memory limit without its own allocator, so the timer bounds memory too.
//! Files are parsed and analysed once; each evaluation runs on a clone of
//! the prepared engine.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use regorus::utils::limits::ExecutionTimerConfig;
use serde::Serialize;

use crate::config::{Loader, RegoConfig};
use crate::{Error, Result};

/// The longest one evaluation (or one test) may run.
pub const EVAL_LIMIT: Duration = Duration::from_secs(2);

/// Deny or warn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegoKind {
    /// `deny`, `violation` and their `_*` forms: a message fails the image.
    Deny,
    /// `warn` and `warn_*`: a message warns.
    Warn,
}

/// One rule's messages on one input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegoOutcome {
    /// The rule's path, `data.main.deny`.
    pub rule: String,
    /// Its package, `main`.
    pub namespace: String,
    /// Its name, `deny`.
    pub name: String,
    /// Deny or warn.
    pub kind: RegoKind,
    /// The files that define it.
    pub files: Vec<String>,
    /// Its messages, sorted.
    pub messages: Vec<String>,
}

/// A rule to query.
#[derive(Debug, Clone)]
struct RuleRef {
    namespace: String,
    name: String,
    kind: RegoKind,
    files: Vec<String>,
}

/// Compiled Rego policies and their data.
#[derive(Debug, Clone)]
pub struct Rego {
    engine: regorus::Engine,
    rules: Vec<RuleRef>,
}

static DENY_OR_WARN: LazyLock<Option<regex::Regex>> = LazyLock::new(|| regex::Regex::new(r"(?m)^[ \t]*((?:deny|violation|warn)(?:_[A-Za-z0-9_]*)?)\b").ok());
static TEST_RULE: LazyLock<Option<regex::Regex>> = LazyLock::new(|| regex::Regex::new(r"(?m)^[ \t]*(test_[A-Za-z0-9_]*)\b").ok());

/// Rule names `re` finds at the start of lines of `text` that `engine` confirms `path` declares.
fn declared(engine: &regorus::Engine, re: &LazyLock<Option<regex::Regex>>, path: &str, text: &str) -> Vec<String> {
    let mut names: Vec<String> = re.as_ref().map(|re| re.captures_iter(text).filter_map(|c| c.get(1)).map(|m| m.as_str().to_owned()).collect()).unwrap_or_default();
    names.sort();
    names.dedup();
    names.retain(|n| engine.has_declared_rule_rooted_at(path, n).unwrap_or(false));
    names
}

fn new_engine() -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine.set_execution_timer_config(ExecutionTimerConfig { limit: EVAL_LIMIT, check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN) });
    engine
}

/// A regorus error as one line (it names the file, line and column for
/// parse errors); `#` shows the causes of its `anyhow` chain.
fn rego_error(e: &impl std::fmt::Display) -> String {
    format!("{e:#}").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads a data document: JSON, or YAML for `.yaml`/`.yml`.
fn read_data(path: &Path, bytes: &[u8]) -> Result<regorus::Value> {
    let yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    let value: serde_json::Value = if yaml {
        let text = std::str::from_utf8(bytes).map_err(|_| Error::Invalid(format!("{}: not UTF-8 text", path.display())))?;
        yaml_serde::from_str(text).map_err(|e| Error::Invalid(format!("{}: not a YAML document: {e}", path.display())))?
    } else {
        serde_json::from_slice(bytes).map_err(|e| Error::Invalid(format!("{}: not a JSON document: {e}", path.display())))?
    };
    if !value.is_object() {
        return Err(Error::Invalid(format!("{}: a data document must be an object (it is merged into `data`)", path.display())));
    }
    Ok(regorus::Value::from(value))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    crate::config::read_bounded(path)
}

/// The most directory entries a walk for `.rego` or data files visits, so
/// a policy naming `/` errors instead of walking the whole filesystem.
const MAX_WALK: usize = 10_000;

/// The files under `dir`, recursively and sorted, that `keep` accepts.
fn walk(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    let mut seen = 0;
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(&d).map_err(|source| Error::Read { path: d.clone(), source })? {
            seen += 1;
            if seen > MAX_WALK {
                return Err(Error::Invalid(format!("{}: more than {MAX_WALK} entries; name the policy files or a smaller directory", dir.display())));
            }
            let entry = e.map_err(|source| Error::Read { path: d.clone(), source })?;
            // Symbolic links are not followed, so a link loop cannot make the walk endless.
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let path = entry.path();
            if is_dir {
                pending.push(path);
            } else if keep(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The `.rego` files under `dir`, recursively and sorted; `*_test.rego` only when `tests`.
pub(crate) fn rego_files(dir: &Path, tests: bool) -> Result<Vec<PathBuf>> {
    walk(dir, |p| p.extension().is_some_and(|e| e == "rego") && (tests || !p.to_string_lossy().ends_with("_test.rego")))
}

/// The data files under `dir/data`, recursively and sorted (none when it is absent).
pub(crate) fn data_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let data = dir.join("data");
    if !data.is_dir() {
        return Ok(Vec::new());
    }
    walk(&data, |p| p.extension().is_some_and(|e| e == "json" || e == "yaml" || e == "yml"))
}

/// Loaded sources: each file's name as regorus knows it, its text and its package.
struct Loaded {
    engine: regorus::Engine,
    files: Vec<(String, String, String)>,
}

fn load_sources(sources: Vec<(PathBuf, Vec<u8>)>, data: Vec<(PathBuf, Vec<u8>)>) -> Result<Loaded> {
    let mut engine = new_engine();
    let mut files = Vec::new();
    for (path, bytes) in sources {
        let name = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|_| Error::Invalid(format!("{name}: not UTF-8 text")))?;
        let package = engine.add_policy(name.clone(), text.clone()).map_err(|e| Error::Invalid(rego_error(&e)))?;
        let package = package.strip_prefix("data.").unwrap_or(&package).to_owned();
        files.push((name, text, package));
    }
    for (path, bytes) in data {
        let value = read_data(&path, &bytes)?;
        engine.add_data(value).map_err(|e| Error::Invalid(format!("{}: {}", path.display(), rego_error(&e))))?;
    }
    // Analyses the modules once (errors such as an unsafe variable show
    // here, at load), so every clone starts prepared.
    engine.eval_query("true".to_owned(), false).map_err(|e| Error::Invalid(rego_error(&e)))?;
    Ok(Loaded { engine, files })
}

/// A set's members as messages: strings, `msg` of objects, else JSON.
fn messages(value: &regorus::Value) -> Vec<String> {
    let members: Vec<&regorus::Value> = match value {
        regorus::Value::Set(s) => s.iter().collect(),
        regorus::Value::Array(a) => a.iter().collect(),
        regorus::Value::Undefined => Vec::new(),
        other => vec![other],
    };
    let mut out: Vec<String> = members
        .into_iter()
        .map(|m| match m {
            regorus::Value::String(s) => s.to_string(),
            regorus::Value::Object(o) => match o.get(&regorus::Value::from("msg")) {
                Some(regorus::Value::String(s)) => s.to_string(),
                _ => m.to_json_str().unwrap_or_default(),
            },
            _ => m.to_json_str().unwrap_or_default(),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

impl Rego {
    /// Compiles `files` with the data documents `data` (JSON or YAML
    /// objects, merged); counts the rules of the packages `namespaces`.
    pub fn load(files: &[PathBuf], data: &[PathBuf], namespaces: &[String]) -> Result<Self> {
        let sources = files.iter().map(|f| read(f).map(|b| (f.clone(), b))).collect::<Result<_>>()?;
        let data = data.iter().map(|f| read(f).map(|b| (f.clone(), b))).collect::<Result<_>>()?;
        Self::build(load_sources(sources, data)?, namespaces)
    }

    pub(crate) fn from_config(c: &RegoConfig, loader: &mut Loader<'_>) -> Result<Self> {
        let mut sources = Vec::new();
        for f in &c.files {
            let path = loader.path(f.get_ref());
            let paths = if path.is_dir() { rego_files(&path, false).map_err(|e| loader.at(f.span(), "rego.files", e))? } else { vec![path] };
            for p in paths {
                let bytes = read(&p).map_err(|e| loader.at(f.span(), "rego.files", e))?;
                crate::digest_part(loader.hasher, &p, &bytes);
                sources.push((p, bytes));
            }
        }
        if sources.is_empty() {
            return Err(loader.invalid("rego.files", "no .rego file found"));
        }
        let mut data = Vec::new();
        for d in &c.data {
            let (p, bytes) = loader.read(d, "rego.data")?;
            data.push((p, bytes));
        }
        let loaded = load_sources(sources, data).map_err(|e| loader.invalid("rego", e))?;
        Self::build(loaded, &c.namespaces)
    }

    fn build(loaded: Loaded, namespaces: &[String]) -> Result<Self> {
        let mut rules: Vec<RuleRef> = Vec::new();
        for (name, text, package) in &loaded.files {
            if !namespaces.contains(package) {
                continue;
            }
            for rule in declared(&loaded.engine, &DENY_OR_WARN, name, text) {
                let kind = if rule.starts_with("warn") { RegoKind::Warn } else { RegoKind::Deny };
                match rules.iter_mut().find(|r| &r.namespace == package && r.name == rule) {
                    Some(r) => r.files.push(name.clone()),
                    None => rules.push(RuleRef { namespace: package.clone(), name: rule, kind, files: vec![name.clone()] }),
                }
            }
        }
        Ok(Rego { engine: loaded.engine, rules })
    }

    /// The deny and warn rules found, as `data.NAMESPACE.RULE`.
    pub fn rules(&self) -> Vec<String> {
        self.rules.iter().map(|r| format!("data.{}.{}", r.namespace, r.name)).collect()
    }

    /// Every deny and warn rule's messages on `input`.
    pub fn evaluate(&self, input: &serde_json::Value) -> Result<Vec<RegoOutcome>> {
        let mut engine = self.engine.clone();
        engine.set_input(regorus::Value::from(input.clone()));
        self.rules
            .iter()
            .map(|r| {
                let path = format!("data.{}.{}", r.namespace, r.name);
                let value = engine.eval_rule(path.clone()).map_err(|e| Error::Rego(format!("{} ({path}): {}", r.files.join(", "), rego_error(&e))))?;
                Ok(RegoOutcome { rule: path, namespace: r.namespace.clone(), name: r.name.clone(), kind: r.kind, files: r.files.clone(), messages: messages(&value) })
            })
            .collect()
    }
}

/// How one `test_*` rule went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "error", rename_all = "lowercase")]
pub enum TestOutcome {
    /// Defined and not false.
    Pass,
    /// Undefined or false.
    Fail,
    /// Evaluation failed (a built-in's error, the time limit).
    Error(String),
}

/// One test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// The file that defines it.
    pub file: String,
    /// `data.PACKAGE.test_NAME`.
    pub rule: String,
    /// How it went.
    #[serde(flatten)]
    pub outcome: TestOutcome,
}

/// Every test of a directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestReport {
    /// In file order, then name order.
    pub results: Vec<TestResult>,
}

impl TestReport {
    /// How many passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.outcome == TestOutcome::Pass).count()
    }

    /// How many failed or errored.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

/// Runs every `test_*` rule of the `.rego` files under `dir` (recursively,
/// test files included), with `data` from the JSON and YAML files under
/// `dir/data`, as `opa test` does: a test passes when it is defined and not
/// false. An error loading the files is an `Err`; an error in one test is
/// that test's [`TestOutcome::Error`].
pub fn run_tests(dir: &Path) -> Result<TestReport> {
    let files = rego_files(dir, true)?;
    if files.is_empty() {
        return Err(Error::Invalid(format!("{}: no .rego file found", dir.display())));
    }
    let sources = files.iter().map(|f| read(f).map(|b| (f.clone(), b))).collect::<Result<_>>()?;
    let data = data_files(dir)?.into_iter().map(|f| read(&f).map(|b| (f, b))).collect::<Result<_>>()?;
    let loaded = load_sources(sources, data)?;
    let mut report = TestReport::default();
    for (name, text, package) in &loaded.files {
        for test in declared(&loaded.engine, &TEST_RULE, name, text) {
            let rule = format!("data.{package}.{test}");
            let mut engine = loaded.engine.clone();
            let outcome = match engine.eval_rule(rule.clone()) {
                Ok(regorus::Value::Undefined | regorus::Value::Bool(false)) => TestOutcome::Fail,
                Ok(_) => TestOutcome::Pass,
                Err(e) => TestOutcome::Error(rego_error(&e)),
            };
            report.results.push(TestResult { file: name.clone(), rule, outcome });
        }
    }
    Ok(report)
}
