#!/usr/bin/env bash
# Local infrastructure for kefu: a single-node Kafka 4.x (KRaft) broker and a
# MongoDB-wire server, run as plain processes (no Docker).
#
#   deploy/local/stack.sh install   download / build only (cached under .stack/)
#   deploy/local/stack.sh start     install if needed, start both, wait until healthy
#   deploy/local/stack.sh stop      SIGTERM, wait, SIGKILL after a timeout
#   deploy/local/stack.sh status    show what runs (exit 0 only if both run and answer)
#   deploy/local/stack.sh reset     stop and delete the data dirs and logs (keeps caches)
#   deploy/local/stack.sh env       print export lines: eval "$(deploy/local/stack.sh env)"
#
# Needs: Java 17+ and Maven (Kafka jars from Maven Central); Python 3.11 (SecantusDB
# from PyPI, and the health probes). Go only for KEFU_MONGO_IMPL=ferretdb.
#
# MongoDB-wire server, in order (KEFU_MONGO_IMPL=auto): `mongod` if on PATH, else
# SecantusDB (PyPI, pinned; WiredTiger, real indexes) in its own venv under .stack/.
# If SecantusDB cannot be installed: FerretDB 1.24 built with Go, then mongo-java-server.
# FerretDB on request only (KEFU_MONGO_IMPL=ferretdb): every query it runs is a full
# collection scan (even by _id), so the cost of each call grows with the stored data.
#
# Store servers per service (KEFU_STORES=per-service, the default with SecantusDB): besides
# the shared server, one SecantusDB per service database (intake routing notifications
# surveys membership dashboard knowledge, in that order, on KEFU_STORE_BASE_PORT..+6,
# default KEFU_MONGO_PORT+1..+7; data in .stack/secantus/<service>/, logs in
# .stack/logs/secantus-<service>.log). SecantusDB is Python: one process serves one core
# (the GIL), and a shared one was the bottleneck (issue 8, `make bench CALLS=4000` on 2
# cores: shared 42.7-49.4 calls/s with the server at ~108% CPU, per-service 73.9 calls/s).
# Their URLs (KEFU_<SERVICE>_MONGO_URL) go to .stack/run/stores.env and into `env`;
# services.sh gives them to the services. The shared server keeps running: the test suite
# and anything given only KEFU_MONGO_URL use it. mongod (multi-threaded: one server uses
# every core) and FerretDB keep one shared server: KEFU_STORES is shared for them.
#
# Environment:
#   KEFU_STACK_DIR               state/caches (default: <repo>/.stack)
#   KEFU_KAFKA_PORT              broker port (9092)
#   KEFU_KAFKA_CONTROLLER_PORT   KRaft controller port (9093)
#   KEFU_MONGO_PORT              MongoDB-wire port (27017)
#   KEFU_KAFKA_VERSION           org.apache.kafka:kafka_2.13 version (4.3.1)
#   KEFU_LOG4J_VERSION           log4j2 version for the broker (the pom's default)
#   KEFU_KAFKA_HEAP_OPTS         JVM heap flags ("-Xms256m -Xmx1g")
#   KEFU_MONGO_IMPL              auto | mongod | secantus | ferretdb | mongo-java (auto)
#   KEFU_SECANTUS_VERSION        SecantusDB version from PyPI (0.7.0b3)
#   KEFU_SECANTUS_CACHE          SecantusDB WiredTiger cache size (512M)
#   KEFU_STORES                  per-service | shared (per-service with SecantusDB, else shared)
#   KEFU_STORE_BASE_PORT         first per-service store port (KEFU_MONGO_PORT+1)
#   KEFU_SECANTUS_STORE_CACHE    WiredTiger cache of each per-service SecantusDB (256M)
#   KEFU_SECANTUS_PATCH          1: run SecantusDB as kefu-secantusd with its write-path fix (secantusd.py); 0: without
#   KEFU_FERRETDB_VERSIONS       FerretDB versions to try, in order ("v1.24.2 v1.24.1")
#   KEFU_STACK_START_TIMEOUT     seconds to wait for health (120)
#   KEFU_STACK_STOP_TIMEOUT      seconds between SIGTERM and SIGKILL (30)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

