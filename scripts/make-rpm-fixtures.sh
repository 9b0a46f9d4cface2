#!/usr/bin/env bash
# Regenerates the rpm database fixtures in
# crates/temper-inventory/tests/fixtures/rpm/ and the rpm fuzz seeds in
# fuzz/seeds/catalog_rpm_*/ with Debian's rpm tools (apt-get install rpm
# db5.3-util sqlite3 gpg). The tests only read the committed files; rpm
# is not needed to run them.
#
# What it makes, from three tiny packages built here with rpmbuild
# (`hello` 2:1.0-1 x86_64 with its subpackage `hello-libs`, and `world`
# 0.1-3 noarch) and a signing key imported as rpm's `gpg-pubkey`
# pseudo-package:
#   rpmdb.sqlite      rpm's own SQLite database: hello, world, the key
#   rpmdb-2.sqlite    the same after `rpm -e world` and installing
#                     hello-libs (the next layer of an image)
#   Packages          the first database's header blobs in a Berkeley DB
#                     hash file (written by db5.3_load, 512-byte pages so
#                     headers span overflow pages, record 0 holding rpm's
#                     counter), checked by reading it back with rpm's
#                     bdb_ro backend
#   Packages.db       the same blobs in rpm's NDB format; Debian's rpm is
#                     built without NDB, so this one is written by the
#                     Python below from the layout in rpm's
#                     lib/backend/ndb/rpmpkg.c
#   header-*.bin      single header blobs, the header parser's fuzz seeds
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/crates/temper-inventory/tests/fixtures/rpm
seeds=$root/fuzz/seeds
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$seeds"/catalog_rpm_{sqlite,bdb,ndb,header}

export SOURCE_DATE_EPOCH=1700000000
cat > "$work/hello.spec" <<'EOF'
Name: hello
Epoch: 2
Version: 1.0
Release: 1
Summary: hello
License: MIT
%global debug_package %{nil}
%description
hello
%package libs
Summary: hello libraries
License: MIT AND BSD-3-Clause
%description libs
libs
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/lib64
printf '#!/bin/sh\necho hello\n' > %{buildroot}/usr/bin/hello
printf 'lib\n' > %{buildroot}/usr/lib64/libhello.so.1
%files
/usr/bin/hello
%files libs
/usr/lib64/libhello.so.1
EOF
cat > "$work/world.spec" <<'EOF'
Name: world
Version: 0.1
Release: 3
Summary: world
License: GPL-2.0-or-later
BuildArch: noarch
%description
world
%install
mkdir -p %{buildroot}/usr/share/world %{buildroot}/usr/lib/python3.12/site-packages/world-0.1.dist-info
printf 'data\n' > %{buildroot}/usr/share/world/data.txt
printf 'Metadata-Version: 2.1\nName: world\nVersion: 0.1\n' > %{buildroot}/usr/lib/python3.12/site-packages/world-0.1.dist-info/METADATA
%files
/usr/share/world/data.txt
/usr/lib/python3.12/site-packages/world-0.1.dist-info/METADATA
EOF
for spec in hello world; do
    rpmbuild --quiet -bb --define "_topdir $work/top" --define "_build_id_links none" --target x86_64 "$work/$spec.spec" >/dev/null
done
rpms=$work/top/RPMS

# A throwaway signing key, so the database holds a gpg-pubkey entry.
export GNUPGHOME=$work/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'temper fixtures <fixtures@example.invalid>' ed25519 sign never
gpg --batch --quiet --armor --export > "$work/key.asc"

db=$work/root
rpm_() { rpm --root "$db" --define '_db_backend sqlite' --define '_dbpath /var/lib/rpm' "$@"; }
rpm_ --initdb
rpm_ --import "$work/key.asc"
rpm_ -i --quiet --justdb --nodeps --noscripts "$rpms/x86_64/hello-1.0-1.x86_64.rpm" "$rpms/noarch/world-0.1-3.noarch.rpm"
# Checkpointed, not WAL (as rpm leaves it after a transaction), and
# compacted into 1 KiB pages, which rpm reads as well: 4 KiB pages would
# make each of the two dozen index tables cost 4 KiB.
compact() { sqlite3 "$1" 'PRAGMA journal_mode=DELETE; PRAGMA page_size=1024; VACUUM;' >/dev/null; }
compact "$db/var/lib/rpm/rpmdb.sqlite"
[ "$(rpm_ -qa | wc -l)" = 3 ]
cp "$db/var/lib/rpm/rpmdb.sqlite" "$out/rpmdb.sqlite"
# The blobs, by package number, for the other backends.
sqlite3 "$db/var/lib/rpm/rpmdb.sqlite" 'SELECT hnum, hex(blob) FROM Packages ORDER BY hnum' > "$work/blobs"

