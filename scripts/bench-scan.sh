#!/usr/bin/env bash
# Benchmark for the advisory stage, on the release build:
#  1. `temper db import` of all of ../shared/advisories (OSV, KEV and the severity/ records:
#     Vulnrichment CVE JSON 5 and Bitnami) into a fresh database;
#  2. matching big-node's inventory against it: `temper scan` of big-node's CycloneDX SBOM
#     (no layer is read; the time is DB open + SBOM parse + matching, an upper bound on matching);
#  3. for comparison, `temper scan` of the image with a warm layer cache, and of go-rust-bins
#     (136 findings, each rated by alias: the most severity look-ups of the corpus).
#   scripts/bench-scan.sh [SHARED_DIR] [CORPUS_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SHARED=${1:-${TEMPER_SHARED:-$(cd .. && pwd)/shared}}
CORPUS=${2:-${TEMPER_CORPUS:-$HOME/.cache/temper-corpus}}
command -v hyperfine >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine; }
cargo build --release --quiet
T=target/release/temper
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
IMAGE="oci:$CORPUS/oci/big-node"
hyperfine --warmup 1 --runs 5 --prepare "rm -f $WORK/a.db $WORK/a.db-wal $WORK/a.db-shm" \
  -n import "$T db import --db $WORK/a.db $SHARED/advisories/osv $SHARED/advisories/kev/known_exploited_vulnerabilities.json $SHARED/advisories/severity/vulnrichment $SHARED/advisories/severity/bitnami"
"$T" db import --db "$WORK/a.db" "$SHARED/advisories/osv" "$SHARED/advisories/kev/known_exploited_vulnerabilities.json" "$SHARED/advisories/severity/vulnrichment" "$SHARED/advisories/severity/bitnami" >/dev/null
"$T" sbom --cache-dir "$WORK/cache" --format json -o /dev/null "oci:$CORPUS/oci/go-rust-bins"
"$T" sbom --cache-dir "$WORK/cache" --format cyclonedx -o "$WORK/big-node.cdx.json" "$IMAGE"
hyperfine --warmup 2 --runs 20 \
  -n match-sbom "$T scan --db $WORK/a.db --format json -o $WORK/out.json $WORK/big-node.cdx.json" \
  -n scan-warm-image "$T scan --db $WORK/a.db --cache-dir $WORK/cache --format json -o $WORK/out2.json $IMAGE" \
  -n scan-warm-go-rust-bins "$T scan --db $WORK/a.db --cache-dir $WORK/cache --format json -o $WORK/out3.json oci:$CORPUS/oci/go-rust-bins"
