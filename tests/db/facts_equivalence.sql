-- facts_equivalence.sql - the set-based planned_progress of evaluation_facts (sql/004) against the
-- reference plpgsql hyoka_planned_progress (sql/002) on ~240,000 seeded random cases: start dates
-- before, between and after milestones, no start date, 1..10 milestones, as_of on FY ends, the day
-- after and in between. Same value and same text (scale) required. Rolled back: changes nothing.
-- Output rows: name|ok, as facts_assert.sql.
BEGIN;
SELECT setseed(0.42);
INSERT INTO measures (code, title) VALUES ('EQ-M', 'equivalence');
INSERT INTO initiatives (code, measure_id, title, start_date)
SELECT 'EQ-' || g, (SELECT id FROM measures WHERE code = 'EQ-M'), 'equivalence',
       CASE WHEN random() < 0.2 THEN NULL ELSE date '2019-01-01' + (random() * 2500)::int END
  FROM generate_series(1, 3000) g;
INSERT INTO milestones (initiative_id, fiscal_year, planned_progress)
SELECT i.id, fy, round(random()::numeric, (random() * 4)::int)
  FROM initiatives i CROSS JOIN generate_series(2018, 2027) fy
 WHERE i.code LIKE 'EQ-%' AND random() < 0.35;
INSERT INTO surveys (code, as_of) SELECT 'EQ-S' || g, date '2018-01-01' + g * 37 FROM generate_series(1, 100) g;
INSERT INTO surveys (code, as_of) SELECT 'EQ-E' || g, make_date(2018 + g, 3, 31) FROM generate_series(0, 10) g;
INSERT INTO surveys (code, as_of) SELECT 'EQ-F' || g, make_date(2018 + g, 4, 1) FROM generate_series(0, 10) g;
WITH cmp AS (
    SELECT f.planned_progress AS got,
           hyoka_planned_progress(i.start_date, ms.fys, ms.vals, s.as_of) AS want
      FROM evaluation_facts f
      JOIN initiatives i ON i.id = f.initiative_id
      JOIN surveys s ON s.id = f.survey_id
      LEFT JOIN (SELECT initiative_id, array_agg(fiscal_year ORDER BY fiscal_year) AS fys,
                        array_agg(planned_progress ORDER BY fiscal_year) AS vals
                   FROM milestones GROUP BY initiative_id) ms ON ms.initiative_id = i.id
     WHERE i.code LIKE 'EQ-%' AND s.code LIKE 'EQ-%')
SELECT name, coalesce(ok, false) FROM (VALUES
 ('set-based planned_progress equals hyoka_planned_progress on > 200,000 random cases',
  (SELECT count(*) > 200000 AND count(*) FILTER (WHERE got::text IS DISTINCT FROM want::text) = 0 FROM cmp)),
 ('the random cases cover null (no milestones), 0 (before start), interpolated and held values',
  (SELECT count(*) FILTER (WHERE got IS NULL) > 0 AND count(*) FILTER (WHERE got = 0) > 0
          AND count(DISTINCT got) > 1000 FROM cmp))
) t(name, ok);
ROLLBACK;
