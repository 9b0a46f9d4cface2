#!/usr/bin/env bash
# Benchmark for `temper fleet` (issue 18), on the release build:
#  1. a fleet of N images (default 200) made from the corpus: `temper build` puts a small app
#     (package.json, node_modules/*/package.json of three npm packages, a script, a build id;
#     different in every image) on one of four corpus bases (debian-minbase, node-app,
#     python-app, go-rust-bins), pushed to Debian's docker-registry on loopback, one repository
#     per app (team/app-NNN:1.0), so every base layer is shared by N/4 images;
#  2. the first `temper fleet sync --no-scan` plus two `temper fleet worker --exit-when-idle`
#     in parallel, against a PostgreSQL server started here (initdb in a temporary directory,
#     loopback port), with an empty layer cache: wall time from the sync to the last worker's exit;
#  3. the baseline, `temper scan` of the same N images one by one, summed, two ways:
#     - shared cache: one layer cache, empty at the start, kept across the N scans, which is what
#       a user running scans by hand gets (the default ~/.cache/temper; a directory of its own
#       here, so earlier runs do not warm it);
#     - cold per image: an empty cache for every scan, which is what a CI job on a fresh runner
#       gets (each scan reads its base whole);
#     the issue's target (fleet ≤ 0.2× the scans) is about shared layers, which the shared-cache
#     baseline also enjoys in part: both ratios are reported;
#  4. `temper fleet rematch` of all N after a DB update: the advisory database starts with every
#     OSV record of ../shared/advisories except half the npm ones (and without KEV); the update
#     imports that other half and KEV, then rematch is timed (target < 2 s).
#   scripts/bench-fleet.sh [CORPUS_DIR] [SHARED_DIR]      N=20 scripts/bench-fleet.sh for a quick run
#   BASELINES=0 skips the N single scans (the fleet's own figures only).
# Needs docker-registry, python3 and PostgreSQL's server binaries (Debian's postgresql; as root
# the server runs as the postgres user through runuser). TEMPER_BIN=PATH uses that binary
# instead of building the release one. Writes nothing into the repository but target/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CORPUS=${1:-${TEMPER_CORPUS:-$HOME/.cache/temper-corpus}}
SHARED=${2:-${TEMPER_SHARED:-$(cd .. && pwd)/shared}}
N=${N:-200}
BASES=(debian-minbase node-app python-app go-rust-bins)
for base in "${BASES[@]}"; do
  [ -f "$CORPUS/oci/$base/index.json" ] || { echo "no $CORPUS/oci/$base: run scripts/test.sh first (it builds the corpus)" >&2; exit 1; }