rpm_ -e --justdb --nodeps --noscripts world
rpm_ -i --quiet --justdb --nodeps --noscripts "$rpms/x86_64/hello-libs-1.0-1.x86_64.rpm"
compact "$db/var/lib/rpm/rpmdb.sqlite"
cp "$db/var/lib/rpm/rpmdb.sqlite" "$out/rpmdb-2.sqlite"

# Berkeley DB: db_load's bytevalue dump format, keys as rpm writes them
# (the package number, host byte order), record 0 the next free number.
python3 - "$work/blobs" > "$work/dump" <<'EOF'
import struct, sys
rows = [l.strip().split('|') for l in open(sys.argv[1]) if l.strip()]
print("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=512\nHEADER=END")
print(" " + struct.pack('<I', 0).hex())
print(" " + struct.pack('<I', max(int(h) for h, _ in rows) + 1).hex())
for h, blob in rows:
    print(" " + struct.pack('<I', int(h)).hex())
    print(" " + blob.lower())
print("DATA=END")
EOF
rm -f "$out/Packages"
db5.3_load -f "$work/dump" "$out/Packages"
bdb=$work/bdb/var/lib/rpm
mkdir -p "$bdb"
cp "$out/Packages" "$bdb/"
rpm --root "$work/bdb" 2>/dev/null --define '_db_backend bdb_ro' --define '_dbpath /var/lib/rpm' -qa --qf '%{NAME}\n' | sort > "$work/bdb-names"
printf 'gpg-pubkey\nhello\nworld\n' | cmp - "$work/bdb-names"

# NDB, laid out as rpmpkg.c writes it: header, one slot page, 16-byte
# blocks of blobs framed by head, tail and Adler-32.
python3 - "$work/blobs" "$out/Packages.db" <<'EOF'
import struct, sys, zlib
rows = [l.strip().split('|') for l in open(sys.argv[1]) if l.strip()]
page = bytearray(4096)
struct.pack_into('<4sIIII', page, 0, b'RpmP', 0, 1, 1, len(rows) + 1)
for o in range(32, 4096, 16):
    page[o:o + 4] = b'Slot'
body = bytearray()
for i, (h, blob) in enumerate(rows):
    blob = bytes.fromhex(blob)
    idx = int(h)
    blkoff = (4096 + len(body)) // 16
    blkcnt = (16 + len(blob) + 12 + 15) // 16
    struct.pack_into('<III', page, 32 + 16 * i + 4, idx, blkoff, blkcnt)
    b = struct.pack('<4sIII', b'BlbS', idx, 1700000000, len(blob)) + blob
    b += bytes(blkcnt * 16 - 12 - len(b))
    b += struct.pack('<II4s', zlib.adler32(b), len(blob), b'BlbE')
    body += b
open(sys.argv[2], 'wb').write(bytes(page) + bytes(body))
EOF

# Fuzz seeds: the databases, and each header blob alone.
# The SQLite seed keeps only the Packages table (the indexes are derived
# from it and never read), in 512-byte pages: small inputs fuzz faster.
cp "$out/rpmdb.sqlite" "$work/seed.sqlite"
sqlite3 "$work/seed.sqlite" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('Packages', 'sqlite_sequence')" |
    while read -r t; do sqlite3 "$work/seed.sqlite" "DROP TABLE \"$t\""; done
sqlite3 "$work/seed.sqlite" 'PRAGMA page_size=512; VACUUM;' >/dev/null
cp "$work/seed.sqlite" "$seeds/catalog_rpm_sqlite/rpmdb.sqlite"
cp "$out/Packages" "$seeds/catalog_rpm_bdb/Packages"
cp "$out/Packages.db" "$seeds/catalog_rpm_ndb/Packages.db"
while IFS='|' read -r h blob; do
    printf '%s' "$blob" | xxd -r -p > "$seeds/catalog_rpm_header/header-$h.bin"
done < "$work/blobs"
ls -l "$out" "$seeds"/catalog_rpm_*
