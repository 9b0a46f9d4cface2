#!/usr/bin/env python3
"""Compare `temper lint` with hadolint rule by rule on a corpus of Dockerfiles.

    scripts/compare-hadolint.py HADOLINT [DIR] [--show N] [--temper-json FILE]

DIR defaults to ~/.cache/temper-dockerfiles (every regular file but *.tsv
and *.md). hadolint runs with `--info DL3057` so that its off-by-default
health-check rule reports. temper is `$TEMPER` or target/release/temper
(built when missing); `--temper-json` reads temper's findings from a saved
`temper lint --format json` output instead. For every rule temper shares
with hadolint (the DL ids in docs/rules.md), findings are compared as
(file, line) pairs; files either tool could not parse are left out. The
disagreements are listed both ways, N per rule (default 10).
"""
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def chunks(items, n=200):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def main():
    args = sys.argv[1:]
    show, temper_json = 10, None
    if "--show" in args:
        i = args.index("--show")
        show = int(args[i + 1])
        del args[i:i + 2]
    if "--temper-json" in args:
        i = args.index("--temper-json")
        temper_json = args[i + 1]
        del args[i:i + 2]
    if not args:
        sys.exit(__doc__)
    hadolint = os.path.abspath(os.path.expanduser(args[0]))
    corpus = Path(os.path.expanduser(args[1] if len(args) > 1 else "~/.cache/temper-dockerfiles"))
    files = sorted(p.name for p in corpus.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix not in (".tsv", ".md"))
    shared = sorted(set(re.findall(r"\bDL\d{4}\b", (ROOT / "docs/rules.md").read_text())))

    had = []
    for part in chunks(files):
        out = subprocess.run([hadolint, "--no-fail", "-f", "json", "--info", "DL3057", *part], cwd=corpus, capture_output=True, text=True)
        had += json.loads(out.stdout or "[]")

    if temper_json:
        tem = json.loads(Path(temper_json).read_text())["findings"]
    else:
        temper = os.environ.get("TEMPER", str(ROOT / "target/release/temper"))
        if not os.path.exists(temper):
            subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "temper"], cwd=ROOT, check=True)
        tem = []
        for part in chunks(files):
            out = subprocess.run([temper, "lint", "--format", "json", "--failure-threshold", "none", *part], cwd=corpus, capture_output=True, text=True)
            tem += json.loads(out.stdout or '{"findings": []}')["findings"]

    name = lambda f: os.path.basename(f)
    had_broken = {name(f["file"]) for f in had if f["code"] == "DL1000"}
    tem_broken = {name(f["file"]) for f in tem if f.get("rule") == "syntax-error"}
    broken = had_broken | tem_broken
    h, t = defaultdict(set), defaultdict(set)
    for f in had:
        if f["code"] in shared and name(f["file"]) not in broken:
            h[f["code"]].add((name(f["file"]), f["line"]))
    for f in tem:
        if f.get("hadolint") in shared and name(f["file"]) not in broken:
            t[f["hadolint"]].add((name(f["file"]), f["line"]))

    print(f"{len(files)} files, {len(broken)} left out: {len(had_broken)} hadolint cannot parse, {len(tem_broken)} temper cannot")
    for file in sorted(broken):
        print(f"  {file}: {'hadolint' if file in had_broken else ''}{' and ' if file in had_broken & tem_broken else ''}{'temper' if file in tem_broken else ''}")
    print(f"{'rule':8} {'both':>6} {'temper only':>12} {'hadolint only':>14}")
    for rule in shared:
        print(f"{rule:8} {len(h[rule] & t[rule]):6} {len(t[rule] - h[rule]):12} {len(h[rule] - t[rule]):14}")
    for rule in shared:
        for label, diff in (("temper only", sorted(t[rule] - h[rule])), ("hadolint only", sorted(h[rule] - t[rule]))):
            if diff:
                print(f"\n{rule} {label} ({len(diff)}):")
                for file, line in diff[:show]:
                    print(f"  {file}:{line}")


if __name__ == "__main__":
    main()
