#!/usr/bin/env bash
# run.sh - the rule-file corpus, run against the built `hyoka`:
#   bad/NAME.cfg       `hyoka check` exits 1, prints exactly bad/NAME.expected on stderr, no stdout;
#   bad/NAME.test.cfg  `hyoka test default.cfg` exits 1 with exactly bad/NAME.expected on stderr;
#   good/NAME.cfg      `hyoka check` exits 0 (stderr = good/NAME.expected when that file exists);
#   analyze/NAME.cfg   `hyoka check --analyze` prints exactly analyze/NAME.expected after its ok
#                      line, exit 1 when it has a finding, else 0; default.cfg has no finding;
#   the shipped config/rules/default.cfg checks, and its test cases all pass;
#   a case file with failures prints them and "N passed, N failed", exit 1; a missing file is exit 2.
# Usage: tests/rules/run.sh [PATH-TO-HYOKA]   (default $HYOKA_BUILD/cli/hyoka; CTest passes it).
# Regenerate an expected file only after reading the new output: a snapshot is not a review.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
hyoka=${1:-${HYOKA_BUILD:?set HYOKA_BUILD or pass the hyoka binary}/cli/hyoka}
[ -x "$hyoka" ] || { echo "run.sh: no hyoka binary at $hyoka" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# run CMD...: runs with a time limit; leaves rc, out, err
run() {
    timeout 20 "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# The expected files are English: the messages' msgids, whatever the caller's locale.
export LC_ALL=C.UTF-8
unset LANGUAGE
# "${ja[@]}" CMD...: runs CMD as a Japanese user would (LANG=ja_JP.UTF-8, nothing overriding it)
ja=(env -u LC_ALL -u LC_MESSAGES LANG=ja_JP.UTF-8)
same_positions=$root/tests/lib/same_positions.py

cd "$here"
echo "== bad rule files: exit 1 and the exact diagnostics"
for f in bad/*.cfg; do
    case "$f" in
    *.test.cfg) run "$hyoka" test ../../config/rules/default.cfg "$f" ;;
    *) run "$hyoka" check "$f" ;;
    esac
    exp="${f%.cfg}.expected"
    if [ ! -f "$exp" ]; then
        bad "$f: no $exp"
    elif [ $rc -ne 1 ]; then
        bad "$f: exit $rc, expected 1"; cat "$tmp/err"
    elif [ -s "$tmp/out" ]; then
        bad "$f: printed on stdout:"; cat "$tmp/out"
    elif ! diff -u "$exp" "$tmp/err" >"$tmp/diff"; then
        bad "$f: stderr differs from $exp"; cat "$tmp/diff"
    else
        ok
    fi
done

echo "== bad rule files in Japanese (LANG=ja_JP.UTF-8): exit 1, the same positions and excerpts, Japanese text"
if ! locale -a 2>/dev/null | grep -qix 'ja_JP.utf-\?8'; then
    bad "the locale ja_JP.UTF-8 is not installed (scripts/deps.sh generates it)"
else
    for f in bad/*.cfg; do
        case "$f" in
        *.test.cfg) run "${ja[@]}" "$hyoka" test ../../config/rules/default.cfg "$f" ;;
        *) run "${ja[@]}" "$hyoka" check "$f" ;;
        esac
        if [ $rc -ne 1 ]; then
            bad "$f (ja): exit $rc, expected 1"; cat "$tmp/err"
        elif [ -s "$tmp/out" ]; then
            bad "$f (ja): printed on stdout:"; cat "$tmp/out"
        elif ! python3 "$same_positions" "${f%.cfg}.expected" "$tmp/err" "$f (ja)"; then
            bad "$f (ja): see above"
        else
            ok
        fi
    done
    # LANG=C is English: byte for byte the expected file.
    f=bad/unknown_name.cfg
    run env -u LC_ALL -u LC_MESSAGES LANG=C "$hyoka" check "$f"
    if [ $rc -eq 1 ] && diff -u "${f%.cfg}.expected" "$tmp/err"; then ok; else bad "$f (LANG=C): not the English text"; fi
fi

echo "== good rule files: exit 0"
for f in good/*.cfg; do
    run "$hyoka" check "$f"
    exp="${f%.cfg}.expected"
    if [ $rc -ne 0 ]; then
        bad "$f: exit $rc"; cat "$tmp/err"
    elif ! grep -q "^$f: ok — version " "$tmp/out"; then
        bad "$f: no ok line"; cat "$tmp/out"
    elif [ -f "$exp" ] && ! diff -u "$exp" "$tmp/err" >"$tmp/diff"; then
        bad "$f: stderr differs from $exp"; cat "$tmp/diff"
    elif [ ! -f "$exp" ] && [ -s "$tmp/err" ]; then
        bad "$f: unexpected stderr"; cat "$tmp/err"
    else
        ok
    fi
done

echo "== check --analyze: findings with verified examples, exit 1 with findings"
for f in analyze/*.cfg; do
    run "$hyoka" check --analyze "$f"
    exp="${f%.cfg}.expected"
    want=0
    grep -q ': finding: ' "$exp" 2>/dev/null && want=1
    if [ ! -f "$exp" ]; then
        bad "$f: no $exp"
    elif [ $rc -ne $want ]; then
        bad "$f: exit $rc, expected $want"; cat "$tmp/out" "$tmp/err"
    elif ! tail -n +2 "$tmp/out" | diff -u "$exp" - >"$tmp/diff"; then
        bad "$f: output differs from $exp"; cat "$tmp/diff"
    elif [ -s "$tmp/err" ]; then
        bad "$f: unexpected stderr"; cat "$tmp/err"
    else
        ok
    fi
done
# every class has its file and finding
for class in "can never match" "is never reached" "(the catch-all) is never reached" \
    "thresholds out of order" "no longer fits" \
    "not decided"; do
    if grep -q "$class" analyze/*.expected; then ok; else bad "no analyze test shows '$class'"; fi
done

cd "$root"
echo "== the shipped rule set"
run "$hyoka" check --analyze config/rules/default.cfg
if [ $rc -eq 0 ] && [ "$(tail -n 1 "$tmp/out")" = "config/rules/default.cfg: analysis: 0 findings, 0 not decided" ]; then ok
else bad "check --analyze default.cfg: exit $rc"; cat "$tmp/out" "$tmp/err"; fi
run "$hyoka" check config/rules/default.cfg
sha=$(sha256sum config/rules/default.cfg | cut -d' ' -f1)
want="config/rules/default.cfg: ok — version 2024.1, 3 reasons, 2 flags, 3 categories, 3 score components (sha256 $sha)"
if [ $rc -eq 0 ] && [ "$(cat "$tmp/out")" = "$want" ] && [ ! -s "$tmp/err" ]; then ok; else
    bad "check default.cfg: exit $rc"; cat "$tmp/out" "$tmp/err"; fi

ncases=$(grep -c '{ name = ' config/rules/default.test.cfg)
run "$hyoka" test config/rules/default.cfg config/rules/default.test.cfg
if [ $rc -eq 0 ] && [ "$(cat "$tmp/out")" = "$ncases passed, 0 failed" ] && [ "$ncases" -ge 15 ]; then ok
else bad "default.test.cfg: exit $rc, expected '$ncases passed, 0 failed'"; cat "$tmp/out" "$tmp/err"; fi

echo "== failing cases are shown with expected vs actual and the explanation"
run "$hyoka" test config/rules/default.cfg tests/rules/cases/failing.test.cfg
if [ $rc -eq 1 ] && [ "$(tail -n 1 "$tmp/out")" = "1 passed, 2 failed" ] &&
    grep -q "^tests/rules/cases/failing.test.cfg:6: case 'wrong category and score' failed:" "$tmp/out" &&
    grep -q "^    category: expected on_track, got stalled$" "$tmp/out" &&
    grep -q "^    reasons: expected \[\], got \[cost\]$" "$tmp/out" &&
    grep -q "^    score: expected 1.0, got 73.8$" "$tmp/out" &&
    grep -q "^    score: expected null, got 100.0$" "$tmp/out" &&
    grep -q "^      cost_benefit 0.5 が基準値 cost_benefit_min 1 を下回るため、理由『費用対効果に課題があるもの』に該当（default.cfg:[0-9]*）$" "$tmp/out" &&
    grep -q "^      それより前の分類のいずれにも当たらないため、分類は『課題があり、進捗していない』（default.cfg:[0-9]*）$" "$tmp/out" &&
    grep -q "^      点数の要素『指標達成』は、kpi_attainment が未報告のため除外し、残りの要素の重みで按分し直す（default.cfg:[0-9]*）$" "$tmp/out"; then ok
else bad "failing.test.cfg: exit $rc"; cat "$tmp/out" "$tmp/err"; fi

echo "== test --coverage: hand-counted coverage, --fail-under"
run "$hyoka" test --coverage config/rules/default.cfg tests/rules/cases/coverage.test.cfg
if [ $rc -eq 0 ] && diff -u tests/rules/cases/coverage.expected "$tmp/out" >"$tmp/diff" && [ ! -s "$tmp/err" ]; then ok
else bad "test --coverage: exit $rc"; cat "$tmp/diff" "$tmp/err"; fi
run "$hyoka" test --coverage --fail-under 75 config/rules/default.cfg tests/rules/cases/coverage.test.cfg
if [ $rc -eq 0 ]; then ok; else bad "--fail-under 75 at 75.0 %: exit $rc"; cat "$tmp/err"; fi
run "$hyoka" test --coverage --fail-under 75.1 config/rules/default.cfg tests/rules/cases/coverage.test.cfg
if [ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "hyoka test: 75.0 % of the entries matched, under --fail-under 75.1" ]; then ok
else bad "--fail-under 75.1 at 75.0 %: exit $rc"; cat "$tmp/err"; fi
run "$hyoka" test --fail-under 50 config/rules/default.cfg tests/rules/cases/coverage.test.cfg
if [ $rc -eq 1 ] && grep -q "^hyoka test: --fail-under needs --coverage$" "$tmp/err"; then ok
else bad "--fail-under without --coverage: exit $rc"; cat "$tmp/err"; fi
run "$hyoka" test --coverage --fail-under 101 config/rules/default.cfg tests/rules/cases/coverage.test.cfg
if [ $rc -eq 1 ] && grep -q "^hyoka test: --fail-under '101': expected a percentage from 0 to 100$" "$tmp/err"; then ok
else bad "--fail-under 101: exit $rc"; cat "$tmp/err"; fi
run "$hyoka" test --coverage --fail-under 100 config/rules/default.cfg config/rules/default.test.cfg
if [ $rc -eq 0 ] && [ "$(tail -n 1 "$tmp/out")" = "coverage: 8 of 8 entries matched (100.0 %) by $ncases cases" ]; then ok
else bad "default.test.cfg covers every entry: exit $rc"; cat "$tmp/out" "$tmp/err"; fi

echo "== unreadable files are exit 2"
run "$hyoka" check tests/rules/bad/no_such_file.cfg
if [ $rc -eq 2 ] && [ "$(cat "$tmp/err")" = "hyoka check: cannot read tests/rules/bad/no_such_file.cfg: No such file or directory" ]; then ok
else bad "missing rules file: exit $rc"; cat "$tmp/err"; fi
run "$hyoka" test config/rules/default.cfg tests/rules/no_such.test.cfg
if [ $rc -eq 2 ] && grep -q "^hyoka test: cannot read tests/rules/no_such.test.cfg: No such file or directory$" "$tmp/err"; then ok
else bad "missing case file: exit $rc"; cat "$tmp/err"; fi
run "$hyoka" test tests/rules/bad/missing_label.cfg config/rules/default.test.cfg
if [ $rc -eq 1 ] && grep -q "^tests/rules/bad/missing_label.cfg:3: error: " "$tmp/err"; then ok
else bad "test with bad rules: exit $rc"; cat "$tmp/err"; fi

# As a black-box tier (no binary given: scripts/test.sh), also `check --db` against a real
# PostgreSQL with the schema migrated: its view must give the built-in facts.
if [ $# -eq 0 ]; then
    echo "== check --db against the database's evaluation_facts view"
    source "$root/scripts/lib.sh"
    dbdir=$(mktemp -d /tmp/hyoka-rules-db.XXXXXX)
    trap 'pg_stop "$dbdir" >/dev/null 2>&1; rm -rf "$dbdir" "$tmp"' EXIT
    if ! pg_start "$dbdir" >"$tmp/pg.log" 2>&1; then
        bad "pg_start failed"; cat "$tmp/pg.log"
    else
        export HYOKA_CONFIG=
        run "$hyoka" check --db config/rules/default.cfg
        if [ $rc -eq 2 ] && grep -q "hyoka migrate" "$tmp/err"; then ok
        else bad "check --db without schema: exit $rc"; cat "$tmp/err"; fi
        timeout 60 "$hyoka" migrate >"$tmp/migrate.log" 2>&1 || { bad "migrate"; cat "$tmp/migrate.log"; }
        run "$hyoka" check --db config/rules/default.cfg
        if [ $rc -eq 0 ] && grep -q "^config/rules/default.cfg: ok — version 2024.1" "$tmp/out"; then ok
        else bad "check --db default.cfg: exit $rc"; cat "$tmp/out" "$tmp/err"; fi
        run "$hyoka" check --db tests/rules/bad/unknown_name.cfg
        if [ $rc -eq 1 ] && grep -q "unknown name 'progres_ratio' (did you mean 'progress_ratio'?)" "$tmp/err"; then ok
        else bad "check --db bad file: exit $rc"; cat "$tmp/err"; fi
        run "$hyoka" --config "$dbdir/none.cfg" check --db config/rules/default.cfg
        if [ $rc -eq 2 ] && grep -q "cannot read the service config" "$tmp/err"; then ok
        else bad "check --db with a missing config: exit $rc"; cat "$tmp/err"; fi
    fi
fi

echo "rules corpus: $passed passed, $failed failed"
[ $failed -eq 0 ]
