"""Layer cases for scripts/bench-hostile.sh: tar formats that once hung
temper, many entries (memory per entry), one blob listed many times.

Usage: python3 layers.py OUTDIR  -> prints `<case>\t<temper arguments>` lines.
"""
import io
import os
import subprocess
import sys
import tarfile

from imagelib import docker_archive


def pax_record_tar(n):
    """One file whose own PAX header carries an `n`-byte comment record."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("app/f")
        info.size = 5
        info.pax_headers = {"comment": "c" * n}
        t.addfile(info, io.BytesIO(b"hello"))
    return buf.getvalue()


def empty_files_tar(n, prefix):
    """A plain tar of `n` empty files under 1,000-entry directories."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for i in range(n):
            if i % 1000 == 0:
                d = tarfile.TarInfo(f"{prefix}/d{i // 1000}")
                d.type = tarfile.DIRTYPE
                d.mode = 0o755
                t.addfile(d)
            info = tarfile.TarInfo(f"{prefix}/d{i // 1000}/file-{i:07d}")
            t.addfile(info, io.BytesIO(b""))
    return buf.getvalue()


def main(out):
    out = os.path.abspath(out)
    cases = []

    # One file behind a 9,000-byte PAX record.
    path = f"{out}/pax-9000.tar"
    docker_archive(path, [pax_record_tar(9000)])
    cases.append(("pax-record-9000", f"layers {path}"))

    # 2,000 long non-ASCII names packed by GNU tar --format=posix, gzip.
    src = f"{out}/posix-src"
    os.makedirs(src, exist_ok=True)
    for i in range(2000):
        with open(f"{src}/{'ä' * 60}-{i:04d}-{'x' * 80}.txt", "w") as f:
            f.write(str(i))
    tar = subprocess.run(["tar", "--format=posix", "--sort=name", "-C", src, "-cf", "-", "."], check=True, capture_output=True).stdout
    path = f"{out}/gnu-posix-2000.tar"
    docker_archive(path, [tar])
    for cmd in ("inspect", "layers", "sbom"):
        cases.append((f"gnu-posix-2000-{cmd}", f"{cmd} {path}"))

    # Memory per entry: the same shape at two sizes.
    for n in (250_000, 500_000):
        path = f"{out}/entries-{n}.tar"
        docker_archive(path, [empty_files_tar(n, "e")])
        cases.append((f"entries-{n // 1000}k-layers", f"layers {path}"))

    # One 300,000-entry blob listed six times (1.8 M entries held).
    path = f"{out}/repeat-6.tar"
    docker_archive(path, [empty_files_tar(300_000, "r")], repeat={0: 6})
    cases.append(("blob-listed-6-times-layers", f"layers {path}"))
    cases.append(("blob-listed-6-times-sbom", f"sbom {path}"))

    # Over the default image-wide cap of 2,000,000 entries: a clear error.
    path = f"{out}/repeat-8.tar"
    docker_archive(path, [empty_files_tar(300_000, "r")], repeat={0: 8})
    cases.append(("blob-listed-8-times-over-cap", f"layers {path}"))

    for name, args in cases:
        print(f"{name}\t{args}")


if __name__ == "__main__":
    main(sys.argv[1])
