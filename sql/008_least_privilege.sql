-- 008_least_privilege.sql - a login role for people, hyoka_reader, and nothing more than the
-- product needs for hyoka_web, hyoka_reader and PUBLIC.
--
-- Why: logged in as hyoka_web, a person could slow the server down or cut it off (NOTIFY
-- hyoka_runs every 2 s cost 86 % of its throughput, pg_terminate_backend of its sessions 65 %),
-- create temporary tables and large objects, and hold the advisory locks that `hyoka import`,
-- `evaluate` and `migrate` wait for. So:
--
--   hyoka_web     the server's role, for the server alone: its credentials live only in the
--                 service config (database.conninfo). Reads the published tables; nothing else.
--   hyoka_reader  people (analysts, BI tools, psql): reads what hyoka_web reads and can disturb
--                 nothing. A different role from the server's, so it cannot signal (cancel or
--                 terminate) the server's sessions; not a member of pg_signal_backend; no TEMP,
--                 no CREATE, no large objects, no advisory locks; at most 10 connections; its
--                 statements and idle transactions end after 60 s.
--   hyoka_writer  `hyoka import` / `hyoka evaluate` and the server's POST /evaluations, as 003
--                 says; keeps TEMP (import COPYs into temporary tables) and advisory locks.
--
-- NOTIFY takes no privilege in PostgreSQL: any role that can connect can notify hyoka_runs.
-- The server therefore treats a notification as "check what changed", never as a command to
-- drop what it holds (fcgi/worker.c).
--
-- Who may run this: the database owner, not necessarily a superuser. What needs more is done
-- only if the migrating role may, otherwise a WARNING says exactly what an administrator runs:
--   - creating hyoka_reader, its connection limit and settings: CREATEROLE (or superuser);
--   - temp_file_limit for hyoka_reader (a superuser-only setting, so readers cannot raise it):
--     superuser;
--   - revoking TEMP on the database from PUBLIC: the database owner;
--   - revoking CREATE on schema public from PUBLIC (already absent in new PostgreSQL 15
--     databases, present in upgraded ones): the owner of schema public (pg_database_owner);
--   - revoking EXECUTE on the large-object and advisory-lock functions from PUBLIC: the owner of
--     pg_catalog's functions, i.e. a superuser. These ACLs are per database (pg_proc is), so
--     other databases of the cluster are untouched.
-- Settings and the connection limit are defaults: set only where an administrator has set none
-- (roles are cluster-wide, and another database's migration may already have created them).
--
-- Later migrations grant SELECT on what they publish to hyoka_web and hyoka_reader both
-- (tests/db/roles.sql fails if the two differ).

DO $$
DECLARE
    me text := current_user;
    may_roles boolean := (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user);
    is_super boolean := (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
    db text := current_database();
    owns_db boolean := pg_has_role(current_user,
                                   (SELECT datdba FROM pg_database WHERE datname = current_database()),
                                   'MEMBER');
    owns_public boolean := pg_has_role(current_user,
                                       (SELECT nspowner FROM pg_namespace WHERE nspname = 'public'),
                                       'MEMBER');
    setting record;
    lo_functions text;
    lock_functions text;
    revoke text;
BEGIN
    -- The role for people.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hyoka_reader') THEN
        IF NOT may_roles THEN
            RAISE EXCEPTION 'role hyoka_reader does not exist and % may not create roles', me
                USING HINT = 'an administrator runs: CREATE ROLE hyoka_reader LOGIN CONNECTION LIMIT 10; then hyoka migrate again';
        END IF;
        CREATE ROLE hyoka_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
            NOBYPASSRLS CONNECTION LIMIT 10;
    END IF;

    -- Its defaults, where none is set: a runaway query or an open transaction (which holds
    -- locks an import's bulk load waits for) ends after a minute; a reader may still SET its
    -- own statement_timeout, so these guard against accidents, not malice.
    FOR setting IN
        SELECT * FROM (VALUES ('statement_timeout', '60s', false),
                              ('idle_in_transaction_session_timeout', '60s', false),
                              ('default_transaction_read_only', 'on', false),
                              ('temp_file_limit', '1GB', true)) AS s (name, value, superuser_only)
        WHERE NOT EXISTS (
            SELECT 1 FROM pg_db_role_setting d, unnest(d.setconfig) AS c
            WHERE d.setrole = 'hyoka_reader'::regrole AND d.setdatabase = 0
              AND split_part(c, '=', 1) = s.name)
    LOOP
        IF (setting.superuser_only AND is_super) OR (NOT setting.superuser_only AND may_roles) THEN
            EXECUTE format('ALTER ROLE hyoka_reader SET %I = %L', setting.name, setting.value);
        ELSE
            RAISE WARNING 'hyoka_reader: % not set (% may not)', setting.name, me
                USING HINT = format('an administrator runs: ALTER ROLE hyoka_reader SET %I = %L',
                                    setting.name, setting.value);
        END IF;
    END LOOP;
    IF (SELECT rolconnlimit FROM pg_roles WHERE rolname = 'hyoka_reader') = -1 THEN
        IF may_roles THEN
            ALTER ROLE hyoka_reader CONNECTION LIMIT 10;
        ELSE
            RAISE WARNING 'hyoka_reader: no connection limit set (% may not)', me
                USING HINT = 'an administrator runs: ALTER ROLE hyoka_reader CONNECTION LIMIT 10';
        END IF;
    END IF;
    IF pg_has_role('hyoka_reader', 'pg_signal_backend', 'USAGE')
       OR pg_has_role('hyoka_web', 'pg_signal_backend', 'USAGE') THEN
        RAISE WARNING 'hyoka_reader or hyoka_web has the privileges of pg_signal_backend: it can end the server''s sessions'
            USING HINT = 'an administrator runs: REVOKE pg_signal_backend FROM hyoka_reader, hyoka_web';
    END IF;

    EXECUTE format('GRANT CONNECT ON DATABASE %I TO hyoka_reader', db);

    -- No temporary tables but the importer's (003 granted TEMP to hyoka_writer itself).
    IF owns_db THEN
        EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC, hyoka_web, hyoka_reader', db);
    ELSE
        RAISE WARNING 'PUBLIC keeps TEMP on database % (% does not own it)', db, me
            USING HINT = format('an administrator runs: REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', db);
    END IF;
    IF owns_public THEN
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    ELSE
        RAISE WARNING 'PUBLIC''s CREATE on schema public left as it is (% does not own it)', me
            USING HINT = 'an administrator runs: REVOKE CREATE ON SCHEMA public FROM PUBLIC';
    END IF;

    -- Large objects (server-side lo_import needs pg_read_server_files as well) and the
    -- advisory locks (a reader holding `hyoka import`'s key would stop every import). The
    -- writer and the database owner (`hyoka migrate`) keep the locks.
    SELECT string_agg(p.oid::regprocedure::text, ', ' ORDER BY p.oid::regprocedure::text)
                  FILTER (WHERE p.proname ~ '^lo_'),
           string_agg(p.oid::regprocedure::text, ', ' ORDER BY p.oid::regprocedure::text)
                  FILTER (WHERE p.proname ~ '^pg_')
        INTO lo_functions, lock_functions
        FROM pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND (p.proname IN ('lo_creat', 'lo_create', 'lo_from_bytea', 'lo_import')
               OR p.proname ~ '^pg_(try_)?advisory_(xact_)?lock(_shared)?$');
    revoke := format('REVOKE EXECUTE ON FUNCTION %s, %s FROM PUBLIC; '
                     'GRANT EXECUTE ON FUNCTION %s TO hyoka_writer, pg_database_owner;',
                     lo_functions, lock_functions, lock_functions);
    IF is_super THEN
        EXECUTE revoke;
    ELSE
        RAISE WARNING 'PUBLIC may still create large objects and take advisory locks in database % (only a superuser may revoke them)', db
            USING HINT = format('an administrator runs in database %I: %s', db, revoke);
    END IF;
END;
$$;

GRANT USAGE ON SCHEMA public TO hyoka_reader;

-- What people read: what the server reads (003, 004), nothing else.
GRANT SELECT ON schema_migrations, plans, measures, departments, initiatives,
                initiative_departments, milestones, surveys, progress_reports, kpis,
                kpi_initiatives, kpi_values, projects, rule_sets, evaluation_runs,
                evaluation_results, evaluation_facts, hyoka_milestone_segments
    TO hyoka_reader;
