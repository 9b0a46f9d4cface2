//! The Dockerfile fuzz body: `temper lint` reads strangers' Dockerfiles.
//! Whatever parses must have every span inside the source and on character
//! boundaries, and every position must name a real line.

use temper_dockerfile::{Span, parse};

fn check(source: &str, span: Span) {
    assert!(span.start <= span.end && span.end <= source.len(), "span {span:?} outside {} bytes", source.len());
    assert!(source.is_char_boundary(span.start) && source.is_char_boundary(span.end), "span {span:?} splits a character");
}

/// Parse the input as text. True when it parsed.
pub fn dockerfile(data: &[u8]) -> bool {
    let source = String::from_utf8_lossy(data);
    match parse(&source) {
        Ok(df) => {
            for ins in &df.instructions {
                check(&source, ins.span);
                check(&source, ins.keyword_span);
                for f in &ins.flags {
                    check(&source, f.span);
                    if let Some(v) = &f.value {
                        check(&source, v.span);
                    }
                }
                for h in &ins.heredocs {
                    check(&source, h.body_span);
                    check(&source, h.marker);
                }
                for (_, c) in df.shell_commands() {
                    check(&source, c.span);
                    for w in c.name.iter().chain(&c.args) {
                        check(&source, w.span);
                    }
                }
            }
            for s in &df.stages {
                assert!(s.from < df.instructions.len() && s.instructions.end <= df.instructions.len());
            }
            true
        }
        Err(e) => {
            check(&source, e.span);
            assert!(e.position.line >= 1 && e.position.line <= source.lines().count() + 1);
            false
        }
    }
}
