#!/usr/bin/env bash
# Installs and runs REAL servers on loopback for Flywheel's integration tests, without Docker:
#   kafka  Apache Kafka (KRaft, one broker+controller), jars from Maven Central
#   nats   nats-server with JetStream (fsync on every write, TLS, a user), built from the Go module proxy
#   s3     versitygw (S3 gateway, posix backend), built from the Go module proxy
#   mongo  mongo-java-server (MongoDB wire protocol), jars from Maven Central + our launcher
#   zipkin Zipkin server (trace API and UI, in-memory storage), its exec jar from Maven Central
#   prometheus  Prometheus (Debian package), scraping the targets tests register in a directory
#   ray    a Ray head node (ray[default] from PyPI, its own venv) in a network namespace of its own,
#          its dashboard / Jobs REST API relayed to one host loopback port (needs root: unshare -n)
#   kubernetes  a Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
#          kube-scheduler, all built from the Go module proxy) with kwok simulating two nodes and
#          their pods' lifecycles (no kubelet: containers do not run)
# plus kcat (Debian package), used by tests as an external Kafka producer/consumer.
#
# Usage: scripts/servers/servers.sh install | start [name...] | stop [name...] |
#                                   restart [name...] | status | env | logs name | clean [name...]
# See scripts/servers/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${FLYWHEEL_CACHE:-$HOME/.cache/flywheel}/servers"
RUN="${FLYWHEEL_RUN_DIR:-$REPO/.run/servers}"
HOST=127.0.0.1
ALL=(kafka nats s3 mongo zipkin prometheus ray kubernetes)

# ---- versions (pinned; bump here) ------------------------------------------------------------
KAFKA_VERSION="${FLYWHEEL_KAFKA_VERSION:-4.4.0}"
KAFKA_SLF4J_VERSION=1.7.36          # slf4j-api version that kafka_2.13 4.x depends on
MONGO_SERVER_VERSION=1.47.0         # de.bwaldvogel:mongo-java-server
MONGO_SLF4J_VERSION=2.0.17          # slf4j-api version that mongo-java-server depends on
VERSITYGW_VERSION=v1.8.0
VERSITYGW_PKG=github.com/versity/versitygw/cmd/versitygw
NATS_SERVER_VERSION=v2.15.2         # >= 2.10 for sync_interval: always
NATS_SERVER_PKG=github.com/nats-io/nats-server/v2
ZIPKIN_VERSION=3.5.1                # io.zipkin:zipkin-server (exec jar; Spring Boot 3.4, Java 17)
MAVEN_DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
# Debian's kcat runs on librdkafka 2.0.2, whose SCRAM is refused by Kafka 4 (it repeats the client
# nonce: librdkafka#4895, fixed in 2.6.1). kcat runs on the librdkafka that PyPI's confluent-kafka
# wheel ships (self-contained, OpenSSL and SASL/SCRAM built in; same ABI, soname librdkafka.so.1).
CONFLUENT_KAFKA_VERSION=2.16.1
RAY_VERSION="${FLYWHEEL_RAY_VERSION:-2.60.0}"   # ray[default] from PyPI (wheels for this Python 3.11)
KUBERNETES_VERSION=v1.36.3          # k8s.io/kubernetes; its staging modules (k8s.io/api...) are v0.36.3
KUBE_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
ETCD_VERSION=v3.6.16                # go.etcd.io/etcd/server/v3 (Debian's 3.4 lacks the watch progress requests kwok needs)
KWOK_VERSION=v0.8.0                 # sigs.k8s.io/kwok

KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
MONGO_HOME="$CACHE/mongo-java-server-$MONGO_SERVER_VERSION"
VGW_BIN="$CACHE/bin/versitygw-$VERSITYGW_VERSION"
NATS_BIN="$CACHE/bin/nats-server-$NATS_SERVER_VERSION"
RDKAFKA_HOME="$CACHE/librdkafka-confluent-kafka-$CONFLUENT_KAFKA_VERSION"
KCAT="$CACHE/bin/kcat-librdkafka-$CONFLUENT_KAFKA_VERSION" # kcat on that librdkafka (a wrapper)
MONGO_CLASSES="$MONGO_HOME/classes-$(sha256sum <"$HERE/FlywheelMongoServer.java" | cut -c1-16)"
ZIPKIN_HOME="$CACHE/zipkin-$ZIPKIN_VERSION"
RAY_HOME="$CACHE/ray-$RAY_VERSION"                  # a venv with ray[default]==RAY_VERSION
KUBECTL="$CACHE/bin/kubectl-$KUBERNETES_VERSION"     # and kube-apiserver-<v>... beside it
ETCD_BIN="$CACHE/bin/etcd-$ETCD_VERSION"
KWOK_BIN="$CACHE/bin/kwok-$KWOK_VERSION"
KUBE_NAMESPACE=flywheel-test                        # made by kube-bootstrap.yaml

# ---- tunables ---------------------------------------------------------------------------------
KAFKA_HEAP="${FLYWHEEL_KAFKA_HEAP:--Xms256m -Xmx512m}"
KAFKA_AUTO_CREATE_TOPICS="${FLYWHEEL_KAFKA_AUTO_CREATE_TOPICS:-true}"
RAY_NUM_CPUS="${FLYWHEEL_RAY_NUM_CPUS:-2}"
# GPUs the Ray node advertises: Ray schedules by the number given, with no GPU present, so the
# tests can place a GPU step on Ray (the job gets CUDA_VISIBLE_DEVICES, not a GPU).
RAY_NUM_GPUS="${FLYWHEEL_RAY_NUM_GPUS:-1}"
RAY_OBJECT_STORE_BYTES="${FLYWHEEL_RAY_OBJECT_STORE_BYTES:-100000000}" # Ray's minimum is ~75 MB
MONGO_BACKEND="${FLYWHEEL_MONGO_BACKEND:-memory}"     # memory | h2 (file-backed, survives kill -9)
START_TIMEOUT="${FLYWHEEL_SERVERS_START_TIMEOUT:-120}" # seconds, per server
STOP_TIMEOUT="${FLYWHEEL_SERVERS_STOP_TIMEOUT:-30}"    # seconds before SIGKILL
PORT_WAIT="${FLYWHEEL_SERVERS_PORT_WAIT:-90}"         # seconds a restart waits for its stored ports
S3_REGION=us-east-1

log() { printf '[servers] %s\n' "$*" >&2; }
die() { printf '[servers] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }
probe() { python3 "$HERE/probe.py" "$@"; }

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "'$c' not found on PATH (needed: java, javac, mvn, go, python3)"
  done
}

valid_name() {
  case "$1" in kafka|nats|s3|mongo|zipkin|prometheus|ray|kubernetes) return 0 ;; *) die "unknown server '$1' (one of: ${ALL[*]})" ;; esac
}

# ==============================================================================================
# install
# ==============================================================================================

with_lock() { # with_lock FILE cmd...  (serialises concurrent installs/starts)
  local f="$1"; shift
  mkdir -p "$(dirname "$f")"
  (
    flock -w 900 9 || die "could not lock $f"
    "$@"
  ) 9>"$f"
}

