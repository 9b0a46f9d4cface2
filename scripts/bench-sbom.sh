#!/usr/bin/env bash
# Benchmark for `temper sbom` against Trivy on the corpus's big-node OCI layout, in one run:
# cold cache (fresh cache dirs) and warm cache (second run), wall time and peak memory.
#   scripts/bench-sbom.sh TRIVY_BINARY [CORPUS_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TRIVY=${1:?usage: $0 TRIVY_BINARY [CORPUS_DIR]}
CORPUS=${2:-${TEMPER_CORPUS:-$HOME/.cache/temper-corpus}}
IMAGE="$CORPUS/oci/big-node"
cargo build --release --quiet
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

run() { # label cmd… → prints "label seconds peakKB"
  local label=$1; shift
  /usr/bin/time -f "$label %e %M" "$@" >/dev/null 2>>"$WORK/times" || { echo "$label failed" >&2; cat "$WORK/times" >&2; exit 1; }
}
cat "$IMAGE"/blobs/sha256/* >/dev/null # page cache warm for both tools

export TRIVY_CACHE_DIR="$WORK/trivy"
for pass in cold warm; do
  run "trivy-$pass" "$TRIVY" image --input "$IMAGE" --format cyclonedx --skip-db-update --offline-scan -q -o "$WORK/trivy.json"
  run "temper-$pass" target/release/temper sbom --format json --cache-dir "$WORK/temper" -o "$WORK/temper.json" "oci:$IMAGE"
done
awk '!/^Command/ && NF==3 { t[$1]=$2; m[$1]=$3 }
END {
  printf "%-12s %9s %12s\n", "run", "seconds", "peak MB";
  for (k in t) printf "%-12s %9.2f %12.1f\n", k, t[k], m[k]/1024 | "sort";
  close("sort");
  printf "cold: temper is %.1fx faster than trivy\n", t["trivy-cold"]/t["temper-cold"];
  printf "warm: temper is %.1fx faster than trivy\n", t["trivy-warm"]/t["temper-warm"];
}' "$WORK/times"
