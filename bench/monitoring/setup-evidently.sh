#!/usr/bin/env bash
# Makes the venv bench/monitoring runs Evidently in (default ~/.cache/flywheel/evidently-venv) and
# prints its python: EVIDENTLY_PYTHON=$(bench/monitoring/setup-evidently.sh) node bench/monitoring/drift-bench.ts
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${EVIDENTLY_VENV:-$HOME/.cache/flywheel/evidently-venv}"
stamp="$venv/.flywheel-$(sha256sum "$here/requirements.txt" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  touch "$stamp"
fi
echo "$venv/bin/python"
