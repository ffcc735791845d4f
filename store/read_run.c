/* read_run.c - a stored run loaded for the views (read.h): its header, catalog and summary, then
 * its results in code order (store/run_image.c builds them); and the one filter and order of those
 * results. */
#define _GNU_SOURCE /* strcasestr */
#include "read.h"

#include "run_image.h"
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

void store_run_free(store_run *rn)
{
    if (rn == NULL)
        return;
    for (int i = 0; i < rn->nblocks_; i++)
        free(rn->blocks_[i]);
    free(rn->blocks_);
    if (rn->image_mapped)
        rimg_unmap(rn->image_, rn->image_size_, rn->image_fd_);
    else
        free(rn->image_);
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
    void *image = NULL;
    size_t size = 0;
    if (rimg_build(c, rn, 0, &image, &size, err) < 0)
        return -1;
    rimg_attach(rn, image, size, false);
    return 0;
}

/* ---- filtering and ordering ---------------------------------------------------------------- */

static bool has_department(const store_run *rn, const store_run_item *it, const char *d)
{
    for (int i = 0; i < it->ndepartments; i++)
        if (strcmp(store_item_department(rn, it, i), d) == 0)
            return true;
    return false;
}

static bool matches(const store_run *rn, const store_run_item *it, const store_filter *f)
{
    if (f->category >= 0 && it->category != f->category)
        return false;
    if (f->primary_reason >= 0 && it->primary_reason != f->primary_reason)
        return false;
    if (f->reason >= 0 && !(it->reasons & ((uint64_t)1 << f->reason)))
        return false;
    if (f->flag >= 0 && !(it->flags & ((uint64_t)1 << f->flag)))
        return false;
    if (f->department != NULL && !has_department(rn, it, f->department))
        return false;
    if (f->measure != NULL && strcmp(store_run_text(rn, it->measure_code), f->measure) != 0)
        return false;
    /* q: a substring of the code or the title; ASCII letters match either case ("dx" finds
     * "DX"), everything else (Japanese) as typed. strcasestr folds only ASCII bytes in the C
     * locale, so UTF-8 sequences are compared exactly. */
    if (f->q != NULL && f->q[0] != '\0' && strcasestr(store_run_text(rn, it->code), f->q) == NULL &&
        strcasestr(store_run_text(rn, it->title), f->q) == NULL)
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
        c = strcmp(store_run_text(x->rn, p->title), store_run_text(x->rn, q->title)); /* UTF-8 bytes order as code points */
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
        if (matches(rn, &rn->items[i], f))
            idx[n++] = i;
    if (sort != STORE_SORT_CODE && n > 1) {
        sort_ctx ctx = {rn, sort};
        qsort_r(idx, (size_t)n, sizeof *idx, cmp_index, &ctx);
    }
    return n;
}
