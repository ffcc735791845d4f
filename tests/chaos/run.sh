#!/usr/bin/env bash
# run.sh - black-box tier "chaos": faults and hostile input against the real stack (scripts/stack.sh
# in a mktemp folder, demo data), each while ordinary requests run (tests/http/load.mjs):
#   a. SIGHUP reloads of hyoka-fcgi, every second one with a broken rule file;
#   b. workers killed (SIGKILL);
#   c. PostgreSQL stopped and started (503 allowed only for requests that overlap the outage);
#   d. `hyoka import`, then `hyoka evaluate`, killed (SIGKILL) while its database session is busy in
#      a statement, then run again at once: the dead client's session must end by itself, nothing
#      partial may be left, the rerun must finish and store exactly what a clean run stores;
#   e. concurrent POST /api/v1/evaluations;
#   f. hostile HTTP through nginx and malformed bytes over TCP and over the FastCGI socket
#      (tests/chaos/hostile.mjs), while no worker may die.
# For each: requests made, requests failed, row counts before and after; a table at the end.
# Passes with 0 failed requests, nothing lost, every hostile request answered as expected; exits 1
# naming each failure otherwise. Loopback only; every process started here is stopped by its PID;
# the whole tier is bounded (WATCHDOG_S) and so is every wait in it. HYOKA_CHAOS_KEEP=1 keeps the
# folder (logs of every process) for a look afterwards; HYOKA_CHAOS_ONLY="a c" runs some scenarios. HYOKA_CHAOS_ONLY="a c" runs some scenarios.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
source scripts/stack.sh
: "${HYOKA_BUILD:=$root/build}"
export HYOKA_BUILD

WATCHDOG_S=240      # the whole tier
RELOADS=10          # a: half of them broken
KILLS=8             # b
OUTAGES=2           # c
GEN_N=3000          # d: initiatives generated; the new rows (~4 N) stay under IMPORT_BULK_ROWS, so
                    #    the import writes row by row and meets the lock held below
DEAD_SESSION_S=25   # d: longest a killed client's database session may live on (the server is
                    #    asked to notice a vanished client within ~10 s)
RERUN_S=60          # d: longest the rerun of an import or an evaluation may take
POSTS=8             # e: evaluations at once
ROUNDS=3            # e
LOCK_IMPORT=448378072930   # store/store.h STORE_LOCK_IMPORT
LOCK_EVALUATE=448378072931 # store/store.h STORE_LOCK_EVALUATE

