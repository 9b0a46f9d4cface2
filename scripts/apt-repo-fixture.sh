#!/usr/bin/env bash
# Real Debian packages for the apt repository tests (crates/temper-apt/tests):
# curl for bookworm and the closure of its Depends / Pre-Depends, at pinned
# versions, fetched once with `apt-get download` from the machine's own apt
# sources into DIR/debs. The tests build a signed repository from them
# (apt-ftparchive, gpg) and serve it on loopback, so they never read the
# public archive themselves. A second set, DIR/upgrades, holds newer
# versions of the corpus's debian-outdated packages (bookworm point and
# security updates), for the `temper build` upgrade tests.
#   scripts/apt-repo-fixture.sh [DIR]   (DIR default $TEMPER_APT_FIXTURE, else ~/.cache/temper-apt-fixture)
# Idempotent: skipped when DIR/debs/.done matches the pin list. A pinned version
# the sources no longer carry (a point release replaced it) falls back to the
# candidate version; what was really fetched is recorded, one `name=version`
# a line, in DIR/debs/versions.txt (and the fallbacks in DIR/debs/fallbacks.txt).
# Installs apt-utils (apt-ftparchive), gpg and xz-utils when missing.
set -euo pipefail
DIR=${1:-${TEMPER_APT_FIXTURE:-$HOME/.cache/temper-apt-fixture}}

pins=(
  curl=7.88.1-10+deb12u15
  gcc-12-base=12.2.0-14+deb12u1
  libbrotli1=1.0.9-2+deb12u1
  libc6=2.36-9+deb12u14
  libcom-err2=1.47.0-2+b2
  libcurl4=7.88.1-10+deb12u15
  libdb5.3=5.3.28+dfsg2-1
  libffi8=3.4.4-1
  libgcc-s1=12.2.0-14+deb12u1
  libgmp10=2:6.2.1+dfsg1-1.1
  libgnutls30=3.7.9-2+deb12u7
  libgssapi-krb5-2=1.20.1-2+deb12u5
  libhogweed6=3.8.1-2
  libidn2-0=2.3.3-1+b1
  libk5crypto3=1.20.1-2+deb12u5
  libkeyutils1=1.6.3-2
  libkrb5-3=1.20.1-2+deb12u5
  libkrb5support0=1.20.1-2+deb12u5
  libldap-2.5-0=2.5.13+dfsg-5
  libnettle8=3.8.1-2
  libnghttp2-14=1.52.0-1+deb12u3
  libp11-kit0=0.24.1-2
  libpsl5=0.21.2-1
  librtmp1=2.4+20151223.gitfa8646d.1-2+b2
  libsasl2-2=2.1.28+dfsg-10+deb12u1
  libsasl2-modules-db=2.1.28+dfsg-10+deb12u1
  libssh2-1=1.10.0-3+deb12u1
  libssl3=3.0.22-1~deb12u2
  libtasn1-6=4.19.0-2+deb12u1
  libunistring2=1.0-2
  libzstd1=1.5.4+dfsg2-5+deb12u1
  zlib1g=1:1.2.13.dfsg-1+deb12u1
)

need=()
command -v apt-ftparchive >/dev/null || need+=(apt-utils)
command -v gpg >/dev/null || need+=(gpg)
command -v xz >/dev/null || need+=(xz-utils)
if ((${#need[@]})); then
  echo "==> installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# fetch_set SUBDIR PIN...: downloads the pins into DIR/SUBDIR unless done.
fetch_set() {
  local debs=$DIR/$1
  shift
  local want
  want=$(printf '%s\n' "$@" | sha256sum | cut -d' ' -f1)
  if [[ -f $debs/.done && $(cat "$debs/.done") == "$want" ]]; then
    return 0
  fi
  echo "==> downloading $# pinned Debian packages into $debs (once)"
  rm -rf "$debs.part"
  mkdir -p "$debs.part"
  (
    cd "$debs.part"
    # The lists may be stale or missing on a fresh machine.
    apt-get update -qq || true
    : >versions.txt
    : >fallbacks.txt
    for pin in "$@"; do
      name=${pin%%=*}
      if ! apt-get download -qq "$pin" 2>/dev/null; then
        echo "apt-repo-fixture: $pin is gone from the sources; taking the candidate version" >&2
        apt-get download -qq "$name"
        echo "$pin" >>fallbacks.txt
      fi
    done
    for deb in *.deb; do
      echo "$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)" >>versions.txt
    done
    echo "$want" >.done
  )
  rm -rf "$debs"
  mv "$debs.part" "$debs"
}

# Newer versions of debian-outdated's packages than the image has (it lacks
# bookworm's point and security updates).
upgrades=(
  apt=2.6.2
  ca-certificates=20250419~deb12u2
  libapt-pkg6.0=2.6.2
  libbrotli1=1.0.9-2+deb12u1
  libexpat1=2.5.0-1+deb12u5
  liblzma5=5.4.1-1+deb12u2
  libpam-modules=1.5.2-6+deb12u3
  libpam-modules-bin=1.5.2-6+deb12u3
  libpam-runtime=1.5.2-6+deb12u3
  libpam0g=1.5.2-6+deb12u3
  libpcre2-8-0=10.42-1+deb12u2
  libperl5.36=5.36.0-7+deb12u4
  libpython3.11-minimal=3.11.2-6+deb12u9
  libsasl2-2=2.1.28+dfsg-10+deb12u1
  libsasl2-modules-db=2.1.28+dfsg-10+deb12u1
  libssh2-1=1.10.0-3+deb12u1
  libssl3=3.0.22-1~deb12u2
  libzstd1=1.5.4+dfsg2-5+deb12u1
  nginx=1.22.1-9+deb12u12
  nginx-common=1.22.1-9+deb12u12
  nginx-light=1.22.1-9+deb12u12
  openssl=3.0.22-1~deb12u2
  perl=5.36.0-7+deb12u4
  perl-base=5.36.0-7+deb12u4
  perl-modules-5.36=5.36.0-7+deb12u4
  python3.11-minimal=3.11.2-6+deb12u9
  tzdata=2026f-0+deb12u1
  zlib1g=1:1.2.13.dfsg-1+deb12u1
)

fetch_set debs "${pins[@]}"
fetch_set upgrades "${upgrades[@]}"
