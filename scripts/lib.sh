# lib.sh - shell helpers shared by the demo, the tests and the benchmarks (source it; bash only).
# Every server started here listens on loopback only, lives in a directory the caller names, and is
# stopped by the PID it wrote there.

HYOKA_ROOT=${HYOKA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

log() { printf '%s %s\n' "[$(date +%H:%M:%S)]" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on, from 20000 up to the start of
# the kernel's ephemeral range (32768 by default): a port in that range can be taken as the local
# port of any outgoing connection (psql, curl) between this check and the server's bind.
free_port() {
    local p lo=20000 hi=32767 first
    first=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null) &&
        [ "$first" -gt $((lo + 1000)) ] 2>/dev/null && hi=$((first - 1))
    for _ in $(seq 1 200); do
        p=$((lo + RANDOM % (hi - lo + 1)))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# as_pg CMD...: runs a command as the postgres user when we are root (initdb refuses root).
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# pg_start DIR [PORT]: creates (if needed) and starts a throwaway cluster in DIR/pgdata, listening
# on 127.0.0.1:PORT and a socket in DIR/pgsock. Exports PGHOST, PGPORT, PGUSER, PGDATABASE for the
# superuser connection, and writes DIR/pg.env with the same. Database `hyoka` exists afterwards.
# On failure says why on stderr and returns 1 (the caller decides whether that ends it).
pg_start() {
    local dir=$1 port=${2:-}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ -n "$port" ] || port=$(free_port) || { log "error: no free port"; return 1; }
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
        chmod 755 "$dir"
        # Every parent must be traversable by the postgres user.
        local d=$dir
        while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
    fi
    mkdir -p "$dir/pgsock"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/pgsock"
    if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
        as_pg "$PG_BIN/initdb" -D "$dir/pgdata" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth=trust >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; log "error: initdb failed"; return 1; }
    fi
    # free_port cannot reserve the port: another program (a test tier of a second checkout, say)
    # may bind it first. Then postgres says so in its log, and a port we chose is chosen again;
    # any other failure, or a port the caller named, ends here.
    local attempt
    for attempt in 1 2 3 4 5; do
        rm -f "$dir/postgres.log"
        as_pg "$PG_BIN/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir/pgsock -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null && break
        if [ -z "${2:-}" ] && [ "$attempt" -lt 5 ] &&
            grep -q 'could not bind\|Address already in use\|could not create any TCP/IP sockets' "$dir/postgres.log"; then
            log "port $port was taken before postgres bound it; choosing another"
            port=$(free_port) || { log "error: no free port"; return 1; }
            continue
        fi
        tail -20 "$dir/postgres.log" >&2
        log "error: postgres did not start"
        return 1
    done
    export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=hyoka
    unset PGPASSWORD PGSERVICE
    cat >"$dir/pg.env" <<ENV
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=hyoka
ENV
    psql -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'hyoka'" | grep -q 1 ||
        psql -q -d postgres -c "CREATE DATABASE hyoka" >/dev/null
    log "postgres on 127.0.0.1:$port (data $dir/pgdata)"
}

# pg_stop DIR: stops the cluster in DIR/pgdata by its postmaster.pid (fast shutdown).
pg_stop() {
    local dir=$1
    [ -f "$dir/pgdata/postmaster.pid" ] || return 0
    as_pg "$PG_BIN/pg_ctl" -D "$dir/pgdata" -m fast -w -t 30 stop >/dev/null 2>&1 || {
        local pid
        pid=$(head -1 "$dir/pgdata/postmaster.pid" 2>/dev/null)
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
    }
    return 0
}

# stop_pidfile FILE [SECONDS] [NAME]: SIGTERM the PID in FILE, wait, then SIGKILL if still there.
# With NAME, only a process whose name (/proc/PID/comm) is NAME is signalled: a PID file left by a
# process that already ended may name a PID the kernel has since given to another program (PIDs
# wrap at 32768 here), which must never be killed. The file is removed once the process is gone.
stop_pidfile() {
    local f=$1 t=${2:-10} name=${3:-} pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f" 2>/dev/null)
    rm -f "$f"
    [ -n "$pid" ] || return 0
    if [ -n "$name" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$name" ]; then
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 $((t * 10))); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}