dir=$(mktemp -d /tmp/hyoka-chaos-XXXXXX)
bgpids=()  # load generators, CLI runs, the lock holder: stopped on exit
watchdog=
cleanup() {
    local p
    [ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
    # Only those still running as this shell's jobs: the PID of one that ended may belong to
    # another program by now. (The stack's nginx and hyoka-fcgi are jobs too: stack_down stops
    # them in order, so they are not in bgpids.)
    local running
    running=" $(jobs -pr | tr '\n' ' ') "
    for p in "${bgpids[@]}"; do
        [[ "$running" == *" $p "* ]] && kill -KILL "$p" 2>/dev/null
    done
    stack_down "$dir"
    if [ "${HYOKA_CHAOS_KEEP:-0}" = 1 ]; then log "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'log "chaos: interrupted"; exit 1' INT TERM
# The tier's own bound: a hang anywhere ends it, named, instead of waiting for test.sh's timeout.
(
    trap 'kill "$deadline" 2>/dev/null; exit 0' TERM
    sleep "$WATCHDOG_S" & # a deadline, not a synchronisation
    deadline=$!
    wait "$deadline" || exit 0
    echo "chaos: the tier ran over its ${WATCHDOG_S} s bound" >&2
    kill -TERM $$
) &
watchdog=$!

t_start=$(date +%s)
failures=()
scenario_failed=0
fail() { log "FAIL: $cur: $*"; failures+=("$cur: $*"); scenario_failed=1; }
ms() { date +%s%3N; }
# await SECONDS 'SHELL CONDITION': true once the condition (evaluated anew each time, every 50 ms)
# holds, false after SECONDS.
await() {
    local deadline=$(($(ms) + $1 * 1000))
    until eval "$2"; do
        [ "$(ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}
hyoka() { "$HYOKA_BUILD/cli/hyoka" --config "$dir/hyoka.cfg" "$@"; }
sql() { PGOPTIONS="-c statement_timeout=20000" psql -X -q -tA -v ON_ERROR_STOP=1 -c "$1"; }
# db_await SECONDS CONDITION: waits in one session until the SQL condition holds (polled every
# 20 ms, activity snapshot cleared each time), false after SECONDS.
db_await() {
    psql -X -q -v ON_ERROR_STOP=1 -c "DO \$\$ DECLARE t0 timestamptz := clock_timestamp(); BEGIN
        LOOP
            PERFORM pg_stat_clear_snapshot();
            EXIT WHEN ($2);
            IF clock_timestamp() - t0 > interval '$1 s' THEN RAISE EXCEPTION 'timed out'; END IF;
            PERFORM pg_sleep(0.02);
        END LOOP; END \$\$" >/dev/null 2>&1
}
holds_lock() { # holds_lock APPNAME KEY: SQL, the session named APPNAME holds advisory lock KEY
    echo "EXISTS (SELECT 1 FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
        WHERE a.application_name = '$1' AND l.locktype = 'advisory' AND l.granted
          AND l.objsubid = 1 AND (l.classid::bigint << 32 | l.objid::bigint) = $2)"
}
# Rows of the tables a fault could damage, and the invariant that no run is partial: every run has
# exactly its `total` results.
rows() {
    sql "SELECT (SELECT count(*) FROM evaluation_runs) || ' ' || (SELECT count(*) FROM evaluation_results)
        || ' ' || (SELECT count(*) FROM initiatives) || ' ' || (SELECT count(*) FROM progress_reports)
        || ' ' || (SELECT count(*) FROM milestones) || ' ' || (SELECT count(*) FROM measures)
        || ' ' || (SELECT count(*) FROM evaluation_runs r
                   WHERE r.total <> (SELECT count(*) FROM evaluation_results x WHERE x.run_id = r.id))"
}
metric() { curl -s --max-time 5 "$HYOKA_URL/api/v1/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
deaths() { grep -c "died of signal" "$dir/hyoka-fcgi.log"; }
workers() { pgrep -P "$master" | sort -n | tr '\n' ' '; }

bg_done() { # bg_done PID: PID was waited for; cleanup must not signal it (or a reuse of its number)
    local p keep=()
    for p in "${bgpids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    bgpids=("${keep[@]}")
}

# ---- load: tests/http/load.mjs until a stop file appears ----------------------------------------
loadpid=
load_start() { # load_start NAME ALLOW: ordinary reads until load_stop; waits until they flow
    rm -f "$dir/stop" "$dir/ready"
    node tests/http/load.mjs --seconds 120 --concurrency 4 --allow "$2" --until-file "$dir/stop" \
        --ready-file "$dir/ready" "${load_urls[@]}" >"$dir/load-$1.json" &
    loadpid=$!
    bgpids+=("$loadpid")
    await 15 '[ -e "$dir/ready" ]' || fail "the load did not start within 15 s"
}
load_total=0
load_failed=0
load_stop() { # load_stop NAME: stops the load, adds to load_total, load_failed (names failures)
    local total nfailed
    touch "$dir/stop"
    wait "$loadpid"
    bg_done "$loadpid"
    loadpid=
    read -r total nfailed < <(node -e '
        const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        console.log(r.total, r.nfailures);' "$dir/load-$1.json" 2>/dev/null || echo "0 1")
    load_total=$((load_total + total))
    load_failed=$((load_failed + nfailed))
    if [ "$nfailed" -gt 0 ]; then
        fail "$nfailed of $total ordinary requests failed: $(node -e '
            const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
            const f = r.failures[0] || {};
            console.log(`statuses ${JSON.stringify(r.statuses)}, first: ${f.status || f.error} for ${f.url}`);' "$dir/load-$1.json" 2>&1)"
    fi
}

# ---- the table ----------------------------------------------------------------------------------
table=()
cur=
begin_scenario() {
    cur=$1
    scenario_failed=0
    own_total=0
    own_failed=0
    log "== $cur"
    rows_before=$(rows)
    deaths_before=$(deaths)
}
end_scenario() { # end_scenario EXPECTED-DELTAS: "runs results initiatives progress milestones measures"
    local rows_after want d i ok=1
    rows_after=$(rows)
    read -ra b <<<"$rows_before"
    read -ra a <<<"$rows_after"
    read -ra d <<<"$1"
    local names=(evaluation_runs evaluation_results initiatives progress_reports milestones measures)
    for i in 0 1 2 3 4 5; do
        want=$((b[i] + d[i]))
        [ "${a[i]}" -eq "$want" ] || { fail "${names[i]}: ${a[i]} rows, want $want (${b[i]} + ${d[i]})"; ok=0; }
    done
    [ "${a[6]}" -eq 0 ] || fail "${a[6]} runs do not have all their results"
    local total=$((load_total + own_total)) failed=$((load_failed + own_failed))
    table+=("$(printf '%-38s %8d %6d  %5d -> %-5d %7d -> %-7d %6d -> %-6d %6d -> %-6d  %s' "$cur" "$total" \
        "$failed" "${b[0]}" "${a[0]}" "${b[1]}" "${a[1]}" "${b[2]}" "${a[2]}" "${b[3]}" "${a[3]}" \
        "$([ "$scenario_failed" -eq 0 ] && echo ok || echo FAIL)")")
    load_total=0
    load_failed=0
}
no_deaths() { # no worker died of a signal during the scenario
    local n=$(($(deaths) - deaths_before))
    [ "$n" -eq 0 ] || fail "$n workers died of a signal ($(grep -o "died of signal [0-9]*" "$dir/hyoka-fcgi.log" |
        tail -n "$n" | sort | uniq -c | awk '{ print $1 " x signal " $5 }' | paste -sd, -))"
}

# ---- the stack ----------------------------------------------------------------------------------
cp config/rules/default.cfg "$dir/rules.cfg"
export HYOKA_RULES=$dir/rules.cfg HYOKA_WORKERS=4
port=$(free_port) || die "no free port"
stack_up "$dir" "$port" demo || exit 1
master=$(cat "$dir/hyoka-fcgi.pid")
pgport=$PGPORT
load_urls=("$HYOKA_URL/api/v1/summary?survey=2023" "$HYOKA_URL/api/v1/initiatives?survey=2023&sort=-score&limit=100"
    "$HYOKA_URL/api/v1/initiatives?survey=2023&format=csv" "$HYOKA_URL/api/v1/initiatives/1-2-01?survey=2023"
    "$HYOKA_URL/api/v1/departments" "$HYOKA_URL/api/v1/surveys" "$HYOKA_URL/api/v1/kpis")
python3 bench/data/gen.py "$dir/gen" "$GEN_N" || die "bench/data/gen.py failed"
gen_csvs=("$dir"/gen/{measures,initiatives,milestones,surveys,progress}.csv)

# ---- a. reloads ---------------------------------------------------------------------------------
scenario_a() {
    begin_scenario "a. $RELOADS reloads, $((RELOADS / 2)) with broken rules"
    load_start a 200
    rules_version() { curl -s --max-time 5 "$HYOKA_URL/api/v1/rules" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).version)}catch{console.log("?")}})'; }
    reloads_seen() { echo $(($(metric 'hyoka_reloads_total{result="ok"}') + $(metric 'hyoka_reloads_total{result="refused"}'))); }
    ok0=$(metric 'hyoka_reloads_total{result="ok"}')
    refused0=$(metric 'hyoka_reloads_total{result="refused"}')
    good=$(rules_version)
    for i in $(seq 1 "$RELOADS"); do
        n0=$(reloads_seen)
        if [ $((i % 2)) -eq 1 ]; then
            sed "s/^version = .*/version = \"chaos-$i\";/" config/rules/default.cfg >"$dir/rules.new"
            good=chaos-$i
        else # an unknown name inside an expression: refused with file:line:col
            sed "0,/progress_ratio >= thresholds/s//progres_ratio >= thresholds/" config/rules/default.cfg >"$dir/rules.new"
            grep -q progres_ratio "$dir/rules.new" || fail "could not break the rule file"
        fi
        mv "$dir/rules.new" "$dir/rules.cfg"
        kill -HUP "$master"
        await 20 '[ "$(reloads_seen)" -gt "$n0" ]' || fail "reload $i: no outcome counted within 20 s"
        await 10 '[ "$(rules_version)" = "$good" ]' || fail "reload $i: rules $(rules_version) in use, want $good"
    done
    cp config/rules/default.cfg "$dir/rules.cfg"
    [ "$(metric 'hyoka_reloads_total{result="ok"}')" -eq $((ok0 + (RELOADS + 1) / 2)) ] || fail "not every good reload was taken"
    [ "$(metric 'hyoka_reloads_total{result="refused"}')" -eq $((refused0 + RELOADS / 2)) ] || fail "not every broken reload was refused"
    grep -Eq "rules\.cfg:[0-9]+:[0-9]+: .*progres_ratio" "$dir/hyoka-fcgi.log" || fail "the refusal is not logged with file:line:col"
    load_stop a
    no_deaths
    end_scenario "0 0 0 0 0 0"
}

