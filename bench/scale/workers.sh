#!/usr/bin/env bash
# bench/scale/workers.sh - what each hyoka-fcgi worker pays for a large run today (the baseline
# for issue 16's shared run images): N generated initiatives (default 100,000; bench/data's
# generator) imported and evaluated, then hyoka-fcgi started with W workers (default 1 2 4) and
# cache_bytes 1 GiB. Per W: how long each worker took to load the latest run before it took
# requests (its log line), the time from start until the first /api/v1/summary answer, and the
# memory of the workers once ready (RSS and PSS summed from /proc/PID/smaps_rollup: PSS shares
# what fork left shared). Loopback, a throwaway cluster. A benchmark: fails only if a command fails.
#   HYOKA_BUILD=/abs/build bench/scale/workers.sh [N] [W...]
set -uo pipefail
source "$(dirname "$0")/../data/setup.sh" workers "${1:-}"
shift || true
ws=("${@:-1 2 4}")
read -ra ws <<<"${ws[*]}"
fcgi=$build/fcgi/hyoka-fcgi
timeout 120 "$hyoka" import "$tmp"/csv/{measures,initiatives,milestones,surveys,progress}.csv >/dev/null || die "import failed"
timeout 120 "$hyoka" evaluate --survey B --rules "$root/config/rules/default.cfg" >/dev/null || die "evaluate failed"
ms() { date +%s%3N; }
printf '%7s %26s %16s %12s %12s\n' workers "load per worker, ms" first_answer_ms RSS_MB PSS_MB
for w in "${ws[@]}"; do
    cat >"$tmp/fcgi.cfg" <<CFG
database = { conninfo = "host=127.0.0.1 port=$PGPORT dbname=hyoka user=hyoka_web"; };
rules = { file = "$root/config/rules/default.cfg"; };
server = { socket = "$tmp/w.sock"; workers = $w; };
limits = { cache_bytes = 1073741824L; };
CFG
    rm -f "$tmp/w.sock"
    : >"$tmp/fcgi.log"
    t0=$(ms)
    "$fcgi" --config "$tmp/fcgi.cfg" >>"$tmp/fcgi.log" 2>&1 &
    pid=$!
    first=
    for _ in $(seq 1 1200); do
        if [ -S "$tmp/w.sock" ] && env -i REQUEST_METHOD=GET DOCUMENT_URI=/api/v1/summary QUERY_STRING= \
            SERVER_PROTOCOL=HTTP/1.1 cgi-fcgi -bind -connect "$tmp/w.sock" </dev/null 2>/dev/null |
            grep -q '^Status: 200'; then first=$(($(ms) - t0)); break; fi
        sleep 0.1
    done
    # every worker has loaded the run (each logs it once, before it takes requests)
    for _ in $(seq 1 1200); do
        [ "$(grep -c 'initiatives loaded in' "$tmp/fcgi.log")" -ge "$w" ] && break
        sleep 0.1
    done
    loads=$(grep -oE 'initiatives loaded in [0-9]+ ms' "$tmp/fcgi.log" | grep -oE '[0-9]+ ms' | tr -d ' ms' | paste -sd/)
    rss=0 pss=0
    for p in $(pgrep -P "$pid"); do
        r=$(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup"); s=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")
        rss=$((rss + r)); pss=$((pss + s))
    done
    printf '%7s %26s %16s %12s %12s\n' "$w" "$loads" "${first:-none}" $((rss / 1024)) $((pss / 1024))
    kill -TERM "$pid"; wait "$pid" 2>/dev/null
done
