use super::support::{lines, lint};

const ID: &str = "pipefail-missing";

#[test]
fn fires_on_pipes_without_pipefail() {
    assert_eq!(lint(ID, "FROM debian:12\nRUN x \\\n && curl -fsSL u | tar xz\n"), [(2, 1, "RUN with a pipe without pipefail".to_owned())]);
    assert_eq!(lines(ID, "FROM debian:12\nSHELL [\"/bin/sh\", \"-c\"]\nRUN a | b\n"), [3]);
    // A new stage from an image starts with the default shell again.
    assert_eq!(lines(ID, "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN a | b\nFROM debian:12\nRUN a | b\n"), [5]);
}

#[test]
fn pipefail_shell_set_and_non_pipes_are_fine() {
    assert!(lines(ID, "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN a | b\n").is_empty());
    assert!(lines(ID, "FROM alpine:3\nSHELL [\"/bin/ash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN a | b\n").is_empty());
    assert!(lines(ID, "FROM debian:12 AS a\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nFROM a\nRUN a | b\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN set -eo pipefail && a | b\nRUN set -o pipefail; a | b\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nRUN echo \"a | b\" && a || b\nRUN [\"sh\", \"-c\", \"a | b\"]\n").is_empty());
    assert!(lines(ID, "FROM debian:12\nSHELL [\"pwsh\", \"-c\"]\nRUN a | b\n").is_empty());
}

#[test]
fn pipes_in_command_substitutions_count() {
    assert_eq!(lines(ID, "FROM alpine:3\nRUN set -eux; \\\n    deps=\"$(scanelf -n /usr | awk '{print $2}')\"; apk add $deps\n"), [2]);
    // The docker-library shape: a continuation right after `$(`.
    assert_eq!(lines(ID, "FROM alpine:3\nRUN set -eux; \\\n\tdeps=\"$( \\\n\t\tscanelf -n /usr \\\n\t\t\t| sort -u \\\n\t)\"; \\\n\tapk add $deps\n"), [2]);
    assert_eq!(lines(ID, "FROM alpine:3\nRUN for f in $(git status | awk '{print $2}'); do cp $f /out; done\n"), [2]);
}

#[test]
fn pipe_inside_double_brackets_is_not_a_pipeline() {
    let ok = [
        "RUN if [[ \"$arch\" =~ ^(amd64|arm64)$ ]]; then echo ok; fi",
        "RUN [[ -f a || -f b ]] && echo ok",
        "RUN [[ \"$(uname -m)\" == x86_64 ]] && echo ok",
    ];
    for l in ok {
        assert!(lines(ID, &format!("FROM debian:12\n{l}\n")).is_empty(), "{l}");
    }
    assert_eq!(lines(ID, "FROM debian:12\nRUN [[ -f a ]] && curl -fsS https://example.invalid | tar x\n"), [2]);
}

#[test]
fn pipefail_missing_from_arg_windows_base_is_not_posix() {
    // cmd has no pipefail: a Windows base named through a global ARG's
    // default is a Windows stage, as a literal one is.
    assert!(lines(ID, "ARG BASE=mcr.microsoft.com/windows/servercore:ltsc2022\nFROM ${BASE}\nRUN type a.txt | more\n").is_empty());
    assert!(lines(ID, "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN type a.txt | more\n").is_empty());
    assert_eq!(lines(ID, "ARG BASE=debian:12\nFROM ${BASE}\nRUN cat a.txt | more\n"), [3]);
}