# ---- b. workers killed --------------------------------------------------------------------------
scenario_b() {
    begin_scenario "b. $KILLS workers killed (SIGKILL)"
    load_start b 200
    restarts0=$(metric hyoka_worker_restarts_total)
    replaced() { # replaced VICTIM RESTARTS: 4 workers again, the victim gone, the restart counted
        local w
        w=$(workers)
        [ "$(wc -w <<<"$w")" -eq 4 ] && ! grep -qw "$1" <<<"$w" && [ "$(metric hyoka_worker_restarts_total)" = "$2" ]
    }
    for i in $(seq 1 "$KILLS"); do
        victim=$(workers | tr ' ' '\n' | grep . | shuf -n 1)
        [ -n "$victim" ] || { fail "no worker to kill"; break; }
        kill -KILL "$victim"
        await 10 'replaced "$victim" $((restarts0 + i))' || fail "kill $i: worker $victim not replaced within 10 s ($(workers))"
    done
    n=$(($(deaths) - deaths_before))
    [ "$n" -eq "$KILLS" ] || fail "$n deaths logged, want $KILLS"
    [ "$(grep "died of signal" "$dir/hyoka-fcgi.log" | tail -n "$KILLS" | grep -vc "signal 9")" -eq 0 ] ||
        fail "a worker died of another signal than the SIGKILL sent"
    load_stop b
    end_scenario "0 0 0 0 0 0"
}

