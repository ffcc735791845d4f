-- 010_run_publication.sql - a stored run becomes readable when it is published, after its
-- transaction has ended, not when its row commits.
--
-- A run's results are a partition of their own, attached in the run's transaction (sql/005).
-- ATTACH takes only SHARE UPDATE EXCLUSIVE on evaluation_results, which does not conflict with a
-- reader's ACCESS SHARE, and PostgreSQL makes a transaction's rows visible to others (ProcArray)
-- a moment before it sends the catalog invalidations of that transaction. In that window another
-- session sees the new row of evaluation_runs but still plans evaluation_results from its cached
-- partition list, without the new partition: the run reads as having no results. hyoka-fcgi saw
-- exactly that under load (a worker cached run N with 0 initiatives and answered 404 for every
-- initiative until the next run).
--
-- So readers take a run only up to data_version.newest_run, which the writer raises with
-- hyoka_publish_run in a transaction of its own after the run's COMMIT has returned: by then the
-- invalidations are sent, and any session that sees the new newest_run also sees the partition.
-- Storing evaluations are serialised (STORE_LOCK_EVALUATE), so run ids commit in order and every
-- run up to newest_run is complete. A writer that dies between its COMMIT and the publication
-- leaves its run unpublished until the next run is published (it is then an older run).
--
-- The NOTIFY on hyoka_runs moves from the insert (001) to the publication, so that a listener
-- that reads data_version after it sees the run.

ALTER TABLE data_version ADD COLUMN newest_run bigint NOT NULL DEFAULT 0;
UPDATE data_version SET newest_run = coalesce((SELECT max(id) FROM evaluation_runs), 0);

DROP TRIGGER evaluation_runs_notify ON evaluation_runs;
DROP FUNCTION hyoka_notify_run();

CREATE FUNCTION hyoka_publish_run(run bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM evaluation_runs r WHERE r.id = run) THEN
        RAISE EXCEPTION 'run % does not exist', run USING ERRCODE = 'no_data_found';
    END IF;
    IF hyoka_run_is_own(run) THEN
        RAISE EXCEPTION 'run % is published after the transaction that stored it has committed',
            run USING ERRCODE = 'invalid_transaction_state';
    END IF;
    UPDATE data_version SET newest_run = greatest(newest_run, run);
    PERFORM pg_notify('hyoka_runs', run::text);
END;
$$;

REVOKE EXECUTE ON FUNCTION hyoka_publish_run(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hyoka_publish_run(bigint) TO hyoka_writer;
