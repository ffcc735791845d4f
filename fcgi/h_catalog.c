/* h_catalog.c - the lists: /surveys, /runs, /departments and /measures (per-run drill-down), /kpis,
 * /projects. Every figure comes from the read model (store/read.h, store/kpi.h); this file only
 * shapes it. */
#include "csvout.h"
#include "db.h"
#include "handlers.h"
#include "json_eng.h"
#include "kpi.h"
#include "read.h"
#include "run.h"

#include <limits.h>

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

/* ---- /surveys ------------------------------------------------------------------------------ */

/* A list document of the read model, or its error. */
static void reply_read(hy_req *r, json_t *doc, int format, const store_error *err)
{
    if (doc == NULL) {
        db_reply_error(r, err);
        return;
    }
    reply_list(r, doc, format, false);
    json_decref(doc);
}

/* Calls `read` on the worker's connection, once more on a new one if the old one was lost. */
#define READ_RETRY(doc, err, call)                                                                 \
    do {                                                                                           \
        (doc) = NULL;                                                                              \
        for (int attempt_ = 0; attempt_ < 2 && (doc) == NULL; attempt_++) {                        \
            PGconn *c = db_conn(&(err));                                                           \
            if (c == NULL)                                                                         \
                break;                                                                             \
            (doc) = (call);                                                                        \
            if ((doc) == NULL && !db_lost(c, &(err)))                                              \
                break;                                                                             \
        }                                                                                          \
    } while (0)

void h_surveys(hy_req *r, const char *arg)
{
    (void)arg;
    int format;
    if (param_enum_or_reply(r, "format", formats, 0, &format) < 0)
        return;
    store_error err = {0};
    json_t *doc;
    READ_RETRY(doc, err, store_read_surveys(c, &err));
    reply_read(r, doc, format, &err);
}

/* ---- /runs: a survey's stored runs, newest first (SPEC v1.1 "Runs") ------------------------- */

void h_runs(hy_req *r, const char *arg)
{
    (void)arg;
    long limit, offset;
    int format;
    if (param_int_or_reply(r, "limit", 1, STORE_RUNS_LIMIT_MAX, 50, &limit) < 0 ||
        param_int_or_reply(r, "offset", 0, INT_MAX, 0, &offset) < 0 ||
        param_enum_or_reply(r, "format", formats, 0, &format) < 0)
        return;
    const char *survey = http_param(r, "survey");
    store_error err = {0};
    json_t *doc;
    READ_RETRY(doc, err, store_read_runs(c, survey, limit, offset, &err));
    if (doc == NULL && err.status == STORE_ENOTFOUND && survey != NULL) {
        http_problem(r, 404, "survey", "%s", err.message);
        return;
    }
    reply_read(r, doc, format, &err);
}

/* ---- /departments and /measures: per-survey counts by category and mean score ------------- */

/* {"survey", "run", "categories": [{"id", "label"}…]} of a drill-down document. */
static json_t *drill_down_doc(const store_run *rn)
{
    json_t *cats = json_array();
    for (int c = 0; c < rn->ncategories; c++)
        json_array_append_new(cats, json_pack("{s:s, s:s?}", "id", rn->categories[c].id, "label",
                                              rn->categories[c].label));
    return json_pack("{s:o, s:o, s:o}", "survey", run_survey_json(rn), "run", run_info_json(rn),
                     "categories", cats);
}

/* A drill-down of the run the request names: drill_down_doc with the groups `by` gives ("total",
 * "items" and, for departments, "divisions"), as JSON or its items as CSV. */
static void drill_down(hy_req *r, json_t *(*by)(const store_run *rn))
{
    int format;
    if (param_enum_or_reply(r, "format", formats, 0, &format) < 0 || run_reply_cached(r))
        return;
    store_run *rn = run_resolve_items_or_reply(r);
    if (rn == NULL)
        return;
    json_t *doc = drill_down_doc(rn), *groups = by(rn);
    json_object_update(doc, groups);
    json_decref(groups);
    reply_list(r, doc, format, true);
    json_decref(doc);
    run_release(rn);
}

/* /measures: the run's results by measure, in code order (store_run_measures). */
void h_measures(hy_req *r, const char *arg)
{
    (void)arg;
    drill_down(r, store_run_measures);
}

/* /departments: the run's results by department and by 部, in the organisation's order
 * (store_run_departments). format=csv lists the departments. */
void h_departments(hy_req *r, const char *arg)
{
    (void)arg;
    drill_down(r, store_run_departments);
}

/* ---- /kpis: each KPI at the survey's as-of date and after it (store/kpi.h) ------------------ */

/* {"value", "date"}: both null when there is no such observation. */
static json_t *obs_json(const kpi_obs *o)
{
    return jeng_must(json_pack("{s:o, s:o}", "value",
                               o->present ? jeng_number(o->value) : json_null(), "date",
                               o->present && o->date[0] ? json_string(o->date) : json_null()));
}

static json_t *kpi_json(const kpi_figure *k)
{
    json_t *inits = jeng_must(json_array());
    for (size_t i = 0; i < k->ninitiatives; i++)
        json_array_append_new(inits, jeng_must(json_string(k->initiatives[i])));
    /* "latest" is the v1.0 name of at_as_of, kept for scripts that read it. */
    return jeng_must(json_pack(
        "{s:s, s:s, s:s?, s:s?, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "code", k->code, "title",
        k->title, "unit", k->unit, "direction", k->direction, "baseline", obs_json(&k->baseline),
        "at_as_of", obs_json(&k->at_as_of), "after_as_of", obs_json(&k->latest), "target",
        obs_json(&k->target), "latest", obs_json(&k->at_as_of), "attainment",
        k->has_attainment ? jeng_number(k->attainment) : json_null(), "initiatives", inits));
}

void h_kpis(hy_req *r, const char *arg)
{
    (void)arg;
    int format;
    if (param_enum_or_reply(r, "format", formats, 0, &format) < 0)
        return;
    const char *survey = http_param(r, "survey");
    store_error err = {0};
    char as_of[KPI_DATE_LEN] = "";
    kpi_list kpis = {0};
    int rc = -1;
    for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
        PGconn *c = db_conn(&err);
        if (c == NULL)
            break;
        /* the named survey's as-of date, else the default survey's ("" when no survey has a
         * run: every KPI's newest value then) */
        int found = store_read_as_of(c, survey, as_of, &err);
        if (found == STORE_RUN_NO_SURVEY) {
            http_problem(r, 404, "survey", "%s", err.message);
            return;
        }
        rc = found < 0 ? -1
                       : kpi_list_read(c, as_of[0] ? as_of : NULL, NULL, 0, KPI_MAX_ITEMS, &kpis,
                                       &err);
        if (rc < 0 && !db_lost(c, &err))
            break;
    }
    if (rc < 0) {
        db_reply_error(r, &err);
        return;
    }
    json_t *items = jeng_must(json_array());
    for (size_t i = 0; i < kpis.n; i++)
        json_array_append_new(items, kpi_json(&kpis.items[i]));
    /* truncated: more than KPI_MAX_ITEMS KPIs exist, and the first of them are listed */
    json_t *doc = jeng_must(json_pack("{s:o, s:I, s:b, s:o}", "as_of",
                                      as_of[0] ? json_string(as_of) : json_null(), "total",
                                      (json_int_t)kpis.n, "truncated", kpis.truncated, "items",
                                      items));
    kpi_list_cleanup(&kpis);
    reply_list(r, doc, format, false);
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
    json_t *doc;
    READ_RETRY(doc, err, store_read_projects(c, &err));
    reply_read(r, doc, format, &err);
}