# ---- c. PostgreSQL stopped and started ----------------------------------------------------------
scenario_c() {
    begin_scenario "c. PostgreSQL stopped+started x$OUTAGES"
    workers_before=$(workers)
    health() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$HYOKA_URL/api/v1/health"; }
    n503=0
    for i in $(seq 1 "$OUTAGES"); do
        load_start "c$i" 200,503
        t_down=$(ms)
        pg_stop "$dir"
        await 10 '[ "$(health)" = 503 ]' || fail "outage $i: health did not say 503 within 10 s"
        # The outage lasts while 20 database reads are refused, one after the other.
        for _ in $(seq 1 20); do
            s=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$HYOKA_URL/api/v1/surveys")
            [ "$s" = 503 ] || fail "outage $i: a database read got $s, want 503"
        done
        pg_start "$dir" "$pgport" >/dev/null || { fail "outage $i: PostgreSQL did not start again"; break; }
        t_up=$(ms)
        await 5 '[ "$(health)" = 200 ]' || fail "outage $i: health not 200 within 5 s of PostgreSQL's start"
        own_total=$((own_total + 20))
        load_stop "c$i"
        # Every 503 of this load overlapped the outage: it began before PostgreSQL was back and ended
        # after it was stopped.
        read -r k bad < <(node -e '
            const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
            const [down, up] = [+process.argv[2], +process.argv[3]];
            const sp = r.spans["503"];
            if (!sp) { console.log(0, ""); process.exit(0); }
            const [, lastStart, firstEnd] = sp;
            console.log(r.statuses["503"], firstEnd < down || lastStart > up
                ? `503s from requests started ${sp[0] - down} to ${lastStart - down} ms after the stop, database back after ${up - down} ms` : "");
        ' "$dir/load-c$i.json" "$t_down" "$t_up")
        n503=$((n503 + k))
        [ -z "$bad" ] || fail "outage $i: a 503 while the database was up: $bad"
    done
    log "503 answers of the load during the outages: $n503"
    [ "$(workers)" = "$workers_before" ] || fail "workers changed: $workers_before -> $(workers)"
    no_deaths
    end_scenario "0 0 0 0 0 0"
}

# ---- d. import and evaluate killed midway, then run again at once -------------------------------
scenario_d() {
    # To kill a client while its session is busy in a statement (as when a large import is killed
    # during an upsert), a session of ours holds a table lock the statement needs; the client is
    # killed while its session waits for it. A server that notices vanished clients ends the session
    # by itself; ours lets go only once it has.
    locker=
    lock_table() { # lock_table SQL-LOCK-STATEMENT: a session holding that lock until unlock_table
        coproc LOCKER { psql -X -q -tA -v ON_ERROR_STOP=1 2>&1; }
        locker=$LOCKER_PID
        bgpids+=("$locker")
        printf "SET lock_timeout = '10s';\nBEGIN;\n%s;\nSELECT 'locked';\n" "$1" >&"${LOCKER[1]}"
        local line
        read -r -t 15 line <&"${LOCKER[0]}" && [ "$line" = locked ] || fail "could not take the lock ($1): ${line:-no answer}"
    }
    unlock_table() {
        printf 'COMMIT;\n\\q\n' >&"${LOCKER[1]}"
        wait "$locker"
        bg_done "$locker"
    }
    # killed_midway KIND APPNAME LOCKKEY LOCK-STATEMENT CMD...: runs CMD with APPNAME until its session
    # holds LOCKKEY and waits on the table lock, kills it (SIGKILL), runs CMD again at once and checks
    # that the dead session ends by itself within DEAD_SESSION_S, that nothing was left behind, and that
    # the rerun ends well within RERUN_S. Sets rerun_ms.
    killed_midway() {
        local kind=$1 app=$2 key=$3 lock=$4 pid rerun rc t0 before
        shift 4
        before=$(rows)
        lock_table "$lock"
        PGAPPNAME=$app "$@" >"$dir/$kind-killed.log" 2>&1 &
        pid=$!
        bgpids+=("$pid")
        if db_await 30 "$(holds_lock "$app" "$key") AND EXISTS (SELECT 1 FROM pg_stat_activity
                WHERE application_name = '$app' AND wait_event_type = 'Lock')"; then
            kill -KILL "$pid"
        else
            fail "$kind did not reach the locked statement within 30 s"
        fi
        wait "$pid" 2>/dev/null # killed: bash need not say so
        bg_done "$pid"
        t0=$(ms)
        PGAPPNAME=chaos-rerun timeout "$RERUN_S" "$@" >"$dir/$kind-rerun.log" 2>&1 &
        rerun=$!
        bgpids+=("$rerun")
        db_await "$DEAD_SESSION_S" "NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '$app')" ||
            fail "$kind: the killed client's session still holds the $kind lock $DEAD_SESSION_S s after the client died"
        [ "$(rows)" = "$before" ] || fail "$kind: rows changed before the rerun committed: $before -> $(rows)"
        unlock_table
        wait "$rerun"
        rc=$?
        bg_done "$rerun"
        rerun_ms=$(($(ms) - t0))
        [ "$rc" -eq 0 ] || fail "$kind: the rerun exited $rc after $rerun_ms ms: $(tail -3 "$dir/$kind-rerun.log" | tr '\n' ' ')"
        log "$kind: the rerun took $rerun_ms ms ($(tail -1 "$dir/$kind-rerun.log"))"
    }
    begin_scenario "d. import, evaluate killed midway, rerun"
    load_start d 200
    killed_midway import chaos-import-killed "$LOCK_IMPORT" "LOCK TABLE progress_reports IN SHARE MODE" \
        "$HYOKA_BUILD/cli/hyoka" --config "$dir/hyoka.cfg" import "${gen_csvs[@]}"
    import_ms=$rerun_ms
    # The files once more: every row is already there, unchanged (rows equal to a clean import).
    hyoka import "${gen_csvs[@]}" >"$dir/import-again.log" 2>&1 || fail "importing the files again failed"
    grep -v ", 0 new, 0 updated," "$dir/import-again.log" | grep -q . &&
        fail "importing the files again changed rows: $(grep -v ', 0 new, 0 updated,' "$dir/import-again.log" | head -3 | tr '\n' ' ')"
    # What a clean evaluation of the survey stores: its dry run's total.
    clean_total=$(hyoka evaluate --survey B --dry-run --format json 2>"$dir/dry-run.log" | node -e '
        let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => console.log(JSON.parse(s).summary.total));') ||
        fail "the dry run of survey B failed: $(tail -2 "$dir/dry-run.log")"
    killed_midway evaluate chaos-evaluate-killed "$LOCK_EVALUATE" "LOCK TABLE evaluation_results IN SHARE UPDATE EXCLUSIVE MODE" \
        "$HYOKA_BUILD/cli/hyoka" --config "$dir/hyoka.cfg" evaluate --survey B --format json
    evaluate_ms=$rerun_ms
    own_total=4
    load_stop d
    no_deaths
    end_scenario "1 ${clean_total:-0} $GEN_N $GEN_N $((2 * GEN_N)) $((GEN_N / 100))"
    table[-1]+="  (reruns: import $import_ms ms, evaluate $evaluate_ms ms)"
}