done
[ -d "$SHARED/advisories/osv/npm" ] || { echo "no $SHARED/advisories/osv: pass the shared directory as the second argument" >&2; exit 1; }
for tool in docker-registry python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install docker-registry python3" >&2; exit 1; }
done
PG_BIN=${TEMPER_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql: apt-get install postgresql (or set TEMPER_PG_BIN)" >&2; exit 1; }
if [ -n "${TEMPER_BIN:-}" ]; then
  T=$(realpath "$TEMPER_BIN")
else
  cargo build --release --quiet -p temper
  T=$PWD/target/release/temper
fi

WORK=$(mktemp -d)
PGDIR=$(mktemp -d -t temper-pg.XXXXXX)
REGISTRY=
PG_STARTED=
pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PG_BIN/$1" "${@:2}"; else "$PG_BIN/$1" "${@:2}"; fi; }
cleanup() {
  [ -n "$REGISTRY" ] && kill "$REGISTRY" 2>/dev/null
  [ -n "$PG_STARTED" ] && pg pg_ctl stop -D "$PGDIR/data" -m fast -w -s
  rm -rf "$WORK" "$PGDIR"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { echo "$EPOCHREALTIME"; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

# The registry, its config and storage in $WORK.
. "$(dirname "${BASH_SOURCE[0]}")/loopback-registry.sh"
start_registry "$WORK"

# PostgreSQL as the fleet tests start it: trust auth for user temper, loopback only, no fsync.
[ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
PG_PORT=$(free_port)
pg initdb -D "$PGDIR/data" -U temper --auth=trust -E UTF8 --no-sync >/dev/null
pg pg_ctl start -D "$PGDIR/data" -w -t 60 -s -l "$PGDIR/server.log" -o "-k $PGDIR -c listen_addresses=127.0.0.1 -p $PG_PORT -c fsync=off"
PG_STARTED=1
pg createdb -h 127.0.0.1 -p "$PG_PORT" -U temper fleet
STORE=postgres://temper@127.0.0.1:$PG_PORT/fleet

# The bases, then N apps built on them (a cache of their own, so the timed runs start cold).
echo "==> pushing ${#BASES[@]} corpus bases and building $N apps on them into $HOST"
for base in "${BASES[@]}"; do
  "$T" push -q --insecure "oci:$CORPUS/oci/$base:latest" "$HOST/base/$base:latest" >/dev/null
done
python3 - "$WORK/specs" "$HOST" "$N" "${BASES[@]}" <<'PY'
import json, os, sys
out, host, n, bases = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
# npm packages with several published versions in the advisory set, so findings vary by image.
npm = {
    "lodash": ["4.17.4", "4.17.11", "4.17.15", "4.17.20", "4.17.21"],
    "minimist": ["1.2.0", "1.2.5", "1.2.6", "1.2.8"],
    "qs": ["6.5.2", "6.7.0", "6.10.3", "6.11.0"],
    "ws": ["6.2.1", "7.4.5", "7.5.10", "8.17.1"],
    "semver": ["5.7.1", "6.3.0", "7.5.1", "7.6.0"],
    "debug": ["2.6.8", "3.1.0", "4.3.1", "4.3.4"],
    "express": ["4.16.0", "4.17.1", "4.19.2", "4.21.0"],
    "axios": ["0.21.1", "0.27.2", "1.6.0", "1.7.4"],
    "node-fetch": ["2.6.0", "2.6.7", "3.1.0", "3.3.2"],
    "jsonwebtoken": ["8.5.1", "9.0.0", "9.0.2", "8.1.0"],
    "marked": ["0.3.5", "0.7.0", "4.0.10", "12.0.0"],
}
names = sorted(npm)
for i in range(n):
    chosen = [names[(i + 4 * k) % len(names)] for k in range(3)]
    deps = {p: npm[p][(i // len(names) + k) % len(npm[p])] for k, p in enumerate(chosen)}
    files = [("/app/package.json", json.dumps({"name": f"app-{i:03}", "version": f"1.0.{i}", "dependencies": deps}, indent=2) + "\n"),
             ("/app/index.js", f"// app {i}\nconsole.log('app-{i:03} on ' + {json.dumps(bases[i % len(bases)])});\n"),
             ("/app/build-id", f"bench-{i:03}\n")]
    files += [(f"/app/node_modules/{p}/package.json", json.dumps({"name": p, "version": v}) + "\n") for p, v in deps.items()]
    spec = [f'base = "{host}/base/{bases[i % len(bases)]}:latest"', 'workdir = "/app"', 'cmd = ["node", "/app/index.js"]', ""]
    for path, content in files:
        spec += ["[[files]]", f"path = {json.dumps(path)}", f"content = {json.dumps(content)}", ""]
    os.makedirs(f"{out}/app-{i:03}", exist_ok=True)
    with open(f"{out}/app-{i:03}/golden.toml", "w") as f:
        f.write("\n".join(spec))
PY
: > "$WORK/refs.txt"
start=$(now)
for i in $(seq -f %03g 0 $((N - 1))); do
  "$T" build -q --insecure --cache-dir "$WORK/build-cache" --push "$HOST/team/app-$i:1.0" "$WORK/specs/app-$i/golden.toml" >/dev/null
  echo "$HOST/team/app-$i:1.0" >> "$WORK/refs.txt"
done
echo "    built and pushed in $(since "$start") s"

# The advisory database before and after the update.
mkdir -p "$WORK/npm-first" "$WORK/npm-update"
i=0
for f in "$SHARED"/advisories/osv/npm/*.json; do
  if (( i++ % 2 )); then cp "$f" "$WORK/npm-update/"; else cp "$f" "$WORK/npm-first/"; fi
done
FIRST=()
for dir in "$SHARED"/advisories/osv/*/; do
  [ "$(basename "$dir")" = npm ] || FIRST+=("$dir")
done
"$T" db import --db "$WORK/advisories.db" "${FIRST[@]}" "$WORK/npm-first" >/dev/null
cp "$WORK/advisories.db" "$WORK/advisories-updated.db"
"$T" db import --db "$WORK/advisories-updated.db" "$WORK/npm-update" "$SHARED/advisories/kev/known_exploited_vulnerabilities.json" >/dev/null

scan() { "$T" scan -q --insecure --db "$WORK/advisories.db" --format json -o "$WORK/scan.json" "$@" < /dev/null || [ $? = 1 ]; }
SHARED_S=nan
COLD_S=nan
if [ "${BASELINES:-1}" != 0 ]; then
  # Baseline 1: one scan after another, sharing one cache that starts empty.
  echo "==> temper scan of each image, one cache shared by the $N scans"
  start=$(now)
  while read -r ref; do scan --cache-dir "$WORK/scan-cache" "$ref"; done < "$WORK/refs.txt"
  SHARED_S=$(since "$start")
  rm -rf "$WORK/scan-cache"
  # Baseline 2: every scan with an empty cache.
  echo "==> temper scan of each image, an empty cache for each"
  start=$(now)
  while read -r ref; do scan --cache-dir "$WORK/cold-cache" "$ref"; rm -rf "$WORK/cold-cache"; done < "$WORK/refs.txt"
  COLD_S=$(since "$start")
fi

# The fleet: add (not timed: it only records references), then the first sync with two workers.
echo "==> temper fleet sync --no-scan and two workers against PostgreSQL"
"$T" fleet add -q --store "$STORE" --file "$WORK/refs.txt" >/dev/null
work=(--store "$STORE" --db "$WORK/advisories.db" --insecure --cache-dir "$WORK/fleet-cache")
start=$(now)
"$T" fleet sync -q --no-scan "${work[@]}" >/dev/null
"$T" fleet worker -q --exit-when-idle --name w1 "${work[@]}" > "$WORK/w1.out" &
W1=$!
"$T" fleet worker -q --exit-when-idle --name w2 "${work[@]}" > "$WORK/w2.out" &
W2=$!
wait "$W1"
wait "$W2"
FLEET_S=$(since "$start")
"$T" fleet status --store "$STORE" --format json > "$WORK/status-sync.json"

# The DB update, then rematch of every stored inventory.
echo "==> temper fleet rematch after the DB update"
start=$(now)
"$T" fleet rematch -q --store "$STORE" --db "$WORK/advisories-updated.db" --format json > "$WORK/rematch.json"
REMATCH_S=$(since "$start")

python3 - "$N" "$SHARED_S" "$COLD_S" "$FLEET_S" "$REMATCH_S" "$WORK/status-sync.json" "$WORK/rematch.json" "$WORK/w1.out" "$WORK/w2.out" <<'PY'
import json, sys
n, shared, cold, fleet, rematch = int(sys.argv[1]), *map(float, sys.argv[2:6])
status = json.load(open(sys.argv[6]))
rematched = json.load(open(sys.argv[7]))
print()
print(f"{'WHAT':<56} {'SECONDS':>8} {'RATIO':>6}")
print(f"{f'temper scan x{n}, one shared cache (sum)':<56} {shared:8.2f} {'':>6}")
print(f"{f'temper scan x{n}, an empty cache each (sum)':<56} {cold:8.2f} {'':>6}")
print(f"{'fleet sync --no-scan + 2 workers, PostgreSQL, cold cache':<56} {fleet:8.2f}")
print(f"{'  against the shared-cache scans':<56} {'':>8} {fleet / shared:6.2f}")
print(f"{'  against the empty-cache scans':<56} {'':>8} {fleet / cold:6.2f}")
print(f"{f'fleet rematch of {n} after the DB update':<56} {rematch:8.2f}")
print()
print("status after sync:", json.dumps(status.get("jobs", status))[:300])
print("rematch:", json.dumps(rematched)[:300])
PY
