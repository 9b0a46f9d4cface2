#!/usr/bin/env bash
# Benchmark for `[packages] upgrade` in `temper build`: every outdated package of the corpus's
# debian-outdated (Debian 12 without its security updates) upgraded from a local, signed apt
# repository holding the newer versions, two ways:
#  1. temper build, upgrade = true, with a warm package cache (the .debs already fetched);
#  2. apt-get install --only-upgrade of the same packages inside an unpacked copy of the image,
#     in a chroot (apt-get update included: a Dockerfile's RUN does both).
# Then the size of what each adds: temper's layer blob, and the chroot's changed and new paths
# through tar | gzip -6 (what `docker build` would commit), with and without apt's caches.
#   scripts/bench-apt-upgrade.sh [CORPUS_DIR]
# Needs root (chroot), network to the Debian mirror once (apt-get download of the newer versions,
# cached in ~/.cache/temper-bench-apt), apt-utils, gnupg, umoci, hyperfine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CORPUS=${1:-${TEMPER_CORPUS:-$HOME/.cache/temper-corpus}}
IMAGE="$CORPUS/oci/debian-outdated"
[ -f "$IMAGE/index.json" ] || { echo "no $IMAGE: run scripts/test.sh first (it builds the corpus)" >&2; exit 1; }
need=()
command -v apt-ftparchive >/dev/null || need+=(apt-utils)
command -v gpg >/dev/null || need+=(gnupg)
command -v umoci >/dev/null || need+=(umoci)
command -v hyperfine >/dev/null || need+=(hyperfine)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; fi
cargo build --release --quiet -p temper
T=$PWD/target/release/temper
WORK=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# The outdated packages: the image's dpkg packages whose candidate on this machine is newer.
"$T" sbom "oci:$IMAGE" --format json > "$WORK/sbom.json"
python3 - "$WORK/sbom.json" > "$WORK/outdated.txt" <<'PY'
import json, subprocess, sys
pkgs = [(p["name"], p["version"]) for p in json.load(open(sys.argv[1]))["packages"] if p.get("ecosystem") == "deb"]
policy = subprocess.run(["apt-cache", "policy"] + [n for n, _ in pkgs], capture_output=True, text=True).stdout
candidate, name = {}, None
for line in policy.splitlines():
    if not line.startswith(" "):
        name = line.rstrip(":")
    elif "Candidate:" in line:
        candidate[name] = line.split()[-1]
for n, v in pkgs:
    c = candidate.get(n, "(none)")
    if c != "(none)" and subprocess.run(["dpkg", "--compare-versions", c, "gt", v]).returncode == 0:
        print(f"{n}={c}")
PY
mapfile -t PINS < "$WORK/outdated.txt"
NAMES=("${PINS[@]%%=*}")
echo "outdated packages: ${#PINS[@]}"
DEBS=$HOME/.cache/temper-bench-apt/debs
mkdir -p "$DEBS"
( cd "$DEBS" && apt-get download -qq "${PINS[@]}" 2>/dev/null )

# A signed repository in the usual layout (dists/bookworm/main/binary-amd64), served on loopback.
REPO=$WORK/repo
mkdir -p "$REPO/pool/main" "$REPO/dists/bookworm/main/binary-amd64"
for p in "${PINS[@]}"; do cp "$DEBS/${p%%=*}_"*.deb "$REPO/pool/main/"; done
( cd "$REPO" && apt-ftparchive packages pool > dists/bookworm/main/binary-amd64/Packages )
xz -k "$REPO/dists/bookworm/main/binary-amd64/Packages"
apt-ftparchive -o APT::FTPArchive::Release::Suite=bookworm -o APT::FTPArchive::Release::Codename=bookworm \
  -o APT::FTPArchive::Release::Components=main -o APT::FTPArchive::Release::Architectures=amd64 \
  release "$REPO/dists/bookworm" > "$WORK/Release"
mv "$WORK/Release" "$REPO/dists/bookworm/Release"
export GNUPGHOME=$WORK/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'temper bench <bench@example.invalid>' ed25519 sign never
gpg --batch --quiet --armor --export > "$WORK/bench.asc"
gpg --batch --quiet --clearsign -o "$REPO/dists/bookworm/InRelease" "$REPO/dists/bookworm/Release"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$REPO" "$PORT" >/dev/null 2>&1 &
SERVER=$!
sleep 1

# 1. temper build: the spec, one build to fill the package cache, then timed rebuilds into a fresh output.
cat > "$WORK/golden.toml" <<TOML
base = "oci:$IMAGE"
[packages]
upgrade = true
sources = ["deb http://127.0.0.1:$PORT bookworm main"]
keyrings = ["bench.asc"]
TOML
"$T" build "$WORK/golden.toml" -o "oci:$WORK/out:v1" --cache-dir "$WORK/cache" >/dev/null
hyperfine --runs 5 --prepare "rm -rf $WORK/out $WORK/golden.lock" -n temper-upgrade \
  "$T build $WORK/golden.toml -o oci:$WORK/out:v1 --cache-dir $WORK/cache"
LAYER=$(python3 - "$WORK/out" <<'PY'
import json, sys
d = sys.argv[1]
index = json.load(open(f"{d}/index.json"))
manifest = json.load(open(f"{d}/blobs/sha256/" + index["manifests"][0]["digest"][7:]))
print(manifest["layers"][-1]["size"])
PY
)

# 2. apt-get in a chroot of the unpacked image, the same packages from the same repository.
umoci unpack --rootless --image "$IMAGE:latest" "$WORK/pristine" >/dev/null 2>&1
cat > "$WORK/chroot-upgrade.sh" <<SH
set -e
rm -rf $WORK/bundle && cp -a $WORK/pristine $WORK/bundle
R=$WORK/bundle/rootfs
rm -f \$R/etc/apt/sources.list \$R/etc/apt/sources.list.d/*
# The image has no gpgv, so apt there cannot check the signature: trusted=yes (apt does less work than temper).
echo "deb [trusted=yes] http://127.0.0.1:$PORT bookworm main" > \$R/etc/apt/sources.list
find \$R -xdev -printf '%P %s %T@ %m %l\n' | sort > $WORK/before.txt
SH
cat > "$WORK/chroot-run.sh" <<SH
set -e
R=$WORK/bundle/rootfs
chroot \$R apt-get update -qq
chroot \$R env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --only-upgrade ${NAMES[*]} >/dev/null
SH
hyperfine --runs 3 --prepare "bash $WORK/chroot-upgrade.sh" -n chroot-apt-get "bash $WORK/chroot-run.sh"
R=$WORK/bundle/rootfs
find "$R" -xdev -printf '%P %s %T@ %m %l\n' | sort > "$WORK/after.txt"
comm -13 "$WORK/before.txt" "$WORK/after.txt" | cut -d' ' -f1 > "$WORK/changed.txt"
CHROOT=$(tar -C "$R" --no-recursion -cf - -T "$WORK/changed.txt" | gzip -6 | wc -c)
grep -v -e '^var/lib/apt/lists/' -e '^var/cache/apt/' -e '^var/log/' "$WORK/changed.txt" > "$WORK/changed-clean.txt"
CLEAN=$(tar -C "$R" --no-recursion -cf - -T "$WORK/changed-clean.txt" | gzip -6 | wc -c)
echo "layer sizes (gzip): temper $LAYER bytes; chroot $CHROOT bytes ($CLEAN without apt lists, caches and logs)"
