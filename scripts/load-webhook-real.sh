#!/usr/bin/env bash
# Load test of `temper serve --admission` with the real judge (not run in CI):
# Debian's docker-registry on loopback holds N images (the golden example
# built N times with a different label, so N digests sharing their layers),
# each signed; the webhook's policy requires that signature and the seed's
# vulnerability limits. examples/loadgen.rs then drives it:
#   1. cold verdicts: each image reviewed once at COLD_RATE/s: resolved in
#      the registry, signatures verified there, assessed from the layer cache
#      (warmed by one `temper gate` first);
#   2. warm: RATE reviews/s for DURATION s over the same images (verdict cache).
# Each prints p50/p90/p99/max latency, errors (a denial counts as one), and
# the server's memory after the run.
#   scripts/load-webhook-real.sh   (N=100 COLD_RATE=20 RATE=1000 DURATION=60 PORT=18443 REGISTRY_PORT=15443)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${N:-100} COLD_RATE=${COLD_RATE:-20} RATE=${RATE:-1000} DURATION=${DURATION:-60}
PORT=${PORT:-18443} REGISTRY_PORT=${REGISTRY_PORT:-15443}
command -v docker-registry >/dev/null || { echo "error: docker-registry is missing (apt-get install docker-registry)" >&2; exit 2; }

cargo build --release --quiet -p temper
cargo build --release --quiet -p temper-serve --example loadgen
target=${CARGO_TARGET_DIR:-target}/release
T=$target/temper
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

. "$(dirname "${BASH_SOURCE[0]}")/loopback-registry.sh"
start_registry "$dir" "$REGISTRY_PORT"
pids+=("$REGISTRY")

export TEMPER_PASSWORD=load-test
"$T" key generate --output-prefix "$dir/signer" 2>/dev/null
# The spec names its base beside it (../demo-app): copy both.
mkdir "$dir/examples" && cp -r examples/golden examples/demo-app "$dir/examples/"
echo "==> building, pushing and signing $N images"
: >"$dir/images"
for i in $(seq "$N"); do
  ref=127.0.0.1:$REGISTRY_PORT/load/golden:$i
  "$T" -q build "$dir/examples/golden/golden.toml" --label "load.variant=$i" --push "$ref" --insecure --cache-dir "$dir/build-cache" >/dev/null
  "$T" -q sign "$ref" --key "$dir/signer.key" --insecure
  echo "$ref" >>"$dir/images"
done
"$T" -q db import examples/advisories --db "$dir/advisories.db" >/dev/null
printf '[rules.signature]\nkeys = ["signer.pub"]\n\n[rules.vulnerabilities]\nmax = { critical = 0, high = 9 }\n' >"$dir/policy.toml"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=load CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$dir/san.ext"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 -extfile "$dir/san.ext" -out "$dir/tls.crt" 2>/dev/null

# The layers are shared by every image: one gate fills the layer cache.
"$T" -q gate "$(head -1 "$dir/images")" --policy "$dir/policy.toml" --db "$dir/advisories.db" --insecure --cache-dir "$dir/layers" >/dev/null

"$T" serve --admission --listen "127.0.0.1:$PORT" --tls-cert "$dir/tls.crt" --tls-key "$dir/tls.key" \
  --policy "$dir/policy.toml" --db "$dir/advisories.db" --insecure --cache-dir "$dir/layers" 2>"$dir/server.log" &
server=$!
pids+=("$server")
status=0
cold_seconds=$(( (N + COLD_RATE - 1) / COLD_RATE ))
echo "==> cold verdicts: $N images, each reviewed once, $COLD_RATE reviews/s"
"$target/examples/loadgen" --addr "127.0.0.1:$PORT" --ca "$dir/ca.pem" --pid "$server" --images "$dir/images" --cold \
  --rate "$COLD_RATE" --duration "$cold_seconds" --connections 8 || status=$?
echo "==> warm cache: $RATE reviews/s for $DURATION s over the same $N images"
"$target/examples/loadgen" --addr "127.0.0.1:$PORT" --ca "$dir/ca.pem" --pid "$server" --images "$dir/images" \
  --rate "$RATE" --duration "$DURATION" --connections 32 || status=$?
if grep -q '"level":"ERROR"\|"level":"WARN"' "$dir/server.log"; then echo "server log:"; grep '"level":"ERROR"\|"level":"WARN"' "$dir/server.log" | head -5; fi
exit $status
