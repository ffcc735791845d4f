# bench/data/setup.sh - sourced by the bench/data scripts: a throwaway PostgreSQL in a temporary
# folder (stopped and removed on exit), a service config naming it, the schema, and N generated
# initiatives as CSV in $tmp/csv. Sets here, root, build, hyoka, n, tmp; exports HYOKA_CONFIG.
# Usage (after `set -uo pipefail`): source "$(dirname "$0")/setup.sh" NAME [N]
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/scripts/lib.sh"
build=${HYOKA_BUILD:-$root/build}
hyoka=$build/cli/hyoka
n=${2:-100000}
[ -x "$hyoka" ] || die "no $hyoka: build first"

tmp=$(mktemp -d "/tmp/hyoka-bench-$1.XXXXXX")
trap 'pg_stop "$tmp"; rm -rf "$tmp"' EXIT
pg_start "$tmp" >/dev/null || die "postgres did not start"
source "$tmp/pg.env"
printf 'database = { conninfo = ""; };\nrules = { file = "%s"; };\n' \
    "$root/config/rules/default.cfg" >"$tmp/hyoka.cfg"
export HYOKA_CONFIG=$tmp/hyoka.cfg

python3 "$here/gen.py" "$tmp/csv" "$n"
timeout 60 "$hyoka" migrate >/dev/null || die "migrate failed"
