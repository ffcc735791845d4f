-- 016_fact_labels.sql - what a reader calls each fact, its unit and how its value is written
-- (進捗率 79 %, 予算 1,200,000 円, 期限まで 365 日, はい/いいえ), one row per fact name.
--
-- An evaluation copies the row of each fact it read into the run's fact_schema (label, unit,
-- display, position), so a run's page keeps showing what it was evaluated with after a label is
-- edited here; explanations name facts by these labels. A city that adds a column to
-- evaluation_facts adds a row here too; a fact without a row is shown by its name, and a row
-- without a fact is ignored.
--
-- A table rather than COMMENT ON COLUMN evaluation_facts.x: previous_category and previous_score
-- are facts but not columns of the view (hyoka computes them), the display kind is checked here
-- when it is written instead of being parsed out of free text at every evaluation, the rows give
-- the order a page shows the facts in, and they outlive a city's DROP VIEW / CREATE VIEW.
--
-- display (the text is computed in store/fact_display.c, the one place every view takes it from):
--   percent   a fraction written as a percentage, up to one decimal: 0.79 → "79 %"
--   yen       an amount, whole yen, grouped:                          1200000 → "1,200,000 円"
--   count     a whole number, grouped, with the unit:                 11 → "11 か月"
--   number    up to two decimals, grouped, with the unit if any:      0.3602 → "0.36 倍"
--   score     one decimal, with the unit:                             61.5 → "61.5 点"
--   due_days  days after a due date (negative before it):             -365 → "期限まで 365 日",
--             0 → "期限当日", 30 → "期限を 30 日超過"
--   yes_no    a boolean:                                              はい / いいえ
--   category  a category id, written as the run's rule set labels it
--   text      the text as it is
-- Rounding is half away from zero on the decimal value, as SPEC "Precise semantics" rounds every
-- figure. A null value is written 値なし.

CREATE TABLE fact_labels (
    name     text PRIMARY KEY CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]*$'),
    label    text NOT NULL CHECK (btrim(label) <> '' AND char_length(label) <= 100),
    unit     text CHECK (unit <> '' AND char_length(unit) <= 16),
    display  text NOT NULL CHECK (display IN ('percent', 'yen', 'count', 'number', 'score',
                                             'due_days', 'yes_no', 'category', 'text')),
    position integer NOT NULL UNIQUE CHECK (position >= 1)  -- the order a page lists facts in
);

COMMENT ON TABLE fact_labels IS
    'What a reader calls each fact of evaluation_facts (and previous_category/previous_score), '
    'its unit and how its value is written; copied into each run''s fact_schema (sql/016).';

-- The department's own words come first: a manager reads what the department said before the
-- figures hyoka derived from its report.
INSERT INTO fact_labels (name, label, unit, display, position) VALUES
    ('reported_reason',    '所管課が報告した理由',     NULL,   'text',     1),
    ('actual_progress',    '進捗率',                   '%',    'percent',  2),
    ('planned_progress',   '計画上の進捗率',           '%',    'percent',  3),
    ('budget_planned',     '予算',                     '円',   'yen',      4),
    ('budget_spent',       '執行額',                   '円',   'yen',      5),
    ('cost_benefit',       '費用対効果',               '倍',   'number',   6),
    ('kpi_attainment',     '指標の達成度',             '%',    'percent',  7),
    ('plan_decided',       '具体案の決定',             NULL,   'yes_no',   8),
    ('context_changed',    '計画時からの状況の変化',   NULL,   'yes_no',   9),
    ('months_since_start', '開始からの月数',           'か月', 'count',   10),
    ('days_past_due',      '期限までの日数',           '日',   'due_days', 11),
    ('completed',          '完了',                     NULL,   'yes_no',  12),
    ('previous_category',  '前回の評価区分',           NULL,   'category', 13),
    ('previous_score',     '前回のスコア',             '点',   'score',   14),
    ('departments',        '所管課',                   NULL,   'text',    15),
    ('measure_code',       '施策コード',               NULL,   'text',    16),
    ('initiative_code',    '取組コード',               NULL,   'text',    17);

-- hyoka_writer reads the labels when it evaluates, hyoka_web when it checks the rules against the
-- database at start; editing them is the owner's (or an administrator's) change, as the view is.
GRANT SELECT ON fact_labels TO hyoka_web, hyoka_writer, hyoka_reader;
