#!/usr/bin/env bash
# test.sh - the one command that runs every hyoka test (README, .ci/run).
#
#   1. installs what is missing (scripts/deps.sh, apt);
#   2. builds with -Werror and runs the unit tests (cmocka via CTest) and the rule-file corpus;
#   3. builds again with ASan+UBSan and runs the same unit tests (both replay every fuzz corpus);
#      then runs each libFuzzer target for $HYOKA_FUZZ_SECONDS (default 20) with clang in
#      build-fuzz (scripts/fuzz.sh), one step that prints the executions per target;
#   4. runs the black-box tiers tests/*/run.sh in order (each starts and stops its own PostgreSQL,
#      hyoka-fcgi, nginx and Chromium on loopback, in a temporary directory).
#
# Options: --quick (skip the sanitizer build), --only TIER (run one black-box tier, e.g. http).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/lib.sh

quick=0
only=
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --only) only=$2; shift ;;
    *) die "usage: scripts/test.sh [--quick] [--only TIER]" ;;
    esac
    shift
done

# A defined locale for every step: the tests' expected texts are the English msgids (po/), and
# a tier that checks Japanese asks for it itself (LANG=ja_JP.UTF-8 on the command it runs).
export LC_ALL=C.UTF-8
unset LANGUAGE

jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
failures=()
step() { # step NAME CMD...: runs one step, counts it
    local name=$1; shift
    log "== $name"
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$name")
        log "FAILED: $name"
    fi
}

timeout 1200 scripts/deps.sh || die "could not install the packages (scripts/deps.sh)"

build() { # build DIR CMAKE-OPTIONS...
    local dir=$1; shift
    cmake -S . -B "$dir" -DHYOKA_WERROR=ON "$@" >"$dir/configure.log" 2>&1 ||
        { cat "$dir/configure.log" >&2; return 1; }
    cmake --build "$dir" -j "$jobs" 2>&1 | tail -n 40 >&2
    return "${PIPESTATUS[0]}"
}
unit() { # unit DIR
    timeout 600 ctest --test-dir "$1" --output-on-failure --timeout 120 -j "$jobs"
}

mkdir -p build
if [ -z "$only" ]; then
    step "build" build build -DCMAKE_BUILD_TYPE=RelWithDebInfo || true
    step "unit tests" unit build
    if [ $quick -eq 0 ]; then
        mkdir -p build-asan
        step "build (ASan+UBSan)" build build-asan -DCMAKE_BUILD_TYPE=Debug -DHYOKA_SANITIZE=ON
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
            step "unit tests (ASan+UBSan)" unit build-asan
        step "fuzzing (${HYOKA_FUZZ_SECONDS:-20} s per target)" \
            timeout 900 scripts/fuzz.sh "${HYOKA_FUZZ_SECONDS:-20}"
    fi
else
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo || die "build failed"
fi

export HYOKA_BUILD="$root/build"
# Black-box tiers, in dependency order; each is bounded in time.
for tier in rules db runs http consistency chaos scale browser package; do
    [ -n "$only" ] && [ "$only" != "$tier" ] && continue
    [ -x "tests/$tier/run.sh" ] || continue
    step "black-box: $tier" timeout 900 "tests/$tier/run.sh"
done

echo
if [ ${#failures[@]} -gt 0 ]; then
    log "failed steps: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