HOST=127.0.0.1
KAFKA_VERSION=${KEFU_KAFKA_VERSION:-4.3.1}
LOG4J_VERSION=${KEFU_LOG4J_VERSION:-}
KAFKA_PORT=${KEFU_KAFKA_PORT:-9092}
CONTROLLER_PORT=${KEFU_KAFKA_CONTROLLER_PORT:-9093}
MONGO_PORT=${KEFU_MONGO_PORT:-27017}
KAFKA_HEAP_OPTS=${KEFU_KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
MONGO_IMPL_WANTED=${KEFU_MONGO_IMPL:-auto}
FERRETDB_VERSIONS=${KEFU_FERRETDB_VERSIONS:-v1.24.2 v1.24.1}
SECANTUS_VERSION=${KEFU_SECANTUS_VERSION:-0.7.0b3}
SECANTUS_CACHE=${KEFU_SECANTUS_CACHE:-512M}
STORES_WANTED=${KEFU_STORES:-auto}
STORE_BASE_PORT=${KEFU_STORE_BASE_PORT:-$((MONGO_PORT + 1))}
STORE_CACHE=${KEFU_SECANTUS_STORE_CACHE:-256M}
# fixed order: service i gets STORE_BASE_PORT+i, the same ports on every start
STORE_SERVICES=(intake routing notifications surveys membership dashboard knowledge)
START_TIMEOUT=${KEFU_STACK_START_TIMEOUT:-120}
STOP_TIMEOUT=${KEFU_STACK_STOP_TIMEOUT:-30}

STACK_DIR=${KEFU_STACK_DIR:-$REPO_ROOT/.stack}
mkdir -p "$STACK_DIR"
STACK_DIR=$(cd "$STACK_DIR" && pwd)

LOG_DIR=$STACK_DIR/logs
RUN_DIR=$STACK_DIR/run
M2_DIR=$STACK_DIR/m2
BIN_DIR=$STACK_DIR/bin
KAFKA_HOME=$STACK_DIR/kafka
KAFKA_LIB=$KAFKA_HOME/lib-$KAFKA_VERSION
KAFKA_DATA=$KAFKA_HOME/data
KAFKA_CONF=$KAFKA_HOME/server.properties
KAFKA_CLUSTER_ID_FILE=$KAFKA_HOME/cluster.id
FERRET_HOME=$STACK_DIR/ferretdb
MONGOD_HOME=$STACK_DIR/mongod
SECANTUS_HOME=$STACK_DIR/secantus
SECANTUS_STOCK_BIN=$SECANTUS_HOME/venv/bin/secantusd-py
# kefu-secantusd: SecantusDB's server with one write-path fix (deploy/local/secantusd.py says which and why)
SECANTUS_BIN=$SECANTUS_HOME/venv/bin/kefu-secantusd
MJAVA_HOME=$STACK_DIR/mongo-java
MJAVA_LIB=$MJAVA_HOME/lib

POM=$SCRIPT_DIR/pom.xml
LOG4J_CONF=$SCRIPT_DIR/log4j2.properties
SERVER_TEMPLATE=$SCRIPT_DIR/server.properties.template
MJAVA_MAIN=$SCRIPT_DIR/MongoJavaServer.java
STORES_ENV=$RUN_DIR/stores.env

# ---------------------------------------------------------------- helpers

log() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: ERROR: %s\n' "$*" >&2; exit 1; }

# Print the last lines of a log file (on failures).
show_tail() {
    local file=$1 n=${2:-40}
    if [[ -s $file ]]; then
        printf 'stack: ---- last %s lines of %s ----\n' "$n" "$file" >&2
        tail -n "$n" "$file" >&2 || true
        printf 'stack: ---- end of %s ----\n' "$file" >&2
    fi
}

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not on PATH: $2"; }

have_python() { command -v python3 >/dev/null 2>&1; }

sha_of() {
    if command -v sha256sum >/dev/null 2>&1; then cat "$@" | sha256sum | cut -c1-16
    else cat "$@" | cksum | tr ' ' '-'; fi
}

# Serialize install/start/stop/reset between concurrent callers (e.g. test runs).
take_lock() {
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$STACK_DIR/.lock"
        if ! flock -n 9; then
            log "waiting for another stack.sh in $STACK_DIR to finish..."
            flock -w 900 9 || die "could not take $STACK_DIR/.lock"
        fi
    fi
}

# Is pid alive (and not a zombie)?
pid_alive() {
    local pid=$1
    [[ -n $pid ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r /proc/$pid/stat ]]; then
        local state
        state=$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
        [[ $state != Z ]] || return 1
    fi
    return 0
}

pid_cmdline() {
    local pid=$1
    if [[ -r /proc/$pid/cmdline ]]; then tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true
    else ps -o args= -p "$pid" 2>/dev/null || true; fi
}

# Prints the pid of our running instance of service $1 (kafka|mongo), or fails.
# "Ours" = the pid file's process is alive and its command line names $STACK_DIR.
running_pid() {
    local name=$1 pidfile=$RUN_DIR/$1.pid pid
    [[ -f $pidfile ]] || return 1
    pid=$(<"$pidfile")
    if pid_alive "$pid" && [[ $(pid_cmdline "$pid") == *"$STACK_DIR"* ]]; then
        printf '%s\n' "$pid"
        return 0
    fi
    return 1
}

# Remove pid/port files left by a process that is gone.
clean_stale() {
    local name=$1
    if [[ -f $RUN_DIR/$name.pid ]] && ! running_pid "$name" >/dev/null; then
        rm -f "$RUN_DIR/$name.pid" "$RUN_DIR/$name.ports" "$RUN_DIR/$name.impl"
    fi
}

# Does something accept TCP connections on $HOST:$1?
port_open() {
    local port=$1
    if have_python; then
        python3 - "$HOST" "$port" <<'PY' 2>/dev/null
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
    else
        timeout 2 bash -c ": >/dev/tcp/$HOST/$port" 2>/dev/null
    fi
}

port_holder() {
    local port=$1 out=""
    if command -v ss >/dev/null 2>&1; then
        out=$(ss -Hltnp "sport = :$port" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -n1)
    fi
    if [[ -z $out ]] && command -v lsof >/dev/null 2>&1; then
        out=$(lsof -nP -iTCP:"$port" -sTCP:LISTEN 2>/dev/null | awk 'NR==2 {print $1" pid="$2}')
    fi
    printf '%s' "${out:-unknown process}"
}

require_port_free() {
    local port=$1 what=$2 envvar=$3
    if port_open "$port"; then
        die "port $port ($what) is already in use by another process ($(port_holder "$port")), not by this stack in $STACK_DIR. Stop that process or pick another port, e.g. $envvar=$((port + 10000))."
    fi
}

# Kafka health: the broker answers ApiVersions and a Metadata request listing >= 1 broker.
kafka_probe() {
    if ! have_python; then port_open "$KAFKA_PORT"; return; fi
    python3 - "$HOST" "$KAFKA_PORT" <<'PY' 2>/dev/null
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port), timeout=2)
s.settimeout(3)
def rpc(api_key, version, corr, payload=b""):
    cid = b"kefu-stack"
    body = struct.pack(">hhih", api_key, version, corr, len(cid)) + cid + payload
    s.sendall(struct.pack(">i", len(body)) + body)
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf
    size = struct.unpack(">i", exact(4))[0]
    resp = exact(size)
    if struct.unpack(">i", resp[:4])[0] != corr:
        raise ValueError("bad correlation id")
    return resp[4:]
r = rpc(18, 0, 1)                              # ApiVersions v0
if struct.unpack(">h", r[:2])[0] != 0:
    sys.exit(1)
r = rpc(3, 1, 2, struct.pack(">i", -1))        # Metadata v1, all topics
sys.exit(0 if struct.unpack(">i", r[:4])[0] >= 1 else 1)
PY
}

