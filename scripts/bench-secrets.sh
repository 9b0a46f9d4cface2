#!/usr/bin/env bash
# Benchmark for issue 6 (secrets): what the secret scanner adds to the layer pass of
# `temper layers` on the corpus's big-node OCI layout. Times `temper layers` itself with
# hyperfine for reference, then the layer pass with and without the secret scanner
# (crates/temper-check/benches/secrets.rs: same walk, best of ROUNDS, interleaved).
#   scripts/bench-secrets.sh [CORPUS_DIR]     (default $TEMPER_CORPUS or ~/.cache/temper-corpus)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CORPUS=${1:-${TEMPER_CORPUS:-$HOME/.cache/temper-corpus}}
IMAGE="$CORPUS/oci/big-node"
[[ -f $IMAGE/index.json ]] || { echo "no big-node layout under $CORPUS (run scripts/test.sh first)" >&2; exit 2; }
ROUNDS=${ROUNDS:-5}

cargo build --release --quiet -p temper
# Warm the page cache so every run reads from memory.
cat "$IMAGE"/blobs/sha256/* >/dev/null
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --runs "$ROUNDS" "target/release/temper layers oci:$IMAGE"
fi
cargo bench --quiet -p temper-check --bench secrets -- "$IMAGE" "$ROUNDS"
