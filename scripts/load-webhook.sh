#!/usr/bin/env bash
# Load test of the admission webhook on loopback (not run in CI): builds the
# release examples, starts crates/temper-serve/examples/fake_webhook.rs (the
# server with a fake judge: resolving sleeps RESOLVE_MS, judging JUDGE_MS) and
# drives it with examples/loadgen.rs:
#   1. warm: RATE reviews/s for DURATION s, the same images every time (verdict cache hits);
#   2. cold: COLD_RATE reviews/s for COLD_DURATION s, new images in every review.
# Each prints p50/p90/p99/max latency, errors, and the server's memory after the run.
#   scripts/load-webhook.sh            (RATE=1000 DURATION=60 COLD_RATE=50 COLD_DURATION=20 RESOLVE_MS=20 JUDGE_MS=50 PORT=18443)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RATE=${RATE:-1000} DURATION=${DURATION:-60}
COLD_RATE=${COLD_RATE:-50} COLD_DURATION=${COLD_DURATION:-20}
RESOLVE_MS=${RESOLVE_MS:-20} JUDGE_MS=${JUDGE_MS:-50}
PORT=${PORT:-18443}

cargo build --release --quiet -p temper-serve --example fake_webhook --example loadgen
bin=${CARGO_TARGET_DIR:-target}/release/examples
dir=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

run() { # NAME ARGS...: one scenario against a fresh server (an empty cache)
  local name=$1; shift
  rm -f "$dir/ca.pem"
  "$bin/fake_webhook" --dir "$dir" --listen "127.0.0.1:$PORT" --resolve-ms "$RESOLVE_MS" --judge-ms "$JUDGE_MS" 2>"$dir/server.log" &
  server=$!
  for _ in $(seq 300); do [[ -f $dir/ca.pem ]] && break; sleep 0.1; done
  echo "==> $name"
  "$bin/loadgen" --addr "127.0.0.1:$PORT" --ca "$dir/ca.pem" --pid "$server" "$@" || status=$?
  kill "$server"; wait "$server" || true; server=
  # The JSON log holds warnings and errors only (TEMPER_LOG=info logs every review).
  if [[ -s $dir/server.log ]]; then echo "server log:"; head -5 "$dir/server.log"; fi
}

status=0
run "warm cache: $RATE reviews/s for $DURATION s" --rate "$RATE" --duration "$DURATION" --connections 32
run "cold verdicts: $COLD_RATE reviews/s for $COLD_DURATION s, 3 new images each (resolve ${RESOLVE_MS} ms + judge ${JUDGE_MS} ms)" --cold --rate "$COLD_RATE" --duration "$COLD_DURATION" --connections 16
exit $status
