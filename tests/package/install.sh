#!/usr/bin/env bash
# tests/package/install.sh - the install layout and `hyoka migrate` from nothing, without a
# package: `cmake --install` with the prefix /usr into a staging folder, then the installed hyoka
# against a throwaway PostgreSQL (scripts/lib.sh pg_start) in a temporary directory.
#
#   HYOKA_BUILD=/abs/build tests/package/install.sh        (default: ./build; about 10 s)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/scripts/lib.sh"
build=${HYOKA_BUILD:-$root/build}
[ -x "$build/cli/hyoka" ] || die "no $build/cli/hyoka: build first"

tmp=$(mktemp -d /tmp/hyoka-install.XXXXXX)
cleanup() { pg_stop "$tmp/pg"; [ -n "${KEEP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
nok() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
expect() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
has() { grep -qF -- "$1" "$tmp/out"; }

echo "== cmake --install --prefix /usr"
stage=$tmp/stage
DESTDIR=$stage cmake --install "$build" --prefix /usr >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; die "cmake --install failed"; }
expect "config in /etc/hyoka, not /usr/etc" [ -f "$stage/etc/hyoka/hyoka.cfg" ] && [ ! -e "$stage/usr/etc" ]
expect "rules in /etc/hyoka/rules" [ -f "$stage/etc/hyoka/rules/default.cfg" ]
expect "programs in /usr/bin and /usr/sbin" [ -x "$stage/usr/bin/hyoka" ] && [ -x "$stage/usr/sbin/hyoka-fcgi" ]
nsql=$(ls "$root"/sql/[0-9]*_*.sql | wc -l)
expect "every migration in /usr/share/hyoka/sql ($nsql)" \
    [ "$(ls "$stage"/usr/share/hyoka/sql/[0-9]*_*.sql | wc -l)" -eq "$nsql" ]
expect "dashboard in /usr/share/hyoka/www" [ -f "$stage/usr/share/hyoka/www/index.html" ]
expect "Japanese messages in /usr/share/locale/ja/LC_MESSAGES/hyoka.mo" \
    [ -f "$stage/usr/share/locale/ja/LC_MESSAGES/hyoka.mo" ]
# The installed hyoka finds its catalog beside itself (PREFIX/share/locale), not in the build tree.
printf 'version = "1";\nthresholds = { x = "a"; };\n' >"$tmp/bad.cfg"
env -u LC_ALL -u LC_MESSAGES LANG=ja_JP.UTF-8 "$stage/usr/bin/hyoka" check "$tmp/bad.cfg" >"$tmp/out" 2>&1
expect "installed hyoka speaks Japanese under LANG=ja_JP.UTF-8" has "$tmp/bad.cfg:2: エラー: 閾値 'x' は文字列ではなく、数値で書いてください"
env -u LC_ALL -u LC_MESSAGES LANG=C "$stage/usr/bin/hyoka" check "$tmp/bad.cfg" >"$tmp/out" 2>&1
expect "installed hyoka speaks English under LANG=C" has "$tmp/bad.cfg:2: error: threshold 'x' must be a number, not a string"

echo "== --version"
version=$(sed -n 's/^project(hyoka VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
expect "hyoka --version is the project version ($version)" \
    [ "$("$stage/usr/bin/hyoka" --version)" = "hyoka $version" ]
expect "hyoka-fcgi --version is the project version" \
    [ "$("$stage/usr/sbin/hyoka-fcgi" --version)" = "hyoka-fcgi $version" ]

echo "== hyoka migrate from nothing"
pg_start "$tmp/pg" >/dev/null || die "postgres did not start"
source "$tmp/pg/pg.env"
unset HYOKA_SQL_DIR HYOKA_CONFIG
hyoka=$stage/usr/bin/hyoka
hy() { timeout 60 "$hyoka" "$@" >"$tmp/out" 2>&1; rc=$?; }
# The documented step on a fresh cluster: a database owned by a non-superuser that may create
# roles (what `createdb` as the postgres user gives, minus the superuser).
psql -X -q -d postgres -c "CREATE ROLE city_admin LOGIN CREATEROLE" -c "CREATE DATABASE fresh OWNER city_admin" -c "CREATE DATABASE fresh2 OWNER city_admin" >/dev/null
# The shipped config names hyoka_writer, which does not exist yet.
sed "s|rules/default.cfg|$stage/etc/hyoka/rules/default.cfg|" "$stage/etc/hyoka/hyoka.cfg" |
    sed "s|dbname=hyoka|host=$PGHOST port=$PGPORT dbname=fresh|g" >"$tmp/shipped.cfg"
hy --config "$tmp/shipped.cfg" migrate
expect "migrate with the shipped config fails (exit 2)" [ "$rc" -eq 2 ]
expect "... and says to connect as the owner with --conninfo" has 'hyoka migrate --conninfo "dbname=hyoka"'
# The installed program uses the installed migrations: drop the newest from the staged copy, and
# the schema must stop one short of the source tree's.
newest=$(ls "$stage"/usr/share/hyoka/sql/[0-9]*_*.sql | tail -1)
mv "$newest" "$tmp/"
hy --config /dev/null migrate --conninfo "dbname=fresh2 user=city_admin"
expect "installed hyoka migrates from /usr/share/hyoka/sql, not the source tree" \
    [ "$rc" -eq 0 ] && has "schema is at version $((nsql - 1))"
mv "$tmp/$(basename "$newest")" "$stage/usr/share/hyoka/sql/"

PGUSER=city_admin PGDATABASE=fresh hy --config /dev/null migrate
expect "hyoka --config /dev/null migrate needs no rules file" [ "$rc" -eq 0 ] && ! has "rules.file"
expect "... and creates the schema" has "schema is at version $nsql"
expect "... and the roles" [ "$(psql -X -d fresh -tAc "SELECT count(*) FROM pg_roles WHERE rolname IN ('hyoka_web', 'hyoka_writer')")" -eq 2 ]
hy --config "$tmp/shipped.cfg" migrate
expect "migrate again as hyoka_writer (not the owner): up to date" [ "$rc" -eq 0 ] && has "schema is up to date"
mkdir "$tmp/sql-next"
cp "$root"/sql/*.sql "$tmp/sql-next/"
printf 'CREATE TABLE next_thing (id int);\n' >"$tmp/sql-next/999_next.sql"
HYOKA_SQL_DIR=$tmp/sql-next hy --config "$tmp/shipped.cfg" migrate
expect "a pending migration as hyoka_writer fails (exit 2)" [ "$rc" -eq 2 ]
expect "... naming the role that lacks the privilege and the role needed" \
    has 'role "hyoka_writer" may not change the schema of database "fresh": hyoka migrate needs the database'"'"'s owner'
HYOKA_SQL_DIR=$tmp/sql-next hy migrate --conninfo "dbname=fresh user=city_admin"
expect "... and applies as the owner" [ "$rc" -eq 0 ] && has "applied 999_next.sql"

echo "== hyoka-fcgi takes the socket systemd passes (hyoka-fcgi.socket) before server.socket"
sa=$tmp/sa
mkdir "$sa"
printf 'database = { conninfo = "host=127.0.0.1 port=1 connect_timeout=1"; };\nrules = { file = "%s"; };\nserver = { socket = "%s/own.sock"; workers = 1; };\n' \
    "$root/config/rules/default.cfg" "$sa" >"$sa/hyoka.cfg"
systemd-socket-activate -l "$sa/passed.sock" "$stage/usr/sbin/hyoka-fcgi" --config "$sa/hyoka.cfg" \
    >"$sa/log" 2>&1 &
sapid=$!
for _ in $(seq 1 50); do [ -S "$sa/passed.sock" ] && break; sleep 0.1; done
REQUEST_METHOD=GET DOCUMENT_URI=/api/v1/health timeout 10 cgi-fcgi -bind -connect "$sa/passed.sock" >"$tmp/out" 2>&1
expect "a request on the passed socket is answered" has "Content-Type: application/json"
expect "... and server.socket is not created" [ ! -e "$sa/own.sock" ]
kill -TERM "$sapid" 2>/dev/null
wait "$sapid" 2>/dev/null

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
