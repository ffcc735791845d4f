/* h_catalog.c - the lists: /surveys, /departments and /measures (per-survey drill-down), /kpis, /projects. */
#include "csvout.h"
#include "db.h"
#include "handlers.h"
#include "json_eng.h"
#include "read.h"
#include "run.h"

#include <stdlib.h>
#include <string.h>

static const char *const formats[] = {"json", "csv", NULL};

/* Answers a list document {"total", "items", ...} as JSON, or its items as CSV. */
static void reply_list(hy_req *r, json_t *doc, int format, bool cache)
{
    if (format == 1) {
        size_t len;
        char *csv = csvout_items(json_object_get(doc, "items"), &len);
        if (cache)
            run_reply_and_cache(r, "text/csv; charset=utf-8", csv, len);
        else
            http_reply(r, 200, "text/csv; charset=utf-8", csv, len, NULL);
        free(csv);
    } else if (cache) {
        run_reply_json_and_cache(r, doc);
    } else {
        http_reply_json(r, 200, doc);
    }
}

static json_t *num_or_null(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    return jeng_number(strtod(PQgetvalue(res, row, col), NULL));
}

static json_t *str_or_null(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

/* ---- /surveys ------------------------------------------------------------------------------ */

void h_surveys(hy_req *r, const char *arg)
{
    (void)arg;
    int format;
    if (param_enum_or_reply(r, "format", formats, 0, &format) < 0)
        return;
    store_error err = {0};
    PGresult *res = db_query(
        "SELECT s.code, s.as_of::text, s.label,"
        " (SELECT count(*) FROM evaluation_runs x WHERE x.survey_id = s.id"
        "   AND x.id <= " STORE_READ_PUBLISHED "),"
        " r.id, to_char(r.evaluated_at, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM'), rs.version, rs.sha256"
        " FROM surveys s"
        " LEFT JOIN LATERAL (SELECT max(x.id) AS id FROM evaluation_runs x"
        "   WHERE x.survey_id = s.id AND x.id <= " STORE_READ_PUBLISHED ") lr ON true"
        " LEFT JOIN evaluation_runs r ON r.id = lr.id"
        " LEFT JOIN rule_sets rs ON rs.id = r.rule_set_id ORDER BY s.as_of, s.code",
        0, NULL, &err);
    if (res == NULL) {
        db_reply_error(r, &err);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *latest = PQgetisnull(res, i, 4)
                             ? json_null()
                             : json_pack("{s:I, s:s, s:{s:s, s:s}}", "id",
                                         (json_int_t)strtoll(PQgetvalue(res, i, 4), NULL, 10),
                                         "evaluated_at", PQgetvalue(res, i, 5), "rules",
                                         "version", PQgetvalue(res, i, 6), "sha256",
                                         PQgetvalue(res, i, 7));
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:o, s:I, s:o}", "code", PQgetvalue(res, i, 0), "as_of",
                             PQgetvalue(res, i, 1), "label", str_or_null(res, i, 2), "runs",
                             (json_int_t)strtoll(PQgetvalue(res, i, 3), NULL, 10), "latest_run",
                             latest));
    }
    json_t *doc = json_pack("{s:i, s:o}", "total", PQntuples(res), "items", items);
    PQclear(res);
    reply_list(r, doc, format, false);
    json_decref(doc);
}

/* ---- /departments and /measures: per-survey counts by category and mean score ------------- */

typedef struct group {
    const char *key, *title;
    long total, scored;
    double score_sum;
    long counts[RUN_MAX_CATALOG];
} group;

static group *find_group(group **groups, int *n, int *cap, const char *key, const char *title)
{
    for (int i = 0; i < *n; i++)
        if (strcmp((*groups)[i].key, key) == 0)
            return &(*groups)[i];
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *groups = realloc(*groups, (size_t)*cap * sizeof **groups);
        if (*groups == NULL)
            abort();
    }
    group *g = &(*groups)[(*n)++];
    memset(g, 0, sizeof *g);
    g->key = key;
    g->title = title;
    return g;
}

