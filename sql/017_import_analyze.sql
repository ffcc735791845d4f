-- 017_import_analyze.sql - an import that changes a large share of a table brings that table's
-- statistics up to date before it commits, so that the next query plans with them.
--
-- Why (bench/data/where.sh and an import of 20,000 generated initiatives followed at once by
-- `hyoka evaluate`): the tables' statistics still described the empty tables, and the facts
-- view was planned as nested loops over them; each half of the survey then took more than 30 s
-- (two `SELECT f.* FROM evaluation_facts` active for 8 s and counting, pg_stat_activity), the
-- half that finished first sat idle in its transaction and was ended by the evaluation's own
-- idle_in_transaction_session_timeout (store.c, database.lock_wait): `hyoka evaluate: reading
-- titles and departments: terminating connection due to idle-in-transaction timeout`. After
-- ANALYZE the same evaluation took seconds. Autovacuum analyzes such a table too, but up to
-- autovacuum_naptime (1 min) later and not on a busy server's schedule: an import followed by an
-- evaluation - what every survey round does - falls into that window.
--
-- The rule is autovacuum's own (autovacuum_analyze_threshold 50 + autovacuum_analyze_scale_factor
-- 0.1 of the table's estimated rows), applied to the rows this transaction inserted or updated
-- (pg_stat_get_xact_*), so that a small import into a large installation analyzes nothing.
-- Locks: ANALYZE holds SHARE UPDATE EXCLUSIVE on the table until the import commits; readers
-- (ACCESS SHARE) do not conflict with it; an evaluation attaching its run or a CREATE INDEX
-- already waits for the import's ROW EXCLUSIVE (its INSERTs); a manual VACUUM of that table now
-- waits for the import too, and autovacuum gives way as it does for any lock.
-- ANALYZE needs the table's owner: hyoka_writer calls this SECURITY DEFINER function, which
-- analyzes only the tables an import writes.

CREATE FUNCTION hyoka_import_analyze() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    t regclass;
    n integer := 0;
BEGIN
    FOR t IN
        SELECT c.oid::regclass
          FROM pg_class c
         WHERE c.oid IN (SELECT to_regclass(name) FROM unnest(ARRAY[
                   'plans', 'measures', 'departments', 'initiatives', 'initiative_departments',
                   'milestones', 'surveys', 'progress_reports', 'kpis', 'kpi_initiatives',
                   'kpi_values', 'projects', 'report_texts']) AS name)
           AND pg_stat_get_xact_tuples_inserted(c.oid) + pg_stat_get_xact_tuples_updated(c.oid)
               > 50 + 0.1 * greatest(c.reltuples, 0)
         ORDER BY c.oid
    LOOP
        EXECUTE format('ANALYZE %s', t);
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;

COMMENT ON FUNCTION hyoka_import_analyze() IS
    'ANALYZE the import tables this transaction changed by more than autovacuum''s analyze '
    'threshold (50 rows + 10 % of the table); returns how many (sql/017)';

REVOKE EXECUTE ON FUNCTION hyoka_import_analyze() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hyoka_import_analyze() TO hyoka_writer;
