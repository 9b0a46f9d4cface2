#!/usr/bin/env python3
"""Regenerates the tar seeds of the streaming fuzz targets from the tools
that write real layers, into fuzz/seeds/layer_walk/ and fuzz/seeds/archive/.

Needs GNU tar (1.34 wrote the committed seeds), Python 3 and Go (only its
standard library: scripts/fuzz-seeds/gotar.go). The tests only read the
committed files. Every layer seed must walk; the stable replay
(crates/temper-layer/tests/fuzz_bodies.rs) checks that and mutates them.

  gnutar-{posix,gnu,ustar}.tar   GNU tar over one small tree: a path over
                                 100 bytes (ustar splits it into prefix and
                                 name), one over 255 (posix and gnu only),
                                 non-ASCII names, a symlink, a hard link, a
                                 whiteout
  gnutar-posix-comment9000.tar   a 9,000-byte PAX record in every extended
                                 header (--pax-option=comment:=...), the
                                 shape that once hung the layer walk
  gnutar-posix-global9000.tar    the same record in a global ('g') header,
                                 named /tmp/GlobalHead.0 as GNU tar does
  python-{pax,gnu}.tar           Python's tarfile, PAX_FORMAT (with a
                                 9,000-byte record and a sub-second mtime)
                                 and GNU_FORMAT (././@LongLink names and
                                 link targets)
  go-pax.tar                     Go's archive/tar, PAX forced:
                                 <dir>/PaxHeaders.0/<base> headers,
                                 fractional mtimes, user PAX records
  *.tar.gz                       gzip'd copies of the PAX ones
  archive/gnutar-posix-docker-archive.tar
                                 a docker-archive whose outer tar and only
                                 layer were both written by GNU tar
                                 --format=posix, the layer with the
                                 9,000-byte record
"""

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYER = os.path.join(ROOT, "fuzz", "seeds", "layer_walk")
ARCHIVE = os.path.join(ROOT, "fuzz", "seeds", "archive")

