#!/usr/bin/env bash
# deps.sh - installs, with apt, every Debian 12 package hyoka needs to build, test and run the demo.
# Safe to re-run: does nothing when everything is already there. Needs root (or sudo).
set -euo pipefail

packages=(
    build-essential cmake pkg-config clang libclang-rt-14-dev
    libconfig-dev libcmocka-dev libfcgi-dev libpq-dev libjansson-dev libcsv-dev libssl-dev
    postgresql-15 postgresql-client-15 nginx-light spawn-fcgi libfcgi-bin wrk hyperfine
    chromium fonts-noto-cjk nodejs npm ca-certificates curl python3 libxml2-utils procps valgrind
    debhelper lintian go-md2man debootstrap
    bc systemd   # bc: the db tier's timings; systemd: systemd-socket-activate in the package tier
    gettext locales   # msgfmt/xgettext (po/), and ja_JP.UTF-8 for the Japanese message tests
)
# node/npm may come from another source on the image; only ask apt for them when missing.
missing=()
for p in "${packages[@]}"; do
    case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
# The locale the Japanese message tests (and hyoka-fcgi's Accept-Language: ja) use.
ensure_ja_locale() {
    locale -a 2>/dev/null | grep -qix 'ja_JP.utf-\?8' && return 0
    echo "deps: generating the locale ja_JP.UTF-8" >&2
    $SUDO localedef -i ja_JP -f UTF-8 ja_JP.UTF-8
}
if [ ${#missing[@]} -eq 0 ]; then
    ensure_ja_locale
    exit 0
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian's nginx and postgresql packages try to start system services; policy-rc.d stops that, so
# the demo and the tests own every server they run.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
ensure_ja_locale
