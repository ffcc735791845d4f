/* narrative.c - report_texts.csv: its kinds, cross-row checks, write and read (narrative.h). */
#include "i18n.h"
#include "narrative.h"
#include "csv_cell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *id, *alias;
} KINDS[] = {
    {"title", "表題"},   {"theme", "テーマ"},       {"paragraph", "本文"},
    {"figure", "指標"},  {"projects", "官民連携"},  {"outlook", "今後の方向性"},
};

const char *narrative_kind(const char *s)
{
    for (size_t i = 0; s != NULL && i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (csv_cell_ieq(s, KINDS[i].id) || strcmp(s, KINDS[i].alias) == 0)
            return KINDS[i].id;
    return NULL;
}

const char *narrative_kinds_text(void)
{
    return _("title, theme, paragraph, figure, projects or outlook; in Japanese 表題, テーマ, 本文, "
             "指標, 官民連携 or 今後の方向性");
}

/* Rows of a survey are numbered by their file row; "the last theme above" is the greatest theme
 * row below this one of the same survey. */
const narrative_check NARRATIVE_CHECKS[] = {
    {0, N_("unknown survey %s (neither in surveys.csv of this import nor in the database)"),
     "SELECT t.row, quote_literal(t.survey_code) FROM " NARRATIVE_TMP " t "
        "WHERE t.survey_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM imp_surveys x WHERE "
        "x.code = t.survey_code) AND NOT EXISTS (SELECT 1 FROM surveys x WHERE x.code = "
        "t.survey_code) ORDER BY t.row"},
    {1, N_("a %s row belongs to a theme, but no theme row of survey %s comes before it"),
     "SELECT t.row, t.kind, quote_literal(t.survey_code) FROM " NARRATIVE_TMP " t "
        "WHERE t.kind IN ('paragraph', 'figure', 'projects') AND NOT EXISTS (SELECT 1 FROM "
        NARRATIVE_TMP " x WHERE x.survey_code = t.survey_code AND x.kind = 'theme' AND x.row < "
        "t.row) ORDER BY t.row"},
    {1, N_("the title of survey %s is already given at row %s"),
     "SELECT row, quote_literal(survey_code), first::text FROM (SELECT row, survey_code, min(row) OVER (PARTITION BY "
        "survey_code) AS first FROM " NARRATIVE_TMP " WHERE kind = 'title') s WHERE row > first "
        "ORDER BY row"},
    {1, N_("the projects of survey %s are already placed at row %s"),
     "SELECT row, quote_literal(survey_code), first::text FROM (SELECT row, survey_code, min(row) OVER (PARTITION BY "
        "survey_code) AS first FROM " NARRATIVE_TMP " WHERE kind = 'projects') s WHERE row > "
        "first ORDER BY row"},
    {2, N_("empty, but rows of kind %s need their text"),
     "SELECT t.row, t.kind FROM " NARRATIVE_TMP " t WHERE t.kind IS NOT NULL AND t.kind <> 'projects' AND t.text IS NULL ORDER BY t.row"},
    {2, N_("a projects row takes no text (the report shows projects.csv as a table)"),
     "SELECT t.row FROM " NARRATIVE_TMP " t WHERE t.kind = 'projects' AND t.text IS NOT NULL ORDER BY t.row"},
    {2, N_("theme %s of survey %s is already given at row %s"),
     "SELECT row, quote_literal(text), quote_literal(survey_code), first::text FROM (SELECT row, survey_code, text, min(row) "
        "OVER (PARTITION BY survey_code, text) AS first FROM " NARRATIVE_TMP " WHERE kind = "
        "'theme' AND text IS NOT NULL) s WHERE row > first ORDER BY row"},
    {3, N_("only a figure row lists KPIs (this row is of kind %s)"),
     "SELECT t.row, t.kind FROM " NARRATIVE_TMP " t WHERE t.kind <> 'figure' AND t.kpi_codes IS NOT NULL ORDER BY t.row"},
    {3, N_("unknown KPI %s (neither in kpis.csv of this import nor in the database)"),
     "SELECT t.row, quote_literal(u.code) FROM " NARRATIVE_TMP " t CROSS JOIN LATERAL "
        "unnest(string_to_array(t.kpi_codes, E'\\x1f')) u(code) WHERE NOT EXISTS (SELECT 1 FROM "
        "imp_kpis x WHERE x.code = u.code) AND NOT EXISTS (SELECT 1 FROM kpis x WHERE x.code = "
        "u.code) ORDER BY t.row"},
};
const size_t NARRATIVE_NCHECKS = sizeof NARRATIVE_CHECKS / sizeof NARRATIVE_CHECKS[0];

static long run_count(PGconn *c, const char *sql, store_error *err)
{
    PGresult *res = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
    long n = -1;
    if (PQresultStatus(res) == PGRES_COMMAND_OK)
        n = strtol(PQcmdTuples(res), NULL, 10);
    else
        store_fail_pq(err, c, res, NARRATIVE_FILE);
    PQclear(res);
    return n;
}

int narrative_apply(PGconn *c, long *inserted, long *updated, long *removed, store_error *err)
{
    *inserted = *updated = *removed = 0;
    if (run_count(c,
                  "CREATE TEMPORARY TABLE imp_report_next ON COMMIT DROP AS "
                  "SELECT s.id AS survey_id, row_number() OVER (PARTITION BY s.id ORDER BY t.row)"
                  "::int AS position, t.kind, t.text, string_to_array(t.kpi_codes, E'\\x1f') "
                  "AS kpi_codes FROM " NARRATIVE_TMP " t JOIN surveys s ON s.code = t.survey_code",
                  err) < 0)
        return -1;
    *updated = run_count(c,
                         "UPDATE report_texts cur SET kind = n.kind, text = n.text, kpi_codes = "
                         "n.kpi_codes FROM imp_report_next n WHERE cur.survey_id = n.survey_id AND "
                         "cur.position = n.position AND ROW(cur.kind, cur.text, cur.kpi_codes) IS "
                         "DISTINCT FROM ROW(n.kind, n.text, n.kpi_codes)",
                         err);
    if (*updated < 0)
        return -1;
    *inserted = run_count(c,
                          "INSERT INTO report_texts (survey_id, position, kind, text, kpi_codes) "
                          "SELECT n.survey_id, n.position, n.kind, n.text, n.kpi_codes FROM "
                          "imp_report_next n WHERE NOT EXISTS (SELECT 1 FROM report_texts cur "
                          "WHERE cur.survey_id = n.survey_id AND cur.position = n.position) "
                          "ORDER BY n.survey_id, n.position",
                          err);
    if (*inserted < 0)
        return -1;
    *removed = run_count(c,
                         "DELETE FROM report_texts cur WHERE cur.survey_id IN (SELECT survey_id "
                         "FROM imp_report_next) AND NOT EXISTS (SELECT 1 FROM imp_report_next n "
                         "WHERE n.survey_id = cur.survey_id AND n.position = cur.position)",
                         err);
    return *removed < 0 ? -1 : 0;
}

PGresult *narrative_read(PGconn *c, const char *survey_id, int max_rows, store_error *err)
{
    char limit[24];
    snprintf(limit, sizeof limit, "%d", max_rows + 1);
    const char *params[2] = {survey_id, limit};
    PGresult *res = PQexecParams(c,
                                 "SELECT kind, text, array_to_string(kpi_codes, E'\\x1f') "
                                 "FROM report_texts WHERE survey_id = $1::int "
                                 "ORDER BY position LIMIT $2::int",
                                 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_fail_pq(err, c, res, "reading the report's text");
        PQclear(res);
        return NULL;
    }
    return res;
}
