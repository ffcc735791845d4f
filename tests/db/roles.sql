-- roles.sql - what hyoka_web and hyoka_reader may and may not do (sql/008), tried for real as each
-- of them through hyoka_test.attempt (roles_attempt.sql), and their grants read from the catalog.
-- tests/db/roles.sh runs it as each role with -v others=ROLE:PID,ROLE:PID (live sessions of
-- the other roles) and reads one line per check: "check|ok", or "check|what happened instead".
--
-- hyoka_reader's transactions are read-only by default, which a reader may switch off: the
-- privileges are what must stop it.
SET default_transaction_read_only = off;
WITH
published(rel) AS (VALUES
    ('schema_migrations'), ('plans'), ('measures'), ('departments'), ('initiatives'),
    ('initiative_departments'), ('milestones'), ('surveys'), ('progress_reports'), ('kpis'),
    ('kpi_initiatives'), ('kpi_values'), ('projects'), ('rule_sets'), ('evaluation_runs'),
    ('evaluation_results'), ('evaluation_facts'), ('hyoka_milestone_segments')),
tables AS (
    SELECT c.oid::regclass::text AS t, a.attname AS col
    FROM pg_class c
    CROSS JOIN LATERAL (SELECT attname FROM pg_attribute
                        WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped
                          AND attidentity = '' AND attgenerated = ''
                        ORDER BY attnum LIMIT 1) a
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')),
others(role, pid) AS (
    SELECT split_part(o, ':', 1), split_part(o, ':', 2) FROM unnest(string_to_array(:'others', ',')) o),
attempts(what, sql, want) AS (
    VALUES ('CREATE TEMP TABLE', 'CREATE TEMP TABLE t (x int)', 'denied'),
           ('CREATE TABLE in public', 'CREATE TABLE public.t (x int)', 'denied'),
           ('CREATE TABLE in hyoka_test', 'CREATE TABLE hyoka_test.t (x int)', 'denied'),
           ('CREATE SCHEMA', 'CREATE SCHEMA s', 'denied'),
           ('CREATE FUNCTION in public', 'CREATE FUNCTION public.f() RETURNS int LANGUAGE sql RETURN 1', 'denied'),
           ('CREATE VIEW in public', 'CREATE VIEW public.v AS SELECT 1', 'denied'),
           ('DROP TABLE measures', 'DROP TABLE measures', 'denied'),
           ('ALTER VIEW evaluation_facts', 'ALTER VIEW evaluation_facts RENAME TO x', 'denied'),
           ('LOCK TABLE initiatives IN ACCESS EXCLUSIVE MODE', 'LOCK TABLE initiatives IN ACCESS EXCLUSIVE MODE', 'denied'),
           ('lo_create', 'SELECT lo_create(0)', 'denied'),
           ('lo_creat', 'SELECT lo_creat(-1)', 'denied'),
           ('lo_from_bytea', 'SELECT lo_from_bytea(0, ''\x00'')', 'denied'),
           ('lo_import', 'SELECT lo_import(''/etc/hostname'')', 'denied'),
           ('pg_advisory_lock (the import''s key)', 'SELECT pg_advisory_lock(448378072930)', 'denied'),
           ('pg_try_advisory_xact_lock', 'SELECT pg_try_advisory_xact_lock(1)', 'denied'),
           ('pg_advisory_lock_shared(int, int)', 'SELECT pg_advisory_lock_shared(1, 2)', 'denied'),
           ('SET ROLE hyoka_writer', 'SET ROLE hyoka_writer', 'denied'),
           ('hyoka_results_open', 'SELECT hyoka_results_open(1)', 'denied'),
           ('hyoka_import_bulk_begin', 'SELECT hyoka_import_bulk_begin()', 'denied')
    UNION ALL
    SELECT 'pg_terminate_backend of a session of ' || role, format('SELECT pg_terminate_backend(%s)', pid), 'denied' FROM others
    UNION ALL
    SELECT 'pg_cancel_backend of a session of ' || role, format('SELECT pg_cancel_backend(%s)', pid), 'denied' FROM others
    UNION ALL
    SELECT 'INSERT INTO ' || t, format('INSERT INTO %s DEFAULT VALUES', t), 'denied' FROM tables
    UNION ALL
    SELECT 'UPDATE ' || t, format('UPDATE %s SET %I = %I', t, col, col), 'denied' FROM tables
    UNION ALL
    SELECT 'DELETE FROM ' || t, format('DELETE FROM %s', t), 'denied' FROM tables
    UNION ALL
    SELECT 'TRUNCATE ' || t, format('TRUNCATE %s', t), 'denied' FROM tables
    UNION ALL
    SELECT 'nextval(' || c.relname || ')', format('SELECT nextval(%L)', c.oid::regclass), 'denied'
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
    UNION ALL
    SELECT 'SELECT FROM ' || rel, format('SELECT count(*) FROM %I', rel), 'allowed' FROM published)
SELECT what || '|' || CASE WHEN got = want THEN 'ok' ELSE 'want ' || want || ', got ' || got END
FROM attempts, LATERAL hyoka_test.attempt(sql) AS got
UNION ALL
SELECT check_name || '|' || CASE WHEN good THEN 'ok' ELSE 'no' END FROM (VALUES
    ('no CREATE on any schema',
     NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE has_schema_privilege(n.oid, 'CREATE'))),
    ('no CREATE or TEMP on the database',
     NOT has_database_privilege(current_database(), 'CREATE')
     AND NOT has_database_privilege(current_database(), 'TEMP')),
    ('member of no role (so not of pg_signal_backend)',
     NOT EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = current_user::regrole)
     AND NOT pg_has_role('pg_signal_backend', 'USAGE')),
    ('no superuser, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS',
     (SELECT NOT (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls)
      FROM pg_roles WHERE rolname = current_user)),
    ('EXECUTE on no SECURITY DEFINER function',
     NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.prosecdef AND p.prorettype <> 'trigger'::regtype
                 AND has_function_privilege(p.oid, 'EXECUTE'))),
    ('hyoka_reader may SELECT exactly what hyoka_web may',
     NOT EXISTS (SELECT 1 FROM pg_class c
                 WHERE c.relnamespace = 'public'::regnamespace
                   AND has_table_privilege('hyoka_web', c.oid, 'SELECT')
                       <> has_table_privilege('hyoka_reader', c.oid, 'SELECT'))),
    ('hyoka_reader: at most 10 connections',
     (SELECT rolconnlimit BETWEEN 1 AND 10 FROM pg_roles WHERE rolname = 'hyoka_reader')),
    ('hyoka_reader: statements and idle transactions end after 60 s, read-only by default',
     (SELECT setconfig @> '{statement_timeout=60s,idle_in_transaction_session_timeout=60s,default_transaction_read_only=on,temp_file_limit=1GB}'
      FROM pg_db_role_setting WHERE setrole = 'hyoka_reader'::regrole AND setdatabase = 0))
) AS c (check_name, good);
