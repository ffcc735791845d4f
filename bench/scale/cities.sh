#!/usr/bin/env bash
# bench/scale/cities.sh - N cities of Izumo's size in ONE hyoka installation as it is today, and
# what one more city costs as N grows (issue 16, "a multi-city plan, measured").
#
# hyoka has no city: nothing in its schema partitions the roadmap (a survey covers every
# initiative whose start date is on or before its as-of date, SPEC "Precise semantics"), so the
# closest the product comes is each city as its own codes and its own survey in one database:
# city k is config/demo's 105 initiatives with codes "ck-…" and survey "ck" (bench/data/
# gen_cities.py). Everything below runs the product's own commands on that: `hyoka import`,
# `hyoka evaluate --survey ck` (which evaluates and stores every initiative the survey covers,
# i.e. every city's), and hyoka-fcgi behind nginx (scripts/stack.sh, HYOKA_WORKERS workers).
#
# Per N (ascending): the cities up to N - K are imported in bulk (not timed), then K more (or as
# many as N adds, if fewer) are added one at a time, each timed: `hyoka import` of its five files and `hyoka evaluate --survey`
# of its survey (median and the largest of the K, "p95" being the largest for K < 20); then the
# first /api/v1/initiatives?limit=50 of the last city evaluated (a cache miss: an evaluation empties
# every worker's cache, and the worker loads the run's results), and wrk (2 connections, BENCH_SECONDS) on /api/v1/summary?survey=ck and
# /api/v1/initiatives?survey=ck&limit=50 for a random city among those evaluated (p50/p99); the
# hyoka-fcgi workers' RSS and PSS (smaps_rollup, summed), the database size and the number of
# stored result rows and run partitions.
#
#   HYOKA_BUILD=/abs/build bench/scale/cities.sh [N...]         (default: 1 10 100 1000)
# Environment: CITIES_K (5: cities timed per N), BENCH_SECONDS (5), HYOKA_WORKERS (4).
# A benchmark, not a test: it prints figures and the commands; it fails only if a command fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/scripts/stack.sh"
export HYOKA_BUILD=${HYOKA_BUILD:-$root/build} HYOKA_WORKERS=${HYOKA_WORKERS:-4} HYOKA_LOG_LEVEL=warn
hyoka=$HYOKA_BUILD/cli/hyoka
k=${CITIES_K:-5}
secs=${BENCH_SECONDS:-5}
ns=("${@:-1 10 100 1000}")
read -ra ns <<<"${ns[*]}"
command -v wrk >/dev/null || die "wrk is not installed (scripts/deps.sh)"
[ "$k" -ge 1 ] 2>/dev/null || die "CITIES_K must be a whole number >= 1, not '$k'"
prev=0
for n in "${ns[@]}"; do
    [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -gt "$prev" ] || die "N must be whole numbers >= 1, ascending: '$n'"
    prev=$n
done

tmp=$(mktemp -d /tmp/hyoka-bench-cities.XXXXXX)
chmod 755 "$tmp"
cleanup() { stack_down "$tmp/stack"; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
stack_up "$tmp/stack" "$(free_port)" empty >/dev/null || die "the stack did not start"
source "$tmp/stack/pg.env"
cfg=$tmp/stack/hyoka.cfg
rules=$root/config/rules/default.cfg
files() { local d=$1; echo "$d"/{measures,initiatives,milestones,surveys,progress}.csv; }
gen() { python3 "$root/bench/data/gen_cities.py" "$root/config/demo" "$1" "$2" "$3" || die "gen_cities.py failed"; }
ms() { date +%s%3N; }
# median / largest of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
largest() { sort -g | tail -1; }
us() { awk -v t="$1" 'BEGIN { v = t + 0; if (t ~ /ms$/) v *= 1e3; else if (t ~ /[0-9]s$/) v *= 1e6;
                              printf "%.1f", v / 1e3 }'; }
# wrk_p URL: "p50 p99" in ms and requests/s
wrk_p() {
    local out
    out=$(wrk -t1 -c2 -d"${secs}s" --latency "$1" 2>&1)
    grep -q "Non-2xx" <<<"$out" && log "warning: non-2xx answers from $1"
    printf '%s %s %s\n' "$(us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")" \
        "$(us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")" "$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")"
}
log "commands: $hyoka --config $cfg import DIR/{measures,initiatives,milestones,surveys,progress}.csv;"
log "          $hyoka --config $cfg evaluate --survey cK --rules $rules;"
log "          wrk -t1 -c2 -d${secs}s --latency $HYOKA_URL/api/v1/summary?survey=cK (and /api/v1/initiatives?survey=cK&limit=50)"
printf '%6s %9s %9s %9s %9s %10s %11s %11s %11s %9s %9s %8s %8s %7s\n' cities imp_med imp_max \
    eval_med eval_max first_ms sum_p50/p99 list_p50/p99 sum_req/s rss_MB pss_MB db_MB results parts
