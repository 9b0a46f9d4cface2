#!/usr/bin/env python3
"""Writes hostile Dockerfiles for `temper lint` timing (issue 12, point 7).

    scripts/hostile/lint_cases.py OUTDIR

Writes the inputs into OUTDIR and prints one line per case,
`<case-name>\t<temper args>`, with absolute paths. Each input is at most
4 MiB (the parser's cap), so lint must read all of it; lint time should
grow linearly with the input. `--failure-threshold none` keeps the exit
status 0; `--format tty` is the default but named so the terminal
renderer is used even when stdout is not a terminal (it always is; only
the colours depend on a terminal).
"""
import os
import sys

MAX = 4 << 20


def write(outdir, name, text):
    path = os.path.join(outdir, name)
    data = text.encode()
    assert len(data) <= MAX, (name, len(data))
    with open(path, "wb") as f:
        f.write(data)
    return path


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: lint_cases.py OUTDIR")
    outdir = os.path.abspath(sys.argv[1])
    os.makedirs(outdir, exist_ok=True)
    cases = []

    def case(name, path, fmt="json"):
        cases.append((name, f"lint --format {fmt} --failure-threshold none {path}"))

    # One-command RUNs: pipefail looked back over every earlier instruction,
    # and each RUN after the first is a run-consecutive finding.
    runs_40k = write(outdir, "pipefail-40k.Dockerfile", "FROM alpine:3.20\n" + "RUN a\n" * 40_000)
    runs_690k = write(outdir, "pipefail-690k.Dockerfile", "FROM alpine:3.20\n" + "RUN a\n" * 690_000)
    case("lint-pipefail-40k", runs_40k)
    case("lint-pipefail-690k", runs_690k)
    # The same 40k findings through the terminal renderer.
    case("lint-tty-40k", runs_40k, "tty")
    case("lint-tty-690k", runs_690k, "tty")
    # One RUN of ~840k commands joined by `&&`.
    n = (MAX - 64) // len("a && ")
    case("lint-and-4mib", write(outdir, "and-4mib.Dockerfile", "FROM alpine:3.20\nRUN " + "a && " * n + "a\n"))
    # One line with a finding per command (chmod-777): columns and ignore
    # comments are looked up per finding.
    n = (MAX - 64) // len("chmod 777 ü; ".encode())
    chmod = write(outdir, "chmod-1line.Dockerfile", "FROM alpine:3.20\nRUN " + "chmod 777 ü; " * n + "true\n")
    case("lint-chmod-1line", chmod)
    case("lint-chmod-1line-tty", chmod, "tty")
    # Rules that looked forwards or backwards from each instruction.
    case("lint-pip-40k", write(outdir, "pip-40k.Dockerfile", "FROM python:3.12\n" + "RUN pip install a==1\n" * 40_000))
    case("lint-npm-40k", write(outdir, "npm-40k.Dockerfile", "FROM node:22\nCOPY package-lock.json .\n" + "RUN npm install\n" * 40_000))
    case("lint-copy-40k", write(outdir, "copy-40k.Dockerfile", "FROM node:22\n" + "COPY . .\n" * 40_000 + "RUN npm ci\n"))
    case("lint-chown-40k", write(outdir, "chown-40k.Dockerfile", "FROM node:22\n" + "COPY a /app/\n" * 40_000 + "USER node\n"))
    case("lint-curl-pipe", write(outdir, "curl-pipe.Dockerfile", "FROM alpine:3.20\nRUN curl x | " + "sh | " * ((MAX - 64) // 5) + "sh\n"))
    for name, args in cases:
        print(f"{name}\t{args}")


if __name__ == "__main__":
    main()
