#!/usr/bin/env bash
# Installs the serving peers that bench/serving/perf-analyzer-bench.ts compares Flywheel with, from
# PyPI, one venv per peer at $FLYWHEEL_CACHE/bench/<peer>/<hash of its requirements file>:
# MLServer 1.7.1, KServe 0.21.0 and Triton Inference Server 2.51 as nvidia-pytriton 0.7.0 ships it,
# each with onnxruntime. Idempotent: a warm run only hashes three files.
# Prints one line per peer: `<peer> <venv>`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${FLYWHEEL_CACHE:-$HOME/.cache/flywheel}/bench"
log() { printf '\033[1m[bench peers]\033[0m %s\n' "$*" >&2; }

for peer in mlserver kserve pytriton; do
  req="$here/$peer.txt"
  venv="$cache/$peer/$(sha256sum "$req" | cut -c1-16)"
  if [ ! -f "$venv/.installed" ]; then
    log "installing $peer into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
    touch "$venv/.installed"
  fi
  echo "$peer $venv"
done
