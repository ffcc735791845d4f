#!/usr/bin/env bash
# fuzz.sh - builds the libFuzzer targets (CC=clang, -DHYOKA_FUZZ=ON) into build-fuzz and runs
# every tests/fuzz/fuzz_* for a bounded time each, with a corpus folder per target under
# build-fuzz/corpus/. Prints, per target, the executions and whether it crashed (the crashing
# input is kept in build-fuzz/crashes/). Exit 1 if any target crashed.
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

# Seeds: expressions in the style of the shipped rules, so the fuzzer starts from valid input.
seed_expr() {
    local dir=$1 i=0
    while IFS= read -r line; do
        i=$((i + 1))
        printf '%s' "$line" >"$dir/seed_$i"
    done <<'SEEDS'
x >= thresholds.k && b
s == 'on_track' || s in ('a', "b", '順調')
b ? round(x * 100, 1) : coalesce(y, -1)
not (x < 1) and min(x, y, 2) > max(abs(-x), clamp(y, 0, 1))
is_null(any) ? any : thresholds.t == s
-(-x) / (y - 1) != 0
((((x))))
SEEDS
}

# Seeds for the rule loader: the shipped rules and the corpus of good and bad rule files.
seed_rules() {
    local dir=$1 f
    for f in "$root"/config/rules/*.cfg "$root"/tests/rules/bad/*.cfg "$root"/tests/rules/good/*.cfg; do
        [ -f "$f" ] || continue
        cp "$f" "$dir/seed_$(basename "$(dirname "$f")")_$(basename "$f")"
    done
}

crashed=0
for t in "${targets[@]}"; do
    corpus=$build/corpus/$t
    crashes=$build/crashes/$t
    mkdir -p "$corpus" "$crashes"
    [ "$t" = fuzz_expr ] && [ -z "$(ls -A "$corpus")" ] && seed_expr "$corpus"
    [ "$t" = fuzz_rules ] && seed_rules "$corpus" # new seeds are picked up by an old corpus too
    logf=$build/$t.log
    log "fuzzing $t for ${seconds}s (corpus $corpus)"
    # -max_len a little above ENG_MAX_EXPR_LEN so the length limit is exercised too; rule files
    # are longer (default.cfg is about 5 KB).
    max_len=4200
    [ "$t" = fuzz_rules ] && max_len=8192
    "$build/tests/fuzz/$t" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
        -rss_limit_mb=1024 -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" \
        >"$logf" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logf" | grep -o '[0-9]*$')
    if [ $rc -eq 0 ]; then
        printf '%s: %s execs, no crash\n' "$t" "${execs:-?}"
    else
        crashed=1
        printf '%s: CRASHED after %s execs (exit %d); input in %s, log %s\n' "$t" "${execs:-?}" \
            "$rc" "$crashes" "$logf"
        grep -m5 -E 'ERROR|SUMMARY|runtime error' "$logf"
    fi
done
exit $crashed
