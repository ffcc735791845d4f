#!/usr/bin/env bash
# po/check.sh LANG... - the po_complete test: (1) po/hyoka.pot holds exactly the messages the
# sources have now (po/xgettext.sh; else run `cmake --build build --target pot`), (2) every LANG.po
# translates every one of them, none fuzzy or empty, and (3) msgfmt --check accepts it (format
# directives match the msgid's).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
"$here/xgettext.sh" "$tmp/now.pot" || exit 1
ids() { msgcat --no-wrap --sort-output "$1" | grep -v '^#' | sed -n '/^msgid /,/^msgstr /p' | grep -v '^msgstr'; }
if ! diff -u <(ids "$here/hyoka.pot") <(ids "$tmp/now.pot") >"$tmp/d"; then
    echo "FAIL po/hyoka.pot is not what the sources hold (- pot, + sources): run po/update.sh"
    cat "$tmp/d"; fail=1
fi
for lang in "$@"; do
    po=$here/$lang.po
    # The translation of the sources' messages as they are now, whatever po/hyoka.pot says.
    msgmerge --quiet --no-wrap --no-fuzzy-matching -o "$tmp/$lang.po" "$po" "$tmp/now.pot" || { fail=1; continue; }
    if ! msgfmt --check -o /dev/null "$po"; then
        echo "FAIL $lang.po: msgfmt --check"; fail=1
    fi
    untranslated=$(msgattrib --untranslated --no-obsolete --no-wrap "$tmp/$lang.po" | grep -c '^msgid ' || true)
    fuzzy=$(msgattrib --only-fuzzy --no-obsolete --no-wrap "$tmp/$lang.po" | grep -c '^msgid ' || true)
    # msgattrib prints the header entry too when it prints anything
    [ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
    [ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
    if [ "$untranslated" -ne 0 ] || [ "$fuzzy" -ne 0 ]; then
        echo "FAIL $lang.po: $untranslated untranslated, $fuzzy fuzzy:"
        msgattrib --untranslated --no-obsolete --no-wrap "$tmp/$lang.po" | grep '^msgid ' | tail -n +2 | head -20
        msgattrib --only-fuzzy --no-obsolete --no-wrap "$tmp/$lang.po" | grep '^msgid ' | tail -n +2 | head -20
        fail=1
    fi
    total=$(grep -c '^msgid ' "$tmp/now.pot"); total=$((total - 1))
    echo "$lang.po: $total messages, $untranslated untranslated, $fuzzy fuzzy"
done
[ $fail -eq 0 ] && echo "po_complete: ok" || echo "po_complete: FAILED"
exit $fail
