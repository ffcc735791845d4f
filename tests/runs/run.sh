#!/usr/bin/env bash
# tests/runs/run.sh - black-box tier of evaluation runs, what-if and the report, against a real
# PostgreSQL in a temporary directory: `hyoka evaluate`, `diff`, `sweep`, `report` and store_explain
# (via runs_verify), with the demo data of config/demo (Izumo City FY2022 and FY2023).
#
# Needs HYOKA_BUILD (absolute build folder; default ./build). Bounded: every command runs under
# `timeout`; the whole tier takes a few seconds. Exit 1 on any failed check.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/lib.sh"

build=${HYOKA_BUILD:-$root/build}
hyoka=$build/cli/hyoka
verify=$build/tests/runs/runs_verify
rules=$root/config/rules/default.cfg
[ -x "$hyoka" ] || die "no $hyoka: build first (HYOKA_BUILD=$build)"
[ -x "$verify" ] || die "no $verify: build the runs_verify target"

tmp=$(mktemp -d /tmp/hyoka-runs.XXXXXX)
cleanup() {
    pg_stop "$tmp"
    rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; [ $# -gt 1 ] && printf '     %s\n' "${@:2}"; }
# check NAME WANT GOT
check() { if [ "$2" == "$3" ]; then ok "$1"; else bad "$1" "want: $2" "got:  $3"; fi; }
# contains NAME FILE TEXT
contains() { if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1" "missing: $3"; fi; }
# run EXPECTED_RC NAME CMD... : runs a bounded command, output in $tmp/out, $tmp/err
run() {
    local want=$1 name=$2; shift 2
    timeout 120 "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; else bad "$name" "exit $rc, want $want" "$(head -c 600 "$tmp/err")"; fi
}
sql() { psql -X -q -v ON_ERROR_STOP=1 -tA "$@"; }

# A service config of our own, so that a config on this machine (/etc/hyoka) plays no part, and
# so that `evaluate` without --rules takes rules.file from it.
cat >"$tmp/hyoka.cfg" <<CFG
database = { conninfo = ""; };
rules = { file = "$rules"; };
CFG
export HYOKA_CONFIG=$tmp/hyoka.cfg

pg_start "$tmp" >/dev/null || die "PostgreSQL did not start"

echo "== environment errors"
PGPORT=1 run 2 "no database: evaluate exits 2" "$hyoka" evaluate --rules "$rules"
contains "no database: says it cannot connect" "$tmp/err" "hyoka evaluate:"
run 2 "no schema: evaluate exits 2" "$hyoka" evaluate --rules "$rules"
contains "no schema: tells to run 'hyoka migrate'" "$tmp/err" "run 'hyoka migrate'"
run 2 "no schema: report exits 2" "$hyoka" report
contains "no schema: report tells to run 'hyoka migrate'" "$tmp/err" "run 'hyoka migrate'"

echo "== migrate + import the demo data"
run 0 "migrate" "$hyoka" migrate
run 0 "import config/demo/*.csv" "$hyoka" import "$root"/config/demo/*.csv
[ "$failed" -eq 0 ] || { echo "cannot go on without the demo data"; exit 1; }

echo "== bad input changes nothing"
run 1 "unknown survey: exit 1" "$hyoka" evaluate --survey nope --rules "$rules"
contains "unknown survey: message names it" "$tmp/err" "unknown survey 'nope'"
cat >"$tmp/bad.cfg" <<'CFG'
version = "bad";
categories = ( { id = "a"; label = "A"; when = "progres_ratio > 1"; },
               { id = "b"; label = "B"; } );
score = ( { id = "s"; weight = 1; value = "1"; } );
CFG
run 1 "rule error: exit 1" "$hyoka" evaluate --rules "$tmp/bad.cfg"
if grep -qE "bad\.cfg:2:[0-9]+: error: unknown name 'progres_ratio'" "$tmp/err"; then
    ok "rule error: file:line:col diagnostic"
else
    bad "rule error: file:line:col diagnostic" "$(cat "$tmp/err")"
fi
run 2 "unreadable rules file: exit 2" "$hyoka" evaluate --rules "$tmp/no-such.cfg"
contains "unreadable rules file: message" "$tmp/err" "cannot read $tmp/no-such.cfg"
run 1 "bad --format: exit 1" "$hyoka" evaluate --format xml --rules "$rules"
check "nothing stored by failed commands" "0" "$(sql -c 'SELECT count(*) FROM evaluation_runs')"

echo "== evaluate 2022, then 2023 (rules from the service config)"
start=$(date +%s%N)
run 0 "evaluate --survey 2022" "$hyoka" evaluate --survey 2022 --rules "$rules"
contains "table output: per-category line" "$tmp/out" "on_track"
contains "table output: as-of in 和暦" "$tmp/out" "(as of 2023-03-31, 令和4年度末)"
contains "table output: stored run" "$tmp/out" "stored as run "
run 0 "evaluate --survey 2023 --format json (rules.file of the config)" \
    "$hyoka" evaluate --survey 2023 --format json
cp "$tmp/out" "$tmp/2023.json"
end=$(date +%s%N)
echo "     (two evaluations stored in $(((end - start) / 1000000)) ms)"
run22=$(sql -c "SELECT r.id FROM evaluation_runs r JOIN surveys s ON s.id = r.survey_id WHERE s.code = '2022' ORDER BY r.id DESC LIMIT 1")
run23=$(sql -c "SELECT r.id FROM evaluation_runs r JOIN surveys s ON s.id = r.survey_id WHERE s.code = '2023' ORDER BY r.id DESC LIMIT 1")
check "two runs stored" "2" "$(sql -c 'SELECT count(*) FROM evaluation_runs')"
check "one rule set stored (by sha256)" "1" "$(sql -c 'SELECT count(*) FROM rule_sets')"
check "both runs record that the CLI started them (sql/014)" "cli|2" \
    "$(sql -c "SELECT string_agg(DISTINCT started_by, ','), count(*) FROM evaluation_runs")"
check "each run has its facts' digest" "2" \
    "$(sql -c "SELECT count(*) FROM evaluation_runs WHERE facts_sha256 ~ '^[0-9a-f]{64}$'")"

echo "== an evaluation identical to the survey's newest run stores nothing (SPEC v1.1)"
run 0 "evaluate --survey 2023 again: exit 0" "$hyoka" evaluate --survey 2023 --format json
contains "says so, naming the run" "$tmp/err" "are those of run $run23 of survey '2023' (its newest): nothing stored"
check "no run stored" "2" "$(sql -c 'SELECT count(*) FROM evaluation_runs')"
check "its JSON names that run and has its results" "$run23 105" \
    "$(psql -X -qtA -v doc="$(cat "$tmp/out")" <<<"SELECT (:'doc'::jsonb #>> '{run,id}') || ' ' || jsonb_array_length(:'doc'::jsonb -> 'results')")"

# JSON documents are checked with PostgreSQL's own JSON functions (no other tool needed): each is
# loaded into hyoka_test.docs and read back with hyoka_test.doc(NAME).
sql -c "CREATE SCHEMA hyoka_test; CREATE TABLE hyoka_test.docs (name text PRIMARY KEY, d jsonb NOT NULL);
        CREATE FUNCTION hyoka_test.doc(text) RETURNS jsonb LANGUAGE sql STABLE
            AS 'SELECT d FROM hyoka_test.docs WHERE name = \$1';"
load_doc() { # load_doc NAME FILE
    psql -X -q -v ON_ERROR_STOP=1 -v doc="$(cat "$2")" >/dev/null <<<"INSERT INTO hyoka_test.docs VALUES ('$1', :'doc') ON CONFLICT (name) DO UPDATE SET d = EXCLUDED.d" ||
        bad "load $2 as JSON"
}
load_doc 2023 "$tmp/2023.json"
jq_sql() { sql -c "SELECT $1" ; }
check "json: run.id is the stored run" "$run23" "$(jq_sql "hyoka_test.doc('2023')->'run'->>'id'")"
check "json: survey" "2023|2024-03-31" "$(jq_sql "(hyoka_test.doc('2023')->'survey'->>'code') || '|' || (hyoka_test.doc('2023')->'survey'->>'as_of')")"
check "FY2023 total 105" "105" "$(jq_sql "hyoka_test.doc('2023')->'summary'->>'total'")"
check "FY2023 categories 82 (78.1) / 9 (8.6) / 14 (13.3)" \
    "on_track 82 78.1,delayed 9 8.6,stalled 14 13.3" \
    "$(jq_sql "string_agg((c->>'id') || ' ' || (c->>'count') || ' ' || (c->>'percent'), ',' ORDER BY n) FROM jsonb_array_elements(hyoka_test.doc('2023')->'summary'->'categories') WITH ORDINALITY AS t(c, n)")"
check "FY2023 primary reasons cost 5 / planning 5 / context 4" "cost 5,planning 5,context 4" \
    "$(jq_sql "string_agg((c->>'id') || ' ' || (c->>'count'), ',' ORDER BY n) FROM jsonb_array_elements(hyoka_test.doc('2023')->'summary'->'reasons') WITH ORDINALITY AS t(c, n)")"
check "FY2023 responses are the seed's" \
    "取組の必要性を再確認するとともに、優良な財源確保に努める。|早期に検討を行う。|早期に再検討を行う。" \
    "$(jq_sql "string_agg(c->>'response', '|' ORDER BY n) FROM jsonb_array_elements(hyoka_test.doc('2023')->'summary'->'reasons') WITH ORDINALITY AS t(c, n)")"
check "json: 105 results, each with facts and a category" "105" \
    "$(jq_sql "count(*) FROM jsonb_array_elements(hyoka_test.doc('2023')->'results') r WHERE jsonb_typeof(r->'facts') = 'object' AND r->'category'->>'label' IS NOT NULL")"
check "json: results in code order (numeric segments)" "t" \
    "$(jq_sql "(SELECT array_agg(r->>'code' ORDER BY n) FROM jsonb_array_elements(hyoka_test.doc('2023')->'results') WITH ORDINALITY t(r, n)) = (SELECT array_agg(r->>'code' ORDER BY string_to_array(regexp_replace(r->>'code', '[^0-9]+', '-', 'g'), '-')::int[]) FROM jsonb_array_elements(hyoka_test.doc('2023')->'results') r)")"
check "stored summary equals the printed one" "t" \
    "$(jq_sql "(SELECT summary FROM evaluation_runs WHERE id = $run23) = hyoka_test.doc('2023')->'summary'")"
check "stored results: 105 rows, primary reasons 5/5/4" "105 5 5 4" \
    "$(sql -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE primary_reason = 'cost') || ' ' || count(*) FILTER (WHERE primary_reason = 'planning') || ' ' || count(*) FILTER (WHERE primary_reason = 'context') FROM evaluation_results WHERE run_id = $run23")"

echo "== history: previous_category / previous_score of 2023 come from 2022"
check "2022 (first survey) has no previous_category" "0" \
    "$(sql -c "SELECT count(*) FROM evaluation_results WHERE run_id = $run22 AND facts->>'previous_category' IS NOT NULL")"
both=$(sql -c "SELECT count(*) FROM evaluation_results a JOIN evaluation_results b ON b.initiative_id = a.initiative_id AND b.run_id = $run22 WHERE a.run_id = $run23")
[ "$both" -gt 0 ] && ok "initiatives in both surveys: $both" || bad "no initiative in both surveys"
check "previous_category set for every initiative of both surveys" "$both" \
    "$(sql -c "SELECT count(*) FROM evaluation_results a WHERE a.run_id = $run23 AND a.facts->>'previous_category' IS NOT NULL")"
check "previous_category / previous_score = the 2022 run's category / score" "0" \
    "$(sql -c "SELECT count(*) FROM evaluation_results a JOIN evaluation_results b ON b.initiative_id = a.initiative_id AND b.run_id = $run22 WHERE a.run_id = $run23 AND (a.facts->>'previous_category' IS DISTINCT FROM b.category OR round((a.facts->>'previous_score')::numeric, 1) IS DISTINCT FROM b.score)")"

echo "== --dry-run stores nothing"
runs_before=$(sql -c "SELECT count(*) || ' ' || (SELECT count(*) FROM evaluation_results) FROM evaluation_runs")
run 0 "evaluate --dry-run --format json" "$hyoka" evaluate --dry-run --format json --rules "$rules"
if grep -q '"run": null' "$tmp/out"; then ok "dry run: \"run\" is null"; else bad "dry run: \"run\" is null"; fi
check "dry run: no run or result stored" "$runs_before" \
    "$(sql -c "SELECT count(*) || ' ' || (SELECT count(*) FROM evaluation_results) FROM evaluation_runs")"
run 0 "evaluate --dry-run --format csv" "$hyoka" evaluate --dry-run --format csv --rules "$rules"
check "csv: header" "code,title,category,score,reasons,flags,recommendations" "$(head -1 "$tmp/out")"
check "csv: 105 rows" "106" "$(wc -l <"$tmp/out" | tr -d ' ')"
cp "$tmp/out" "$tmp/default.csv"

echo "== a run's stored rule text reproduces its results; store_explain"
run 0 "runs_verify 2022 run" "$verify" "$run22"
cat "$tmp/out"
run 0 "runs_verify 2023 run (re-evaluate + explain every result)" "$verify" "$run23"
cat "$tmp/out" "$tmp/err" | head -20
# every counterfactual value of the 105 initiatives re-evaluated: it flips, the step before does not
check "runs_verify 2023: counterfactuals re-evaluated (found / none)" "18 204" \
    "$(sed -n 's/.* \([0-9]*\) counterfactual values flip.*, \([0-9]*\) say no single value/\1 \2/p' "$tmp/out")"
code=$(sql -c "SELECT i.code FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id WHERE r.run_id = $run23 AND r.primary_reason IS NOT NULL ORDER BY i.code LIMIT 1")
run 0 "store_explain($run23, $code)" "$verify" "$run23" "$code"
load_doc explain "$tmp/out"
ex_sql() { sql -c "SELECT $1"; }
check "explain: keys" "counterfactuals,evaluation,explanation,fact_display,facts,language,run" "$(ex_sql "string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(hyoka_test.doc('explain')) k")"
# (numbers are printed with 15 significant digits, stored with 17: compare them within 1e-12)
check "explain: facts are the stored ones" "0" \
    "$(ex_sql "count(*) FROM jsonb_each((SELECT r.facts::jsonb FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id WHERE r.run_id = $run23 AND i.code = '$code')) s FULL JOIN jsonb_each(hyoka_test.doc('explain')->'facts') e ON e.key = s.key WHERE e.key IS NULL OR s.key IS NULL OR CASE WHEN jsonb_typeof(s.value) = 'number' AND jsonb_typeof(e.value) = 'number' THEN abs((s.value)::text::numeric - (e.value)::text::numeric) > 1e-12 * greatest(1, abs((s.value)::text::numeric)) ELSE s.value <> e.value END")"
check "explain: step keys" "expression,id,inputs,kind,result,source,text" \
    "$(ex_sql "string_agg(DISTINCT k, ',' ORDER BY k) FROM jsonb_array_elements(hyoka_test.doc('explain')->'explanation') s, jsonb_object_keys(s) k")"
check "explain: sources are default.cfg:LINE" "0" \
    "$(ex_sql "count(*) FROM jsonb_array_elements(hyoka_test.doc('explain')->'explanation') s WHERE s->>'source' !~ 'default\.cfg:[1-9][0-9]*$'")"
check "explain: a matched reason step" "true" \
    "$(ex_sql "(SELECT s->>'result' FROM jsonb_array_elements(hyoka_test.doc('explain')->'explanation') s WHERE s->>'kind' = 'reason' AND s->>'id' = (SELECT primary_reason FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id WHERE r.run_id = $run23 AND i.code = '$code'))")"
run 1 "store_explain of an unknown initiative: not found" "$verify" "$run23" "no-such-code"
contains "store_explain unknown initiative: message" "$tmp/err" "'no-such-code' is not in evaluation run $run23"

echo "== hyoka explain: one initiative's stored evaluation, the API's sentences (default.cfg is ja)"
# an initiative with the planning reason (its plan not decided) and one whose plan was decided
planning=$(sql -c "SELECT i.code FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id WHERE r.run_id = $run23 AND 'planning' = ANY (r.reasons) ORDER BY i.code LIMIT 1")
decided=$(sql -c "SELECT i.code FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id WHERE r.run_id = $run23 AND r.facts->>'plan_decided' = 'true' AND 'cost' = ANY (r.reasons) ORDER BY i.code LIMIT 1")
[ -n "$planning" ] && [ -n "$decided" ] || bad "demo data: no initiative with the planning reason or a decided plan with the cost reason"
run 0 "explain $decided --format json" "$hyoka" explain --format json "$decided"
load_doc explain_cli "$tmp/out"
check "explain json: the newest run of the newest survey" "$run23 2023 ja" \
    "$(ex_sql "(hyoka_test.doc('explain_cli')->'run'->>'id') || ' ' || (hyoka_test.doc('explain_cli')->'run'->>'survey') || ' ' || (hyoka_test.doc('explain_cli')->>'language')")"
check "explain json: evaluation is the stored result" \
    "$(sql -c "SELECT r.category || ' ' || array_to_string(r.reasons, ',') || ' ' || array_to_string(r.flags, ',') || ' ' || coalesce(r.score::text, 'null') FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id WHERE r.run_id = $run23 AND i.code = '$decided'")" \
    "$(ex_sql "(d->'evaluation'->'category'->>'id') || ' ' || (SELECT coalesce(string_agg(x->>'id', ',' ORDER BY n), '') FROM jsonb_array_elements(d->'evaluation'->'reasons') WITH ORDINALITY t(x, n)) || ' ' || (SELECT coalesce(string_agg(x->>'id', ',' ORDER BY n), '') FROM jsonb_array_elements(d->'evaluation'->'flags') WITH ORDINALITY t(x, n)) || ' ' || (d->'evaluation'->>'score')::numeric(4,1) FROM (SELECT hyoka_test.doc('explain_cli') d) x")"
"$verify" "$run23" "$decided" >"$tmp/api.json" 2>"$tmp/err" || bad "store_explain($run23, $decided)"
load_doc explain_api "$tmp/api.json"
check "explain json: the same sentences as store_explain (the API)" "t" \
    "$(ex_sql "(SELECT array_agg(s->>'text' ORDER BY n) FROM jsonb_array_elements(hyoka_test.doc('explain_cli')->'explanation') WITH ORDINALITY t(s, n)) = (SELECT array_agg(s->>'text' ORDER BY n) FROM jsonb_array_elements(hyoka_test.doc('explain_api')->'explanation') WITH ORDINALITY t(s, n))")"
run 0 "explain $decided --survey 2023" "$hyoka" explain --survey 2023 "$decided"
cp "$tmp/out" "$tmp/explain.txt"
check "explain text: heading" "取組 $decided（調査 2023、評価 $run23、ルール 2024.1）" "$(head -1 "$tmp/explain.txt")"
contains "explain text: category with its id" "$tmp/explain.txt" "分類：課題があり、進捗していない（stalled）"
contains "explain text: the cost reason" "$tmp/explain.txt" "理由：費用対効果に課題があるもの（cost）"
contains "explain text: its response" "$tmp/explain.txt" "  - 取組の必要性を再確認するとともに、優良な財源確保に努める。"
# every step's sentence, numbered, in the API's order
sql -c "SELECT format('  %2s. %s', n, s->>'text') FROM jsonb_array_elements(hyoka_test.doc('explain_api')->'explanation') WITH ORDINALITY t(s, n) ORDER BY n" >"$tmp/want_steps"
check "explain text: every step's sentence, after 評価の理由：" "$(cat "$tmp/want_steps")" "$(sed -n '/^評価の理由：$/,$p' "$tmp/explain.txt" | tail -n +2 | sed '/^何が変われば改善するか：$/,$d')"
# what would it take: the API's counterfactual sentences, or one line per category no fact reaches
sql -c "SELECT format('  - %s', s->>'text') FROM jsonb_array_elements(hyoka_test.doc('explain_api')->'counterfactuals') WITH ORDINALITY t(s, n) WHERE (s->>'found')::boolean ORDER BY n" >"$tmp/want_cf"
sql -c "SELECT format('  - どの項目もひとつ変えるだけでは『%s』になりません', l) FROM (SELECT s->>'category_label' AS l, bool_or((s->>'found')::boolean) AS reached FROM jsonb_array_elements(hyoka_test.doc('explain_api')->'counterfactuals') s GROUP BY 1) x WHERE NOT reached" >>"$tmp/want_cf"
check "explain text: 何が変われば改善するか, as the API's counterfactuals" "$(sort "$tmp/want_cf")" "$(sed -n '/^何が変われば改善するか：$/,$p' "$tmp/explain.txt" | tail -n +2 | sort)"
# a decided plan reads as decided (the negation of !plan_decided), numbers rounded for reading;
# facts are named by their labels in the database (sql/016's fact_labels, kept in the run)
label_of() { sql -c "SELECT label FROM fact_labels WHERE name = '$1'"; }
l_decided=$(label_of plan_decided) l_cb=$(label_of cost_benefit) l_months=$(label_of months_since_start)
[ -n "$l_decided" ] && [ -n "$l_cb" ] && [ -n "$l_months" ] || bad "fact_labels has plan_decided, cost_benefit, months_since_start" "$l_decided/$l_cb/$l_months"
contains "explain text: !plan_decided on a decided plan" "$tmp/explain.txt" "$l_decided が「はい」であるため、理由『具体案の検討に時間を要すもの』に該当しない（default.cfg:"
cb=$(sql -c "SELECT round((r.facts->>'cost_benefit')::numeric, 2)::float8 FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id WHERE r.run_id = $run23 AND i.code = '$decided'")
contains "explain text: the cost sentence, cost_benefit rounded to $cb" "$tmp/explain.txt" "$l_cb $cb が基準値 cost_benefit_min 1 を下回るため、理由『費用対効果に課題があるもの』に該当（default.cfg:"
if grep -qE '→|applies|does not|is set|re-normalised' "$tmp/explain.txt"; then bad "explain text: no English wording" "$(grep -E '→|applies|does not|is set|re-normalised' "$tmp/explain.txt" | head -3)"; else ok "explain text: no English wording"; fi
run 0 "explain $planning --run $run23" "$hyoka" explain --run "$run23" "$planning"
contains "explain text: an undecided plan past its months" "$tmp/out" "$l_decided が「いいえ」であり、かつ $l_months "
contains "explain text: ... gives the planning reason" "$tmp/out" "を上回るため、理由『具体案の検討に時間を要すもの』に該当（default.cfg:"
run 0 "explain $planning --run $run22 (an older run)" "$hyoka" explain --run "$run22" "$planning"
contains "explain --run: that run" "$tmp/out" "（調査 2022、評価 $run22、"
run 1 "explain --survey 2023 --run (a 2022 run)" "$hyoka" explain --survey 2023 --run "$run22" "$planning"
check "explain: a run of another survey is named" "hyoka explain: evaluation run $run22 belongs to survey '2022', not '2023'" "$(cat "$tmp/err")"
run 1 "explain an unknown initiative" "$hyoka" explain no-such-code
check "explain unknown initiative: message" "hyoka explain: initiative 'no-such-code' is not in evaluation run $run23" "$(cat "$tmp/err")"
run 1 "explain --survey unknown" "$hyoka" explain --survey 1999 "$planning"
check "explain unknown survey: message" "hyoka explain: unknown survey '1999'" "$(cat "$tmp/err")"
run 1 "explain --run 0" "$hyoka" explain --run 0 "$planning"
run 1 "explain --run 12x" "$hyoka" explain --run 12x "$planning"
check "explain --run 12x: message" "hyoka explain: --run '12x': expected a run id (a positive number)" "$(cat "$tmp/err")"
run 1 "explain --run (no such run)" "$hyoka" explain --run 999999 "$planning"
run 1 "explain --format xml" "$hyoka" explain --format xml "$planning"
run 1 "explain without a code" "$hyoka" explain

echo "== diff: default.cfg vs on_track_ratio 0.7 (the demo data has initiatives between 0.7 and 0.95)"
sed 's/on_track_ratio *= *0\.95;/on_track_ratio = 0.7;/' "$rules" >"$tmp/ratio07.cfg"
grep -q 'on_track_ratio = 0.7;' "$tmp/ratio07.cfg" || bad "could not make the modified rules"
run 0 "diff --format json" "$hyoka" diff --survey 2023 --format json "$rules" "$tmp/ratio07.cfg"
load_doc diff "$tmp/out"
df_sql() { sql -c "SELECT $1"; }
# Oracle, computed by SQL from the stored facts: with on_track_ratio 0.7 instead of 0.95 exactly
# the initiatives whose progress_ratio lies in [0.7, 0.95) change (flag delay, maybe category).
expected=$(sql -c "SELECT coalesce(string_agg(code, ',' ORDER BY code), '') FROM (SELECT i.code, CASE WHEN (r.facts->>'planned_progress')::numeric > 0 THEN (r.facts->>'actual_progress')::numeric / (r.facts->>'planned_progress')::numeric ELSE 1 END AS ratio FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id WHERE r.run_id = $run23) x WHERE ratio >= 0.7 AND ratio < 0.95")
got=$(df_sql "coalesce(string_agg(c->>'code', ',' ORDER BY c->>'code'), '') FROM jsonb_array_elements(hyoka_test.doc('diff')->'changed') c")
check "diff: changed = initiatives with progress_ratio in [0.7, 0.95)" "$expected" "$got"
[ -n "$got" ] && ok "diff: something changed ($(echo "$got" | tr ',' '\n' | wc -l) initiatives)" || bad "diff: nothing changed"
check "diff: before = the stored run's summary" "t" \
    "$(df_sql "hyoka_test.doc('diff')->'before' = (SELECT summary FROM evaluation_runs WHERE id = $run23)")"
run 0 "evaluate --dry-run with the modified rules" "$hyoka" evaluate --dry-run --format json --rules "$tmp/ratio07.cfg"
load_doc mod "$tmp/out"
check "diff: after = a dry run of the modified rules" "t" \
    "$(sql -c "SELECT hyoka_test.doc('diff')->'after' = hyoka_test.doc('mod')->'summary'")"
check "diff: every change differs in category, reasons, flags or score" "0" \
    "$(df_sql "count(*) FROM jsonb_array_elements(hyoka_test.doc('diff')->'changed') c WHERE c->'before' = c->'after'")"
run 0 "diff (table)" "$hyoka" diff --survey 2023 "$rules" "$tmp/ratio07.cfg"
contains "diff table: counts line" "$tmp/out" "on_track"
run 0 "diff of a rule set with itself: exit 0" "$hyoka" diff --format json "$rules" "$rules"
load_doc self "$tmp/out"
check "diff with itself: nothing changed" "[]" "$(sql -c "SELECT hyoka_test.doc('self')->'changed'")"
check "diff stored nothing" "$runs_before" \
    "$(sql -c "SELECT count(*) || ' ' || (SELECT count(*) FROM evaluation_results) FROM evaluation_runs")"

echo "== history without stored runs: the chain is evaluated in memory with the same rules"
run 0 "dry run 2022 with the modified rules" "$hyoka" evaluate --dry-run --survey 2022 --format json --rules "$tmp/ratio07.cfg"
load_doc mod22 "$tmp/out"
check "modified rules, 2023: previous_category = 2022's category under the same rules" "0" \
    "$(sql -c "SELECT count(*) FROM jsonb_array_elements(hyoka_test.doc('mod')->'results') a JOIN jsonb_array_elements(hyoka_test.doc('mod22')->'results') b ON b->>'code' = a->>'code' WHERE a->'facts'->>'previous_category' IS DISTINCT FROM b->'category'->>'id' OR (a->'facts'->>'previous_score')::numeric IS DISTINCT FROM (b->>'score')::numeric")"
check "modified rules, 2023: previous_category set where 2022 has the initiative" \
    "$(sql -c "SELECT count(*) FROM jsonb_array_elements(hyoka_test.doc('mod')->'results') a JOIN jsonb_array_elements(hyoka_test.doc('mod22')->'results') b ON b->>'code' = a->>'code'")" \
    "$(sql -c "SELECT count(*) FROM jsonb_array_elements(hyoka_test.doc('mod')->'results') a WHERE a->'facts'->>'previous_category' IS NOT NULL")"

echo "== threshold overrides: evaluate --dry-run --set, diff --set, sweep (SPEC v1.1)"
runs_before=$(sql -c "SELECT count(*) || ' ' || (SELECT count(*) FROM rule_sets) FROM evaluation_runs")
run 0 "evaluate --dry-run --set thresholds.on_track_ratio=0.7" \
    "$hyoka" evaluate --dry-run --survey 2023 --format json --rules "$rules" --set thresholds.on_track_ratio=0.7
load_doc set07 "$tmp/out"
check "--set 0.7 = the rule file edited to 0.7 (whole summary)" "t" \
    "$(sql -c "SELECT hyoka_test.doc('set07')->'summary' = hyoka_test.doc('mod')->'summary'")"
check "--set 0.7 = the rule file edited to 0.7 (every result)" "t" \
    "$(sql -c "SELECT hyoka_test.doc('set07')->'results' = hyoka_test.doc('mod')->'results'")"
run 0 "evaluate --dry-run --set (table) names the replaced threshold" \
    "$hyoka" evaluate --dry-run --survey 2023 --rules "$rules" --set thresholds.on_track_ratio=0.7
contains "table: the replaced threshold" "$tmp/out" "with thresholds.on_track_ratio=0.7 (--set)"
run 1 "evaluate --set without --dry-run: exit 1" \
    "$hyoka" evaluate --survey 2023 --rules "$rules" --set thresholds.on_track_ratio=0.7
contains "evaluate --set without --dry-run: says why" "$tmp/err" "--set goes with --dry-run only"
run 1 "evaluate --dry-run --set unknown threshold: exit 1" \
    "$hyoka" evaluate --dry-run --rules "$rules" --set thresholds.on_track_ratoi=0.7
contains "unknown threshold: named, with a suggestion" "$tmp/err" \
    "cannot override thresholds.on_track_ratoi: the rule file has no threshold 'on_track_ratoi' (did you mean 'on_track_ratio'?)"
contains "unknown threshold: the known ones listed" "$tmp/err" \
    "its thresholds are on_track_ratio, progressing_ratio, cost_benefit_min, planning_months"
run 1 "evaluate --dry-run, a malformed second --set: exit 1" \
    "$hyoka" evaluate --dry-run --rules "$rules" --set thresholds.on_track_ratio=0.7 --set thresholds.planning_months=x
contains "malformed --set: which one and what" "$tmp/err" \
    "--set 'thresholds.planning_months=x': the value 'x' is not a number"
run 1 "evaluate --dry-run --set with a range: exit 1" \
    "$hyoka" evaluate --dry-run --rules "$rules" --set thresholds.on_track_ratio=0.5:1:0.1
contains "a range is for sweep" "$tmp/err" "a range FROM:TO:STEP is for hyoka sweep"

run 0 "diff --set thresholds.on_track_ratio=0.7 RULES" \
    "$hyoka" diff --survey 2023 --format json --set thresholds.on_track_ratio=0.7 "$rules"
load_doc diffset "$tmp/out"
check "diff --set = diff against the rule file edited to 0.7 (whole document)" "t" \
    "$(sql -c "SELECT hyoka_test.doc('diffset') = hyoka_test.doc('diff')")"
run 0 "diff --set RULES_A RULES_B: replaced in B" \
    "$hyoka" diff --survey 2023 --format json --set thresholds.on_track_ratio=0.95 "$rules" "$tmp/ratio07.cfg"
load_doc diffset2 "$tmp/out"
check "diff --set in B: B back at 0.95, nothing changes" "[]" "$(sql -c "SELECT hyoka_test.doc('diffset2')->'changed'")"
run 1 "diff --set unknown threshold: exit 1" "$hyoka" diff --set thresholds.nope=1 "$rules"
contains "diff: unknown threshold named" "$tmp/err" "the rule file has no threshold 'nope'"
run 1 "diff with one file and no --set: exit 1" "$hyoka" diff "$rules"

run 0 "sweep --format json thresholds.on_track_ratio=0.5:1:0.05" \
    "$hyoka" sweep --survey 2023 --format json "$rules" --set thresholds.on_track_ratio=0.5:1:0.05
load_doc sweep "$tmp/out"
sw() { sql -c "SELECT $1"; }
check "sweep: the document's keys" "changes,points,survey,threshold" \
    "$(sw "string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(hyoka_test.doc('sweep')) k")"
check "sweep: survey as evaluate gives it" "t" "$(sw "hyoka_test.doc('sweep')->'survey' = hyoka_test.doc('set07')->'survey'")"
check "sweep: threshold" '"on_track_ratio"' "$(sw "hyoka_test.doc('sweep')->'threshold'")"
check "sweep: values FROM + i*STEP up to TO, exact decimals" "0.5,0.55,0.6,0.65,0.7,0.75,0.8,0.85,0.9,0.95,1" \
    "$(sw "string_agg(p->>'value', ',' ORDER BY n) FROM jsonb_array_elements(hyoka_test.doc('sweep')->'points') WITH ORDINALITY t(p, n)")"
check "sweep: every point has exactly value, total, categories, reasons" "0" \
    "$(sw "count(*) FROM jsonb_array_elements(hyoka_test.doc('sweep')->'points') p WHERE (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(p) k) <> 'categories,reasons,total,value'")"
check "sweep: every count is {id, count}, categories and reasons in rule-file order" "0" \
    "$(sw "count(*) FROM jsonb_array_elements(hyoka_test.doc('sweep')->'points') p WHERE (SELECT string_agg(c->>'id', ',' ORDER BY n) FROM jsonb_array_elements(p->'categories') WITH ORDINALITY t(c, n)) <> 'on_track,delayed,stalled' OR (SELECT string_agg(c->>'id', ',' ORDER BY n) FROM jsonb_array_elements(p->'reasons') WITH ORDINALITY t(c, n)) <> 'cost,planning,context' OR EXISTS (SELECT 1 FROM jsonb_array_elements((p->'categories') || (p->'reasons')) c WHERE (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(c) k) <> 'count,id')")"
# the summary of a dry run at a value, as a sweep point: {"value", "total", "categories": [{"id",
# "count"}], "reasons": [...]}
as_point() { # as_point DOC VALUE
    echo "jsonb_build_object('value', $2::numeric, 'total', hyoka_test.doc('$1')->'summary'->'total', 'categories', (SELECT jsonb_agg(jsonb_build_object('id', c->'id', 'count', c->'count') ORDER BY n) FROM jsonb_array_elements(hyoka_test.doc('$1')->'summary'->'categories') WITH ORDINALITY t(c, n)), 'reasons', (SELECT jsonb_agg(jsonb_build_object('id', c->'id', 'count', c->'count') ORDER BY n) FROM jsonb_array_elements(hyoka_test.doc('$1')->'summary'->'reasons') WITH ORDINALITY t(c, n)))"
}
point_at() { echo "(SELECT p FROM jsonb_array_elements(hyoka_test.doc('$1')->'points') p WHERE (p->>'value')::numeric = $2)"; }
check "sweep at 0.95 (the file's value) = evaluate --dry-run's summary" "t" \
    "$(sw "$(point_at sweep 0.95) = $(as_point 2023 0.95)")"
check "sweep at 0.95 reproduces 82 / 9 / 14 and cost 5 / planning 5 / context 4" "82 9 14 5 5 4" \
    "$(sw "(SELECT string_agg(c->>'count', ' ') FROM jsonb_array_elements($(point_at sweep 0.95)->'categories') c) || ' ' || (SELECT string_agg(c->>'count', ' ') FROM jsonb_array_elements($(point_at sweep 0.95)->'reasons') c)")"
check "sweep at 0.7 = evaluate --dry-run --set thresholds.on_track_ratio=0.7" "t" \
    "$(sw "$(point_at sweep 0.7) = $(as_point set07 0.7)")"
check "sweep: the counts change inside the range" "t" \
    "$(sw "$(point_at sweep 0.5) <> $(point_at sweep 0.95)")"
# Oracle from the stored facts: with no reason and progress_ratio r in [0.5, 1), an initiative is
# on track up to the largest value <= r and delayed from the next value on.
expected=$(sql -c "SELECT coalesce(string_agg(code || ' ' || ((floor(ratio / 0.05) + 1) * 0.05)::float8, ',' ORDER BY string_to_array(code, '-')::int[]), '') FROM (SELECT i.code, (r.facts->>'actual_progress')::numeric / (r.facts->>'planned_progress')::numeric AS ratio FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id WHERE r.run_id = $run23 AND r.reasons = '{}' AND (r.facts->>'planned_progress')::numeric > 0) x WHERE ratio >= 0.5 AND ratio < 1")
check "sweep: changes = the initiatives whose progress_ratio lies in [0.5, 1), in code order, each at the next value" \
    "$expected" \
    "$(sw "coalesce(string_agg((c->>'code') || ' ' || (f->>'value'), ',' ORDER BY n), '') FROM jsonb_array_elements(hyoka_test.doc('sweep')->'changes') WITH ORDINALITY t(c, n), jsonb_array_elements(c->'flips') f")"
[ -n "$expected" ] && ok "sweep: some initiatives change ($(echo "$expected" | tr ',' '\n' | wc -l))" || bad "sweep: nothing changes"
check "sweep: every flip is on_track -> delayed, a change has exactly code and flips" "0" \
    "$(sw "count(*) FROM jsonb_array_elements(hyoka_test.doc('sweep')->'changes') c, jsonb_array_elements(c->'flips') f WHERE f->>'from' <> 'on_track' OR f->>'to' <> 'delayed' OR (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(c) k) <> 'code,flips' OR (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(f) k) <> 'from,to,value'")"

# The incremental sweep (store/sweep.c) against every value evaluated in full, on the demo data:
# every threshold of the default rules, 100 values each (bench_whatif's check part exits 1 on
# any difference), and a rule file reading a threshold in arithmetic (full passes, said so).
whatif=$build/bench/whatif/bench_whatif
for survey in 2022 2023; do
    run 0 "sweep $survey: incremental == full passes, every threshold of default.cfg" "$whatif" "$survey" "$rules" check
    check "sweep $survey: 4 thresholds checked, none took full passes" "4 0" \
        "$(grep -c "incremental == full passes" "$tmp/out") $(grep -c "took full passes" "$tmp/out")"
done
run 0 "sweep 2023: arithmetic on a threshold takes full passes and equals them" "$whatif" 2023 "$root/tests/store/sweep/arithmetic.cfg" check
contains "sweep: the fallback says where" "$tmp/out" "took full passes: $root/tests/store/sweep/arithmetic.cfg:11: thresholds.on_track_ratio is read in arithmetic"

run 0 "sweep --format csv" "$hyoka" sweep --survey 2023 --format csv "$rules" --set thresholds.on_track_ratio=0.5:1:0.05
check "sweep csv: header" "value,total,category.on_track,category.delayed,category.stalled,reason.cost,reason.planning,reason.context" "$(head -1 "$tmp/out")"
check "sweep csv: one row per value" "12" "$(wc -l <"$tmp/out" | tr -d ' ')"
check "sweep csv: the row at 0.95" "0.95,105,82,9,14,5,5,4" "$(grep '^0\.95,' "$tmp/out")"
run 0 "sweep (table)" "$hyoka" sweep --survey 2023 "$rules" --set thresholds.on_track_ratio=0.5:1:0.05
contains "sweep table: the file's value marked" "$tmp/out" "*  0.95    105        82        9       14"
contains "sweep table: the initiatives that change" "$tmp/out" "$(echo "$expected" | tr ',' '\n' | wc -l) initiatives change category"

run 1 "sweep, unknown threshold: exit 1" "$hyoka" sweep "$rules" --set thresholds.on_track_ratoi=0:1:0.1
contains "sweep, unknown threshold: named" "$tmp/err" "the rule file has no threshold 'on_track_ratoi'"
run 1 "sweep, more than 10000 values: exit 1" "$hyoka" sweep "$rules" --set thresholds.on_track_ratio=0:1:0.0001
contains "sweep, too many values: says the limit" "$tmp/err" "more than 10000"
run 1 "sweep, STEP 0: exit 1" "$hyoka" sweep "$rules" --set thresholds.on_track_ratio=0:1:0
contains "sweep, STEP 0: says so" "$tmp/err" "STEP is 0: it must be greater than 0"
run 1 "sweep, two --set: exit 1" "$hyoka" sweep "$rules" --set thresholds.on_track_ratio=0:1:0.5 --set thresholds.planning_months=0:1:1
run 1 "sweep, a NUMBER instead of a range: exit 1" "$hyoka" sweep "$rules" --set thresholds.on_track_ratio=0.9

# History: a first category that is 2022's on_track. Each value's 2023 evaluation takes 2022's
# categories under that same value (not under the file's), as evaluate --dry-run --set does.
{ sed '/^categories = (/,$d' "$rules"
  cat <<'CFG'
categories = (
  { id = "was_on_track"; label = "前回は予定どおり順調"; when = "previous_category == 'on_track'"; },
  { id = "on_track"; label = "予定どおり順調";
    when = "reasons == 0 && progress_ratio >= thresholds.on_track_ratio"; },
  { id = "delayed"; label = "遅延はしているが順調";
    when = "reasons == 0 && progress_ratio >= thresholds.progressing_ratio"; },
  { id = "stalled"; label = "課題があり、進捗していない"; }
);
score = ( { id = "schedule"; weight = 1; value = "min(progress_ratio, 1)"; } );
CFG
} >"$tmp/history.cfg"
run 0 "history rules check" "$hyoka" check "$tmp/history.cfg"
run 0 "sweep with history rules" "$hyoka" sweep --survey 2023 --format json "$tmp/history.cfg" --set thresholds.on_track_ratio=0.6:1:0.2
load_doc sweeph "$tmp/out"
for v in 0.6 0.8 1; do
    run 0 "evaluate --dry-run --set thresholds.on_track_ratio=$v, history rules" \
        "$hyoka" evaluate --dry-run --survey 2023 --format json --rules "$tmp/history.cfg" --set thresholds.on_track_ratio=$v
    load_doc "h$v" "$tmp/out"
    check "history rules: sweep at $v = evaluate --dry-run --set $v" "t" "$(sw "$(point_at sweeph $v) = $(as_point "h$v" $v)")"
done
check "history rules: was_on_track differs between 0.6 and 1 (the history follows the value)" "t" \
    "$(sw "$(point_at sweeph 0.6)->'categories'->0 <> $(point_at sweeph 1)->'categories'->0")"
check "overrides and sweeps stored nothing" "$runs_before" \
    "$(sql -c "SELECT count(*) || ' ' || (SELECT count(*) FROM rule_sets) FROM evaluation_runs")"

echo "== report"
run 0 "report --survey 2023 (md)" "$hyoka" report --survey 2023
cp "$tmp/out" "$tmp/report.md"
for line in "| （1）予定どおり順調 | 82 | 78.1% |" "| （2）遅延はしているが順調 | 9 | 8.6% |" \
    "| （3）課題があり、進捗していない | 14 | 13.3% |" "| 合計 | 105 | 100.0% |" "令和5年度末" \
    "| （A）費用対効果に課題があるもの | 5 | 取組の必要性を再確認するとともに、優良な財源確保に努める。 |" \
    "| （B）具体案の検討に時間を要すもの | 5 | 早期に検討を行う。 |" \
    "| （C）計画時との状況の変化により、施策の見直しが必要なもの | 4 | 早期に再検討を行う。 |" \
    "| 合計 | 14 | |" "細分化した105の取組"; do
    contains "report md: $line" "$tmp/report.md" "$line"
done
check "report md: the six roadmap additions in the seed's order" \
    "出雲市版デジタル地域通貨導入事業/観光動向の分析システム（DMP）構築事業/旅行商品販売プラットフォーム構築事業/「書かない」「待たない」窓口の設置/窓口受付管理システムの導入/図書館デジタル化推進事業" \
    "$(sed -n '/^## 6 /,/^## 7 /p' "$tmp/report.md" | grep -oE '^\| [1-6] \| [^|]+' | sed 's/^| [1-6] | //; s/ *$//' | paste -sd '/')"
run 0 "report (default survey = latest as_of)" "$hyoka" report
check "default survey report = 2023 report" "$(md5sum <"$tmp/report.md")" "$(md5sum <"$tmp/out")"
run 1 "report --survey nope: exit 1" "$hyoka" report --survey nope
contains "report unknown survey: message" "$tmp/err" "unknown survey 'nope'"
run 1 "report --format pdf: exit 1" "$hyoka" report --format pdf
# Data that must be escaped in HTML (projects are current data, not part of a run).
sql -c "INSERT INTO projects (theme, department, stage) VALUES ('<script>alert(\"x\")</script> & co', '情報政策課', '検討中')"
run 0 "report --format html" "$hyoka" report --survey 2023 --format html
cp "$tmp/out" "$tmp/report.html"
contains "html: doctype" "$tmp/report.html" "<!DOCTYPE html>"
contains "html: A4 page" "$tmp/report.html" "@page { size: A4;"
contains "html: rows do not break across pages" "$tmp/report.html" "break-inside: avoid"
contains "html: category row" "$tmp/report.html" "<td>（1）予定どおり順調</td><td class=\"num\">82</td><td class=\"num\">78.1%</td>"
contains "html: escaped data" "$tmp/report.html" "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"
if grep -q "<script" "$tmp/report.html"; then bad "html: no raw <script"; else ok "html: no raw <script"; fi
for tag in html head body table thead tbody tr td th h1 h2 p; do
    open=$(grep -o "<$tag[ >]" "$tmp/report.html" | wc -l)
    close=$(grep -o "</$tag>" "$tmp/report.html" | wc -l)
    [ "$open" -eq "$close" ] || bad "html: <$tag> opened $open, closed $close"
done
ok "html: every tag closed"
if command -v xmllint >/dev/null 2>&1; then
    if xmllint --html --noout "$tmp/report.html" 2>"$tmp/xmllint.err" && [ ! -s "$tmp/xmllint.err" ]; then
        ok "html: xmllint --html finds no error"
    else
        bad "html: xmllint --html" "$(head -5 "$tmp/xmllint.err")"
    fi
fi

echo "== text that needs escaping survives COPY, arrays and CSV"
# A response with a double quote, a backslash, braces, a comma, a tab and a semicolon, written in
# libconfig's escapes, replacing the line of the "planning" response.
cat >"$tmp/escape.line" <<'LINE'
    response = "対応 \"引用\" と \\ {波括弧}, タブ\tあり; 以上"; },
LINE
n=$(grep -n 'response = "早期に検討を行う。"' "$rules" | head -1 | cut -d: -f1)
{ head -n $((n - 1)) "$rules"; cat "$tmp/escape.line"; tail -n +$((n + 1)) "$rules"; } >"$tmp/escape.cfg"
grep -qF '波括弧' "$tmp/escape.cfg" || bad "could not make the escaping rules"
run 0 "evaluate with the escaping rules (stored)" "$hyoka" evaluate --survey 2023 --rules "$tmp/escape.cfg"
want_response='対応 "引用" と \ {波括弧}, タブ\tあり; 以上' # \t: the tab as the SQL below shows it
check "stored recommendation text is exact" "$want_response" \
    "$(sql -c "SELECT replace(r.recommendations[1], E'\t', '\t') FROM evaluation_results r JOIN evaluation_runs er ON er.id = r.run_id WHERE er.id = (SELECT max(id) FROM evaluation_runs) AND r.primary_reason = 'planning' LIMIT 1")"
check "stored catalog keeps the response" "$want_response" \
    "$(sql -c "SELECT replace(c->>'response', E'\t', '\t') FROM rule_sets rs, jsonb_array_elements(rs.catalog->'reasons') c WHERE rs.id = (SELECT rule_set_id FROM evaluation_runs ORDER BY id DESC LIMIT 1) AND c->>'id' = 'planning'")"
run 0 "runs_verify of the escaping run" "$verify" "$(sql -c 'SELECT max(id) FROM evaluation_runs')"
run 0 "csv with the escaping rules" "$hyoka" evaluate --dry-run --survey 2023 --format csv --rules "$tmp/escape.cfg"
contains "csv: quotes doubled inside a quoted field" "$tmp/out" '"対応 ""引用"" と'

echo "== text a spreadsheet would run as a formula: stored as it is, neutralised in CSV (SPEC v1.1)"
# Titles beginning with = + - @ TAB CR (OWASP's list) and two that do not, in a database of their
# own. The import keeps them; `evaluate --format json` (the API's shapes) gives them back as they
# are; `--format csv` writes "'" before each formula-looking one and leaves the score a number.
sql -c "CREATE DATABASE formulas" >/dev/null
f=$tmp/formulas
mkdir -p "$f"
printf 'code,title,area\nm1,施策,分野\n' >"$f/measures.csv"
printf 'code,as_of,label\nS,2024-03-31,x\n' >"$f/surveys.csv"
{
    printf 'code,measure_code,title,departments,start_date,due_date\n'
    printf 'f-1,m1,"=HYPERLINK(""http://example.invalid/"",""click"")",課,2021-04-01,2026-03-31\n'
    printf 'f-2,m1,+1,課,2021-04-01,2026-03-31\n'
    printf 'f-3,m1,-2,課,2021-04-01,2026-03-31\n'
    printf 'f-4,m1,@SUM(A1:A9),課,2021-04-01,2026-03-31\n'
    printf 'f-5,m1,"\ttab",課,2021-04-01,2026-03-31\n'
    printf 'f-6,m1,"\rcr",課,2021-04-01,2026-03-31\n'
    printf 'f-7,m1,a=1,課,2021-04-01,2026-03-31\n'
    printf "f-8,m1,'=quoted,課,2021-04-01,2026-03-31\n"
} >"$f/initiatives.csv"
printf 'initiative_code,survey_code,actual_progress,budget_planned,budget_spent,expected_benefit,plan_decided,context_changed,reported_reason,comment\nf-1,S,0.5,,,,true,false,,\n' >"$f/progress.csv"
PGDATABASE=formulas run 0 "migrate a database for formula-looking titles" "$hyoka" migrate
PGDATABASE=formulas run 0 "import formula-looking titles" "$hyoka" import "$f"/{measures,surveys,initiatives,progress}.csv
check "stored titles are the imported text" \
    '=HYPERLINK("http://example.invalid/","click")|+1|-2|@SUM(A1:A9)|\ttab|\rcr|a=1|'"'"'=quoted' \
    "$(PGDATABASE=formulas sql -c "SELECT string_agg(replace(replace(title, E'\t', '\t'), E'\r', '\r'), '|' ORDER BY code) FROM initiatives")"
PGDATABASE=formulas run 0 "evaluate --format json" "$hyoka" evaluate --dry-run --format json
cp "$tmp/out" "$f/out.json"
PGDATABASE=formulas run 0 "evaluate --format csv" "$hyoka" evaluate --dry-run --format csv
cp "$tmp/out" "$f/out.csv"
# Python's csv module reads the file as a spreadsheet's importer would (quotes, CRs in cells).
python3 - "$f/out.json" "$f/out.csv" >"$f/check" 2>&1 <<'PY'
import csv, json, sys
titles = {i["code"]: i["title"] for i in json.load(open(sys.argv[1], encoding="utf-8"))["results"]}
want = {"f-1": '=HYPERLINK("http://example.invalid/","click")', "f-2": "+1", "f-3": "-2",
        "f-4": "@SUM(A1:A9)", "f-5": "\ttab", "f-6": "\rcr", "f-7": "a=1", "f-8": "'=quoted"}
print("json", "ok" if titles == want else "got %r" % titles)
with open(sys.argv[2], newline="", encoding="utf-8") as fh:
    rows = list(csv.DictReader(fh))
got = {r["code"]: r["title"] for r in rows}
csv_want = {c: ("'" + t if t[0] in "=+-@\t\r" else t) for c, t in want.items()}
print("csv", "ok" if got == csv_want else "got %r" % got)
raw = open(sys.argv[2], encoding="utf-8", newline="").read()
print("score", "ok" if all(r["score"] == "100.0" for r in rows) and ',100.0,' in raw
      else "got %r" % [r["score"] for r in rows])
PY
check "evaluate --format json: titles exactly as imported" "json ok" "$(grep '^json' "$f/check" || cat "$f/check")"
check "evaluate --format csv: each formula-looking title with a ' first, others unchanged" "csv ok" "$(grep '^csv' "$f/check" || cat "$f/check")"
check "evaluate --format csv: the score is a number, unquoted" "score ok" "$(grep '^score' "$f/check" || cat "$f/check")"

echo "== two evaluations at once with a new rule set: both stored, the rule set once"
sed 's/^version = "[^"]*";/version = "concurrent";/' "$rules" >"$tmp/concurrent.cfg"
runs_before=$(sql -c "SELECT count(*) FROM evaluation_runs")
timeout 120 "$hyoka" evaluate --survey 2023 --rules "$tmp/concurrent.cfg" >"$tmp/c1.out" 2>&1 &
p1=$!
timeout 120 "$hyoka" evaluate --survey 2022 --rules "$tmp/concurrent.cfg" >"$tmp/c2.out" 2>&1 &
p2=$!
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
check "both concurrent evaluations exit 0" "0 0" "$rc1 $rc2"
[ "$rc1$rc2" = "00" ] || cat "$tmp/c1.out" "$tmp/c2.out"
check "two more runs" "$((runs_before + 2))" "$(sql -c "SELECT count(*) FROM evaluation_runs")"
check "the new rule set stored once" "1" "$(sql -c "SELECT count(*) FROM rule_sets WHERE version = 'concurrent'")"

echo "== more rule sets than the explain cache holds (STORE_EXPLAIN_CACHE = 8)"
for v in 1 2 3 4 5 6 7 8 9; do
    sed "s/^version = \"[^\"]*\";/version = \"cache-$v\";/" "$rules" >"$tmp/cache$v.cfg"
    timeout 60 "$hyoka" evaluate --survey 2023 --rules "$tmp/cache$v.cfg" >/dev/null 2>"$tmp/err" ||
        bad "evaluate with cache$v.cfg" "$(cat "$tmp/err")"
done
check "rule sets stored (default, escape, concurrent, 9 variants)" "12" "$(sql -c "SELECT count(*) FROM rule_sets")"
run 0 "runs_verify all: every run re-evaluated and explained in one process" "$verify" all
tail -3 "$tmp/out"

echo "== a report list longer than REPORT_MAX_ROWS (5000) is cut, and says so"
sql -c "INSERT INTO projects (theme, department, stage) SELECT 'テーマ' || g, '情報政策課', '検討中' FROM generate_series(1, 5001) g"
run 0 "report with 5000+ projects" "$hyoka" report --survey 2023
contains "report: cut list is announced" "$tmp/out" "（5000件を超えるため、以下は省略しています）"
check "report: project table has exactly 5000 rows" "5000" \
    "$(sed -n '/^### （3）官民連携/,/^## 5/p' "$tmp/out" | grep -c '^|' | awk '{print $1 - 2}')"

echo "== roles: hyoka_writer stores runs; hyoka_web reads, dry-runs and reports, cannot store"
PGUSER=hyoka_writer run 0 "evaluate as hyoka_writer" "$hyoka" evaluate --survey 2023 --rules "$rules"
PGUSER=hyoka_web run 0 "dry run as hyoka_web" "$hyoka" evaluate --dry-run --survey 2023 --rules "$rules"
PGUSER=hyoka_web run 0 "report as hyoka_web" "$hyoka" report --survey 2023
PGUSER=hyoka_web run 0 "diff as hyoka_web" "$hyoka" diff "$rules" "$tmp/ratio07.cfg"
PGUSER=hyoka_web run 0 "sweep as hyoka_web" "$hyoka" sweep "$rules" --set thresholds.on_track_ratio=0.9:1:0.05
runs_before=$(sql -c "SELECT count(*) FROM evaluation_runs")
PGUSER=hyoka_web run 2 "evaluate (store) as hyoka_web: exit 2" "$hyoka" evaluate --survey 2023 --rules "$tmp/cache1.cfg"
contains "hyoka_web: permission denied is reported" "$tmp/err" "permission denied"
check "hyoka_web stored nothing" "$runs_before" "$(sql -c "SELECT count(*) FROM evaluation_runs")"

echo "== one changed fact makes the next evaluation a new run"
run 0 "evaluate --survey 2023 (rules of the config): its newest run" "$hyoka" evaluate --survey 2023
runs_before=$(sql -c "SELECT count(*) FROM evaluation_runs")
run 0 "... and again: identical" "$hyoka" evaluate --survey 2023
contains "... says nothing was stored" "$tmp/err" "nothing stored"
check "... no run stored" "$runs_before" "$(sql -c "SELECT count(*) FROM evaluation_runs")"
# (a fact of 2022 would not do: 2023's previous_* come from 2022's stored run with these rules)
sql -c "UPDATE progress_reports SET reported_reason = coalesce(reported_reason, '') || '.' WHERE survey_id = (SELECT id FROM surveys WHERE code = '2023')
          AND initiative_id = (SELECT min(initiative_id) FROM progress_reports
                               WHERE survey_id = (SELECT id FROM surveys WHERE code = '2023'))" >/dev/null
run 0 "a stated reason of 2023 changed: evaluate --survey 2023" "$hyoka" evaluate --survey 2023
check "... stored a new run" "$((runs_before + 1))" "$(sql -c "SELECT count(*) FROM evaluation_runs")"

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
