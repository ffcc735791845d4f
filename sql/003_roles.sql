-- 003_roles.sql - the two login roles: hyoka_web (the server: reads only) and hyoka_writer
-- (`hyoka import` / `hyoka evaluate`, POST /evaluations). Roles are cluster-wide, so they are
-- created only if missing; the grants are per database and repeat harmlessly. Passwords are the
-- administrator's business (ALTER ROLE ... PASSWORD), never a migration's.
--
-- A later migration that adds a table grants on it itself (no default privileges: each grant is
-- a decision about what the server may read).
--
-- Runs are immutable by privilege (neither role may UPDATE or DELETE evaluation_runs or
-- evaluation_results) and, for every role including the owner, by the trigger of 001_schema.sql.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hyoka_web') THEN
        CREATE ROLE hyoka_web LOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hyoka_writer') THEN
        CREATE ROLE hyoka_writer LOGIN;
    END IF;
    -- COPY into temporary tables (store/import.c) needs TEMP on this database.
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO hyoka_writer', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO hyoka_web', current_database());
END;
$$;

GRANT USAGE ON SCHEMA public TO hyoka_web, hyoka_writer;

-- What the server reads.
GRANT SELECT ON schema_migrations, plans, measures, departments, initiatives,
                initiative_departments, milestones, surveys, progress_reports, kpis,
                kpi_initiatives, kpi_values, projects, rule_sets, evaluation_runs,
                evaluation_results, evaluation_facts
    TO hyoka_web, hyoka_writer;

-- Import: upserts of the roadmap data; department lists and KPI links are replaced per row.
GRANT INSERT, UPDATE ON plans, measures, departments, initiatives, milestones, surveys,
                        progress_reports, kpis, kpi_values, projects
    TO hyoka_writer;
GRANT INSERT, DELETE ON initiative_departments, kpi_initiatives TO hyoka_writer;

-- Evaluate: new rule sets and runs, never a change to a stored one.
GRANT INSERT ON rule_sets, evaluation_runs, evaluation_results TO hyoka_writer;

GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO hyoka_writer;
