-- 001_schema.sql - hyoka's tables: the roadmap (plans, measures, initiatives, milestones), the
-- surveys and progress reports departments send, KPIs, projects, and the stored evaluation runs.
--
-- Applied by `hyoka migrate` in one transaction (recorded in schema_migrations, which the migration
-- runner creates). Names are fixed by docs/contracts.md; the CHECK constraints are the second line
-- of defence behind the positioned checks of `hyoka import` (store/import.c).

-- The migration runner (store/migrate.c) creates this table before applying any file; it is here
-- too so that the files also apply by hand (psql -f) in order.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY CHECK (version > 0),
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE plans (
    id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code <> ''),
    title        text NOT NULL CHECK (title <> ''),
    period_start date,
    period_end   date,
    CONSTRAINT plans_period_check CHECK (period_end >= period_start)
);

CREATE TABLE measures (
    id    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code  text NOT NULL UNIQUE CHECK (code <> ''),
    title text NOT NULL CHECK (title <> ''),
    area  text
);

CREATE TABLE departments (
    id   integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name <> '')
);

CREATE TABLE initiatives (
    id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code <> ''),
    measure_id integer NOT NULL REFERENCES measures (id),
    title      text NOT NULL CHECK (title <> ''),
    start_date date,
    due_date   date,
    CONSTRAINT initiatives_due_after_start CHECK (due_date >= start_date)
);
CREATE INDEX initiatives_measure_idx ON initiatives (measure_id);

-- The responsible departments (所管課) of an initiative, in the order the import gave them.
CREATE TABLE initiative_departments (
    initiative_id integer NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    department_id integer NOT NULL REFERENCES departments (id),
    position      integer NOT NULL CHECK (position >= 1),
    PRIMARY KEY (initiative_id, department_id),
    UNIQUE (initiative_id, position)
);
CREATE INDEX initiative_departments_department_idx ON initiative_departments (department_id);

-- Cumulative planned progress at the end of a fiscal year (FY N = N-04-01 .. N+1-03-31).
CREATE TABLE milestones (
    initiative_id    integer NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    fiscal_year      integer NOT NULL CHECK (fiscal_year BETWEEN 1900 AND 2200),
    planned_progress numeric NOT NULL CHECK (planned_progress >= 0 AND planned_progress <= 1),
    phase            text,
    PRIMARY KEY (initiative_id, fiscal_year)
);

CREATE TABLE surveys (
    id    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code  text NOT NULL UNIQUE CHECK (code <> ''),
    as_of date NOT NULL,
    label text
);
CREATE INDEX surveys_as_of_idx ON surveys (as_of);

CREATE TABLE progress_reports (
    initiative_id    integer NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    survey_id        integer NOT NULL REFERENCES surveys (id),
    actual_progress  numeric CHECK (actual_progress >= 0 AND actual_progress <= 1),
    budget_planned   numeric CHECK (budget_planned >= 0),
    budget_spent     numeric CHECK (budget_spent >= 0),
    expected_benefit numeric CHECK (expected_benefit >= 0),
    plan_decided     boolean,
    context_changed  boolean,
    reported_reason  text,
    comment          text,
    PRIMARY KEY (initiative_id, survey_id)
);
CREATE INDEX progress_reports_survey_idx ON progress_reports (survey_id);

CREATE TABLE kpis (
    id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code           text NOT NULL UNIQUE CHECK (code <> ''),
    title          text NOT NULL CHECK (title <> ''),
    unit           text,
    direction      text CHECK (direction IN ('up', 'down')),
    baseline_value numeric,
    baseline_date  date,
    target_value   numeric,
    target_date    date,
    -- An `up` KPI aims above its baseline, a `down` KPI below it (SPEC "Import").
    CONSTRAINT kpis_direction_target CHECK (
        direction IS NULL OR baseline_value IS NULL OR target_value IS NULL
        OR (direction = 'up' AND target_value > baseline_value)
        OR (direction = 'down' AND target_value < baseline_value)),
    CONSTRAINT kpis_target_after_baseline CHECK (target_date >= baseline_date)
);

CREATE TABLE kpi_initiatives (
    kpi_id        integer NOT NULL REFERENCES kpis (id) ON DELETE CASCADE,
    initiative_id integer NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    PRIMARY KEY (kpi_id, initiative_id)
);
CREATE INDEX kpi_initiatives_initiative_idx ON kpi_initiatives (initiative_id);

CREATE TABLE kpi_values (
    kpi_id integer NOT NULL REFERENCES kpis (id) ON DELETE CASCADE,
    date   date NOT NULL,
    value  numeric NOT NULL,
    PRIMARY KEY (kpi_id, date)
);

-- Public-private projects (官民連携プロジェクト), keyed by their theme.
CREATE TABLE projects (
    id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    theme      text NOT NULL UNIQUE CHECK (theme <> ''),
    department text,
    stage      text
);

-- A rule set as it was used, identified by the SHA-256 of its text.
CREATE TABLE rule_sets (
    id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    sha256     text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    version    text NOT NULL,
    source     text NOT NULL,
    file_name  text,
    catalog    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE evaluation_runs (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    survey_id    integer NOT NULL REFERENCES surveys (id),
    rule_set_id  bigint NOT NULL REFERENCES rule_sets (id),
    evaluated_at timestamptz NOT NULL DEFAULT now(),
    fact_schema  jsonb NOT NULL,
    total        integer NOT NULL DEFAULT 0 CHECK (total >= 0),
    summary      jsonb
);
-- "the newest run of a survey"
CREATE INDEX evaluation_runs_survey_idx ON evaluation_runs (survey_id, id DESC);

CREATE TABLE evaluation_results (
    run_id          bigint NOT NULL REFERENCES evaluation_runs (id),
    initiative_id   integer NOT NULL REFERENCES initiatives (id),
    category        text NOT NULL,
    score           numeric(4, 1) CHECK (score >= 0 AND score <= 100),
    primary_reason  text,
    reasons         text[] NOT NULL DEFAULT '{}',
    flags           text[] NOT NULL DEFAULT '{}',
    recommendations text[] NOT NULL DEFAULT '{}',
    facts           jsonb NOT NULL,
    PRIMARY KEY (run_id, initiative_id)
);
CREATE INDEX evaluation_results_initiative_idx ON evaluation_results (initiative_id, run_id);

-- Inserting a run tells listeners (hyoka-fcgi's cache) about it; NOTIFY is delivered at commit.
CREATE FUNCTION hyoka_notify_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hyoka_runs', NEW.id::text);
    RETURN NEW;
END;
$$;
CREATE TRIGGER evaluation_runs_notify AFTER INSERT ON evaluation_runs
    FOR EACH ROW EXECUTE FUNCTION hyoka_notify_run();

-- Stored runs never change. Privileges already keep hyoka_web and hyoka_writer from UPDATE and
-- DELETE (003_roles.sql); this trigger holds for every role, the owner included, except inside
-- the transaction that inserted the row, so that a run can be completed (e.g. its summary filled
-- in) before it is committed. Afterwards: 'evaluation runs are immutable'.
CREATE FUNCTION hyoka_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.xmin::text = (pg_current_xact_id_if_assigned()::text::bigint % 4294967296)::text THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'evaluation runs are immutable: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER evaluation_runs_immutable BEFORE UPDATE OR DELETE ON evaluation_runs
    FOR EACH ROW EXECUTE FUNCTION hyoka_reject_change();
CREATE TRIGGER evaluation_results_immutable BEFORE UPDATE OR DELETE ON evaluation_results
    FOR EACH ROW EXECUTE FUNCTION hyoka_reject_change();
