#!/usr/bin/env bash
# Sets up the Python environment from nothing: uv (from PyPI, into .stack/tools)
# and the workspace's locked dependencies in .venv. Needs only python3.11.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.8
TOOLS=${KEFU_STACK_DIR:-$PWD/.stack}/tools
export UV_PYTHON_DOWNLOADS=never          # use the machine's CPython 3.11, never fetch one
export UV_PYTHON=${KEFU_PYTHON:-python3.11}
export UV_CACHE_DIR=${UV_CACHE_DIR:-${KEFU_STACK_DIR:-$PWD/.stack}/uv-cache}

command -v "$UV_PYTHON" >/dev/null || { echo "bootstrap: $UV_PYTHON not found on PATH (kefu needs Python 3.11)" >&2; exit 1; }

if [[ -x $TOOLS/bin/uv ]] && [[ "$("$TOOLS/bin/uv" --version)" == "uv $UV_VERSION"* ]]; then
    :
else
    echo "bootstrap: installing uv $UV_VERSION into $TOOLS (first time only)" >&2
    "$UV_PYTHON" -m venv "$TOOLS"
    "$TOOLS/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
"$TOOLS/bin/uv" sync --frozen --all-packages --quiet
echo "bootstrap: Python environment ready in .venv" >&2
