-- 015_department_chart.sql - departments as the city organises them (departments.csv): each
-- department's reading, its 部 (division) with the division's reading, and its position in the
-- organisation chart.
--
-- All four are optional: a department that only initiatives.csv names has none of them, and the
-- views then order it by name (store/departments.h). Readings are kana (katakana or hiragana,
-- checked by `hyoka import`, store/kana.c), kept as written; the order is computed in C, not by
-- the database's collation (store/kana.h says why). position is the place in the chart across
-- the whole organisation (a division comes where its first department does); two departments
-- may not share one.
--
-- The existing grants (sql/003, sql/008) are per table and cover the new columns.

ALTER TABLE departments
    ADD COLUMN kana text CHECK (kana <> ''),
    ADD COLUMN division text CHECK (division <> ''),
    ADD COLUMN division_kana text CHECK (division_kana <> ''),
    ADD COLUMN position integer CHECK (position >= 0),
    ADD CONSTRAINT departments_division_kana_needs_division
        CHECK (division_kana IS NULL OR division IS NOT NULL);

COMMENT ON COLUMN departments.kana IS 'reading of the name (katakana or hiragana), for 五十音順';
COMMENT ON COLUMN departments.division IS '部 the department belongs to';
COMMENT ON COLUMN departments.division_kana IS 'reading of the division';
COMMENT ON COLUMN departments.position IS 'place in the organisation chart (smaller first)';
