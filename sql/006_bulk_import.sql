-- 006_bulk_import.sql - a large import checks its foreign keys once, set-based, instead of row by
-- row.
--
-- Why (bench/data/run.sh, 100,000 initiatives, 200,000 milestones, 100,000 progress rows): the
-- import's INSERTs spent ~3.1 s of ~6.2 s in PostgreSQL's per-row RI triggers (about 800,000
-- lookups of the referenced key). PostgreSQL's documentation ("Populating a Database: Remove
-- Foreign Key Constraints") recommends dropping them for the load and adding them again, which
-- validates every row in one join each: ~0.1-0.3 s here. The constraints are the same before and
-- after; DDL is transactional, so nobody ever sees a table without them, and a failed import
-- rolls the drop back with everything else.
--
-- `hyoka import` does this only when it inserts at least IMPORT_BULK_ROWS rows (store/import.h)
-- into the tables concerned; smaller imports keep the per-row checks and take no table locks.
--
-- The price: dropping a foreign key takes an ACCESS EXCLUSIVE lock on its table and on the table
-- it references (initiatives, initiative_departments, milestones, progress_reports, measures,
-- departments, surveys) until the import commits. Readers of those tables wait for a few seconds;
-- hyoka-fcgi keeps answering from its cache. `hyoka import` asks for the locks with a lock_timeout
-- and falls back to per-row checks if it cannot get them promptly (docs/operations.md).
--
-- The writer role may not alter tables, so two SECURITY DEFINER functions do exactly this:
--   hyoka_import_bulk_begin()  drops the FKs of the four tables an import fills, remembering
--                              their definitions; returns how many;
--   hyoka_import_bulk_end()    adds them again (validating every row).
-- A deferred constraint trigger makes a COMMIT fail (and so roll back) if begin was not followed by
-- end: the FKs cannot be left dropped, whatever the caller does.

CREATE TABLE hyoka_import_suspended (
    conrelid   regclass NOT NULL,
    conname    name NOT NULL,
    definition text NOT NULL,
    PRIMARY KEY (conrelid, conname)
);
COMMENT ON TABLE hyoka_import_suspended IS
    'foreign keys a bulk import has dropped and must add again before it commits (always empty '
    'outside an import transaction)';

-- SECURITY DEFINER: it fires in the importer's COMMIT, and nobody else may read the table.
CREATE FUNCTION hyoka_import_suspended_check() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM hyoka_import_suspended) THEN
        RAISE EXCEPTION 'a bulk import dropped foreign keys and did not add them again '
                        '(hyoka_import_bulk_end was not called)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER hyoka_import_suspended_restored
    AFTER INSERT ON hyoka_import_suspended DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION hyoka_import_suspended_check();

CREATE FUNCTION hyoka_import_bulk_begin() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    fk record;
    n integer := 0;
BEGIN
    -- In a fixed order (by table, then name), so that two callers lock alike.
    FOR fk IN SELECT con.conrelid::regclass AS rel, con.conname, pg_get_constraintdef(con.oid) AS def
                FROM pg_constraint con
               WHERE con.contype = 'f'
                 AND con.conrelid IN ('initiatives'::regclass, 'initiative_departments'::regclass,
                                      'milestones'::regclass, 'progress_reports'::regclass)
               ORDER BY con.conrelid::regclass::text, con.conname
    LOOP
        INSERT INTO hyoka_import_suspended (conrelid, conname, definition)
             VALUES (fk.rel, fk.conname, fk.def);
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.rel, fk.conname);
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;

CREATE FUNCTION hyoka_import_bulk_end() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    fk record;
    n integer := 0;
BEGIN
    FOR fk IN DELETE FROM hyoka_import_suspended RETURNING conrelid, conname, definition LOOP
        -- validates every row of the table against the referenced one, in one join
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.conrelid, fk.conname,
                       fk.definition);
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;

REVOKE EXECUTE ON FUNCTION hyoka_import_bulk_begin(), hyoka_import_bulk_end() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hyoka_import_bulk_begin(), hyoka_import_bulk_end() TO hyoka_writer;
