/* h_initiatives.c - GET /api/v1/initiatives (filters, sort, paging, CSV) and /initiatives/CODE. */
#define _GNU_SOURCE /* strcasestr */
#include "csvw.h"
#include "db.h"
#include "evaluate.h"
#include "handlers.h"
#include "json_eng.h"
#include "read.h"
#include "run.h"

#include <stdlib.h>
#include <string.h>

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 500
#define OFFSET_MAX 100000000L

enum { SORT_CODE, SORT_SCORE, SORT_SCORE_DESC, SORT_TITLE };
static const char *const sorts[] = {"code", "score", "-score", "title", NULL};
static const char *const formats[] = {"json", "csv", NULL};

/* ---- filtering and sorting ---------------------------------------------------------------- */

typedef struct filter {
    int category, reason, flag; /* -1: any */
    const char *department, *measure, *q;
} filter;

static bool has_department(const run_item *it, const char *d)
{
    for (int i = 0; i < it->ndepartments; i++)
        if (strcmp(it->departments[i], d) == 0)
            return true;
    return false;
}

static bool matches(const run_item *it, const filter *f)
{
    if (f->category >= 0 && it->category != f->category)
        return false;
    if (f->reason >= 0 && !(it->reasons & ((uint64_t)1 << f->reason)))
        return false;
    if (f->flag >= 0 && !(it->flags & ((uint64_t)1 << f->flag)))
        return false;
    if (f->department != NULL && !has_department(it, f->department))
        return false;
    if (f->measure != NULL && strcmp(it->measure_code, f->measure) != 0)
        return false;
    /* q: a substring of the code or the title; ASCII letters match either case ("dx" finds
     * "DX"), everything else (Japanese) as typed. strcasestr folds only ASCII bytes in the C
     * locale, so UTF-8 sequences are compared exactly. */
    if (f->q != NULL && f->q[0] != '\0' && strcasestr(it->code, f->q) == NULL &&
        strcasestr(it->title, f->q) == NULL)
        return false;
    return true;
}

static const run *sort_run;
static int sort_order;

/* Items are in code order already; index order breaks every tie by code. */
static int cmp_index(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    const run_item *x = &sort_run->items[i], *y = &sort_run->items[j];
    int c = 0;
    if (sort_order == SORT_TITLE) {
        c = strcmp(x->title, y->title); /* UTF-8 bytes order as code points */
    } else if (sort_order == SORT_SCORE || sort_order == SORT_SCORE_DESC) {
        if (x->has_score != y->has_score)
            c = x->has_score ? -1 : 1; /* nulls last either way */
        else if (x->has_score && x->score != y->score)
            c = (x->score < y->score ? -1 : 1) * (sort_order == SORT_SCORE_DESC ? -1 : 1);
    }
    return c != 0 ? c : (i > j) - (i < j);
}

