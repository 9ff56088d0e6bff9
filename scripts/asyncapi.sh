#!/usr/bin/env bash
# Writes each service's AsyncAPI 3.0 document (from its FastStream subscribers and publishers).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/asyncapi
for s in intake routing notifications surveys membership dashboard knowledge; do
    .venv/bin/faststream docs gen "kefu_$s.asyncapi:app" -o "docs/asyncapi/$s.json" >/dev/null
    echo "asyncapi: docs/asyncapi/$s.json"
done
