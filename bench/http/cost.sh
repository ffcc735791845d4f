#!/usr/bin/env bash
# bench/http/cost.sh - where an API request's time goes, next to nginx serving the same body as a
# static file: for each URL, req/s, p99, and per request the CPU time (user + system) and the
# context switches of nginx's workers and of hyoka-fcgi's workers, on the demo data with the cache
# on. run.sh says how fast; this says why (on 2 shared CPUs req/s varies by +-20 % between runs,
# CPU time per request much less). A benchmark, not a test: it prints numbers.
#
#   HYOKA_BUILD=/abs/build bench/http/cost.sh [ROUNDS]     (rounds of API then static, 3)
# Environment: BENCH_SECONDS (4), BENCH_CONNECTIONS (16), BENCH_THREADS (2), HYOKA_WORKERS (4).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/scripts/stack.sh"
export HYOKA_BUILD=${HYOKA_BUILD:-$root/build}
rounds=${1:-3}
secs=${BENCH_SECONDS:-4}
conns=${BENCH_CONNECTIONS:-16}
threads=${BENCH_THREADS:-2}
command -v wrk >/dev/null || die "wrk is not installed (scripts/deps.sh)"

tmp=$(mktemp -d /tmp/hyoka-bench-cost.XXXXXX)
cleanup() {
    stack_down "$tmp/stack"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$tmp/www"
chmod 755 "$tmp" "$tmp/www"
export HYOKA_WWW=$tmp/www HYOKA_WORKERS=${HYOKA_WORKERS:-4} HYOKA_LOG_LEVEL=warn
stack_up "$tmp/stack" "$(free_port)" demo >"$tmp/stack.log" 2>&1 ||
    { tail -20 "$tmp/stack.log" >&2; die "stack_up failed"; }

# The processes that serve: nginx's and hyoka-fcgi's workers (children of their masters).
workers() { pgrep -P "$(cat "$tmp/stack/$1.pid")" | tr '\n' ' '; }
# usage PIDS: "clock-ticks context-switches" summed over PIDS.
usage() {
    local p ticks=0 cs=0 stat rest f
    for p in $1; do
        read -r stat <"/proc/$p/stat" 2>/dev/null || continue
        rest=${stat##*) }
        read -r -a f <<<"$rest"
        ticks=$((ticks + f[11] + f[12]))
        cs=$((cs + $(awk '/ctxt_switches/ { s += $2 } END { print s + 0 }' "/proc/$p/status")))
    done
    echo "$ticks $cs"
}
hz=$(getconf CLK_TCK)

# measure LABEL URL: one wrk run; one line of numbers.
measure() {
    local label=$1 url=$2 ng hy n0 h0 n1 h1 out
    ng=$(workers nginx)
    hy=$(workers hyoka-fcgi)
    n0=$(usage "$ng")
    h0=$(usage "$hy")
    out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$url" 2>&1)
    n1=$(usage "$ng")
    h1=$(usage "$hy")
    awk -v label="$label" -v hz="$hz" -v n0="$n0" -v n1="$n1" -v h0="$h0" -v h1="$h1" '
        /requests in/ { n = $1 } /^Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = $2 }
        END {
            split(n0, a); split(n1, b); split(h0, c); split(h1, d)
            printf "%-7s %9.0f req/s  p99 %8s | per request: nginx %5.1f us %4.2f cs, " \
                   "hyoka %5.1f us %4.2f cs, together %5.1f us\n", label, rps, p99,
                   (b[1] - a[1]) * 1e6 / hz / n, (b[2] - a[2]) / n,
                   (d[1] - c[1]) * 1e6 / hz / n, (d[2] - c[2]) / n,
                   (b[1] - a[1] + d[1] - c[1]) * 1e6 / hz / n
        }' <<<"$out"
}

for path in /api/v1/summary '/api/v1/initiatives?category=stalled&sort=-score&limit=50' \
    '/api/v1/initiatives?limit=50'; do
    static=body-$(printf %s "$path" | sha256sum | cut -c1-8).json
    curl -fsS -o "$tmp/www/$static" "$HYOKA_URL$path" || die "GET $path failed"
    chmod 644 "$tmp/www/$static"
    echo "== GET $path ($(wc -c <"$tmp/www/$static") bytes) vs /$static"
    wrk -t2 -c32 -d2s "$HYOKA_URL$path" >/dev/null 2>&1 # warm every worker's cache
    for _ in $(seq 1 "$rounds"); do
        measure api "$HYOKA_URL$path"
        measure static "$HYOKA_URL/$static"
    done
done
echo "(us = CPU microseconds, cs = context switches; wrk's own CPU is not counted;" \
    "$(nproc) CPUs shared by wrk, nginx, hyoka-fcgi and PostgreSQL)"
