#!/usr/bin/env bash
# bench/data/fk_cost.sh - what the foreign keys cost in the data layer's bulk writes, measured on
# the bench/data data set: per-row RI triggers of each import table (EXPLAIN ANALYZE of a
# re-insert, rolled back: what sql/006's bulk mode saves) and the writing of one run's results
# into one table with per-row FK checks vs into a fresh table attached as a partition (sql/005).
# Everything is rolled back; nothing in sql/ changes. A benchmark, not a test.
#
#   HYOKA_BUILD=/abs/build bench/data/fk_cost.sh [N]
set -uo pipefail
source "$(dirname "$0")/setup.sh" fk "${1:-}"
timeout 300 "$hyoka" import "$tmp"/csv/{measures,initiatives,milestones,surveys,progress}.csv \
    >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; die "import failed"; }
timeout 300 "$hyoka" evaluate --survey B --rules "$root/config/rules/default.cfg" --format csv \
    >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; die "evaluate failed"; }
psql -X -q -c "\\copy (SELECT 0, initiative_id, category, score, primary_reason, reasons, flags, recommendations, facts FROM evaluation_results) TO '$tmp/results.copy'" ||
    die "could not save the results"

echo "== import: time in each table's per-row FK triggers (re-insert of every row, rolled back)"
for t in initiative_departments milestones progress_reports; do
    echo "-- $t"
    timeout 300 psql -X -q -v ON_ERROR_STOP=1 <<SQL | grep -E 'Trigger for constraint|Execution Time'
BEGIN;
SET LOCAL jit = off;
CREATE TEMPORARY TABLE saved AS SELECT * FROM $t;
DELETE FROM $t;
EXPLAIN (ANALYZE, COSTS OFF) INSERT INTO $t SELECT * FROM saved;
ROLLBACK;
SQL
done

echo "== evaluate: writing ${n} results (one run), rolled back"
# write_results LABEL SETUP_SQL TIMED_SQL: the total time of TIMED_SQL's statements after
# SETUP_SQL, in a transaction that is rolled back; the run's id is :run, the rows in results_in
write_results() {
    local label=$1 setup=$2 timed=$3
    printf '%s: ' "$label"
    timeout 300 psql -X -q -v ON_ERROR_STOP=1 <<SQL | grep -oE 'Time: [0-9.]+ ms' | awk '{ t += $2 } END { printf "%.1f ms\n", t }'
BEGIN;
INSERT INTO evaluation_runs (survey_id, rule_set_id, fact_schema)
     SELECT s.id, r.id, '[]' FROM surveys s, rule_sets r LIMIT 1 RETURNING id AS run \\gset
CREATE TEMPORARY TABLE results_in (LIKE evaluation_results);
\\copy results_in FROM '$tmp/results.copy'
UPDATE results_in SET run_id = :run;
$setup
\\timing on
$timed
\\timing off
ROLLBACK;
SQL
}
write_results "one table, per-row FK checks and index updates (the schema before sql/005)" "
CREATE TABLE one_table (LIKE evaluation_results INCLUDING ALL);
ALTER TABLE one_table ADD FOREIGN KEY (run_id) REFERENCES evaluation_runs (id),
                      ADD FOREIGN KEY (initiative_id) REFERENCES initiatives (id);" "
INSERT INTO one_table SELECT * FROM results_in;"
write_results "a fresh table, then ATTACH PARTITION: FKs validated and indexes built once (as shipped)" "
CREATE TABLE fresh (LIKE evaluation_results INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                    CHECK (run_id = :run));" "
INSERT INTO fresh SELECT * FROM results_in;
ALTER TABLE evaluation_results ATTACH PARTITION fresh FOR VALUES FROM (:run) TO (:run + 1);"
echo "(INSERT ... SELECT from a temporary copy, so that only the write is timed; load average $(cut -d' ' -f1-3 /proc/loadavg))"
