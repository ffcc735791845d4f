/* read_run.c - a stored run loaded for the views (read.h): its header, catalog and summary, then
 * its results in code order; and the one filter and order of those results. */
#define _GNU_SOURCE /* strcasestr */
#include "read.h"

#include "code_order.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_BLOCK (64 * 1024) /* arena block: one malloc for hundreds of strings */

static char *new_block(store_run *rn, size_t size)
{
    if (rn->nblocks_ == rn->capblocks_) {
        rn->capblocks_ = rn->capblocks_ ? rn->capblocks_ * 2 : 64;
        rn->blocks_ = xrealloc(rn->blocks_, (size_t)rn->capblocks_ * sizeof *rn->blocks_);
    }
    char *b = xmalloc(size);
    rn->blocks_[rn->nblocks_++] = b;
    rn->bytes += size + sizeof(char *);
    return b;
}

/* Copies a string into the run's arena; it lives as long as the run. */
static const char *keep(store_run *rn, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    if (n > RUN_BLOCK / 4) { /* a long one gets its own block, the current one stays open */
        char *own = new_block(rn, n);
        memcpy(own, s, n);
        if (rn->nblocks_ >= 2) { /* keep the open block last */
            char *t = rn->blocks_[rn->nblocks_ - 1];
            rn->blocks_[rn->nblocks_ - 1] = rn->blocks_[rn->nblocks_ - 2];
            rn->blocks_[rn->nblocks_ - 2] = t;
        } else {
            rn->block_used_ = RUN_BLOCK; /* no open block yet */
        }
        return own;
    }
    if (rn->nblocks_ == 0 || rn->block_used_ + n > RUN_BLOCK) {
        new_block(rn, RUN_BLOCK);
        rn->block_used_ = 0;
    }
    char *dst = rn->blocks_[rn->nblocks_ - 1] + rn->block_used_;
    memcpy(dst, s, n);
    rn->block_used_ += n;
    return dst;
}

/* Interning for the values that repeat across initiatives (measure codes and titles, department
 * names, recommendation texts): each distinct string is kept once. Open addressing, FNV-1a;
 * lives only while a run is loaded. */
typedef struct intern {
    const char **slots;
    size_t cap, n;
} intern;

static size_t fnv1a(const char *s)
{
    size_t h = (size_t)14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
    return h;
}

static const char *keep_shared(store_run *rn, intern *t, const char *s)
{
    if (t->n * 2 >= t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        const char **slots = xcalloc(cap, sizeof *slots);
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i] != NULL) {
                size_t j = fnv1a(t->slots[i]) & (cap - 1);
                while (slots[j] != NULL)
                    j = (j + 1) & (cap - 1);
                slots[j] = t->slots[i];
            }
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    size_t j = fnv1a(s) & (t->cap - 1);
    while (t->slots[j] != NULL) {
        if (strcmp(t->slots[j], s) == 0)
            return t->slots[j];
        j = (j + 1) & (t->cap - 1);
    }
    t->n++;
    return t->slots[j] = keep(rn, s);
}

void store_run_free(store_run *rn)
{
    if (rn == NULL)
        return;
    for (int i = 0; i < rn->nblocks_; i++)
        free(rn->blocks_[i]);
    free(rn->blocks_);
    for (int i = 0; i < rn->nitems; i++) {
        free(rn->items[i].departments);
        free(rn->items[i].recommendations);
    }
    free(rn->items);
    free(rn->departments);
    free(rn->divisions);
    json_decref(rn->summary);
    json_decref(rn->previous.summary);
    json_decref(rn->catalog);
    free(rn);
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int load_section(store_run *rn, const char *name, store_run_label *out, int *n)
{
    const json_t *arr = json_object_get(rn->catalog, name);
    size_t i;
    const json_t *e;
    *n = 0;
    if (arr != NULL && !json_is_array(arr))
        return -1;
    json_array_foreach(arr, i, e) {
        if (*n == STORE_RUN_MAX_CATALOG || jstr(e, "id") == NULL)
            return -1;
        out[*n].id = jstr(e, "id");
        out[*n].label = jstr(e, "label");
        out[*n].response = jstr(e, "response");
        out[*n].severity = jstr(e, "severity");
        (*n)++;
    }
    return 0;
}

int store_run_find(const store_run_label *list, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i].id, id) == 0)
            return i;
    return -1;
}

