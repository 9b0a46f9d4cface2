//! `add-url-without-checksum`: `ADD https://…` downloads whatever the
//! server returns at build time; `--checksum=sha256:…` makes BuildKit
//! verify it, so a changed or compromised download fails the build.
//!
//! Git sources (`ADD https://host/repo.git#ref`, `…/repo.git?ref=…`,
//! `git@host:repo`) are accepted when pinned to a full commit id
//! (`#<40 hex digits>`, also `#<commit>:subdir`, or `?commit=<id>` /
//! `?ref=<id>`) or given `--checksum`: a commit id is itself a
//! content hash, a branch or tag is not.

use temper_dockerfile::{Dockerfile, InstructionKind, Source};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct AddUrl;

static META: RuleMeta = RuleMeta {
    id: "add-url-without-checksum",
    hadolint: None,
    severity: Severity::Warning,
    message: "ADD downloads a URL without --checksum",
    hint: "Add `--checksum=sha256:<hash>` to ADD, or download with `RUN curl -fsSLO <url> && echo \"<hash>  <file>\" | sha256sum -c -`.",
    doc: "`ADD <url>` takes whatever the server returns at build time: a moved, re-uploaded or compromised file goes into the image unnoticed. `ADD --checksum=sha256:<hash> <url> <dest>` (Dockerfile syntax 1.6 and later) makes BuildKit verify the download. Git sources are accepted when pinned to a full commit id (`ADD https://example.com/repo.git#<40-hex-commit> /src`), since the commit id already names the content; a branch or tag is reported. Fix: `ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tar.gz /tmp/`.",
};

impl Rule for AddUrl {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for ins in &df.instructions {
            let InstructionKind::Add(args) = &ins.kind else { continue };
            if ins.flag("checksum").is_some_and(|f| f.value.as_ref().is_some_and(|v| !v.value.trim().is_empty())) {
                continue;
            }
            for src in &args.sources {
                let Source::Path(w) = src else { continue };
                let url = w.value.as_str();
                if is_git(url) {
                    if !pinned_to_commit(url) {
                        out.push(Violation::with(w.span, format!("ADD {url} is a git source not pinned to a commit")));
                    }
                } else if is_url(url) {
                    out.push(Violation::with(w.span, format!("ADD {url} is downloaded without --checksum")));
                }
            }
        }
        out
    }
}

/// `http://` or `https://`.
fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A git source as BuildKit recognises it.
fn is_git(s: &str) -> bool {
    let base = s.split(['#', '?']).next().unwrap_or(s);
    s.starts_with("git@") || s.starts_with("git://") || s.starts_with("ssh://") || (is_url(s) && base.ends_with(".git"))
}

/// `#<commit>` (optionally followed by `:subdir`), or the query form
/// `?ref=<commit>` / `?commit=<commit>`; a commit is 40 or 64 hex digits.
fn pinned_to_commit(s: &str) -> bool {
    let is_commit = |r: &str| matches!(r.len(), 40 | 64) && r.chars().all(|c| c.is_ascii_hexdigit());
    let fragment = s.split_once('#').map(|(_, f)| f.split(':').next().unwrap_or(f));
    let query = s.split_once('?').map(|(_, q)| q.split('#').next().unwrap_or(q)).into_iter().flat_map(|q| q.split('&')).filter_map(|kv| kv.split_once('='));
    fragment.is_some_and(is_commit) || query.into_iter().any(|(k, v)| matches!(k, "ref" | "commit") && is_commit(v))
}
