//! The parser against every construct BuildKit reads: spans point at the
//! right text, values are expanded as BuildKit scopes them, errors name
//! line and column.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use temper_dockerfile::{
    Base, Command, Dockerfile, ErrorKind, Healthcheck, Instruction, InstructionKind, ListOp, Script, Source, parse,
};

fn ok(src: &str) -> Dockerfile {
    parse(src).unwrap_or_else(|e| panic!("{e}"))
}

fn err(src: &str) -> (ErrorKind, usize, usize) {
    let e = parse(src).unwrap_err();
    (e.kind, e.position.line, e.position.column)
}

fn shell_text<'a>(df: &'a Dockerfile, i: &'a Instruction) -> &'a str {
    match &i.kind {
        InstructionKind::Run(Some(Command::Shell(s))) => df.text(s.span),
        other => panic!("{other:?}"),
    }
}

#[test]
fn directives_and_backtick_escape() {
    let df = ok("# syntax=docker/dockerfile:1.7\n# escape=`\n# check=skip=all\nFROM a\nRUN echo `\n  hi\nWORKDIR C:\\app\n");
    assert_eq!(df.escape, '`');
    assert_eq!(df.directive("syntax").unwrap().value, "docker/dockerfile:1.7");
    assert_eq!(df.text(df.directive("check").unwrap().value_span), "skip=all");
    let run = &df.instructions[1];
    assert_eq!(shell_text(&df, run), "echo `\n  hi");
    let InstructionKind::Workdir(w) = &df.instructions[2].kind else { panic!() };
    assert_eq!(w.value, "C:\\app");
    assert_eq!(err("# escape=x\nFROM a\n"), (ErrorKind::InvalidEscape("x".into()), 1, 10));
}

#[test]
fn continuations_drop_comments_and_map_spans() {
    let src = "FROM a\nRUN apt-get update \\\n  # refresh\n\n  && apt-get install -y \\\n     curl\n";
    let df = ok(src);
    let script = df.instructions[1].scripts().next().unwrap().parsed().unwrap();
    let install = &script.commands[1];
    assert_eq!(install.op_before, Some(ListOp::And));
    let curl = &install.args[2];
    assert_eq!(df.text(curl.span), "curl");
    assert_eq!(df.position(curl.span.start).line, 6);
    assert_eq!(df.diagnostics.len(), 1, "the empty continuation line");
}

#[test]
fn json_and_shell_forms() {
    let df = ok("FROM a\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\nENTRYPOINT []\nCMD echo hi\nRUN [\"sh\",\"-c\",\"x\"]\nCMD [not json\n");
    let InstructionKind::Cmd(Some(Command::Exec { args, .. })) = &df.instructions[1].kind else { panic!() };
    assert_eq!(args.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), ["nginx", "-g", "daemon off;"]);
    assert_eq!(df.text(args[2].span), "\"daemon off;\"");
    assert!(matches!(&df.instructions[2].kind, InstructionKind::Entrypoint(Some(Command::Exec { args, .. })) if args.is_empty()));
    assert!(matches!(&df.instructions[3].kind, InstructionKind::Cmd(Some(Command::Shell(s))) if s.text == "echo hi"));
    assert!(matches!(&df.instructions[5].kind, InstructionKind::Cmd(Some(Command::Shell(s))) if s.text == "[not json"));
    assert_eq!(err("FROM a\nCMD [1]\n").1, 2);
}

#[test]
fn heredocs() {
    let src = "FROM a\nRUN <<EOF\napt-get update\nEOF\nRUN cat <<-\"A\" > /x && cat <<B >> /y\n\tliteral $HOME\n\tA\nexp $HOME\nB\nCOPY <<conf /etc/app.conf\nk=v\nconf\n";
    let df = ok(src);
    let lone = &df.instructions[1];
    assert_eq!(lone.heredocs[0].body, "apt-get update\n");
    let body_script = lone.heredocs[0].script.as_ref().unwrap().parsed().unwrap();
    assert_eq!(df.text(body_script.commands[0].args[0].span), "update");
    let two = &df.instructions[2];
    assert_eq!(two.heredocs.len(), 2);
    let (a, b) = (&two.heredocs[0], &two.heredocs[1]);
    assert!(a.chomp && !a.expand && a.body == "literal $HOME\n");
    assert!(!b.chomp && b.expand && b.body == "exp $HOME\n");
    assert_eq!(df.text(a.marker), "<<-\"A\"");
    assert_eq!(df.text(b.body_span), "exp $HOME\n");
    let script = two.scripts().next().unwrap().parsed().unwrap();
    assert_eq!(script.commands_named("cat").count(), 2);
    let InstructionKind::Copy(c) = &df.instructions[3].kind else { panic!() };
    assert_eq!(c.sources, [Source::Heredoc(0)]);
    assert_eq!(c.dest.value, "/etc/app.conf");
    assert_eq!(df.instructions[3].heredocs[0].body, "k=v\n");
    assert_eq!(df.instructions[3].span.end, src.len() - 1);
    let (kind, line, col) = err("FROM a\nRUN <<EOF\nnever ends\n");
    assert_eq!((kind, line, col), (ErrorKind::UnterminatedHeredoc("EOF".into()), 2, 5));
}