/* Parses a JSON array of strings (from array_to_json) into kept strings. */
static int string_list(store_run *rn, intern *t, const char *text, const char ***out, int *n)
{
    json_t *arr = json_loads(text, 0, NULL);
    *out = NULL;
    *n = 0;
    if (!json_is_array(arr)) {
        json_decref(arr);
        return -1;
    }
    size_t len = json_array_size(arr);
    if (len > 0) {
        *out = xcalloc(len, sizeof **out);
    }
    for (size_t i = 0; i < len; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s != NULL)
            (*out)[(*n)++] = keep_shared(rn, t, s);
    }
    rn->bytes += len * sizeof **out;
    json_decref(arr);
    return 0;
}

static uint64_t id_bits(const store_run_label *list, int n, const char *text, int *unknown)
{
    json_t *arr = json_loads(text, 0, NULL);
    uint64_t bits = 0;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        int k = json_string_value(e) ? store_run_find(list, n, json_string_value(e)) : -1;
        if (k < 0)
            (*unknown)++;
        else
            bits |= (uint64_t)1 << k;
    }
    json_decref(arr);
    return bits;
}

/* The few distinct JSON arrays of a run's results (reasons, flags, recommendations repeat across
 * its initiatives): each text is interned and parsed once. Linear over MEMO_MAX entries; past
 * that, texts are parsed every time (correct, only slower). */
#define MEMO_MAX 64
typedef struct memo {
    int n;
    struct {
        const char *text; /* interned: compared by pointer */
        const char **list;
        int nlist;
        uint64_t bits;
        int unknown;
    } e[MEMO_MAX];
} memo;

static void memo_free(memo *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->e[i].list);
    m->n = 0;
}

/* string_list through `m`: a text seen before is not parsed again (the list is copied). */
static int memo_list(store_run *rn, intern *t, memo *m, const char *text, const char ***out, int *n)
{
    const char *key = keep_shared(rn, t, text);
    int k = 0;
    while (k < m->n && m->e[k].text != key)
        k++;
    if (k == m->n) {
        if (m->n == MEMO_MAX)
            return string_list(rn, t, text, out, n);
        if (string_list(rn, t, text, &m->e[k].list, &m->e[k].nlist) < 0)
            return -1;
        m->e[k].text = key;
        m->n++;
    }
    *n = m->e[k].nlist;
    *out = NULL;
    if (*n > 0) {
        *out = xmalloc((size_t)*n * sizeof **out);
        memcpy(*out, m->e[k].list, (size_t)*n * sizeof **out);
        rn->bytes += (size_t)*n * sizeof **out;
    }
    return 0;
}

/* id_bits through `m`. */
static uint64_t memo_bits(store_run *rn, intern *t, memo *m, const store_run_label *list, int nlist,
                          const char *text, int *unknown)
{
    const char *key = keep_shared(rn, t, text);
    for (int k = 0; k < m->n; k++)
        if (m->e[k].text == key) {
            *unknown += m->e[k].unknown;
            return m->e[k].bits;
        }
    int u = 0;
    uint64_t bits = id_bits(list, nlist, text, &u);
    *unknown += u;
    if (m->n < MEMO_MAX) {
        m->e[m->n].text = key;
        m->e[m->n].list = NULL;
        m->e[m->n].bits = bits;
        m->e[m->n++].unknown = u;
    }
    return bits;
}

static int item_cmp(const void *a, const void *b)
{
    return code_order_cmp(((const store_run_item *)a)->code, ((const store_run_item *)b)->code);
}

static const char *const sql_header =
    "SELECT r.id, s.code, s.as_of::text, s.label,"
    " to_char(r.evaluated_at, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM'),"
    " rs.version, rs.sha256, rs.catalog::text, coalesce(r.summary::text, 'null'), r.total,"
    " r.started_by, r.id = (SELECT max(x.id) FROM evaluation_runs x WHERE x.survey_id = r.survey_id"
    "                       AND x.id <= " STORE_READ_PUBLISHED "),"
    /* 12..20: the previous survey's current run (store_run.previous) */
    " pr.id, pr.code, pr.as_of, pr.label, pr.evaluated_at, pr.version, pr.sha256, pr.started_by,"
    " pr.summary"
    " FROM evaluation_runs r JOIN surveys s ON s.id = r.survey_id"
    " JOIN rule_sets rs ON rs.id = r.rule_set_id"
    " LEFT JOIN LATERAL (SELECT p.id, ps.code, ps.as_of::text AS as_of, ps.label,"
    "   to_char(p.evaluated_at, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM') AS evaluated_at, prs.version,"
    "   prs.sha256, p.started_by, coalesce(p.summary::text, 'null') AS summary"
    "   FROM evaluation_runs p JOIN surveys ps ON ps.id = p.survey_id"
    "   JOIN rule_sets prs ON prs.id = p.rule_set_id"
    "   WHERE p.id <= " STORE_READ_PUBLISHED " AND ps.as_of < s.as_of"
    "   ORDER BY ps.as_of DESC, p.id DESC LIMIT 1) pr ON true"
    " WHERE r.id = $1";

