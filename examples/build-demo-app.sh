#!/usr/bin/env bash
# Builds examples/demo-app: a small, real OCI image layout from Debian packages,
# bit-for-bit reproducible (fixed timestamps, sorted tar entries, gzip mtime 0).
#
#   examples/build-demo-app.sh [OUT_DIR]      (default: examples/demo-app)
#
# Layers (what `temper layers` should show):
#   0 base   (gzip): busybox-static, base-files, netbase and libexpat1 unpacked from
#                    their .debs, a dpkg status database, /etc/passwd with user app
#   1 app    (gzip): /app/{app.sh,config.json}, a 256 KiB cache file, build logs in /app/tmp
#   2 update (zstd): rewrites the cache file (wasted bytes), deletes /app/tmp (whiteout),
#                    adds /app/VERSION
# libexpat1 is pinned to the bookworm release version, which later security uploads
# fix: the image is meant to have findings once vulnerability matching exists.
# Needs: apt-get (package indexes of Debian bookworm), dpkg-deb, python3, zstd.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$HERE/demo-app}
PKGS=(busybox-static=1:1.35.0-4+deb12u1+b1 base-files=12.4+deb12u15 netbase=6.4 libexpat1=2.5.0-1+deb12u2)

command -v zstd >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zstd; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/debs"
( cd "$WORK/debs" && apt-get download -qq "${PKGS[@]}" ) || {
  echo "apt-get download failed; run 'apt-get update' or update the pins in $0 (apt-cache policy NAME)" >&2; exit 1; }
python3 "$HERE/make-layout.py" "$WORK/debs" "$WORK/layout"
rm -rf "$OUT"
mv "$WORK/layout" "$OUT"
echo "wrote $OUT"
