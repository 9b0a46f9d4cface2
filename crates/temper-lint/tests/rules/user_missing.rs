use super::support::{lines, lint};

const ID: &str = "user-missing";

#[test]
fn fires_when_the_final_image_has_no_user() {
    assert_eq!(lint(ID, "FROM node:20\nCMD [\"node\", \"a.js\"]\n"), [(1, 6, "The final stage has no USER: the container runs as root".to_owned())]);
    // A USER in a build stage does not carry over to an unrelated final stage.
    assert_eq!(lines(ID, "FROM node:20 AS build\nUSER node\nFROM alpine:3\nCOPY --from=build /a /a\n"), [3]);
}

#[test]
fn a_user_anywhere_in_the_final_image_or_a_nonroot_base_is_fine() {
    let ok = [
        "FROM alpine\nUSER root\n",
        "FROM alpine\nRUN adduser -D app\nUSER app\nCMD [\"app\"]\n",
        "FROM alpine AS base\nUSER 1000\nFROM base\nCMD [\"app\"]\n",
        "FROM gcr.io/distroless/static:nonroot\nCOPY app /app\n",
        "FROM cgr.dev/chainguard/static\nCOPY app /app\n",
    ];
    for src in ok {
        assert!(lines(ID, src).is_empty(), "{src}");
    }
}

#[test]
fn user_missing_nanoserver_already_runs_as_container_user() {
    assert!(lines(ID, "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY app.exe C:/app/\n").is_empty());
    assert!(lines(ID, "FROM mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-ltsc2022\nCMD [\"app.exe\"]\n").is_empty());
    assert_eq!(
        lint(ID, "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD [\"app.exe\"]\n"),
        [(1, 6, "The final stage has no USER: the container runs as ContainerAdministrator (switch with `USER ContainerUser`)".to_owned())]
    );
}

#[test]
fn user_missing_from_arg_windows_base_uses_the_arg_default() {
    assert!(lines(ID, "ARG BASE=mcr.microsoft.com/windows/nanoserver:ltsc2022\nFROM $BASE\nCOPY app.exe C:/app/\n").is_empty());
    assert_eq!(
        lint(ID, "ARG BASE=mcr.microsoft.com/windows/servercore:ltsc2022\nFROM ${BASE}\nCMD [\"app.exe\"]\n"),
        [(2, 6, "The final stage has no USER: the container runs as ContainerAdministrator (switch with `USER ContainerUser`)".to_owned())]
    );
}
