#!/usr/bin/env bash
# Install the headless browser the dashboard's page test drives: Debian's `chromium` and
# `chromium-driver` (Selenium talks to /usr/bin/chromedriver, which starts /usr/bin/chromium).
# Does nothing when both are there already. Needs root (or sudo) and a reachable Debian mirror.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

if [[ -x $CHROMIUM && -x $DRIVER ]]; then
    echo "install-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) and chromedriver already installed"
    exit 0
fi

fail() {
    echo "install-browser: $*" >&2
    echo "install-browser: install Debian's chromium and chromium-driver yourself (apt-get install chromium chromium-driver)," >&2
    echo "install-browser: then run the page test again: tests/e2e/test_dashboard_page.py" >&2
    exit 1
}

command -v apt-get >/dev/null || fail "apt-get not found: this script knows Debian and Ubuntu only"

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || fail "not root and no sudo: cannot install packages"
    SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-browser: apt-get update ..."
"${SUDO[@]}" apt-get update -q || fail "apt-get update failed (no network to the Debian mirror?)"
echo "install-browser: apt-get install chromium chromium-driver and a CJK font for Chinese labels (about 100 MB) ..."
"${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-wqy-microhei \
    || fail "apt-get install chromium chromium-driver failed"

[[ -x $CHROMIUM ]] || fail "$CHROMIUM is still missing after the install"
[[ -x $DRIVER ]] || fail "$DRIVER is still missing after the install"
echo "install-browser: installed $("$CHROMIUM" --version 2>/dev/null) and $("$DRIVER" --version 2>/dev/null | head -1)"
