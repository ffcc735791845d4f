#!/usr/bin/env bash
# run.sh - black-box tier "consistency": every figure a user can see agrees across hyoka's views
# (issue 11, SPEC "Additions in v1.1"). For two data sets, each on its own stack (scripts/stack.sh:
# real PostgreSQL, hyoka-fcgi and nginx on loopback in a mktemp folder, stopped by PID on exit):
#
#   demo       config/demo (surveys 2022 and 2023, seven KPIs), as scripts/stack.sh loads it;
#   generated  bench/data/gen.py with 2,000 initiatives (survey B), plus a survey A a year
#              earlier for which a third of them reported, and two KPIs observed before and
#              after both as-of dates (written below).
#
# and for every survey with a run, node:test files in this order (each test is one named check;
# a failure lists every figure that differs, naming both views and both values):
#
#   views.test.mjs      summary = list totals (category=, primary_reason=, reason=, flag=,
#                       department=, measure=) = CSV rows = report tables (Markdown) = CLI
#                       (`hyoka report`, `hyoka evaluate --dry-run --format json|csv`); KPIs of
#                       /kpis, its CSV and the report = the database at the survey's as-of date;
#   dashboard.test.mjs  the same figures in Debian's chromium (概要, its links into 取組一覧 and
#                       their CSV links, 所管課別, 指標, the HTML report);
#   runs.test.mjs       stores two more runs per survey, then run=ID everywhere = what was stored
#                       (the storing command's answer and the database), /runs, identical POSTs.
#
# How to see it catch an inconsistency (done once by hand; see README.md in this folder).
# Bounded: npm ci 120 s, each data set's checks 300 s.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
source scripts/stack.sh
: "${HYOKA_BUILD:=$root/build}"
export HYOKA_BUILD

[ -x /usr/bin/chromium ] || die "chromium is not installed (scripts/deps.sh)"
command -v node >/dev/null || die "node is not installed (scripts/deps.sh)"

tmp=$(mktemp -d /tmp/hyoka-consistency-XXXXXX)
cleanup() {
    stack_down "$tmp/demo"
    stack_down "$tmp/generated"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

log "consistency: npm ci (playwright-core, csv-parse; no browser download)"
(cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 120 npm ci --prefer-offline --no-audit --no-fund --loglevel=error) ||
    die "npm ci failed in tests/consistency"

passed=0
failed=0
# checks NAME: runs the three files against the stack just started; counts their tests.
checks() {
    local out=$tmp/$1.out
    local file rc p f
    # one file after the other (node --test would run files in any order; runs.test.mjs adds runs)
    for file in views.test.mjs dashboard.test.mjs runs.test.mjs; do
        log "== $1: $file"
        (cd "$here" && HYOKA_DATASET=$1 timeout 300 node --test --test-reporter=spec "$file") >"$out" 2>&1
        rc=$?
        cat "$out"
        p=$(awk '/^ℹ pass /{print $3}' "$out")
        f=$(awk '/^ℹ fail /{print $3}' "$out")
        passed=$((passed + ${p:-0}))
        failed=$((failed + ${f:-0}))
        # a run that stopped early (timeout, a crash outside a test) counts as one more failure
        if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); log "FAIL: $1 $file exited $rc"; fi
    done
}

# ---- the demo data set ---------------------------------------------------------------------
t0=$(date +%s)
port=$(free_port) || die "no free port"
stack_up "$tmp/demo" "$port" demo || exit 1
log "== demo data set: surveys 2022 and 2023"
checks demo
stack_down "$tmp/demo"

# ---- a generated data set ------------------------------------------------------------------
gen=$tmp/generated-csv
python3 bench/data/gen.py "$gen" 2000 || die "bench/data/gen.py failed"
printf 'A,2023-03-31,生成データ前年度調査\n' >>"$gen/surveys.csv"
# survey A: every third initiative reported (deterministic values), the others not at all
awk -F, 'NR > 1 && NR % 3 == 0 {
    printf "%s,A,%d%%,%d,%d,%d,%s,%s,,\n", $1, (NR * 37) % 101, 1000, (NR * 13) % 2000, (NR * 29) % 3000,
        (NR % 2 ? "はい" : "いいえ"), (NR % 5 == 0 ? "true" : "false") }' "$gen/initiatives.csv" >>"$gen/progress.csv"
cat >"$gen/kpis.csv" <<'CSV'
code,title,unit,direction,baseline_value,baseline_date,target_value,target_date,initiative_codes
G-up,生成指標（増やす）,件,up,10,2022-04-01,110,2026-03-31,B-0-0;B-1-1
G-down,生成指標（減らす）,%,down,100,2022-04-01,40,2026-03-31,B-2-2
CSV
cat >"$gen/kpi_values.csv" <<'CSV'
kpi_code,date,value
G-up,2022-09-30,20
G-up,2023-03-31,35
G-up,2023-12-31,60
G-up,2024-03-31,72.5
G-up,2024-10-31,90
G-down,2023-06-30,88.25
G-down,2024-09-30,61
CSV
port=$(free_port) || die "no free port"
stack_up "$tmp/generated" "$port" empty || exit 1
hyoka() { "$HYOKA_BUILD/cli/hyoka" --config "$tmp/generated/hyoka.cfg" "$@"; }
hyoka import "$gen"/*.csv >"$tmp/generated/import.log" 2>&1 ||
    { cat "$tmp/generated/import.log" >&2; die "hyoka import of the generated data failed"; }
for s in A B; do
    hyoka evaluate --survey "$s" --rules config/rules/default.cfg --format json \
        >"$tmp/generated/evaluate-$s.json" 2>"$tmp/generated/evaluate-$s.log" ||
        { cat "$tmp/generated/evaluate-$s.log" >&2; die "hyoka evaluate --survey $s failed"; }
done
log "== generated data set: 2,000 initiatives, surveys A and B"
checks generated
stack_down "$tmp/generated"

log "consistency tier took $(($(date +%s) - t0)) s"
echo "consistency: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
