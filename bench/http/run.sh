#!/usr/bin/env bash
# bench/http/run.sh - requests per second and p99 latency of the API through nginx, against nginx
# serving the very same body as a static file (target: API >= 0.5 x static), for the demo data
# and for 100,000 initiatives (bench/data/gen.py), with the stored-run cache on and off.
# A benchmark, not a test: it prints numbers and the commands; it fails only if something breaks.
# bench/http/cost.sh shows where an API request's CPU time and context switches go.
#
#   HYOKA_BUILD=/abs/build bench/http/run.sh [N]      (N initiatives for the large case, 100000)
# Environment: BENCH_SECONDS (3, per round), BENCH_ROUNDS (5), BENCH_CONNECTIONS (16),
# BENCH_THREADS (2).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
n=${1:-100000}
secs=${BENCH_SECONDS:-3}
rounds=${BENCH_ROUNDS:-5}
conns=${BENCH_CONNECTIONS:-16}
threads=${BENCH_THREADS:-2}
command -v wrk >/dev/null || die "wrk is not installed (scripts/deps.sh)"

bench_init http

# nginx's static root for the comparison: copies of the API's bodies.
mkdir -p "$tmp/www"
chmod 755 "$tmp" "$tmp/www"
export HYOKA_WWW=$tmp/www
# The shipped config's worker count (config/hyoka.cfg); each worker serves many connections.
export HYOKA_WORKERS=${HYOKA_WORKERS:-4} HYOKA_LOG_LEVEL=warn

# us TIME: wrk's latency ("530.00us", "1.12ms", "1.02s") in microseconds.
us() { awk -v t="$1" 'BEGIN { v = t + 0; if (t ~ /ms$/) v *= 1e3; else if (t ~ /[0-9]s$/) v *= 1e6;
                              printf "%.0f", v }'; }

