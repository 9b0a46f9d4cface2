#!/usr/bin/env python3
"""Reports the UNKNOWN-severity share of `temper scan` on every corpus image.

    python3 scripts/severity-share.py NEW_TEMPER [OLD_TEMPER]

NEW_TEMPER scans against a fresh database of the shared OSV corpus, its
`severity/` records (Vulnrichment CVE JSON 5, Bitnami) and the KEV catalog.
OLD_TEMPER, a build from before severity by alias, scans against the OSV
corpus and KEV given with --advisories (it cannot import CVE records).
Per image: UNKNOWN / findings, the UNKNOWN findings by ecosystem, and where
the rated ones got their score (severity_source.kind).
"""

import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TEMPER_SHARED", ROOT.parent / "shared"))
CORPUS = Path(os.environ.get("TEMPER_CORPUS", Path.home() / ".cache/temper-corpus"))
IMAGES = ["debian-minbase", "debian-outdated", "distroless-like", "go-rust-bins", "multiarch-index", "node-app", "python-app", "secrets-and-root", "big-node"]


def scan(binary, image, args):
    out = subprocess.run([binary, "scan", "--format", "json", "--platform", "linux/amd64", f"oci:{CORPUS / 'oci' / image}", *args], capture_output=True, check=True)
    return json.loads(out.stdout)["findings"]


def summary(findings):
    unknown = [f for f in findings if f["severity"] == "UNKNOWN"]
    by_eco = collections.Counter(f["ecosystem"] for f in unknown)
    sources = collections.Counter(f["severity_source"]["kind"] for f in findings if "severity_source" in f)
    return f"UNKNOWN {len(unknown)}/{len(findings)}  unknown by ecosystem {dict(by_eco)}  rated from {dict(sources)}"


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    new = sys.argv[1]
    old = sys.argv[2] if len(sys.argv) == 3 else None
    advisories = SHARED / "advisories"
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "advisories.db"
        subprocess.run(
            [new, "db", "import", "--db", db, advisories / "osv", advisories / "kev", advisories / "severity/vulnrichment", advisories / "severity/bitnami"],
            check=True,
            capture_output=True,
        )
        for image in IMAGES:
            print(f"{image}")
            if old:
                print(f"  before: {summary(scan(old, image, ['--advisories', advisories / 'osv', '--advisories', advisories / 'kev']))}")
            print(f"  after:  {summary(scan(new, image, ['--db', db]))}")


if __name__ == "__main__":
    main()
