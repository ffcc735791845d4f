#!/usr/bin/env bash
# bench/scale/tenancy.sh - what one PostgreSQL pays per city under the two ways of keeping cities
# apart that run on plain PostgreSQL (docs/scale.md "Tenancy"):
#   schema   one schema per city with a copy of every table of hyoka's schema (`hyoka migrate`
#            into public, then CREATE TABLE ... (LIKE public.t INCLUDING ALL) per city), and the
#            city's results in a table of its own (items: 2 runs x ITEMS initiatives);
#   column   one set of tables, a city column first in the key and row-level security
#            (USING (city = current_setting('hyoka.city')::int)) for a role without BYPASSRLS.
# For N cities (default 10 100 1000, each Izumo-sized: ITEMS = 105 initiatives, the demo's):
# the catalog (pg_class rows, database size), the time to create the cities, a request's query
# (one city's category counts of its current run, a random city each time: pgbench, 2 clients,
# SECONDS s) and the memory of one database session that has read every city once (the sum of
# pg_backend_memory_contexts: a hyoka-fcgi worker's session reads every city it serves).
# Loopback, a throwaway cluster in a mktemp folder, stopped at exit. A benchmark: fails only if a
# command fails.   bench/scale/tenancy.sh [N...]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/lib.sh"
: "${HYOKA_BUILD:=$root/build}"
ITEMS=105
SECONDS_EACH=${HYOKA_TENANCY_SECONDS:-10}
ns=("${@:-10 100 1000}")
read -ra ns <<<"${ns[*]}"

dir=$(mktemp -d /tmp/hyoka-tenancy-XXXXXX)
trap 'pg_stop "$dir"; rm -rf "$dir"' EXIT
pg_start "$dir" >/dev/null 2>&1 || die "postgres did not start"
cat >"$dir/admin.cfg" <<CFG
database = { conninfo = ""; };
CFG
"$HYOKA_BUILD/cli/hyoka" --config "$dir/admin.cfg" migrate >"$dir/migrate.log" 2>&1 ||
    { cat "$dir/migrate.log" >&2; die "hyoka migrate failed"; }
tables=$(psql -qAtX -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
log "hyoka's schema: $tables tables in public"
q() { psql -qAtX -v ON_ERROR_STOP=1 "$@"; }

# The column design's tables, the bench role, the policy.
q <<'SQL' >/dev/null
CREATE ROLE tenancy_web LOGIN NOBYPASSRLS;
CREATE TABLE mc_items (city int NOT NULL, run int NOT NULL, code text NOT NULL,
                       category smallint NOT NULL, title text NOT NULL,
                       PRIMARY KEY (city, run, code));
ALTER TABLE mc_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_city ON mc_items USING (city = current_setting('hyoka.city')::int);
GRANT SELECT ON mc_items TO tenancy_web;
GRANT USAGE ON SCHEMA public TO tenancy_web;
SQL

made=0
ms() { date +%s%3N; }
printf '%-8s %6s %9s %10s %11s %12s %10s %12s\n' design cities pg_class db_MB create_s req_per_s latency_ms session_MB
for n in "${ns[@]}"; do
    # schema per city: cities made+1 .. n, 50 to a transaction (all in one ran out of lock
    # slots at 221 cities: "out of shared memory", max_locks_per_transaction; so would a
    # migration of every city's schema in one transaction)
    t0=$(ms)
    for ((from = made + 1; from <= n; from += 50)); do
        to=$((from + 49 > n ? n : from + 49))
        PGOPTIONS="-c tenancy.from=$from -c tenancy.to=$to -c tenancy.items=$ITEMS" q <<'SQL' >/dev/null || die "creating cities $from..$to failed"
DO $$
DECLARE c int; t text;
BEGIN
  FOR c IN current_setting('tenancy.from')::int .. current_setting('tenancy.to')::int LOOP
    EXECUTE format('CREATE SCHEMA c_%s', c);
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'mc_items' LOOP
      EXECUTE format('CREATE TABLE c_%s.%I (LIKE public.%I INCLUDING ALL)', c, t, t);
    END LOOP;
    EXECUTE format('CREATE TABLE c_%s.items (run int NOT NULL, code text NOT NULL,
                    category smallint NOT NULL, title text NOT NULL, PRIMARY KEY (run, code))', c);
    EXECUTE format('INSERT INTO c_%s.items SELECT r, ''I-'' || i, i %% 3, repeat(''施策'', 20)
                    FROM generate_series(1, 2) r, generate_series(1, %s) i', c,
                   current_setting('tenancy.items'));
    EXECUTE format('GRANT USAGE ON SCHEMA c_%s TO tenancy_web', c);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA c_%s TO tenancy_web', c);
  END LOOP;
END $$;
SQL
    done
    t_schema=$(( $(ms) - t0 ))
    t0=$(ms)
    q <<SQL >/dev/null
INSERT INTO mc_items SELECT c, r, 'I-' || i, i % 3, repeat('施策', 20)
FROM generate_series($((made + 1)), $n) c, generate_series(1, 2) r, generate_series(1, $ITEMS) i
ORDER BY c, r, i; -- a run's results are stored together, by one evaluation
ANALYZE mc_items;
SQL
    t_column=$(( $(ms) - t0 ))
    made=$n
    q -c "VACUUM ANALYZE" >/dev/null
    classes=$(q -c "SELECT count(*) FROM pg_class")
    dbmb=$(q -c "SELECT pg_database_size(current_database()) / 1048576")

    # a request: one random city's current run, category counts
    cat >"$dir/schema.sql" <<SQL
\\set c random(1, $n)
SET search_path = c_:c;
SELECT category, count(*) FROM items WHERE run = 2 GROUP BY category;
SQL
    cat >"$dir/column.sql" <<SQL
\\set c random(1, $n)
SET hyoka.city = :c;
SELECT category, count(*) FROM mc_items WHERE run = 2 GROUP BY category;
SQL
    for design in schema column; do
        pgbench -n -M simple -U tenancy_web -c 2 -j 2 -T "$SECONDS_EACH" -f "$dir/$design.sql" \
            >"$dir/pgbench-$design.log" 2>&1 || { cat "$dir/pgbench-$design.log" >&2; die "pgbench failed"; }
        tps=$(grep -oE 'tps = [0-9.]+' "$dir/pgbench-$design.log" | awk '{printf "%.0f", $3}')
        lat=$(grep -oE 'latency average = [0-9.]+' "$dir/pgbench-$design.log" | awk '{print $4}')
        # one session reads every city once (a statement each, autocommit: as a worker's
        # requests do), then says how much memory it holds
        for ((c = 1; c <= n; c++)); do
            if [ "$design" = schema ]; then
                echo "SELECT count(*) FROM c_$c.items WHERE run = 2; SELECT count(*) FROM c_$c.initiatives;"
            else
                echo "SET hyoka.city = $c; SELECT count(*) FROM mc_items WHERE run = 2; SELECT count(*) FROM initiatives;"
            fi
        done >"$dir/touch.sql"
        echo "SELECT round(sum(total_bytes) / 1048576.0, 1) FROM pg_backend_memory_contexts;" >>"$dir/touch.sql"
        mem=$(q -f "$dir/touch.sql" | tail -1)
        created=$t_schema
        [ "$design" = column ] && created=$t_column
        printf '%-8s %6s %9s %10s %11s %12s %10s %12s\n' "$design" "$n" "$classes" "$dbmb" \
            "$(awk -v m="$created" 'BEGIN{printf "%.1f", m/1000}')" "$tps" "$lat" "$mem"
    done
done
