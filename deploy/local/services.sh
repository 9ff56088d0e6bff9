#!/usr/bin/env bash
# Runs the seven kefu services as background processes on this machine.
#
#   deploy/local/services.sh up       start every service not yet running, wait for /health
#   deploy/local/services.sh down     SIGTERM each (graceful: in-flight messages finish and commit)
#   deploy/local/services.sh status   one line per service
#
# Logs: .stack/logs/<service>.log; pids: .stack/run/<service>.pid. Settings come
# from the environment (KEFU_KAFKA_BOOTSTRAP, KEFU_MONGO_URL, ...; see README).
# Each service gets its own store when the stack runs one per service (stack.sh writes
# their URLs to .stack/run/stores.env): KEFU_<SERVICE>_MONGO_URL from that file, unless
# the environment sets it already.
set -euo pipefail
cd "$(dirname "$0")/../.."

STACK_DIR=${KEFU_STACK_DIR:-$PWD/.stack}
RUN_DIR=$STACK_DIR/run
LOG_DIR=$STACK_DIR/logs
PY=$PWD/.venv/bin/python
SERVICES=${KEFU_SERVICES:-"intake routing notifications surveys membership dashboard knowledge"}
declare -A PORT=([intake]=8101 [routing]=8102 [notifications]=8103 [surveys]=8104 [membership]=8105 [dashboard]=8106 [knowledge]=8107)
mkdir -p "$RUN_DIR" "$LOG_DIR"

port_of() {
    local var="KEFU_${1^^}_HTTP_PORT"
    echo "${!var:-${PORT[$1]}}"
}

running() {
    local pidfile=$RUN_DIR/$1.pid
    [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

healthy() {
    "$PY" - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

# KEFU_<SERVICE>_MONGO_URL of the stack's per-service stores, for those the environment does not set.
export_store_urls() {
    local file=$RUN_DIR/stores.env line name value
    [[ -f $file ]] || return 0
    while IFS= read -r line; do
        [[ $line =~ ^export\ (KEFU_[A-Z]+_MONGO_URL)=(.+)$ ]] || continue
        name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
        if [[ -z ${!name:-} ]]; then export "$name=$value"; fi
    done <"$file"
}

store_of() {  # the store URL a service uses (its own, else the shared one)
    local var="KEFU_${1^^}_MONGO_URL"
    echo "${!var:-${KEFU_MONGO_URL:-mongodb://127.0.0.1:27017}}"
}

up() {
    [[ -x $PY ]] || { echo "services: no .venv; run 'make setup' first" >&2; exit 1; }
    export_store_urls
    if [[ -z ${KEFU_TOKENS:-} ]]; then
        # every API needs tokens: local runs get dev tokens, one per role and department
        # (hashes in dev-tokens.json for the services, the tokens themselves in dev-tokens.txt for people)
        if [[ ! -f $STACK_DIR/dev-tokens.txt ]] || ! grep -q '^relations=' "$STACK_DIR/dev-tokens.txt"; then
            rm -f "$STACK_DIR/dev-tokens.json" "$STACK_DIR/dev-tokens.txt"   # made before every role had one
        fi
        "$PWD/.venv/bin/kefu" dev-tokens "$STACK_DIR/dev-tokens"
        KEFU_TOKENS=$(cat "$STACK_DIR/dev-tokens.json")
        export KEFU_TOKENS
    fi
    # the workspace page (served by the dashboard) calls the services from the browser: allow its origin
    export KEFU_CORS_ORIGINS=${KEFU_CORS_ORIGINS:-http://127.0.0.1:$(port_of dashboard),http://localhost:$(port_of dashboard)}
    # the demo's messages to owners and staff go to a file (no SMS gateway here)
    export KEFU_FILE_PROVIDER_PATH=${KEFU_FILE_PROVIDER_PATH:-$LOG_DIR/notifications-sent.jsonl}
    for s in $SERVICES; do
        if running "$s"; then continue; fi
        KEFU_HTTP_PORT=$(port_of "$s") nohup "$PY" -m "kefu_$s" >>"$LOG_DIR/$s.log" 2>&1 &
        echo $! >"$RUN_DIR/$s.pid"
    done
    for s in $SERVICES; do
        local port deadline=$((SECONDS + 120))
        port=$(port_of "$s")
        until healthy "$port"; do
            if ! running "$s"; then echo "services: $s exited; last lines of $LOG_DIR/$s.log:" >&2; tail -n 30 "$LOG_DIR/$s.log" >&2; exit 1; fi
            if ((SECONDS > deadline)); then echo "services: $s not healthy after 120s" >&2; tail -n 30 "$LOG_DIR/$s.log" >&2; exit 1; fi
            sleep 0.3
        done
        printf 'services: %-13s http://127.0.0.1:%s  (health /health, metrics /metrics, log %s, store %s)\n' "$s" "$port" "$LOG_DIR/$s.log" "$(store_of "$s")"
    done
    [[ -f $STACK_DIR/dev-tokens.txt ]] && echo "services: API tokens, one per role (Authorization: Bearer ...), in $STACK_DIR/dev-tokens.txt"
    return 0
}

down() {
    for s in $SERVICES; do
        running "$s" || { rm -f "$RUN_DIR/$s.pid"; continue; }
        kill -TERM "$(cat "$RUN_DIR/$s.pid")"
    done
    for s in $SERVICES; do
        local deadline=$((SECONDS + 30))
        while running "$s" && ((SECONDS < deadline)); do sleep 0.2; done
        if running "$s"; then kill -KILL "$(cat "$RUN_DIR/$s.pid")"; echo "services: $s killed after 30s" >&2; fi
        rm -f "$RUN_DIR/$s.pid"
    done
    echo "services: stopped"
}

status() {
    for s in $SERVICES; do
        if running "$s"; then printf '%-13s running pid=%s port=%s\n' "$s" "$(cat "$RUN_DIR/$s.pid")" "$(port_of "$s")"
        else printf '%-13s stopped\n' "$s"; fi
    done
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
