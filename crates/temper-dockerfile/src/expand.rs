//! Variable expansion in instruction arguments, as BuildKit's word lexer
//! does it: quotes removed, the escape character honoured, `$X`, `${X}`,
//! `${X:-d}`, `${X-d}`, `${X:+d}`, `${X+d}`, `${X:?m}`, `${X?m}`,
//! `${X#p}`, `${X##p}`, `${X%p}`, `${X%%p}`, `${X/p/r}` and `${X//p/r}`.
//!
//! A lint tool knows no `--build-arg`: a variable with no value known here
//! (an `ARG` without default, or a name never declared) is left in the
//! value as written and named in [`Expansion::unresolved`], so a rule sees
//! `image:${VERSION}` rather than a misleading `image:`. The default of
//! `${X:-d}` and `${X-d}` is taken for such a variable.

/// What a variable is, for expansion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup<'a> {
    /// Declared with a value known here.
    Value(&'a str),
    /// Declared (an `ARG` without default) or predefined by BuildKit, with
    /// a value only known at build time.
    Unknown,
    /// Never declared.
    Unset,
}

/// Where variables come from.
pub(crate) trait Vars {
    fn lookup(&self, name: &str) -> Lookup<'_>;
}

/// No variables at all.
pub(crate) struct NoVars;

impl Vars for NoVars {
    fn lookup(&self, _: &str) -> Lookup<'_> {
        Lookup::Unset
    }
}

/// The result of expanding one word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Expansion {
    pub value: String,
    pub unresolved: Vec<String>,
    pub error: Option<String>,
}

/// The longest value expansion may build, so `ENV a=$a$a` repeated cannot
/// grow memory without bound.
const MAX_VALUE: usize = 1 << 20;
/// Nesting depth of `${…}` inside `${…}` words.
const MAX_DEPTH: usize = 32;
/// Pattern removal and substitution are quadratic; values longer than
/// this are left alone.
const MAX_PATTERN_SUBJECT: usize = 4096;

struct Lexer<'s, 'v> {
    s: &'s [u8],
    src: &'s str,
    i: usize,
    escape: u8,
    vars: &'v dyn Vars,
    unresolved: Vec<String>,
}

type Res<T> = Result<T, String>;

/// Expand `word` with `vars`, removing quotes and escapes.
pub(crate) fn expand(word: &str, vars: &dyn Vars, escape: u8) -> Expansion {
    let mut lx = Lexer { s: word.as_bytes(), src: word, i: 0, escape, vars, unresolved: Vec::new() };
    match lx.word(None, 0) {
        Ok(value) => Expansion { value, unresolved: lx.unresolved, error: None },
        Err(e) => Expansion { value: word.to_string(), unresolved: lx.unresolved, error: Some(e) },
    }
}

