#!/usr/bin/env bash
# Benchmark of policy evaluation (crates/temper-policy/examples/eval_loop.rs): the
# example policy (built-in rules and four Rego policies) on the example assessments,
# latency from one thread and throughput from THREADS sharing one loaded policy.
# The admission webhook's target is 1,000 evaluations a second.
#   scripts/bench-policy.sh [RUNS] [THREADS]   (defaults 2000, 2)
# Writes nothing into the repo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${1:-2000}
THREADS=${2:-2}
cargo build --release --quiet -p temper-policy --example eval_loop
target/release/examples/eval_loop examples/policy/policy.toml "$RUNS" "$THREADS" examples/policy/inputs/*.json