have=0
evaluated=()
for n in "${ns[@]}"; do
    bulk=$((n - k))
    if [ "$bulk" -gt "$have" ]; then
        # in chunks of 200 cities (21,000 initiatives): one import each
        from=$((have + 1))
        while [ "$from" -le "$bulk" ]; do
            to=$((from + 199 > bulk ? bulk : from + 199))
            rm -rf "$tmp/bulk"
            gen "$tmp/bulk" "$from" "$to"
            # shellcheck disable=SC2046
            timeout 600 "$hyoka" --config "$cfg" import $(files "$tmp/bulk") >"$tmp/out" 2>&1 ||
                { cat "$tmp/out" >&2; die "bulk import of cities $from..$to failed"; }
            from=$((to + 1))
        done
        have=$bulk
    fi
    imp=() ev=()
    for c in $(seq $((have + 1)) "$n"); do
        rm -rf "$tmp/one"
        gen "$tmp/one" "$c" "$c"
        t0=$(ms)
        # shellcheck disable=SC2046
        timeout 600 "$hyoka" --config "$cfg" import $(files "$tmp/one") >"$tmp/out" 2>&1 ||
            { cat "$tmp/out" >&2; die "import of city $c failed"; }
        imp+=($(($(ms) - t0)))
        t0=$(ms)
        timeout 600 "$hyoka" --config "$cfg" evaluate --survey "c$c" --rules "$rules" >"$tmp/out" 2>&1 ||
            { cat "$tmp/out" >&2; die "evaluate --survey c$c failed"; }
        ev+=($(($(ms) - t0)))
        evaluated+=("$c")
    done
    have=$n
    last=${evaluated[-1]}
    first=$(curl -fsS -o /dev/null -w '%{time_total}' "$HYOKA_URL/api/v1/initiatives?survey=c$last&limit=50" |
        awk '{ printf "%.0f", $1 * 1000 }') || die "GET /api/v1/initiatives?survey=c$last failed"
    pick=${evaluated[$((RANDOM % ${#evaluated[@]}))]}
    read -r s50 s99 srps < <(wrk_p "$HYOKA_URL/api/v1/summary?survey=c$pick")
    read -r l50 l99 _ < <(wrk_p "$HYOKA_URL/api/v1/initiatives?survey=c$pick&limit=50")
    rss=0 pss=0
    for p in $(pgrep -P "$(cat "$tmp/stack/hyoka-fcgi.pid")"); do
        rss=$((rss + $(awk '/^Rss:/ { print $2 }' "/proc/$p/smaps_rollup")))
        pss=$((pss + $(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup")))
    done
    read -r db results parts < <(psql -X -qtA -F' ' -c "SELECT pg_database_size(current_database()) / 1048576,
        (SELECT count(*) FROM evaluation_results), (SELECT count(*) FROM pg_inherits
          WHERE inhparent = 'evaluation_results'::regclass)")
    printf '%6s %9s %9s %9s %9s %10s %11s %11s %11s %9s %9s %8s %8s %7s\n' "$n" \
        "$(printf '%s\n' "${imp[@]}" | median)" "$(printf '%s\n' "${imp[@]}" | largest)" \
        "$(printf '%s\n' "${ev[@]}" | median)" "$(printf '%s\n' "${ev[@]}" | largest)" "$first" \
        "$s50/$s99" "$l50/$l99" "$srps" $((rss / 1024)) $((pss / 1024)) "$db" "$results" "$parts"
    log "N=$n done; load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "(import and evaluate in ms, of one more city, $k per N: median and largest; first_ms: the first"
echo " /api/v1/initiatives?limit=50 after that evaluation; latencies ms; rss/pss: all hyoka-fcgi workers, MB;"
echo " results: stored result rows; parts: partitions of evaluation_results)"
