#!/usr/bin/env bash
# tests/db/run.sh - black-box tier for the database: `hyoka migrate` and `hyoka import` against a
# real PostgreSQL (started here in a temporary directory, stopped by PID on exit), the facts view's
# semantics, roles and immutability, the bad-file corpus (tests/db/bad/*/ with expected.txt) and
# the demo data (config/demo) with the default rules mirrored in SQL.
#
#   HYOKA_BUILD=/abs/build tests/db/run.sh        (default: ./build)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/scripts/lib.sh"
build=${HYOKA_BUILD:-$root/build}
hyoka=$build/cli/hyoka
[ -x "$hyoka" ] || die "no $hyoka: build first"

# The expected texts are English (the msgids), whatever the caller's locale.
export LC_ALL=C.UTF-8
unset LANGUAGE
tmp=$(mktemp -d /tmp/hyoka-db.XXXXXX)
cleanup() { pg_stop "$tmp"; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
nok() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
# expect DESC CMD...: the command must succeed
expect() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# hy ARGS...: runs hyoka (bounded), stdout+stderr to $tmp/out, exit code to $rc
hy() { timeout 120 "$hyoka" "$@" >"$tmp/out" 2>&1; rc=$?; }
# sql DB QUERY: one value
sql() { psql -X -q -d "$1" -tAc "$2"; }
has() { grep -qF -- "$1" "$tmp/out"; }

pg_start "$tmp" >/dev/null || die "postgres did not start"
source "$tmp/pg.env"
# A config of our own, so that neither /etc/hyoka/hyoka.cfg nor the caller's $HYOKA_CONFIG is used.
printf 'database = { conninfo = ""; };\nrules = { file = "%s"; };\n' \
    "$root/config/rules/default.cfg" >"$tmp/hyoka.cfg"
export HYOKA_CONFIG=$tmp/hyoka.cfg
unset HYOKA_SQL_DIR

# A fingerprint of every table's content: "table count md5" per line.
TABLES="schema_migrations plans measures departments initiatives initiative_departments milestones
        surveys progress_reports kpis kpi_initiatives kpi_values projects report_texts rule_sets
        evaluation_runs evaluation_results"
fingerprint() {
    local db=$1 t q=""
    for t in $TABLES; do
        [ "$t" = schema_migrations ] && continue
        q="$q UNION ALL SELECT '$t', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM $t x"
    done
    sql "$db" "${q# UNION ALL}"
}

echo "== migrations"
hy import "$root/config/demo/measures.csv"
expect "import before migrate: exit 2" [ "$rc" -eq 2 ]
expect "import before migrate: says to run hyoka migrate" \
    has "hyoka import: database has no hyoka schema: run 'hyoka migrate'"
hy migrate
expect "migrate from empty: exit 0" [ "$rc" -eq 0 ]
nfiles=$(ls "$root"/sql/[0-9]*_*.sql | wc -l)
expect "migrate applied every sql/NNN_*.sql ($nfiles)" \
    [ "$(sql hyoka 'SELECT count(*) FROM schema_migrations')" -eq "$nfiles" ]
newest=$(ls "$root"/sql/[0-9]*_*.sql | sed 's|.*/||; s|_.*||' | sort -n | tail -1)
known=$(sed -n 's/^#define STORE_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$root/store/store.h")
expect "STORE_SCHEMA_VERSION ($known) is the newest migration ($((10#$newest)))" \
    [ "$known" -eq "$((10#$newest))" ]
hy migrate
expect "migrate again: no-op" [ "$rc" -eq 0 ]
expect "migrate again: says up to date" has "schema is up to date"
expect "migrate again: nothing re-recorded" \
    [ "$(sql hyoka 'SELECT count(*) FROM schema_migrations')" -eq "$nfiles" ]

sql postgres "CREATE DATABASE conc" >/dev/null
PGDATABASE=conc timeout 60 "$hyoka" migrate >"$tmp/m1" 2>&1 &
p1=$!
PGDATABASE=conc timeout 60 "$hyoka" migrate >"$tmp/m2" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
expect "two concurrent migrates both succeed" [ $r1 -eq 0 -a $r2 -eq 0 ]
expect "two concurrent migrates apply each file once" \
    [ "$(sql conc 'SELECT count(*) FROM schema_migrations')" -eq "$nfiles" ]

sql postgres "CREATE DATABASE newer" >/dev/null
PGDATABASE=newer hy migrate
sql newer "INSERT INTO schema_migrations (version, name) VALUES (999, '999_future.sql')" >/dev/null
PGDATABASE=newer hy migrate
expect "migrate refuses a newer schema: exit 2" [ "$rc" -eq 2 ]
expect "migrate refuses a newer schema: message" has "database schema version 999 is newer than the newest migration"
PGDATABASE=newer hy import "$root/config/demo/measures.csv"
expect "import refuses a newer schema: exit 2 with message" \
    eval '[ "$rc" -eq 2 ] && has "is newer than this program knows"'

# An upgrade keeps stored runs: a database at version 4 (one table of results, facts jsonb) with
# a run in it, migrated to the newest version (sql/005 makes that table the first partition).
mkdir -p "$tmp/sql4"
cp "$root"/sql/00[1-4]_*.sql "$tmp/sql4/"
sql postgres "CREATE DATABASE upgrade" >/dev/null
PGDATABASE=upgrade HYOKA_SQL_DIR=$tmp/sql4 hy migrate
sql upgrade "INSERT INTO measures (code, title) VALUES ('m', 'M');
             INSERT INTO initiatives (code, measure_id, title) SELECT 'i', id, 'I' FROM measures;
             INSERT INTO surveys (code, as_of) VALUES ('s', '2024-03-31');
             INSERT INTO rule_sets (sha256, version, source, catalog) VALUES (repeat('b', 64), '1', 'x', '{}');
             INSERT INTO evaluation_runs (survey_id, rule_set_id, fact_schema) SELECT s.id, r.id, '[]' FROM surveys s, rule_sets r;
             INSERT INTO evaluation_results (run_id, initiative_id, category, facts)
                  SELECT r.id, i.id, 'on_track', '{\"actual_progress\": 0.83}' FROM evaluation_runs r, initiatives i" >/dev/null
PGDATABASE=upgrade hy migrate
expect "upgrade from version 4 with a stored run: exit 0" [ "$rc" -eq 0 ]
expect "upgrade: the stored result is kept, facts readable as before" \
    [ "$(sql upgrade "SELECT category || ' ' || (facts->>'actual_progress') FROM evaluation_results")" = "on_track 0.83" ]
expect "upgrade: the old results are the first partition" \
    [ "$(sql upgrade "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'evaluation_results_legacy'")" = "FOR VALUES FROM (MINVALUE) TO ('2')" ]
sql upgrade "UPDATE evaluation_results SET category = 'x'" >"$tmp/out" 2>&1
expect "upgrade: the old results are still immutable" has "evaluation runs are immutable"
expect "upgrade: hyoka_writer may not add rows to the old results (sql/007)" \
    [ "$(sql upgrade "SELECT has_table_privilege('hyoka_writer', 'evaluation_results_legacy', 'INSERT')")" = f ]

# A migration that fails is rolled back whole and reported at its file:line:col.
mkdir -p "$tmp/sql"
printf 'CREATE TABLE one (x int);\n' >"$tmp/sql/001_one.sql"
printf 'CREATE TABLE two (x int);\n\nCREATE TABEL three (x int);\n' >"$tmp/sql/002_two.sql"
sql postgres "CREATE DATABASE broken" >/dev/null
PGDATABASE=broken HYOKA_SQL_DIR=$tmp/sql hy migrate
expect "failing migration: exit 2" [ "$rc" -eq 2 ]
expect "failing migration: reported at 002_two.sql:3:8" has "002_two.sql:3:8: syntax error"
expect "failing migration: its transaction rolled back, the earlier one kept" \
    [ "$(sql broken "SELECT string_agg(version::text, ',') || ':' || (to_regclass('two') IS NULL) FROM schema_migrations")" = "1:true" ]

echo "== roles, immutability, notifications"
sql hyoka "ALTER ROLE hyoka_web PASSWORD NULL" >/dev/null
expect "hyoka_web reads the facts view" \
    [ "$(psql -X -q -U hyoka_web -d hyoka -tAc 'SELECT count(*) FROM evaluation_facts' 2>&1)" = 0 ]
expect "hyoka_web cannot write" \
    eval "! psql -X -q -U hyoka_web -d hyoka -c \"INSERT INTO measures (code, title) VALUES ('x', 'x')\" 2>/dev/null"
sql hyoka "INSERT INTO surveys (code, as_of) VALUES ('rt', '2024-03-31');
           INSERT INTO rule_sets (sha256, version, source, catalog) VALUES (repeat('a', 64), '1', 'x', '{}')" >/dev/null
notify=$(psql -X -q -U hyoka_writer -d hyoka -c "LISTEN hyoka_runs" \
    -c "INSERT INTO evaluation_runs (survey_id, rule_set_id, fact_schema) SELECT s.id, r.id, '[]' FROM surveys s, rule_sets r WHERE s.code = 'rt'" 2>&1)
expect "inserting a run does not notify: readers do not see it yet (sql/010)" \
    eval '! grep -q "notification" <<<"$notify"'
rt_run=$(sql hyoka "SELECT max(id) FROM evaluation_runs")
expect "an unpublished run is beyond what readers take" \
    [ "$(sql hyoka "SELECT $rt_run > newest_run FROM data_version")" = t ]
notify=$(psql -X -q -U hyoka_writer -d hyoka -c "LISTEN hyoka_runs" -c "SELECT hyoka_publish_run($rt_run)" 2>&1)
expect "publishing a run notifies hyoka_runs with its id" \
    eval 'grep -q "notification \"hyoka_runs\" with payload \"$rt_run\"" <<<"$notify"'
expect "... and readers take it" \
    [ "$(sql hyoka "SELECT newest_run FROM data_version")" = "$rt_run" ]
expect "publishing an older run does not move the newest back" \
    eval "psql -X -q -U hyoka_writer -d hyoka -c 'SELECT hyoka_publish_run(1)' >/dev/null 2>&1 || true; [ \"\$(sql hyoka 'SELECT newest_run FROM data_version')\" = $rt_run ]"
own=$(psql -X -q -U hyoka_writer -d hyoka -c "BEGIN" \
    -c "INSERT INTO evaluation_runs (survey_id, rule_set_id, fact_schema) SELECT s.id, r.id, '[]' FROM surveys s, rule_sets r WHERE s.code = 'rt'" \
    -c "SELECT hyoka_publish_run(max(id)) FROM evaluation_runs" -c "COMMIT" 2>&1 || true)
expect "a run cannot be published by the transaction that stores it" \
    eval 'grep -q "is published after the transaction that stored it has committed" <<<"$own"'
expect "publishing a run that does not exist fails" \
    eval "! psql -X -q -U hyoka_writer -d hyoka -c 'SELECT hyoka_publish_run(999999)' >/dev/null 2>&1"
expect "hyoka_web may not publish a run" \
    eval "! psql -X -q -U hyoka_web -d hyoka -c 'SELECT hyoka_publish_run($rt_run)' >/dev/null 2>&1"
expect "hyoka_writer cannot update a stored run" \
    eval "! psql -X -q -U hyoka_writer -d hyoka -c 'UPDATE evaluation_runs SET total = 1' 2>/dev/null"
psql -X -q -d hyoka -c "UPDATE evaluation_runs SET total = 1" >"$tmp/out" 2>&1
expect "the owner cannot update a committed run either (trigger)" has "evaluation runs are immutable"
psql -X -q -d hyoka -c "DELETE FROM evaluation_runs" >"$tmp/out" 2>&1
expect "nor delete it" has "evaluation runs are immutable"
expect "a run can be completed inside the transaction that inserts it" \
    eval "psql -X -q -v ON_ERROR_STOP=1 -d hyoka -c \"BEGIN; INSERT INTO evaluation_runs (survey_id, rule_set_id, fact_schema) SELECT s.id, r.id, '[]' FROM surveys s, rule_sets r WHERE s.code = 'rt'; UPDATE evaluation_runs SET total = 7 WHERE id = (SELECT max(id) FROM evaluation_runs); COMMIT;\" >/dev/null 2>&1"
# leave the main database clean for the rest: TRUNCATE is not a row change
sql hyoka "SET client_min_messages = warning; TRUNCATE evaluation_results, evaluation_runs, rule_sets, surveys CASCADE" >/dev/null

echo "== facts view semantics (tests/db/facts)"
sql postgres "CREATE DATABASE facts" >/dev/null
PGDATABASE=facts hy migrate
(cd "$here/facts" && PGDATABASE=facts timeout 60 "$hyoka" import *.csv >"$tmp/out" 2>&1)
expect "facts fixture imports" [ $? -eq 0 ]
while IFS='|' read -r name result; do
    if [ "$result" = t ]; then ok "facts: $name"; else nok "facts: $name"; fi
done < <(psql -X -q -d facts -tA -f "$here/facts_assert.sql")
while IFS='|' read -r name result; do
    if [ "$result" = t ]; then ok "facts: $name"; else nok "facts: $name"; fi
done < <(psql -X -q -d facts -tA -f "$here/facts_equivalence.sql" | grep '|')

echo "== CSV rules"
w=$tmp/csv
mkdir -p "$w"
# BOM, CRLF, quoted comma and newline, quoted spaces kept, unquoted trimmed, blank lines, "" = null
printf '\xef\xbb\xbfarea,code,title\r\n"",9-1,"施策, カンマ付き"\r\n\r\n   地域   ,9-2,"  空白を保つ  "\r\n' >"$w/measures.csv"
hy import "$w/measures.csv"
expect "BOM + CRLF file with columns in any order imports" [ "$rc" -eq 0 ]
expect "quoted comma kept, empty quoted cell is null" \
    [ "$(sql hyoka "SELECT title || '|' || (area IS NULL) FROM measures WHERE code = '9-1'")" = "施策, カンマ付き|true" ]
expect "quoted spaces kept, unquoted cell trimmed" \
    [ "$(sql hyoka "SELECT '[' || title || '][' || area || ']' FROM measures WHERE code = '9-2'")" = "[  空白を保つ  ][地域]" ]
# dependency order whatever the command-line order; dates with slashes; a quoted multi-line title
printf 'phase,planned_progress,fiscal_year,initiative_code\n検討,50%%,2024,9-1-01\n完了,1,2025,9-1-01\n' >"$w/milestones.csv"
printf 'code,measure_code,title,departments,start_date,due_date\n9-1-01,9-3,"二行の\nタイトル",情報政策課、市民課,2024/4/1,2026/3/31\n' >"$w/initiatives.csv"
mkdir -p "$w/measures2"
printf 'code,title\n9-3,同時に届く施策\n' >"$w/measures2/measures.csv"
hy import "$w/milestones.csv" "$w/initiatives.csv" "$w/measures2/measures.csv"
expect "files applied in dependency order (milestones, initiatives, measures given in reverse)" [ "$rc" -eq 0 ]
expect "dates YYYY/M/D stored as dates; multi-line title kept" \
    [ "$(sql hyoka "SELECT start_date || ' ' || due_date || ' ' || (title = E'二行の\nタイトル') FROM initiatives WHERE code = '9-1-01'")" = "2024-04-01 2026-03-31 true" ]
expect "50% stored as 0.5" \
    [ "$(sql hyoka "SELECT m.planned_progress FROM milestones m JOIN initiatives i ON i.id = m.initiative_id WHERE i.code = '9-1-01' AND fiscal_year = 2024")" = "0.5" ]
# upsert keeps unmentioned columns, and updates the mentioned ones
printf 'code,title\n9-2,新しい名前\n' >"$w/measures.csv"
hy import "$w/measures.csv"
expect "upsert updates title and keeps area" \
    [ "$(sql hyoka "SELECT title || '|' || area FROM measures WHERE code = '9-2'")" = "新しい名前|地域" ]
expect "upsert reports new and updated rows" has "1 row, 0 new, 1 updated"
printf 'code,measure_code,title,departments\n9-1-01,9-3,取組,"市民課; 政策企画課 ;"\n' >"$w/initiatives.csv"
hy import "$w/initiatives.csv"
expect "departments replaced in the given order (; separator, blanks trimmed)" \
    [ "$(sql hyoka "SELECT departments FROM evaluation_facts f JOIN initiatives i ON i.id = f.initiative_id WHERE i.code = '9-1-01' LIMIT 1")$(sql hyoka "SELECT string_agg(d.name, '、' ORDER BY x.position) FROM initiative_departments x JOIN departments d ON d.id = x.department_id JOIN initiatives i ON i.id = x.initiative_id WHERE i.code = '9-1-01'")" = "市民課、政策企画課" ]
# KPI links: replaced by the file's list; an empty cell removes them; a file without the column keeps them
kpilinks() { sql hyoka "SELECT coalesce(string_agg(i.code, ',' ORDER BY i.code), '-') FROM kpi_initiatives x JOIN kpis k ON k.id = x.kpi_id JOIN initiatives i ON i.id = x.initiative_id WHERE k.code = 'k9'"; }
printf 'code,title,direction,baseline_value,target_value,initiative_codes\nk9,指標,up,"1,000",2000,9-1-01、9-1-01x\n' >"$w/kpis.csv"
printf 'code,measure_code,title\n9-1-01x,9-3,もう一つ\n' >"$w/initiatives.csv"
hy import "$w/kpis.csv" "$w/initiatives.csv"
expect "kpis.initiative_codes with 、 linked (initiative from the same import)" [ "$(kpilinks)" = "9-1-01,9-1-01x" ]
printf 'code,title\nk9,指標（改）\n' >"$w/kpis.csv"
hy import "$w/kpis.csv"
expect "kpis.csv without initiative_codes keeps the links" [ "$(kpilinks)" = "9-1-01,9-1-01x" ]
printf 'code,title,initiative_codes\nk9,指標,\n' >"$w/kpis.csv"
hy import "$w/kpis.csv"
expect "an empty initiative_codes cell removes the links" [ "$(kpilinks)" = "-" ]
# departments.csv: readings, 部 and positions upserted by name (docs/departments.md)
dept() { sql hyoka "SELECT coalesce(kana, '-') || '|' || coalesce(division, '-') || '|' || coalesce(division_kana, '-') || '|' || coalesce(position::text, '-') FROM departments WHERE name = '$1'"; }
printf 'name,kana,division,division_kana,position\n市民課,しみんか,市民文化部,シミンブンカブ,20\n新設課,シンセツカ,市民文化部,シミンブンカブ,10\n' >"$w/departments.csv"
hy import "$w/departments.csv"
expect "departments.csv: a department no other file names is created, a known one updated" \
    eval '[ "$rc" -eq 0 ] && has "departments.csv: 2 rows, 1 new, 1 updated, 0 unchanged"'
expect "departments.csv: a hiragana reading kept as written; 部, its reading and the position stored" \
    [ "$(dept 市民課)" = "しみんか|市民文化部|シミンブンカブ|20" ]
printf 'name,position\n市民課,5\n' >"$w/departments.csv"
hy import "$w/departments.csv"
expect "departments.csv with only name and position: the position updated, the reading and 部 kept" \
    [ "$(dept 市民課)" = "しみんか|市民文化部|シミンブンカブ|5" ]
printf 'name,kana,position\n市民課,,\n' >"$w/departments.csv"
hy import "$w/departments.csv"
expect "departments.csv: empty cells clear the reading and the position" [ "$(dept 市民課)" = "-|市民文化部|シミンブンカブ|-" ]
printf 'name,kana,division\n同時課,ドウジカ,総務部\n' >"$w/departments.csv"
printf 'code,measure_code,title,departments\n9-1-01,9-3,取組,市民課、同時課\n' >"$w/initiatives.csv"
hy import "$w/initiatives.csv" "$w/departments.csv"
expect "departments.csv and initiatives.csv together: the department is new in departments.csv" \
    eval '[ "$rc" -eq 0 ] && has "departments.csv: 1 row, 1 new, 0 updated, 0 unchanged"'
expect "... and the initiative is linked to it" \
    [ "$(sql hyoka "SELECT string_agg(d.name || ':' || coalesce(d.kana, ''), ',' ORDER BY x.position) FROM initiative_departments x JOIN departments d ON d.id = x.department_id JOIN initiatives i ON i.id = x.initiative_id WHERE i.code = '9-1-01'")" = "市民課:,同時課:ドウジカ" ]
printf 'name,division_kana\n新設課,シンセツブ\n同時課,ソウムブ\n' >"$w/departments.csv"
hy import "$w/departments.csv"
expect "departments.csv without a division column: a reading of the division needs a stored division" \
    eval '[ "$rc" -eq 0 ] && [ "$(dept 同時課)" = "ドウジカ|総務部|ソウムブ|-" ]'
sql hyoka "UPDATE departments SET division = NULL, division_kana = NULL WHERE name = '新設課'" >/dev/null
hy import "$w/departments.csv"
expect "... and without one stored it is refused at its row and column" \
    eval '[ "$rc" -eq 1 ] && has "departments.csv:2:division_kana: a reading of the division needs the division (this file has no column division, and none is stored for '"'新設課'"')"'
# booleans in every spelling, thousands separators, 0.5 and 50%
sql hyoka "INSERT INTO surveys (code, as_of) VALUES ('t', '2025-03-31')" >/dev/null
{
    echo "initiative_code,survey_code,plan_decided,context_changed,budget_spent,actual_progress"
    echo '9-1-01,t,TRUE,False,"1,234,567.5",0.5'
} >"$w/progress.csv"
hy import "$w/progress.csv"
expect "thousands separators and TRUE/False" \
    [ "$(sql hyoka "SELECT budget_spent || '|' || plan_decided || '|' || context_changed || '|' || actual_progress FROM progress_reports p JOIN surveys s ON s.id = p.survey_id WHERE s.code = 't'")" = "1234567.5|true|false|0.5" ]
allok=1
for pair in true:t yes:t 1:t はい:t ○:t YES:t Yes:t false:f no:f 0:f いいえ:f ×:f NO:f FALSE:f; do
    printf 'initiative_code,survey_code,plan_decided\n9-1-01,t,%s\n' "${pair%:*}" >"$w/progress.csv"
    hy import "$w/progress.csv"
    got=$(sql hyoka "SELECT plan_decided FROM progress_reports p JOIN surveys s ON s.id = p.survey_id WHERE s.code = 't'")
    [ "$rc" -eq 0 ] && [ "$got" = "${pair#*:}" ] || { allok=0; echo "  boolean ${pair%:*} gave rc=$rc value=$got"; }
done
expect "booleans: true/false yes/no 1/0 はい/いいえ ○/× in any case" [ $allok -eq 1 ]
printf 'initiative_code,survey_code,actual_progress\n9-1-01,t,33.3%%\n' >"$w/progress.csv"
hy import "$w/progress.csv"
expect "33.3% stored exactly as 0.333" \
    [ "$(sql hyoka "SELECT actual_progress FROM progress_reports p JOIN surveys s ON s.id = p.survey_id WHERE s.code = 't'")" = "0.333" ]
# CP932 with NEC (①) and IBM (髙) extension characters
printf 'code,title,area\n9-4,①髙橋さんの施策,市民サービス\n' | iconv -f UTF-8 -t CP932 >"$w/measures.csv"
hy import --encoding cp932 "$w/measures.csv"
expect "CP932 file with ① and 髙 imports with --encoding cp932" \
    eval '[ "$rc" -eq 0 ] && [ "$(sql hyoka "SELECT title FROM measures WHERE code = '"'9-4'"'")" = "①髙橋さんの施策" ]'
hy import "$w/measures.csv"
expect "the same CP932 file without --encoding: invalid UTF-8 at its row and column" \
    eval '[ "$rc" -eq 1 ] && has "measures.csv:2:title: invalid UTF-8"'
# rows counted as a spreadsheet does, with CRLF, blank lines and a multi-line record
printf 'code,title\r\n9-5,"一行目\r\n二行目"\r\n\r\n\r\n9-6,"ok"\r\n,名前なし\r\n' >"$w/measures.csv"
hy import "$w/measures.csv"
expect "CRLF + multi-line record + blank lines: the error is on spreadsheet row 6" \
    has "measures.csv:6:code: empty, but code is required"
# limits are named and enforced
long=$(printf 'x%.0s' $(seq 1 201))
printf 'code,title\n%s,長すぎるコード\n' "$long" >"$w/measures.csv"
hy import "$w/measures.csv"
expect "a code longer than IMPORT_MAX_CODE_BYTES (200) is refused" has "measures.csv:2:code: longer than 200 bytes"
{ printf 'code'; for i in $(seq 1 64); do printf ',c%d' "$i"; done; printf '\n9-8\n9-9\n'; } >"$w/measures.csv"
hy import "$w/measures.csv"
expect "more than IMPORT_MAX_COLUMNS (64) columns is refused, once" \
    eval 'has "measures.csv:1: more than 64 columns" && has "hyoka import: 1 error"'
# a file of bad rows: the first IMPORT_MAX_PRINTED_ERRORS (1000) are printed, the rest counted
{ echo "initiative_code,survey_code,actual_progress"; for i in $(seq 1 1500); do echo "x$i,t,2"; done; } >"$w/progress.csv"
hy import "$w/progress.csv"
expect "1500 rows with 2 bad cells: 1000 printed, '... and 2000 more errors', 3000 counted" \
    eval '[ "$rc" -eq 1 ] && [ "$(grep -c "^$w/progress.csv:" "$tmp/out")" -eq 1000 ] && has "... and 2000 more errors" && has "3000 errors: nothing was imported"'
# --dry-run validates and writes nothing
before=$(fingerprint hyoka)
printf 'code,title\n9-7,試しの施策\n' >"$w/measures.csv"
hy import --dry-run "$w/measures.csv"
expect "--dry-run: exit 0 and says so" eval '[ "$rc" -eq 0 ] && has "dry run"'
expect "--dry-run: no table changed" [ "$(fingerprint hyoka)" = "$before" ]
hy import --dry-run "$here/bad/bad_progress/progress.csv"
expect "--dry-run of a bad file: exit 1" [ "$rc" -eq 1 ]
hy import --encoding latin1 "$w/measures.csv"
expect "unknown --encoding: exit 1 with message" eval '[ "$rc" -eq 1 ] && has "unknown encoding '"'latin1'"'"'
port=$(free_port)
PGPORT=$port hy import "$w/measures.csv"
expect "database unreachable: exit 2 with libpq's reason" \
    eval '[ "$rc" -eq 2 ] && has "hyoka import: cannot connect to the database:"'
hy import "$w/nonexistent/measures.csv"
expect "unreadable file: exit 2 naming it" eval '[ "$rc" -eq 2 ] && has "nonexistent/measures.csv: No such file"'
# The files are read on a thread while the database loads those already read (store/import.c):
# here measures.csv is copied into the transaction before the third file turns out unreadable.
before=$(fingerprint hyoka)
printf 'measure_code,code,title\n9-7,9-7-1,試しの取組\n' >"$w/initiatives.csv"
hy import "$w/measures.csv" "$w/initiatives.csv" "$w/nonexistent/progress.csv"
expect "unreadable third file: exit 2 naming it" \
    eval '[ "$rc" -eq 2 ] && has "nonexistent/progress.csv: No such file"'
expect "unreadable third file: no table changed" [ "$(fingerprint hyoka)" = "$before" ]

echo "== demo data (config/demo)"
sql postgres "CREATE DATABASE demo" >/dev/null
export PGDATABASE=demo
hy migrate
PGUSER=hyoka_writer hy import "$root"/config/demo/*.csv
expect "demo data imports cleanly (as hyoka_writer: its privileges suffice)" [ "$rc" -eq 0 ]
cat "$tmp/out"
expect "demo: 61 measures, 111 initiatives (105 + 6 roadmap additions), 2 surveys, 5 projects" \
    [ "$(sql demo "SELECT (SELECT count(*) FROM measures) || ',' || (SELECT count(*) FROM initiatives) || ',' || (SELECT count(*) FROM surveys) || ',' || (SELECT count(*) FROM projects)")" = "61,111,2,5" ]
expect "demo: the plan (plans.csv) FY2021-FY2025" \
    [ "$(sql demo "SELECT title || ' ' || period_start || ' ' || period_end FROM plans")" = "出雲市デジタルファースト推進計画 2021-04-01 2026-03-31" ]
expect "demo: the FY2023 survey covers 105 initiatives" \
    [ "$(sql demo "SELECT count(*) FROM evaluation_facts f JOIN surveys s ON s.id = f.survey_id WHERE s.code = '2023'")" = 105 ]
expect "demo: the 6 roadmap additions start after 2024-03-31" \
    [ "$(sql demo "SELECT count(*) FROM initiatives WHERE start_date > '2024-03-31'")" = 6 ]
expect "demo: the report's text (report_texts.csv): 3 themes, 3 outlook paragraphs, in file order" \
    [ "$(sql demo "SELECT string_agg(kind, ',' ORDER BY position) FILTER (WHERE kind IN ('theme', 'outlook')) FROM report_texts")" = "theme,theme,theme,outlook,outlook,outlook" ]
expect "demo: the plan's and the roadmap's adoption dates (plans.csv)" \
    [ "$(sql demo "SELECT adopted_on || ' ' || roadmap_adopted_on FROM plans")" = "2021-03-31 2022-03-31" ]
expect "demo: projects 実用開始 x1, 実証実験中 x4" \
    [ "$(sql demo "SELECT string_agg(stage || count, ',' ORDER BY stage) FROM (SELECT stage, count(*) FROM projects GROUP BY stage) s")" = "実用開始1,実証実験中4" ]
psql -X -q -d demo -tA -F ' ' -f "$here/rules_crosscheck.sql" >"$tmp/cross"
cat "$tmp/cross"
cross() { awk -v s="$1" -v c="$2" -v r="$3" '$1 == s && $2 == c && $3 == r { print $4 }' "$tmp/cross"; }
expect "demo FY2023 (default rules in SQL): 82 on_track" [ "$(cross 2023 on_track -)" = 82 ]
expect "demo FY2023: 9 delayed" [ "$(cross 2023 delayed -)" = 9 ]
expect "demo FY2023: 14 stalled = cost 5 + planning 5 + context 4" \
    [ "$(cross 2023 stalled cost)/$(cross 2023 stalled planning)/$(cross 2023 stalled context)/$(cross 2023 stalled -)" = "5/5/4/" ]
expect "demo FY2023: on_track ratios well clear of 0.95, delayed of 0.5 and 0.95" \
    awk '$1 == 2023 && (($2 == "on_track" && $7 < 1) || ($2 == "delayed" && ($7 < 0.55 || $8 > 0.9))) { bad = 1 } END { exit bad }' "$tmp/cross"
expect "demo FY2022 gives an earlier picture (fewer covered, more delayed)" \
    [ "$(awk '$1 == 2022 { n += $4 } END { print n }' "$tmp/cross")" -lt 105 ]
expect "demo: an initiative without a progress report is covered (not_reported) and on track" \
    [ "$(sql demo "SELECT count(*) FROM evaluation_facts f JOIN surveys s ON s.id = f.survey_id LEFT JOIN progress_reports p ON p.initiative_id = f.initiative_id AND p.survey_id = f.survey_id WHERE s.code = '2023' AND p.initiative_id IS NULL AND f.planned_progress = 0")" -ge 1 ]
expect "demo: at least 3 stalled initiatives have more than one reason" \
    [ "$(sql demo "SELECT count(*) FROM evaluation_facts f JOIN surveys s ON s.id = f.survey_id WHERE s.code = '2023' AND coalesce(f.cost_benefit < 1, false)::int + coalesce(NOT f.plan_decided AND f.months_since_start > 12, false)::int + coalesce(f.context_changed, false)::int > 1")" -ge 3 ]
fact() { sql demo "SELECT $2 FROM evaluation_facts f JOIN surveys s ON s.id = f.survey_id WHERE s.code = '2023' AND f.initiative_code = '$1'"; }
expect "demo 1-2-01: kpi_attainment = (75.2 - 41.4) / (90 - 41.4)" \
    [ "$(fact 1-2-01 'round(kpi_attainment, 6)')" = "$(sql demo 'SELECT round((75.2 - 41.4) / (90 - 41.4), 6)')" ]
expect "demo 2-1-01: kpi_attainment = mean(88/100, 28/35, 6841/8000)" \
    [ "$(fact 2-1-01 'round(kpi_attainment, 6)')" = "$(sql demo 'SELECT round((88/100.0 + 28/35.0 + 6841/8000.0) / 3, 6)')" ]
expect "demo 2-22-01: down KPI copy-count attainment = (79.6 - 100) / (50 - 100)" \
    [ "$(fact 2-22-01 kpi_attainment)" = "0.408" ]
expect "demo 3-14-02: no report, planned 0, facts null" \
    [ "$(fact 3-14-02 "planned_progress || '|' || (actual_progress IS NULL) || '|' || departments")" = "0|true|生涯学習課" ]
expect "demo 3-11-01: two departments joined with 、" \
    [ "$(fact 3-11-01 departments)" = "政策企画課、商工振興課" ]
# A new connection prepares the read model's statements without first failing to execute them
# (store_select_prepared): the server's log of two fresh connections that read a run (hyoka
# coverage: store_read_run and the run header) has no "prepared statement ... does not exist"
# ERROR, nor a "... already exists" one.
PGUSER=hyoka_writer hy evaluate --survey 2023 --format json
expect "demo: evaluate stores a run to read" [ "$rc" -eq 0 ]
log_from=$(($(stat -c %s "$tmp/postgres.log") + 1))
hy coverage --survey 2023
rc1=$rc
hy coverage --survey 2023
expect "hyoka coverage reads the run twice (exit 0, 0)" [ "$rc1/$rc" = 0/0 ]
tail -c +"$log_from" "$tmp/postgres.log" >"$tmp/prepared.log"
expect "two fresh connections log no ERROR about a prepared statement ($(grep -c 'ERROR' "$tmp/prepared.log") ERROR lines)" \
    eval '! grep -E "ERROR: +prepared statement .* (does not exist|already exists)" "$tmp/prepared.log"'
hy import "$root"/config/demo/*.csv
expect "demo re-import: every row unchanged (none new, none updated)" \
    eval '[ "$rc" -eq 0 ] && ! grep -v " 0 new, 0 updated" "$tmp/out"'
# report_texts.csv replaces the text of the surveys it names, compared by position
printf 'survey_code,kind,text,kpi_codes\n2023,title,デジタル戦略の進捗状況について,\n2023,theme,差し替えたテーマ,\n2022,outlook,令和4年度の方向性,\n' >"$tmp/report_texts.csv"
hy import "$tmp/report_texts.csv"
expect "report_texts.csv: a shorter text replaces the survey's (1 unchanged, 1 updated, 16 removed; 2022's new)" \
    eval '[ "$rc" -eq 0 ] && grep -q "report_texts.csv: 3 rows, 1 new, 1 updated, 1 unchanged, 16 removed" "$tmp/out"'
expect "report_texts.csv: each survey holds exactly the file's rows, in order" \
    [ "$(sql demo "SELECT string_agg(s.code || ':' || t.position || ':' || t.kind, ',' ORDER BY s.code, t.position) FROM report_texts t JOIN surveys s ON s.id = t.survey_id")" = "2022:1:outlook,2023:1:title,2023:2:theme" ]
hy import "$root/config/demo/report_texts.csv"
expect "report_texts.csv: the demo's text back (16 new, 1 updated, 1 unchanged); 2022's text stays" \
    eval '[ "$rc" -eq 0 ] && grep -q "report_texts.csv: 18 rows, 16 new, 1 updated, 1 unchanged" "$tmp/out" && [ "$(sql demo "SELECT count(*) FROM report_texts")" = 19 ]'
sql demo "DELETE FROM report_texts WHERE survey_id = (SELECT id FROM surveys WHERE code = '2022')" >/dev/null

echo "== bad files (tests/db/bad/*/expected.txt); nothing may change"
for dir in "$here"/bad/*/; do
    name=$(basename "$dir")
    args=$(cat "$dir/args" 2>/dev/null || true)
    before=$(fingerprint demo)
    # relative paths, so that the messages are the ones in expected.txt
    (cd "$dir" && timeout 60 "$hyoka" import $args $(ls *.csv) >"$tmp/stdout" 2>"$tmp/stderr")
    rc=$?
    if [ $rc -ne 1 ]; then
        nok "bad/$name: exit $rc, expected 1"
        cat "$tmp/stderr"
    elif ! diff -u "$dir/expected.txt" "$tmp/stderr" >"$tmp/diff"; then
        nok "bad/$name: messages differ"
        cat "$tmp/diff"
    elif [ "$(fingerprint demo)" != "$before" ]; then
        nok "bad/$name: a table changed"
    else
        ok "bad/$name: $(head -1 "$dir/expected.txt")"
    fi
done

echo "== bad files in Japanese (LANG=ja_JP.UTF-8): the same positions, Japanese text; nothing may change"
for dir in "$here"/bad/*/; do
    name=$(basename "$dir")
    args=$(cat "$dir/args" 2>/dev/null || true)
    before=$(fingerprint demo)
    (cd "$dir" && timeout 60 env -u LC_ALL -u LC_MESSAGES LANG=ja_JP.UTF-8 "$hyoka" import $args \
        $(ls *.csv) >"$tmp/stdout" 2>"$tmp/stderr")
    rc=$?
    if [ $rc -ne 1 ]; then
        nok "bad/$name (ja): exit $rc, expected 1"
        cat "$tmp/stderr"
    elif ! python3 "$root/tests/lib/same_positions.py" "$dir/expected.txt" "$tmp/stderr" \
        "bad/$name (ja)" >"$tmp/diff"; then
        nok "bad/$name (ja): positions or text"
        cat "$tmp/diff"
    elif [ "$(fingerprint demo)" != "$before" ]; then
        nok "bad/$name (ja): a table changed"
    else
        ok "bad/$name (ja): $(head -1 "$tmp/stderr")"
    fi
done

echo "== bulk import (sql/006): foreign keys checked once, set-based; never left dropped"
sql postgres "CREATE DATABASE bulk" >/dev/null
PGDATABASE=bulk hy migrate
python3 "$root/bench/data/gen.py" "$tmp/bulk" 8000 >/dev/null   # 8,000 + 16,000 + 8,000 new rows
fks() { sql bulk "SELECT count(*) || ' ' || string_agg(oid::text, ',' ORDER BY conname) FROM pg_constraint WHERE contype = 'f'"; }
fks_before=$(fks)
# Calls of the set-based path, counted by PostgreSQL: a dry run rolls back, its constraints
# included, so only the count shows whether it took that path (checked after the real import).
sql bulk "ALTER DATABASE bulk SET track_functions = 'pl'" >/dev/null
bulk_calls() {
    local n=0
    for _ in $(seq 1 30); do # a backend reports its counts as it exits, a moment after the client
        n=$(sql bulk "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'hyoka_import_bulk_begin'")
        [ "$n" -gt 0 ] && break
        sleep 0.1
    done
    sleep 0.5 # and any other count that was still on its way
    sql bulk "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'hyoka_import_bulk_begin'"
}
bulk_files=("$tmp"/bulk/{measures,initiatives,milestones,surveys,progress}.csv)
PGDATABASE=bulk PGUSER=hyoka_writer hy import --dry-run "${bulk_files[@]}"
expect "bulk dry run as hyoka_writer: exit 0" [ "$rc" -eq 0 ]
expect "bulk dry run: no set-based path (no exclusive locks), the very same constraints afterwards" [ "$(fks)" = "$fks_before" ]
# sql/017: the import analyzes what it changed by more than autovacuum's threshold, itself (with
# autovacuum off for these tables, nobody else can have); a backend reports its counts when it
# ends, which the client does not wait for: polled, bounded.
sql bulk "ALTER TABLE initiatives SET (autovacuum_enabled = off); ALTER TABLE milestones SET (autovacuum_enabled = off);
          ALTER TABLE progress_reports SET (autovacuum_enabled = off); ALTER TABLE surveys SET (autovacuum_enabled = off)" >/dev/null
# analyzed WANT [TRIES]: the analyze counts, once they equal WANT or after TRIES tenths of a second
analyzed() {
    local want=$1 got
    for _ in $(seq "${2:-100}"); do
        got=$(sql bulk "SELECT string_agg(relname || '=' || analyze_count, ' ' ORDER BY relname) FROM pg_stat_user_tables
                         WHERE relname IN ('initiatives', 'milestones', 'progress_reports', 'surveys')")
        [ "$got" = "$want" ] && break
        sleep 0.1
    done
    echo "$got"
}
expect "before the import: nothing analyzed" \
    [ "$(analyzed "initiatives=0 milestones=0 progress_reports=0 surveys=0")" = "initiatives=0 milestones=0 progress_reports=0 surveys=0" ]
PGDATABASE=bulk PGUSER=hyoka_writer hy import "${bulk_files[@]}"
expect "bulk import as hyoka_writer: exit 0" [ "$rc" -eq 0 ]
got=$(analyzed "initiatives=1 milestones=1 progress_reports=1 surveys=0")
expect "bulk import: analyzed the tables it filled, not surveys (1 row < 50) (got: $got)" \
    [ "$got" = "initiatives=1 milestones=1 progress_reports=1 surveys=0" ]
PGDATABASE=bulk PGUSER=hyoka_writer hy import "$tmp/bulk/surveys.csv"
got=$(analyzed never 20)   # nothing to wait for: a change would show within 2 s
expect "an import that changes nothing analyzes nothing (got: $got)" \
    [ "$rc" -eq 0 ] && [ "$got" = "initiatives=1 milestones=1 progress_reports=1 surveys=0" ]
expect "bulk import: 8000 initiatives, 16000 milestones, 8000 progress rows stored" \
    [ "$(sql bulk "SELECT (SELECT count(*) FROM initiatives) || ' ' || (SELECT count(*) FROM milestones) || ' ' || (SELECT count(*) FROM progress_reports)")" = "8000 16000 8000" ]
fks_after=$(fks)
expect "bulk import: as many foreign keys as before ($(cut -d' ' -f1 <<<"$fks_before"))" \
    [ "${fks_after%% *}" = "${fks_before%% *}" ]
expect "bulk import: they were dropped and added again (new constraint oids: the set-based path ran)" \
    [ "$fks_after" != "$fks_before" ]
expect "the set-based path ran once: for the import, never for the dry run before it" \
    [ "$(bulk_calls)" = 1 ]
expect "bulk import: none left suspended" [ "$(sql bulk "SELECT count(*) FROM hyoka_import_suspended")" = 0 ]
expect "bulk import: the facts view sees every initiative" \
    [ "$(sql bulk "SELECT count(*) FROM evaluation_facts")" = 8000 ]
# A reader holding a lock on initiatives: the import does not wait for it past the lock timeout
# but checks row by row, and says so.
# another 8,000 initiatives (codes C-…) for survey B
cp -r "$tmp/bulk" "$tmp/bulk2"
sed -i 's/\bB-/C-/g' "$tmp"/bulk2/{measures,initiatives,milestones,progress}.csv
fks_before=$(fks)
(PGAPPNAME=hyoka_test_reader psql -X -q -d bulk \
     -c "BEGIN; SELECT count(*) FROM initiatives; SELECT pg_sleep(60); COMMIT;" >/dev/null 2>&1 &
 echo $! >"$tmp/reader.pid")
# wait until the reader holds its lock (a loaded machine may take a while to start psql)
for _ in $(seq 100); do
    [ "$(sql bulk "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE a.application_name = 'hyoka_test_reader' AND l.relation = 'initiatives'::regclass
                      AND l.granted")" -gt 0 ] && break
    sleep 0.1
done
PGDATABASE=bulk PGUSER=hyoka_writer hy import --dry-run "$tmp"/bulk2/{measures,initiatives,milestones,surveys,progress}.csv
expect "bulk-sized dry run beside a reader: exit 0" [ "$rc" -eq 0 ]
expect "bulk-sized dry run beside a reader: never asks for the exclusive locks (no fallback note)" \
    eval '! has "foreign keys are checked row by row"'
start=$(date +%s)
PGDATABASE=bulk PGUSER=hyoka_writer hy import "$tmp"/bulk2/{measures,initiatives,milestones,surveys,progress}.csv
took=$(( $(date +%s) - start ))
expect "bulk import beside a reader: exit 0" [ "$rc" -eq 0 ]
expect "bulk import beside a reader: says the keys were checked row by row" has "foreign keys are checked row by row"
expect "bulk import beside a reader: did not wait for the reader (${took} s < 30 s)" [ "$took" -lt 30 ]
expect "bulk import beside a reader: the same constraints (per-row path)" [ "$(fks)" = "$fks_before" ]
expect "bulk import beside a reader: 16000 initiatives now" [ "$(sql bulk "SELECT count(*) FROM initiatives")" = 16000 ]
sql bulk "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hyoka_test_reader'" >/dev/null
kill "$(cat "$tmp/reader.pid")" 2>/dev/null; wait 2>/dev/null
# Whatever a caller does, a COMMIT cannot leave the keys dropped.
psql -X -q -U hyoka_writer -d bulk -c "BEGIN" -c "SELECT hyoka_import_bulk_begin()" -c "COMMIT" >"$tmp/out" 2>&1
expect "begin without end: the COMMIT fails" has "a bulk import dropped foreign keys and did not add them again"
expect "begin without end: the foreign keys are all there" [ "$(fks)" = "$fks_before" ]
psql -X -q -U hyoka_web -d bulk -c "SELECT hyoka_import_bulk_begin()" >"$tmp/out" 2>&1
expect "hyoka_web may not call hyoka_import_bulk_begin" has "permission denied for function hyoka_import_bulk_begin"

echo "== evaluation results: one partition per run (sql/005)"
PGDATABASE=bulk PGUSER=hyoka_writer hy evaluate --survey B --format csv
expect "evaluate as hyoka_writer: exit 0" [ "$rc" -eq 0 ]
run=$(sql bulk "SELECT max(id) FROM evaluation_runs")
# 16,000 initiatives >= STORE_SPLIT_ROWS: the facts were read in two halves on two connections
expect "every initiative of the survey is stored once, with the facts the view gives (read in two halves)" \
    [ "$(sql bulk "SELECT count(*) || ' ' || count(*) FILTER (WHERE r.facts->>'initiative_code' = f.initiative_code
                          AND r.facts->>'departments' = f.departments
                          AND (r.facts->>'planned_progress')::numeric = f.planned_progress
                          AND (r.facts->>'actual_progress')::numeric = f.actual_progress
                          AND (r.facts->>'months_since_start')::numeric = f.months_since_start)
                   FROM evaluation_facts f JOIN evaluation_results r ON r.initiative_id = f.initiative_id
                  WHERE r.run_id = $run AND f.survey_id = (SELECT id FROM surveys WHERE code = 'B')")" = "16000 16000" ]
expect "the run's results are in their own partition, attached" \
    [ "$(sql bulk "SELECT count(*) FROM evaluation_results_$run") $(sql bulk "SELECT count(*) FROM pg_inherits WHERE inhrelid = 'evaluation_results_$run'::regclass")" = "16000 1" ]
expect "the partition carries the parent's foreign keys, indexes and trigger" \
    [ "$(sql bulk "SELECT (SELECT count(*) FROM pg_constraint WHERE conrelid = 'evaluation_results_$run'::regclass AND contype IN ('f', 'p', 'c')) || ' ' || (SELECT count(*) FROM pg_index WHERE indrelid = 'evaluation_results_$run'::regclass) || ' ' || (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'evaluation_results_$run'::regclass AND tgname = 'evaluation_results_immutable')")" = "4 2 1" ]
psql -X -q -d bulk -c "UPDATE evaluation_results SET score = 0 WHERE run_id = $run" >"$tmp/out" 2>&1
expect "the owner cannot update stored results (trigger on the partition)" has "evaluation runs are immutable"
psql -X -q -U hyoka_writer -d bulk -c "INSERT INTO evaluation_results (run_id, initiative_id, category, facts) SELECT $run, id, 'x', '{}' FROM initiatives LIMIT 1" >"$tmp/out" 2>&1
expect "hyoka_writer cannot insert into evaluation_results directly" has "permission denied"
# In a transaction that has an id of its own (pg_current_xact_id assigns one), not the run's.
printf 'BEGIN;\nSELECT pg_current_xact_id();\nSELECT hyoka_results_open(%s);\nROLLBACK;\n' "$run" |
    psql -X -q -U hyoka_writer -d bulk >"$tmp/out" 2>&1
expect "hyoka_results_open refuses a run of another transaction" has "was not inserted by this transaction"
# new_run: inserts a copy of the stored run and opens its results table (psql variable :new).
new_run="INSERT INTO evaluation_runs (survey_id, rule_set_id, fact_schema) SELECT survey_id, rule_set_id, fact_schema FROM evaluation_runs WHERE id = $run RETURNING id AS new \\gset
SELECT hyoka_results_open(:new);"
psql -X -q -v ON_ERROR_STOP=1 -U hyoka_writer -d bulk >"$tmp/out" 2>&1 <<SQL
BEGIN;
$new_run
INSERT INTO evaluation_results_:new (run_id, initiative_id, category, facts) VALUES (:new, 2147483647, 'x', '{}');
SELECT hyoka_results_close(:new);
COMMIT;
SQL
expect "a result naming no initiative fails the attach (foreign key checked set-based)" \
    has 'violates foreign key constraint "evaluation_results_initiative_id_fkey"'
expect "... and nothing of that run remains" \
    [ "$(sql bulk "SELECT count(*) FROM evaluation_runs WHERE id > $run") $(sql bulk "SELECT count(*) FROM pg_class WHERE relname ~ '^evaluation_results_[0-9]+$' AND relname <> 'evaluation_results_$run'")" = "0 0" ]
psql -X -q -U hyoka_writer -d bulk >"$tmp/out" 2>&1 <<SQL
BEGIN;
$new_run
INSERT INTO evaluation_results_:new (run_id, initiative_id, category, facts) SELECT :new, id, 'x', '{}' FROM initiatives LIMIT 1;
COMMIT;
SQL
expect "a COMMIT after hyoka_results_open without hyoka_results_close fails (sql/007)" \
    has "were opened (hyoka_results_open) but not closed"
expect "... and nothing of that run remains" \
    [ "$(sql bulk "SELECT count(*) FROM evaluation_runs WHERE id > $run") $(sql bulk "SELECT count(*) FROM pg_class WHERE relname ~ '^evaluation_results_[0-9]+$' AND relname <> 'evaluation_results_$run'")" = "0 0" ]

await_sql() { # await_sql SQL: up to 10 s for the query (database bulk) to say t
    for _ in $(seq 1 200); do
        [ "$(sql bulk "$1")" = t ] && return 0
        sleep 0.05
    done
    return 1
}
# long_reader: a hyoka_web session in the background reads evaluation_results and keeps its
# transaction (and lock) open until end_long_reader ends it (at most 60 s); returns once it sleeps.
# Its end is the test's to choose, not a sleep's: with a fixed 3 s, a machine loaded enough to take
# longer than that to start the next psql let the writer find the lock free (a clean-clone run of
# the test command failed so at a load average of 12 on 2 cores).
long_reader() {
    PGAPPNAME=hyoka_test_long psql -X -q -v ON_ERROR_STOP=1 -U hyoka_web -d bulk >"$tmp/long.out" 2>&1 <<SQL &
BEGIN;
SELECT count(*) FROM evaluation_results WHERE run_id = $run;
SELECT pg_sleep(60);
COMMIT;
SQL
    long_pid=$!
    await_sql "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'hyoka_test_long' AND wait_event = 'PgSleep'"
}
# end_long_reader: ends long_reader's transaction (its session is terminated) and waits for it.
end_long_reader() {
    sql bulk "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hyoka_test_long'" >/dev/null
    wait "$long_pid" 2>/dev/null
}

# sql/012: the attach holds evaluation_results ACCESS EXCLUSIVE until the run's COMMIT, so that no
# session builds its partition list while the run commits (PostgreSQL 15 lost the attach's
# invalidation in such a session: it read the new run as having no results until the next run).
# The attaching session commits when the test opens a gate (a row in test_gate), never after a
# fixed time that a loaded machine could outlast before the reader below has even started.
sql bulk "CREATE TABLE test_gate (opened boolean); GRANT SELECT ON test_gate TO PUBLIC" >/dev/null
PGAPPNAME=hyoka_test_attach psql -X -q -v ON_ERROR_STOP=1 -U hyoka_writer -d bulk >"$tmp/attach.out" 2>&1 <<SQL &
BEGIN;
$new_run
INSERT INTO evaluation_results_:new (run_id, initiative_id, category, facts) SELECT :new, id, 'x', '{}' FROM initiatives;
SELECT hyoka_results_close(:new);
DO \$\$ BEGIN
    FOR i IN 1..1200 LOOP  -- at most 60 s
        EXIT WHEN EXISTS (SELECT 1 FROM test_gate);
        PERFORM pg_sleep(0.05);
    END LOOP;
END \$\$;
COMMIT;
SQL
attach_pid=$!
await_sql "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'hyoka_test_attach' AND wait_event = 'PgSleep'"
psql -X -q -U hyoka_web -d bulk -c "SET lock_timeout = '300ms'" -c "SELECT count(*) FROM evaluation_results WHERE run_id = $run" >"$tmp/out" 2>&1
expect "a reader of evaluation_results waits while a run's partition is attached and not yet committed" \
    has "canceling statement due to lock timeout"
sql bulk "INSERT INTO test_gate VALUES (true)" >/dev/null
wait "$attach_pid"
expect "... and afterwards reads every result of that run (a new session, as hyoka-fcgi's new workers)" \
    [ "$(psql -X -qtA -U hyoka_web -d bulk -c "SELECT count(*) FROM evaluation_results WHERE run_id = (SELECT max(id) FROM evaluation_runs)")" = "$(sql bulk "SELECT count(*) FROM initiatives")" ]

# sql/013: while the attach waits for its lock (here behind a reader in a long transaction), new
# readers are not queued behind it: the lock is asked for in attempts of 200 ms, so a reader waits
# at most one. With a single waiting LOCK (sql/012) this reader waited for the long one (here until
# its own lock_timeout of 2 s).
long_reader
PGAPPNAME=hyoka_test_close psql -X -q -v ON_ERROR_STOP=1 -U hyoka_writer -d bulk >"$tmp/close.out" 2>&1 <<SQL &
BEGIN;
$new_run
INSERT INTO evaluation_results_:new (run_id, initiative_id, category, facts) SELECT :new, id, 'x', '{}' FROM initiatives;
SELECT hyoka_results_close(:new);
COMMIT;
SQL
close_pid=$!
# The writer is in its wait once it holds the referenced tables (taken right before it).
await_sql "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
            WHERE a.application_name = 'hyoka_test_close' AND l.granted
              AND l.relation = 'initiatives'::regclass AND l.mode = 'ShareRowExclusiveLock')"
waiting=$?
t0=$(date +%s%N)
read_n=$(psql -X -q -tA -U hyoka_web -d bulk -c "SET lock_timeout = '2s'" -c "SELECT count(*) FROM evaluation_results WHERE run_id = $run" 2>&1)
reader_ms=$((($(date +%s%N) - t0) / 1000000))
expect "a reader is not held up by a run waiting to attach behind a long transaction ($reader_ms ms)" \
    [ "waiting $waiting, read $read_n" = "waiting 0, read $(sql bulk "SELECT count(*) FROM initiatives")" ]
end_long_reader
wait "$close_pid"
close_rc=$?
expect "... and the run attaches once the long transaction has ended" \
    [ "exit $close_rc, $(psql -X -qtA -U hyoka_web -d bulk -c "SELECT count(*) FROM evaluation_results WHERE run_id = (SELECT max(id) FROM evaluation_runs)")" = "exit 0, $(sql bulk "SELECT count(*) FROM initiatives")" ]
# The writer's own lock_timeout bounds its whole wait: then it fails and stores nothing.
long_reader
runs_before=$(sql bulk "SELECT count(*) FROM evaluation_runs")
psql -X -q -v ON_ERROR_STOP=1 -U hyoka_writer -d bulk >"$tmp/out" 2>&1 <<SQL
SET lock_timeout = '700ms';
BEGIN;
$new_run
SELECT hyoka_results_close(:new);
COMMIT;
SQL
expect "a writer's lock_timeout bounds its wait for the attach: it fails saying why" \
    has "evaluation_results stayed locked by other sessions for"
expect "... and stores no run" [ "$(sql bulk "SELECT count(*) FROM evaluation_runs")" = "$runs_before" ]
end_long_reader

echo "== the import lock: a waiter is bounded and names the holder; a dead holder's lock goes"
# A killed `hyoka import` once blocked the next one silently until its session was ended by hand.
# The holder here is a real import: it takes the import lock, then waits for a table that a psql
# session keeps locked, so it holds the lock for as long as the test needs, without a race.
sql postgres "CREATE DATABASE locks" >/dev/null
PGDATABASE=locks hy migrate
printf 'database = { conninfo = ""; lock_wait = 3; };\nrules = { file = "%s"; };\n' \
    "$root/config/rules/default.cfg" >"$tmp/lock.cfg"
lock_key=$(sed -n 's/^#define STORE_LOCK_IMPORT "\([0-9]*\)".*/\1/p' "$root/store/store.h")
# holder_pid: the backend pid holding the import lock in database locks, or nothing
holder_pid() {
    sql locks "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database
               WHERE d.datname = 'locks' AND l.locktype = 'advisory' AND l.granted
                 AND l.classid = ($lock_key::bigint >> 32)::oid
                 AND l.objid = ($lock_key::bigint & 4294967295)::oid"
}
# await SECONDS SQL: until the query (on database locks) says t; the seconds it took, or FAIL
await() {
    local t0 now
    t0=$(date +%s.%N)
    while :; do
        [ "$(sql locks "$2")" = t ] && break
        now=$(date +%s.%N)
        if [ "$(echo "$now - $t0 > $1" | bc)" = 1 ]; then echo FAIL; return 1; fi
        sleep 0.05
    done
    echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.1f'
}
# start_holder: a psql session locking measures, then an import that takes the import lock and
# waits for measures; sets $locker_pid, $import_pid, $import_backend
start_holder() {
    PGAPPNAME=hyoka_test_locker psql -X -q -d locks \
        -c "BEGIN; LOCK TABLE measures IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(300); COMMIT;" \
        >/dev/null 2>&1 &
    locker_pid=$!
    await 60 "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'hyoka_test_locker' AND wait_event = 'PgSleep'" >/dev/null
    PGDATABASE=locks HYOKA_CONFIG=$tmp/lock.cfg "$hyoka" import "$root/config/demo/measures.csv" \
        >"$tmp/holder.out" 2>&1 &
    import_pid=$!
    await 60 "SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE a.application_name = 'hyoka import' AND l.relation = 'measures'::regclass AND NOT l.granted" >/dev/null
    import_backend=$(holder_pid)
}
stop_locker() {
    sql locks "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hyoka_test_locker'" >/dev/null
    wait "$locker_pid" 2>/dev/null
}

# 1. A killed client whose backend is busy (here: waiting for a table lock) is noticed by the
#    server (client_connection_check_interval) and its lock released.
start_holder
expect "the holder import holds the import lock (backend $import_backend)" \
    [ -n "$import_backend" -a "$import_backend" = "$(sql locks "SELECT pid FROM pg_stat_activity WHERE application_name = 'hyoka import'")" ]
# (not fingerprint: measures is locked) the waiter imports plans.csv
t0=$(date +%s.%N)
PGDATABASE=locks HYOKA_CONFIG=$tmp/lock.cfg hy import "$root/config/demo/plans.csv"
waited=$(echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.1f')
cat "$tmp/out"
expect "a second import waits at most lock_wait (3 s): gave up after ${waited} s, exit 2" \
    eval '[ "$rc" -eq 2 ] && [ "$(echo "$waited >= 3 && $waited < 10" | bc)" = 1 ]'
expect "while waiting it names the holder: pid, application_name, user, client, since when" \
    has "waiting for the import lock (0 s of at most 3 s), held by pid $import_backend ('hyoka import', user postgres, client 127.0.0.1, in its transaction since 20"
expect "giving up it names the holder and says nothing was written" \
    eval 'has "hyoka import: the import lock is held by pid $import_backend (" && has "gave up after 3 s" && has "pg_terminate_backend($import_backend)" && has "nothing was written"'
expect "giving up wrote nothing" [ "$(sql locks "SELECT count(*) FROM plans")" = 0 ]
kill -KILL "$import_pid"
wait "$import_pid" 2>/dev/null
gone=$(await 30 "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $import_backend)")
expect "the killed import's busy session is ended by the server (after ${gone} s, <= 10 s + 1)" \
    eval '[ "$gone" != FAIL ] && [ "$(echo "$gone <= 11" | bc)" = 1 ]'
t0=$(date +%s.%N)
PGDATABASE=locks HYOKA_CONFIG=$tmp/lock.cfg hy import "$root/config/demo/plans.csv"
took=$(echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.1f')
expect "then the next import proceeds at once (exit 0 in ${took} s, no wait)" \
    eval '[ "$rc" -eq 0 ] && ! has "waiting for the import lock"'
stop_locker

# 2. A frozen client (SIGSTOP) idle inside its transaction: the server ends its session after
#    lock_wait (idle_in_transaction_session_timeout), so its lock cannot be kept for ever.
start_holder
kill -STOP "$import_pid"
stop_locker # the import's statement completes; its stopped client never sends the next one
gone=$(await 30 "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $import_backend)")
expect "a stopped import's idle session is ended by the server (after ${gone} s, lock_wait 3 s)" \
    eval '[ "$gone" != FAIL ] && [ "$(echo "$gone >= 2.5 && $gone <= 10" | bc)" = 1 ]'
PGDATABASE=locks HYOKA_CONFIG=$tmp/lock.cfg hy import "$root/config/demo/plans.csv"
expect "then the next import proceeds at once" eval '[ "$rc" -eq 0 ] && ! has "waiting for the import lock"'
kill -CONT "$import_pid"
wait "$import_pid"
holder_rc=$?
expect "the stopped import, resumed, fails (exit $holder_rc) and wrote nothing" \
    eval '[ "$holder_rc" -eq 2 ] && [ "$(sql locks "SELECT count(*) FROM measures")" = 0 ]'
cat "$tmp/holder.out"

echo "== the fact schema of a changed view: domains count as their base type"
# A city may add facts to evaluation_facts; a column of a domain (here a domain of a domain of
# numeric) is a number fact, and a type modifier does not enter the schema's type names.
sql bulk "CREATE DOMAIN share AS numeric; CREATE DOMAIN share_of_plan AS share;
          ALTER VIEW evaluation_facts RENAME TO evaluation_facts_base;
          CREATE VIEW evaluation_facts AS SELECT f.*, f.actual_progress::share_of_plan AS custom_share,
                 now()::timestamp(0) without time zone AS custom_stamp FROM evaluation_facts_base f" >/dev/null
sed 's|^  progress_ratio = .*|&\n  custom_half = "custom_share / 2";|' "$root/config/rules/default.cfg" >"$tmp/domain.cfg"
PGDATABASE=bulk hy check --db "$tmp/domain.cfg"
expect "a fact of a domain type is a number in the rules (hyoka check --db: exit 0)" [ "$rc" -eq 0 ]
sed -i 's|custom_share / 2|custom_stamp / 2|' "$tmp/domain.cfg"
PGDATABASE=bulk hy check --db "$tmp/domain.cfg"
expect "a timestamp(0) fact is named 'timestamp without time zone', without its modifier" \
    has "timestamp without time zone"

echo "== roles: hyoka_web for the server, hyoka_reader for people; neither can disturb (sql/008)"
source "$here/roles.sh"

echo
echo "db tier: $passed passed, $failed failed"
[ $failed -eq 0 ]
