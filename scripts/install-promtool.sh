#!/usr/bin/env bash
# Install promtool, which tests/unit/deploy/test_monitoring.py runs on deploy/monitoring/alerts.yml
# (`promtool check rules`, `promtool test rules`). It ships in Debian's `prometheus` package.
# Does nothing when promtool is there already. Needs root (or sudo) and a reachable Debian mirror.
# The package's postinst may start a Prometheus server where systemd runs; the tests need only promtool.
set -euo pipefail

if command -v promtool >/dev/null; then
    echo "install-promtool: $(promtool --version 2>&1 | head -1) already installed"
    exit 0
fi

fail() {
    echo "install-promtool: $*" >&2
    echo "install-promtool: install Debian's prometheus package yourself (apt-get install prometheus)," >&2
    echo "install-promtool: or put any promtool 2.x on PATH, then run tests/unit/deploy/test_monitoring.py again" >&2
    exit 1
}

command -v apt-get >/dev/null || fail "apt-get not found: this script knows Debian and Ubuntu only"

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || fail "not root and no sudo: cannot install packages"
    SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-promtool: apt-get update ..."
"${SUDO[@]}" apt-get update -q || fail "apt-get update failed (no network to the Debian mirror?)"
echo "install-promtool: apt-get install prometheus (promtool is in it) ..."
"${SUDO[@]}" apt-get install -y -q --no-install-recommends prometheus || fail "apt-get install prometheus failed"

command -v promtool >/dev/null || fail "promtool is still missing after the install"
echo "install-promtool: installed $(promtool --version 2>&1 | head -1)"
