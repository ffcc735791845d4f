-- 013_attach_wait.sql - a run waiting to attach its partition never holds up the readers.
--
-- sql/012 takes ACCESS EXCLUSIVE on evaluation_results for the attach. A lock request queues:
-- while it waits (behind a reader in a long transaction - a large CSV export - or an
-- administrator's lock), every new reader of evaluation_results queues behind it, and hyoka-fcgi
-- stops answering until the long transaction ends. The chaos tier saw this: with a session holding
-- evaluation_results, an evaluation that reached its attach blocked a plain count(*) until that
-- count was cancelled by its statement_timeout.
--
-- So the lock is asked for in short attempts (ATTACH_TRY, under a local lock_timeout), with a pause
-- between them in which the readers queued behind the attempt get their locks and go on. A reader
-- waits for at most one attempt; the writer keeps trying until it has the lock. Its whole wait is
-- bounded by the lock_timeout its session had (none by default, as a plain LOCK), and then fails
-- with lock_not_available, as a plain LOCK would. Readers take their locks for milliseconds, so an
-- attempt normally succeeds at once.

CREATE OR REPLACE FUNCTION hyoka_results_close(run bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    part text := hyoka_results_partition(run);
    attach_try CONSTANT text := '200ms';       -- the longest a reader waits for the attach's queue
    attach_pause CONSTANT float8 := 0.05;      -- seconds between attempts: the readers go on
    saved text := current_setting('lock_timeout');
    bound interval;
    started timestamptz := clock_timestamp();
    tries int := 0;
BEGIN
    IF NOT hyoka_run_is_own(run) OR to_regclass(part) IS NULL THEN
        RAISE EXCEPTION 'run % has no open results table in this transaction', run
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('REVOKE INSERT ON %I FROM hyoka_writer', part);
    -- As sql/012: the referenced tables first, as ATTACH takes them (no reader conflicts with these).
    LOCK TABLE initiatives, evaluation_runs IN SHARE ROW EXCLUSIVE MODE;
    -- current_setting gives lock_timeout with its unit ('700ms', '2s', '1min'), or '0' for none.
    bound := CASE WHEN saved = '0' THEN NULL ELSE saved::interval END;
    LOOP
        BEGIN
            PERFORM set_config('lock_timeout', attach_try, true);
            LOCK TABLE evaluation_results IN ACCESS EXCLUSIVE MODE;
            EXIT;
        EXCEPTION WHEN lock_not_available THEN
            tries := tries + 1;
            IF bound IS NOT NULL AND clock_timestamp() - started >= bound THEN
                RAISE EXCEPTION 'run %: evaluation_results stayed locked by other sessions for % (% attempts); the run is not stored',
                                run, clock_timestamp() - started, tries
                    USING ERRCODE = 'lock_not_available',
                          HINT = 'a long transaction reads or locks evaluation_results (see pg_locks); store the run again once it has ended';
            END IF;
        END;
        PERFORM pg_sleep(attach_pause);
    END LOOP;
    PERFORM set_config('lock_timeout', saved, true);
    EXECUTE format('ALTER TABLE evaluation_results ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
                   part, run, run + 1);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_run');
END;
$$;

REVOKE EXECUTE ON FUNCTION hyoka_results_close(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hyoka_results_close(bigint) TO hyoka_writer;
