#!/usr/bin/env bash
# Makes the venv bench/feature-store runs Feast in (~/.cache/flywheel/bench-feast/<requirements
# digest>, or FEAST_VENV) from PyPI and prints its python:
#   FEAST_PYTHON=$(bench/feature-store/setup-feast.sh) node bench/feature-store/feast-bench.ts
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
key="$(sha256sum "$here/requirements.txt" | cut -c1-16)"
venv="${FEAST_VENV:-$HOME/.cache/flywheel/bench-feast/$key}"
stamp="$venv/.flywheel-$key"
if [ ! -f "$stamp" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  touch "$stamp"
fi
echo "$venv/bin/python"