fn push_checked(out: &mut String, s: &str) -> Res<()> {
    if out.len() + s.len() > MAX_VALUE {
        return Err(format!("expanded value longer than {MAX_VALUE} bytes"));
    }
    out.push_str(s);
    Ok(())
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Lexer<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Copy one (possibly multi-byte) character to `out`.
    fn take_char(&mut self, out: &mut String) -> Res<()> {
        let start = self.i;
        self.i += 1;
        while self.i < self.s.len() && (self.s[self.i] & 0xC0) == 0x80 {
            self.i += 1;
        }
        push_checked(out, &self.src[start..self.i])
    }

    /// A word up to `stop` (not consumed) or the end.
    fn word(&mut self, stop: Option<u8>, depth: usize) -> Res<String> {
        if depth > MAX_DEPTH {
            return Err("variable expansions nested too deeply".into());
        }
        let mut out = String::new();
        while let Some(b) = self.peek() {
            if Some(b) == stop {
                break;
            }
            match b {
                b'\'' => {
                    self.i += 1;
                    let start = self.i;
                    while self.peek().is_some_and(|c| c != b'\'') {
                        self.i += 1;
                    }
                    if self.peek().is_none() {
                        return Err("unexpected end of statement while looking for matching single-quote".into());
                    }
                    push_checked(&mut out, &self.src[start..self.i])?;
                    self.i += 1;
                }
                b'"' => {
                    self.i += 1;
                    loop {
                        match self.peek() {
                            None => {
                                return Err("unexpected end of statement while looking for matching double-quote".into());
                            }
                            Some(b'"') => {
                                self.i += 1;
                                break;
                            }
                            Some(b'$') => {
                                let v = self.dollar(depth)?;
                                push_checked(&mut out, &v)?;
                            }
                            Some(c) if c == self.escape => {
                                self.i += 1;
                                match self.peek() {
                                    None => {}
                                    Some(n) if n == b'"' || n == b'$' || n == self.escape => self.take_char(&mut out)?,
                                    Some(_) => push_checked(&mut out, &(self.escape as char).to_string())?,
                                }
                            }
                            Some(_) => self.take_char(&mut out)?,
                        }
                    }
                }
                b'$' => {
                    let v = self.dollar(depth)?;
                    push_checked(&mut out, &v)?;
                }
                c if c == self.escape => {
                    self.i += 1;
                    if self.peek().is_some() {
                        self.take_char(&mut out)?;
                    }
                }
                _ => self.take_char(&mut out)?,
            }
        }
        Ok(out)
    }

    fn name(&mut self) -> String {
        let start = self.i;
        match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
            }
            Some(b'@' | b'*' | b'#' | b'?' | b'-' | b'$' | b'!') => self.i += 1,
            _ => {
                while self.peek().is_some_and(is_name_byte) {
                    self.i += 1;
                }
            }
        }
        self.src[start..self.i].to_string()
    }

    fn unknown(&mut self, name: &str, start: usize) -> String {
        if !self.unresolved.iter().any(|n| n == name) {
            self.unresolved.push(name.to_string());
        }
        self.src[start..self.i].to_string()
    }

    /// At a `$`: the expansion's value.
    fn dollar(&mut self, depth: usize) -> Res<String> {
        let start = self.i;
        self.i += 1;
        if self.peek() != Some(b'{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match self.vars.lookup(&name) {
                Lookup::Value(v) => v.to_string(),
                Lookup::Unknown | Lookup::Unset => self.unknown(&name, start),
            });
        }
        self.i += 1;
        let name = self.name();
        if name.is_empty() {
            return Err("bad substitution: missing name after ${".into());
        }
        let Some(op) = self.peek() else {
            return Err("missing '}'".into());
        };
        let look = self.vars.lookup(&name);
        let set = match look {
            Lookup::Value(v) => Some(v),
            Lookup::Unknown | Lookup::Unset => None,
        };
        match op {
            b'}' => {
                self.i += 1;
                Ok(match set {
                    Some(v) => v.to_string(),
                    None => self.unknown(&name, start),
                })
            }
            b':' | b'-' | b'+' | b'?' => {
                let colon = op == b':';
                if colon {
                    self.i += 1;
                }
                let Some(m) = self.peek() else {
                    return Err("missing '}'".into());
                };
                if !matches!(m, b'-' | b'+' | b'?') {
                    return Err(format!("unsupported modifier ({}) in substitution", m as char));
                }
                self.i += 1;
                let word = self.word(Some(b'}'), depth + 1)?;
                if self.peek() != Some(b'}') {
                    return Err("missing '}'".into());
                }
                self.i += 1;
                let present = set.is_some_and(|v| !colon || !v.is_empty());
                Ok(match m {
                    b'-' => set.filter(|_| present).map_or(word, str::to_string),
                    b'+' => {
                        if present {
                            word
                        } else {
                            String::new()
                        }
                    }
                    _ => match (present, look) {
                        (true, _) => set.unwrap_or_default().to_string(),
                        (false, Lookup::Unknown) => self.unknown(&name, start),
                        (false, _) => {
                            return Err(if word.is_empty() { format!("{name}: is not allowed to be unset") } else { format!("{name}: {word}") });
                        }
                    },
                })
            }
            b'#' | b'%' | b'/' => {
                self.i += 1;
                let double = self.peek() == Some(op);
                if double {
                    self.i += 1;
                }
                let (pattern, replacement) = if op == b'/' {
                    let p = self.word(Some(b'/'), depth + 1)?;
                    let r = if self.peek() == Some(b'/') {
                        self.i += 1;
                        Some(self.word(Some(b'}'), depth + 1)?)
                    } else {
                        Some(String::new())
                    };
                    (p, r)
                } else {
                    (self.word(Some(b'}'), depth + 1)?, None)
                };
                if self.peek() != Some(b'}') {
                    return Err("missing '}'".into());
                }
                self.i += 1;
                let Some(v) = set else {
                    return Ok(self.unknown(&name, start));
                };
                if v.len() > MAX_PATTERN_SUBJECT {
                    return Err(format!("value of {name} is too long for pattern matching"));
                }
                let chars: Vec<char> = v.chars().collect();
                let pat: Vec<char> = pattern.chars().collect();
                Ok(match (op, replacement) {
                    (b'#', _) => trim_prefix(&chars, &pat, double),
                    (b'%', _) => trim_suffix(&chars, &pat, double),
                    (_, Some(r)) => substitute(&chars, &pat, &r, double),
                    _ => v.to_string(),
                })
            }
            other => Err(format!("unsupported modifier ({}) in substitution", other as char)),
        }
    }
}

