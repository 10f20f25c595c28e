#!/usr/bin/env bash
# Installs NVIDIA's perf_analyzer for services/serving's Triton-compatibility test, idempotently:
# a venv of its own (apart from the test clients' one: it pins an older tritonclient) at
# $FLYWHEEL_CACHE/perf-analyzer-venv/<hash of requirements.txt>, plus Debian's libb64-0d.
# Prints the path of a perf_analyzer that runs (a wrapper setting LD_LIBRARY_PATH to libcudart).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${FLYWHEEL_CACHE:-$HOME/.cache/flywheel}"
req="$here/requirements.txt"
venv="$cache/perf-analyzer-venv/$(sha256sum "$req" | cut -c1-16)"
log() { printf '\033[1m[perf-analyzer]\033[0m %s\n' "$*" >&2; }

if ! dpkg-query -W -f='${Status}' libb64-0d 2>/dev/null | grep -q 'install ok installed'; then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  log "apt-get install libb64-0d"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libb64-0d >/dev/null
fi

if [ ! -f "$venv/.installed" ]; then
  log "installing perf_analyzer into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  cudart="$("$venv/bin/python" -c 'import nvidia.cuda_runtime, os; print(os.path.join(nvidia.cuda_runtime.__path__[0], "lib"))')"
  cat >"$venv/perf_analyzer" <<WRAPPER
#!/bin/sh
LD_LIBRARY_PATH="$cudart\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$venv/bin/perf_analyzer" "\$@"
WRAPPER
  chmod +x "$venv/perf_analyzer"
  "$venv/perf_analyzer" --version >/dev/null 2>&1 || "$venv/perf_analyzer" --help >/dev/null 2>&1 ||
    { log "perf_analyzer does not run"; exit 1; }
  touch "$venv/.installed"
fi
echo "$venv/perf_analyzer"
