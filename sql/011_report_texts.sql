-- 011_report_texts.sql - what the yearly report needs beyond the roadmap: the plan's and the
-- roadmap's names and adoption dates (the preamble quotes them), and the planning office's own
-- text for each survey (report_texts.csv: the title, the themes of section 4 with their paragraphs
-- and KPI figures, and section 7), imported by `hyoka import` (store/import.c, store/narrative.c).

ALTER TABLE plans
    ADD COLUMN adopted_on         date,  -- 策定 (令和3年3月策定)
    ADD COLUMN roadmap_title      text CHECK (roadmap_title <> ''),
    ADD COLUMN roadmap_adopted_on date;

-- One row per line of a survey's narrative, in the order the file gave them (position 1, 2, ...).
-- An import of report_texts.csv replaces the narrative of each survey it names.
CREATE TABLE report_texts (
    survey_id integer NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    position  integer NOT NULL CHECK (position >= 1),
    kind      text NOT NULL
              CHECK (kind IN ('title', 'theme', 'paragraph', 'figure', 'projects', 'outlook')),
    text      text,
    kpi_codes text[],  -- figure rows: the KPIs whose values the report quotes, in this order
    PRIMARY KEY (survey_id, position),
    CONSTRAINT report_texts_text_check CHECK (kind = 'projects' OR coalesce(text, '') <> ''),
    CONSTRAINT report_texts_kpis_check CHECK (kind = 'figure' OR kpi_codes IS NULL)
);

GRANT SELECT ON report_texts TO hyoka_web, hyoka_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON report_texts TO hyoka_writer;
