#!/usr/bin/env bash
# Install the headless browser the dashboard's page test drives: Debian's `chromium` and
# `chromium-driver` (Selenium talks to /usr/bin/chromedriver, which starts /usr/bin/chromium).
# Does nothing when both are there already. Needs root (or sudo) and a reachable Debian mirror.
set -euo pipefail
# shellcheck source=lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

if [[ -x $CHROMIUM && -x $DRIVER ]]; then
    echo "install-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) and chromedriver already installed"
    exit 0
fi

APT_WHO=install-browser
APT_HINT="install Debian's chromium and chromium-driver yourself (apt-get install chromium chromium-driver), then run the page test again: tests/e2e/test_dashboard_page.py"
# fonts-wqy-microhei: a CJK font for the report charts' Chinese labels (about 100 MB with the browser)
apt_install chromium chromium-driver fonts-wqy-microhei

[[ -x $CHROMIUM ]] || apt_fail "$CHROMIUM is still missing after the install"
[[ -x $DRIVER ]] || apt_fail "$DRIVER is still missing after the install"
echo "install-browser: installed $("$CHROMIUM" --version 2>/dev/null) and $("$DRIVER" --version 2>/dev/null | head -1)"
