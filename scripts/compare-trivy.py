#!/usr/bin/env python3
"""Side-by-side package lists: temper sbom vs Trivy (CycloneDX) on every corpus image.

    scripts/compare-trivy.py TRIVY_BINARY [CORPUS_DIR]

Runs `trivy image --input <docker-archive> --format cyclonedx --skip-db-update --offline-scan`
and `temper sbom --format json` on the same OCI layout, compares (type, name, version)
and prints what only one of them found, with temper's evidence paths.
Exit status 1 if Trivy finds a package temper misses.
"""
import json, os, subprocess, sys, tempfile
from urllib.parse import unquote

trivy = sys.argv[1]
corpus = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("TEMPER_CORPUS", os.path.expanduser("~/.cache/temper-corpus"))
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
temper = os.path.join(root, "target", "release", "temper")
subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)


def key_of_purl(purl):
    kind, rest = purl[4:].split("/", 1)
    name_ver, _, query = rest.partition("?")
    name, _, ver = name_ver.rpartition("@")
    name = unquote(name)
    # Trivy puts a dpkg epoch in a qualifier; temper keeps it in the version.
    quals = dict(q.split("=", 1) for q in query.split("&") if "=" in q)
    if "epoch" in quals and quals["epoch"] != "0":
        ver = quals["epoch"] + ":" + unquote(ver)
    if kind == "deb":
        name = name.split("/", 1)[1]
    # Trivy writes crates found in binaries with its own purl type
    # (`pkg:rustbinary/…`); the registered purl type is `cargo`.
    if kind == "rustbinary":
        kind = "cargo"
    return kind, name.lower() if kind == "pypi" else name, unquote(ver)


missed = 0
images = sorted(f[:-5] for f in os.listdir(os.path.join(corpus, "expected")) if f.endswith(".json") and not f.startswith("advis"))
for image in images:
    archives = [image] if image != "multiarch-index" else ["multiarch-index-amd64"]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TRIVY_CACHE_DIR=os.path.join(tmp, "trivy"))
        out = os.path.join(tmp, "t.json")
        subprocess.run([trivy, "image", "--input", os.path.join(corpus, "docker-archive", archives[0] + ".tar"), "--format", "cyclonedx",
                        "--skip-db-update", "--offline-scan", "-q", "-o", out], check=True, env=env)
        tri = {key_of_purl(c["purl"]) for c in json.load(open(out)).get("components", []) if c.get("purl")}
    t = json.loads(subprocess.run([temper, "sbom", "--no-cache", "--format", "json", "--platform", "linux/amd64",
                                   "oci:" + os.path.join(corpus, "oci", image)], check=True, capture_output=True).stdout)
    ours = {}
    for p in t["packages"]:
        k = key_of_purl(p["purl"])
        ours.setdefault(k, []).extend(p["paths"])
    only_trivy = sorted(tri - set(ours))
    only_temper = sorted(set(ours) - tri)
    missed += len(only_trivy)
    print(f"## {image}: trivy {len(tri)}, temper {len(ours)} (distinct type/name/version)")
    for k in only_trivy:
        print(f"- only Trivy: {k[0]} {k[1]} {k[2]}")
    for k in only_temper:
        print(f"- only temper: {k[0]} {k[1]} {k[2]}  ({', '.join('/' + p for p in ours[k][:2])})")
sys.exit(1 if missed else 0)