# bench NAME URL: wrk for $secs seconds; prints "req/s p99-in-us".
bench() {
    local name=$1 url=$2 out rps p99
    out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$url" 2>&1)
    rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
    p99=$(us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    if grep -q "Non-2xx" <<<"$out"; then log "warning: $name had non-2xx answers"; fi
    printf '%s %s\n' "${rps:-0}" "${p99:-?}"
}

# median: the middle of the numbers on stdin (the lower middle of an even count)
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# compare LABEL PATH STATICNAME: the API path vs the same body as a static file, in $rounds
# alternating rounds (API, static, API, static, ...): on 2 shared CPUs one 5 s sample of each
# moved the ratio by +-0.12 between runs; medians of interleaved rounds are steadier, and a slow
# spell of the machine hits both sides alike. Prints the medians and every round's ratio.
compare() {
    local label=$1 path=$2 static=$3 ratio i
    curl -fsS -o "$tmp/www/$static" "$HYOKA_URL$path" || die "GET $path failed"
    chmod 644 "$tmp/www/$static"
    wrk -t2 -c32 -d"${warm}s" "$HYOKA_URL$path" >/dev/null 2>&1 # warm every worker's cache
    : >"$tmp/a" && : >"$tmp/s" && : >"$tmp/ap99" && : >"$tmp/sp99"
    for ((i = 0; i < rounds; i++)); do
        read -r arps ap99 < <(bench "$label" "$HYOKA_URL$path")
        read -r srps sp99 < <(bench "$label (static)" "$HYOKA_URL/$static")
        echo "$arps" >>"$tmp/a"; echo "$srps" >>"$tmp/s"
        echo "$ap99" >>"$tmp/ap99"; echo "$sp99" >>"$tmp/sp99"
    done
    arps=$(median <"$tmp/a"); srps=$(median <"$tmp/s")
    ap99=$(awk '{ printf "%.2fms\n", $1 / 1e3 }' "$tmp/ap99" | median)
    sp99=$(awk '{ printf "%.2fms\n", $1 / 1e3 }' "$tmp/sp99" | median)
    ratio=$(awk -v a="$arps" -v s="$srps" 'BEGIN { if (s > 0) printf "%.2f", a / s; else print "?" }')
    printf '%-44s %10s req/s  p99 %8s | static %10s req/s  p99 %8s | ratio %s\n' \
        "$label" "$arps" "$ap99" "$srps" "$sp99" "$ratio"
    echo "    rounds: $(paste -d' ' "$tmp/a" "$tmp/s" | awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), ($2 > 0 ? $1 / $2 : 0) }') (API/static per round; medians above)"
    echo "    $rounds x: wrk -t$threads -c$conns -d${secs}s --latency '$HYOKA_URL$path'   vs   '$HYOKA_URL/$static'"
}

warm=2
filtered='/api/v1/initiatives?category=stalled&sort=-score&limit=50'

# ---- demo data, cache on and off ---------------------------------------------------------------
for cache in 67108864 0; do
    d=$tmp/demo-$cache
    dirs+=("$d")
    HYOKA_CACHE_BYTES=$cache stack_up "$d" "$(free_port)" demo >"$tmp/stack.log" 2>&1 ||
        die "stack_up failed (see $d)"
    echo "== demo data (105 initiatives), limits.cache_bytes = $cache"
    compare "GET /api/v1/summary" /api/v1/summary "summary-$cache.json"
    compare "GET $filtered" "$filtered" "filtered-$cache.json"
    stack_down "$d"
done

# ---- N initiatives ---------------------------------------------------------------------------
# info: the workers log each load of a run with its duration (a few lines, none per request)
HYOKA_LOG_LEVEL=info bench_large "$tmp/large" "$n"
d=$tmp/large
echo "== $n initiatives (survey B), limits.cache_bytes = default"
t0=$(date +%s%N)
curl -fsS -o /dev/null "$HYOKA_URL/api/v1/initiatives?limit=1" || die "first request failed"
echo "first request after the evaluation: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
# Every worker loads the run when the evaluation's NOTIFY arrives, all at once (before that, the
# first request to each worker did); each logs how long its load took.
for _ in $(seq 1 300); do
    [ "$(grep -c "initiatives loaded" "$d/hyoka-fcgi.log")" -ge "$HYOKA_WORKERS" ] && break
    sleep 0.1
done
grep "initiatives loaded" "$d/hyoka-fcgi.log" | sed 's/^/    /'
warm=${BENCH_WARM:-15} # every worker has loaded the run (NOTIFY); this warms the response cache
big_filtered='/api/v1/initiatives?department=%E5%B8%82%E6%B0%91%E8%AA%B2&sort=-score&limit=50'
compare "GET /api/v1/summary" /api/v1/summary summary-large.json
compare "GET /initiatives?department=市民課&sort=-score" "$big_filtered" filtered-large.json

# A reload under load: two SIGHUPs 2 s apart while wrk runs; new workers load the run before the
# old ones stop (docs/operations.md "Reload").
echo "== SIGHUP twice while wrk runs against the department list ($n initiatives)"
master=$(cat "$d/hyoka-fcgi.pid")
(sleep 1; kill -HUP "$master"; sleep 2; kill -HUP "$master") &
hup=$!
out=$(wrk -t"$threads" -c"$conns" -d8s --timeout 10s --latency "$HYOKA_URL$big_filtered" 2>&1)
wait "$hup"
awk '/Requests\/sec|Non-2xx|Socket errors/ { print "    " $0 } $1 == "Latency" && $2 != "Distribution" { print "    latency avg " $2 ", max " $4 }
     $1 == "99%" { print "    p99 " $2 }' <<<"$out"
grep -E "new workers ready|not waiting any longer" "$d/hyoka-fcgi.log" | sed 's/^/    /'
echo "    wrk -t$threads -c$conns -d8s --timeout 10s --latency '$HYOKA_URL$big_filtered' (SIGHUP at 1 s and 3 s)"
echo "(p99 in ms, median of the rounds; ratio = median API req/s / median static req/s over interleaved rounds, target >= 0.5; $(nproc) CPUs shared" \
    "by wrk, nginx, hyoka-fcgi and PostgreSQL)"
