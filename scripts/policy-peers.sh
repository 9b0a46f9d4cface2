#!/usr/bin/env bash
# A second Rego engine, rego-cpp through PyPI's regopy, pinned, installed once into
# a virtual environment outside the clone (crates/temper-policy/tests/regopy.rs
# compares its deny and warn sets with temper's on every example policy):
#   scripts/policy-peers.sh [DIR]   (DIR default $TEMPER_REGOPY, else ~/.cache/temper-peers/regopy)
# Idempotent: DIR/.temper-pins holds the pins of the last complete install.
# The registry is reached with pip's own configuration: no host is named here.
# Exits non-zero when it cannot install (offline); the caller decides whether that is fatal.
set -euo pipefail
DIR=${1:-${TEMPER_REGOPY:-$HOME/.cache/temper-peers/regopy}}

pins=(regopy==1.5.2)
want="${pins[*]}"
[[ $(cat "$DIR/.temper-pins" 2>/dev/null) == "$want" && -x $DIR/bin/python ]] && exit 0

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
  echo "policy-peers: could not install $want" >&2
  exit 1
fi
