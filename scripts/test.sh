#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need from Debian,
# builds the shared corpus once into a cache outside the clone, then runs every test.
#   TEMPER_CORPUS   corpus cache (default ~/.cache/temper-corpus)
#   TEMPER_SHARED   the shared directory (default: ../shared beside the clone)
#   TEMPER_PEERS    reference tools built for comparisons (default ~/.cache/temper-peers)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SHARED=${TEMPER_SHARED:-$(cd .. && pwd)/shared}
export TEMPER_CORPUS=${TEMPER_CORPUS:-$HOME/.cache/temper-corpus}

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v podman >/dev/null || need+=(podman)
command -v umoci >/dev/null || need+=(umoci)
command -v openssl >/dev/null || need+=(openssl)
# The HTML report is checked in a real browser (crates/temper/tests/report.rs).
command -v chromium >/dev/null || need+=(chromium)
# The fleet tests start a PostgreSQL server of their own (initdb in a temporary
# directory); Debian keeps its binaries off PATH, under /usr/lib/postgresql/N/bin.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if ((${#need[@]})); then
  echo "==> installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# cargo-audit, the reference the Rust binary's findings are compared with
# (tests/cargo_audit.rs); built once into a cache outside the clone.
peers=${TEMPER_PEERS:-$HOME/.cache/temper-peers}
export TEMPER_CARGO_AUDIT=${TEMPER_CARGO_AUDIT:-$peers/cargo-audit/bin/cargo-audit}
if [[ ! -x $TEMPER_CARGO_AUDIT ]]; then
  echo "==> installing cargo-audit 0.22.2 into $peers/cargo-audit (a few minutes, once)"
  cargo install --locked --quiet cargo-audit --version 0.22.2 --root "$peers/cargo-audit"
  TEMPER_CARGO_AUDIT=$peers/cargo-audit/bin/cargo-audit
fi

# The SPDX project's and CycloneDX's own validators (tests/sbom_interop.rs runs
# them on every corpus SBOM), pinned, in a virtual environment outside the clone.
# CI must have them; offline, a local run goes on and that test says it skipped.
export TEMPER_SBOM_VALIDATORS=${TEMPER_SBOM_VALIDATORS:-$peers/sbom-validators}
pins=(spdx-tools==0.8.5 'cyclonedx-python-lib[json-validation]==11.12.0')
if [[ ! -x $TEMPER_SBOM_VALIDATORS/bin/pyspdxtools || $(cat "$TEMPER_SBOM_VALIDATORS/.temper-pins" 2>/dev/null) != "${pins[*]}" ]]; then
  echo "==> installing ${pins[*]} into $TEMPER_SBOM_VALIDATORS"
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    # A failure here (offline) shows below as a venv that cannot be made.
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv; } || true
  fi
  rm -rf "$TEMPER_SBOM_VALIDATORS"
  if python3 -m venv "$TEMPER_SBOM_VALIDATORS" && "$TEMPER_SBOM_VALIDATORS/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"; then
    echo "${pins[*]}" >"$TEMPER_SBOM_VALIDATORS/.temper-pins"
  elif [[ ${CI:-} == true ]]; then
    echo "error: could not install the SBOM validators" >&2
    exit 1
  else
    echo "warning: could not install the SBOM validators (offline?); their test will skip" >&2
    rm -rf "$TEMPER_SBOM_VALIDATORS"
  fi
fi

# npm's @sigstore/verify and PyPI's securesystemslib, pinned, which must accept
# temper-trust's bundles and DSSE envelopes (crates/temper-trust/tests/interop.rs).
export TEMPER_TRUST_VERIFIERS=${TEMPER_TRUST_VERIFIERS:-$peers/trust-verifiers}
if ! scripts/trust-verifiers.sh "$TEMPER_TRUST_VERIFIERS"; then
  [[ ${CI:-} == true ]] && { echo "error: could not install the trust verifiers" >&2; exit 1; }
  echo "warning: could not install the trust verifiers (offline?); their test will skip" >&2
