#!/usr/bin/env bash
# Runs the whole suite. Integration tests find their servers themselves
# (environment, testcontainers, or the local stack: see tests/support/infra.py).
# If this script started the local stack, it stops it again at the end.
set -uo pipefail
cd "$(dirname "$0")/.."

started_stack=0
if [[ -z ${KEFU_KAFKA_BOOTSTRAP:-} || -z ${KEFU_MONGO_URL:-} ]] && ! deploy/local/stack.sh status >/dev/null 2>&1; then
    started_stack=1
fi

.venv/bin/pytest "$@"
rc=$?
if ((started_stack)) && deploy/local/stack.sh status >/dev/null 2>&1; then
    deploy/local/stack.sh stop
fi
if ((rc == 5)); then
    echo "run-tests: pytest collected no tests; that is a failure here" >&2
    rc=1
fi
exit $rc
