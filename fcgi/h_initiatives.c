/* h_initiatives.c - GET /api/v1/initiatives (filters, sort, paging, CSV) and /initiatives/CODE. */
#include "csvw.h"
#include "db.h"
#include "evaluate.h"
#include "handlers.h"
#include "json_eng.h"
#include "read.h"
#include "run.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 500
#define OFFSET_MAX 100000000L

/* In store_sort order. */
static const char *const sorts[] = {"code", "score", "-score", "title", NULL};
static const char *const formats[] = {"json", "csv", NULL};

/* Resolves ?category=/primary_reason=/reason=/flag= against the run's catalog; 400 naming the parameter. */
static int catalog_param(hy_req *r, const char *name, const store_run_label *list, int n,
                         int *out)
{
    const char *v = http_param(r, name);
    *out = -1;
    if (v == NULL)
        return 0;
    *out = store_run_find(list, n, v);
    if (*out >= 0)
        return 0;
    char ids[512] = "";
    for (int i = 0; i < n; i++) {
        if (i > 0)
            strncat(ids, ", ", sizeof ids - strlen(ids) - 1);
        strncat(ids, list[i].id, sizeof ids - strlen(ids) - 1);
    }
    http_problem(r, 400, name, "unknown %s '%s' in the rules of this run (known: %s)", name, v,
                 ids[0] ? ids : "none");
    return -1;
}

/* One list cell with the ids of the catalog entries whose bit is set in `bits`. */
static void id_list(csvw *w, const store_run_label *list, int n, uint64_t bits)
{
    for (int i = 0; i < n; i++)
        if (bits & ((uint64_t)1 << i))
            csvw_list_item(w, list[i].id);
    csvw_list_end(w);
}

/* One list cell with a result's departments (recommendations: false) or recommendations. */
static void text_list(csvw *w, const store_run *rn, const store_run_item *it, bool departments)
{
    int n = departments ? it->ndepartments : it->nrecommendations;
    for (int i = 0; i < n; i++)
        csvw_list_item(w, departments ? store_item_department(rn, it, i)
                                      : store_item_recommendation(rn, it, i));
    csvw_list_end(w);
}

static void reply_csv(hy_req *r, const store_run *rn, const int *idx, int n)
{
    static const char *const columns[] = {"code",           "title",    "measure_code",
                                          "measure_title",  "departments", "category",
                                          "category_label", "score",    "reasons",
                                          "flags",          "recommendations"};
    csvw *w = csvw_new(CSVW_EXCEL);
    csvw_header(w, columns, sizeof columns / sizeof columns[0]);
    for (int k = 0; k < n; k++) {
        const store_run_item *it = &rn->items[idx[k]];
        csvw_text(w, store_run_text(rn, it->code));
        csvw_text(w, store_run_text(rn, it->title));
        csvw_text(w, store_run_text(rn, it->measure_code));
        csvw_text(w, store_run_text(rn, it->measure_title));
        text_list(w, rn, it, true);
        csvw_text(w, rn->categories[it->category].id);
        csvw_text(w, rn->categories[it->category].label);
        if (it->has_score)
            csvw_number(w, it->score, 1);
        else
            csvw_empty(w);
        id_list(w, rn->reasons, rn->nreasons, it->reasons);
        id_list(w, rn->flags, rn->nflags, it->flags);
        text_list(w, rn, it, false);
        csvw_row_end(w);
    }
    size_t len;
    const char *csv = csvw_data(w, &len);
    run_reply_and_cache(r, "text/csv; charset=utf-8", csv, len);
    csvw_free(w);
}

void h_initiatives(hy_req *r, const char *arg)
{
    (void)arg;
    long limit, offset;
    int sort, format;
    if (param_int_or_reply(r, "limit", 1, LIMIT_MAX, LIMIT_DEFAULT, &limit) < 0 ||
        param_int_or_reply(r, "offset", 0, OFFSET_MAX, 0, &offset) < 0 ||
        param_enum_or_reply(r, "sort", sorts, STORE_SORT_CODE, &sort) < 0 ||
        param_enum_or_reply(r, "format", formats, 0, &format) < 0)
        return;
    if (run_reply_cached(r))
        return;
    store_run *rn = run_resolve_items_or_reply(r);
    if (rn == NULL)
        return;
    int *idx = NULL;
    json_t *doc = NULL;
    store_filter f = STORE_FILTER_ANY;
    f.department = http_param(r, "department");
    f.measure = http_param(r, "measure");
    f.q = http_param(r, "q");
    if (catalog_param(r, "category", rn->categories, rn->ncategories, &f.category) < 0 ||
        catalog_param(r, "primary_reason", rn->reasons, rn->nreasons, &f.primary_reason) < 0 ||
        catalog_param(r, "reason", rn->reasons, rn->nreasons, &f.reason) < 0 ||
        catalog_param(r, "flag", rn->flags, rn->nflags, &f.flag) < 0)
        goto out;
    idx = xcalloc((size_t)rn->nitems, sizeof *idx);
    int n = store_run_select(rn, &f, (store_sort)sort, idx);
    if (format == 1) {
        reply_csv(r, rn, idx, n);
        goto out;
    }
    json_t *items = json_array();
    for (long k = offset; k < n && k < offset + limit; k++)
        json_array_append_new(items, run_item_json(rn, &rn->items[idx[k]]));
    doc = jeng_must(json_pack("{s:o, s:o, s:i, s:I, s:I, s:o}", "survey", run_survey_json(rn),
                              "run", run_info_json(rn), "total", n, "limit", (json_int_t)limit,
                              "offset", (json_int_t)offset, "items", items));
    run_reply_json_and_cache(r, doc);
out:
    json_decref(doc);
    free(idx);
    run_release(rn);
}

void h_initiative(hy_req *r, const char *code)
{
    if (run_reply_cached(r))
        return;
    store_run *rn = run_resolve_items_or_reply(r);
    if (rn == NULL)
        return;
    json_t *doc = NULL, *explained = NULL, *history = NULL;
    store_error err = {0};
    const store_run_item *it = NULL;
    for (int i = 0; i < rn->nitems && it == NULL; i++)
        if (strcmp(store_run_text(rn, rn->items[i].code), code) == 0)
            it = &rn->items[i];
    if (it == NULL) {
        http_problem(r, 404, NULL, "initiative '%s' is not in evaluation run %lld of survey '%s'",
                     code, rn->id, rn->survey_code);
        goto out;
    }
    PGconn *c = db_conn(&err);
    explained = c != NULL ? store_explain(c, rn->id, code, &err) : NULL;
    history = explained != NULL ? store_read_history(c, code, &err) : NULL;
    if (history == NULL) {
        db_reply_error(r, &err);
        goto out;
    }
    doc = run_item_json(rn, it);
    json_object_set_new(doc, "survey", run_survey_json(rn));
    json_object_set_new(doc, "run", run_info_json(rn));
    json_object_set(doc, "facts", json_object_get(explained, "facts"));
    json_object_set(doc, "fact_display", json_object_get(explained, "fact_display"));
    json_object_set(doc, "explanation", json_object_get(explained, "explanation"));
    json_object_set(doc, "counterfactuals", json_object_get(explained, "counterfactuals"));
    json_object_set_new(doc, "history", history);
    history = NULL;
    run_reply_json_and_cache(r, doc);
out:
    json_decref(history);
    json_decref(explained);
    json_decref(doc);
    run_release(rn);
}