/* In initiative_id order, as sql_departments: the two are merged by id in C. A correlated
 * json_agg of each initiative's departments made loading a run of 100,000 take ~1.2 s, most of
 * it PostgreSQL running 100,000 subqueries. */
static const char *const sql_items =
    "SELECT i.code, i.title, m.code, m.title, e.initiative_id,"
    " e.score::text, e.category, array_to_json(e.reasons)::text,"
    " array_to_json(e.flags)::text, array_to_json(e.recommendations)::text, e.primary_reason"
    " FROM evaluation_results e JOIN initiatives i ON i.id = e.initiative_id"
    " JOIN measures m ON m.id = i.measure_id WHERE e.run_id = $1 ORDER BY e.initiative_id";
static const char *const sql_departments =
    "SELECT x.initiative_id, d.name FROM initiative_departments x"
    " JOIN departments d ON d.id = x.department_id"
    " WHERE x.initiative_id IN (SELECT e.initiative_id FROM evaluation_results e WHERE e.run_id = $1)"
    " ORDER BY x.initiative_id, x.position";
/* Every department (a city has a few hundred at most), read after the results' departments so
 * that it names each of them. */
static const char *const sql_department_catalog =
    "SELECT name, kana, division, division_kana, position FROM departments";


/* The department catalog (sql_department_catalog's rows) into rn, in organisation order. */
static void load_departments(store_run *rn, intern *shared, const PGresult *cat)
{
    int n = PQntuples(cat);
    rn->departments = xcalloc((size_t)n + 1, sizeof *rn->departments);
    rn->divisions = xcalloc((size_t)n + 1, sizeof *rn->divisions);
    rn->bytes += (size_t)n * (sizeof *rn->departments + sizeof *rn->divisions);
    for (int i = 0; i < n; i++) {
        store_department *dp = &rn->departments[i];
        dp->name = keep_shared(rn, shared, PQgetvalue(cat, i, 0));
        dp->kana = PQgetisnull(cat, i, 1) ? NULL : keep_shared(rn, shared, PQgetvalue(cat, i, 1));
        dp->division = PQgetisnull(cat, i, 2) ? NULL : keep_shared(rn, shared, PQgetvalue(cat, i, 2));
        dp->division_kana =
            PQgetisnull(cat, i, 3) ? NULL : keep_shared(rn, shared, PQgetvalue(cat, i, 3));
        dp->has_position = !PQgetisnull(cat, i, 4);
        dp->position = dp->has_position ? strtol(PQgetvalue(cat, i, 4), NULL, 10) : 0;
    }
    rn->ndepartments = n;
    rn->ndivisions = store_departments_order(rn->departments, n, rn->divisions);
}