#[test]
fn heredoc_with_other_interpreter_is_not_shell() {
    let df = ok("FROM a\nRUN <<PY\n#!/usr/bin/env python3\nprint(1)\nPY\n");
    assert_eq!(df.instructions[1].heredocs[0].script, Some(Script::NotShell { interpreter: "python3".into() }));
}

#[test]
fn flags_and_mounts() {
    let src = "FROM --platform=$BUILDPLATFORM golang AS b\nRUN --mount=type=cache,target=/root/.cache,sharing=locked --mount=type=secret,id=npm --network=none go build\nCOPY --from=b --chown=1:1 --chmod=755 --link --exclude=*.md --parents a /b\nADD --checksum=sha256:00 --keep-git-dir=true https://x/y.git /src\nHEALTHCHECK --interval=5s --timeout=3s --start-period=1s --start-interval=1s --retries=3 CMD curl -f localhost\n";
    let df = ok(src);
    assert_eq!(df.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
    let run = &df.instructions[1];
    let mounts: Vec<_> = run.mounts().collect();
    assert_eq!(mounts[0].kind, "cache");
    assert_eq!(mounts[0].get("target"), Some("/root/.cache"));
    assert_eq!(df.text(mounts[0].options[2].span), "sharing=locked");
    assert_eq!(mounts[1].kind, "secret");
    assert_eq!(mounts[1].get("id"), Some("npm"));
    assert_eq!(df.text(run.flag("network").unwrap().span), "--network=none");
    let copy = &df.instructions[2];
    assert_eq!(df.text(copy.flag("chown").unwrap().value.as_ref().unwrap().span), "1:1");
    assert!(copy.flag("link").unwrap().value.is_none());
    assert_eq!(df.text(copy.flag("parents").unwrap().name_span), "parents");
    assert!(matches!(df.instructions[4].kind, InstructionKind::Healthcheck(Healthcheck::Cmd(_))));
    assert_eq!(err("FROM a\nCOPY --user=x a b\n"), (ErrorKind::UnknownFlag { instruction: "COPY".into(), flag: "user".into() }, 2, 6));
    assert_eq!(err("FROM a\nCOPY --chown a b\n").0, ErrorKind::MissingFlagValue("chown".into()));
    assert_eq!(err("FROM a\nCOPY --link=maybe a b\n").0, ErrorKind::NotBoolean { flag: "link".into(), value: "maybe".into() });
    assert_eq!(err("FROM a\nWORKDIR --x /a\n").0, ErrorKind::UnknownFlag { instruction: "WORKDIR".into(), flag: "x".into() });
}

#[test]
fn env_arg_label_and_expansion() {
    let src = "ARG VERSION=3.20\nARG REG\nFROM alpine:${VERSION} AS base\nARG VERSION\nENV A=1 B=\"two words\" C=${A:-none}\nENV A=2 D=$A\nENV legacy some value\nLABEL \"k 1\"=v org.x=${VERSION}\nWORKDIR /srv/${B}\nUSER ${U:-app}\nFROM ${REG}/x:${VERSION}\nWORKDIR $D\nFROM base\nWORKDIR $D\n";
    let df = ok(src);
    let InstructionKind::From(f) = &df.instructions[2].kind else { panic!() };
    assert_eq!(f.image.value, "alpine:3.20");
    let InstructionKind::Env(env) = &df.instructions[4].kind else { panic!() };
    assert_eq!(env[1].value.value, "two words");
    assert_eq!(df.text(env[1].value.span), "\"two words\"");
    assert_eq!(env[2].value.value, "none", "values see the variables from before the instruction");
    let InstructionKind::Env(env) = &df.instructions[5].kind else { panic!() };
    assert_eq!(env[1].value.value, "1");
    let InstructionKind::Env(env) = &df.instructions[6].kind else { panic!() };
    assert!(env[0].legacy && env[0].key.value == "legacy" && env[0].value.value == "some value");
    let InstructionKind::Label(l) = &df.instructions[7].kind else { panic!() };
    assert_eq!((l[0].key.value.as_str(), l[1].value.value.as_str()), ("k 1", "3.20"));
    assert!(matches!(&df.instructions[8].kind, InstructionKind::Workdir(w) if w.value == "/srv/two words"));
    assert!(matches!(&df.instructions[9].kind, InstructionKind::User(w) if w.value == "app"));
    let InstructionKind::From(f) = &df.instructions[10].kind else { panic!() };
    assert_eq!(f.image.value, "${REG}/x:3.20");
    assert_eq!(f.image.unresolved, ["REG"]);
    // A new stage does not see the other stage's ENV...
    assert!(matches!(&df.instructions[11].kind, InstructionKind::Workdir(w) if w.value == "$D" && w.unresolved == ["D"]));
    // ...unless it is built FROM it.
    assert_eq!(df.stages[2].base, Base::Stage(0));
    assert!(matches!(&df.instructions[13].kind, InstructionKind::Workdir(w) if w.value == "1"));
    assert_eq!(err("FROM a\nENV a=b c\n").0, ErrorKind::MissingEquals { instruction: "ENV".into(), word: "c".into() });
    assert_eq!(err("FROM a\nARG =x\n").0, ErrorKind::BlankName("ARG".into()));
    // Global ARGs are not visible in a stage without redeclaration.
    let df = ok("ARG V=1\nFROM a\nWORKDIR /$V\n");
    assert!(matches!(&df.instructions[2].kind, InstructionKind::Workdir(w) if w.value == "/$V"));
}

#[test]
fn stages_onbuild_and_other_instructions() {
    let src = "FROM scratch AS One\nONBUILD RUN make\nONBUILD COPY <<EOF /x\nbody\nEOF\nEXPOSE 80/tcp 443\nVOLUME [\"/data\", \"/logs\"]\nVOLUME /a /b\nSTOPSIGNAL SIGTERM\nMAINTAINER me\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nHEALTHCHECK NONE\nFROM one\n";
    let df = ok(src);
    assert_eq!(df.stage("ONE").unwrap().base, Base::Scratch);
    assert_eq!(df.stages[1].base, Base::Stage(0));
    assert_eq!(df.stage_instructions(&df.stages[0]).len(), 9);
    let InstructionKind::Onbuild(inner) = &df.instructions[1].kind else { panic!() };
    assert_eq!(inner.keyword, "RUN");
    assert_eq!(df.text(inner.keyword_span), "RUN");
    let InstructionKind::Onbuild(inner) = &df.instructions[2].kind else { panic!() };
    assert_eq!(inner.heredocs[0].body, "body\n");
    assert!(matches!(&df.instructions[3].kind, InstructionKind::Expose(p) if p.len() == 2 && p[1].value == "443"));
    assert!(matches!(&df.instructions[4].kind, InstructionKind::Volume(v) if v[1].value == "/logs"));
    assert!(matches!(&df.instructions[5].kind, InstructionKind::Volume(v) if v[0].value == "/a"));
    assert!(matches!(&df.instructions[8].kind, InstructionKind::Shell(s) if s.len() == 4));
    assert!(matches!(df.instructions[9].kind, InstructionKind::Healthcheck(Healthcheck::None)));
    assert_eq!(err("FROM a\nONBUILD FROM b\n").0, ErrorKind::BadOnbuild("FROM".into()));
    assert_eq!(err("FROM a AS x\nFROM b AS X\n").0, ErrorKind::DuplicateStage("x".into()));
    assert_eq!(err("FROM a AS 1x\n").1, 1);
    assert_eq!(err("FROM a b\n").0, ErrorKind::BadFrom("FROM requires either one or three arguments".into()));
    assert_eq!(err("HEALTHCHECK NONE\n").0, ErrorKind::BeforeFrom("HEALTHCHECK".into()));
    assert_eq!(err("FROM a\nHEALTHCHECK CONNECT x\n").1, 2);
    assert_eq!(err("SHELL /bin/sh\n").0, ErrorKind::ShellNotJson);
}

#[test]
fn unknown_instruction_names_line_and_column() {
    assert_eq!(err("FROM a\n\n   FETCH x\n"), (ErrorKind::UnknownInstruction("FETCH".into()), 3, 4));
    assert_eq!(err("# only a comment\n").0, ErrorKind::Empty);
}

#[test]
fn shell_failures_are_not_parse_errors() {
    let df = ok("FROM a\nRUN echo \"unterminated\nRUN if then fi\n");
    for i in &df.instructions[1..] {
        assert!(matches!(i.scripts().next(), Some(Script::Failed(_))), "{i:?}");
    }
    let df = ok("FROM a\nSHELL [\"powershell\", \"-Command\"]\nRUN Write-Host hi\nFROM a\nRUN echo ok\n");
    assert_eq!(df.instructions[2].scripts().next(), Some(&Script::NotShell { interpreter: "powershell".into() }));
    assert!(df.instructions[4].scripts().next().unwrap().parsed().is_some());
}

#[test]
fn shell_commands_traversal() {
    let df = ok("FROM a\nRUN set -eux; (cd /src && make) | tee log\nRUN echo \"$(uname -m)\"\n");
    let names: Vec<String> = df.shell_commands().filter_map(|(_, c)| c.program()).collect();
    assert_eq!(names, ["set", "cd", "make", "tee", "echo", "uname"]);
    let (_, uname) = df.shell_commands().find(|(_, c)| c.program().as_deref() == Some("uname")).unwrap();
    assert!(uname.in_substitution);
    assert_eq!(df.text(uname.span), "uname -m");
    let (_, tee) = df.shell_commands().find(|(_, c)| c.program().as_deref() == Some("tee")).unwrap();
    assert!(tee.in_pipeline() && tee.pipeline_position == 1);
}

#[test]
fn windows_run_bodies_are_not_posix_shell() {
    let cmd = Script::NotShell { interpreter: "cmd".into() };
    // A Windows base image: cmd runs RUN, and a stage built from it keeps it.
    let df = ok("FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS win\nRUN if exist C:\\x (echo a) else (echo b)\nFROM win\nRUN dir\nFROM debian:12\nRUN echo ok\n");
    assert_eq!(df.instructions[1].scripts().next(), Some(&cmd));
    assert_eq!(df.instructions[3].scripts().next(), Some(&cmd));
    assert!(df.instructions[5].scripts().next().unwrap().parsed().is_some());
    // The backtick escape directive says the same of any base.
    let df = ok("# escape=`\nFROM example.invalid/app:1\nRUN echo a | more\n");
    assert_eq!(df.instructions[1].scripts().next(), Some(&cmd));
    assert!(temper_dockerfile::windows_image("mcr.microsoft.com/dotnet/runtime:8.0-nanoserver-ltsc2022"));
    assert!(temper_dockerfile::windows_image("python:3.12-windowsservercore-ltsc2022"));
    assert!(!temper_dockerfile::windows_image("debian:12"));
}

#[test]
fn from_arg_windows_base_uses_the_arg_default() {
    // `FROM $BASE` names a Windows image when the global ARG's default
    // does, as BuildKit expands it: RUN is cmd's, not a POSIX shell's.
    let cmd = Script::NotShell { interpreter: "cmd".into() };
    let df = ok("ARG BASE=mcr.microsoft.com/windows/servercore:ltsc2022\nFROM $BASE\nRUN if exist C:\\x (echo a) else (echo b)\n");
    assert_eq!(df.instructions[2].scripts().next(), Some(&cmd));
    // Defaults built from earlier global ARGs, braces, and a stage built
    // from such a stage.
    let df = ok("ARG REGISTRY=mcr.microsoft.com/windows\nARG BASE=\"${REGISTRY}/nanoserver:ltsc2022\"\nFROM ${BASE} AS win\nRUN dir\nFROM win\nRUN dir\n");
    assert_eq!(df.instructions[3].scripts().next(), Some(&cmd));
    assert_eq!(df.instructions[5].scripts().next(), Some(&cmd));
    // No default, a Linux default, or an ARG declared inside a stage (not
    // seen by FROM lines): a POSIX shell as before.
    let df = ok("ARG BASE\nFROM $BASE\nRUN echo a | more\nARG LATER=mcr.microsoft.com/windows/servercore:ltsc2022\nFROM ${LATER:-debian:12}\nRUN echo b\n");
    assert!(df.instructions[2].scripts().next().unwrap().parsed().is_some());
    assert!(df.instructions[5].scripts().next().unwrap().parsed().is_some());
    let df = ok("ARG BASE=debian:12\nFROM $BASE\nRUN echo a | more\n");
    assert!(df.instructions[2].scripts().next().unwrap().parsed().is_some());
}

#[test]
fn run_known_vars_are_the_args_and_envs_in_scope() {
    let df = ok("ARG G=global\nFROM a\nARG G\nARG NONE\nARG D=\"x y\"\nENV E=$D\nRUN echo $D ${E} $NONE $TARGETARCH $G $D\n");
    let run = &df.instructions[6];
    let known: Vec<(&str, &str)> = run.known_vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(known, [("D", "x y"), ("E", "x y"), ("G", "global")]);
    assert_eq!(run.known_var("NONE"), None);
}
