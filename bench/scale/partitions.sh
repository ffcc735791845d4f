#!/usr/bin/env bash
# bench/scale/partitions.sh - what hyoka's one partition of evaluation_results per run (sql/005)
# costs when the runs of many cities share one table: for P partitions (default 20 200 2000), the
# time of a request's query on one run (pgbench, 2 clients, SECONDS s, a random run each time;
# -M simple: planned each time, as store_read's per-run queries are, and -M prepared) and the
# memory of one session that has read every run once. Each partition holds ITEMS rows (an Izumo
# run). Loopback, a throwaway cluster, stopped at exit. A benchmark: fails only if a command fails.
#   bench/scale/partitions.sh [P...]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/lib.sh"
ITEMS=105
SECONDS_EACH=${HYOKA_TENANCY_SECONDS:-10}
ps_=("${@:-20 200 2000}")
read -ra ps_ <<<"${ps_[*]}"
dir=$(mktemp -d /tmp/hyoka-partitions-XXXXXX)
trap 'pg_stop "$dir"; rm -rf "$dir"' EXIT
pg_start "$dir" >/dev/null 2>&1 || die "postgres did not start"
q() { psql -qAtX -v ON_ERROR_STOP=1 "$@"; }
q -c "CREATE TABLE results (run int NOT NULL, code text NOT NULL, category smallint NOT NULL,
      title text NOT NULL, PRIMARY KEY (run, code)) PARTITION BY RANGE (run)" >/dev/null
made=0
printf '%11s %12s %10s %14s %10s %12s\n' partitions simple_req_s latency_ms prepared_req_s latency_ms session_MB
for p in "${ps_[@]}"; do
    for ((from = made + 1; from <= p; from += 100)); do
        to=$((from + 99 > p ? p : from + 99))
        q <<SQL >/dev/null || die "creating partitions $from..$to failed"
DO \$\$ BEGIN
  FOR r IN $from .. $to LOOP
    EXECUTE format('CREATE TABLE results_%s PARTITION OF results FOR VALUES FROM (%s) TO (%s)', r, r, r + 1);
    EXECUTE format('INSERT INTO results_%s SELECT %s, ''I-'' || i, i %% 3, repeat(''施策'', 20) FROM generate_series(1, $ITEMS) i', r, r);
  END LOOP;
END \$\$;
SQL
    done
    made=$p
    q -c "VACUUM ANALYZE results" >/dev/null
    printf '\\set r random(1, %s)\nSELECT category, count(*) FROM results WHERE run = :r GROUP BY category;\n' "$p" >"$dir/q.sql"
    row=$(printf '%11s' "$p")
    for mode in simple prepared; do
        pgbench -n -M "$mode" -c 2 -j 2 -T "$SECONDS_EACH" -f "$dir/q.sql" >"$dir/pgbench.log" 2>&1 ||
            { cat "$dir/pgbench.log" >&2; die "pgbench failed"; }
        tps=$(grep -oE 'tps = [0-9.]+' "$dir/pgbench.log" | awk '{printf "%.0f", $3}')
        lat=$(grep -oE 'latency average = [0-9.]+' "$dir/pgbench.log" | awk '{print $4}')
        row+=$(printf ' %12s %10s' "$tps" "$lat")
    done
    for ((r = 1; r <= p; r++)); do echo "SELECT count(*) FROM results WHERE run = $r;"; done >"$dir/touch.sql"
    echo "SELECT round(sum(total_bytes) / 1048576.0, 1) FROM pg_backend_memory_contexts;" >>"$dir/touch.sql"
    printf '%s %12s\n' "$row" "$(q -f "$dir/touch.sql" | tail -1)"
done
