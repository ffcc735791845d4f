#!/usr/bin/env bash
# bench/data/fk_cost.sh - what the foreign keys cost in the data layer's bulk writes, measured on
# the bench/data data set: per-row RI triggers of each import table (EXPLAIN ANALYZE of a
# re-insert, rolled back) and the COPY of one run's results with the FKs, without them, and with
# a statement-level check as a possible replacement. Everything is rolled back; nothing in sql/
# changes. Evidence for the FK trade-off (see the dbperf report); a benchmark, not a test.
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

echo "== evaluate: COPY of ${n} results (one run), rolled back"
# copy_into LABEL SETUP_SQL: times the COPY after SETUP_SQL, in a transaction that is rolled back
copy_into() {
    local label=$1 setup=$2
    printf '%s: ' "$label"
    timeout 300 psql -X -q -v ON_ERROR_STOP=1 <<SQL | grep -oE 'Time: [0-9.]+ ms' | tail -1
BEGIN;
INSERT INTO evaluation_runs (survey_id, rule_set_id, fact_schema)
     SELECT s.id, r.id, '[]' FROM surveys s, rule_sets r LIMIT 1;
CREATE TEMPORARY TABLE results_in (LIKE evaluation_results);
\\copy results_in FROM '$tmp/results.copy'
UPDATE results_in SET run_id = (SELECT max(id) FROM evaluation_runs);
$setup
\\timing on
INSERT INTO evaluation_results SELECT * FROM results_in;
\\timing off
ROLLBACK;
SQL
}
copy_into "with the two FKs (as shipped)" ""
copy_into "without the FKs" \
    "ALTER TABLE evaluation_results DROP CONSTRAINT evaluation_results_run_id_fkey, DROP CONSTRAINT evaluation_results_initiative_id_fkey;"
copy_into "without the FKs, with one statement-level check (locks the referenced rows FOR KEY SHARE)" "
ALTER TABLE evaluation_results DROP CONSTRAINT evaluation_results_run_id_fkey, DROP CONSTRAINT evaluation_results_initiative_id_fkey;
CREATE FUNCTION pg_temp.results_refs() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    PERFORM 1 FROM evaluation_runs r WHERE r.id IN (SELECT DISTINCT run_id FROM new_rows) FOR KEY SHARE;
    PERFORM 1 FROM initiatives i WHERE i.id IN (SELECT initiative_id FROM new_rows) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM initiatives i WHERE i.id = n.initiative_id)
               OR NOT EXISTS (SELECT 1 FROM evaluation_runs r WHERE r.id = n.run_id)) THEN
        RAISE EXCEPTION 'evaluation_results refers to a missing run or initiative' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
\$\$;
CREATE TRIGGER results_refs AFTER INSERT ON evaluation_results REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.results_refs();"
echo "(INSERT ... SELECT from a temporary copy, so that only the write is timed; load average $(cut -d' ' -f1-3 /proc/loadavg))"
