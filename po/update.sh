#!/usr/bin/env bash
# po/update.sh - regenerates po/hyoka.pot from the sources and merges it into every po/LANG.po.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/xgettext.sh" "$here/hyoka.pot"
for po in "$here"/*.po; do
    msgmerge --quiet --update --backup=none --no-wrap --sort-by-file "$po" "$here/hyoka.pot"
    msgfmt --check --statistics -o /dev/null "$po"
done
