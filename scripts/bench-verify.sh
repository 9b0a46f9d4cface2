#!/usr/bin/env bash
# Benchmark for `temper verify` of a key-signed image in Debian's docker-registry on loopback,
# three ways, each over RUNS verifications (default 100), median and p90:
#  1. cold: one `temper verify` process per verification (hyperfine without a shell, else a
#     `date +%s%N` loop), for a legacy-only signature and for one stored both ways;
#  2. the floor: `openssl dgst -sha256 -verify` of the same payload and signature, pulled back
#     with skopeo (what a verifier cannot go below: a process start and one ECDSA check);
#  3. in one process: `trust::verify` called each time (it connects afresh), and a
#     `trust::Verifier` that keeps its connection (the admission webhook's case; target 20 ms).
#   scripts/bench-verify.sh [CORPUS_DIR] [RUNS]
# Needs docker-registry, skopeo and openssl; hyperfine when installed. Writes nothing into the repo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CORPUS=${1:-${TEMPER_CORPUS:-$HOME/.cache/temper-corpus}}
RUNS=${2:-100}
LAYOUT="$CORPUS/oci/distroless-like"
[ -f "$LAYOUT/index.json" ] || { echo "no $LAYOUT: run scripts/test.sh first (it builds the corpus)" >&2; exit 1; }
for tool in docker-registry skopeo openssl python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install docker-registry skopeo openssl python3" >&2; exit 1; }
done
cargo build --release --quiet -p temper
cargo build --release --quiet -p temper-verdict --example verify_loop
T=$PWD/target/release/temper
LOOP=$PWD/target/release/examples/verify_loop
WORK=$(mktemp -d)
REGISTRY=
cleanup() { [ -n "$REGISTRY" ] && kill "$REGISTRY" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# A registry on a free loopback port, its config and storage in $WORK.
. "$(dirname "${BASH_SOURCE[0]}")/loopback-registry.sh"
start_registry "$WORK"

echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$WORK/policy.json"
sk() { skopeo --policy "$WORK/policy.json" "$@"; }
export TEMPER_PASSWORD=bench
"$T" key generate --output-prefix "$WORK/signer" >/dev/null
PUB=$WORK/signer.pub
# Two repositories: a legacy (.sig tag) signature only, and one stored both ways (tag and bundle).
for storage in legacy both; do
  sk copy -q --preserve-digests --dest-tls-verify=false "oci:$LAYOUT:latest" "docker://$HOST/lab/$storage:latest"
  "$T" sign "$HOST/lab/$storage:latest" --insecure --key "$WORK/signer.key" --storage "$storage" -f json > "$WORK/signed-$storage.json"
  "$T" verify "$HOST/lab/$storage:latest" --insecure --key "$PUB" >/dev/null
done
unset TEMPER_PASSWORD

# The legacy payload and signature, pulled back with skopeo, for openssl.
DIGEST=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["signed"][0]["digest"])' "$WORK/signed-legacy.json")
SIG_TAG="docker://$HOST/lab/legacy:${DIGEST/:/-}.sig"
sk copy -q --src-tls-verify=false "$SIG_TAG" "dir:$WORK/sig"
PAYLOAD=$(python3 - "$WORK/sig" <<'PY'
import base64, json, sys
d = sys.argv[1]
layer = json.load(open(f"{d}/manifest.json"))["layers"][0]
open(f"{d}/sig.der", "wb").write(base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"]))
print(f"{d}/{layer['digest'].split(':', 1)[1]}")
PY
)
openssl dgst -sha256 -verify "$PUB" -signature "$WORK/sig/sig.der" "$PAYLOAD" >/dev/null

# measure LABEL CMD…: RUNS timed runs (after 3 untimed) → "LABEL median_ms p90_ms" in $WORK/results.
measure() {
  local label=$1; shift
  if command -v hyperfine >/dev/null; then
    hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json "$WORK/$label.json" -- "$(printf '%q ' "$@")" >/dev/null
    python3 -c 'import json, sys; print("\n".join(str(t) for t in json.load(open(sys.argv[1]))["results"][0]["times"]))' "$WORK/$label.json" > "$WORK/$label.times"
  else
    for _ in 1 2 3; do "$@" >/dev/null; done
    : > "$WORK/$label.times"
    for _ in $(seq "$RUNS"); do
      local start end
      start=$(date +%s%N); "$@" >/dev/null; end=$(date +%s%N)
      echo "$((end - start))e-9" >> "$WORK/$label.times"
    done
  fi
  python3 - "$label" "$WORK/$label.times" >> "$WORK/results" <<'PY'
import math, sys
t = sorted(float(x) for x in open(sys.argv[2]))
rank = lambda p: t[max(math.ceil(p * len(t) / 100) - 1, 0)] * 1000
print(sys.argv[1], f"{rank(50):.2f}", f"{rank(90):.2f}")
PY
}
measure cold-legacy "$T" verify "$HOST/lab/legacy:latest" --insecure --key "$PUB"
measure cold-both "$T" verify "$HOST/lab/both:latest" --insecure --key "$PUB"
measure openssl openssl dgst -sha256 -verify "$PUB" -signature "$WORK/sig/sig.der" "$PAYLOAD"
for storage in legacy both; do
  for mode in oneshot warm; do
    # The example times each verification itself and prints microseconds.
    read -r _ med _ p90 < <("$LOOP" "$HOST/lab/$storage:latest" "$PUB" "$RUNS" "$mode")
    echo "$mode-$storage $(python3 -c "import sys; print(f'{int(sys.argv[1])/1000:.2f} {int(sys.argv[2])/1000:.2f}')" "$med" "$p90")" >> "$WORK/results"
  done
done

echo "temper verify, $RUNS verifications each, docker-registry on loopback ($(command -v hyperfine >/dev/null && echo hyperfine -N || echo 'date loop'))"
python3 - "$WORK/results" <<'PY'
import sys
rows = {l.split()[0]: (float(l.split()[1]), float(l.split()[2])) for l in open(sys.argv[1])}
what = {
    "cold-legacy": "temper verify, one process each (legacy signature)",
    "cold-both": "temper verify, one process each (legacy + bundle)",
    "openssl": "openssl dgst -verify, same payload (floor)",
    "oneshot-legacy": "one process, trust::verify each time (legacy)",
    "oneshot-both": "one process, trust::verify each time (both)",
    "warm-legacy": "one process, Verifier, warm connection (legacy)",
    "warm-both": "one process, Verifier, warm connection (both)",
}
print(f"{'run':<50} {'median ms':>10} {'p90 ms':>8}")
for k, label in what.items():
    print(f"{label:<50} {rows[k][0]:>10.2f} {rows[k][1]:>8.2f}")
warm = max(rows["warm-legacy"][0], rows["warm-both"][0])
print(f"target: under 20 ms per warm verification: {'met' if warm < 20 else 'NOT met'} (worst warm median {warm:.2f} ms)")
PY
