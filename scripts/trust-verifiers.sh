#!/usr/bin/env bash
# Independent verifiers of temper-trust's output (crates/temper-trust/tests/interop.rs),
# pinned, installed once into a cache outside the clone:
#   DIR/node   npm's @sigstore/verify with its @sigstore packages (package-lock.json kept there)
#   DIR/py     a virtual environment with securesystemslib
#   scripts/trust-verifiers.sh [DIR]   (DIR default $TEMPER_TRUST_VERIFIERS, else ~/.cache/temper-peers/trust-verifiers)
# Idempotent: DIR/.temper-pins holds the pins of the last complete install.
# Registries are reached with npm's and pip's own configuration: no host is named here.
# Exits non-zero when it cannot install (offline); the caller decides whether that is fatal.
set -euo pipefail
DIR=${1:-${TEMPER_TRUST_VERIFIERS:-$HOME/.cache/temper-peers/trust-verifiers}}

npm_pins=(@sigstore/verify@3.1.1 @sigstore/bundle@4.0.0 @sigstore/core@3.2.1 @sigstore/protobuf-specs@0.5.2)
py_pins=('securesystemslib[crypto]==1.6.0' cryptography==51.0.1)
want="${npm_pins[*]} ${py_pins[*]}"
[[ $(cat "$DIR/.temper-pins" 2>/dev/null) == "$want" ]] && exit 0

echo "==> installing $want into $DIR"
command -v npm >/dev/null || { echo "trust-verifiers: npm is not installed" >&2; exit 1; }
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  # A failure here (offline) shows below as a venv that cannot be made.
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv; } || true
fi
# Only what this script makes is removed: DIR may be a directory shared with other things.
clean() { rm -rf "$DIR/node" "$DIR/py" "$DIR/.temper-pins"; }
clean
mkdir -p "$DIR/node"
# A private package.json so that the lock file and node_modules stay in the cache.
echo '{"name":"temper-trust-verifiers","private":true}' >"$DIR/node/package.json"
if npm install --prefix "$DIR/node" --save-exact --no-audit --no-fund --loglevel=error "${npm_pins[@]}" \
  && python3 -m venv "$DIR/py" \
  && "$DIR/py/bin/pip" install --quiet --disable-pip-version-check "${py_pins[@]}"; then
  echo "$want" >"$DIR/.temper-pins"
else
  clean
  echo "trust-verifiers: could not install $want" >&2
  exit 1
fi
