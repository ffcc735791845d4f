-- rules_crosscheck.sql - the default rule set (config/rules/default.cfg) mirrored in SQL over
-- evaluation_facts, to check the demo data's design without the engine: one row per
-- (survey, category, primary reason) with its count. Null follows the engine: a `when` that is
-- null does not match; `c ? a : b` with null c is null.
WITH f AS (
    SELECT s.code AS survey, e.*,
           CASE WHEN e.planned_progress IS NULL THEN NULL
                WHEN e.planned_progress > 0 THEN e.actual_progress / e.planned_progress
                ELSE 1 END AS progress_ratio
      FROM evaluation_facts e JOIN surveys s ON s.id = e.survey_id
), r AS (
    SELECT f.*,
           coalesce(cost_benefit < 1.0, false) AS r_cost,
           coalesce(NOT plan_decided AND months_since_start > 12, false) AS r_planning,
           coalesce(context_changed, false) AS r_context
      FROM f
), c AS (
    SELECT r.*,
           r_cost::int + r_planning::int + r_context::int AS reasons,
           CASE WHEN r_cost THEN 'cost' WHEN r_planning THEN 'planning'
                WHEN r_context THEN 'context' END AS primary_reason
      FROM r
)
SELECT survey,
       CASE WHEN reasons = 0 AND progress_ratio >= 0.95 THEN 'on_track'
            WHEN reasons = 0 AND progress_ratio >= 0.50 THEN 'delayed'
            ELSE 'stalled' END AS category,
       coalesce(primary_reason, '-') AS primary_reason,
       count(*) AS n,
       count(*) FILTER (WHERE actual_progress IS NULL) AS not_reported,
       count(*) FILTER (WHERE progress_ratio < 0.95) AS delay_flag,
       round(min(progress_ratio), 3) AS min_ratio,
       round(max(progress_ratio), 3) AS max_ratio
  FROM c
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3;
