#!/usr/bin/env bash
# Benchmark for issue "layers": `temper layers` (digests and diffIDs verified) on the
# corpus's big-node OCI layout against `gzip -dc` of its layers one after another,
# plus temper's peak memory. Prints both times, the ratio and the peak RSS.
#   scripts/bench-layers.sh [CORPUS_DIR]     (default $TEMPER_CORPUS or ~/.cache/temper-corpus)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CORPUS=${1:-${TEMPER_CORPUS:-$HOME/.cache/temper-corpus}}
IMAGE="$CORPUS/oci/big-node"
[[ -f $IMAGE/index.json ]] || { echo "no big-node layout under $CORPUS (run scripts/test.sh first)" >&2; exit 2; }
RUNS=${RUNS:-5}

cargo build --release --quiet
BIN=target/release/temper

# The layer blobs, in manifest order.
mapfile -t BLOBS < <(python3 - "$IMAGE" <<'PY'
import json, os, sys
root = sys.argv[1]
blob = lambda d: os.path.join(root, "blobs", *d.split(":"))
top = json.load(open(os.path.join(root, "index.json")))["manifests"][0]
man = json.load(open(blob(top["digest"])))
for l in man["layers"]:
    print(blob(l["digest"]))
PY
)

# Warm the page cache so both sides read from memory.
cat "${BLOBS[@]}" >/dev/null

best() { # best wall-clock seconds of RUNS runs of "$@"
  local best=""
  for _ in $(seq "$RUNS"); do
    local s e t
    s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [[ -z $best ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  echo "$best"
}
gunzip_all() { for b in "${BLOBS[@]}"; do gzip -dc "$b"; done; }

g=$(best gunzip_all)
t=$(best "$BIN" layers "oci:$IMAGE")
rss_kb=$( { /usr/bin/time -f '%M' "$BIN" layers "oci:$IMAGE" >/dev/null; } 2>&1 | tail -1)
ratio=$(echo "$t / $g" | bc -l)
printf 'big-node: %d layers, %s compressed\n' "${#BLOBS[@]}" "$(du -ch "${BLOBS[@]}" | tail -1 | cut -f1)"
printf 'gzip -dc, layers one after another : %6.3f s (best of %d)\n' "$g" "$RUNS"
printf 'temper layers (digests verified)   : %6.3f s (best of %d)\n' "$t" "$RUNS"
printf 'ratio temper / gzip                : %6.3f (target <= 0.5)\n' "$ratio"
printf 'temper peak RSS                    : %6.1f MB (target < 150 MB)\n' "$(echo "$rss_kb / 1024" | bc -l)"