/// Shell glob match of `s` against `p` (`*`, `?`; everything else literal).
fn glob(p: &[char], s: &[char]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == s[si])) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn trim_prefix(v: &[char], p: &[char], longest: bool) -> String {
    let ends: Vec<usize> = if longest { (0..=v.len()).rev().collect() } else { (0..=v.len()).collect() };
    for e in ends {
        if glob(p, &v[..e]) {
            return v[e..].iter().collect();
        }
    }
    v.iter().collect()
}

fn trim_suffix(v: &[char], p: &[char], longest: bool) -> String {
    let starts: Vec<usize> = if longest { (0..=v.len()).collect() } else { (0..=v.len()).rev().collect() };
    for s in starts {
        if glob(p, &v[s..]) {
            return v[..s].iter().collect();
        }
    }
    v.iter().collect()
}

fn substitute(v: &[char], p: &[char], r: &str, all: bool) -> String {
    let mut out = String::new();
    let mut i = 0;
    let mut replaced = false;
    while i < v.len() {
        if (all || !replaced)
            && !p.is_empty()
            && let Some(e) = (i + 1..=v.len()).rev().find(|&e| glob(p, &v[i..e]))
        {
            out.push_str(r);
            i = e;
            replaced = true;
            continue;
        }
        out.push(v[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Map(&'static [(&'static str, Option<&'static str>)]);
    impl Vars for Map {
        fn lookup(&self, name: &str) -> Lookup<'_> {
            match self.0.iter().find(|(k, _)| *k == name) {
                Some((_, Some(v))) => Lookup::Value(v),
                Some((_, None)) => Lookup::Unknown,
                None => Lookup::Unset,
            }
        }
    }

    const VARS: Map = Map(&[("A", Some("alpha")), ("E", Some("")), ("U", None), ("P", Some("a/b/c.tar.gz"))]);

    fn x(s: &str) -> String {
        let e = expand(s, &VARS, b'\\');
        assert_eq!(e.error, None, "{s}");
        e.value
    }

    #[test]
    fn plain_and_braced() {
        assert_eq!(x("$A-${A}x"), "alpha-alphax");
        assert_eq!(x("'$A'\"$A\"\\$A"), "$Aalpha$A");
        assert_eq!(x("a\\ b\"c\\d\""), "a bc\\d");
        assert_eq!(x("$"), "$");
        assert_eq!(x("cost: $5"), "cost: $5");
    }

    #[test]
    fn modifiers() {
        assert_eq!(x("${E:-d}|${E-d}|${N-d}|${N:-d}"), "d||d|d");
        assert_eq!(x("${A:+y}|${E:+y}|${E+y}|${N+y}"), "y||y|");
        assert_eq!(x("${N:-${A}}"), "alpha");
        assert_eq!(x("${A:?no}"), "alpha");
        assert!(expand("${N:?gone}", &VARS, b'\\').error.unwrap().contains("gone"));
        assert!(expand("${A", &VARS, b'\\').error.is_some());
    }

    #[test]
    fn patterns() {
        assert_eq!(x("${P#*/}|${P##*/}|${P%.*}|${P%%.*}"), "b/c.tar.gz|c.tar.gz|a/b/c.tar|a/b/c");
        assert_eq!(x("${P/\\//-}|${P//\\//-}"), "a-b/c.tar.gz|a-b-c.tar.gz");
    }

    #[test]
    fn unknown_values_stay_as_written() {
        let e = expand("img:${U}-$N-${U:-dflt}", &VARS, b'\\');
        assert_eq!(e.value, "img:${U}-$N-dflt");
        assert_eq!(e.unresolved, ["U", "N"]);
    }

    #[test]
    fn backtick_escape() {
        let e = expand("C:`\\x`$A", &VARS, b'`');
        assert_eq!(e.value, "C:\\x$A");
    }
}