fi

# rego-cpp (PyPI regopy), a second Rego engine whose deny and warn sets must equal
# temper's on every example policy (crates/temper-policy/tests/regopy.rs).
export TEMPER_REGOPY=${TEMPER_REGOPY:-$peers/regopy}
if ! scripts/policy-peers.sh "$TEMPER_REGOPY"; then
  [[ ${CI:-} == true ]] && { echo "error: could not install regopy" >&2; exit 1; }
  echo "warning: could not install regopy (offline?); its test will skip" >&2
fi
# PyPI's jsonpatch, pinned, which must apply the webhook's digest-pinning patches
# (crates/temper-serve/tests/webhook.rs).
export TEMPER_JSONPATCH=${TEMPER_JSONPATCH:-$peers/jsonpatch}
if ! scripts/jsonpatch-peer.sh "$TEMPER_JSONPATCH"; then
  [[ ${CI:-} == true ]] && { echo "error: could not install jsonpatch" >&2; exit 1; }
  echo "warning: could not install jsonpatch (offline?); its test will skip" >&2
fi

# The corpus is rebuilt only when missing or when its build scripts changed.
stamp="$TEMPER_CORPUS/.temper-stamp"
want=$(cat "$SHARED/corpus/build-corpus.sh" "$SHARED/corpus/corpus_tools.py" | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" || ! -d $TEMPER_CORPUS/expected ]]; then
  echo "==> building the corpus into $TEMPER_CORPUS (several minutes, once)"
  mkdir -p "$TEMPER_CORPUS"
  "$SHARED/corpus/build-corpus.sh" "$TEMPER_CORPUS" --advisories "$SHARED/advisories/osv"
  echo "$want" >"$stamp"
  rm -f "$TEMPER_CORPUS/.temper-stamp-outdated"
fi

# debian-outdated (Debian matching against real changelog-derived records) is a
# separate script that must run after every corpus build.
stamp2="$TEMPER_CORPUS/.temper-stamp-outdated"
want2=$(cat "$SHARED/corpus/build-debian-outdated.sh" "$SHARED/corpus/corpus_tools.py" | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp2 || $(cat "$stamp2") != "$want2" || ! -f $TEMPER_CORPUS/expected/debian-outdated.json ]]; then
  echo "==> building debian-outdated into $TEMPER_CORPUS (about 2 minutes, once)"
  "$SHARED/corpus/build-debian-outdated.sh" "$TEMPER_CORPUS" --advisories "$SHARED/advisories/osv"
  echo "$want2" >"$stamp2"
fi

# Real public Dockerfiles (scripts/dockerfile-corpus.sh; fetched once, pinned by
# hash): every one must parse (temper-dockerfile tests/corpus.rs) and the secret
# rule's precision is measured on them (temper-lint tests/secret_precision.rs).
export TEMPER_DOCKERFILES=${TEMPER_DOCKERFILES:-$HOME/.cache/temper-dockerfiles}
if ! scripts/dockerfile-corpus.sh "$TEMPER_DOCKERFILES"; then
  [[ ${CI:-} == true ]] && { echo "error: could not fetch the Dockerfile corpus" >&2; exit 1; }
  echo "warning: could not fetch the Dockerfile corpus (offline?); its test will skip" >&2
fi

# Real Debian packages (curl and its dependencies, pinned) from which the
# temper-apt tests build a signed repository served on loopback; the script
# also installs apt-ftparchive (apt-utils) and gpg.
export TEMPER_APT_FIXTURE=${TEMPER_APT_FIXTURE:-$HOME/.cache/temper-apt-fixture}
if ! scripts/apt-repo-fixture.sh "$TEMPER_APT_FIXTURE"; then
  [[ ${CI:-} == true ]] && { echo "error: could not fetch the apt repository fixture" >&2; exit 1; }
  echo "warning: could not fetch the apt repository fixture (offline?); its tests will skip" >&2
fi

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast --tests
fi
cargo test --workspace --doc --quiet