/* Resolves ?category=/reason=/flag= against the run's catalog; 400 naming the parameter. */
static int catalog_param(hy_req *r, const char *name, const run_label *list, int n, int *out)
{
    const char *v = http_param(r, name);
    *out = -1;
    if (v == NULL)
        return 0;
    *out = run_find(list, n, v);
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
static void id_list(csvw *w, const run_label *list, int n, uint64_t bits)
{
    for (int i = 0; i < n; i++)
        if (bits & ((uint64_t)1 << i))
            csvw_list_item(w, list[i].id);
    csvw_list_end(w);
}

static void text_list(csvw *w, const char *const *items, int n)
{
    for (int i = 0; i < n; i++)
        csvw_list_item(w, items[i]);
    csvw_list_end(w);
}

static void reply_csv(hy_req *r, const run *rn, const int *idx, int n)
{
    static const char *const columns[] = {"code",           "title",    "measure_code",
                                          "measure_title",  "departments", "category",
                                          "category_label", "score",    "reasons",
                                          "flags",          "recommendations"};
    csvw *w = csvw_new(CSVW_EXCEL);
    csvw_header(w, columns, sizeof columns / sizeof columns[0]);
    for (int k = 0; k < n; k++) {
        const run_item *it = &rn->items[idx[k]];
        csvw_text(w, it->code);
        csvw_text(w, it->title);
        csvw_text(w, it->measure_code);
        csvw_text(w, it->measure_title);
        text_list(w, it->departments, it->ndepartments);
        csvw_text(w, rn->categories[it->category].id);
        csvw_text(w, rn->categories[it->category].label);
        if (it->has_score)
            csvw_number(w, it->score, 1);
        else
            csvw_empty(w);
        id_list(w, rn->reasons, rn->nreasons, it->reasons);
        id_list(w, rn->flags, rn->nflags, it->flags);
        text_list(w, it->recommendations, it->nrecommendations);
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
        param_enum_or_reply(r, "sort", sorts, SORT_CODE, &sort) < 0 ||
        param_enum_or_reply(r, "format", formats, 0, &format) < 0)
        return;
    if (run_reply_cached(r))
        return;
    run *rn = run_resolve_items_or_reply(r, http_param(r, "survey"));
    if (rn == NULL)
        return;
    int *idx = NULL;
    json_t *doc = NULL;
    filter f = {-1, -1, -1, http_param(r, "department"), http_param(r, "measure"),
                http_param(r, "q")};
    if (catalog_param(r, "category", rn->categories, rn->ncategories, &f.category) < 0 ||
        catalog_param(r, "reason", rn->reasons, rn->nreasons, &f.reason) < 0 ||
        catalog_param(r, "flag", rn->flags, rn->nflags, &f.flag) < 0)
        goto out;
    idx = malloc(((size_t)rn->nitems + 1) * sizeof *idx);
    if (idx == NULL)
        abort();
    int n = 0;
    for (int i = 0; i < rn->nitems; i++)
        if (matches(&rn->items[i], &f))
            idx[n++] = i;
    if (sort != SORT_CODE) {
        sort_run = rn;
        sort_order = sort;
        qsort(idx, (size_t)n, sizeof *idx, cmp_index);
    }
    if (format == 1) {
        reply_csv(r, rn, idx, n);
        goto out;
    }
    json_t *items = json_array();
    for (long k = offset; k < n && k < offset + limit; k++)
        json_array_append_new(items, run_item_json(rn, &rn->items[idx[k]]));
    doc = json_pack("{s:i, s:I, s:I, s:o}", "total", n, "limit", (json_int_t)limit, "offset",
                    (json_int_t)offset, "items", items);
    run_reply_json_and_cache(r, doc);
out:
    json_decref(doc);
    free(idx);
    run_release(rn);
}

/* The history in two queries: the newest run of each survey, then the initiative's results in
 * those runs, named by a parameter. One query joining the runs in made PostgreSQL plan every
 * partition of evaluation_results (one per run, sql/005): 161 ms of planning at 502 runs, where
 * this takes ~6 ms. */
static const char *const sql_history_runs =
    "SELECT coalesce(array_agg(lr.id), '{}') FROM surveys s"
    " JOIN LATERAL (SELECT max(r.id) AS id FROM evaluation_runs r WHERE r.survey_id = s.id"
    "   AND r.id <= " STORE_READ_PUBLISHED ") lr"
    "   ON lr.id IS NOT NULL";
static const char *const sql_history =
    "SELECT s.code, s.as_of::text, s.label, e.category, e.score::text,"
    " (SELECT c->>'label' FROM jsonb_array_elements(rs.catalog->'categories') c"
    "   WHERE c->>'id' = e.category LIMIT 1)"
    " FROM evaluation_results e"
    " JOIN initiatives i ON i.id = e.initiative_id AND i.code = $1"
    " JOIN evaluation_runs r ON r.id = e.run_id JOIN surveys s ON s.id = r.survey_id"
    " JOIN rule_sets rs ON rs.id = r.rule_set_id"
    " WHERE e.run_id = ANY ($2::bigint[])"
    " ORDER BY s.as_of, s.code";

void h_initiative(hy_req *r, const char *code)
{
    if (run_reply_cached(r))
        return;
    run *rn = run_resolve_items_or_reply(r, http_param(r, "survey"));
    if (rn == NULL)
        return;
    json_t *doc = NULL, *explained = NULL;
    PGresult *res = NULL;
    store_error err = {0};
    const run_item *it = NULL;
    for (int i = 0; i < rn->nitems && it == NULL; i++)
        if (strcmp(rn->items[i].code, code) == 0)
            it = &rn->items[i];
    if (it == NULL) {
        http_problem(r, 404, NULL, "initiative '%s' is not in the evaluation of survey '%s'",
                     code, rn->survey_code);
        goto out;
    }
    PGconn *c = db_conn(&err);
    explained = c != NULL ? store_explain(c, rn->id, code, &err) : NULL;
    if (explained == NULL) {
        db_reply_error(r, &err);
        goto out;
    }
    res = db_query(sql_history_runs, 0, NULL, &err);
    if (res == NULL) {
        db_reply_error(r, &err);
        goto out;
    }
    const char *params[] = {code, PQgetvalue(res, 0, 0)};
    PGresult *runs = res;
    res = db_query(sql_history, 2, params, &err);
    PQclear(runs);
    if (res == NULL) {
        db_reply_error(r, &err);
        goto out;
    }
    json_t *history = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *survey = json_pack("{s:s, s:s, s:s?}", "code", PQgetvalue(res, i, 0), "as_of",
                                   PQgetvalue(res, i, 1), "label",
                                   PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2));
        json_t *score = PQgetisnull(res, i, 4) ? json_null()
                                               : jeng_number(strtod(PQgetvalue(res, i, 4), NULL));
        json_array_append_new(
            history, json_pack("{s:o, s:{s:s, s:s?}, s:o}", "survey", survey, "category", "id",
                               PQgetvalue(res, i, 3), "label",
                               PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5), "score",
                               score));
    }
    doc = run_item_json(rn, it);
    json_object_set_new(doc, "survey", run_survey_json(rn));
    json_object_set_new(doc, "run", run_info_json(rn));
    json_object_set(doc, "facts", json_object_get(explained, "facts"));
    json_object_set(doc, "explanation", json_object_get(explained, "explanation"));
    json_object_set_new(doc, "history", history);
    run_reply_json_and_cache(r, doc);
out:
    PQclear(res);
    json_decref(explained);
    json_decref(doc);
    run_release(rn);
}
