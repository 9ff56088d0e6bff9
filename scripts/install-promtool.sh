#!/usr/bin/env bash
# Install promtool, which tests/unit/deploy/test_monitoring.py runs on deploy/monitoring/alerts.yml
# (`promtool check rules`, `promtool test rules`). It ships in Debian's `prometheus` package.
# Does nothing when promtool is there already. Needs root (or sudo) and a reachable Debian mirror.
# The package's postinst may start a Prometheus server where systemd runs; the tests need only promtool.
set -euo pipefail
# shellcheck source=lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"

if command -v promtool >/dev/null; then
    echo "install-promtool: $(promtool --version 2>&1 | head -1) already installed"
    exit 0
fi

APT_WHO=install-promtool
APT_HINT="install Debian's prometheus package yourself (apt-get install prometheus), or put any promtool 2.x on PATH, then run tests/unit/deploy/test_monitoring.py again"
apt_install prometheus  # promtool is in it

command -v promtool >/dev/null || apt_fail "promtool is still missing after the install"
echo "install-promtool: installed $(promtool --version 2>&1 | head -1)"