store_run *store_run_load(PGconn *c, long long id, store_error *err)
{
    store_error_clear(err);
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", id);
    const char *params[] = {idtext};
    store_run *rn = xcalloc(1, sizeof *rn);
    rn->id = id;
    PGresult *res = store_select_prepared(c, "hyoka_run_header", sql_header, 1, params,
                                          "reading the evaluation run", err);
    if (res == NULL)
        goto fail;
    if (PQntuples(res) != 1) {
        store_fail(err, STORE_ENOTFOUND, "evaluation run %lld not found", id);
        goto fail;
    }
    rn->survey_code = keep(rn, PQgetvalue(res, 0, 1));
    rn->survey_as_of = keep(rn, PQgetvalue(res, 0, 2));
    rn->survey_label = PQgetisnull(res, 0, 3) ? NULL : keep(rn, PQgetvalue(res, 0, 3));
    rn->evaluated_at = keep(rn, PQgetvalue(res, 0, 4));
    rn->total = strtol(PQgetvalue(res, 0, 9), NULL, 10);
    rn->rules_version = keep(rn, PQgetvalue(res, 0, 5));
    rn->rules_sha256 = keep(rn, PQgetvalue(res, 0, 6));
    rn->started_by = PQgetisnull(res, 0, 10) ? NULL : keep(rn, PQgetvalue(res, 0, 10));
    rn->newest = strcmp(PQgetvalue(res, 0, 11), "t") == 0;
    rn->catalog = json_loads(PQgetvalue(res, 0, 7), 0, NULL); /* NULL if malformed (below) */
    rn->summary = json_loads(PQgetvalue(res, 0, 8), JSON_DECODE_ANY, NULL);
    rn->bytes += 2 * strlen(PQgetvalue(res, 0, 7)) + 2 * strlen(PQgetvalue(res, 0, 8));
    if (!PQgetisnull(res, 0, 12)) {
        store_run_head *p = &rn->previous;
        p->id = strtoll(PQgetvalue(res, 0, 12), NULL, 10);
        p->survey_code = keep(rn, PQgetvalue(res, 0, 13));
        p->survey_as_of = keep(rn, PQgetvalue(res, 0, 14));
        p->survey_label = PQgetisnull(res, 0, 15) ? NULL : keep(rn, PQgetvalue(res, 0, 15));
        p->evaluated_at = keep(rn, PQgetvalue(res, 0, 16));
        p->rules_version = keep(rn, PQgetvalue(res, 0, 17));
        p->rules_sha256 = keep(rn, PQgetvalue(res, 0, 18));
        p->started_by = PQgetisnull(res, 0, 19) ? NULL : keep(rn, PQgetvalue(res, 0, 19));
        p->summary = json_loads(PQgetvalue(res, 0, 20), JSON_DECODE_ANY, NULL);
        rn->bytes += 2 * strlen(PQgetvalue(res, 0, 20));
    }
    PQclear(res);
    res = NULL;
    if (!json_is_object(rn->catalog) ||
        load_section(rn, "categories", rn->categories, &rn->ncategories) < 0 ||
        load_section(rn, "reasons", rn->reasons, &rn->nreasons) < 0 ||
        load_section(rn, "flags", rn->flags, &rn->nflags) < 0 || rn->ncategories == 0) {
        store_fail(err, STORE_ESCHEMA, "run %lld: malformed rule_sets.catalog", id);
        goto fail;
    }
    return rn;
fail:
    PQclear(res);
    store_run_free(rn);
    return NULL;
}

