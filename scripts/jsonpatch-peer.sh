#!/usr/bin/env bash
# The independent JSONPatch implementation the webhook's patches must apply with
# (crates/temper-serve/tests/webhook.rs): PyPI's jsonpatch, the library Python
# Kubernetes tooling applies RFC 6902 patches with, pinned, in a virtual
# environment installed once into a cache outside the clone:
#   scripts/jsonpatch-peer.sh [DIR]   (DIR default $TEMPER_JSONPATCH, else ~/.cache/temper-peers/jsonpatch)
# Idempotent: DIR/.temper-pins holds the pins of the last complete install.
# The registry is reached with pip's own configuration: no host is named here.
# Exits non-zero when it cannot install (offline); the caller decides whether that is fatal.
set -euo pipefail
DIR=${1:-${TEMPER_JSONPATCH:-$HOME/.cache/temper-peers/jsonpatch}}

pins=(jsonpatch==1.33 jsonpointer==3.0.0)
want="${pins[*]}"
[[ $(cat "$DIR/.temper-pins" 2>/dev/null) == "$want" ]] && exit 0

echo "==> installing $want into $DIR"
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  # A failure here (offline) shows below as a venv that cannot be made.
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv; } || true
fi
rm -rf "$DIR"
if python3 -m venv "$DIR" && "$DIR/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"; then
  echo "$want" >"$DIR/.temper-pins"
else
  rm -rf "$DIR"
  echo "jsonpatch-peer: could not install $want" >&2
  exit 1
fi
