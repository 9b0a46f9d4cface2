#!/usr/bin/env python3
"""Hostile jars for the benchmark (issue 12, points 4 and 6).

`jars.py OUTDIR` writes one docker-archive tar per case into OUTDIR and
prints `<case>\t<temper args>` per line:

- `jar-amplify`: a layer of a few kilobytes (gzipped) holding many jars;
  each lists the same deflated entry under several `lib/*.jar` names (the
  central directory points them all at one local entry), and that entry
  inflates to a valid 120 MiB zip of zeros, so every name costs 120 MiB of
  inflating and parsing. Deflate output of zeros is itself repetitive, so
  the layer's gzip shrinks the jars again.
- `jar-amplify-x6`: the same layer listed six times in the manifest.
- `jar-deep`: a jar whose own `pom.properties` sits beside a jar nested
  five deep (past the cap of three).
"""
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imagelib import docker_archive, layer_tar  # noqa: E402

STORED, DEFLATED = 0, 8


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zip_bytes(entries, aliases=()):
    """A zip of `(name, data, method)` entries; each `(alias, target)` in
    `aliases` is one more central-directory name for entry `target`'s
    local data."""
    out, central, count = bytearray(), bytearray(), 0
    records = []
    for name, data, method in entries:
        body = deflate(data) if method == DEFLATED else data
        crc, n = zlib.crc32(data), name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(body), len(data), len(n), 0) + n + body
        records.append((crc, len(body), len(data), method, offset))
        central += central_record(n, *records[-1])
        count += 1
    for alias, target in aliases:
        central += central_record(alias.encode(), *records[target])
        count += 1
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), cd_offset, 0)
    return bytes(out)


def central_record(name, crc, csize, usize, method, offset):
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, csize, usize, len(name), 0, 0, 0, 0, 0, offset) + name


def pom(group, artifact, version):
    return f"groupId={group}\nartifactId={artifact}\nversion={version}\n".encode()


def amplifying_jar(i, names):
    """A jar of its own pom.properties and `names` aliases of one entry
    that inflates to a valid 120 MiB zip."""
    inner = zip_bytes([("zeros.bin", bytes(120 << 20), STORED)])
    entries = [
        (f"META-INF/maven/com.example/app{i}/pom.properties", pom("com.example", f"app{i}", "1.0"), DEFLATED),
        ("lib/l0.jar", inner, DEFLATED),
    ]
    return zip_bytes(entries, [(f"lib/l{k}.jar", 1) for k in range(1, names)])


def deep_jar(levels):
    data = zip_bytes([(f"META-INF/maven/com.example/level{levels}/pom.properties", pom("com.example", f"level{levels}", "1.0"), DEFLATED)])
    for n in reversed(range(levels)):
        data = zip_bytes([
            (f"META-INF/maven/com.example/level{n}/pom.properties", pom("com.example", f"level{n}", "1.0"), DEFLATED),
            ("BOOT-INF/lib/inner.jar", data, DEFLATED),
        ])
    return data


def main():
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    # Every jar is the same bytes but for its pom: 24 jars, 8 names each,
    # about 23 GiB to inflate before the fix (1 GiB budget per jar).
    one = amplifying_jar(0, 8)
    jars = [(f"opt/app/lib/app{i}.jar", one) for i in range(24)]
    amplify = layer_tar(jars)
    path = os.path.join(out, "jar-amplify.tar")
    docker_archive(path, [amplify])
    print(f"jar-amplify\tsbom {path}")
    path = os.path.join(out, "jar-amplify-x6.tar")
    docker_archive(path, [amplify], repeat={0: 6})
    print(f"jar-amplify-x6\tsbom {path}")
    path = os.path.join(out, "jar-deep.tar")
    docker_archive(path, [layer_tar([("opt/app/app.jar", deep_jar(5))])])
    print(f"jar-deep\tsbom {path}")


if __name__ == "__main__":
    main()
