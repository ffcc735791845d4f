-- 014_run_origin.sql - a run records what started it and a digest of the facts it evaluated.
--
-- started_by: 'cli' (hyoka evaluate) or 'api' (POST /api/v1/evaluations); NULL for runs stored
-- before this migration. GET /api/v1/runs shows it.
--
-- facts_sha256: SHA-256 of everything the evaluation read for the survey: the fact schema, every
-- row of the facts view (each column's text, NULL marked) in initiative order, and each
-- initiative's previous_category / previous_score. Two runs of one survey with the same rule set
-- (rule_set_id) and the same facts_sha256 have the same results, so an evaluation identical to the
-- survey's newest run stores nothing and answers with that run (SPEC v1.1 "Identical
-- evaluations"). NULL for runs stored before this migration: they are never identical to a new one.
--
-- Runs stay immutable (sql/003): both columns are written by the INSERT, never updated.

ALTER TABLE evaluation_runs
    ADD COLUMN started_by text CHECK (started_by IN ('cli', 'api')),
    ADD COLUMN facts_sha256 text CHECK (facts_sha256 ~ '^[0-9a-f]{64}$');