# Under 100 bytes per component, about 150 in all: ustar holds it in
# prefix + name.
MEDIUM = "usr/share/doc/" + "a-rather-long-directory-name-" * 3 + "/changelog-of-the-package.txt"
LONG = "opt/" + "/".join(f"{i}-" + "deep-directory-" * 6 for i in range(3)) + "/file"  # over 255 bytes
NON_ASCII = "opt/données/café-ß-日本.txt"
COMMENT = "c" * 9000
# One 512-byte block per record, so no padding to 10 KiB.
DETERMINISTIC = ["--blocking-factor=1", "--sort=name", "--owner=0", "--group=0", "--numeric-owner"]
PAX_CLEAN = "exthdr.name=%d/PaxHeaders/%f,globexthdr.name=GlobalHead.0,delete=atime,delete=ctime"


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    print(f"{os.path.relpath(path, ROOT)}: {len(data)} bytes")


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def gnu_tar(tree, fmt, *extra, members=(".",), mtime="@0"):
    cmd = ["tar", f"--format={fmt}", *DETERMINISTIC, f"--mtime={mtime}", *extra, "-C", tree, "-cf", "-", *members]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def make_tree(root):
    def put(rel, body=b""):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(body)
        os.chmod(p, 0o644)

    put("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
    os.link(os.path.join(root, "etc/os-release"), os.path.join(root, "etc/os-release.hard"))
    os.makedirs(os.path.join(root, "usr/lib"))
    os.symlink("usr/lib", os.path.join(root, "lib"))
    put(MEDIUM, b"changes\n")
    put(LONG, b"deep\n")
    put(NON_ASCII, "données\n".encode())
    put("var/cache/.wh.old", b"")


def gnu_seeds(tmp):
    tree = os.path.join(tmp, "tree")
    make_tree(tree)
    for fmt in ["posix", "gnu", "ustar"]:
        extra = ["--pax-option", PAX_CLEAN] if fmt == "posix" else []
        # ustar cannot hold LONG: leave it out rather than have tar skip it.
        if fmt == "ustar":
            extra += ["--exclude", "./opt/" + LONG.split("/")[1]]
        data = gnu_tar(tree, fmt, *extra)
        write(os.path.join(LAYER, f"gnutar-{fmt}.tar"), data)
        if fmt == "posix":
            write(os.path.join(LAYER, f"gnutar-{fmt}.tar.gz"), gz(data))
    small = ["./etc/os-release", "./lib"]
    # GNU tar adds `comment:=` only to extended headers it writes anyway: a
    # sub-second mtime makes it write one for every member.
    per_file = gnu_tar(tree, "posix", "--pax-option", f"{PAX_CLEAN},comment:={COMMENT}", members=small, mtime="@0.5")
    write(os.path.join(LAYER, "gnutar-posix-comment9000.tar"), per_file)
    write(os.path.join(LAYER, "gnutar-posix-comment9000.tar.gz"), gz(per_file))
    # The global header named as GNU tar names it by default
    # ($TMPDIR/GlobalHead.%p.%n), absolute, without the pid.
    global_ = gnu_tar(tree, "posix", "--pax-option", f"{PAX_CLEAN},globexthdr.name=/tmp/GlobalHead.0,comment={COMMENT}", members=small)
    write(os.path.join(LAYER, "gnutar-posix-global9000.tar"), global_)
    return tree, per_file


def python_seeds():
    tarfile.RECORDSIZE = 512  # no padding to 10 KiB
    def info(name, kind=tarfile.REGTYPE, body=b"", mtime=0, **kw):
        t = tarfile.TarInfo(name)
        t.type, t.mtime, t.mode, t.size = kind, mtime, 0o755 if kind == tarfile.DIRTYPE else 0o644, len(body)
        for k, v in kw.items():
            setattr(t, k, v)
        return t, io.BytesIO(body) if body else None

    for fmt, label in [(tarfile.PAX_FORMAT, "pax"), (tarfile.GNU_FORMAT, "gnu")]:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=fmt, encoding="utf-8") as t:
            entries = [
                info("etc", tarfile.DIRTYPE),
                info("etc/os-release", body=b"ID=fedora\nVERSION_ID=40\n", mtime=1700000000.25 if label == "pax" else 0),
                info(LONG, body=b"deep\n"),
                info(NON_ASCII, body="données\n".encode()),
                info("lib", tarfile.SYMTYPE, linkname="usr/lib"),
                info("opt/long-link", tarfile.SYMTYPE, linkname=LONG),
                info("etc/os-release.hard", tarfile.LNKTYPE, linkname="etc/os-release"),
            ]
            if label == "pax":
                entries.append(info("app/commented", body=b"x\n", pax_headers={"comment": COMMENT}))
            for ti, body in entries:
                t.addfile(ti, body)
        data = out.getvalue()
        write(os.path.join(LAYER, f"python-{label}.tar"), data)
        if label == "pax":
            write(os.path.join(LAYER, f"python-{label}.tar.gz"), gz(data))


def go_seed(tmp):
    path = os.path.join(tmp, "go.tar")
    env = dict(os.environ, GOFLAGS="-mod=mod", GO111MODULE="off")
    subprocess.run(["go", "run", os.path.join(ROOT, "scripts", "fuzz-seeds", "gotar.go"), path], check=True, env=env)
    with open(path, "rb") as f:
        data = f.read()
    write(os.path.join(LAYER, "go-pax.tar"), data)
    write(os.path.join(LAYER, "go-pax.tar.gz"), gz(data))


def archive_seed(tmp, layer):
    """A docker-archive (docker save's layout) written by GNU tar --format=posix."""
    d = os.path.join(tmp, "archive")
    os.makedirs(d)
    diff_id = hashlib.sha256(layer).hexdigest()
    with open(os.path.join(d, f"{diff_id}.tar"), "wb") as f:
        f.write(layer)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/usr/bin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
            "history": [{"created_by": "tar --format=posix"}],
        },
        sort_keys=True,
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    with open(os.path.join(d, config_name), "wb") as f:
        f.write(config)
    manifest = [{"Config": config_name, "RepoTags": ["app:1.0"], "Layers": [f"{diff_id}.tar"]}]
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    data = gnu_tar(d, "posix", "--pax-option", PAX_CLEAN, members=["manifest.json", config_name, f"{diff_id}.tar"])
    write(os.path.join(ARCHIVE, "gnutar-posix-docker-archive.tar"), data)


def main():
    version = subprocess.run(["tar", "--version"], check=True, capture_output=True, text=True).stdout.splitlines()[0]
    if "GNU tar" not in version:
        sys.exit(f"needs GNU tar, found: {version}")
    os.makedirs(LAYER, exist_ok=True)
    os.makedirs(ARCHIVE, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _, layer = gnu_seeds(tmp)
        python_seeds()
        go_seed(tmp)
        archive_seed(tmp, layer)


if __name__ == "__main__":
    main()
