#!/usr/bin/env bash
# bench/data/run.sh - how long `hyoka import` takes for 100,000 initiatives (+ measures, 200,000
# milestones, a survey and 100,000 progress rows), and then `hyoka evaluate` of that survey with
# the default rules (targets: import < 5 s, evaluate + store < 2 s). Prints each exact command
# ("$ ...") and its wall time, and the database CPU where it matters (wall times on a shared
# machine vary). Bounded: every step runs under `timeout` (STEP_TIMEOUT). A benchmark, not a test:
# it fails only if a command fails.
#
#   HYOKA_BUILD=/abs/build bench/data/run.sh [N]
set -uo pipefail
source "$(dirname "$0")/setup.sh" data "${1:-}"
log "data: $(wc -l "$tmp"/csv/*.csv | tail -1 | awk '{print $1}') CSV lines, $(du -sh "$tmp/csv" | cut -f1)"

# t CMD...: prints the exact command on stderr ("$ ..."), runs it (at most $STEP_TIMEOUT s) and
# prints its wall time in seconds on stdout; own_cpu then gives the CPU time (user + system, s) the
# command itself used, which a loaded machine changes less than the wall time
STEP_TIMEOUT=120
t() {
    local start end TIMEFORMAT='%U %S'
    printf '$ %s\n' "$*" >&2
    start=$(date +%s.%N)
    { time timeout "$STEP_TIMEOUT" "$@" >"$tmp/out" 2>&1; } 2>"$tmp/time" ||
        { cat "$tmp/out" >&2; die "failed: $*"; }
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }'
}
own_cpu() { awk '{ printf "%.2f", $1 + $2 }' "$tmp/time"; }

files=("$tmp"/csv/{measures,initiatives,milestones,surveys,progress}.csv)
# backend_cpu: the database session's CPU time (user + system, s) of the last logged statement,
# from log_statement_stats (cumulative per session): wall times on a shared machine vary.
backend_cpu() {
    grep -oE '[0-9.]+ s user, [0-9.]+ s system' "$tmp/postgres.log" | tail -1 |
        awk '{ printf "%.2f", $1 + $4 }'
}
: >"$tmp/postgres.log"
s=$(PGOPTIONS="-c log_statement_stats=on" t "$hyoka" import --dry-run "${files[@]}")
echo "hyoka import --dry-run (${n} initiatives; a dry run checks foreign keys row by row, taking no exclusive locks): ${s} s; database CPU $(backend_cpu) s"
: >"$tmp/postgres.log"
s=$(PGOPTIONS="-c log_statement_stats=on" t "$hyoka" import "${files[@]}")
echo "hyoka import (${n} initiatives, $((2 * n)) milestones, ${n} progress rows): ${s} s   (target < 5 s)"
echo "    of which database CPU: $(backend_cpu) s; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$tmp/postgres.log"
s=$(PGOPTIONS="-c log_statement_stats=on" t "$hyoka" import "${files[@]}")
echo "hyoka import again (the same files: every row unchanged): ${s} s; database CPU $(backend_cpu) s"
s=$(t psql -X -q -tAc "SELECT count(*) FROM evaluation_facts WHERE survey_id = (SELECT id FROM surveys WHERE code = 'B')")
echo "SELECT count(*) FROM evaluation_facts for the survey: ${s} s"
: >"$tmp/postgres.log"
s=$(PGOPTIONS="-c log_statement_stats=on -c jit=off" t psql -X -q -o /dev/null -c "SELECT * FROM evaluation_facts WHERE survey_id = (SELECT id FROM surveys WHERE code = 'B')")
echo "SELECT * FROM evaluation_facts for the survey (all facts): ${s} s; database CPU $(backend_cpu) s"
: >"$tmp/postgres.log"
s=$(PGOPTIONS="-c log_statement_stats=on" t "$hyoka" evaluate --survey B --rules "$root/config/rules/default.cfg")
echo "hyoka evaluate --survey B (evaluate + store ${n} results, the default table output): ${s} s   (target < 2 s)"
echo "    of which database CPU: $(backend_cpu) s, hyoka's own CPU $(own_cpu) s; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
s=$(t "$hyoka" evaluate --survey B --rules "$root/config/rules/default.cfg")
echo "hyoka evaluate --survey B again (rules and facts unchanged: SPEC v1.1 stores nothing, sql/014): ${s} s; hyoka's own CPU $(own_cpu) s"
psql -X -q -c "UPDATE progress_reports SET reported_reason = coalesce(reported_reason, '') || '.'
    WHERE (initiative_id, survey_id) = (SELECT initiative_id, survey_id FROM progress_reports LIMIT 1)" >/dev/null
s=$(t "$hyoka" evaluate --survey B --rules "$root/config/rules/default.cfg" --format json)
echo "hyoka evaluate --survey B --format json (one stated reason changed: stored, printing every result with its facts as JSON): ${s} s; hyoka's own CPU $(own_cpu) s"
s=$(t "$hyoka" evaluate --dry-run --survey B --rules "$root/config/rules/default.cfg")
echo "hyoka evaluate --dry-run --survey B (evaluate, nothing stored): ${s} s; hyoka's own CPU $(own_cpu) s"
echo "(each command above ran with HYOKA_CONFIG=$HYOKA_CONFIG and the PG* variables of $tmp/pg.env)"
