#!/usr/bin/env bash
# tests/package/deb.sh - the Debian package in a fresh Debian 12 root: builds the .deb
# (scripts/package.sh, lintian included), debootstraps a root into a temporary directory (from a
# cached minbase tarball after the first run; packages from the host's apt cache), then follows
# docs/operations.md's install path in it: the doc's marked shell blocks (`<!-- tier: NAME -->`
# before a fence) are run as they are written, inside the root. Then: the units started, the
# dashboard and /api/v1/summary through nginx at / and under /hyoka/ (auth_basic), `hyoka doctor`,
# man pages, --version, a reinstall and an upgrade with an edited conffile, and a purge.
#
#   tests/package/deb.sh            needs root (debootstrap, chroot, mount) and debootstrap
#   HYOKA_DEB=FILE                  use this .deb instead of building one
#   HYOKA_PKG_CACHE=DIR             where the base tarball is kept (/var/cache/hyoka-test)
#   KEEP=1                          keep the root (and its servers stopped) for a look
#
# The root has no systemd (nothing boots in a chroot), so where the doc says systemctl the test
# does what the unit would: the socket unit's ListenStream/SocketUser/SocketGroup/SocketMode and
# the service's User/Group/ExecStartPre/ExecStart are read from the INSTALLED unit files and run
# with systemd-socket-activate (which, like systemd, starts the program on the first connection
# and passes the socket on fd 3); PostgreSQL and nginx are started with pg_ctlcluster and nginx
# itself. During `apt install`, policy-rc.d keeps packages from starting services (the usual
# chroot rule), and apt answers yes. PostgreSQL listens on no TCP port (its socket is in the
# root's /run), nginx on two loopback ports from free_port: nothing of the host is touched, its
# own PostgreSQL and nginx included.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/scripts/lib.sh"
doc=$root/docs/operations.md
[ "$(id -u)" -eq 0 ] || die "the package tier needs root (debootstrap, chroot, mount)"
for t in debootstrap chroot systemd-socket-activate curl dpkg-deb; do
    command -v "$t" >/dev/null || die "no $t (scripts/deps.sh installs it)"
done

t0=$(date +%s.%N)
tstep=$t0
current=
# step NAME: ends the previous step (prints how long it took) and starts the next.
step() {
    local now
    now=$(date +%s.%N)
    [ -n "$current" ] && awk -v a="$tstep" -v b="$now" -v n="$current" 'BEGIN { printf "   (%s: %.1f s)\n", n, b - a }'
    tstep=$now
    current=$1
    [ -n "$1" ] && echo "== $1"
}

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
nok() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
expect() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
expect_sh() { if eval "$2"; then ok "$1"; else nok "$1"; fi; } # expect_sh DESC 'SHELL'

tmp=$(mktemp -d /tmp/hyoka-deb.XXXXXX)
R=$tmp/root
fcgi_pid=
mounts=()

# Everything the root runs: a clean environment, as a login would have; at most T seconds (300).
in_root() {
    timeout "${T:-300}" chroot "$R" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive "$@"
}
# stop_pid PID NAME [SIGNAL]: stops a process we started, if it is still the program we started.
stop_pid() {
    local pid=$1 name=$2 sig=${3:-TERM}
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 0
    kill "-$sig" "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
}
# hyoka-fcgi, or systemd-socket-activate still waiting for the first connection to exec it.
stop_fcgi() {
    [ -n "$fcgi_pid" ] || return 0
    stop_pid "$fcgi_pid" hyoka-fcgi
    stop_pid "$fcgi_pid" systemd-socket-
    wait "$fcgi_pid" 2>/dev/null
    fcgi_pid=
}
stop_nginx() { [ -f "$R/run/nginx.pid" ] && stop_pid "$(cat "$R/run/nginx.pid")" nginx QUIT; }
stop_pg() {
    local f=$R/var/lib/postgresql/15/main/postmaster.pid
    [ -f "$f" ] && stop_pid "$(head -1 "$f")" postgres INT # fast shutdown
}
cleanup() {
    step ""
    stop_fcgi
    stop_nginx
    stop_pg
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null ||
            log "could not unmount ${mounts[i]}"
    done
    # give the host's cache what the root downloaded (hard links; nothing where it cannot)
    [ -d "${R:-}/var/cache/apt/archives" ] &&
        find "$R/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -links 1 \
            -exec cp -l -n -t /var/cache/apt/archives/ {} + 2>/dev/null || true
    if findmnt -rn -o TARGET | grep -q "^$tmp/"; then
        log "error: still mounted under $tmp; not removing it"
    elif [ -n "${KEEP:-}" ]; then
        log "kept $tmp"
    else
        rm -rf --one-file-system "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mount_in() { # mount_in TARGET MOUNT-ARGS...: mounts, and remembers to unmount
    local target=$1; shift
    mkdir -p "$target"
    mount "$@" "$target" || die "mount $* $target failed"
    mounts+=("$target")
}

