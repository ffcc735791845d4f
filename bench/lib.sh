# bench/lib.sh - what the benchmarks on throwaway stacks share (bench/http/run.sh,
# bench/whatif/run.sh): scripts/stack.sh, a folder of their own whose stacks are stopped and
# which is removed at exit, and the large case (bench/data/gen.py's initiatives imported and
# evaluated). Sourced, after `set -uo pipefail`:
#
#   source "$(dirname "$0")/../lib.sh"
#   bench_init NAME          tmp=/tmp/hyoka-bench-NAME.XXXXXX, dirs=(): every folder in dirs is
#                            stack_down'd at exit (also on failure or INT/TERM), then tmp removed;
#                            on failure the last 20 lines of $tmp/stack.log go to stderr
#   bench_large DIR N        a stack in DIR (added to dirs) with N generated initiatives
#                            imported, survey B evaluated with the default rules, and VACUUM
#                            ANALYZE run (the steady state autovacuum would reach after a bulk
#                            load, done before measuring, not during); HYOKA_URL set
#
# Sets root (the source tree) and HYOKA_BUILD (default: $root/build).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/stack.sh"
export HYOKA_BUILD=${HYOKA_BUILD:-$root/build}

bench_cleanup() {
    local rc=$? d
    if [ $rc -ne 0 ] && [ -f "$tmp/stack.log" ]; then tail -20 "$tmp/stack.log" >&2; fi
    for d in "${dirs[@]}"; do stack_down "$d"; done
    rm -rf "$tmp"
}

bench_init() {
    tmp=$(mktemp -d "/tmp/hyoka-bench-$1.XXXXXX") || die "mktemp failed"
    dirs=()
    trap bench_cleanup EXIT
    trap 'exit 1' INT TERM
}

bench_large() {
    local d=$1 n=$2
    dirs+=("$d")
    stack_up "$d" "$(free_port)" empty >"$tmp/stack.log" 2>&1 || die "stack_up failed (see $d)"
    python3 "$root/bench/data/gen.py" "$tmp/csv" "$n" >/dev/null || die "gen.py failed"
    "$HYOKA_BUILD/cli/hyoka" --config "$d/hyoka.cfg" import "$tmp"/csv/*.csv >/dev/null ||
        die "import of $n initiatives failed"
    "$HYOKA_BUILD/cli/hyoka" --config "$d/hyoka.cfg" evaluate --survey B \
        --rules "$root/config/rules/default.cfg" --format table >/dev/null || die "evaluate failed"
    (source "$d/pg.env" && psql -X -q -c "VACUUM ANALYZE" >/dev/null) || log "VACUUM failed"
}
