"""Writes small images for the hostile-input benchmark (scripts/bench-hostile.sh).

`docker_archive(path, layers)` writes a `docker save` tar whose config lists
one diffID per layer; a layer may appear several times (the manifest then
lists the same blob repeatedly). Layers are tar bytes, gzipped when asked.
"""
import gzip
import hashlib
import io
import json
import tarfile


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(files, fmt=tarfile.PAX_FORMAT) -> bytes:
    """A layer from `(name, bytes)` pairs (or `(name, bytes, mode)`)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for item in files:
            name, data = item[0], item[1]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = item[2] if len(item) > 2 else 0o644
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def docker_archive(path: str, layers, compress=True, repeat=None):
    """`layers`: list of layer tar bytes; `repeat[i]` lists layer i that many times."""
    blobs, diff_ids = [], []
    for i, tar in enumerate(layers):
        blob = gzip.compress(tar, mtime=0) if compress else tar
        for _ in range((repeat or {}).get(i, 1)):
            blobs.append(blob)
            diff_ids.append(sha256(tar))
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"layer {i}"} for i in range(len(diff_ids))],
    }).encode()
    names = []
    with tarfile.open(path, "w") as out:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
        seen = set()
        for blob in blobs:
            name = sha256(blob).split(":")[1] + "/layer.tar"
            names.append(name)
            if name not in seen:
                seen.add(name)
                add(name, blob)
        cfg = sha256(config).split(":")[1] + ".json"
        add(cfg, config)
        add("manifest.json", json.dumps([{"Config": cfg, "RepoTags": ["hostile:latest"], "Layers": names}]).encode())
