#!/usr/bin/env bash
# run.sh - black-box tier "scale": a primary and a streaming standby, two hyoka-fcgi backends behind
# one nginx upstream (nginx/examples/two-backends.conf), all on loopback in a mktemp folder:
#   primary   scripts/stack.sh's PostgreSQL, migrated, demo data imported and evaluated;
#   standby   pg_basebackup -R of it, started with scripts/lib.sh pg_start (hot_standby_feedback);
#   backends  a and b, each its own socket and config: database.conninfo names the standby then the
#             primary (target_session_attrs=prefer-standby), writer_conninfo the primary
#             (read-write), standby_poll_ms POLL_MS;
#   nginx     the stack's nginx.conf with the upstreams of nginx/examples/two-backends.conf and
#             `fastcgi_next_upstream error timeout` for reads.
# Under a steady load of GETs (tests/http/load.mjs, only 200 allowed):
#   a. backend a killed (SIGKILL, master and workers): 0 failed reads; it is started again;
#   b. a run stored through nginx (POST -> a writer connection to the primary) and one stored by
#      `hyoka evaluate` on the primary: served by both backends, which read from the standby, within
#      POLL_MS + LAG_MARGIN_MS (measured: the time until both backends answer the new run);
#   c. the standby stopped: reads continue from the primary, 0 failed; then started again: every
#      worker of both backends reads from the standby again within RETRY_MS + RETURN_MARGIN_MS
#      (database.preferred_retry_ms; hyoka_db_reads_returned_total in /metrics counts one return
#      per worker, each worker's log names the standby, /health says standby and preferred),
#      0 failed reads across the stop, the fallback and the return;
#   d. the primary stopped: reads continue from the standby, 0 failed; a POST is a 503 problem+json
#      and nothing is stored (row counts before, during, after); the primary started again, a POST
#      stores a run.
# Prints a table of the figures; exits 1 naming each failure. Bounded: WATCHDOG_S for the whole
# tier (about 2 minutes on 2 busy cores), every wait bounded too. HYOKA_SCALE_KEEP=1 keeps the folder.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
source scripts/stack.sh
: "${HYOKA_BUILD:=$root/build}"
export HYOKA_BUILD

WATCHDOG_S=420      # the whole tier
LOAD_S=8            # each scenario's load, at most (the load stops when the scenario is done)
POLL_MS=500         # database.standby_poll_ms of both backends
LAG_MARGIN_MS=2500  # b: every worker of both backends flushes its cache for a new run within
                    #    POLL_MS + this (replay lag, the poll's own timing, a loaded machine's
                    #    scheduling), read from the workers' logs (whole seconds, so the check
                    #    allows one more); without the poll no worker ever does
CONCURRENCY=6
REPLAY_PAUSE_MS=500 # b: the standby's replay is paused this long across a POST (read-your-writes)
RETRY_MS=1000       # database.preferred_retry_ms of both backends
RETURN_MARGIN_MS=9500 # c: every worker of both backends reads from the standby again within
                    #    RETRY_MS + this once it accepts connections: the connect, its catch-up (at
                    #    most 2 s, db.c) and mostly this check's sampling (as LAG_MARGIN_MS); without
                    #    the retry no worker ever goes back

