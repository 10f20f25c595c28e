#!/usr/bin/env bash
# A throwaway certificate authority for the secured test servers and clients, made with openssl.
#
# Usage: scripts/servers/test-ca.sh ensure                 CA + a loopback server certificate
#        scripts/servers/test-ca.sh client NAME [CA]       a client certificate, CN=NAME and
#                                                          SAN URI spiffe://flywheel/NAME
#        scripts/servers/test-ca.sh ca NAME                another CA (for "wrong CA" tests)
#        scripts/servers/test-ca.sh dir                    prints the directory
#
# Everything lives in ${FLYWHEEL_TLS_DIR:-<run dir>/tls}; a file that exists is reused, so every
# command is idempotent and cheap. Keys are EC P-256 (fast to make, accepted by Java, Go, Node and
# Python). The server certificate names 127.0.0.1, ::1 and localhost, and is valid for both server
# and client auth, so one certificate serves every loopback server and service-to-service mTLS.
# Paths printed: NAME.pem (certificate), NAME-key.pem (PKCS#8 key), CA.pem.
set -euo pipefail

HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUN="${FLYWHEEL_RUN_DIR:-$REPO/.run/servers}"
DIR="${FLYWHEEL_TLS_DIR:-$RUN/tls}"
DAYS=825

die() { printf '[test-ca] ERROR: %s\n' "$*" >&2; exit 1; }

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

make_ca() { # make_ca NAME
  local name="$1"
  [[ -s "$DIR/$name.pem" ]] && return 0
  new_key "$DIR/$name-key.pem.tmp"
  openssl req -x509 -new -key "$DIR/$name-key.pem.tmp" -sha256 -days "$DAYS" \
    -subj "/O=Flywheel tests/CN=$name" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$DIR/$name.pem.tmp" 2>/dev/null
  mv "$DIR/$name-key.pem.tmp" "$DIR/$name-key.pem"
  mv "$DIR/$name.pem.tmp" "$DIR/$name.pem"
}

issue() { # issue NAME CA SUBJECT_ALT_NAMES EXTENDED_KEY_USAGE
  local name="$1" ca="$2" san="$3" eku="$4"
  [[ -s "$DIR/$name.pem" ]] && return 0
  new_key "$DIR/$name-key.pem.tmp"
  openssl req -new -key "$DIR/$name-key.pem.tmp" -subj "/O=Flywheel tests/CN=$name" \
    -out "$DIR/$name.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\nsubjectAltName=%s\n' \
    "$eku" "$san" >"$DIR/$name.ext"
  openssl x509 -req -in "$DIR/$name.csr" -CA "$DIR/$ca.pem" -CAkey "$DIR/$ca-key.pem" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 -extfile "$DIR/$name.ext" \
    -out "$DIR/$name.pem.tmp" 2>/dev/null
  rm -f "$DIR/$name.csr" "$DIR/$name.ext"
  mv "$DIR/$name-key.pem.tmp" "$DIR/$name-key.pem"
  mv "$DIR/$name.pem.tmp" "$DIR/$name.pem"
}

ensure() {
  command -v openssl >/dev/null 2>&1 || die "'openssl' not found on PATH"
  mkdir -p "$DIR"
  chmod 700 "$DIR"
  make_ca ca
  issue server ca "IP:127.0.0.1,IP:::1,DNS:localhost" "serverAuth,clientAuth"
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    ensure) ensure; echo "$DIR" ;;
    client)
      [[ $# -ge 1 ]] || die "usage: test-ca.sh client NAME [CA]"
      [[ "$1" =~ ^[A-Za-z0-9._-]+$ ]] || die "client name '$1': letters, digits, . _ - only"
      ensure
      local ca="${2:-ca}"
      [[ -s "$DIR/$ca.pem" ]] || die "no CA named '$ca' in $DIR (make it with: test-ca.sh ca $ca)"
      issue "$1" "$ca" "URI:spiffe://flywheel/$1" "clientAuth"
      echo "$DIR/$1.pem"
      ;;
    ca)
      [[ $# -eq 1 && "$1" =~ ^[A-Za-z0-9._-]+$ ]] || die "usage: test-ca.sh ca NAME"
      mkdir -p "$DIR"
      make_ca "$1"
      echo "$DIR/$1.pem"
      ;;
    dir) echo "$DIR" ;;
    *) die "usage: test-ca.sh ensure | client NAME [CA] | ca NAME | dir" ;;
  esac
}

main "$@"
