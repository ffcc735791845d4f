#!/usr/bin/env bash
# bench/data/where.sh - where bench/data/run.sh's time goes: `hyoka import` of N generated
# initiatives (default 100,000) and then `hyoka evaluate --survey B` (which stores a run), each
# with PostgreSQL's per-statement statistics on (log_statement_stats, log_min_duration_statement
# = 0, set through PGOPTIONS for these two commands only). Prints, per command, every statement
# that used at least 20 ms of database CPU: its session (an evaluation reads a large survey on two
# connections, store/evaluate.c), its database CPU (user + system of that statement alone), its
# wall time and its first words; then the totals, hyoka's own CPU and the load average. CPU times
# are what to compare on a shared machine: wall times there count other programs' turns too.
#
#   HYOKA_BUILD=/abs/build bench/data/where.sh [N]
set -uo pipefail
source "$(dirname "$0")/setup.sh" where "${1:-}"
files=("$tmp"/csv/{measures,initiatives,milestones,surveys,progress}.csv)

# stats: the statements of $tmp/postgres.log, as "SESSION CPU_MS WALL_MS SQL" lines. A message's
# "duration: ... execute|statement: SQL" line comes first, then its STATISTICS block, whose first
# "! U s user, S s system, E s elapsed" line is that message's own usage (the bracketed line after
# it is the session's running total).
stats() {
    awk '
    match($0, /\[[0-9]+\] LOG:  duration: [0-9.]+ ms  (execute [^:]*|statement): /) {
        split(substr($0, RSTART, RLENGTH), a, /[][ ]+/); pid = a[2]; wall[pid] = a[5]
        sql[pid] = substr($0, RSTART + RLENGTH, 70); next }
    match($0, /\[[0-9]+\] LOG:  (EXECUTE MESSAGE|QUERY) STATISTICS/) {
        split(substr($0, RSTART, RLENGTH), a, /[][ ]+/); cur = a[2]; want = (cur in sql); next }
    want && /^\t!\t[0-9.]+ s user, [0-9.]+ s system/ {
        split($0, a, /[ \t!]+/); if (!(cur in sess)) sess[cur] = ++nsess
        printf "%d %.0f %.0f %s\n", sess[cur], (a[2] + a[5]) * 1000, wall[cur], sql[cur]
        delete sql[cur]; want = 0 }' "$tmp/postgres.log"
}
# report TITLE: the statements of the last command, then the totals
report() {
    stats >"$tmp/stats"
    echo "$1"
    printf '  %7s %8s %8s  %s\n' session db_cpu_ms wall_ms statement
    awk '$2 >= 20 { printf "  %7s %8s %8s  %s\n", $1, $2, $3, substr($0, index($0, $4)) }' "$tmp/stats"
    awk '{ c += $2; s[$1] += $2 } END { printf "  database CPU, all statements: %.2f s", c / 1000;
        for (k in s) printf "; session %s %.2f s", k, s[k] / 1000; print "" }' "$tmp/stats"
}
run() {
    local TIMEFORMAT='%R %U %S'
    printf '$ PGOPTIONS="-c log_statement_stats=on -c log_min_duration_statement=0" %s\n' "$*"
    : >"$tmp/postgres.log"
    { time PGOPTIONS="-c log_statement_stats=on -c log_min_duration_statement=0" \
        timeout 300 "$@" >"$tmp/out" 2>&1; } 2>"$tmp/time" || { cat "$tmp/out" >&2; die "failed: $*"; }
}
own() { awk '{ printf "  wall %.2f s; hyoka own CPU %.2f s", $1, $2 + $3 }' "$tmp/time"; echo "; load average $(cut -d' ' -f1-3 /proc/loadavg)"; }

run "$hyoka" import "${files[@]}"
report "hyoka import (${n} initiatives, $((2 * n)) milestones, ${n} progress rows):"
own
run "$hyoka" evaluate --survey B --rules "$root/config/rules/default.cfg"
report "hyoka evaluate --survey B (evaluate and store ${n} results):"
own
