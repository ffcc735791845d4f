-- 012_attach_lock.sql - a run's partition is attached under an ACCESS EXCLUSIVE lock on
-- evaluation_results, so that no session builds its partition list while the attach commits.
--
-- ATTACH PARTITION takes only SHARE UPDATE EXCLUSIVE on the parent, which does not conflict with
-- a reader's ACCESS SHARE: a session may build its cached partition list (relcache) of
-- evaluation_results from a catalog snapshot taken just before the attach committed, and then
-- loses the attach's invalidation. Its list then lacks the new run's partition until the next
-- attach, however often it asks: every read of that run finds no rows. PostgreSQL 15 does this to
-- sessions that read evaluation_results for the first time while a run commits. Measured with
-- pgbench -C (a new session per script: read the newest published run's row count, compare with
-- its total) against 400 runs attached 20 ms apart: all 4 clients saw a published run with 0 of
-- its 100 rows within 15 s, in each of 3 trials (2 of them publishing as sql/010 does); hyoka-fcgi saw it as "run N: 0 of its 105 results
-- could be read" (503) after a worker was replaced while runs were stored. With the lock below:
-- 0 of ~1,700 scripts in 3 trials. sql/010's publication does not help: the session that went
-- stale did so before the run was published, and stays stale after.
--
-- ACCESS EXCLUSIVE conflicts with every reader, so PostgreSQL's own protocol holds again: a reader
-- that opens evaluation_results waits until the attaching transaction has committed and sent its
-- invalidations (locks are released after them), and then reads them before it builds anything.
-- The lock is taken at the end of the run's transaction, right before ATTACH, and held for the
-- ATTACH and the COMMIT (milliseconds); readers already running are waited for, new ones queue.
--
-- Lock order: ATTACH takes SHARE ROW EXCLUSIVE on the tables the results reference (it clones
-- their foreign keys). Those are taken first, as ATTACH would, and evaluation_results after them:
-- a writer that held evaluation_results and then waited for initiatives could deadlock with an
-- import whose foreign-key check waits for evaluation_results while it holds initiatives.

CREATE OR REPLACE FUNCTION hyoka_results_close(run bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    part text := hyoka_results_partition(run);
BEGIN
    IF NOT hyoka_run_is_own(run) OR to_regclass(part) IS NULL THEN
        RAISE EXCEPTION 'run % has no open results table in this transaction', run
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('REVOKE INSERT ON %I FROM hyoka_writer', part);
    LOCK TABLE initiatives, evaluation_runs IN SHARE ROW EXCLUSIVE MODE;
    LOCK TABLE evaluation_results IN ACCESS EXCLUSIVE MODE;
    EXECUTE format('ALTER TABLE evaluation_results ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
                   part, run, run + 1);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_run');
END;
$$;

REVOKE EXECUTE ON FUNCTION hyoka_results_close(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hyoka_results_close(bigint) TO hyoka_writer;
