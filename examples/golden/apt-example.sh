#!/usr/bin/env bash
# The golden example patched from a Debian repository: builds a signed apt
# repository from real bookworm .debs (those scripts/apt-repo-fixture.sh
# fetches once: curl and its dependencies, and newer versions of
# debian-outdated's packages, libexpat1 among them), serves it on
# 127.0.0.1:8642 (TEMPER_APT_EXAMPLE_PORT), builds examples/golden/patched.toml
# against it and prints the plan, the build and the scan summary before and
# after. The server is stopped by its process id when the script ends.
#   examples/golden/apt-example.sh [TEMPER]      (default: target/debug/temper)
# Needs: apt-utils (apt-ftparchive), gpg, python3; the fixture script installs the first two.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=${1:-$ROOT/target/debug/temper}
PORT=${TEMPER_APT_EXAMPLE_PORT:-8642}
FIXTURE=${TEMPER_APT_FIXTURE:-$HOME/.cache/temper-apt-fixture}
"$ROOT/scripts/apt-repo-fixture.sh" "$FIXTURE" >&2
WORK=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
REPO=$WORK/repo
mkdir -p "$REPO/pool/main" "$REPO/dists/bookworm/main/binary-amd64"
cp "$FIXTURE"/debs/*.deb "$REPO/pool/main/"
cp -n "$FIXTURE"/upgrades/*.deb "$REPO/pool/main/"
( cd "$REPO" && apt-ftparchive packages pool/main > dists/bookworm/main/binary-amd64/Packages )
apt-ftparchive -o APT::FTPArchive::Release::Suite=bookworm -o APT::FTPArchive::Release::Components=main \
  -o APT::FTPArchive::Release::Architectures=amd64 release "$REPO/dists/bookworm" \
  | sed 's/^Date: .*/Date: Sat, 01 Jun 2024 00:00:00 UTC/' > "$WORK/Release"
mv "$WORK/Release" "$REPO/dists/bookworm/Release"
export GNUPGHOME=$WORK/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'temper example archive <archive@example.invalid>' ed25519 sign never
gpg --batch --quiet --armor --export > "$ROOT/examples/golden/apt-example.asc"
gpg --batch --quiet --clearsign -o "$REPO/dists/bookworm/InRelease" "$REPO/dists/bookworm/Release"
python3 -m http.server --bind 127.0.0.1 --directory "$REPO" "$PORT" >/dev/null 2>&1 &
SERVER=$!
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null && break; sleep 0.1; done
cd "$ROOT"
show() { echo "\$ temper $*"; "$T" "$@"; }
show build examples/golden/patched.toml --plan
show build examples/golden/patched.toml -o oci:target/golden-patched:1.0 2>/dev/null
echo "\$ temper scan examples/demo-app --advisories examples/advisories | head -1"
"$T" scan examples/demo-app --advisories examples/advisories | head -1 || true
echo "\$ temper scan oci:target/golden-patched:1.0 --advisories examples/advisories | head -1"
"$T" scan oci:target/golden-patched:1.0 --advisories examples/advisories | head -1 || true
