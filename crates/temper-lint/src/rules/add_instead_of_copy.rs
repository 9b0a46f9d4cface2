//! `add-instead-of-copy` (hadolint DL3020): for local files and
//! directories `ADD` does what `COPY` does, plus surprises (it unpacks
//! archives), so `COPY` says what is meant.
//!
//! Not reported: remote sources (URLs and git references, which are
//! `add-remote-url`'s business), local tar archives (which `ADD` unpacks
//! on purpose: `.tar`, `.tar.gz`, `.tgz`, `.tar.bz2`, `.tbz2`, `.tar.xz`,
//! `.txz`, `.tar.zst`), and sources from unresolved variables. An `ADD`
//! with one plain file among archives is reported. A compressed file that
//! is not a tar archive (`x.gz`, `x.bz2`, `x.xz`) is a plain file: `ADD`
//! copies it still compressed, so it is reported, saying so.

use temper_dockerfile::{Dockerfile, InstructionKind, Source};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct AddInsteadOfCopy;

static META: RuleMeta = RuleMeta {
    id: "add-instead-of-copy",
    hadolint: Some("DL3020"),
    severity: Severity::Error,
    message: "ADD for local files; use COPY",
    hint: "Use `COPY` for files and directories; keep `ADD` for archives it should unpack.",
    doc: "`ADD` copies local files like `COPY` but also unpacks tar archives and fetches URLs, so a reader cannot tell what was meant and a renamed file can change behaviour. Not reported: URLs and git sources (see `add-remote-url`), local tar archives (`.tar`, `.tar.gz`, `.tgz`…), which `ADD` unpacks on purpose, and sources from unresolved variables. A plain compressed file (`data.gz`) is not unpacked: `ADD` copies it as it is, so it is reported too. Replace `ADD app/ /srv/app/` with `COPY app/ /srv/app/`.",
};

/// Compressions `ADD` undoes only around a tar archive.
const COMPRESSED: &[&str] = &[".gz", ".bz2", ".xz", ".zst", ".lz", ".lzma"];

const ARCHIVES: &[&str] = &[".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst", ".tar.lz", ".tar.lzma"];

fn remote(v: &str) -> bool {
    let v = v.to_ascii_lowercase();
    v.contains("://") || v.starts_with("git@")
}

impl Rule for AddInsteadOfCopy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for ins in &df.instructions {
            let InstructionKind::Add(args) = &ins.kind else {
                continue;
            };
            let local = args.sources.iter().find_map(|s| match s {
                Source::Path(w) if w.unresolved.is_empty() && !remote(&w.value) => {
                    let v = w.value.to_ascii_lowercase();
                    let plain_compressed = COMPRESSED.iter().any(|c| v.ends_with(c));
                    (!ARCHIVES.iter().any(|a| v.ends_with(a)))
                        .then(|| if plain_compressed { format!("{}, which is not a tar archive, so ADD copies it still compressed", w.value) } else { w.value.clone() })
                }
                Source::Path(_) => None,
                Source::Heredoc(_) => Some("a heredoc".to_owned()),
            });
            if let Some(what) = local {
                out.push(Violation::with(ins.keyword_span, format!("ADD for local files ({what}); use COPY")));
            }
        }
        out
    }
}
