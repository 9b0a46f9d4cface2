#!/usr/bin/env python3
"""Hostile lockfiles for the benchmark (issue 12, point 3): deep and wide.

`lockfiles.py OUTDIR [CASE...]` writes one docker-archive tar per case (all,
or those named) into OUTDIR and prints `<case>\t<temper args>` per line. libyaml rescans its stack of open
flow collections for every token, so `pnpm-lock.yaml` of nested brackets
cost time quadratic in its size; the JSON and TOML cases nest as deep in
the other lockfile formats (npm, Pipfile.lock, composer, poetry, uv,
Cargo.lock); serde_json and toml stop those early, so the worst case for
them is width: 16 MiB of `[0,0,0,...]` (a value per two bytes) costs tens
of times its size in memory once parsed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imagelib import docker_archive, layer_tar  # noqa: E402


def nested(opening: str, closing: str, size: int) -> str:
    """`opening` repeated, then `closing` as often: about `size` bytes."""
    n = size // (len(opening) + len(closing))
    return opening * n + closing * n


def cases(kb):
    size = kb * 1024
    yield f"pnpm-nested-{kb}k", "app/pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: " + nested("[", "]", size) + "\n"
    yield f"pnpm-nested-map-{kb}k", "app/pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: " + nested("{a: ", "}", size) + "\n"
    yield f"npm-nested-{kb}k", "app/package-lock.json", '{"lockfileVersion": 3, "packages": ' + nested("[", "]", size) + "}"
    yield f"poetry-nested-{kb}k", "app/poetry.lock", '[[package]]\nname = "a"\nversion = "1"\nx = ' + nested("[", "]", size) + "\n"
    yield f"uv-nested-table-{kb}k", "app/uv.lock", '[[package]]\nname = "a"\nversion = "1"\nx = ' + nested("{a = ", "}", size) + "\n"
    yield f"cargo-nested-{kb}k", "app/Cargo.lock", '[[package]]\nname = "a"\nversion = "1"\nx = ' + nested("[", "]", size) + "\n"


def wide_cases(mb):
    zeros = "0," * (mb << 19) + "0"
    yield f"npm-wide-{mb}m", "app/package-lock.json", '{"lockfileVersion": 3, "packages": {"a": [' + zeros + "]}}"
    yield f"pnpm-wide-{mb}m", "app/pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: [" + zeros + "]\n"


def main():
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    only = set(sys.argv[2:])
    for name, path, text in [c for kb in (200, 400) for c in cases(kb)] + list(wide_cases(16)):
        if only and name not in only:
            continue
        tar = os.path.join(out, name + ".tar")
        docker_archive(tar, [layer_tar([(path, text.encode())])])
        print(f"{name}\tsbom {tar}")


if __name__ == "__main__":
    main()
