#!/usr/bin/env bash
# fuzz.sh - builds the libFuzzer targets (CC=clang, -DHYOKA_FUZZ=ON) into build-fuzz and runs
# every tests/fuzz/fuzz_* for a bounded time each, starting from its corpus in the repo
# (tests/fuzz/corpus/TARGET, read only); new inputs go to build-fuzz/corpus/TARGET. Prints, per
# target, the executions and whether it crashed; a crashing input is kept in build-fuzz/crashes/
# and must be added to the repo's corpus once fixed. Exit 1 if any target crashed.
# scripts/test.sh runs it for a few seconds per target; a campaign runs it longer.
#
#   scripts/fuzz.sh [SECONDS]      (default 60 per target)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib.sh"

seconds=${1:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 86400 ] ||
    die "usage: scripts/fuzz.sh [SECONDS]   (1 .. 86400 per target)"
command -v clang >/dev/null || die "clang is needed (apt-get install clang libclang-rt-14-dev)"

build=$root/build-fuzz
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_C_COMPILER:.*clang' "$build/CMakeCache.txt"; then
    die "$build was configured without clang: remove $build/CMakeCache.txt (the corpus can stay)"
fi
CC=clang cmake -S "$root" -B "$build" -DHYOKA_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >/dev/null || die "cmake configure failed"
targets=()
for src in "$root"/tests/fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    targets+=("$(basename "$src" .c)")
done
[ ${#targets[@]} -gt 0 ] || die "no tests/fuzz/fuzz_*.c"
cmake --build "$build" --target "${targets[@]}" -j2 >/dev/null || die "build failed"

crashed=0
for t in "${targets[@]}"; do
    [ -x "$build/tests/fuzz/$t" ] || { log "$t: not built (see tests/fuzz/CMakeLists.txt)"; continue; }
    corpus=$build/corpus/$t
    seeds=$root/tests/fuzz/corpus/$t
    crashes=$build/crashes/$t
    mkdir -p "$corpus" "$crashes"
    logf=$build/$t.log
    log "fuzzing $t for ${seconds}s (corpus $seeds, new inputs in $corpus)"
    # -max_len a little above ENG_MAX_EXPR_LEN so the length limit is exercised too; rule files
    # are longer (default.cfg is about 5 KB).
    max_len=4200
    [ "$t" = fuzz_rules ] && max_len=8192
    # the first folder receives the new inputs; the repo's corpus is only read
    nice "$build/tests/fuzz/$t" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
        -rss_limit_mb=1024 -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" "$seeds" \
        >"$logf" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logf" | grep -o '[0-9]*$')
    if [ $rc -eq 0 ]; then
        printf '%s: %s execs, no crash\n' "$t" "${execs:-?}"
    else
        crashed=1
        printf '%s: CRASHED after %s execs (exit %d); log %s; once fixed, add the input to the corpus:\n' \
            "$t" "${execs:-?}" "$rc" "$logf"
        for f in "$crashes"/*; do [ -f "$f" ] && printf '    cp %s %s/\n' "$f" "$seeds"; done
        grep -m5 -E 'ERROR|SUMMARY|runtime error' "$logf"
        # The input itself, so that a CI log keeps it after the build directory is gone (a clean-
        # clone run lost fuzz_set's first crash so): base64, at most 4 KiB of it.
        for f in "$crashes"/*; do
            [ -f "$f" ] || continue
            printf '    input %s (%d bytes, base64; `base64 -d` gives it back):\n' "${f##*/}" "$(wc -c <"$f")"
            head -c 4096 "$f" | base64 | sed 's/^/    /'
        done
    fi
done
exit $crashed
