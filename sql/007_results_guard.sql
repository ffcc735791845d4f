-- 007_results_guard.sql - closes two gaps of 005's partitions:
--
-- 1. 005 renamed the old evaluation_results to evaluation_results_legacy (now the partition of
--    every run stored before it), and the table kept 003's INSERT grant to hyoka_writer: the
--    writer could add rows to stored runs through it (the immutability trigger covers UPDATE and
--    DELETE). Every run's results are written only through hyoka_results_open/close.
-- 2. A transaction could call hyoka_results_open and commit without hyoka_results_close: a
--    committed run whose results table is not attached (no FKs, no immutability trigger) and
--    stays writable by hyoka_writer. A deferred constraint trigger now fails such a COMMIT, as
--    006's guard does for the bulk import's foreign keys.
--
-- And one xmin test for "inserted by the calling transaction", which hyoka_reject_change (001)
-- and hyoka_run_is_own (005) had each written out.

DO $$
BEGIN
    IF to_regclass('evaluation_results_legacy') IS NOT NULL THEN
        REVOKE INSERT ON evaluation_results_legacy FROM hyoka_writer;
    END IF;
END;
$$;

-- Whether a row version with this xmin was written by the calling transaction (which is then
-- uncommitted: nobody else has seen it). xmin is a 32-bit xid; the current one a 64-bit one.
CREATE FUNCTION hyoka_xmin_is_own(x xid) RETURNS boolean
    LANGUAGE sql STABLE STRICT
    RETURN x::text = (pg_current_xact_id_if_assigned()::text::bigint % 4294967296)::text;

CREATE OR REPLACE FUNCTION hyoka_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF hyoka_xmin_is_own(OLD.xmin) THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'evaluation runs are immutable: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE OR REPLACE FUNCTION hyoka_run_is_own(run bigint) RETURNS boolean
    LANGUAGE sql STABLE STRICT SET search_path = public, pg_temp
    RETURN EXISTS (SELECT 1 FROM evaluation_runs r WHERE r.id = run AND hyoka_xmin_is_own(r.xmin));

-- At COMMIT of a transaction that inserted a run: its results table, if opened, is attached.
CREATE FUNCTION hyoka_results_check_closed() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    part regclass := to_regclass(hyoka_results_partition(NEW.id));
BEGIN
    IF part IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = part) THEN
        RAISE EXCEPTION 'the results of run % were opened (hyoka_results_open) but not closed '
                        '(hyoka_results_close): nothing of the run is stored', NEW.id
            USING ERRCODE = 'invalid_transaction_termination';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER evaluation_runs_results_closed AFTER INSERT ON evaluation_runs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hyoka_results_check_closed();