# ---- e. concurrent evaluations ------------------------------------------------------------------
scenario_e() {
    begin_scenario "e. $ROUNDS x $POSTS POST /evaluations at once"
    load_start e 200
    node tests/chaos/hostile.mjs posts "$HYOKA_URL" "$POSTS" "$ROUNDS" >"$dir/posts.json"
    read -r own_total own_failed created < <(node -e '
        const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        console.log(r.total, r.nfailures, r.created);' "$dir/posts.json" 2>/dev/null || echo "0 1 0")
    [ "$own_failed" -eq 0 ] || fail "$own_failed of $own_total POSTs not 201/200: $(cat "$dir/posts.json")"
    [ "$own_total" -eq $((POSTS * ROUNDS)) ] || fail "$own_total POSTs answered, want $((POSTS * ROUNDS))"
    load_stop e
    no_deaths
    per_run=$(sql "SELECT total FROM evaluation_runs r JOIN surveys s ON s.id = r.survey_id WHERE s.code = '2023' ORDER BY r.id DESC LIMIT 1")
    end_scenario "$created $((created * per_run)) 0 0 0 0"
}

# ---- f. hostile HTTP ----------------------------------------------------------------------------
scenario_f() {
    begin_scenario "f. hostile HTTP and FastCGI"
    workers_before=$(workers)
    load_start f 200
    node tests/chaos/hostile.mjs hostile "$HYOKA_URL" "$dir/hyoka.sock" >"$dir/hostile.out" 2>&1
    while IFS=$'\t' read -r _ name what; do fail "$name: $what"; done < <(grep -P '^not ok\t' "$dir/hostile.out")
    read -r own_total own_failed < <(tail -1 "$dir/hostile.out" | node -e '
        let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
            try { const r = JSON.parse(s); console.log(r.total, r.failed); } catch { console.log("0 1"); } });')
    [ "$own_total" -gt 0 ] || fail "hostile.mjs did not run to its end: $(tail -3 "$dir/hostile.out" | tr '\n' ' ')"
    load_stop f
    [ "$(workers)" = "$workers_before" ] || fail "workers changed: $workers_before -> $(workers)"
    no_deaths
    end_scenario "0 0 0 0 0 0"
}

# ---- run them -----------------------------------------------------------------------------------
for scen in ${HYOKA_CHAOS_ONLY:-a b c d e f}; do
    declare -F "scenario_$scen" >/dev/null || die "no scenario '$scen' (HYOKA_CHAOS_ONLY: some of a b c d e f)"
    "scenario_$scen"
done

# ---- the table ----------------------------------------------------------------------------------
wall=$(($(date +%s) - t_start))
echo
printf '%-38s %8s %6s  %14s %18s %16s %16s  %s\n' scenario requests failed evaluation_runs \
    evaluation_results initiatives progress_reports result
for line in "${table[@]}"; do echo "$line"; done
echo "chaos: ${#failures[@]} failures, ${wall} s"
for f in "${failures[@]}"; do echo "  FAIL $f"; done
[ "${#failures[@]}" -eq 0 ]