install_apt() {
  local pkgs=()
  command -v kcat >/dev/null 2>&1 || pkgs+=(kcat)
  command -v prometheus >/dev/null 2>&1 || pkgs+=(prometheus)
  ((${#pkgs[@]})) || return 0
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install ${pkgs[*]}"
    sudo=(sudo)
  fi
  log "apt-get install ${pkgs[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
}

# Copies the runtime dependencies of a POM into DEST/lib. Runs Maven in a scratch copy of the POM
# so nothing is written next to the script.
maven_copy_deps() { # POM DEST -Dprop=value...
  local pom="$1" dest="$2"; shift 2
  local work; work="$(mktemp -d "$CACHE/tmp/mvn.XXXXXX")"
  cp "$pom" "$work/pom.xml"
  if ! (cd "$work" && mvn -B -ntp -Dstyle.color=never "$MAVEN_DEP_PLUGIN:copy-dependencies" \
      -DoutputDirectory="$work/lib" -DincludeScope=runtime "$@") >"$work/mvn.log" 2>&1; then
    tail -n 40 "$work/mvn.log" >&2
    rm -rf "$work"
    die "maven could not resolve $(basename "$pom") ($*)"
  fi
  rm -rf "${dest:?}/lib"
  mkdir -p "$dest"
  mv "$work/lib" "$dest/lib"
  rm -rf "$work"
}

stamp_of() { # a fingerprint of the inputs of one install step
  { printf '%s\n' "$@"; } | sha256sum | cut -c1-16
}

install_kafka() {
  local stamp; stamp="$(stamp_of "$KAFKA_VERSION" "$KAFKA_SLF4J_VERSION" "$(sha256sum <"$HERE/kafka-pom.xml")")"
  if [[ -f "$KAFKA_HOME/.installed" && "$(cat "$KAFKA_HOME/.installed")" == "$stamp" ]]; then return 0; fi
  log "kafka $KAFKA_VERSION: resolving jars with maven"
  maven_copy_deps "$HERE/kafka-pom.xml" "$KAFKA_HOME" \
    -Dkafka.version="$KAFKA_VERSION" -Dslf4j.version="$KAFKA_SLF4J_VERSION"
  [[ -f "$KAFKA_HOME/lib/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after maven"
  echo "$stamp" >"$KAFKA_HOME/.installed"
}

install_mongo() {
  local stamp; stamp="$(stamp_of "$MONGO_SERVER_VERSION" "$MONGO_SLF4J_VERSION" "$(sha256sum <"$HERE/mongo-pom.xml")")"
  if [[ ! -f "$MONGO_HOME/.installed" || "$(cat "$MONGO_HOME/.installed")" != "$stamp" ]]; then
    log "mongo-java-server $MONGO_SERVER_VERSION: resolving jars with maven"
    maven_copy_deps "$HERE/mongo-pom.xml" "$MONGO_HOME" \
      -Dmongo.server.version="$MONGO_SERVER_VERSION" -Dslf4j.version="$MONGO_SLF4J_VERSION"
    echo "$stamp" >"$MONGO_HOME/.installed"
  fi
  compile_mongo_launcher
}

# The launcher is compiled into a directory named after its source's hash, so checkouts with
# different launchers sharing one cache each run their own (a server already running keeps its).
compile_mongo_launcher() {
  [[ -f "$MONGO_CLASSES/FlywheelMongoServer.class" ]] && return 0
  log "mongo: compiling FlywheelMongoServer.java into $MONGO_CLASSES"
  local work; work="$(mktemp -d "$MONGO_HOME/classes.XXXXXX")"
  javac -nowarn -d "$work" -cp "$MONGO_HOME/lib/*" "$HERE/FlywheelMongoServer.java" \
    || { rm -rf "$work"; die "javac FlywheelMongoServer.java failed"; }
  mv -T "$work" "$MONGO_CLASSES" 2>/dev/null || rm -rf "$work" # another start won the race
}

# go_install_bin DEST PKG VERSION [ldflags...] : builds PKG@VERSION into the file DEST, once (an
# existing DEST is kept, so DEST's name carries the version).
go_install_bin() {
  local dest="$1" pkg="$2" version="$3"; shift 3
  [[ -x "$dest" ]] && return 0
  log "$(basename "$dest"): go install $pkg@$version (takes a minute or two)"
  local work; work="$(mktemp -d "$CACHE/tmp/go.XXXXXX")"
  # GOTOOLCHAIN=local: never fetch another Go toolchain; CGO off: no C compiler needed.
  GOBIN="$work" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
    go install -trimpath -ldflags="-s -w $*" "$pkg@$version" \
    || { rm -rf "$work"; die "go install $pkg@$version failed"; }
  local built=("$work"/*)
  if ((${#built[@]} != 1)) || [[ ! -x "${built[0]}" ]]; then
    rm -rf "$work"; die "go install $pkg@$version did not build exactly one binary"
  fi
  mkdir -p "$(dirname "$dest")"
  mv "${built[0]}" "$dest"
  rm -rf "$work"
}

# The librdkafka of the confluent-kafka wheel, and a kcat wrapper that runs Debian's kcat on it.
install_kcat_librdkafka() {
  [[ -x "$KCAT" && -f "$RDKAFKA_HOME/librdkafka.so.1" ]] && return 0
  log "kcat: librdkafka from confluent-kafka $CONFLUENT_KAFKA_VERSION (pip download)"
  local work; work="$(mktemp -d "$CACHE/tmp/rdkafka.XXXXXX")"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$work" "confluent-kafka==$CONFLUENT_KAFKA_VERSION" >&2 \
    || { rm -rf "$work"; die "pip download confluent-kafka==$CONFLUENT_KAFKA_VERSION failed"; }
  mkdir -p "$work/lib"
  python3 - "$work" <<'EOF' || { rm -rf "$work"; die "no librdkafka in the confluent-kafka wheel"; }
import glob, re, sys, zipfile
work = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(work + "/*.whl")[0])
name = next(n for n in wheel.namelist() if re.fullmatch(r"confluent_kafka\.libs/librdkafka-[0-9a-f]+\.so\.1", n))
open(work + "/lib/librdkafka.so.1", "wb").write(wheel.read(name))
EOF
  rm -rf "$RDKAFKA_HOME"
  mv "$work/lib" "$RDKAFKA_HOME"
  rm -rf "$work"
  local real; real="$(command -v kcat)"
  mkdir -p "$(dirname "$KCAT")"
  printf '#!/bin/sh\n# kcat on the librdkafka of confluent-kafka %s (see scripts/servers/servers.sh)\nLD_LIBRARY_PATH="%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "%s" "$@"\n' \
    "$CONFLUENT_KAFKA_VERSION" "$RDKAFKA_HOME" "$real" >"$KCAT.tmp"
  chmod +x "$KCAT.tmp"
  mv "$KCAT.tmp" "$KCAT"
  "$KCAT" -V >/dev/null || die "$KCAT does not run"
}

# Zipkin's exec jar, unpacked: its jars on a plain class path, plus a class-data-sharing archive
# dumped by one training start (the Spring application context refreshed, then exit). Measured on
# the loaded 2-core box: the exec jar takes ~19 s of CPU to answer /health, unpacked with the
# archive and C1 only ~4 s, which every `./flywheel test` start pays.
install_zipkin() {
  local java_bin; java_bin="$(readlink -f "$(command -v java)")"
  local stamp; stamp="$(stamp_of "$ZIPKIN_VERSION" "$java_bin" "$(zipkin_jvm_flags)")"
  if [[ -f "$ZIPKIN_HOME/.installed" && "$(cat "$ZIPKIN_HOME/.installed")" == "$stamp" ]]; then return 0; fi
  log "zipkin $ZIPKIN_VERSION: fetching the exec jar with maven, unpacking it, training a CDS archive"
  local work; work="$(mktemp -d "$CACHE/tmp/zipkin.XXXXXX")"
  if ! (cd "$work" && mvn -B -ntp -Dstyle.color=never "$MAVEN_DEP_PLUGIN:copy" \
      -Dartifact="io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" -DoutputDirectory="$work") >"$work/mvn.log" 2>&1; then
    tail -n 40 "$work/mvn.log" >&2
    rm -rf "$work"
    die "maven could not fetch io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec"
  fi
  rm -rf "$ZIPKIN_HOME"
  mkdir -p "$ZIPKIN_HOME"
  # The jar starts with a launch script, which Python's zipfile reads past. Class-data sharing
  # takes jars only, so the application's own classes become one jar too.
  python3 - "$work/zipkin-server-$ZIPKIN_VERSION-exec.jar" "$ZIPKIN_HOME" <<'PY' || { rm -rf "$work"; die "could not unpack the zipkin exec jar"; }
import os, re, sys, zipfile
src, home = sys.argv[1], sys.argv[2]
jar = zipfile.ZipFile(src)
os.makedirs(home + "/lib")
order = re.findall(r'^- "BOOT-INF/lib/([^"]+)"$', jar.read("BOOT-INF/classpath.idx").decode(), re.M)
for name in order:
    with open(home + "/lib/" + name, "wb") as f:
        f.write(jar.read("BOOT-INF/lib/" + name))
with zipfile.ZipFile(home + "/lib/zipkin-server-classes.jar", "w", zipfile.ZIP_DEFLATED) as out:
    for info in jar.infolist():
        if info.filename.startswith("BOOT-INF/classes/") and not info.is_dir():
            out.writestr(info.filename[len("BOOT-INF/classes/"):], jar.read(info))
with open(home + "/classpath", "w") as f:
    f.write(":".join([home + "/lib/zipkin-server-classes.jar"] + [home + "/lib/" + n for n in order]))
PY
  rm -rf "$work"
  local port; port="$(probe free-ports 1)"
  # shellcheck disable=SC2046  # the flags are words
  if ! STORAGE_TYPE=mem java $(zipkin_jvm_flags) -XX:ArchiveClassesAtExit="$ZIPKIN_HOME/zipkin.jsa" \
      -Dspring.context.exit=onRefresh -cp "$(cat "$ZIPKIN_HOME/classpath")" zipkin.server.ZipkinServer \
      "$(zipkin_port_arg ip "$HOST")" "$(zipkin_port_arg port "$port")" "$(zipkin_port_arg 'protocols[0]' http)" \
      >"$ZIPKIN_HOME/cds-training.log" 2>&1 || [[ ! -s "$ZIPKIN_HOME/zipkin.jsa" ]]; then
    log "zipkin: no CDS archive (see $ZIPKIN_HOME/cds-training.log); it starts without one, slower"
    rm -f "$ZIPKIN_HOME/zipkin.jsa"
  fi
  echo "$stamp" >"$ZIPKIN_HOME/.installed"
}

zipkin_jvm_flags() { # C1 only and the serial collector: start-up matters here, not peak speed
  echo "-Xms64m -Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError"
}

# Zipkin binds through Armeria's Spring Boot list of ports; a list is replaced whole, so each
# start gives ip, port and protocol of its one port (loopback only).
zipkin_port_arg() { printf -- '--armeria.ports[0].%s=%s' "$1" "$2"; }

install_versitygw() {
  go_install_bin "$VGW_BIN" "$VERSITYGW_PKG" "$VERSITYGW_VERSION" "-X main.Version=$VERSITYGW_VERSION"
}

# ray[default] (the dashboard and its Jobs REST API need the extras) in a venv of its own, keyed
# by version, on the python3 of this machine.
install_ray() {
  local py; py="$(readlink -f "$(command -v python3)")"
  local stamp; stamp="$(stamp_of "$RAY_VERSION" "$py" "$(python3 -V 2>&1)")"
  if [[ -f "$RAY_HOME/.installed" && "$(cat "$RAY_HOME/.installed")" == "$stamp" ]]; then return 0; fi
  log "ray $RAY_VERSION: pip install ray[default] into $RAY_HOME/venv (about half a minute)"
  rm -rf "$RAY_HOME"
  mkdir -p "$RAY_HOME"
  python3 -m venv "$RAY_HOME/venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$RAY_HOME/venv/bin/pip" install --quiet --disable-pip-version-check "ray[default]==$RAY_VERSION" >&2 \
    || die "pip install ray[default]==$RAY_VERSION failed"
  "$RAY_HOME/venv/bin/ray" --version >/dev/null || die "$RAY_HOME/venv/bin/ray does not run"
  echo "$stamp" >"$RAY_HOME/.installed"
}

install_nats() {
  go_install_bin "$NATS_BIN" "$NATS_SERVER_PKG" "$NATS_SERVER_VERSION"
}

# go_mod_of MODULE@VERSION : prints the path of that module's go.mod (downloaded from the proxy).
go_mod_of() {
  GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "$1" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])'
}

# go_build_scratch WORK OUTDIR PKG... : WORK holds a scratch go.mod; `go mod tidy` completes it
# and one `go build` builds every PKG into OUTDIR (shared packages compile once).
go_build_scratch() {
  local work="$1" out="$2"; shift 2
  local ldflags="$GO_SCRATCH_LDFLAGS" p
  { printf '//go:build tools\n\npackage tools\n\nimport (\n'; for p in "$@"; do printf '\t_ "%s"\n' "$p"; done; printf ')\n'; } >"$work/tools.go"
  (cd "$work" && GOTOOLCHAIN=local GOFLAGS=-buildvcs=false go mod tidy) >&2 || die "go mod tidy failed in $work"
  mkdir -p "$out"
  (cd "$work" && GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
    go build -trimpath -ldflags="-s -w $ldflags" -o "$out/" "$@") >&2 || die "go build $* failed in $work"
}

# k8s.io/kubernetes is not meant to be a dependency: its go.mod replaces each staging module
# (k8s.io/api, k8s.io/client-go...) by ./staging/src/..., so `go install pkg@version` refuses it.
# It is built in a scratch module that requires it and replaces each staging module it requires
# (k8s.io/X v0.0.0) by that module's release v0.M.P, the four commands in ONE `go build`.
install_kubernetes_commands() {
  local c missing=0
  for c in "${KUBE_COMMANDS[@]}"; do [[ -x "$CACHE/bin/$c-$KUBERNETES_VERSION" ]] || missing=1; done
  ((missing)) || return 0
  local v="$KUBERNETES_VERSION" staging="v0.${KUBERNETES_VERSION#v1.}"
  log "kubernetes $v: building ${KUBE_COMMANDS[*]} from the Go module proxy (cold: ~15 CPU-minutes)"
  local work; work="$(mktemp -d "$CACHE/tmp/kubernetes.XXXXXX")"
  local gomod; gomod="$(go_mod_of "k8s.io/kubernetes@$v")" || die "go mod download k8s.io/kubernetes@$v failed"
  {
    printf 'module flywheel.local/kubernetes-build\n\n%s\n\nrequire k8s.io/kubernetes %s\n\n' "$(grep -m1 '^go ' "$gomod")" "$v"
    awk -v s="$staging" '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print "replace " $1 " => " $1 " " s }' "$gomod" | sort -u
  } >"$work/go.mod"
  local pkgs=() minor="${v#v1.}"
  for c in "${KUBE_COMMANDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  GO_SCRATCH_LDFLAGS="-X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=1 \
-X k8s.io/component-base/version.gitMinor=${minor%%.*} -X k8s.io/component-base/version.gitTreeState=clean \
-X k8s.io/client-go/pkg/version.gitVersion=$v" go_build_scratch "$work" "$work/out" "${pkgs[@]}"
  mkdir -p "$CACHE/bin"
  for c in "${KUBE_COMMANDS[@]}"; do mv "$work/out/$c" "$CACHE/bin/$c-$v"; done
  rm -rf "$work"
}

# etcd's server module replaces its sibling modules by ../api etc. too: the same scratch build,
# each sibling pinned to the same release.
install_etcd() {
  [[ -x "$ETCD_BIN" ]] && return 0
  log "etcd $ETCD_VERSION: building from the Go module proxy (about 2 CPU-minutes)"
  local work; work="$(mktemp -d "$CACHE/tmp/etcd.XXXXXX")"
  local gomod; gomod="$(go_mod_of "go.etcd.io/etcd/server/v3@$ETCD_VERSION")" || die "go mod download etcd $ETCD_VERSION failed"
  {
    printf 'module flywheel.local/etcd-build\n\n%s\n\nrequire go.etcd.io/etcd/server/v3 %s\n\n' "$(grep -m1 '^go ' "$gomod")" "$ETCD_VERSION"
    sed -nE 's#^[[:space:]]*(go\.etcd\.io/etcd/[a-z/0-9]+) => \.\./.*#replace \1 => \1 '"$ETCD_VERSION"'#p' "$gomod" | sort -u
  } >"$work/go.mod"
  GO_SCRATCH_LDFLAGS="" go_build_scratch "$work" "$work/out" go.etcd.io/etcd/server/v3
  mkdir -p "$CACHE/bin"
  mv "$work/out/server" "$ETCD_BIN" # go names a .../server/v3 main package "server"
  rm -rf "$work"
}

kubernetes_installed() {
  local c
  for c in "${KUBE_COMMANDS[@]}"; do [[ -x "$CACHE/bin/$c-$KUBERNETES_VERSION" ]] || return 1; done
  [[ -x "$ETCD_BIN" && -x "$KWOK_BIN" ]]
}

install_kubernetes() {
  install_kubernetes_commands
  install_etcd
  go_install_bin "$KWOK_BIN" sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION"
}

do_install() {
  need_cmd java javac mvn go python3 flock sha256sum
  mkdir -p "$CACHE/tmp"
  install_apt
  install_kcat_librdkafka
  install_kafka
  install_mongo
  install_nats
  install_versitygw
  install_zipkin
  install_ray
  install_kubernetes
  log "installed into $CACHE"
}

# install_only name... : installs what the named servers need, nothing else.
install_only() {
  local n
  mkdir -p "$CACHE/tmp"
  for n in "$@"; do
    case "$n" in
      kafka) need_cmd java mvn python3; install_apt; install_kcat_librdkafka; install_kafka ;;
      nats) need_cmd go; install_nats ;;
      s3) need_cmd go; install_versitygw ;;
      mongo) need_cmd java javac mvn; install_mongo ;;
      zipkin) need_cmd java mvn python3; install_zipkin ;;
      prometheus) install_apt ;;
      ray) need_cmd python3; install_ray ;;
      kubernetes) need_cmd go python3 openssl; install_kubernetes ;;
    esac
  done
}

cmd_install() {
  local n
  for n in "$@"; do valid_name "$n"; done
  if (($#)); then with_lock "$CACHE/.lock" install_only "$@"; else with_lock "$CACHE/.lock" do_install; fi
}

check_installed() { # check_installed name  -> dies with a hint if install is missing
  case "$1" in
    kafka) [[ -f "$KAFKA_HOME/.installed" && -x "$KCAT" ]] ;;
    nats)  [[ -x "$NATS_BIN" ]] ;;
    s3)    [[ -x "$VGW_BIN" ]] ;;
    mongo) [[ -f "$MONGO_HOME/.installed" ]] ;;
    zipkin) [[ -f "$ZIPKIN_HOME/.installed" ]] ;;
    prometheus) command -v prometheus >/dev/null 2>&1 ;;
    ray) [[ -f "$RAY_HOME/.installed" ]] ;;
    kubernetes) kubernetes_installed ;;
  esac || die "$1 is not installed: run '$0 install' first"
}

# ==============================================================================================
# process helpers
# ==============================================================================================

alive() { # alive PID  (a zombie is not alive)
  local pid="$1" state
  [[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
  state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# The pid from NAME's pid file if that process is alive AND is ours (its command line mentions
# NAME's run dir, so a recycled pid is never mistaken for a server).
running_pid() {
  local name="$1" f="$RUN/$1/pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUN/$name" || return 1
  echo "$pid"
}

# launch NAME LOGFILE cmd... : starts cmd in its own session, detached from this shell, with
# stdout+stderr appended to LOGFILE; the pid of the exec'd server goes to NAME's pid file.
launch() {
  local name="$1" logf="$2"; shift 2
  local pidf="$RUN/$name/pid"
  rm -f "$pidf"
  printf '\n===== %s start %s =====\n' "$name" "$(date -Is)" >>"$logf"
  # 9>&-: the server must not inherit the lock held by with_lock.
  # shellcheck disable=SC2016  # expanded by the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" </dev/null >>"$logf" 2>&1 9>&- &
  local i
  for i in $(seq 50); do [[ -s "$pidf" ]] && return 0; sleep 0.1; done
  die "$name: no pid file after launch"
}

# wait_ready NAME LOGFILE check-cmd... : polls check-cmd until it succeeds; fails loudly (with the
# tail of the server's log) if the server dies or the deadline passes.
wait_ready() {
  local name="$1" logf="$2"; shift 2
  local pid deadline=$(($(now) + START_TIMEOUT))
  pid="$(cat "$RUN/$name/pid")"
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! alive "$pid"; then
      log "$name exited during start-up; last lines of $logf:"
      tail -n 40 "$logf" >&2 || true
      die "$name did not start"
    fi
    if (($(now) >= deadline)); then
      log "$name did not answer within ${START_TIMEOUT}s; last lines of $logf:"
      tail -n 40 "$logf" >&2 || true
      kill -KILL "$pid" 2>/dev/null || true
      die "$name did not start"
    fi
    sleep 0.3
  done
}

# ---- ports: chosen once per run dir, reused on every later start -----------------------------
# ports NAME KEY... : sets PORT_<KEY> for each key, from RUN/NAME/ports or freshly allocated.
ports() {
  local name="$1"; shift
  local f="$RUN/$name/ports" k busy=()
  if [[ -f "$f" ]]; then
    # shellcheck disable=SC1090
    source "$f"
    # A server just killed leaves its connections' sockets behind (FIN_WAIT2 up to the kernel's
    # 60 s tcp_fin_timeout while clients hold their end), which keep its port from being bound:
    # wait for them rather than give up the port, so a restart comes back where clients look.
    local deadline=$(($(now) + PORT_WAIT))
    while :; do
      busy=()
      for k in "$@"; do
        local v="PORT_$k"
        [[ -n "${!v:-}" ]] || { busy+=("$k(missing)"); continue; }
        probe port-free "${!v}" || busy+=("$k=${!v}")
      done
      ((${#busy[@]} == 0)) && return 0
      [[ "${busy[*]}" == *"(missing)"* ]] && break
      (($(now) >= deadline)) && break
      sleep 1
    done
    log "$name: stored port(s) ${busy[*]} still busy after ${PORT_WAIT}s; sockets on them:"
    local pk pv
    for pk in "$@"; do pv="PORT_$pk"; ss -tanp 2>/dev/null | grep -E ":${!pv}\b" | head -n 5 >&2 || true; done
    if [[ "$name" == kafka ]]; then
      # The KRaft metadata log records the controller's address: a new port needs a new cluster.
      die "kafka: stored port(s) ${busy[*]} are in use by another process; free them, or run '$0 clean kafka' to start over with new ports (data is lost)"
    fi
    log "$name: stored port(s) ${busy[*]} are taken by another process; choosing new ports"
  fi
  local fresh; mapfile -t fresh < <(probe free-ports "$#")
  : >"$f.tmp"
  local i=0
  for k in "$@"; do
    printf 'PORT_%s=%s\n' "$k" "${fresh[$i]}" >>"$f.tmp"
    printf -v "PORT_$k" '%s' "${fresh[$i]}"
    i=$((i + 1))
  done
  mv "$f.tmp" "$f"
}

port_of() { # port_of NAME KEY -> prints the stored port or nothing
  local f="$RUN/$1/ports"
  [[ -f "$f" ]] && sed -n "s/^PORT_$2=//p" "$f"
  return 0
}

# ==============================================================================================
# servers
# ==============================================================================================

# The test CA and the loopback server certificate (scripts/servers/test-ca.sh); sets TLS_DIR.
ensure_tls() {
  TLS_DIR="$(FLYWHEEL_RUN_DIR="$RUN" "$HERE/test-ca.sh" ensure)"
}

# SCRAM users of the broker, stable per run dir: KAFKA_USER/KAFKA_PASSWORD for clients (services,
# tests, kcat), KAFKA_BROKER_PASSWORD for the broker's own inter-broker login (user "broker").
kafka_credentials() {
  local f="$RUN/kafka/credentials"
  if [[ ! -f "$f" ]]; then
    mkdir -p "$RUN/kafka"
    local user="${FLYWHEEL_KAFKA_SASL_USERNAME:-flywheel}"
    local pw="${FLYWHEEL_KAFKA_SASL_PASSWORD:-$(python3 -c 'import secrets; print(secrets.token_hex(20))')}"
    [[ "$user" =~ ^[A-Za-z0-9._-]+$ && " broker ${KAFKA_SERVICE_USERS[*]} " != *" $user "* ]] \
      || die "FLYWHEEL_KAFKA_SASL_USERNAME '$user': letters, digits, . _ - only, not 'broker' nor a service's name"
    [[ "$pw" =~ ^[A-Za-z0-9._-]+$ ]] || die "FLYWHEEL_KAFKA_SASL_PASSWORD: letters, digits, . _ - only"
    (umask 077; printf 'KAFKA_USER=%s\nKAFKA_PASSWORD=%s\nKAFKA_BROKER_PASSWORD=%s\n' "$user" "$pw" \
      "$(python3 -c 'import secrets; print(secrets.token_hex(20))')" >"$f")
  fi
  # shellcheck disable=SC1090
  source "$f"
}

# One SCRAM user per service, named after it (their ACLs come from scripts/kafka-acls.ts, which
# tests apply per run prefix), with passwords stable per run dir in RUN/kafka/service-users
# ("<service>=<password>" lines, exported to tests as FLYWHEEL_TEST_KAFKA_SERVICE_USERS).
KAFKA_SERVICE_USERS=(scheduler orchestrator registry feature-store serving monitoring)
kafka_service_users() {
  local f="$RUN/kafka/service-users" u
  if [[ ! -f "$f" ]]; then
    mkdir -p "$RUN/kafka"
    (umask 077
      for u in "${KAFKA_SERVICE_USERS[@]}"; do
        printf '%s=%s\n' "$u" "$(python3 -c 'import secrets; print(secrets.token_hex(20))')"
      done >"$f.tmp"
      mv "$f.tmp" "$f")
  fi
}

# What the KRaft storage was formatted for: storage formatted by an older script (PLAINTEXT, no
# SCRAM users, no service users) is formatted again, since SCRAM users can only be bootstrapped at
# format time.
KAFKA_SECURITY_STAMP=sasl_ssl-scram-sha-512-service-users-v2

start_kafka() {
  local d="$RUN/kafka"
  ports kafka BROKER CONTROLLER
  mkdir -p "$d/data"
  ensure_tls
  kafka_credentials
  kafka_service_users
  if [[ -f "$d/data/meta.properties" && "$(cat "$d/security" 2>/dev/null)" != "$KAFKA_SECURITY_STAMP" ]]; then
    log "kafka: storage was formatted without this script's SASL_SSL users; formatting it again (its topics are lost)"
    rm -rf "${d:?}/data"
    mkdir -p "$d/data"
  fi
  # The broker's key and certificate in one PEM keystore (Kafka reads PKCS#8 keys unencrypted
  # when no ssl.key.password is set).
  (umask 077; cat "$TLS_DIR/server-key.pem" "$TLS_DIR/server.pem" >"$d/keystore.pem")
  # Clients: SASL_SSL only (TLS + SCRAM-SHA-512). The controller listener stays PLAINTEXT on
  # loopback: only this node's broker half talks to it. The StandardAuthorizer (KRaft's, ACLs in
  # the metadata log) refuses what no ACL allows; "broker" and the test user are super users, so
  # every test that does not test ACLs runs as before. So is ANONYMOUS, the principal of the
  # PLAINTEXT controller listener (the broker half registering with its controller needs
  # CLUSTER_ACTION; KRaft controllers cannot check SCRAM): no client reaches it, the client
  # listener is SASL_SSL only. Service users get ACLs from scripts/kafka-acls.ts.
  (umask 077; cat >"$d/server.properties" <<EOF
# Generated by scripts/servers/servers.sh: single-node KRaft (broker + controller), loopback only.
process.roles=broker,controller
node.id=1
listeners=SASL_SSL://$HOST:$PORT_BROKER,CONTROLLER://$HOST:$PORT_CONTROLLER
advertised.listeners=SASL_SSL://$HOST:$PORT_BROKER
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$KAFKA_BROKER_PASSWORD";
ssl.keystore.type=PEM
ssl.keystore.location=$d/keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
ssl.client.auth=none
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:broker;User:$KAFKA_USER;User:ANONYMOUS
allow.everyone.if.no.acl.found=false
controller.quorum.bootstrap.servers=$HOST:$PORT_CONTROLLER
log.dirs=$d/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=$KAFKA_AUTO_CREATE_TOPICS
delete.topic.enable=true
EOF
  )
  # librdkafka settings for the readiness probe (kcat -F).
  (umask 077; printf 'security.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=%s\nsasl.password=%s\nssl.ca.location=%s\n' \
    "$KAFKA_USER" "$KAFKA_PASSWORD" "$TLS_DIR/ca.pem" >"$d/kcat.conf")
  local cp="$KAFKA_HOME/lib/*"
  # shellcheck disable=SC2206
  local jvm=($KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true
    -Dorg.slf4j.simpleLogger.showDateTime=true
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS"
    -Dorg.slf4j.simpleLogger.logFile=System.out)
  if [[ ! -f "$d/data/meta.properties" ]]; then
    [[ -f "$d/cluster.id" ]] || java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1 >"$d/cluster.id"
    local scram=() line
    while IFS= read -r line; do
      scram+=(--add-scram "SCRAM-SHA-512=[name=${line%%=*},password=${line#*=}]")
    done <"$d/service-users"
    log "kafka: formatting storage (cluster $(cat "$d/cluster.id")) with SCRAM users broker, $KAFKA_USER, ${KAFKA_SERVICE_USERS[*]}"
    # The SCRAM users go into the bootstrap metadata (KIP-900): the broker needs its own before
    # it can log in to itself, and there is no other way to create one before the first start.
    java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool format --standalone --ignore-formatted \
      -t "$(cat "$d/cluster.id")" -c "$d/server.properties" \
      --add-scram "SCRAM-SHA-512=[name=broker,password=$KAFKA_BROKER_PASSWORD]" \
      --add-scram "SCRAM-SHA-512=[name=$KAFKA_USER,password=$KAFKA_PASSWORD]" "${scram[@]}" >>"$d/kafka.log" 2>&1 \
      || { tail -n 30 "$d/kafka.log" >&2; die "kafka storage format failed"; }
    echo "$KAFKA_SECURITY_STAMP" >"$d/security"
  fi
  launch kafka "$d/kafka.log" java "${jvm[@]}" -cp "$cp" kafka.Kafka "$d/server.properties"
  wait_ready kafka "$d/kafka.log" kafka_ready "$PORT_BROKER"
}

kafka_ready() { # the broker answers a metadata request over SASL_SSL and knows the active controller
  timeout 5 "$KCAT" -F "$RUN/kafka/kcat.conf" -b "$HOST:$1" -L -m 2 2>/dev/null | grep -q "broker 1 at .*(controller)"
}

# The NATS test user (allowed everything: services, tests, the dlq tool), stable per run dir:
# NATS_USER/NATS_PASSWORD (FLYWHEEL_NATS_USER/_PASSWORD before the first start choose them).
nats_credentials() {
  local f="$RUN/nats/credentials"
  if [[ ! -f "$f" ]]; then
    mkdir -p "$RUN/nats"
    local user="${FLYWHEEL_NATS_USER:-flywheel}"
    local pw="${FLYWHEEL_NATS_PASSWORD:-$(python3 -c 'import secrets; print(secrets.token_hex(20))')}"
    [[ "$user" =~ ^[A-Za-z0-9_-]+$ ]] || die "FLYWHEEL_NATS_USER '$user': letters, digits, _ - only"
    [[ "$pw" =~ ^[A-Za-z0-9._-]+$ ]] || die "FLYWHEEL_NATS_PASSWORD: letters, digits, . _ - only"
    (umask 077; printf 'NATS_USER=%s\nNATS_PASSWORD=%s\n' "$user" "$pw" >"$f")
  fi
  # shellcheck disable=SC1090
  source "$f"
}

start_nats() {
  local d="$RUN/nats"
  ports nats CLIENT MONITOR
  mkdir -p "$d/data"
  ensure_tls
  nats_credentials
  # Who may connect: the test user alone (allowed everything), or - FLYWHEEL_NATS_AUTHORIZATION -
  # an authorization block written by scripts/nats-permissions.ts (per-service users with the
  # permissions of the platform's tables; it must name the test user as a --super-user).
  local auth
  if [[ -n "${FLYWHEEL_NATS_AUTHORIZATION:-}" ]]; then
    [[ -r "$FLYWHEEL_NATS_AUTHORIZATION" ]] || die "FLYWHEEL_NATS_AUTHORIZATION: cannot read $FLYWHEEL_NATS_AUTHORIZATION"
    (umask 077; cp "$FLYWHEEL_NATS_AUTHORIZATION" "$d/authorization.conf")
    auth='include "authorization.conf"'
  else
    auth="authorization { users = [ { user: \"$NATS_USER\", password: \"$NATS_PASSWORD\" } ] }"
  fi
  # sync_interval: always = fsync every write before the publish is acked, so an acknowledged
  # message survives a server kill and an OS crash alike (the default fsyncs every 2 min). Streams
  # are file-backed (the bus creates them with file storage). Clients: TLS only (the test CA's
  # loopback certificate; a plain-text CONNECT is refused), with a user and password. The
  # monitoring port stays plain HTTP on loopback (the readiness probe).
  (umask 077; cat >"$d/nats.conf" <<EOF
# Generated by scripts/servers/servers.sh
server_name: flywheel-test
jetstream {
  store_dir: "$d/data"
  sync_interval: always
}
tls {
  cert_file: "$TLS_DIR/server.pem"
  key_file: "$TLS_DIR/server-key.pem"
  timeout: 5
}
$auth
EOF
  )
  "$NATS_BIN" -c "$d/nats.conf" -t >/dev/null 2>&1 || { "$NATS_BIN" -c "$d/nats.conf" -t || true; die "bad nats.conf"; }
  # JetStream and its store dir come from nats.conf (equivalent to -js -sd DIR; nats-server
  # refuses to get store_dir from both).
  launch nats "$d/nats.log" "$NATS_BIN" -c "$d/nats.conf" -a "$HOST" -p "$PORT_CLIENT" -m "$PORT_MONITOR"
  wait_ready nats "$d/nats.log" probe nats-health "$PORT_MONITOR"
}

s3_credentials() { # sets S3_ACCESS_KEY / S3_SECRET_KEY, stable per run dir
  local f="$RUN/s3/credentials"
  if [[ ! -f "$f" ]]; then
    mkdir -p "$RUN/s3"
    local ak="${FLYWHEEL_S3_ACCESS_KEY:-flywheel}"
    local sk="${FLYWHEEL_S3_SECRET_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(20))')}"
    (umask 077; printf 'S3_ACCESS_KEY=%s\nS3_SECRET_KEY=%s\n' "$ak" "$sk" >"$f")
  fi
  # shellcheck disable=SC1090
  source "$f"
}

start_s3() {
  local d="$RUN/s3"
  ports s3 HTTP
  s3_credentials
  mkdir -p "$d/data"
  local meta=()
  if ! probe xattr "$d/data" >/dev/null 2>&1; then
    # The posix backend keeps object metadata in user xattrs; fall back to a sidecar dir.
    mkdir -p "$d/meta"
    meta=(--sidecar "$d/meta")
    log "s3: no user xattrs on $(df -P "$d/data" | awk 'NR==2{print $6}'); using --sidecar"
  fi
  ensure_tls
  # HTTPS only (the loopback certificate of the test CA).
  launch s3 "$d/s3.log" env ROOT_ACCESS_KEY="$S3_ACCESS_KEY" ROOT_SECRET_KEY="$S3_SECRET_KEY" \
    "$VGW_BIN" --port "$HOST:$PORT_HTTP" --region "$S3_REGION" --quiet \
    --cert "$TLS_DIR/server.pem" --key "$TLS_DIR/server-key.pem" \
    posix "${meta[@]}" "$d/data"
  wait_ready s3 "$d/s3.log" probe s3 "$PORT_HTTP" "$TLS_DIR/ca.pem"
}

start_mongo() {
  local d="$RUN/mongo"
  ports mongo WIRE
  mkdir -p "$d/data"
  local backend=(memory)
  [[ "$MONGO_BACKEND" == h2 ]] && backend=(h2 "$d/data/mongo.mv")
  compile_mongo_launcher
  ensure_tls
  # TLS only, with the test CA's loopback certificate (mongo-java-server's enableSsl).
  launch mongo "$d/mongo.log" env FLYWHEEL_MONGO_TLS_CERT="$TLS_DIR/server.pem" \
    FLYWHEEL_MONGO_TLS_KEY="$TLS_DIR/server-key.pem" java -Xms64m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -XX:+ExitOnOutOfMemoryError -Dflywheel.run="$d" \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS" \
    -Dorg.slf4j.simpleLogger.logFile=System.out \
    -cp "$MONGO_HOME/lib/*:$MONGO_CLASSES" FlywheelMongoServer "$HOST" "$PORT_WIRE" "${backend[@]}"
  wait_ready mongo "$d/mongo.log" probe mongo "$PORT_WIRE" "$TLS_DIR/ca.pem"
}

# Launched first and waited for last (see do_start): a JVM that takes seconds of CPU to come up.
start_zipkin() {
  local d="$RUN/zipkin"
  ports zipkin HTTP
  local cds=()
  [[ -f "$ZIPKIN_HOME/zipkin.jsa" ]] && cds=(-XX:SharedArchiveFile="$ZIPKIN_HOME/zipkin.jsa")
  # In-memory storage (traces are lost on stop); the HTTP collector (POST /api/v2/spans), the API
  # and the UI on one loopback port. -Dflywheel.run names the run dir for running_pid.
  # shellcheck disable=SC2046  # the flags are words
  launch zipkin "$d/zipkin.log" env STORAGE_TYPE=mem MEM_MAX_SPANS=200000 \
    java $(zipkin_jvm_flags) "${cds[@]}" -Dflywheel.run="$d" -cp "$(cat "$ZIPKIN_HOME/classpath")" \
    zipkin.server.ZipkinServer "$(zipkin_port_arg ip "$HOST")" "$(zipkin_port_arg port "$PORT_HTTP")" \
    "$(zipkin_port_arg 'protocols[0]' http)"
}

ready_zipkin() {
  wait_ready zipkin "$RUN/zipkin/zipkin.log" probe zipkin "$(port_of zipkin HTTP)"
}

# Scrapes every second what tests register: target files (file_sd JSON) put into
# FLYWHEEL_PROMETHEUS_TARGETS_DIR, picked up as they appear (inotify), plus itself; and over HTTPS
# those put into FLYWHEEL_PROMETHEUS_HTTPS_TARGETS_DIR, trusting the test CA and presenting its
# client certificate "prometheus" (secured services ask every TLS client for one of their CA's).
start_prometheus() {
  local d="$RUN/prometheus"
  ports prometheus HTTP
  ensure_tls
  FLYWHEEL_RUN_DIR="$RUN" "$HERE/test-ca.sh" client prometheus >/dev/null
  mkdir -p "$d/data" "$d/targets" "$d/targets-https"
  cat >"$d/prometheus.yml" <<EOF
# Generated by scripts/servers/servers.sh
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['$HOST:$PORT_HTTP']
  # A target file may set the job label and __metrics_path__ (registerPrometheusTargets does).
  - job_name: registered
    file_sd_configs:
      - files: ['$d/targets/*.json']
        refresh_interval: 5s
  - job_name: registered-https
    scheme: https
    tls_config:
      ca_file: $TLS_DIR/ca.pem
      cert_file: $TLS_DIR/prometheus.pem
      key_file: $TLS_DIR/prometheus-key.pem
    file_sd_configs:
      - files: ['$d/targets-https/*.json']
        refresh_interval: 5s
EOF
  launch prometheus "$d/prometheus.log" prometheus --config.file="$d/prometheus.yml" \
    --storage.tsdb.path="$d/data" --storage.tsdb.retention.time=1d \
    --web.listen-address="$HOST:$PORT_HTTP"
  wait_ready prometheus "$d/prometheus.log" probe prometheus "$PORT_HTTP"
}

# A Ray head node in a network namespace of its own (scripts/servers/ray-head.py): Ray binds every
# interface it sees, and there only loopback exists; the dashboard port (the Jobs REST API) is
# relayed from host port HTTP. Its temp dir is short (Ray's unix socket paths must fit 107 bytes)
# and named after the run dir, so two checkouts' Rays never share one.
ray_temp_dir() { echo "/tmp/flywheel-ray-$(stamp_of "$RUN" | cut -c1-10)"; }

start_ray() {
  local d="$RUN/ray"
  [[ $(id -u) -eq 0 ]] || die "ray: starting it in its own network namespace (unshare -n) needs root"
  ports ray HTTP
  mkdir -p "$d/work"
  launch ray "$d/ray.log" python3 "$HERE/ray-head.py" "$d/work" "$RAY_HOME/venv/bin/ray" "$PORT_HTTP" \
    --num-cpus="$RAY_NUM_CPUS" --num-gpus="$RAY_NUM_GPUS" --object-store-memory="$RAY_OBJECT_STORE_BYTES" \
    --temp-dir="$(ray_temp_dir)"
}

ready_ray() {
  wait_ready ray "$RUN/ray/ray.log" probe ray "$(port_of ray HTTP)"
}

# ---- kubernetes -------------------------------------------------------------------------------
# One server made of five processes, run by scripts/servers/kube-cluster.py in this order, each
# waited for: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok. All bind
# 127.0.0.1 only; the four Kubernetes ones serve HTTPS with the test CA's loopback certificate.

# Bearer tokens of the cluster's users (kube-apiserver --token-auth-file), stable per run dir.
kube_credentials() {
  local f="$RUN/kubernetes/credentials" u
  if [[ ! -f "$f" ]]; then
    mkdir -p "$RUN/kubernetes"
    (umask 077
      for u in ADMIN CONTROLLER_MANAGER SCHEDULER KWOK; do
        printf 'KUBE_TOKEN_%s=%s\n' "$u" "$(python3 -c 'import secrets; print(secrets.token_hex(20))')"
      done >"$f.tmp"
      mv "$f.tmp" "$f")
  fi
  # shellcheck disable=SC1090
  source "$f"
}

kube_kubeconfig() { # kube_kubeconfig FILE USER TOKEN : a kubeconfig for USER, CA embedded, namespace flywheel-test
  (umask 077; cat >"$1" <<EOF
# Generated by scripts/servers/servers.sh
apiVersion: v1
kind: Config
clusters:
- name: flywheel-test
  cluster:
    server: https://$HOST:$PORT_APISERVER
    certificate-authority-data: $(base64 -w0 <"$TLS_DIR/ca.pem")
users:
- name: $2
  user:
    token: $3
contexts:
- name: flywheel-test
  context:
    cluster: flywheel-test
    user: $2
    namespace: $KUBE_NAMESPACE
current-context: flywheel-test
EOF
  )
}

start_kubernetes() {
  local d="$RUN/kubernetes" v="$KUBERNETES_VERSION"
  ports kubernetes ETCD ETCD_PEER APISERVER CONTROLLER_MANAGER SCHEDULER KWOK
  ensure_tls
  kube_credentials
  mkdir -p "$d/pki" "$d/kube-apiserver" "$d/kube-controller-manager" "$d/kube-scheduler" "$d/kwok"
  if [[ ! -s "$d/pki/service-account.pub" ]]; then # signs service account tokens
    (umask 077; openssl genrsa -out "$d/pki/service-account.key" 2048 2>/dev/null)
    openssl rsa -in "$d/pki/service-account.key" -pubout -out "$d/pki/service-account.pub" 2>/dev/null
  fi
  # token,user,uid,"groups". The admin (tests, kubectl) and kwok are in system:masters; the
  # controller manager and scheduler are the users RBAC's bootstrap roles are bound to, and the
  # controller manager gives each controller its own service account (as kubeadm does).
  (umask 077; cat >"$d/kube-apiserver/tokens.csv" <<EOF
$KUBE_TOKEN_ADMIN,flywheel-admin,flywheel-admin,"system:masters"
$KUBE_TOKEN_CONTROLLER_MANAGER,system:kube-controller-manager,system:kube-controller-manager
$KUBE_TOKEN_SCHEDULER,system:kube-scheduler,system:kube-scheduler
$KUBE_TOKEN_KWOK,system:kwok,system:kwok,"system:masters"
EOF
  )
  (umask 077; printf '%s\n' "$KUBE_TOKEN_ADMIN" >"$d/admin-token")
  kube_kubeconfig "$d/admin.kubeconfig" flywheel-admin "$KUBE_TOKEN_ADMIN"
  kube_kubeconfig "$d/kube-controller-manager/kubeconfig" system:kube-controller-manager "$KUBE_TOKEN_CONTROLLER_MANAGER"
  kube_kubeconfig "$d/kube-scheduler/kubeconfig" system:kube-scheduler "$KUBE_TOKEN_SCHEDULER"
  kube_kubeconfig "$d/kwok/kubeconfig" system:kwok "$KUBE_TOKEN_KWOK"
  sed "s#LOGS_FILE#$d/kwok/container.log#" "$HERE/kwok-stages.yaml" >"$d/kwok/stages.yaml"
  # CRI log format (timestamp, stream, F = full line, text): what kwok parses, as a kubelet would.
  printf '%s stdout F kwok: no container ran (no kubelet on the loopback cluster); this line is every container'"'"'s log\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" >"$d/kwok/container.log"
  (umask 077; mkdir -p "$d/etcd/data")
  local bin="$CACHE/bin" tls="--tls-cert-file=$TLS_DIR/server.pem --tls-private-key-file=$TLS_DIR/server-key.pem"
  local cm="$d/kube-controller-manager/kubeconfig" sc="$d/kube-scheduler/kubeconfig"
  # etcd: no fsync (--unsafe-no-fsync): test data, and fsync stalls on the loaded CI box slow
  # every API write; a killed etcd loses nothing the OS has, an OS crash may lose the last writes.
  # kube-apiserver: no endpoint reconciler (an Endpoints address may not be loopback; nothing in
  # the cluster dials the kubernetes Service anyway).
  local components=(
    "etcd http://$HOST:$PORT_ETCD/health $ETCD_BIN --name=flywheel-test --data-dir=$d/etcd/data
      --listen-client-urls=http://$HOST:$PORT_ETCD --advertise-client-urls=http://$HOST:$PORT_ETCD
      --listen-peer-urls=http://$HOST:$PORT_ETCD_PEER --initial-advertise-peer-urls=http://$HOST:$PORT_ETCD_PEER
      --initial-cluster=flywheel-test=http://$HOST:$PORT_ETCD_PEER --auto-compaction-retention=1
      --quota-backend-bytes=1073741824 --unsafe-no-fsync=true --log-level=warn"
    "kube-apiserver https://$HOST:$PORT_APISERVER/readyz $bin/kube-apiserver-$v --etcd-servers=http://$HOST:$PORT_ETCD
      --bind-address=$HOST --advertise-address=$HOST --secure-port=$PORT_APISERVER $tls
      --client-ca-file=$TLS_DIR/ca.pem --token-auth-file=$d/kube-apiserver/tokens.csv
      --authorization-mode=Node,RBAC --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none
      --service-account-issuer=https://kubernetes.default.svc.cluster.local
      --service-account-key-file=$d/pki/service-account.pub --service-account-signing-key-file=$d/pki/service-account.key
      --kubelet-preferred-address-types=InternalIP --kubelet-certificate-authority=$TLS_DIR/ca.pem
      --allow-privileged=true --profiling=false"
    "kube-controller-manager https://$HOST:$PORT_CONTROLLER_MANAGER/healthz $bin/kube-controller-manager-$v
      --kubeconfig=$cm --authentication-kubeconfig=$cm --authorization-kubeconfig=$cm
      --bind-address=$HOST --secure-port=$PORT_CONTROLLER_MANAGER $tls --leader-elect=false
      --use-service-account-credentials=true --service-account-private-key-file=$d/pki/service-account.key
      --root-ca-file=$TLS_DIR/ca.pem --controllers=* --profiling=false"
    "kube-scheduler https://$HOST:$PORT_SCHEDULER/healthz $bin/kube-scheduler-$v
      --kubeconfig=$sc --authentication-kubeconfig=$sc --authorization-kubeconfig=$sc
      --bind-address=$HOST --secure-port=$PORT_SCHEDULER $tls --leader-elect=false --profiling=false"
    "kwok http://$HOST:$PORT_KWOK/healthz $KWOK_BIN --kubeconfig=$d/kwok/kubeconfig --config=$d/kwok/stages.yaml
      --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake
      --node-ip=$HOST --node-port=$PORT_KWOK --node-lease-duration-seconds=40 --server-address=$HOST:$PORT_KWOK $tls"
  )
  # One line per process: NAME, READY URL, then its argv, tab-separated (no path has a blank).
  local c w
  for c in "${components[@]}"; do
    # shellcheck disable=SC2086  # split into words on purpose
    set -f; w=($c); set +f
    (IFS=$'\t'; printf '%s\n' "${w[*]}")
  done >"$d/components"
  rm -f "$d/up" # a supervisor killed with SIGKILL leaves its marker behind
  launch kubernetes "$d/kubernetes.log" python3 "$HERE/kube-cluster.py" "$d" "$TLS_DIR/ca.pem" "$d/admin-token" "$START_TIMEOUT"
}

kube() { "$KUBECTL" --kubeconfig="$RUN/kubernetes/admin.kubeconfig" --request-timeout=10s "$@"; }

# Every process up, then the namespace and the nodes applied (idempotent), then ready when both
# nodes are Ready (kwok runs them) and the namespace has its default service account (pods need it).
ready_kubernetes() {
  local d="$RUN/kubernetes"
  wait_ready kubernetes "$d/kubernetes.log" test -f "$d/up"
  kube apply -f "$HERE/kube-bootstrap.yaml" >>"$d/kubernetes.log" 2>&1 \
    || { tail -n 20 "$d/kubernetes.log" >&2; die "kubernetes: applying kube-bootstrap.yaml failed"; }
  wait_ready kubernetes "$d/kubernetes.log" kube_nodes_ready
}

kube_nodes_ready() {
  local ready
  ready="$(kube get nodes -o 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}')" || return 1
  [[ "$ready" == *"kwok-cpu-1=True"* && "$ready" == *"kwok-gpu-1=True"* ]] || return 1
  kube -n "$KUBE_NAMESPACE" get serviceaccount default >/dev/null
}

write_env() {
  local f="$RUN/servers.env" p
  {
    echo "# Generated by scripts/servers/servers.sh - source it: . $f"
    p="$(port_of kafka BROKER)"
    if [[ -n "$p" ]]; then
      ensure_tls
      kafka_credentials
      echo "export FLYWHEEL_KAFKA_BROKERS=$HOST:$p"
      echo "export FLYWHEEL_KAFKA_TLS_CA=$TLS_DIR/ca.pem"
      echo "export FLYWHEEL_KAFKA_SASL_MECHANISM=scram-sha-512"
      echo "export FLYWHEEL_KAFKA_SASL_USERNAME=$KAFKA_USER"
      echo "export FLYWHEEL_KAFKA_SASL_PASSWORD=$KAFKA_PASSWORD"
      echo "export FLYWHEEL_KCAT=$KCAT"
      [[ -f "$RUN/kafka/service-users" ]] && echo "export FLYWHEEL_TEST_KAFKA_SERVICE_USERS=$RUN/kafka/service-users"
    fi
    p="$(port_of nats CLIENT)"
    if [[ -n "$p" ]]; then
      echo "export FLYWHEEL_NATS_URL=nats://$HOST:$p"
      # TLS and the user only for a server started with them: one an older script started (still
      # running, plain) keeps a plain URL until it is restarted.
      if grep -q '^tls {' "$RUN/nats/nats.conf" 2>/dev/null; then
        ensure_tls
        nats_credentials
        echo "export FLYWHEEL_NATS_TLS_CA=$TLS_DIR/ca.pem"
        echo "export FLYWHEEL_NATS_USER=$NATS_USER"
        echo "export FLYWHEEL_NATS_PASSWORD=$NATS_PASSWORD"
      fi
    fi
    p="$(port_of nats MONITOR)"; [[ -n "$p" ]] && echo "export FLYWHEEL_NATS_MONITOR_URL=http://$HOST:$p"
    p="$(port_of mongo WIRE)"
    if [[ -n "$p" ]]; then
      ensure_tls
      echo "export FLYWHEEL_MONGO_URL='mongodb://$HOST:$p/?tls=true&tlsCAFile=$TLS_DIR/ca.pem'"
    fi
    p="$(port_of s3 HTTP)"
    if [[ -n "$p" ]]; then
      s3_credentials
      ensure_tls
      echo "export FLYWHEEL_S3_ENDPOINT=https://$HOST:$p"
      echo "export FLYWHEEL_S3_TLS_CA=$TLS_DIR/ca.pem"
      echo "export FLYWHEEL_S3_ACCESS_KEY=$S3_ACCESS_KEY"
      echo "export FLYWHEEL_S3_SECRET_KEY=$S3_SECRET_KEY"
      echo "export FLYWHEEL_S3_REGION=$S3_REGION"
    fi
    p="$(port_of zipkin HTTP)"; [[ -n "$p" ]] && echo "export FLYWHEEL_ZIPKIN_URL=http://$HOST:$p"
    p="$(port_of ray HTTP)"; [[ -n "$p" ]] && echo "export FLYWHEEL_RAY_ADDRESS=http://$HOST:$p"
    p="$(port_of kubernetes APISERVER)"
    if [[ -n "$p" ]]; then
      echo "# kubernetes: kube-apiserver https://$HOST:$p (admin token, system:masters); kwok nodes: kwok-cpu-1"
      echo "#   (cpu 8, memory 32Gi), kwok-gpu-1 (cpu 16, memory 64Gi, nvidia.com/gpu 2, label"
      echo "#   flywheel.dev/accelerator=nvidia, taint nvidia.com/gpu=present:NoSchedule). No kubelet: kwok plays pods."
      echo "export KUBECONFIG=$RUN/kubernetes/admin.kubeconfig"
      echo "export FLYWHEEL_KUBECTL=$KUBECTL"
      echo "export FLYWHEEL_KUBERNETES_NAMESPACE=$KUBE_NAMESPACE"
    fi
    p="$(port_of prometheus HTTP)"
    if [[ -n "$p" ]]; then
      echo "export FLYWHEEL_PROMETHEUS_URL=http://$HOST:$p"
      echo "export FLYWHEEL_PROMETHEUS_TARGETS_DIR=$RUN/prometheus/targets"
      # Only when this Prometheus was started with the HTTPS job (older runs lack it).
      if grep -q registered-https "$RUN/prometheus/prometheus.yml" 2>/dev/null; then
        ensure_tls
        echo "export FLYWHEEL_PROMETHEUS_HTTPS_TARGETS_DIR=$RUN/prometheus/targets-https"
        echo "export FLYWHEEL_PROMETHEUS_TLS_CA=$TLS_DIR/ca.pem"
      fi
    fi
  } >"$f.tmp"
  chmod 600 "$f.tmp" # it holds the SCRAM password and the S3 secret
  mv "$f.tmp" "$f"
}

# ==============================================================================================
# commands
# ==============================================================================================

# names_or_all [name...] : sets NAMES to the given names (validated) or to all servers.
names_or_all() {
  local n
  for n in "$@"; do valid_name "$n"; done
  if (($#)); then NAMES=("$@"); else NAMES=("${ALL[@]}"); fi
}

# Servers whose start-up is mostly their own CPU (a JVM application, Ray's Python processes) are
# launched before the others and waited for after them, so their start overlaps the others'.
LAUNCHED_EARLY=(zipkin ray kubernetes)

since() { python3 -c "import sys; print('%.1fs' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(date +%s.%N)"; }

do_start() {
  mkdir -p "$RUN"
  local n t0 t1 pid early=() rest=() pending=()
  names_or_all "$@"
  for n in "${NAMES[@]}"; do check_installed "$n"; done
  for n in "${NAMES[@]}"; do
    if [[ " ${LAUNCHED_EARLY[*]} " == *" $n "* ]]; then early+=("$n"); else rest+=("$n"); fi
  done
  t0="$(date +%s.%N)"
  for n in "${early[@]}"; do
    if pid="$(running_pid "$n")"; then
      log "$n already running (pid $pid)"
      continue
    fi
    mkdir -p "$RUN/$n"
    "start_$n"
    pending+=("$n")
  done
  for n in "${rest[@]}"; do
    if pid="$(running_pid "$n")"; then
      log "$n already running (pid $pid)"
      continue
    fi
    mkdir -p "$RUN/$n"
    t1="$(date +%s.%N)"
    "start_$n"
    write_env
    log "$n up (pid $(cat "$RUN/$n/pid")) in $(since "$t1")"
  done
  for n in "${pending[@]}"; do
    "ready_$n"
    log "$n up (pid $(cat "$RUN/$n/pid")) $(since "$t0") after its launch"
  done
  write_env
  log "env: $RUN/servers.env"
}

stop_one() {
  local n="$1" pid deadline
  if ! pid="$(running_pid "$n")"; then
    rm -f "$RUN/$n/pid"
    return 0
  fi
  log "stopping $n (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(($(now) + STOP_TIMEOUT))
  while alive "$pid"; do
    if (($(now) >= deadline)); then
      log "$n did not exit within ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$RUN/$n/pid"
}

do_stop() {
  [[ -d "$RUN" ]] || return 0
  local i
  names_or_all "$@"
  for ((i = ${#NAMES[@]} - 1; i >= 0; i--)); do stop_one "${NAMES[$i]}"; done
}

cmd_status() {
  local n pid rc=0
  for n in "${ALL[@]}"; do
    if pid="$(running_pid "$n" 2>/dev/null)"; then
      printf '%-10s running  pid %-8s ports %s\n' "$n" "$pid" "$(tr '\n' ' ' <"$RUN/$n/ports")"
    else
      printf '%-10s stopped\n' "$n"
      rc=3
    fi
  done
  return $rc
}

cmd_env() {
  local f="$RUN/servers.env"
  [[ -f "$f" ]] || die "no $f yet: run '$0 start' first"
  echo "# $f"
  cat "$f"
}

cmd_logs() {
  (($# == 1)) || die "usage: $0 logs NAME"
  valid_name "$1"
  local f="$RUN/$1/$1.log"
  [[ -f "$f" ]] || die "no log for $1 under $RUN/$1"
  echo "# $f"
  tail -n 200 "$f"
}

do_clean() {
  local n
  names_or_all "$@"
  local names=("${NAMES[@]}")
  do_stop "${names[@]}"
  for n in "${names[@]}"; do rm -rf "${RUN:?}/$n"; done
  if [[ " ${names[*]} " == *" ray "* ]]; then rm -rf "$(ray_temp_dir)"; fi
  (($#)) || rm -f "$RUN/servers.env"
  [[ -d "$RUN" ]] && write_env
  return 0
}

usage() {
  cat >&2 <<EOF
usage: $0 COMMAND [server...]      servers: ${ALL[*]}
  install [name...]  install everything (or what the named servers need) into $CACHE (idempotent)
  start [name...]    start all or the named servers (no-op for running ones), write servers.env
  stop [name...]     stop all or the named servers (SIGTERM, SIGKILL after ${STOP_TIMEOUT}s)
  restart [name...]  stop then start
  status             show which servers run (exit 3 if any is stopped)
  env                print the env file (source it: . $RUN/servers.env)
  logs NAME          tail a server's log
  clean [name...]    stop and delete run data (ports, data dirs, logs)
run dir: $RUN (FLYWHEEL_RUN_DIR)   cache: $CACHE (FLYWHEEL_CACHE)
EOF
}

main() {
  local cmd="${1:-}"
  (($#)) && shift
  case "$cmd" in
    install) cmd_install "$@" ;;
    start) mkdir -p "$RUN"; with_lock "$RUN/.lock" do_start "$@" ;;
    stop) [[ -d "$RUN" ]] || exit 0; with_lock "$RUN/.lock" do_stop "$@" ;;
    restart) mkdir -p "$RUN"; with_lock "$RUN/.lock" do_stop "$@"; with_lock "$RUN/.lock" do_start "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    logs) cmd_logs "$@" ;;
    clean) [[ -d "$RUN" ]] || exit 0; with_lock "$RUN/.lock" do_clean "$@" ;;
    -h|--help|help) usage ;;
    *) usage; exit 2 ;;
  esac
}

main "$@"