static void tally(group *g, const run_item *it)
{
    g->total++;
    g->counts[it->category]++;
    if (it->has_score) {
        g->scored++;
        g->score_sum += it->score;
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const group *)a)->key, ((const group *)b)->key);
}

static int by_code(const void *a, const void *b)
{
    return run_code_cmp(((const group *)a)->key, ((const group *)b)->key);
}

static json_t *group_json(const run *rn, const group *g, bool measure)
{
    json_t *counts = json_object();
    for (int c = 0; c < rn->ncategories; c++)
        json_object_set_new(counts, rn->categories[c].id, json_integer(g->counts[c]));
    json_t *mean = g->scored > 0 ? jeng_number(eng_round(g->score_sum / (double)g->scored, 1))
                                 : json_null();
    if (measure)
        return json_pack("{s:s, s:s, s:i, s:o, s:o}", "code", g->key, "title", g->title,
                         "total", (int)g->total, "counts", counts, "mean_score", mean);
    return json_pack("{s:s, s:i, s:o, s:o}", "name", g->key, "total", (int)g->total, "counts",
                     counts, "mean_score", mean);
}

static void drill_down(hy_req *r, bool measures)
{
    int format;
    if (param_enum_or_reply(r, "format", formats, 0, &format) < 0 || run_reply_cached(r))
        return;
    run *rn = run_resolve_items_or_reply(r, http_param(r, "survey"));
    if (rn == NULL)
        return;
    group *groups = NULL;
    int n = 0, cap = 0;
    for (int i = 0; i < rn->nitems; i++) {
        const run_item *it = &rn->items[i];
        if (measures) {
            tally(find_group(&groups, &n, &cap, it->measure_code, it->measure_title), it);
        } else {
            for (int d = 0; d < it->ndepartments; d++)
                tally(find_group(&groups, &n, &cap, it->departments[d], NULL), it);
        }
    }
    if (n > 0)
        qsort(groups, (size_t)n, sizeof *groups, measures ? by_code : by_name);
    json_t *items = json_array(), *cats = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(items, group_json(rn, &groups[i], measures));
    for (int c = 0; c < rn->ncategories; c++)
        json_array_append_new(cats, json_pack("{s:s, s:s?}", "id", rn->categories[c].id, "label",
                                              rn->categories[c].label));
    json_t *doc = json_pack("{s:o, s:o, s:o, s:i, s:o}", "survey", run_survey_json(rn), "run",
                            run_info_json(rn), "categories", cats, "total", n, "items", items);
    reply_list(r, doc, format, true);
    json_decref(doc);
    free(groups);
    run_release(rn);
}

void h_departments(hy_req *r, const char *arg)
{
    (void)arg;
    drill_down(r, false);
}

void h_measures(hy_req *r, const char *arg)
{
    (void)arg;
    drill_down(r, true);
}

/* ---- /kpis: baseline -> latest (on or before the survey's as-of) -> target ---------------- */

