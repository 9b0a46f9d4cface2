#!/usr/bin/env python3
"""Writes images whose names carry terminal escapes (issue 12, point 5).

    scripts/hostile/escape_cases.py OUTDIR

Writes docker-archive images into OUTDIR and prints one line per case,
`<case-name>\t<temper args>`, with absolute paths. Every human-readable
output of these must be free of raw control characters (ESC, BEL, CR,
C1, bidi overrides) and keep one line per entry; the JSON outputs carry
the names as they are, escaped by JSON.

The images: a file named `evil<OSC 0;pwned BEL>\\nname` (retitles the
terminal, then breaks the tree line), an os-release PRETTY_NAME and a dpkg
package name and version with ESC sequences, a file name with U+202E, and
a config whose labels, env, history and tag carry escapes too (the
last case is an error message quoting that tag).
"""
import io
import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imagelib import docker_archive, layer_tar, sha256  # noqa: E402

ESC, BEL, CSI = "\x1b", "\x07", "\x1b["
TITLE = f"{ESC}]0;pwned{BEL}"
CLEAR = f"{CSI}2J{CSI}H"

OS_RELEASE = f'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian {TITLE}{CLEAR}GNU/Linux 12"\n'.encode()
DPKG_STATUS = (
    "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n"
    f"Package: evil{CLEAR}pkg\nStatus: install ok installed\nVersion: 1.0{TITLE}\nArchitecture: amd64\n\n"
).encode()

FILES = [
    ("etc/os-release", OS_RELEASE),
    ("var/lib/dpkg/status", DPKG_STATUS),
    (f"srv/evil{TITLE}\nname", b"x"),
    ("srv/invoice\u202etxt.exe", b"y"),
    (f"srv/cr{chr(13)}hidden\u009b31m", b"z"),
]


def archive_with_config(path, layers, config, tag):
    """A `docker save` tar like imagelib's, with a config and tag of our own."""
    diff_ids = [sha256(t) for t in layers]
    config = dict(config, rootfs={"type": "layers", "diff_ids": diff_ids})
    data = json.dumps(config).encode()
    with tarfile.open(path, "w") as out:
        def add(name, blob):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            out.addfile(info, io.BytesIO(blob))
        names = []
        for t in layers:
            name = sha256(t).split(":")[1] + "/layer.tar"
            names.append(name)
            add(name, t)
        cfg = sha256(data).split(":")[1] + ".json"
        add(cfg, data)
        add("manifest.json", json.dumps([{"Config": cfg, "RepoTags": [tag], "Layers": names}]).encode())


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: escape_cases.py OUTDIR")
    outdir = os.path.abspath(sys.argv[1])
    os.makedirs(outdir, exist_ok=True)
    files = os.path.join(outdir, "escape-files.tar")
    docker_archive(files, [layer_tar(FILES)])
    config = os.path.join(outdir, "escape-config.tar")
    archive_with_config(
        config,
        [layer_tar(FILES, tarfile.GNU_FORMAT)],
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "Env": [f"PATH=/bin", f"EVIL={TITLE}"],
                "Labels": {f"org{CLEAR}": f"v{TITLE}\r\n"},
                "User": f"root{ESC}[8m",
                "WorkingDir": f"/srv{BEL}",
                "Cmd": [f"sh{TITLE}"],
            },
            "history": [{"created_by": f"/bin/sh -c #(nop) {TITLE}\nADD evil"}],
        },
        f"hostile{TITLE}:latest",
    )
    cases = []
    for image, name in [(files, "files"), (config, "config")]:
        src = f"docker-archive:{image}"
        cases += [
            (f"escape-{name}-sbom", f"sbom --no-cache {src}"),
            (f"escape-{name}-tree", f"layers --tree {src}"),
            (f"escape-{name}-layers", f"layers {src}"),
            (f"escape-{name}-inspect", f"inspect {src}"),
            (f"escape-{name}-check", f"check --no-cache {src}"),
        ]
    # An error that quotes the archive's tags.
    cases.append(("escape-error-tags", f"inspect docker-archive:{config}:no-such-tag"))
    for name, args in cases:
        print(f"{name}\t{args}")


if __name__ == "__main__":
    main()
