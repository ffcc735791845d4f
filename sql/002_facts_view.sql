-- 002_facts_view.sql - the view evaluation_facts: one row per (survey, initiative covered by it),
-- whose columns after the two keys are the facts the rules engine sees (SPEC "Facts of the shipped
-- view"). Adding a column here makes a new fact available to rules without recompiling.
--
-- Numbers are numeric (the engine maps numeric -> number, boolean -> boolean, text -> string).

-- The last day of fiscal year FY (FY 2023 = 令和5年度 = 2023-04-01 .. 2024-03-31).
CREATE FUNCTION hyoka_fy_end(fy integer) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN make_date(fy + 1, 3, 31);

-- Planned progress at `as_of`, linear in days through the points (start, 0), (end of FY[1], V[1]),
-- (end of FY[2], V[2]), ...; the last value holds afterwards; 0 before the start; null without
-- milestones. Without a start date the line starts on April 1 of the first milestone's fiscal year.
-- `fys` must be ascending with `vals` in the same order (the view aggregates them so).
-- A milestone that ends before the start date is simply a point the line passes through.
CREATE FUNCTION hyoka_planned_progress(start_date date, fys integer[], vals numeric[], as_of date)
    RETURNS numeric LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    d0 date;
    v0 numeric := 0;
    d1 date;
    i integer;
BEGIN
    IF fys IS NULL OR cardinality(fys) = 0 OR as_of IS NULL THEN
        RETURN NULL;
    END IF;
    d0 := coalesce(start_date, make_date(fys[1], 4, 1));
    IF as_of < d0 THEN
        RETURN 0;
    END IF;
    FOR i IN 1 .. cardinality(fys) LOOP
        d1 := hyoka_fy_end(fys[i]);
        IF as_of < d1 THEN
            -- here d0 <= as_of < d1, so d1 - d0 > 0
            RETURN trim_scale(v0 + (vals[i] - v0) * (as_of - d0) / (d1 - d0));
        END IF;
        d0 := d1;
        v0 := vals[i];
    END LOOP;
    RETURN trim_scale(v0);
END;
$$;

-- Whole calendar months from `start_date` to `as_of` as age() counts them.
CREATE FUNCTION hyoka_months_between(start_date date, as_of date) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (extract(year FROM age(as_of, start_date)) * 12
            + extract(month FROM age(as_of, start_date)))::numeric;

CREATE VIEW evaluation_facts AS
SELECT s.id AS survey_id,
       i.id AS initiative_id,
       i.code AS initiative_code,
       m.code AS measure_code,
       dep.names AS departments,
       hyoka_planned_progress(i.start_date, ms.fys, ms.vals, s.as_of) AS planned_progress,
       p.actual_progress,
       p.budget_planned,
       p.budget_spent,
       trim_scale(CASE WHEN p.budget_spent <> 0 THEN p.expected_benefit / p.budget_spent END)
           AS cost_benefit,
       trim_scale(ka.kpi_attainment) AS kpi_attainment,
       p.plan_decided,
       p.context_changed,
       p.reported_reason,
       hyoka_months_between(i.start_date, s.as_of) AS months_since_start,
       (s.as_of - i.due_date)::numeric AS days_past_due,
       p.actual_progress >= 1 AS completed
  FROM surveys s
  JOIN initiatives i ON i.start_date IS NULL OR i.start_date <= s.as_of
  JOIN measures m ON m.id = i.measure_id
  LEFT JOIN progress_reports p ON p.initiative_id = i.id AND p.survey_id = s.id
  -- Grouped subqueries joined by key rather than LATERAL ones: one pass over each table when a
  -- whole survey is read (the engine's case, 100,000 initiatives), and PostgreSQL still pushes
  -- `initiative_id = X` / `survey_id = X` into them through the join's equivalence classes.
  LEFT JOIN (
        SELECT idp.initiative_id, string_agg(d.name, '、' ORDER BY idp.position) AS names
          FROM initiative_departments idp
          JOIN departments d ON d.id = idp.department_id
         GROUP BY idp.initiative_id) dep ON dep.initiative_id = i.id
  LEFT JOIN (
        SELECT ml.initiative_id,
               array_agg(ml.fiscal_year ORDER BY ml.fiscal_year) AS fys,
               array_agg(ml.planned_progress ORDER BY ml.fiscal_year) AS vals
          FROM milestones ml
         GROUP BY ml.initiative_id) ms ON ms.initiative_id = i.id
  LEFT JOIN (
        -- avg() skips the nulls: KPIs without a baseline or target; KPIs without an observation
        -- on or before as_of have no row; target = baseline is excluded (no division by zero).
        SELECT ki.initiative_id, ks.id AS survey_id,
               avg((lv.value - k.baseline_value) / (k.target_value - k.baseline_value))
                   AS kpi_attainment
          FROM kpi_initiatives ki
          JOIN kpis k ON k.id = ki.kpi_id
         CROSS JOIN surveys ks
          JOIN LATERAL (
                SELECT kv.value FROM kpi_values kv
                 WHERE kv.kpi_id = k.id AND kv.date <= ks.as_of
                 ORDER BY kv.date DESC LIMIT 1) lv ON true
         WHERE k.target_value <> k.baseline_value
         GROUP BY ki.initiative_id, ks.id) ka ON ka.initiative_id = i.id AND ka.survey_id = s.id;

COMMENT ON VIEW evaluation_facts IS
    'One row per (survey, initiative covered by it): the facts the rules engine evaluates. '
    'survey_id and initiative_id are keys; every other column is a fact named like the column.';
COMMENT ON COLUMN evaluation_facts.departments IS 'responsible departments, joined with 、 in import order';
COMMENT ON COLUMN evaluation_facts.planned_progress IS
    'cumulative planned progress at as_of, linear in days between milestones (0 at start_date)';
COMMENT ON COLUMN evaluation_facts.cost_benefit IS 'expected_benefit / budget_spent; null if either is null or spent is 0';
COMMENT ON COLUMN evaluation_facts.kpi_attainment IS
    'mean of (latest value on/before as_of - baseline) / (target - baseline) over the KPIs, not clamped';
COMMENT ON COLUMN evaluation_facts.months_since_start IS 'whole months from start_date to as_of, as age() counts';
COMMENT ON COLUMN evaluation_facts.days_past_due IS 'as_of - due_date in days; negative while not due';
COMMENT ON COLUMN evaluation_facts.completed IS 'actual_progress >= 1';
