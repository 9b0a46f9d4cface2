//! `toolchain-in-final-stage`: a single-stage build that compiles, so the
//! compilers, headers and build tools ship in the image that runs. They
//! make it larger and give an attacker who gets in a ready toolchain; a
//! multi-stage build compiles in one stage and copies the result into a
//! small runtime image.
//!
//! It only looks at Dockerfiles with one stage (with several stages the
//! author already separates build from run). The evidence, reported once
//! at the first place found:
//! - a base image that is a toolchain (`golang`, `rust`, `gcc`, `maven`,
//!   `gradle`, `buildpack-deps` but not its `-curl` and `-scm` tags, by
//!   repository name). JDK images are not evidence: many Java apps run
//!   on one (tomcat's official images do);
//! - a package install (`apt-get`/`apt`/`apk`/`yum`/`dnf`/`microdnf`/
//!   `zypper` install) of `gcc`, `g++`, `clang`, `build-essential`,
//!   `build-base`, `golang`, `rustc`, `cargo`, `maven`, `gradle`, `*-dev`
//!   headers (`python3-dev`, `libssl-dev`) or `*-devel`;
//! - a build command: `go build`, `cargo build`, `mvn package|install|
//!   verify|compile`, `gradle build`, `./gradlew`, `node-gyp`.
//!
//! A package install is accepted when the same RUN removes packages
//! again (`apk del`, `apt-get purge|remove|autoremove`, `yum|dnf remove`):
//! the official images install build dependencies, build, and purge them
//! in one layer, which leaves no toolchain behind. `make` alone is not
//! evidence: it runs many things that are not compiles.

use temper_dockerfile::{Base, Dockerfile, Span};

use super::util::{commands, sub};
use crate::shell::{operands, program};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct Toolchain;

static META: RuleMeta = RuleMeta {
    id: "toolchain-in-final-stage",
    hadolint: None,
    severity: Severity::Info,
    message: "A single-stage build ships its toolchain in the final image",
    hint: "Use a multi-stage build: compile in a `FROM … AS build` stage and `COPY --from=build` the result into a slim runtime image.",
    doc: "Compilers, headers and build tools are needed to build, not to run. In a single-stage build they stay in the image: hundreds of megabytes more, more packages for scanners to report, and a ready toolchain for anyone who breaks in. A multi-stage build compiles in one stage and copies only the artifacts into a small runtime image. The rule looks at single-stage Dockerfiles only and reports the first sign of a toolchain: a toolchain base image (`golang`, `rust`, `gcc`, `maven`, `gradle`, `buildpack-deps`; JDK images run many apps and are not counted), an installed compiler or `-dev` package, or a build command (`go build`, `cargo build`, `mvn package`, `gradle build`, `node-gyp`). Installing build dependencies and removing them in the same RUN (`apk add --virtual .build-deps …` … `apk del .build-deps`) is accepted. Fix: `FROM golang:1.22 AS build` … `RUN go build -o /out/app .` then `FROM gcr.io/distroless/static` and `COPY --from=build /out/app /app`.",
};

/// Package managers and their install subcommands.
const INSTALLERS: &[(&str, &[&str])] = &[
    ("apt-get", &["install"]),
    ("apt", &["install"]),
    ("apk", &["add"]),
    ("yum", &["install"]),
    ("dnf", &["install"]),
    ("microdnf", &["install"]),
    ("zypper", &["install", "in"]),
];

impl Rule for Toolchain {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let [stage] = df.stages.as_slice() else { return Vec::new() };
        if let Base::Image(image) = &stage.base
            && let Some(from) = df.instructions.get(stage.from)
            && toolchain_image(image)
        {
            let span = match &from.kind {
                temper_dockerfile::InstructionKind::From(f) => f.image.span,
                _ => from.keyword_span,
            };
            return vec![Violation::with(span, format!("Single-stage build on the toolchain image {image}"))];
        }
        for ins in df.stage_instructions(stage) {
            let cmds: Vec<_> = commands(ins).collect();
            let removes = cmds.iter().any(|c| {
                let s = sub(c);
                match program(c).as_deref() {
                    Some("apk") => s.as_deref() == Some("del"),
                    Some("apt-get" | "apt") => matches!(s.as_deref(), Some("purge" | "remove" | "autoremove")),
                    Some("yum" | "dnf" | "microdnf" | "zypper") => matches!(s.as_deref(), Some("remove" | "erase" | "rm" | "autoremove")),
                    _ => false,
                }
            });
            for cmd in &cmds {
                if let Some((span, what)) = evidence(cmd, removes) {
                    return vec![Violation::with(span, format!("Single-stage build with {what}"))];
                }
            }
        }
        Vec::new()
    }
}

/// What in `cmd` shows a toolchain, unless it is a package install the
/// same RUN undoes (`removes`).
fn evidence(cmd: &temper_dockerfile::SimpleCommand, removes: bool) -> Option<(Span, String)> {
    let prog = program(cmd)?;
    let s = sub(cmd);
    if let Some((_, subs)) = INSTALLERS.iter().find(|(p, _)| *p == prog) {
        if removes || !s.as_deref().is_some_and(|s| subs.contains(&s)) {
            return None;
        }
        let w = operands(cmd, &["-t", "--target-release", "-o", "--option", "-X", "--repository", "--virtual", "--setopt", "-c"])
            .into_iter()
            .find(|w| toolchain_package(&w.unquoted()))?;
        return Some((w.span, format!("{} installed", w.unquoted())));
    }
    let args = cmd.arg_values();
    let build = match (prog.as_str(), s.as_deref()) {
        ("go", Some("build")) | ("cargo", Some("build")) | ("gradle" | "gradlew", Some("build" | "assemble" | "jar" | "bootJar" | "installDist")) => s,
        ("mvn" | "mvnw", _) => args.into_iter().find(|a| matches!(a.as_str(), "package" | "install" | "verify" | "compile")),
        ("node-gyp", _) => Some(String::new()),
        _ => None,
    }?;
    let what = if build.is_empty() { format!("`{prog}`") } else { format!("`{prog} {build}`") };
    Some((cmd.span, what))
}

/// A compiler, build tool or development-header package name.
fn toolchain_package(name: &str) -> bool {
    let name = name.split(['=', '<', '>', '~']).next().unwrap_or(name);
    matches!(
        name,
        "gcc"
            | "g++"
            | "clang"
            | "build-essential"
            | "build-base"
            | "golang"
            | "golang-go"
            | "go"
            | "rustc"
            | "cargo"
            | "maven"
            | "gradle"
            | "gcc-c++"
            | "musl-dev"
            | "libc-dev"
            | "libc6-dev"
    ) || name.ends_with("-dev")
        || name.ends_with("-devel")
}

/// An image whose repository is a toolchain (by its last path component).
fn toolchain_image(image: &str) -> bool {
    let name = image.split('@').next().unwrap_or(image);
    let (repo, tag) = match name.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (name, ""),
    };
    let repo = repo.rsplit('/').next().unwrap_or(repo);
    matches!(repo, "golang" | "rust" | "gcc" | "maven" | "gradle") || (repo == "buildpack-deps" && !tag.ends_with("-curl") && !tag.ends_with("-scm"))
}
