#!/usr/bin/env bash
# run.sh - the browser tier: the dashboard (nginx/www/) in Debian's chromium, driven by
# playwright-core, against a demo stack started here (scripts/stack.sh) and stopped on exit.
# The checks store two more runs of the default survey (`hyoka evaluate --rules` with other
# thresholds, then POST /api/v1/evaluations) to look at an older one; they need HYOKA_BUILD and
# what stack_up exports (HYOKA_STACK_DIR, HYOKA_TOKEN).
# Screenshots land in tests/artifacts/. Bounded: npm ci 120 s, stack start ~60 s, tests 240 s
# (about 95 s of checks on the 2-core machine under load).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/stack.sh
source "$root/scripts/stack.sh"
export HYOKA_BUILD=${HYOKA_BUILD:-$root/build}

[ -x /usr/bin/chromium ] || die "chromium is not installed (scripts/deps.sh)"
command -v node >/dev/null || die "node is not installed (scripts/deps.sh)"

tmp=$(mktemp -d /tmp/hyoka-browser.XXXXXX)
cleanup() {
    stack_down "$tmp"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "browser: npm ci (playwright-core, axe-core; no browser download)"
(cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 120 npm ci --prefer-offline --no-audit --no-fund --loglevel=error) ||
    die "npm ci failed in tests/browser"

port=$(free_port) || die "no free port"
stack_up "$tmp" "$port" demo

export HYOKA_ARTIFACTS=$root/tests/artifacts
mkdir -p "$HYOKA_ARTIFACTS"
# The last checks stop hyoka-fcgi (nginx stays up) and expect the dashboard's error state.
export HYOKA_STOP_BACKEND="bash -c 'source \"$root/scripts/lib.sh\"; stop_pidfile \"$tmp/hyoka-fcgi.pid\" 35'"

cd "$here"
# first: the dashboard checks store more runs and end by stopping hyoka-fcgi
log "browser: planner page (ルール調整) checks against $HYOKA_URL"
timeout 120 node planner.test.mjs
log "browser: dashboard checks against $HYOKA_URL"
timeout 240 node dashboard.test.mjs