# MongoDB health: {ping: 1} over OP_MSG answers ok: 1 (no pymongo needed).
mongo_probe() {
    if ! have_python; then port_open "$MONGO_PORT"; return; fi
    python3 - "$HOST" "$MONGO_PORT" <<'PY' 2>/dev/null
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
def cstr(x): return x.encode() + b"\0"
elems = b"\x10" + cstr("ping") + struct.pack("<i", 1)
elems += b"\x02" + cstr("$db") + struct.pack("<i", 6) + b"admin\0"
doc = struct.pack("<i", len(elems) + 5) + elems + b"\0"
msg = struct.pack("<I", 0) + b"\x00" + doc
s = socket.create_connection((host, port), timeout=2)
s.settimeout(3)
s.sendall(struct.pack("<iiii", 16 + len(msg), 1, 0, 2013) + msg)
def exact(n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf
size = struct.unpack("<i", exact(4))[0]
resp = exact(size - 4)
ok = (b"\x01ok\x00" + struct.pack("<d", 1.0)) in resp or (b"\x10ok\x00" + struct.pack("<i", 1)) in resp
sys.exit(0 if ok else 1)
PY
}

java_major() {
    java -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\)\(\.[0-9]*\)*.*".*/\1/p' | head -n1
}

# ---------------------------------------------------------------- install: Kafka

kafka_installed() {
    [[ -f $KAFKA_LIB/.stamp && $(<"$KAFKA_LIB/.stamp") == "$(kafka_stamp)" ]]
}

kafka_stamp() {
    printf 'kafka=%s log4j=%s pom=%s' "$KAFKA_VERSION" "${LOG4J_VERSION:-default}" "$(sha_of "$POM")"
}

mvn_fetch() {  # profile outdir logfile [extra -D...]
    local profile=$1 out=$2 logfile=$3
    shift 3
    mvn -B -q -f "$POM" -Dmaven.repo.local="$M2_DIR" -P"$profile" "$@" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out" \
        >"$logfile" 2>&1
}

