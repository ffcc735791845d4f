-- 005_run_partitions.sql - one partition of evaluation_results per run, filled by COPY into a
-- fresh table and then attached, so that PostgreSQL checks the run's foreign keys and builds its
-- indexes set-based, once, instead of row by row; and facts stored as json (the text the
-- evaluator wrote) instead of jsonb.
--
-- Why (bench/data/run.sh, 100,000 initiatives): storing a run's results by COPY into the single
-- table took 1.97 s, of which ~0.9 s were the two per-row FK triggers (evaluation_runs,
-- initiatives) and ~0.2 s the incremental updates of two indexes. Filled without them and then
-- attached, the same rows cost ~0.4 s to COPY plus ~0.1 s to validate and index. Per-row
-- RI checks are a known cost of bulk loads; PostgreSQL's documentation recommends exactly this
-- ("Populating a Database": foreign keys checked in bulk). The constraints are the same as
-- before: every partition carries the parent's FKs, checks, indexes and immutability trigger.
--
-- The writer role may not create or attach tables, so two SECURITY DEFINER functions do it for
-- the run the calling transaction has just inserted, and nothing else:
--   hyoka_results_open(run)   creates evaluation_results_<run>, lets hyoka_writer INSERT into it
--                             and returns its name;
--   hyoka_results_close(run)  takes the INSERT back and attaches the table (FKs validated,
--                             indexes built, immutability trigger cloned).
-- A run's results are written only this way: nobody but the owner may INSERT into the parent.
--
-- Locks: attaching takes SHARE UPDATE EXCLUSIVE on evaluation_results and, for the FK
-- validation, SHARE ROW EXCLUSIVE on initiatives and evaluation_runs until commit (reads go on;
-- an import or another evaluation waits for that commit). Evaluations are serialised by an
-- advisory lock (store/evaluate.c) so that two of them cannot deadlock on those locks.

-- The existing results become the first partition (runs up to the newest so far), with its
-- names moved out of the way of the parent's.
ALTER TABLE evaluation_results RENAME TO evaluation_results_legacy;
ALTER INDEX evaluation_results_pkey RENAME TO evaluation_results_legacy_pkey;
ALTER INDEX evaluation_results_initiative_idx RENAME TO evaluation_results_legacy_initiative_idx;
DROP TRIGGER evaluation_results_immutable ON evaluation_results_legacy;   -- the parent's is cloned
ALTER TABLE evaluation_results_legacy ALTER COLUMN facts TYPE json USING facts::json;

CREATE TABLE evaluation_results (
    -- constraints named as 001 named them (ATTACH matches a partition's CHECKs by name)
    run_id          bigint NOT NULL
                        CONSTRAINT evaluation_results_run_id_fkey REFERENCES evaluation_runs (id),
    initiative_id   integer NOT NULL
                        CONSTRAINT evaluation_results_initiative_id_fkey REFERENCES initiatives (id),
    category        text NOT NULL,
    score           numeric(4, 1) CONSTRAINT evaluation_results_score_check
                        CHECK (score >= 0 AND score <= 100),
    primary_reason  text,
    reasons         text[] NOT NULL DEFAULT '{}',
    flags           text[] NOT NULL DEFAULT '{}',
    recommendations text[] NOT NULL DEFAULT '{}',
    -- the facts the run evaluated, as the evaluator wrote them (json keeps that text; nothing
    -- queries inside it but ->>, which json has too)
    facts           json NOT NULL,
    PRIMARY KEY (run_id, initiative_id)
) PARTITION BY RANGE (run_id);
CREATE INDEX evaluation_results_initiative_idx ON evaluation_results (initiative_id, run_id);
CREATE TRIGGER evaluation_results_immutable BEFORE UPDATE OR DELETE ON evaluation_results
    FOR EACH ROW EXECUTE FUNCTION hyoka_reject_change();

COMMENT ON TABLE evaluation_results IS
    'one row per initiative and run; one partition per run (hyoka_results_open/close)';

DO $$
DECLARE
    newest bigint := (SELECT max(id) FROM evaluation_runs);
BEGIN
    IF EXISTS (SELECT 1 FROM evaluation_results_legacy) THEN
        EXECUTE format('ALTER TABLE evaluation_results ATTACH PARTITION evaluation_results_legacy '
                       'FOR VALUES FROM (MINVALUE) TO (%s)', newest + 1);
    ELSE
        DROP TABLE evaluation_results_legacy;
    END IF;
END;
$$;

GRANT SELECT ON evaluation_results TO hyoka_web, hyoka_writer;
REVOKE INSERT ON evaluation_results FROM hyoka_writer;

-- The partition of run `run`: the name both functions agree on.
CREATE FUNCTION hyoka_results_partition(run bigint) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN 'evaluation_results_' || run;

-- Whether run `run` was inserted by the calling transaction (so not committed: nobody else has
-- seen it). The xmin test is hyoka_reject_change's (001_schema.sql).
CREATE FUNCTION hyoka_run_is_own(run bigint) RETURNS boolean
    LANGUAGE sql STABLE STRICT SET search_path = public, pg_temp
    RETURN EXISTS (SELECT 1 FROM evaluation_runs r
                    WHERE r.id = run
                      AND r.xmin::text = (pg_current_xact_id_if_assigned()::text::bigint
                                          % 4294967296)::text);

CREATE FUNCTION hyoka_results_open(run bigint) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    part text := hyoka_results_partition(run);
BEGIN
    IF NOT hyoka_run_is_own(run) THEN
        RAISE EXCEPTION 'run % was not inserted by this transaction', run
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF to_regclass(part) IS NOT NULL THEN
        RAISE EXCEPTION 'the results of run % are already stored', run
            USING ERRCODE = 'duplicate_table';
    END IF;
    -- Columns, NOT NULLs, defaults and CHECKs; the FKs and indexes come with ATTACH. The extra
    -- CHECK equals the partition bound, so that ATTACH need not scan the table to prove it.
    EXECUTE format('CREATE TABLE %I (LIKE evaluation_results INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                   'CONSTRAINT %I CHECK (run_id = %s))', part, part || '_run', run);
    EXECUTE format('GRANT INSERT ON %I TO hyoka_writer', part);
    RETURN part;
END;
$$;

CREATE FUNCTION hyoka_results_close(run bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    part text := hyoka_results_partition(run);
BEGIN
    IF NOT hyoka_run_is_own(run) OR to_regclass(part) IS NULL THEN
        RAISE EXCEPTION 'run % has no open results table in this transaction', run
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('REVOKE INSERT ON %I FROM hyoka_writer', part);
    EXECUTE format('ALTER TABLE evaluation_results ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
                   part, run, run + 1);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_run');
END;
$$;

REVOKE EXECUTE ON FUNCTION hyoka_results_open(bigint), hyoka_results_close(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hyoka_results_open(bigint), hyoka_results_close(bigint) TO hyoka_writer;