int store_run_load_items(PGconn *c, store_run *rn, store_error *err)
{
    store_error_clear(err);
    if (rn->items_loaded)
        return 0;
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", rn->id);
    const char *params[] = {idtext};
    long long id = rn->id;
    PGresult *res = NULL, *deps = NULL, *cat = NULL;
    intern shared = {NULL, 0, 0};
    memo recs = {0}, reasons = {0}, flags = {0};
    res = store_select(c, sql_items, 1, params, "reading the run's results", err);
    if (res == NULL)
        goto fail;
    deps = store_select(c, sql_departments, 1, params, "reading the results' departments", err);
    if (deps == NULL)
        goto fail;
    cat = store_select(c, sql_department_catalog, 0, NULL, "reading the departments", err);
    if (cat == NULL)
        goto fail;
    int n = PQntuples(res), nd = PQntuples(deps), d = 0;
    rn->items = xcalloc((size_t)n, sizeof *rn->items);
    rn->bytes += (size_t)n * sizeof *rn->items;
    int unknown = 0;
    for (int i = 0; i < n; i++) {
        store_run_item *it = &rn->items[rn->nitems++];
        it->code = keep(rn, PQgetvalue(res, i, 0));
        it->title = keep(rn, PQgetvalue(res, i, 1));
        it->measure_code = keep_shared(rn, &shared, PQgetvalue(res, i, 2));
        it->measure_title = keep_shared(rn, &shared, PQgetvalue(res, i, 3));
        long initiative = strtol(PQgetvalue(res, i, 4), NULL, 10);
        while (d < nd && strtol(PQgetvalue(deps, d, 0), NULL, 10) < initiative)
            d++;
        int first = d;
        while (d < nd && strtol(PQgetvalue(deps, d, 0), NULL, 10) == initiative)
            d++;
        if (d > first) {
            it->departments = xcalloc((size_t)(d - first), sizeof *it->departments);
            for (int k = first; k < d; k++)
                it->departments[it->ndepartments++] = keep_shared(rn, &shared, PQgetvalue(deps, k, 1));
            rn->bytes += (size_t)(d - first) * sizeof *it->departments;
        }
        if (memo_list(rn, &shared, &recs, PQgetvalue(res, i, 9), &it->recommendations,
                      &it->nrecommendations) < 0) {
            store_fail(err, STORE_ESCHEMA, "run %lld: malformed result row", id);
            goto fail;
        }
        it->has_score = !PQgetisnull(res, i, 5);
        it->score = it->has_score ? strtod(PQgetvalue(res, i, 5), NULL) : 0;
        it->category = store_run_find(rn->categories, rn->ncategories, PQgetvalue(res, i, 6));
        if (it->category < 0) {
            unknown++;
            it->category = rn->ncategories - 1;
        }
        it->reasons = memo_bits(rn, &shared, &reasons, rn->reasons, rn->nreasons,
                                PQgetvalue(res, i, 7), &unknown);
        it->flags = memo_bits(rn, &shared, &flags, rn->flags, rn->nflags, PQgetvalue(res, i, 8),
                              &unknown);
        it->primary_reason = -1;
        if (!PQgetisnull(res, i, 10)) {
            it->primary_reason = store_run_find(rn->reasons, rn->nreasons, PQgetvalue(res, i, 10));
            if (it->primary_reason < 0)
                unknown++;
        }
    }
    PQclear(res);
    res = NULL;
    if (unknown > 0) {
        store_fail(err, STORE_ESCHEMA, "run %lld: %d result ids are not in the rule set's catalog",
                   id, unknown);
        goto fail;
    }
    if (rn->nitems != rn->total) {
        /* Never cached: a run is read whole or not at all (sql/010 says how it could differ). */
        store_fail(err, STORE_EDB, "run %lld: %d of its %ld results could be read", id,
                   rn->nitems, rn->total);
        goto fail;
    }
    qsort(rn->items, (size_t)rn->nitems, sizeof *rn->items, item_cmp);
    load_departments(rn, &shared, cat);
    rn->items_loaded = true;
    free(shared.slots);
    PQclear(deps);
    PQclear(cat);
    memo_free(&recs);
    memo_free(&reasons);
    memo_free(&flags);
    return 0;
fail:
    free(shared.slots);
    PQclear(res);
    PQclear(deps);
    PQclear(cat);
    memo_free(&recs);
    memo_free(&reasons);
    memo_free(&flags);
    for (int i = 0; i < rn->nitems; i++) {
        free(rn->items[i].departments);
        free(rn->items[i].recommendations);
    }
    free(rn->items);
    rn->items = NULL;
    rn->nitems = 0;
    return -1;
}


/* ---- filtering and ordering ---------------------------------------------------------------- */

static bool has_department(const store_run_item *it, const char *d)
{
    for (int i = 0; i < it->ndepartments; i++)
        if (strcmp(it->departments[i], d) == 0)
            return true;
    return false;
}

static bool matches(const store_run_item *it, const store_filter *f)
{
    if (f->category >= 0 && it->category != f->category)
        return false;
    if (f->primary_reason >= 0 && it->primary_reason != f->primary_reason)
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

/* qsort_r's context: the run and the order. Items are in code order already, so index order
 * breaks every tie by code. */
typedef struct sort_ctx {
    const store_run *rn;
    store_sort sort;
} sort_ctx;

static int cmp_index(const void *a, const void *b, void *arg)
{
    const sort_ctx *x = arg;
    int i = *(const int *)a, j = *(const int *)b;
    const store_run_item *p = &x->rn->items[i], *q = &x->rn->items[j];
    int c = 0;
    if (x->sort == STORE_SORT_TITLE) {
        c = strcmp(p->title, q->title); /* UTF-8 bytes order as code points */
    } else if (x->sort == STORE_SORT_SCORE || x->sort == STORE_SORT_SCORE_DESC) {
        if (p->has_score != q->has_score)
            c = p->has_score ? -1 : 1; /* missing scores last either way */
        else if (p->has_score && p->score != q->score)
            c = (p->score < q->score ? -1 : 1) * (x->sort == STORE_SORT_SCORE_DESC ? -1 : 1);
    }
    return c != 0 ? c : (i > j) - (i < j);
}

int store_run_select(const store_run *rn, const store_filter *f, store_sort sort, int *idx)
{
    int n = 0;
    for (int i = 0; i < rn->nitems; i++)
        if (matches(&rn->items[i], f))
            idx[n++] = i;
    if (sort != STORE_SORT_CODE && n > 1) {
        sort_ctx ctx = {rn, sort};
        qsort_r(idx, (size_t)n, sizeof *idx, cmp_index, &ctx);
    }
    return n;
}
