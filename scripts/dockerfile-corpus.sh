#!/usr/bin/env bash
# A corpus of real public Dockerfiles for the lint tests: downloads the archives
# pinned in scripts/dockerfile-corpus.list (Debian source tarballs, npm packages, crates),
# checks each one's SHA-256 and takes out every Dockerfile, Dockerfile.*,
# Dockerfile-*, Dockerfile_*, *.Dockerfile, Containerfile and Containerfile.*
# (any case) into one flat directory, one
# file per Dockerfile named <archive>__<path, / replaced by __>.
#   scripts/dockerfile-corpus.sh [DIR]   (DIR default $TEMPER_DOCKERFILES, else ~/.cache/temper-dockerfiles)
#   TEMPER_DEBIAN_MIRROR  Debian archive base URL (default: the first one in the apt sources)
# Idempotent: an archive whose stamp (DIR/.<archive>.done) exists is skipped;
# when this script or the list changed, what it extracted before is removed first.
# Registries are reached with their ordinary clients and the machine's own
# configuration (apt sources, npm's and cargo's configured registries): no host is named here.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIST=$HERE/dockerfile-corpus.list
DIR=${1:-${TEMPER_DOCKERFILES:-$HOME/.cache/temper-dockerfiles}}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

die() { echo "dockerfile-corpus: $*" >&2; exit 1; }

# The Debian archive the machine installs from, read from its apt sources
# (deb822 `URIs:` or one-line `deb URL`), the security archive excluded: its
# pool holds only updates.
debian_mirror() {
  if [[ -n ${TEMPER_DEBIAN_MIRROR:-} ]]; then
    echo "${TEMPER_DEBIAN_MIRROR%/}"
    return
  fi
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/{for (i = 2; i <= NF; i++) print $i}' | grep -v -- '-security' | head -n1 || true)
  [[ -n $m ]] || m=$(cat /etc/apt/sources.list 2>/dev/null | awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {print $i; break}}' | grep -v -- '-security' | head -n1 || true)
  [[ -n $m ]] || die "no Debian archive in the apt sources: set TEMPER_DEBIAN_MIRROR to its base URL"
  echo "${m%/}"
}

# Takes every Dockerfile out of ARCHIVE into DIR as LABEL__path (regular files
# up to 1 MiB only: links and oversized members are no Dockerfiles to lint;
# nor are the manual pages, editor syntax files and templates named after them).
extract() {
  python3 - "$1" "$2" "$DIR" "$tmp/invalid" <<'PY'
import os, sys, tarfile
archive, label, out, invalid = sys.argv[1:]
invalid = set(open(invalid).read().split())
NOT_DOCKERFILES = (".md", ".vim", ".nanorc", ".tmlanguage", ".tmpreferences", ".template", ".include", ".in", ".dockerignore")
def wanted(base):
    b = base.lower()
    if b.endswith(NOT_DOCKERFILES):
        return False
    return b in ("dockerfile", "containerfile") or b.startswith(("dockerfile.", "dockerfile-", "dockerfile_", "containerfile.")) or b.endswith(".dockerfile")
n = 0
with tarfile.open(archive) as tar:
    for m in tar:
        base = m.name.rsplit("/", 1)[-1]
        if not m.isreg() or m.size > 1 << 20 or not wanted(base):
            continue
        name = label + "__" + m.name.strip("/").replace("/", "__")
        if name in invalid:
            continue
        data = tar.extractfile(m).read()
        tmp = os.path.join(out, "." + name + ".part")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(out, name))
        n += 1
print(f"{label}: {n} Dockerfiles")
PY
}

want=$(cat "${BASH_SOURCE[0]}" "$LIST" | sha256sum | cut -d' ' -f1)
# Only a directory this script made (it has the stamp) is cleaned.
if [[ -f $DIR/.temper-stamp && $(cat "$DIR/.temper-stamp") != "$want" ]]; then
  find "$DIR" -maxdepth 1 -type f \( -name '*__*' -o -name '.*.done' -o -name '.temper-stamp' \) -delete
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Files the list marks `invalid` (a project's deliberately broken test
# fixtures, templates with placeholders BuildKit rejects) are left out, so
# every file in the corpus is a Dockerfile BuildKit accepts.
awk '$1 == "invalid" {print $2}' "$LIST" >"$tmp/invalid"
mirror=""
fetched=0
while read -r kind name version sha file; do
  [[ -z $kind || $kind == \#* || $kind == invalid ]] && continue
  label=${file%.tgz}
  label=${label%.crate}
  label=${label%.tar.*}
  stamp="$DIR/.$label.done"
  [[ -f $stamp ]] && continue
  case $kind in
    deb-src)
      [[ -n $mirror ]] || mirror=$(debian_mirror)
      if [[ $name == lib* ]]; then prefix=${name:0:4}; else prefix=${name:0:1}; fi
      url="$mirror/pool/main/$prefix/$name/$file"
      curl -fsSL --retry 3 -o "$tmp/$file" "$url" || die "$name $version: could not download $file from the Debian archive ($url); set TEMPER_DEBIAN_MIRROR to a mirror that has it"
      ;;
    npm)
      (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null) || die "$name@$version: npm pack failed (is the npm registry reachable?)"
      [[ -f $tmp/$file ]] || die "$name@$version: npm pack did not write $file"
      ;;
    crate)
      # cargo fetches a dependency into its own cache: a throwaway package
      # depending on exactly this version (its dependencies come along).
      mkdir -p "$tmp/crate/src"
      touch "$tmp/crate/src/lib.rs"
      printf '[package]\nname = "corpus"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n%s = "=%s"\n' "$name" "$version" >"$tmp/crate/Cargo.toml"
      cargo fetch --quiet --manifest-path "$tmp/crate/Cargo.toml" || die "$name $version: cargo fetch failed (is the crates registry reachable?)"
      found=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "$file" -print -quit)
      [[ -n $found ]] || die "$name $version: cargo fetched no $file"
      cp "$found" "$tmp/$file"
      rm -rf "$tmp/crate"
      ;;
    *) die "$LIST: unknown kind '$kind' for $name (deb-src, npm or crate)" ;;
  esac
  got=$(sha256sum "$tmp/$file" | cut -d' ' -f1)
  [[ $got == "$sha" ]] || die "$file: SHA-256 is $got, the list pins $sha: the archive changed upstream or the download is corrupt; not extracted"
  extract "$tmp/$file" "$label"
  rm -f "$tmp/$file"
  touch "$stamp"
  fetched=$((fetched + 1))
done <"$LIST"
echo "$want" >"$DIR/.temper-stamp"
count=$(find "$DIR" -maxdepth 1 -type f ! -name '.*' | wc -l)
echo "dockerfile-corpus: $count Dockerfiles in $DIR ($fetched archives fetched now)"
