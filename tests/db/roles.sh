# roles.sh - tests/db's check of sql/008 (sourced by run.sh, whose helpers it uses): in a database
# of its own with the demo data and a stored run, tries every forbidden action for real as
# hyoka_web and as hyoka_reader (roles.sql), each while live sessions of the other roles exist.

sql postgres "CREATE DATABASE roles" >/dev/null
PGDATABASE=roles hy migrate
expect "roles: migrate" [ "$rc" -eq 0 ]
PGDATABASE=roles PGUSER=hyoka_writer hy import "$root"/config/demo/*.csv
expect "roles: demo data imported as hyoka_writer" [ "$rc" -eq 0 ]
PGDATABASE=roles PGUSER=hyoka_writer hy evaluate --format json
expect "roles: a run stored as hyoka_writer (its results table is a partition)" [ "$rc" -eq 0 ]
psql -X -q -v ON_ERROR_STOP=1 -d roles -f "$here/roles_attempt.sql" >"$tmp/out" 2>&1
expect "roles: hyoka_test.attempt created" [ $? -eq 0 ]

# A psql session of each role that lasts until its input is closed: all three are started
# before any fifo is opened here, so that none inherits another's input and each sees its EOF.
declare -A pids ins jobs
roles="hyoka_web hyoka_reader hyoka_writer"
for role in $roles; do
    rm -f "$tmp/session-$role".{in,out}
    mkfifo "$tmp/session-$role".{in,out}
    psql -X -qtA -U "$role" -d roles <"$tmp/session-$role.in" >"$tmp/session-$role.out" 2>&1 &
    jobs[$role]=$!
done
for role in $roles; do
    exec {fd}>"$tmp/session-$role.in"
    ins[$role]=$fd
    exec {out}<"$tmp/session-$role.out"
    echo 'SELECT pg_backend_pid();' >&"$fd"
    pids[$role]=
    read -r -t 30 "pids[$role]" <&"$out"
    exec {out}<&-
    expect "roles: a live session of $role" eval '[[ "${pids[$role]}" =~ ^[0-9]+$ ]]'
done

for role in hyoka_web hyoka_reader; do
    others=
    for other in "${!pids[@]}"; do
        [ "$other" = "$role" ] || others=$others${others:+,}$other:${pids[$other]}
    done
    if psql -X -qtA -v ON_ERROR_STOP=1 -v others="$others" -U "$role" -d roles -f "$here/roles.sql" \
        >"$tmp/roles.out" 2>&1; then
        n=0
        while IFS='|' read -r name result; do
            n=$((n + 1))
            if [ "$result" = ok ]; then ok "$role: $name"; else nok "$role: $name: $result"; fi
        done <"$tmp/roles.out"
        expect "$role: every check ran ($n)" [ "$n" -ge 100 ]
    else
        nok "$role: roles.sql: $(head -c 300 "$tmp/roles.out")"
    fi
done

for role in $roles; do
    expect "roles: the $role session outlived every attempt" \
        [ "$(sql roles "SELECT count(*) FROM pg_stat_activity WHERE pid = ${pids[$role]}")" = 1 ]
    fd=${ins[$role]}
    exec {fd}>&-
    wait "${jobs[$role]}"
done
