use super::support::{lines, lint};

const ID: &str = "pip-no-cache-dir";

#[test]
fn fires_without_no_cache_dir() {
    assert_eq!(lint(ID, "FROM python:3.12\nRUN pip install flask==1\n"), [(2, 1, "pip install without --no-cache-dir".to_owned())]);
    assert_eq!(lines(ID, "FROM python:3.12\nRUN python -m pip install -r r.txt\nRUN pip3 install --no-cache-dir=false x==1\n"), [2, 3]);
    // ENV set in another, unrelated stage does not count.
    assert_eq!(lines(ID, "FROM python:3.12 AS a\nENV PIP_NO_CACHE_DIR=1\nFROM python:3.12\nRUN pip install x==1\n"), [4]);
}

#[test]
fn flag_env_inline_and_cache_mount_are_fine() {
    assert!(lines(ID, "FROM python:3.12\nRUN pip install --no-cache-dir x==1\n").is_empty());
    assert!(lines(ID, "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install x==1\n").is_empty());
    assert!(lines(ID, "FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=off\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install x==1\n").is_empty());
    assert!(lines(ID, "FROM python:3.12\nRUN PIP_NO_CACHE_DIR=1 pip install x==1\n").is_empty());
    assert!(lines(ID, "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install x==1\n").is_empty());
    assert!(lines(ID, "FROM python:3.12\nRUN pip download x && pipenv install\n").is_empty());
}

#[test]
fn pip_under_powershell_is_judged_by_its_arguments() {
    let df = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL [\"powershell\", \"-Command\"]\nRUN $ErrorActionPreference = 'Stop'; pip.exe install flask\nRUN pip install --no-cache-dir flask==3.0.2\n";
    assert_eq!(lines(ID, df), [3]);
    assert_eq!(super::support::lines("pip-pin-versions", df), [3]);
    // Shell-syntax rules do not read the body: a PowerShell pipe is not a sh pipeline.
    assert!(super::support::lines("pipefail-missing", "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nRUN pip install --no-cache-dir flask==3.0.2 | more\n").is_empty());
}
