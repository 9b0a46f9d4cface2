#!/usr/bin/env python3
"""Assembles the demo-app OCI layout from downloaded .debs (stdlib + dpkg-deb + zstd).

Everything is deterministic: entries sorted, mtime fixed to SOURCE_DATE_EPOCH
(default 2024-01-01), uid/gid 0 unless stated, gzip header mtime 0.
"""
import gzip, hashlib, io, json, os, random, subprocess, sys, tarfile, tempfile

EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "1704067200"))
CREATED = "2024-01-01T00:00:00Z"


def deb_fields(deb):
    out = subprocess.run(["dpkg-deb", "-f", deb], check=True, capture_output=True, text=True).stdout
    return out.strip() + "\n"


def unpack_deb(deb, root):
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)


def tar_from_dir(root, extra=()):
    """A tar of `root` (sorted, normalised metadata) plus extra (name, TarInfo, bytes) entries."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        items = []
        for dirpath, dirnames, filenames in os.walk(root):
            for n in dirnames + filenames:
                full = os.path.join(dirpath, n)
                items.append(os.path.relpath(full, root))
        for rel in sorted(items):
            full = os.path.join(root, rel)
            ti = tf.gettarinfo(full, arcname=rel)
            ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = EPOCH, 0, 0, "", ""
            if ti.isreg():
                with open(full, "rb") as f:
                    tf.addfile(ti, f)
            else:
                tf.addfile(ti)
        for name, ti, data in extra:
            ti.name, ti.mtime = name, EPOCH
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def file_info(mode=0o644, uid=0, gid=0, size=0, kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo()
    ti.mode, ti.uid, ti.gid, ti.size, ti.type, ti.linkname = mode, uid, gid, size, kind, link
    return ti


def tar_entries(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, ti, data in entries:
            ti.name, ti.mtime = name, EPOCH
            if data is not None:
                ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def pseudo_random(seed, n):
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(n))


class Layout:
    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)

    def blob(self, data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.root, "blobs", "sha256", d), "wb") as f:
            f.write(data)
        return "sha256:" + d, len(data)


def main(debs_dir, out):
    debs = sorted(os.path.join(debs_dir, d) for d in os.listdir(debs_dir) if d.endswith(".deb"))
    with tempfile.TemporaryDirectory() as rootfs:
        status = []
        for deb in debs:
            unpack_deb(deb, rootfs)
            fields = deb_fields(deb)
            # dpkg writes Status right after Package.
            lines = fields.splitlines()
            lines.insert(1, "Status: install ok installed")
            status.append("\n".join(lines) + "\n")
        os.makedirs(os.path.join(rootfs, "var/lib/dpkg"), exist_ok=True)
        with open(os.path.join(rootfs, "var/lib/dpkg/status"), "w") as f:
            f.write("\n".join(status))
        # busybox applets as symlinks, the way busybox --install -s lays them out
        for applet in ("sh", "ls", "cat", "echo", "sleep", "wget"):
            link = os.path.join(rootfs, "bin", applet)
            if not os.path.lexists(link):
                os.symlink("busybox", link)
        with open(os.path.join(rootfs, "etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
        with open(os.path.join(rootfs, "etc/group"), "w") as f:
            f.write("root:x:0:\napp:x:1000:\nnogroup:x:65534:\n")
        for d in ("tmp", "app"):
            os.makedirs(os.path.join(rootfs, d), exist_ok=True)
        os.chmod(os.path.join(rootfs, "tmp"), 0o1777)
        base = tar_from_dir(rootfs)

    app_sh = b"#!/bin/sh\n# demo service: answers on 8080 with its version\nexec busybox httpd -f -p 8080 -h /app\n"
    config = json.dumps({"listen": ":8080", "cache": "/app/data/cache.bin"}, indent=2).encode() + b"\n"
    app = tar_entries([
        ("app", file_info(0o755, 1000, 1000, kind=tarfile.DIRTYPE), None),
        ("app/app.sh", file_info(0o755, 1000, 1000), app_sh),
        ("app/config.json", file_info(0o644, 1000, 1000), config),
        ("app/data", file_info(0o755, 1000, 1000, kind=tarfile.DIRTYPE), None),
        ("app/data/cache.bin", file_info(0o644, 1000, 1000), pseudo_random(1, 256 * 1024)),
        ("app/tmp", file_info(0o755, 1000, 1000, kind=tarfile.DIRTYPE), None),
        ("app/tmp/build.log", file_info(0o644, 1000, 1000), b"compiling...\n" * 2000),
        ("app/tmp/objects.bin", file_info(0o644, 1000, 1000), pseudo_random(2, 64 * 1024)),
    ])
    update = tar_entries([
        ("app", file_info(0o755, 1000, 1000, kind=tarfile.DIRTYPE), None),
        ("app/.wh.tmp", file_info(0o644), b""),
        ("app/VERSION", file_info(0o644, 1000, 1000), b"1.1.0\n"),
        ("app/data", file_info(0o755, 1000, 1000, kind=tarfile.DIRTYPE), None),
        ("app/data/cache.bin", file_info(0o644, 1000, 1000), pseudo_random(3, 256 * 1024)),
    ])

    lay = Layout(out)
    layers, diff_ids = [], []
    for data, comp in ((base, "gzip"), (app, "gzip"), (update, "zstd")):
        diff_ids.append("sha256:" + hashlib.sha256(data).hexdigest())
        if comp == "gzip":
            blob = gzip.compress(data, compresslevel=9, mtime=0)
        else:
            blob = subprocess.run(["zstd", "-q", "-19", "-c"], input=data, check=True, capture_output=True).stdout
        digest, size = lay.blob(blob)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+" + comp, "digest": digest, "size": size})

    history = [
        {"created": CREATED, "created_by": "ADD rootfs.tar / # busybox-static, base-files, netbase, libexpat1"},
        {"created": CREATED, "created_by": "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "empty_layer": True},
        {"created": CREATED, "created_by": "COPY app/ /app/ # buildkit"},
        {"created": CREATED, "created_by": "RUN /bin/sh -c ./refresh-cache && rm -rf /app/tmp && echo 1.1.0 > /app/VERSION # buildkit"},
        {"created": CREATED, "created_by": "USER app", "empty_layer": True},
        {"created": CREATED, "created_by": "HEALTHCHECK CMD [\"wget\", \"-q\", \"-O-\", \"http://127.0.0.1:8080/VERSION\"]", "empty_layer": True},
        {"created": CREATED, "created_by": "ENTRYPOINT [\"/app/app.sh\"]", "empty_layer": True},
    ]
    cfg = {
        "created": CREATED,
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "User": "app",
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_ENV=demo"],
            "Entrypoint": ["/app/app.sh"],
            "WorkingDir": "/app",
            "ExposedPorts": {"8080/tcp": {}},
            "StopSignal": "SIGTERM",
            "Healthcheck": {"Test": ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/VERSION"], "Interval": 30000000000, "Timeout": 3000000000, "Retries": 3},
            "Labels": {
                "org.opencontainers.image.title": "demo-app",
                "org.opencontainers.image.version": "1.1.0",
                "org.opencontainers.image.source": "https://example.invalid/temper/examples",
                "org.opencontainers.image.base.name": "debian:bookworm (packages only)",
            },
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    cfg_bytes = json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()
    cfg_digest, cfg_size = lay.blob(cfg_bytes)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_digest, "size": cfg_size},
        "layers": layers,
    }
    man_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    man_digest, man_size = lay.blob(man_bytes)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man_digest, "size": man_size,
        "platform": {"architecture": "amd64", "os": "linux"},
        "annotations": {"org.opencontainers.image.ref.name": "1.1.0"}}]}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, sort_keys=True, separators=(",", ":"))
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
