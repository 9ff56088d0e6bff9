# shellcheck shell=bash
# Installing Debian packages for the test suite's tools, one way for every install-*.sh script.
# Source it, set APT_WHO (the script's name, for messages) and APT_HINT (what a person can do
# instead), then call `apt_install PACKAGE...`. Needs root (or sudo) and a reachable Debian mirror.

apt_fail() {
    echo "$APT_WHO: $*" >&2
    echo "$APT_WHO: $APT_HINT" >&2
    exit 1
}

apt_install() {
    command -v apt-get >/dev/null || apt_fail "apt-get not found: this script knows Debian and Ubuntu only"
    local -a sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || apt_fail "not root and no sudo: cannot install packages"
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "$APT_WHO: apt-get update ..."
    "${sudo[@]}" apt-get update -q || apt_fail "apt-get update failed (no network to the Debian mirror?)"
    echo "$APT_WHO: apt-get install $* ..."
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" || apt_fail "apt-get install $* failed"
}
