#!/usr/bin/env bash
# bench/scale/workers.sh - what each hyoka-fcgi worker pays for a large run (issue 16's shared run
# images): N generated initiatives (default 100,000; bench/data's generator) imported and
# evaluated, then hyoka-fcgi started with W workers (default 1 2 4) and cache_bytes 1 GiB, three
# ways per W:
#   private  server.run_images unusable (a path under a regular file): every worker reads the run
#            from the database into its own memory, as before run images;
#   cold     an empty image folder: the first worker reads the run and writes its image, the
#            others wait for it and map it;
#   image    the image present (the previous start wrote it): every worker maps it.
# Per way: how long each worker took to load the latest run's initiatives and how (its log line:
# I mapped, W loaded and wrote the image, P loaded privately), and from its start until it took
# requests (connect, resolve the run, load: "latest run … ready in"), the time from start until
# the first /api/v1/summary answer and until the first /api/v1/initiatives answer (the results),
# and the memory of the workers once ready (RSS and PSS summed from /proc/PID/smaps_rollup: PSS
# divides a page shared by k processes by k, so a shared image counts once however many map it).
# Loopback, a throwaway cluster. A benchmark: fails only if a command fails.
# cpu: each worker's CPU time (utime + stime, 10 ms ticks) when every worker is ready: its start
# on a loaded machine without the waiting for a CPU.
#   HYOKA_BUILD=/abs/build [HYOKA_WAYS="cold image"] bench/scale/workers.sh [N] [W...]
set -uo pipefail
source "$(dirname "$0")/../data/setup.sh" workers "${1:-}"
shift || true
ws=("${@:-1 2 4}")
read -ra ws <<<"${ws[*]}"
fcgi=$build/fcgi/hyoka-fcgi
timeout 120 "$hyoka" import "$tmp"/csv/{measures,initiatives,milestones,surveys,progress}.csv >/dev/null || die "import failed"
timeout 120 "$hyoka" evaluate --survey B --rules "$root/config/rules/default.cfg" >/dev/null || die "evaluate failed"
ms() { date +%s%3N; }
answers() { # URI: whether the server answers 200
    env -i REQUEST_METHOD=GET DOCUMENT_URI="$1" QUERY_STRING= SERVER_PROTOCOL=HTTP/1.1 \
        cgi-fcgi -bind -connect "$tmp/w.sock" </dev/null 2>/dev/null | grep -q '^Status: 200'
}
echo "N=$n, $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%7s %8s %34s %26s %20s %10s %13s %8s %8s %s\n' workers way "load per worker, ms" \
    "ready per worker, ms" "cpu per worker, ms" summary_ms initiatives_ms RSS_MB PSS_MB image
for w in "${ws[@]}"; do
    rm -rf "$tmp/runs"
    for way in ${HYOKA_WAYS:-private cold image}; do
        dir=$tmp/runs
        [ "$way" = private ] && dir=$tmp/fcgi.cfg/runs # under a regular file: never a folder
        cat >"$tmp/fcgi.cfg" <<CFG
database = { conninfo = "host=127.0.0.1 port=$PGPORT dbname=hyoka user=hyoka_web"; };
rules = { file = "$root/config/rules/default.cfg"; };
server = { socket = "$tmp/w.sock"; workers = $w; run_images = "$dir"; };
limits = { cache_bytes = 1073741824L; };
CFG
        rm -f "$tmp/w.sock"
        : >"$tmp/fcgi.log"
        t0=$(ms)
        "$fcgi" --config "$tmp/fcgi.cfg" >>"$tmp/fcgi.log" 2>&1 &
        pid=$!
        first= items=
        for _ in $(seq 1 2400); do
            if [ -S "$tmp/w.sock" ] && answers /api/v1/summary; then first=$(($(ms) - t0)); break; fi
            sleep 0.02
        done
        for _ in $(seq 1 2400); do
            if answers /api/v1/initiatives; then items=$(($(ms) - t0)); break; fi
            sleep 0.02
        done
        # every worker has loaded the run (each logs it once, before it takes requests)
        for _ in $(seq 1 1200); do
            [ "$(grep -c 'initiatives loaded in' "$tmp/fcgi.log")" -ge "$w" ] && break
            sleep 0.1
        done
        loads=$(grep -oE 'initiatives loaded in [0-9]+ ms \([a-z, ]+\)' "$tmp/fcgi.log" |
            sed -E 's/.* ([0-9]+) ms \(mapped.*/\1 I/; s/.* ([0-9]+) ms \(loaded, image.*/\1 W/;
                    s/.* ([0-9]+) ms \(loaded privately.*/\1 P/' | tr -d ' ' | paste -sd/)
        ready=$(grep -oE 'latest run [0-9]+ ready in [0-9]+ ms' "$tmp/fcgi.log" | grep -oE '[0-9]+ ms' |
            tr -d ' ms' | paste -sd/)
        rss=0 pss=0 cpu=
        tick=$(getconf CLK_TCK)
        for p in $(pgrep -P "$pid"); do
            c=$(awk -v t="$tick" '{print int(($14 + $15) * 1000 / t)}' "/proc/$p/stat")
            cpu=${cpu:+$cpu/}$c
            r=$(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup")
            s=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")
            rss=$((rss + r)); pss=$((pss + s))
        done
        img=$(ls "$tmp/runs" 2>/dev/null | grep '\.img$' | head -1)
        [ -n "$img" ] && img="$img $(($(stat -c %s "$tmp/runs/$img") / 1024 / 1024)) MB"
        [ "$way" = private ] && img=-
        printf '%7s %8s %34s %26s %20s %10s %13s %8s %8s %s\n' "$w" "$way" "$loads" "$ready" "$cpu" "${first:-none}" \
            "${items:-none}" $((rss / 1024)) $((pss / 1024)) "$img"
        grep -E 'run image|run images' "$tmp/fcgi.log" | grep -v 'reading runs privately' | head -3
        kill -TERM "$pid"; wait "$pid" 2>/dev/null
    done
done
