#!/usr/bin/env bash
# Installs Debian's chromium for the console's browser test, idempotently (apt-get only when it is
# missing), and prints the path of the binary. playwright-core drives it (executablePath): no
# browser download from outside the package registries.
set -euo pipefail
log() { printf '\033[1m[browser]\033[0m %s\n' "$*" >&2; }

if ! command -v chromium >/dev/null 2>&1; then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  log "apt-get install chromium"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
command -v chromium
