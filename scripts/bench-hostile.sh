#!/usr/bin/env bash
# Times hostile and ordinary-but-awkward inputs (issue 12) with two temper
# binaries, before and after: wall time, peak RSS and exit code per case, and
# the memory each tar entry costs. A run past the time limit counts as a hang.
#
#   scripts/bench-hostile.sh OLD_TEMPER NEW_TEMPER [SECONDS]
#
# GENERATORS="layers jars" limits the case generators; RUNS=N the big-node runs.
#
# Cases come from scripts/hostile/*.py: each writes its inputs into a scratch
# directory and prints `<case>\t<temper arguments>` lines. Nothing is written
# inside the repository; every run gets an empty cache.
set -euo pipefail
old=$(realpath "$1")
new=$(realpath "$2")
limit=${3:-120}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cases="$work/cases.tsv"
for gen in "$here"/hostile/*.py; do
    [ "$(basename "$gen")" = imagelib.py ] && continue
    [ -n "${GENERATORS:-}" ] && [[ " $GENERATORS " != *" $(basename "$gen" .py) "* ]] && continue
    mkdir -p "$work/in/$(basename "$gen" .py)"
    (cd "$here/hostile" && python3 "$gen" "$work/in/$(basename "$gen" .py)") >>"$cases"
done

# Runs one case; prints "seconds peak-MiB exit".
run() {
    local bin=$1 args=$2 cache
    cache=$(mktemp -d "$work/cache.XXXX")
    local code=0
    # shellcheck disable=SC2086 # the case's arguments are split on purpose
    XDG_CACHE_HOME=$cache /usr/bin/time -f "%e %M" -o "$work/time" \
        timeout --kill-after=5 "$limit" "$bin" $args >/dev/null 2>"$work/stderr" || code=$?
    rm -rf "$cache"
    # time(1) puts "Command exited with non-zero status N" first.
    read -r secs kib < <(tail -n 1 "$work/time") || { secs=?; kib=0; }
    [ "$code" = 124 ] || [ "$code" = 137 ] && secs="hang>$limit"
    printf '%s %s %s' "$secs" "$((kib / 1024))" "$code"
}

printf '%-34s %14s %9s %4s   %14s %9s %4s\n' case old-seconds old-MiB exit new-seconds new-MiB exit
while IFS=$'\t' read -r name args; do
    read -r os om oc <<<"$(run "$old" "$args")"
    read -r ns nm nc <<<"$(run "$new" "$args")"
    printf '%-34s %14s %9s %4s   %14s %9s %4s\n' "$name" "$os" "$om" "$oc" "$ns" "$nm" "$nc"
    echo "$name $nm" >>"$work/peaks"
done <"$cases"

# Bytes per entry: the peak difference between the two entry-count cases.
small=$(awk '$1 == "entries-250k-layers" {print $2}' "$work/peaks")
large=$(awk '$1 == "entries-500k-layers" {print $2}' "$work/peaks")
if [ -n "$small" ] && [ -n "$large" ]; then
    echo "memory per tar entry (temper layers, new): $(( (large - small) * 1048576 / 250000 )) bytes"
fi

# The ordinary case must not pay for the guards: `temper layers` on the
# corpus's big-node, old and new alternating, user+system CPU and wall time.
big=${TEMPER_CORPUS:-$HOME/.cache/temper-corpus}/oci/big-node
if [ -f "$big/index.json" ]; then
    runs=${RUNS:-5}
    for bin in "$old" "$new"; do "$bin" layers "$big" >/dev/null; done # warm the page cache
    for ((r = 0; r < runs; r++)); do
        for side in old new; do
            bin=$old; [ $side = new ] && bin=$new
            /usr/bin/time -f "$side %e %U %S %M" -a -o "$work/big" "$bin" layers "$big" >/dev/null
        done
    done
    awk -v runs="$runs" '{ wall[$1] += $2; cpu[$1] += $3 + $4; mem[$1] = $5 }
        END { for (s in wall) printf "big-node temper layers (%s, mean of %d): %.2f s wall, %.2f s CPU, %d MiB peak\n", s, runs, wall[s] / runs, cpu[s] / runs, mem[s] / 1024 }' "$work/big" | sort
fi