dir=$(mktemp -d /tmp/hyoka-scale-XXXXXX)
bgpids=()
watchdog=
cleanup() {
    local p running
    [ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
    running=" $(jobs -pr | tr '\n' ' ') "
    for p in "${bgpids[@]}"; do
        [[ "$running" == *" $p "* ]] && kill -KILL "$p" 2>/dev/null
    done
    stop_pidfile "$dir/web/nginx.pid" 10 nginx
    stop_pidfile "$dir/a.pid" 35 hyoka-fcgi
    stop_pidfile "$dir/b.pid" 35 hyoka-fcgi
    pg_stop "$dir/standby"
    stack_down "$dir/stack"
    if [ "${HYOKA_SCALE_KEEP:-0}" = 1 ]; then log "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'log "scale: interrupted"; exit 1' INT TERM
(
    trap 'kill "$deadline" 2>/dev/null; exit 0' TERM
    sleep "$WATCHDOG_S" & # a deadline, not a synchronisation
    deadline=$!
    wait "$deadline" || exit 0
    echo "scale: the tier ran over its ${WATCHDOG_S} s bound" >&2
    kill -TERM $$
) &
watchdog=$!

t_start=$(date +%s)
failures=()
rows=()    # the table: scenario | reads | failed | retried by nginx | figure
cur=setup
fail() { log "FAIL: $cur: $*"; failures+=("$cur: $*"); }
ms() { date +%s%3N; }
await() { # await SECONDS 'CONDITION': true once it holds (checked every 50 ms), false after SECONDS
    local deadline=$(($(ms) + $1 * 1000))
    until eval "$2"; do
        [ "$(ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

# ---- the primary, with the demo data (scripts/stack.sh); its own nginx and backend are replaced
port=$(free_port) || die "no free port"
HYOKA_WORKERS=2 stack_up "$dir/stack" "$port" demo || die "the stack did not start"
token=$HYOKA_TOKEN
stop_pidfile "$dir/stack/nginx.pid" 10 nginx
stop_pidfile "$dir/stack/hyoka-fcgi.pid" 35 hyoka-fcgi
source "$dir/stack/pg.env"
pport=$PGPORT
primary_env=$dir/stack/pg.env
psql -qAtX -c "SELECT 1" >/dev/null || die "the primary does not answer"

# ---- the standby: a base backup streaming from the primary
mkdir -p "$dir/standby"
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir/standby"
as_pg pg_basebackup -h 127.0.0.1 -p "$pport" -U postgres -D "$dir/standby/pgdata" -R -X stream -c fast \
    >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; die "pg_basebackup failed"; }
# Queries on the standby are not cancelled for the primary's vacuum (docs/operations.md).
echo "hot_standby_feedback = on" | as_pg tee -a "$dir/standby/pgdata/postgresql.auto.conf" >/dev/null
sport=$(free_port) || die "no free port"
pg_start "$dir/standby" "$sport" || die "the standby did not start"
source "$primary_env"
[ "$(psql -qAtX -p "$sport" -c 'SELECT pg_is_in_recovery()')" = t ] || die "127.0.0.1:$sport is not a standby"
log "primary 127.0.0.1:$pport, standby 127.0.0.1:$sport"

# ---- two backends
start_backend() { # start_backend NAME: starts hyoka-fcgi with DIR/NAME.cfg, waits for its socket
    local b=$1 i
    rm -f "$dir/$b.sock"
    "$HYOKA_BUILD/fcgi/hyoka-fcgi" --config "$dir/$b.cfg" >>"$dir/$b.log" 2>&1 &
    echo $! >"$dir/$b.pid"
    for i in $(seq 1 600); do
        [ -S "$dir/$b.sock" ] && return 0
        kill -0 "$(cat "$dir/$b.pid")" 2>/dev/null || break
        sleep 0.1
    done
    tail -20 "$dir/$b.log" >&2
    die "backend $b did not start"
}
for b in a b; do
    sed -e "s|^\(\s*\)conninfo = .*|\1conninfo = \"host=127.0.0.1,127.0.0.1 port=$sport,$pport dbname=hyoka user=hyoka_web connect_timeout=2 target_session_attrs=prefer-standby\";|" \
        -e "s|^\(\s*\)writer_conninfo = .*|\1writer_conninfo = \"host=127.0.0.1 port=$pport dbname=hyoka user=hyoka_writer connect_timeout=2 target_session_attrs=read-write\"; standby_poll_ms = $POLL_MS; preferred_retry_ms = $RETRY_MS;|" \
        -e "s|socket = \"[^\"]*\"|socket = \"$dir/$b.sock\"|" "$dir/stack/hyoka.cfg" >"$dir/$b.cfg"
    grep -q "prefer-standby" "$dir/$b.cfg" && grep -q "$dir/$b.sock" "$dir/$b.cfg" ||
        die "could not write $dir/$b.cfg from the stack's config"
    start_backend "$b"
done

# fcgi_get SOCKET URI: a GET straight to one backend (libfcgi's cgi-fcgi); prints the body.
fcgi_get() {
    local path=${2%%\?*} query=
    [[ "$2" == *\?* ]] && query=${2#*\?}
    env -i REQUEST_METHOD=GET DOCUMENT_URI="$path" QUERY_STRING="$query" SERVER_PROTOCOL=HTTP/1.1 \
        cgi-fcgi -bind -connect "$1" </dev/null 2>/dev/null | sed '1,/^\r\?$/d'
}
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const v=eval("("+s+")"+process.argv[1]);console.log(v===undefined?"":v)}catch(e){console.log("")}})' "$1"; }
for b in a b; do
    h=$(fcgi_get "$dir/$b.sock" /api/v1/health)
    [ "$(json .reads.standby <<<"$h")" = true ] && [ "$(json .reads.port <<<"$h")" = "$sport" ] ||
        fail "backend $b does not read from the standby: $h"
done

# ---- nginx: the stack's config, the two-backend upstreams, reads retried on error and timeout
mkdir -p "$dir/web/nginx-tmp" "$dir/web/nginx-logs"
nport=$(free_port) || die "no free port"
sed -e "s|fastcgi_next_upstream error;|fastcgi_next_upstream error timeout;|" \
    nginx/hyoka-locations.conf >"$dir/web/hyoka-locations.conf"
grep -q "fastcgi_next_upstream error timeout;" "$dir/web/hyoka-locations.conf" ||
    die "hyoka-locations.conf has no 'fastcgi_next_upstream error;' to extend"
sed -e "s|unix:/run/hyoka-a/hyoka.sock|unix:$dir/a.sock|; s|unix:/run/hyoka-b/hyoka.sock|unix:$dir/b.sock|" \
    -e 's|^|    |' nginx/examples/two-backends.conf >"$dir/web/upstreams.conf"
# The shipped upstream blocks out, the example's in (where the first one was).
stack_nginx_conf "$dir/web" "$nport" |
    sed -e "s|include $root/nginx/hyoka-locations.conf;|include $dir/web/hyoka-locations.conf;|" |
    awk -v ups="$dir/web/upstreams.conf" '
        /^ *upstream hyoka_fcgi(_write)? *\{/ { skip = 1; if (!done) { while ((getline l < ups) > 0) print l; done = 1 } next }
        skip && /^ *\}/ { skip = 0; next }
        !skip' >"$dir/web/nginx.conf"
[ "$(grep -c "unix:$dir/[ab].sock" "$dir/web/nginx.conf")" = 14 ] || die "the upstreams were not replaced"
nginx -p "$dir/web" -c "$dir/web/nginx.conf" -t >"$dir/web/nginx-test.log" 2>&1 ||
    { cat "$dir/web/nginx-test.log" >&2; die "nginx.conf does not load"; }
nginx -p "$dir/web" -c "$dir/web/nginx.conf" >>"$dir/web/nginx-logs/stderr.log" 2>&1 &
echo $! >"$dir/web/nginx.pid"
url=http://127.0.0.1:$nport
await 30 'curl -fsS -o /dev/null "$url/api/v1/health" 2>/dev/null' || die "nginx does not answer on $url"
log "nginx on $url, backends $dir/a.sock and $dir/b.sock"

counts() { # runs, results and the newest published run, on the primary
    psql -qAtX -F' ' -c "SELECT (SELECT count(*) FROM evaluation_runs), (SELECT count(*) FROM evaluation_results), (SELECT newest_run FROM data_version)"
}
# Requests nginx sent on to another upstream line: each failed try is one [error] line.
retries() { grep '\[error\]' "$dir/web/nginx-logs/error.log" 2>/dev/null | grep -c "upstream" || true; }

# load_start NAME [SECONDS]: GETs through nginx until $dir/NAME.stop exists (LOAD_S at most)
load_start() {
    rm -f "$dir/$1.stop" "$dir/$1.ready"
    load_retries0=$(retries)
    node tests/http/load.mjs --seconds "${2:-$LOAD_S}" --concurrency "$CONCURRENCY" --allow 200 \
        --until-file "$dir/$1.stop" --ready-file "$dir/$1.ready" \
        "$url/api/v1/summary" "$url/api/v1/summary?survey=2023" "$url/api/v1/initiatives?limit=20" \
        "$url/api/v1/initiatives?survey=2022&limit=5&offset=10" "$url/api/v1/health" \
        >"$dir/$1.load.json" 2>"$dir/$1.load.err" &
    load_pid=$!
    bgpids+=("$load_pid")
    ready_file=$dir/$1.ready
    await 30 '[ -f "$ready_file" ]' || fail "the load did not start"
}
# load_end NAME FIGURE: stops the load, checks it, adds a row to the table
load_end() {
    touch "$dir/$1.stop"
    wait "$load_pid"
    local out total nf
    out=$(cat "$dir/$1.load.json")
    total=$(json .total <<<"$out")
    nf=$(json .nfailures <<<"$out")
    [ -n "$total" ] && [ "$total" -gt 0 ] || fail "the load made no requests: $out $(cat "$dir/$1.load.err")"
    [ "$nf" = 0 ] || fail "$nf reads failed: $(json '.failures.slice(0,3).map(f=>JSON.stringify(f)).join(" ")' <<<"$out")"
    rows+=("$cur|${total:-?}|${nf:-?}|$(($(retries) - load_retries0))|$2")
}

# ---- a. a backend killed
cur="a. backend killed"
log "== $cur"
load_start a
sleep 1
master=$(cat "$dir/a.pid")
victims="$master $(pgrep -P "$master" | tr '\n' ' ')"
kill -KILL $victims
t_kill=$(ms)
sleep 2
start_backend a
t_back=$(($(ms) - t_kill))
sleep 1
load_end a "backend a SIGKILLed (master + $(($(wc -w <<<"$victims") - 1)) workers), back after ${t_back} ms"

# ---- b. new runs served through the standby
cur="b. new run via standby"
log "== $cur"
load_start b
# seen_by_all ID: every worker of both backends has flushed its cache for run ID (/health's
# reads.newest_run, by worker PID: a look lands on any worker, so look until each has been seen
# with it), and both backends answer the summary with it. No node per look: this is timed.
declare -A worker_run
run_of() { fcgi_get "$1" '/api/v1/summary?survey=2023' | grep -oE '"run": *\{"id": *[0-9]+' | grep -oE '[0-9]+$' | head -1; }
seen_by_all() {
    local b h k pid n all=0
    # three looks at once per backend: connections at once spread over its workers
    for b in a b; do for k in 1 2 3; do fcgi_get "$dir/$b.sock" /api/v1/health >"$dir/look-$b$k" & done; done
    wait $(jobs -pr | grep -vxF -e "$load_pid" -e "$(cat "$dir/web/nginx.pid")" -e "$(cat "$dir/a.pid")" -e "$(cat "$dir/b.pid")" -e "$watchdog") 2>/dev/null
    for h in "$dir"/look-*; do
        pid=$(grep -oE '"worker": *[0-9]+' "$h" | grep -oE '[0-9]+$')
        n=$(grep -oE '"newest_run": *-?[0-9]+' "$h" | grep -oE -- '-?[0-9]+$')
        [ -n "$pid" ] && [ -n "$n" ] && worker_run[$pid]=$n
    done
    for pid in $(pgrep -P "$(cat "$dir/a.pid")") $(pgrep -P "$(cat "$dir/b.pid")"); do
        [ "${worker_run[$pid]:-0}" -ge "$1" ] || all=1
    done
    [ "$all" = 0 ] && [ "$(run_of "$dir/a.sock")" = "$1" ] && [ "$(run_of "$dir/b.sock")" = "$1" ]
}
bound_ms=$((POLL_MS + LAG_MARGIN_MS))
nworkers_b=$(($(pgrep -cP "$(cat "$dir/a.pid")") + $(pgrep -cP "$(cat "$dir/b.pid")")))
figures=""
for how in post cli; do
    # a changed fact, so that the evaluation stores a new run (an identical one stores nothing)
    psql -qAtX -v ON_ERROR_STOP=1 -c "UPDATE progress_reports SET reported_reason = coalesce(reported_reason, '') || ' ($how)'
        WHERE survey_id = (SELECT id FROM surveys WHERE code = '2023')
          AND initiative_id = (SELECT min(p.initiative_id) FROM progress_reports p
                               JOIN surveys s ON s.id = p.survey_id WHERE s.code = '2023')" ||
        fail "could not change a fact"
    if [ "$how" = post ]; then
        # Read-your-writes through the standby: its replay is paused before the POST and resumed
        # REPLAY_PAUSE_MS later; the server answers 201 once its standby has the run, so the
        # backend that stored it serves the run at the very next request.
        psql -qAtX -p "$sport" -c "SELECT pg_wal_replay_pause()" >/dev/null || fail "could not pause the standby's replay"
        (sleep "$((REPLAY_PAUSE_MS / 1000)).$(printf '%03d' $((REPLAY_PAUSE_MS % 1000)))"
         psql -qAtX -p "$sport" -c "SELECT pg_wal_replay_resume()" >/dev/null) &
        resumer=$!
        bgpids+=("$resumer")
        t_post=$(ms)
        code=$(curl -sS -o "$dir/post-b.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
            -d '{"survey": "2023"}' "$url/api/v1/evaluations")
        t0=$(ms)
        [ "$code" = 201 ] || fail "POST answered $code: $(head -c 300 "$dir/post-b.json")"
        id=$(json .run.id <"$dir/post-b.json")
        who=$(grep -l "POST /evaluations: stored run $id " "$dir/a.log" "$dir/b.log" | head -1)
        [ -n "$who" ] || fail "no backend logged storing run $id"
        now=$(run_of "${who%.log}.sock")
        [ "$now" = "$id" ] ||
            fail "right after the 201, the backend that stored run $id answers with run ${now:-?} (the standby's replay was paused)"
        wait "$resumer"
        figures+="POST with replay paused ${REPLAY_PAUSE_MS} ms answered in $((t0 - t_post)) ms, its backend serving run $id at once; "
    else
        "$HYOKA_BUILD/cli/hyoka" --config "$dir/stack/hyoka.cfg" evaluate --survey 2023 --format json \
            >"$dir/evaluate-b.json" 2>"$dir/evaluate-b.log" || fail "hyoka evaluate failed: $(tail -3 "$dir/evaluate-b.log")"
        t0=$(ms)
        id=$(json .run.id <"$dir/evaluate-b.json")
    fi
    [ -n "$id" ] || fail "no run id from the $how"
    # Served by every worker (looked at through the API, which on a loaded machine takes seconds
    # a round: a deadline, not the bound) ...
    if await 60 'seen_by_all "$id"'; then
        seen=$(($(ms) - t0))
    else
        fail "run $id ($how) was not served by every worker of both backends within 60 s (worker: newest run $(for p in "${!worker_run[@]}"; do printf '%s:%s ' "$p" "${worker_run[$p]}"; done))"
    fi
    # ... and the bound, from the workers' own logs: when each flushed its cache for the run (the
    # poll on the standby, or a sibling's publication), in the log's whole seconds. The worker
    # that stored a POSTed run may have no such line (it published it); every other must.
    took_s=0 logged=0
    for pid in $(pgrep -P "$(cat "$dir/a.pid")") $(pgrep -P "$(cat "$dir/b.pid")"); do
        line=$(cat "$dir/a.log" "$dir/b.log" | grep -m1 -E "^[^ ]+ info \[$pid\] (new evaluation run $id on the standby|run $id published through another worker): cache flushed")
        [ -n "$line" ] || continue
        logged=$((logged + 1))
        at=$(date -u -d "${line%% *}" +%s) || fail "unreadable time in: $line"
        [ $((at - t0 / 1000)) -gt "$took_s" ] && took_s=$((at - t0 / 1000))
    done
    need=$nworkers_b; [ "$how" = post ] && need=$((nworkers_b - 1))
    [ "$logged" -ge "$need" ] || fail "run $id ($how): $logged of $nworkers_b workers logged a flush for it (want $need)"
    [ "$took_s" -le $(((bound_ms + 999) / 1000 + 1)) ] ||
        fail "run $id ($how): a worker flushed its cache for it $took_s s after it was stored (bound $bound_ms ms; worker logs)"
    figures+="$how run $id flushed by $logged of $nworkers_b workers within ${took_s} s (logs), served by all in $seen ms; "
done
for b in a b; do
    h=$(fcgi_get "$dir/$b.sock" /api/v1/health)
    [ "$(json .reads.standby <<<"$h")" = true ] || fail "backend $b no longer reads from the standby: $h"
done
lag=$(fcgi_get "$dir/a.sock" /api/v1/metrics | awk '/^hyoka_db_replay_lag_seconds/ {print $2}')
load_end b "${figures}bound ${bound_ms} ms; replay lag ${lag:-?} s"

# ---- c. the standby stopped, and started again
cur="c. standby stopped"
log "== $cur"
# one load across the stop, the fallback and the return (the last is bounded below)
load_start c $((30 + (RETRY_MS + RETURN_MARGIN_MS) / 1000))
sleep 1
pg_stop "$dir/standby"
t_stop=$(ms)
await 10 '[ "$(fcgi_get "$dir/a.sock" /api/v1/health | json .reads.port)" = "$pport" ] && [ "$(fcgi_get "$dir/b.sock" /api/v1/health | json .reads.port)" = "$pport" ]' ||
    fail "the backends did not move to the primary"
moved=$(($(ms) - t_stop))
h=$(fcgi_get "$dir/a.sock" /api/v1/health)
[ "$(json .reads.preferred <<<"$h")" = false ] || fail "on the primary, /health does not say the reads are not the preferred ones: $h"
sleep 1
# returned_total: hyoka_db_reads_returned_total of both backends (each counts all its workers)
returned_total() {
    local b n sum=0
    for b in a b; do
        n=$(fcgi_get "$dir/$b.sock" /api/v1/metrics | awk '/^hyoka_db_reads_returned_total/ {print $2}')
        sum=$((sum + ${n:-0}))
    done
    echo "$sum"
}
returned0=$(returned_total)
pg_start "$dir/standby" "$sport" || die "the standby did not start again"
source "$primary_env"
t_up=$(ms)
nworkers=$(($(pgrep -cP "$(cat "$dir/a.pid")") + $(pgrep -cP "$(cat "$dir/b.pid")")))
return_ms=$((RETRY_MS + RETURN_MARGIN_MS))
if await $(((return_ms + 999) / 1000)) '[ $(($(returned_total) - returned0)) -ge "$nworkers" ]'; then
    back="all $nworkers workers back on the standby $(($(ms) - t_up)) ms after it was up (/metrics; bound ${return_ms} ms)"
else
    back="$(($(returned_total) - returned0)) of $nworkers workers back on the standby within ${return_ms} ms"
    fail "$back"
fi
# each worker by PID: its log says where its reads went back to, and no worker moved twice
for pid in $(pgrep -P "$(cat "$dir/a.pid")") $(pgrep -P "$(cat "$dir/b.pid")"); do
    n=$(cat "$dir/a.log" "$dir/b.log" | grep -c "\[$pid\] database: reads back on 127.0.0.1:$sport ")
    [ "$n" = 1 ] || fail "worker $pid logged $n returns to the standby 127.0.0.1:$sport, not 1"
done
for b in a b; do
    h=$(fcgi_get "$dir/$b.sock" /api/v1/health)
    [ "$(json .reads.port <<<"$h")" = "$sport" ] && [ "$(json .reads.standby <<<"$h")" = true ] &&
        [ "$(json .reads.preferred <<<"$h")" = true ] ||
        fail "backend $b: /health does not say it reads from the preferred standby: $h"
done
sleep 1
load_end c "reads moved to the primary (both backends' /health) ${moved} ms after the stop; standby started: $back"

# ---- d. the primary stopped
cur="d. primary stopped"
log "== $cur"
before=$(counts)
load_start d
sleep 1
pg_stop "$dir/stack"
code=$(curl -sS -o "$dir/post-d.json" -w '%{http_code} %{content_type}' -X POST \
    -H "Authorization: Bearer $token" -d '{"survey": "2023"}' "$url/api/v1/evaluations")
[[ "$code" == "503 application/problem+json"* ]] && [ "$(json .status <"$dir/post-d.json")" = 503 ] ||
    fail "a POST with the primary down answered '$code': $(head -c 300 "$dir/post-d.json")"
detail=$(json .detail <"$dir/post-d.json")
sleep 1
pg_start "$dir/stack" "$pport" || die "the primary did not start again"
source "$primary_env"
after=$(counts)
[ "$before" = "$after" ] || fail "rows changed while the primary was down: before $before, after $after"
load_end d "POST: ${code%% *} \"$detail\"; runs results newest before $before, after $after"
psql -qAtX -v ON_ERROR_STOP=1 -c "UPDATE progress_reports SET reported_reason = coalesce(reported_reason, '') || ' (d)'
    WHERE survey_id = (SELECT id FROM surveys WHERE code = '2023')
      AND initiative_id = (SELECT min(p.initiative_id) FROM progress_reports p
                           JOIN surveys s ON s.id = p.survey_id WHERE s.code = '2023')" >/dev/null
code=$(curl -sS -o "$dir/post-d2.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
    -d '{"survey": "2023"}' "$url/api/v1/evaluations")
[ "$code" = 201 ] || fail "a POST after the primary came back answered $code: $(head -c 300 "$dir/post-d2.json")"
[ "$(counts | cut -d' ' -f1)" = $(($(cut -d' ' -f1 <<<"$before") + 1)) ] ||
    fail "the POST after the primary came back did not store exactly one run"

# ---- the table
cur=end
for b in a b; do
    kill -0 "$(cat "$dir/$b.pid")" 2>/dev/null || fail "backend $b is not running at the end"
done
printf '\n%-24s %7s %7s %8s  %s\n' scenario reads failed retried figures
for r in "${rows[@]}"; do
    IFS='|' read -r name total nf rt fig <<<"$r"
    printf '%-24s %7s %7s %8s  %s\n' "$name" "$total" "$nf" "$rt" "$fig"
done
printf '(retried: upstream errors in nginx'"'"'s log, each a request nginx sent to another backend)\n'
log "scale: $(($(date +%s) - t_start)) s"
if [ ${#failures[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${failures[@]}" >&2
    exit 1
fi
log "scale: all passed"
