#!/usr/bin/env bash
# po/xgettext.sh OUT.pot - extracts every message a person reads from hyoka, hyoka-fcgi and the
# API into a template. Messages are plain English format strings at their call sites; they are
# found by the names of the central functions that translate them (i18n.h), so a new call site
# needs no marking. Keep this list in step with those functions:
#   _ N_                    explicit marks (i18n.h)
#   eng_diags_add:8         engine/diag.c: every positioned diagnostic
#   expr_error:5 expr_verror:5 error_at:4
#                           engine/lex.c: expression messages (compile.c's error_at)
#   error_at:3              config/config.c's error_at(l, s, fmt): a second pass (-j)
#   diag_at:6 vdiag:8       engine/rules.c
#   add_diag:5              store/import.c: the import's positioned errors
#   store_fail:3            store/store.c: every store error
#   store_fail_pq:4 store_query:6 store_select:5 store_select_prepared:6
#                           the "what" of a failed query (store_fail_pq translates it)
#   err:3                   cli/cmd_test.c: case-file errors
#   unexpected:2            engine/parse.c: what the parser expected
#   check_rows:5            store/import.c: the import's cross-row checks (SQL finds, C words)
#   report:2                cli/cmd_doctor.c: each check's line
#   http_problem:4 http_problem_h:5
#                           fcgi/http.c: the API's problem detail
# Updating the translations: scripts in po/README.md.
set -euo pipefail
out=${1:?usage: po/xgettext.sh OUT.pot}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
kw=(_ N_ eng_diags_add:8 expr_error:5 expr_verror:5 error_at:4 diag_at:6 vdiag:8 add_diag:5
    store_fail:3 store_fail_pq:4 store_query:6 store_select:5 store_select_prepared:6 err:3 unexpected:2 check_rows:5 report:2 http_problem:4 http_problem_h:5 cli_fail:2 warn_at:4)
args=()
for k in "${kw[@]}"; do
    args+=("--keyword=$k")
    name=${k%%:*}
    [ "$name" = "$k" ] || args+=("--flag=$name:${k#*:}:c-format")
done
common=(--from-code=UTF-8 --language=C --no-wrap --sort-by-file --add-comments=TRANSLATORS:
        --package-name=hyoka --msgid-bugs-address=hyoka@example.jp --exclude-file=po/exclude.pot)
others=()
for f in engine/*.c store/*.c cli/*.c fcgi/*.c; do others+=("$f"); done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xgettext "${common[@]}" "${args[@]}" -o "$tmp/a.pot" "${others[@]}"
args=("${args[@]/--keyword=error_at:4/--keyword=error_at:3}")
args=("${args[@]/--flag=error_at:4:c-format/--flag=error_at:3:c-format}")
xgettext "${common[@]}" "${args[@]}" -o "$tmp/b.pot" config/*.c
sed -i 's/charset=CHARSET/charset=UTF-8/' "$tmp/a.pot" "$tmp/b.pot"
msgcat --no-wrap --sort-by-file --use-first -o "$out" "$tmp/a.pot" "$tmp/b.pot"