void h_kpis(hy_req *r, const char *arg)
{
    (void)arg;
    int format;
    if (param_enum_or_reply(r, "format", formats, 0, &format) < 0)
        return;
    store_error err = {0};
    const char *survey = http_param(r, "survey");
    PGresult *res = NULL;
    json_t *doc = NULL;
    char as_of[16] = "";
    /* The as-of date: the named survey's, else the default survey's (latest with a run). */
    const char *p1[] = {survey};
    res = survey != NULL
              ? db_query("SELECT as_of::text FROM surveys WHERE code = $1", 1, p1, &err)
              : db_query("SELECT s.as_of::text FROM surveys s WHERE EXISTS (SELECT 1 FROM"
                         " evaluation_runs r WHERE r.survey_id = s.id"
                         " AND r.id <= " STORE_READ_PUBLISHED ") ORDER BY s.as_of DESC"
                         " LIMIT 1",
                         0, NULL, &err);
    if (res == NULL) {
        db_reply_error(r, &err);
        goto out;
    }
    if (PQntuples(res) == 1)
        snprintf(as_of, sizeof as_of, "%s", PQgetvalue(res, 0, 0));
    else if (survey != NULL) {
        http_problem(r, 404, "survey", "unknown survey '%s'", survey);
        goto out;
    }
    PQclear(res);
    const char *p2[] = {as_of[0] ? as_of : NULL};
    res = db_query(
        "SELECT k.code, k.title, k.unit, k.direction, k.baseline_value::text,"
        " k.baseline_date::text, k.target_value::text, k.target_date::text, v.date::text,"
        " v.value::text,"
        " coalesce((SELECT json_agg(i.code ORDER BY i.code) FROM kpi_initiatives ki"
        "  JOIN initiatives i ON i.id = ki.initiative_id WHERE ki.kpi_id = k.id)::text, '[]')"
        " FROM kpis k LEFT JOIN LATERAL (SELECT x.date, x.value FROM kpi_values x"
        "  WHERE x.kpi_id = k.id AND ($1::date IS NULL OR x.date <= $1::date)"
        "  ORDER BY x.date DESC LIMIT 1) v ON true ORDER BY k.code",
        1, p2, &err);
    if (res == NULL) {
        db_reply_error(r, &err);
        goto out;
    }
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *att = json_null();
        if (!PQgetisnull(res, i, 4) && !PQgetisnull(res, i, 6) && !PQgetisnull(res, i, 9)) {
            double base = strtod(PQgetvalue(res, i, 4), NULL);
            double target = strtod(PQgetvalue(res, i, 6), NULL);
            double latest = strtod(PQgetvalue(res, i, 9), NULL);
            if (target != base) {
                json_decref(att);
                att = jeng_number(eng_round((latest - base) / (target - base), 3));
            }
        }
        json_t *inits = json_loads(PQgetvalue(res, i, 10), 0, NULL);
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:o, s:o, s:{s:o, s:o}, s:{s:o, s:o}, s:{s:o, s:o}, s:o, s:o}",
                      "code", PQgetvalue(res, i, 0), "title", PQgetvalue(res, i, 1), "unit",
                      str_or_null(res, i, 2), "direction", str_or_null(res, i, 3), "baseline",
                      "value", num_or_null(res, i, 4), "date", str_or_null(res, i, 5), "latest",
                      "value", num_or_null(res, i, 9), "date", str_or_null(res, i, 8), "target",
                      "value", num_or_null(res, i, 6), "date", str_or_null(res, i, 7),
                      "attainment", att, "initiatives", inits ? inits : json_array()));
    }
    doc = json_pack("{s:o, s:i, s:o}", "as_of", as_of[0] ? json_string(as_of) : json_null(),
                    "total", PQntuples(res), "items", items);
    reply_list(r, doc, format, false);
out:
    PQclear(res);
    json_decref(doc);
}

/* ---- /projects ----------------------------------------------------------------------------- */

void h_projects(hy_req *r, const char *arg)
{
    (void)arg;
    int format;
    if (param_enum_or_reply(r, "format", formats, 0, &format) < 0)
        return;
    store_error err = {0};
    /* As the published report lists them (and store/report.c does): grouped by stage in order
     * of first appearance, then in the order they were imported. */
    PGresult *res = db_query("SELECT theme, department, stage FROM projects"
                             " ORDER BY min(id) OVER (PARTITION BY stage), id",
                             0, NULL, &err);
    if (res == NULL) {
        db_reply_error(r, &err);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(items, json_pack("{s:s, s:o, s:o}", "theme", PQgetvalue(res, i, 0),
                                               "department", str_or_null(res, i, 1), "stage",
                                               str_or_null(res, i, 2)));
    json_t *doc = json_pack("{s:i, s:o}", "total", PQntuples(res), "items", items);
    PQclear(res);
    reply_list(r, doc, format, false);
    json_decref(doc);
}
