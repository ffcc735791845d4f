#!/usr/bin/env bash
# bench/whatif/run.sh - the planner's speed (issue 15) on throwaway stacks (scripts/stack.sh):
#   1. the demo data: bench_whatif's `check` (every threshold of the default rules swept
#      incrementally and in full: the same JSON, or this fails);
#   2. bench/data's N (100,000) generated initiatives, imported and evaluated (survey B):
#      bench_whatif (what-if, planner update, 100-value sweep incremental and in full, check,
#      counterfactuals), then bench/whatif/planner.mjs in Chromium against hyoka-fcgi + nginx
#      (key press on the slider -> counts drawn).
# Prints every command ("$ ...") and the load average before each part: a benchmark on a shared
# machine, not a test; it fails only if a command fails or the check finds a difference.
#
#   HYOKA_BUILD=/abs/build bench/whatif/run.sh [N] [PRESSES]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
n=${1:-100000}
presses=${2:-20}
bench=$HYOKA_BUILD/bench/whatif/bench_whatif
[ -x "$bench" ] || die "no $bench: build first"

bench_init whatif
export HYOKA_WORKERS=${HYOKA_WORKERS:-2} HYOKA_LOG_LEVEL=warn

# run CMD...: prints the command and the load average, then runs it
run() {
    printf '$ %s\n  (load average %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)"
    "$@"
}

d=$tmp/demo
dirs+=("$d")
stack_up "$d" "$(free_port)" demo >"$tmp/stack.log" 2>&1 || die "stack_up failed (see $d)"
echo "== demo data: incremental sweep == full passes, every threshold of the default rules"
(source "$d/pg.env" && run "$bench" "" "$root/config/rules/default.cfg" check) ||
    die "check failed on the demo data"
stack_down "$d"

bench_large "$tmp/large" "$n"
d=$tmp/large
echo "== $n initiatives (survey B)"
(source "$d/pg.env" && run "$bench" B "$root/config/rules/default.cfg") || die "bench_whatif failed"
(cd "$root/tests/browser" && [ -d node_modules/playwright-core ] ||
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 120 npm ci --prefer-offline --no-audit --no-fund \
        --loglevel=error) || die "npm ci failed in tests/browser (playwright-core)"
echo "== the planner page in Chromium ($HYOKA_WORKERS workers)"
run env HYOKA_URL="$HYOKA_URL" node "$here/planner.mjs" B "$presses" || die "planner.mjs failed"