install_kafka() {
    if kafka_installed; then return 0; fi
    need java "install a JDK 17+ (Kafka 4.x brokers need Java 17)"
    need mvn "install Maven (the Kafka jars come from Maven Central)"
    local major
    major=$(java_major)
    [[ -n $major && $major -ge 17 ]] || die "Kafka 4.x needs Java 17+, found: $(java -version 2>&1 | head -n1)"
    mkdir -p "$KAFKA_HOME" "$LOG_DIR" "$M2_DIR"
    log "fetching Kafka $KAFKA_VERSION jars from Maven Central (first time only)..."
    local tmp=$KAFKA_LIB.tmp logfile=$LOG_DIR/install-kafka.log t0=$SECONDS
    rm -rf "$tmp"
    local -a extra=(-Dkafka.version="$KAFKA_VERSION")
    [[ -z $LOG4J_VERSION ]] || extra+=(-Dlog4j.version="$LOG4J_VERSION")
    if ! mvn_fetch kafka "$tmp" "$logfile" "${extra[@]}"; then
        show_tail "$logfile"
        die "could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION (see $logfile)"
    fi
    [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch (see $logfile)"
    local core impl f
    local -a found
    core="" impl=""
    found=("$tmp"/log4j-core-*.jar)
    [[ -f ${found[0]} ]] && core=$(basename "${found[0]}" .jar)
    found=("$tmp"/log4j-slf4j-impl-*.jar "$tmp"/log4j-slf4j2-impl-*.jar)
    for f in "${found[@]}"; do [[ -f $f ]] && impl=$(basename "$f" .jar) && break; done
    [[ -n $core && -n $impl ]] || die "log4j-core / SLF4J binding missing in $tmp (the broker would log nothing)"
    [[ ${core#log4j-core-} == "${impl##*-impl-}" ]] || die "log4j-core ($core) and binding ($impl) versions differ"
    rm -rf "$KAFKA_LIB"
    mv "$tmp" "$KAFKA_LIB"
    kafka_stamp >"$KAFKA_LIB/.stamp"
    found=("$KAFKA_LIB"/*.jar)
    log "Kafka $KAFKA_VERSION: ${#found[@]} jars in $KAFKA_LIB ($((SECONDS - t0))s)"
}

# ---------------------------------------------------------------- install: MongoDB-wire server

ferretdb_binary() {  # prints the first built FerretDB binary among the wanted versions
    local v
    for v in $FERRETDB_VERSIONS; do
        if [[ -x $BIN_DIR/ferretdb-$v ]]; then printf '%s\n' "$BIN_DIR/ferretdb-$v"; return 0; fi
    done
    return 1
}

go_env() {  # run a go command with all Go state kept under .stack
    env GOPATH="$STACK_DIR/go/path" GOMODCACHE="$STACK_DIR/go/mod" GOCACHE="$STACK_DIR/go/cache" \
        GOFLAGS=-modcacherw GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 "$@"
}

build_ferretdb() {
    if ferretdb_binary >/dev/null; then return 0; fi
    if ! command -v go >/dev/null 2>&1; then
        log "Go is not on PATH: cannot build FerretDB"
        return 1
    fi
    mkdir -p "$BIN_DIR" "$LOG_DIR" "$FERRET_HOME"
    local logfile=$LOG_DIR/install-ferretdb.log v dir src t0=$SECONDS
    : >"$logfile"
    for v in $FERRETDB_VERSIONS; do
        log "building FerretDB $v from the Go module proxy (first time only, about 1-3 min)..."
        # `go install ...@version` would work only if the proxy served the module's version
        # list (it checks deprecations), and FerretDB panics at start unless
        # build/version/version.txt exists: so download the module, copy it, add that file, build.
        dir=""
        if (cd "$FERRET_HOME" && go_env go mod download -json "github.com/FerretDB/FerretDB@$v") >"$FERRET_HOME/download.json" 2>>"$logfile"; then
            dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' "$FERRET_HOME/download.json")
        fi
        cat "$FERRET_HOME/download.json" >>"$logfile" 2>/dev/null || true
        rm -f "$FERRET_HOME/download.json"
        if [[ -z $dir || ! -d $dir ]]; then
            log "FerretDB $v is not available from the Go module proxy"
            continue
        fi
        src=$FERRET_HOME/src-$v
        rm -rf "$src"
        cp -R "$dir" "$src"
        chmod -R u+w "$src"
        printf '%s\n' "$v" >"$src/build/version/version.txt"
        if (cd "$src" && go_env go build -trimpath -buildvcs=false -o "$BIN_DIR/ferretdb-$v.tmp" ./cmd/ferretdb) >>"$logfile" 2>&1 &&
            "$BIN_DIR/ferretdb-$v.tmp" --version >>"$logfile" 2>&1; then
            mv "$BIN_DIR/ferretdb-$v.tmp" "$BIN_DIR/ferretdb-$v"
            rm -rf "$src"
            # The binary is what is cached; the ~1 GB of Go module/build caches are not needed any more.
            go_env go clean -cache -modcache >>"$logfile" 2>&1 || true
            rm -rf "$STACK_DIR/go"
            log "FerretDB $v built: $BIN_DIR/ferretdb-$v ($((SECONDS - t0))s)"
            return 0
        fi
        rm -rf "$src" "$BIN_DIR/ferretdb-$v.tmp"
        log "FerretDB $v did not build"
        show_tail "$logfile" 20
    done
    return 1
}

install_mongo_java() {
    local stamp
    stamp="mongo-java pom=$(sha_of "$POM")"
    if [[ -f $MJAVA_LIB/.stamp && $(<"$MJAVA_LIB/.stamp") == "$stamp" ]]; then return 0; fi
    need java "install a JDK 17+"
    need mvn "install Maven"
    mkdir -p "$MJAVA_HOME" "$LOG_DIR" "$M2_DIR"
    log "fetching mongo-java-server jars from Maven Central (first time only)..."
    local tmp=$MJAVA_LIB.tmp logfile=$LOG_DIR/install-mongo-java.log
    rm -rf "$tmp"
    if ! mvn_fetch mongo-java "$tmp" "$logfile"; then
        show_tail "$logfile"
        die "could not fetch de.bwaldvogel:mongo-java-server (see $logfile)"
    fi
    rm -rf "$MJAVA_LIB"
    mv "$tmp" "$MJAVA_LIB"
    printf '%s' "$stamp" >"$MJAVA_LIB/.stamp"
}

secantus_stamp() { printf 'secantusdb==%s' "$SECANTUS_VERSION"; }

install_secantus_launcher() {  # written on every install check, so a stack dir made before a change of it follows
    local tmp=$SECANTUS_BIN.tmp.$$
    { printf '#!%s\n' "$SECANTUS_HOME/venv/bin/python3"; cat "$SCRIPT_DIR/secantusd.py"; } >"$tmp" &&
        chmod +x "$tmp" && mv -f "$tmp" "$SECANTUS_BIN"
}

install_secantus() {  # SecantusDB from PyPI into its own venv (a separate server process, GPL-2.0)
    if [[ -x $SECANTUS_STOCK_BIN && -f $SECANTUS_HOME/.stamp && $(<"$SECANTUS_HOME/.stamp") == "$(secantus_stamp)" ]]; then
        install_secantus_launcher
        return 0
    fi
    local py=${KEFU_PYTHON:-python3.11} logfile=$LOG_DIR/install-secantus.log t0=$SECONDS
    command -v "$py" >/dev/null 2>&1 || py=python3
    command -v "$py" >/dev/null 2>&1 || { log "no python3 on PATH: cannot install SecantusDB"; return 1; }
    mkdir -p "$SECANTUS_HOME" "$LOG_DIR"
    log "installing SecantusDB $SECANTUS_VERSION from PyPI (first time only)..."
    rm -rf "$SECANTUS_HOME/venv"
    if "$py" -m venv "$SECANTUS_HOME/venv" >"$logfile" 2>&1 &&
        "$SECANTUS_HOME/venv/bin/pip" install --disable-pip-version-check --quiet "$(secantus_stamp)" >>"$logfile" 2>&1 &&
        [[ -x $SECANTUS_STOCK_BIN ]] && install_secantus_launcher; then
        secantus_stamp >"$SECANTUS_HOME/.stamp"
        log "SecantusDB $SECANTUS_VERSION installed ($((SECONDS - t0))s)"
        return 0
    fi
    show_tail "$logfile" 20
    log "SecantusDB $SECANTUS_VERSION could not be installed (see $logfile)"
    return 1
}

# Decide which MongoDB-wire server to use and make sure it is installed.
# Sets MONGO_IMPL to mongod | secantus | ferretdb | mongo-java.
MONGO_IMPL=""
install_mongo() {
    case $MONGO_IMPL_WANTED in
    mongod)
        need mongod "KEFU_MONGO_IMPL=mongod needs mongod on PATH"
        MONGO_IMPL=mongod ;;
    secantus)
        install_secantus || die "could not install SecantusDB $SECANTUS_VERSION"
        MONGO_IMPL=secantus ;;
    ferretdb)
        build_ferretdb || { show_tail "$LOG_DIR/install-ferretdb.log"; die "could not build FerretDB ($FERRETDB_VERSIONS)"; }
        MONGO_IMPL=ferretdb ;;
    mongo-java)
        install_mongo_java
        MONGO_IMPL=mongo-java ;;
    auto)
        if command -v mongod >/dev/null 2>&1; then
            MONGO_IMPL=mongod
        elif install_secantus; then
            MONGO_IMPL=secantus
        elif ferretdb_binary >/dev/null; then
            log "SecantusDB is not available: FALLING BACK to FerretDB (every query scans)"
            MONGO_IMPL=ferretdb
            MONGO_IMPL=ferretdb
        elif [[ -f $FERRET_HOME/build-failed ]]; then
            log "FerretDB failed to build before ($FERRET_HOME/build-failed; delete it to retry): using mongo-java-server"
            install_mongo_java
            MONGO_IMPL=mongo-java
        elif build_ferretdb; then
            log "SecantusDB is not available: FALLING BACK to FerretDB (every query scans)"
            MONGO_IMPL=ferretdb
        else
            date >"$FERRET_HOME/build-failed"
            log "FerretDB could not be built: FALLING BACK to de.bwaldvogel mongo-java-server (H2 store; a different MongoDB emulation than FerretDB)"
            install_mongo_java
            MONGO_IMPL=mongo-java
        fi ;;
    *) die "KEFU_MONGO_IMPL must be auto, mongod, secantus, ferretdb or mongo-java (got '$MONGO_IMPL_WANTED')" ;;
    esac
}

cmd_install() {
    local t0=$SECONDS
    install_kafka
    install_mongo
    log "installed: Kafka $KAFKA_VERSION, MongoDB-wire server: $(mongo_impl_desc) ($((SECONDS - t0))s)"
}

mongo_impl_desc() {
    case $MONGO_IMPL in
    mongod) printf 'mongod (%s)' "$(command -v mongod)" ;;
    secantus) printf 'SecantusDB %s (WiredTiger)' "$SECANTUS_VERSION" ;;
    ferretdb) printf 'FerretDB %s (SQLite)' "$(basename "$(ferretdb_binary)" | sed 's/^ferretdb-//')" ;;
    mongo-java) printf 'mongo-java-server (H2)' ;;
    *) printf '%s' "${MONGO_IMPL:-unknown}" ;;
    esac
}

# ---------------------------------------------------------------- start

# Launch "$@" detached (own session, no tty, no inherited stdio); write its pid.
launch() {
    local name=$1 out=$2
    shift 2
    mkdir -p "$RUN_DIR" "$LOG_DIR"
    # 9>&- : the server must not inherit the lock fd (it would hold the lock while it runs).
    if command -v setsid >/dev/null 2>&1; then
        setsid "$@" </dev/null >>"$out" 2>&1 9>&- &
    else
        nohup "$@" </dev/null >>"$out" 2>&1 9>&- &
    fi
    printf '%s\n' "$!" >"$RUN_DIR/$name.pid"
}

rotate_log() {
    local f
    for f in "$@"; do
        if [[ -s $f ]]; then mv -f "$f" "$f.prev"; fi
    done
}

# Returns 0 if our Kafka already runs on the wanted ports, dies if it runs on others,
# 1 if it is not running.
kafka_already_running() {
    clean_stale kafka
    local pid
    pid=$(running_pid kafka) || return 1
    local ports
    ports=$(cat "$RUN_DIR/kafka.ports" 2>/dev/null || true)
    if [[ $ports == "$KAFKA_PORT $CONTROLLER_PORT" ]]; then
        log "Kafka already running (pid $pid, $HOST:$KAFKA_PORT)"
        return 0
    fi
    die "this stack's Kafka already runs (pid $pid) on ports '${ports:-?}', not $KAFKA_PORT $CONTROLLER_PORT: run '$0 stop' first"
}

render_kafka_conf() {
    mkdir -p "$KAFKA_HOME"
    sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
        -e "s|@HOST@|$HOST|g" -e "s|@LOG_DIR@|$KAFKA_DATA|g" \
        "$SERVER_TEMPLATE" >"$KAFKA_CONF.tmp"
    mv "$KAFKA_CONF.tmp" "$KAFKA_CONF"
}

kafka_java() {  # java command line prefix for Kafka classes
    # shellcheck disable=SC2206
    local heap=($KAFKA_HEAP_OPTS)
    printf '%s\0' java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
        -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J_CONF" -Dkafka.logs.dir="$LOG_DIR" \
        -cp "$KAFKA_LIB/*"
}

format_kafka_storage() {
    [[ -f $KAFKA_DATA/meta.properties ]] && return 0
    mkdir -p "$KAFKA_DATA"
    if [[ ! -s $KAFKA_CLUSTER_ID_FILE ]]; then
        # 16 random bytes, url-safe base64 without padding (what `kafka-storage random-uuid` prints);
        # like Kafka's Uuid.randomUuid, never starting with '-' (it would read as an option).
        local id="-"
        while [[ $id == -* ]]; do
            id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        done
        printf '%s' "$id" >"$KAFKA_CLUSTER_ID_FILE"
    fi
    local cid logfile=$LOG_DIR/kafka-format.log
    cid=$(<"$KAFKA_CLUSTER_ID_FILE")
    log "formatting Kafka storage (cluster id $cid, first time only)..."
    local -a jcmd
    mapfile -d '' jcmd < <(kafka_java)
    if ! "${jcmd[@]}" kafka.tools.StorageTool format --standalone --cluster-id="$cid" --config="$KAFKA_CONF" >"$logfile" 2>&1; then
        show_tail "$logfile"
        die "kafka storage format failed (see $logfile)"
    fi
    printf '%s\n' "$CONTROLLER_PORT" >"$KAFKA_HOME/formatted-controller-port"
}

start_kafka() {  # callers checked kafka_already_running and the ports
    render_kafka_conf
    format_kafka_storage
    rotate_log "$LOG_DIR/kafka.log" "$LOG_DIR/kafka.out"
    local -a jcmd
    mapfile -d '' jcmd < <(kafka_java)
    log "starting Kafka $KAFKA_VERSION on $HOST:$KAFKA_PORT (controller $CONTROLLER_PORT)..."
    launch kafka "$LOG_DIR/kafka.out" "${jcmd[@]}" kafka.Kafka "$KAFKA_CONF"
    printf '%s %s\n' "$KAFKA_PORT" "$CONTROLLER_PORT" >"$RUN_DIR/kafka.ports"
}

mongo_already_running() {
    clean_stale mongo
    local pid
    pid=$(running_pid mongo) || return 1
    local ports impl
    ports=$(cat "$RUN_DIR/mongo.ports" 2>/dev/null || true)
    impl=$(cat "$RUN_DIR/mongo.impl" 2>/dev/null || true)
    if [[ $ports == "$MONGO_PORT" ]]; then
        log "MongoDB-wire server already running ($impl, pid $pid, $HOST:$MONGO_PORT)"
        MONGO_IMPL=${impl:-$MONGO_IMPL}
        return 0
    fi
    die "this stack's MongoDB-wire server already runs (pid $pid) on port '${ports:-?}', not $MONGO_PORT: run '$0 stop' first"
}

start_mongo() {  # callers checked mongo_already_running and the port
    local out=$LOG_DIR/mongo.out
    rotate_log "$out" "$LOG_DIR/ferretdb.log" "$LOG_DIR/mongod.log" "$LOG_DIR/secantus.log"
    case $MONGO_IMPL in
    secantus)
        mkdir -p "$SECANTUS_HOME/data"
        log "starting $(mongo_impl_desc) on $HOST:$MONGO_PORT..."
        # --standalone: drivers see a standalone server (no replica-set advertisement).
        # Durability: kefu's clients write with j:true (kefu_kit.mongo.make_client).
        launch mongo "$LOG_DIR/secantus.log" "$SECANTUS_BIN" --host "$HOST" --port "$MONGO_PORT" \
            --storage-path "$SECANTUS_HOME/data" --standalone --cache-size "$SECANTUS_CACHE" \
            --log-level WARNING ;;
    mongod)
        mkdir -p "$MONGOD_HOME/data"
        log "starting mongod on $HOST:$MONGO_PORT..."
        launch mongo "$out" mongod --dbpath "$MONGOD_HOME/data" --bind_ip "$HOST" --port "$MONGO_PORT" \
            --logpath "$LOG_DIR/mongod.log" ;;
    ferretdb)
        local bin
        bin=$(ferretdb_binary)
        mkdir -p "$FERRET_HOME/data" "$FERRET_HOME/state"
        log "starting $(mongo_impl_desc) on $HOST:$MONGO_PORT..."
        # --debug-addr=- : no HTTP debug listener (default 127.0.0.1:8088).
        # --telemetry=disable : it would otherwise try to reach the internet.
        launch mongo "$LOG_DIR/ferretdb.log" "$bin" --handler=sqlite \
            --sqlite-url="file:$FERRET_HOME/data/" --state-dir="$FERRET_HOME/state" \
            --listen-addr="$HOST:$MONGO_PORT" --debug-addr=- --telemetry=disable \
            --log-level=INFO --log-format=text ;;
    mongo-java)
        mkdir -p "$MJAVA_HOME/data"
        log "starting mongo-java-server (H2) on $HOST:$MONGO_PORT..."
        launch mongo "$out" java -Xmx512m -cp "$MJAVA_LIB/*" "$MJAVA_MAIN" \
            "$MJAVA_HOME/data/mongo.mv" "$HOST" "$MONGO_PORT" ;;
    *) die "unknown MongoDB-wire server '$MONGO_IMPL'" ;;
    esac
    printf '%s\n' "$MONGO_PORT" >"$RUN_DIR/mongo.ports"
    printf '%s\n' "$MONGO_IMPL" >"$RUN_DIR/mongo.impl"
}

# ---------------------------------------------------------------- per-service stores

# Decide KEFU_STORES once MONGO_IMPL is known; sets STORES to per-service | shared.
STORES=shared
resolve_stores() {
    case $STORES_WANTED in
    auto) if [[ $MONGO_IMPL == secantus ]]; then STORES=per-service; else STORES=shared; fi ;;
    shared) STORES=shared ;;
    per-service)
        # mongod is multi-threaded (one server uses every core); FerretDB and mongo-java are fallbacks
        [[ $MONGO_IMPL == secantus ]] || die "KEFU_STORES=per-service runs SecantusDB servers, but the store here is $MONGO_IMPL: use KEFU_STORES=shared (or KEFU_MONGO_IMPL=secantus)"
        STORES=per-service ;;
    *) die "KEFU_STORES must be per-service or shared (got '$STORES_WANTED')" ;;
    esac
}

store_port() {  # service -> its port (STORE_BASE_PORT + its index in STORE_SERVICES)
    local i
    for i in "${!STORE_SERVICES[@]}"; do
        if [[ ${STORE_SERVICES[$i]} == "$1" ]]; then printf '%s\n' $((STORE_BASE_PORT + i)); return 0; fi
    done
    return 1
}

store_url() { printf 'mongodb://%s:%s/' "$HOST" "$1"; }

store_env_var() { printf 'KEFU_%s_MONGO_URL' "${1^^}"; }

# The per-service store ports must not be the shared server's or Kafka's.
check_store_ports() {
    local s p
    for s in "${STORE_SERVICES[@]}"; do
        p=$(store_port "$s")
        case $p in
        "$MONGO_PORT" | "$KAFKA_PORT" | "$CONTROLLER_PORT")
            die "the $s store's port $p (KEFU_STORE_BASE_PORT=$STORE_BASE_PORT + ${#STORE_SERVICES[@]} ports) clashes with the shared store ($MONGO_PORT) or Kafka ($KAFKA_PORT, $CONTROLLER_PORT): pick another KEFU_STORE_BASE_PORT" ;;
        esac
        ((p < 65536)) || die "the $s store's port $p is out of range: pick a lower KEFU_STORE_BASE_PORT"
    done
}

# Sets STORES_TO_START to the services whose store is not running yet; dies if one runs on another port.
STORES_TO_START=()
find_stores_to_start() {
    local s pid ports
    STORES_TO_START=()
    for s in "${STORE_SERVICES[@]}"; do
        clean_stale "store-$s"
        if pid=$(running_pid "store-$s"); then
            ports=$(cat "$RUN_DIR/store-$s.ports" 2>/dev/null || true)
            [[ $ports == "$(store_port "$s")" ]] ||
                die "this stack's $s store already runs (pid $pid) on port '${ports:-?}', not $(store_port "$s"): run '$0 stop' first"
            log "$s store already running (pid $pid, $HOST:$ports)"
        else
            STORES_TO_START+=("$s")
        fi
    done
}

start_store() {  # service; callers checked that it is not running and its port is free
    local s=$1 port
    port=$(store_port "$s")
    mkdir -p "$SECANTUS_HOME/$s"
    rotate_log "$LOG_DIR/secantus-$s.log"
    launch "store-$s" "$LOG_DIR/secantus-$s.log" "$SECANTUS_BIN" --host "$HOST" --port "$port" \
        --storage-path "$SECANTUS_HOME/$s" --standalone --cache-size "$STORE_CACHE" --log-level WARNING
    printf '%s\n' "$port" >"$RUN_DIR/store-$s.ports"
    printf '%s\n' secantus >"$RUN_DIR/store-$s.impl"
}

PROBE_PORT=""
probe_port() { MONGO_PORT=$PROBE_PORT mongo_probe; }

# The running stores' KEFU_<SERVICE>_MONGO_URL export lines (from their pid and port files).
running_store_exports() {
    local s pid
    for s in "${STORE_SERVICES[@]}"; do
        clean_stale "store-$s"
        if pid=$(running_pid "store-$s") && [[ -s $RUN_DIR/store-$s.ports ]]; then
            printf 'export %s=%s\n' "$(store_env_var "$s")" "$(store_url "$(<"$RUN_DIR/store-$s.ports")")"
        fi
    done
}

write_stores_env() {
    local tmp=$STORES_ENV.tmp
    {
        echo "# written by deploy/local/stack.sh start: each service's own SecantusDB (KEFU_STORES=per-service)"
        running_store_exports
    } >"$tmp"
    mv "$tmp" "$STORES_ENV"
}

any_store_running() {
    local s
    for s in "${STORE_SERVICES[@]}"; do running_pid "store-$s" >/dev/null && return 0; done
    return 1
}

mongo_logfile() {
    case ${1:-$MONGO_IMPL} in
    ferretdb) printf '%s' "$LOG_DIR/ferretdb.log" ;;
    secantus) printf '%s' "$LOG_DIR/secantus.log" ;;
    mongod) printf '%s' "$LOG_DIR/mongod.log" ;;
    *) printf '%s' "$LOG_DIR/mongo.out" ;;
    esac
}

wait_healthy() {  # name probe-fn logfile [extra-logfile]
    local name=$1 probe=$2 logfile=$3 extra_log=${4:-} deadline=$((SECONDS + START_TIMEOUT)) pid
    while :; do
        if ! pid=$(running_pid "$name"); then
            log "$name exited during startup"
            show_tail "$logfile" 60
            [[ -z $extra_log ]] || show_tail "$extra_log" 20
            rm -f "$RUN_DIR/$name.pid" "$RUN_DIR/$name.ports" "$RUN_DIR/$name.impl"
            return 1
        fi
        if "$probe"; then return 0; fi
        if ((SECONDS >= deadline)); then
            log "$name did not become healthy within ${START_TIMEOUT}s (pid $pid still running; '$0 stop' stops it)"
            show_tail "$logfile" 60
            [[ -z $extra_log ]] || show_tail "$extra_log" 20
            return 1
        fi
        sleep 0.5
    done
}

kafka_healthy() {
    # the broker logs this once its listeners accept requests
    grep -q 'Kafka Server started' "$LOG_DIR/kafka.log" 2>/dev/null && kafka_probe
}

cmd_start() {
    local t0=$SECONDS
    mkdir -p "$LOG_DIR" "$RUN_DIR"
    install_kafka
    install_mongo
    # Check everything before launching anything, so a port conflict starts nothing.
    local want_kafka=1 want_mongo=1 s
    local -a stores=()
    if kafka_already_running; then want_kafka=0; fi
    if mongo_already_running; then want_mongo=0; fi
    resolve_stores
    if [[ $STORES == per-service ]]; then
        check_store_ports
        find_stores_to_start
        stores=("${STORES_TO_START[@]}")
    elif any_store_running; then
        log "KEFU_STORES=shared, but per-service stores of an earlier start still run (their URLs stay in '$0 env'; '$0 stop' stops them)"
    fi
    if ((want_kafka)); then
        require_port_free "$KAFKA_PORT" "Kafka broker" KEFU_KAFKA_PORT
        require_port_free "$CONTROLLER_PORT" "Kafka KRaft controller" KEFU_KAFKA_CONTROLLER_PORT
    fi
    if ((want_mongo)); then
        require_port_free "$MONGO_PORT" "MongoDB-wire server" KEFU_MONGO_PORT
    fi
    for s in "${stores[@]}"; do
        require_port_free "$(store_port "$s")" "the $s store" KEFU_STORE_BASE_PORT
    done
    if ((want_kafka)); then start_kafka; fi
    if ((want_mongo)); then start_mongo; fi
    if ((${#stores[@]})); then log "starting ${#stores[@]} per-service SecantusDB stores from $HOST:$STORE_BASE_PORT (${stores[*]})..."; fi
    for s in "${stores[@]}"; do start_store "$s"; done
    local failed=0
    if ! wait_healthy kafka kafka_healthy "$LOG_DIR/kafka.log" "$LOG_DIR/kafka.out"; then failed=1; fi
    if ! wait_healthy mongo mongo_probe "$(mongo_logfile)" "$LOG_DIR/mongo.out"; then failed=1; fi
    if [[ $STORES == per-service ]]; then
        for s in "${STORE_SERVICES[@]}"; do
            PROBE_PORT=$(store_port "$s")
            if ! wait_healthy "store-$s" probe_port "$LOG_DIR/secantus-$s.log"; then failed=1; fi
        done
    fi
    ((failed == 0)) || die "startup failed (logs in $LOG_DIR)"
    if [[ $STORES == per-service ]]; then write_stores_env; elif ! any_store_running; then rm -f "$STORES_ENV"; fi
    log "ready in $((SECONDS - t0))s:"
    log "  Kafka $KAFKA_VERSION  bootstrap $HOST:$KAFKA_PORT  (pid $(running_pid kafka), log $LOG_DIR/kafka.log)"
    log "  $(mongo_impl_desc)  mongodb://$HOST:$MONGO_PORT/  (pid $(running_pid mongo), log $(mongo_logfile))"
    if [[ $STORES == per-service ]]; then
        log "  per-service SecantusDB stores: ${STORE_SERVICES[*]} on $HOST:$(store_port "${STORE_SERVICES[0]}")-$(store_port "${STORE_SERVICES[-1]}")  (URLs in $STORES_ENV, logs $LOG_DIR/secantus-<service>.log)"
    fi
    log "  use: eval \"\$($0 env)\""
}

# ---------------------------------------------------------------- stop / status / reset / env

stop_one() {  # name label
    local name=$1 label=$2 pid
    if ! pid=$(running_pid "$name"); then
        clean_stale "$name"
        log "$label is not running"
        return 0
    fi
    log "stopping $label (pid $pid)..."
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.3; done
    if pid_alive "$pid"; then
        log "$label did not stop within ${STOP_TIMEOUT}s: sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        local _
        for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
    fi
    rm -f "$RUN_DIR/$name.pid" "$RUN_DIR/$name.ports" "$RUN_DIR/$name.impl"
    log "$label stopped"
}

cmd_stop() {
    local -a pids=()
    local s
    stop_one mongo "MongoDB-wire server" &
    pids+=("$!")
    for s in "${STORE_SERVICES[@]}"; do
        if running_pid "store-$s" >/dev/null; then
            stop_one "store-$s" "$s store" &
            pids+=("$!")
        else
            clean_stale "store-$s"
        fi
    done
    stop_one kafka "Kafka"
    wait "${pids[@]}"
    any_store_running || rm -f "$STORES_ENV"
}

cmd_status() {
    local rc=0 pid ports impl
    clean_stale kafka
    clean_stale mongo
    if pid=$(running_pid kafka); then
        ports=$(cat "$RUN_DIR/kafka.ports" 2>/dev/null || echo "?")
        local p=${ports%% *}
        if KAFKA_PORT=$p kafka_probe; then
            echo "kafka: running, healthy  pid=$pid bootstrap=$HOST:$p version=$KAFKA_VERSION log=$LOG_DIR/kafka.log"
        else
            echo "kafka: running, NOT answering  pid=$pid bootstrap=$HOST:$p log=$LOG_DIR/kafka.log"; rc=3
        fi
    else
        echo "kafka: stopped"; rc=3
    fi
    if pid=$(running_pid mongo); then
        ports=$(cat "$RUN_DIR/mongo.ports" 2>/dev/null || echo "?")
        impl=$(cat "$RUN_DIR/mongo.impl" 2>/dev/null || echo "?")
        if MONGO_PORT=$ports mongo_probe; then
            echo "mongo: running, healthy  pid=$pid url=mongodb://$HOST:$ports/ impl=$impl log=$(mongo_logfile "$impl")"
        else
            echo "mongo: running, NOT answering  pid=$pid url=mongodb://$HOST:$ports/ impl=$impl"; rc=3
        fi
    else
        echo "mongo: stopped"; rc=3
    fi
    # per-service stores: shown when any runs or stores.env says they were started; one that
    # was started and is gone or silent fails the status too
    local s
    for s in "${STORE_SERVICES[@]}"; do
        clean_stale "store-$s"
        if pid=$(running_pid "store-$s"); then
            ports=$(cat "$RUN_DIR/store-$s.ports" 2>/dev/null || echo "?")
            if MONGO_PORT=$ports mongo_probe; then
                printf 'store %-15s running, healthy  pid=%s url=%s log=%s\n' "$s:" "$pid" "$(store_url "$ports")" "$LOG_DIR/secantus-$s.log"
            else
                printf 'store %-15s running, NOT answering  pid=%s url=%s\n' "$s:" "$pid" "$(store_url "$ports")"; rc=3
            fi
        elif [[ -f $STORES_ENV ]]; then
            printf 'store %-15s stopped (started by the last start: see %s)\n' "$s:" "$LOG_DIR/secantus-$s.log"; rc=3
        fi
    done
    echo "stack dir: $STACK_DIR ($(du -sh "$STACK_DIR" 2>/dev/null | cut -f1))"
    return "$rc"
}

cmd_reset() {
    cmd_stop
    log "deleting data and logs (caches are kept)..."
    rm -rf "$KAFKA_DATA" "$KAFKA_CLUSTER_ID_FILE" "$KAFKA_HOME/formatted-controller-port" \
        "$FERRET_HOME/data" "$FERRET_HOME/state" "$MONGOD_HOME/data" "$MJAVA_HOME/data" "$SECANTUS_HOME/data" \
        "${STORE_SERVICES[@]/#/$SECANTUS_HOME/}" \
        "$LOG_DIR" "$RUN_DIR"
    log "reset done"
}

cmd_env() {
    local kp=$KAFKA_PORT mp=$MONGO_PORT
    clean_stale kafka
    clean_stale mongo
    if running_pid kafka >/dev/null && [[ -f $RUN_DIR/kafka.ports ]]; then kp=$(cut -d' ' -f1 <"$RUN_DIR/kafka.ports"); fi
    if running_pid mongo >/dev/null && [[ -f $RUN_DIR/mongo.ports ]]; then mp=$(<"$RUN_DIR/mongo.ports"); fi
    printf 'export KEFU_KAFKA_BOOTSTRAP=%s:%s\n' "$HOST" "$kp"
    printf 'export KEFU_MONGO_URL=mongodb://%s:%s/\n' "$HOST" "$mp"
    # each running per-service store (KEFU_STORES=per-service): the URL its service uses
    running_store_exports
}

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
    local cmd=${1:-}
    case $cmd in
    install) take_lock; cmd_install ;;
    start) take_lock; cmd_start ;;
    stop) take_lock; cmd_stop ;;
    restart) take_lock; cmd_stop; cmd_start ;;
    status) cmd_status ;;
    reset) take_lock; cmd_reset ;;
    env) cmd_env ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
    esac
}

main "$@"