# The doc's block NAME: the lines of the fenced block after `<!-- tier: NAME -->`.
doc_block() {
    awk -v name="$1" '
        $0 == "<!-- tier: " name " -->" { want = 1; next }
        want && /^```/ { if (inside) exit; inside = 1; next }
        inside { print }' "$doc"
}
# run_doc NAME [SED-EXPR]: runs the doc's block NAME in the root with bash -e (its own shell
# lines, word for word; SED-EXPR only for what cannot be the same here: a loopback port, the
# .deb's file name). `systemctl` is a shell function standing in for systemd (prelude below).
run_doc() {
    local name=$1 sedx=${2:-} block
    block=$(doc_block "$name")
    [ -n "$block" ] || { nok "docs/operations.md has a block '<!-- tier: $name -->'"; return 1; }
    [ -n "$sedx" ] && block=$(sed "$sedx" <<<"$block")
    printf '%s\n' "$block" | sed 's/^/   $ /'
    T=900 in_root /bin/bash -euo pipefail -c "$(cat "$tmp/prelude.sh")
$block" >"$tmp/doc-$name.log" 2>&1
    local rc=$?
    [ $rc -eq 0 ] || tail -n 30 "$tmp/doc-$name.log"
    return $rc
}

# ---------------------------------------------------------------------------------------------
step "build the .deb (scripts/package.sh, lintian)"
if [ -n "${HYOKA_DEB:-}" ]; then
    deb=$HYOKA_DEB
else
    deb=$(timeout 600 "$root/scripts/package.sh" "$tmp/deb" | tail -1) || die "scripts/package.sh failed"
fi
[ -f "$deb" ] || die "no .deb ($deb)"
deb_version=$(dpkg-deb -f "$deb" Version)
upstream=${deb_version%-*}
echo "   $deb ($deb_version)"

# ---------------------------------------------------------------------------------------------
step "a fresh Debian 12 root"
# The mirror apt uses here: the first deb.debian.org-style URI of a `bookworm` suite.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^deb[ \t]/ && $3 == "bookworm" { print $2; exit }
         /^URIs:/ { uri = $2 } /^Suites:/ && / bookworm( |$)/ && uri ~ /debian\/?$/ { print uri; exit }')
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
security=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^deb[ \t]/ && $3 == "bookworm-security" { print $2; exit }
         /^URIs:/ { uri = $2 } /^Suites:/ && /bookworm-security/ { print uri; exit }')
[ -n "$security" ] || security=http://deb.debian.org/debian-security
cache=${HYOKA_PKG_CACHE:-/var/cache/hyoka-test}
base=$cache/bookworm-minbase.tar
mkdir -p "$cache"
(
    flock 9
    # A week-old base is made again: its package lists would name versions the mirror dropped.
    if [ -f "$base" ] && [ -z "$(find "$base" -mtime +7)" ]; then exit 0; fi
    log "debootstrap --variant=minbase bookworm from $mirror (once a week; ~1 min)"
    b=$tmp/base
    timeout 900 debootstrap --variant=minbase --include=man-db --cache-dir=/var/cache/apt/archives \
        bookworm "$b" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
        { tail -n 20 "$tmp/debootstrap.log"; exit 1; }
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
        "$mirror" "$mirror" "$security" >"$b/etc/apt/sources.list"
    mount -t proc proc "$b/proc" && trap 'umount "$b/proc"' EXIT
    timeout 300 chroot "$b" apt-get update >"$tmp/update.log" 2>&1 || { cat "$tmp/update.log"; exit 1; }
    chroot "$b" apt-get clean
    umount "$b/proc" && trap - EXIT
    tar -C "$b" -cf "$base.new" . && mv "$base.new" "$base"
    rm -rf --one-file-system "$b"
) 9>"$cache/.lock" || die "could not make the base root (above)"
mkdir "$R"
tar -C "$R" -xf "$base" || die "could not unpack $base"
mount_in "$R/proc" -t proc proc
mount_in "$R/run" -t tmpfs -o mode=0755 tmpfs
mount_in "$R/dev/shm" -t tmpfs -o mode=1777 tmpfs
mount_in "$R/tmp" -t tmpfs -o mode=1777 tmpfs
# The root's own archive folder, seeded with hard links to the host's downloaded packages: apt in
# the root then locks a folder of its own. (A bind mount of the host's folder shared its lock:
# with an apt running on the host, or a second run's package tier, `apt install` failed at once
# with "Could not get lock /var/cache/apt/archives/lock".) Where /tmp is another file system
# nothing is seeded and apt downloads. What the root downloads goes back to the host's cache.
mkdir -p "$R/var/cache/apt/archives/partial"
seeded=$(find /var/cache/apt/archives -maxdepth 1 -name '*.deb' -exec cp -l -n -t "$R/var/cache/apt/archives/" {} + 2>/dev/null
         find "$R/var/cache/apt/archives" -maxdepth 1 -name '*.deb' | wc -l)
log "the root's package cache: $seeded packages linked from the host's"
# The chroot rules: no service starts during an install; apt says yes, and dpkg answers its
# conffile question as its default (keep the administrator's file); downloads as root (the
# host's cache belongs to the host's _apt).
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
printf 'APT::Get::Assume-Yes "true";\nAPT::Sandbox::User "root";\nBinary::apt::APT::Keep-Downloaded-Packages "true";\nDpkg::Options { "--force-confdef"; "--force-confold"; };\nDPkg::Lock::Timeout "300";\n' \
    >"$R/etc/apt/apt.conf.d/90tier-chroot"
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null
# dpkg syncs every file it unpacks; a root thrown away after the test needs no sync (sbuild's
# and mmdebstrap's setting).
echo force-unsafe-io >"$R/etc/dpkg/dpkg.cfg.d/tier-unsafe-io"
# man-db rebuilds its index on every install (a trigger, ~20 s here); `man` needs no index.
echo 'man-db man-db/auto-update boolean false' | in_root debconf-set-selections
T=120 in_root apt-get update >"$tmp/update.log" 2>&1 ||
    { tail -n 3 "$tmp/update.log"; log "apt-get update failed in the root; going on with the base's lists"; }
cp "$deb" "$R/root/"
# What the doc's `systemctl` lines do here (no systemd in a chroot): PostgreSQL and nginx by their
# own tools; hyoka-fcgi by the test itself after the block (from the installed units).
cat >"$tmp/prelude.sh" <<'EOF'
systemctl() {
    case "$*" in
    "reload postgresql") pg_ctlcluster 15 main reload ;;
    # On a real machine nginx runs since its package started it; here the first reload starts it.
    "reload nginx") if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then nginx -s reload; else nginx; fi ;;
    "enable --now hyoka-fcgi.socket"|"restart hyoka-fcgi"|"stop hyoka-fcgi.socket hyoka-fcgi") echo "(the test does: systemctl $*)" ;;
    *) echo "systemctl $*: not in a chroot" >&2; return 1 ;;
    esac
}
htpasswd() { command htpasswd -i "$@" <<<"$HYOKA_TEST_PASSWORD"; } # it would ask on a terminal
cd /root
EOF
printf 'export HYOKA_TEST_PASSWORD=%q\n' "s3cret-$RANDOM" >>"$tmp/prelude.sh"
password=$(sed -n 's/^export HYOKA_TEST_PASSWORD=//p' "$tmp/prelude.sh")
expect_sh "root: Debian $(cat "$R/etc/debian_version"), no hyoka, no PostgreSQL, no nginx" \
    '[ ! -e "$R/usr/bin/hyoka" ] && [ ! -e "$R/usr/sbin/nginx" ] && [ ! -d "$R/etc/postgresql" ]'

# ---------------------------------------------------------------------------------------------
step "install (docs/operations.md: install)"
debname=$(basename "$deb")
run_doc install "s|\./hyoka_[^ ]*\.deb|./$debname|g" ||
    { nok "apt install postgresql nginx ./$debname"; exit 1; }
ok "apt install postgresql nginx ./$debname"
expect "hyoka --version prints the package's version ($upstream)" \
    [ "$(in_root hyoka --version)" = "hyoka $upstream" ]
expect "hyoka-fcgi --version likewise" [ "$(in_root hyoka-fcgi --version)" = "hyoka-fcgi $upstream" ]
expect "... which dpkg-query reports" [ "$(in_root dpkg-query -W -f '${Version}' hyoka)" = "$deb_version" ]
expect "system user hyoka" grep -q '^hyoka:' "$R/etc/passwd"

# PostgreSQL (installed, not started: policy-rc.d): unix socket only, inside the root.
echo "listen_addresses = ''" >"$R/etc/postgresql/15/main/conf.d/tier-no-tcp.conf"
T=60 in_root pg_ctlcluster 15 main start || die "PostgreSQL did not start in the root"

# ---------------------------------------------------------------------------------------------
step "database (docs/operations.md: database, database-peer)"
expect "createdb + hyoka migrate as the owner, as the doc says" run_doc database
expect "... the roles hyoka_web and hyoka_writer exist" \
    [ "$(in_root su postgres -c "psql -X -tAc \"SELECT count(*) FROM pg_roles WHERE rolname IN ('hyoka_web', 'hyoka_writer')\"")" = 2 ]
expect "peer map for the server and root" run_doc database-peer

step "demo data (docs/operations.md: import)"
expect "hyoka import + evaluate" run_doc import

port=$(free_port) && port2=$(free_port) && [ "$port" != "$port2" ] || die "no free ports"
step "nginx (docs/operations.md: nginx-site, nginx-subpath)"
# A site of its own at / (the doc's, on a loopback port instead of port 80) ...
expect "the site at / as the doc writes it" run_doc nginx-site "s/listen 80;/listen 127.0.0.1:$port;/"
# ... and the city's intranet site, which gets hyoka under /hyoka/ with a login.
expect "hyoka under /hyoka/ with auth_basic as the doc says" run_doc nginx-subpath
cat >"$R/etc/nginx/sites-enabled/intranet" <<EOF
# The city's existing intranet site (the test's), with hyoka's sub-path locations added.
server {
    listen 127.0.0.1:$port2;
    root /var/www/html;
    include hyoka-subpath.conf;
}
EOF
expect "nginx -t and reload with the intranet site" eval 'in_root nginx -t -q && in_root nginx -s reload'

# ---------------------------------------------------------------------------------------------
step "units"
unit_key() { # unit_key FILE KEY: the value of KEY= in an installed unit file (last one wins)
    sed -n "s/^$2=//p" "$R/lib/systemd/system/$1" | tail -1
}
listen=$(unit_key hyoka-fcgi.socket ListenStream)
s_user=$(unit_key hyoka-fcgi.socket SocketUser)
s_group=$(unit_key hyoka-fcgi.socket SocketGroup)
s_mode=$(unit_key hyoka-fcgi.socket SocketMode)
d_mode=$(unit_key hyoka-fcgi.socket DirectoryMode)
u=$(unit_key hyoka-fcgi.service User)
g=$(unit_key hyoka-fcgi.service Group)
pre=$(unit_key hyoka-fcgi.service ExecStartPre | sed 's/^[-@+!:]*//')
start=$(unit_key hyoka-fcgi.service ExecStart | sed 's/^[-@+!:]*//')
echo "   socket $listen ($s_user:$s_group $s_mode, folder $d_mode); service as $u:$g: $start"
[ -n "$listen" ] && [ -n "$u" ] && [ -n "$start" ] || die "the installed units lack ListenStream, User or ExecStart"
uid=$(awk -F: -v n="$u" '$1 == n { print $3 }' "$R/etc/passwd")
gid=$(awk -F: -v n="$g" '$1 == n { print $3 }' "$R/etc/group")
s_uid=$(awk -F: -v n="$s_user" '$1 == n { print $3 }' "$R/etc/passwd")
s_gid=$(awk -F: -v n="$s_group" '$1 == n { print $3 }' "$R/etc/group")
as_unit() { # runs a unit's command line in the root as its User/Group, with a clean environment
    chroot --userspec="$uid:$gid" --groups="$gid" "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 $1
}
start_units() {
    mkdir -p -m "${d_mode:-0755}" "$R$(dirname "$listen")"
    rm -f "$R$listen"
    [ -z "$pre" ] || as_unit "$pre" >"$tmp/pre.log" 2>&1 || { cat "$tmp/pre.log"; return 1; }
    # A clean environment, to which systemd-socket-activate adds LISTEN_FDS and LISTEN_PID.
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 systemd-socket-activate -l "$R$listen" \
        chroot --userspec="$uid:$gid" --groups="$gid" "$R" $start >>"$tmp/fcgi.log" 2>&1 &
    fcgi_pid=$!
    for _ in $(seq 1 100); do [ -S "$R$listen" ] && break; sleep 0.05; done
    [ -S "$R$listen" ] || return 1
    chown "$s_uid:$s_gid" "$R$listen" && chmod "$s_mode" "$R$listen"
}
expect "hyoka-fcgi.socket: $listen, started from the installed units" start_units

step "start and check (docs/operations.md: start)"
expect "systemctl enable --now hyoka-fcgi.socket; hyoka doctor: exit 0" run_doc start
expect_sh "... every check ok, none failed" \
    '! grep -q FAIL "$tmp/doc-start.log" && [ "$(grep -c "^ok " "$tmp/doc-start.log")" -ge 8 ]'
expect "... nginx -t among them" grep -q "^ok  *nginx -t: the configuration loads" "$tmp/doc-start.log"
sed 's/^/   /' "$tmp/doc-start.log"

step "fetch through nginx"
# cget CURL-ARGS...: prints the status; the body is in $tmp/body (its start on stderr if not 2xx/401).
cget() {
    local c
    c=$(curl -s -m 10 -o "$tmp/body" -w '%{http_code}' "$@")
    case "$c" in 2??|401) ;; *) echo "   ${*: -1}: $c $(head -c 300 "$tmp/body")" >&2 ;; esac
    echo "$c"
}
code=$(cget "http://127.0.0.1:$port/")
expect_sh "/ : the dashboard (200)" '[ "$code" = 200 ] && grep -q "src=\"app.js\"" "$tmp/body"'
code=$(cget "http://127.0.0.1:$port/api/v1/summary")
expect_sh "/api/v1/summary (200, JSON from the demo's run)" '[ "$code" = 200 ] && grep -q "\"survey\"" "$tmp/body"'
cp "$tmp/body" "$tmp/summary-root"
code=$(cget "http://127.0.0.1:$port2/hyoka/")
expect "/hyoka/ without a login: 401" [ "$code" = 401 ]
code=$(cget "http://127.0.0.1:$port2/hyoka/api/v1/summary")
expect "/hyoka/api/v1/summary without a login: 401" [ "$code" = 401 ]
code=$(cget -u "alice:wrong" "http://127.0.0.1:$port2/hyoka/api/v1/summary")
expect "... with a wrong password: 401" [ "$code" = 401 ]
code=$(cget -u "alice:$password" "http://127.0.0.1:$port2/hyoka/")
expect_sh "/hyoka/ as alice: the dashboard (200)" '[ "$code" = 200 ] && grep -q "src=\"app.js\"" "$tmp/body"'
code=$(cget -u "alice:$password" "http://127.0.0.1:$port2/hyoka/app.js")
expect "/hyoka/app.js as alice (200)" [ "$code" = 200 ]
code=$(cget -u "alice:$password" "http://127.0.0.1:$port2/hyoka/api/v1/summary")
expect_sh "/hyoka/api/v1/summary as alice: the same summary as at / (200)" \
    '[ "$code" = 200 ] && cmp -s "$tmp/body" "$tmp/summary-root"'


# ---------------------------------------------------------------------------------------------
step "man pages"
in_root man -P cat hyoka >"$tmp/man" 2>&1
expect_sh "man hyoka: the manual (NAME, migrate, doctor)" \
    'grep -q "^NAME" "$tmp/man" && grep -q "migrate" "$tmp/man" && grep -q "doctor" "$tmp/man"'
in_root man -L ja -P cat hyoka >"$tmp/man-ja" 2>&1
expect "man -L ja hyoka: the Japanese manual" grep -q "総合計画" "$tmp/man-ja"
expect "man 8 hyoka-fcgi" eval 'in_root man -P cat 8 hyoka-fcgi 2>&1 | grep -q "^NAME"'
expect "man 5 hyoka-rules" eval 'in_root man -P cat 5 hyoka-rules 2>&1 | grep -q "^NAME"'

# ---------------------------------------------------------------------------------------------
step "reinstall and upgrade with an edited conffile (docs/operations.md: upgrade)"
rules=/etc/hyoka/rules/default.cfg
expect "$rules is a conffile" eval 'in_root dpkg-query -W -f "\${Conffiles}\n" hyoka | grep -q " $rules "'
printf '\n# edited by the planners (the package tier)\n' >>"$R$rules"
edited=$(sha256sum <"$R$rules")
in_root dpkg -i "/root/$debname" >"$tmp/reinstall.log" 2>&1
expect "dpkg -i the same package again: exit 0" [ $? -eq 0 ]
expect "... the edited $rules is kept" [ "$(sha256sum <"$R$rules")" = "$edited" ]
# The next version: the same files, a higher version, and the package's own rules file changed
# too, so that dpkg has to choose between the two (the tier's apt.conf answers as the default:
# keep the administrator's, the package's beside it as .dpkg-dist).
next=${deb_version}+tier1
rm -rf "$tmp/next" && dpkg-deb -R "$deb" "$tmp/next"
sed -i "s/^Version: .*/Version: $next/" "$tmp/next/DEBIAN/control"
printf '\n# the next version of the shipped rules\n' >>"$tmp/next$rules"
(cd "$tmp/next" && sed -i "s|^[0-9a-f]*  ${rules#/}\$|$(md5sum "${rules#/}" | cut -d' ' -f1)  ${rules#/}|" DEBIAN/md5sums)
nextname=hyoka_${next}_$(dpkg-deb -f "$deb" Architecture).deb
dpkg-deb -b "$tmp/next" "$R/root/$nextname" >/dev/null || die "could not make the next version"
stop_fcgi # the package restarts a running server; the test restarts it after the block
# A database one migration behind, as an older package leaves it (sql/017, the newest, is
# self-contained: one function and its grant):
# the upgrade's postinst must migrate it before the server restarts (docs/operations.md: upgrade).
in_root su postgres -c "psql -X -q -v ON_ERROR_STOP=1 -d hyoka -c 'BEGIN; DROP FUNCTION hyoka_import_analyze(); DELETE FROM schema_migrations WHERE version = 17; COMMIT'" ||
    nok "could not take the database back to schema version 16"
schema_version() { in_root su postgres -c "psql -X -tAc 'SELECT max(version) FROM schema_migrations' hyoka"; }
expect "... the database is at schema version 16 before the upgrade" [ "$(schema_version)" = 16 ]
expect "apt install the next version, doctor, as the doc says" \
    run_doc upgrade "s|\./hyoka_[^ ]*\.deb|./$nextname|g"
expect "... postinst migrated the database itself (schema version 17 again), saying so" \
    eval '[ "$(schema_version)" = 17 ] &&
        grep -q "hyoka: migrating the database hyoka (as postgres) before hyoka-fcgi restarts" "$tmp/doc-upgrade.log"'
expect "... in its postinst the migration precedes every restart (debhelper's socket restart, try-restart)" \
    awk '/^[[:space:]]*migrate_local$/ && !m { m = NR } /deb-systemd-invoke .*(restart|_dh_action)/ && !r { r = NR }
         END { exit !(m && r && m < r) }' "$R/var/lib/dpkg/info/hyoka.postinst"
expect "... the package recommends locales (ja_JP.UTF-8 for Japanese messages)" \
    eval 'in_root dpkg-query -W -f "\${Recommends}\n" hyoka | grep -qw locales'
expect "... dpkg-query says $next" [ "$(in_root dpkg-query -W -f '${Version}' hyoka)" = "$next" ]
expect "... the edited $rules is kept" [ "$(sha256sum <"$R$rules")" = "$edited" ]
expect "... the package's new one is beside it ($rules.dpkg-dist)" \
    grep -q "the next version of the shipped rules" "$R$rules.dpkg-dist"
expect "... hyoka --version still $upstream" [ "$(in_root hyoka --version)" = "hyoka $upstream" ]
expect "hyoka-fcgi started again from the units" start_units
code=$(cget "http://127.0.0.1:$port/api/v1/summary")
expect_sh "/api/v1/summary after the upgrade: the same summary (200)" \
    '[ "$code" = 200 ] && cmp -s "$tmp/body" "$tmp/summary-root"'

# ---------------------------------------------------------------------------------------------
step "purge (docs/operations.md: purge)"
sed -i '/include hyoka-subpath.conf;/d' "$R/etc/nginx/sites-enabled/intranet"
stop_fcgi # `systemctl stop hyoka-fcgi.socket hyoka-fcgi`
expect "rm the site, reload nginx, stop, apt purge hyoka, as the doc says" run_doc purge
expect "dpkg knows no hyoka any more (not even its conffiles)" \
    eval '! in_root dpkg-query -W -f "\${Status}\n" hyoka 2>/dev/null | grep -q .'
left=$(cd "$R" && for p in etc/hyoka usr/share/hyoka var/lib/hyoka usr/share/doc/hyoka usr/bin/hyoka \
    usr/sbin/hyoka-fcgi lib/systemd/system/hyoka-fcgi.service lib/systemd/system/hyoka-fcgi.socket \
    etc/nginx/conf.d/hyoka.conf etc/nginx/snippets/hyoka.conf etc/nginx/snippets/hyoka-api.conf \
    usr/share/man/man1/hyoka.1.gz usr/share/man/ja/man1/hyoka.1.gz; do [ -e "$p" ] && echo "/$p"; done)
expect "nothing of the package is left (${left:-none})" [ -z "$left" ]
# Everything named hyoka in the root, but the database's files, the packages we copied in and
# man-db's cache of the pages `man` formatted above (man-db's own: its daily mandb drops them).
find "$R" -xdev \( -path "$R/var/lib/postgresql" -o -path "$R/proc" \) -prune -o -iname '*hyoka*' -print |
    sed "s|^$R||" | grep -v '^/root/hyoka_.*\.deb$' | sort >"$tmp/left-all"
grep -v '^/var/cache/man/' "$tmp/left-all" >"$tmp/left"
echo "   man-db's cache: $(grep '^/var/cache/man/' "$tmp/left-all" | tr '\n' ' ')"
echo "   what is left, named hyoka (the administrator's own files):"
sed 's/^/     /' "$tmp/left"
expect "... only the administrator's: the site, the htpasswd file" \
    [ "$(tr '\n' ' ' <"$tmp/left")" = "/etc/nginx/hyoka.htpasswd /etc/nginx/sites-available/hyoka " ]
expect "nothing under /etc/systemd or /var/lib/systemd names hyoka-fcgi" \
    eval '! grep -rqs hyoka-fcgi "$R/etc/systemd" "$R/var/lib/systemd" && ! find "$R/etc/systemd" "$R/var/lib/systemd" -name "*hyoka*" 2>/dev/null | grep -q .'
echo "   what Debian keeps: the system user ($(grep '^hyoka:' "$R/etc/passwd")) and the database"
expect "the system user hyoka stays (Debian does not remove system users)" grep -q '^hyoka:' "$R/etc/passwd"
expect "nginx -t still passes without hyoka" in_root nginx -t -q
step ""
echo
echo "$passed passed, $failed failed ($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s)"
[ "$failed" -eq 0 ]
