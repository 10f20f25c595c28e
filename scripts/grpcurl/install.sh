#!/usr/bin/env bash
# Builds grpcurl (github.com/fullstorydev/grpcurl) from the Go module proxy, once, into
# $FLYWHEEL_CACHE/bin/grpcurl-<version> (the name carries the version, so a bump rebuilds), for the
# test that runs the service READMEs' grpcurl examples. Prints the binary's path.
set -euo pipefail
version=v1.9.3
cache="${FLYWHEEL_CACHE:-$HOME/.cache/flywheel}"
dest="$cache/bin/grpcurl-$version"
log() { printf '\033[1m[grpcurl]\033[0m %s\n' "$*" >&2; }

if [[ ! -x "$dest" ]]; then
  command -v go >/dev/null || { log "go is needed to build grpcurl"; exit 1; }
  log "go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$version (a minute or two)"
  mkdir -p "$cache/bin" "$cache/tmp"
  work="$(mktemp -d "$cache/tmp/grpcurl.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  # GOTOOLCHAIN=local: never fetch another Go toolchain; CGO off: no C compiler needed.
  GOBIN="$work" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
    go install -trimpath -ldflags="-s -w -X main.version=$version" \
    "github.com/fullstorydev/grpcurl/cmd/grpcurl@$version" >&2
  mv "$work/grpcurl" "$dest.tmp" && mv "$dest.tmp" "$dest" # atomic: a parallel build never sees half a file
fi
echo "$dest"
