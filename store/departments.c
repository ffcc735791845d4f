/* departments.c - the organisation chart's order (departments.h) and a run's results by 部 and
 * 所管課 (store_run_departments, read.h) and by measure (store_run_measures), counted alike. */
#include "departments.h"
#include "engine.h"
#include "json_eng.h"
#include "kana.h"
#include "code_order.h"
#include "read.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* ---- the order -------------------------------------------------------------------------------- */

/* position first (those with one before those without), then reading, then name; a NULL name
 * (the departments without a division) last of all. */
static int chart_cmp(const char *name_a, const char *kana_a, bool pos_a, long a_pos,
                     const char *name_b, const char *kana_b, bool pos_b, long b_pos)
{
    if ((name_a == NULL) != (name_b == NULL))
        return name_a == NULL ? 1 : -1;
    if (pos_a != pos_b)
        return pos_a ? -1 : 1;
    if (pos_a && a_pos != b_pos)
        return a_pos < b_pos ? -1 : 1;
    if ((kana_a == NULL) != (kana_b == NULL))
        return kana_a == NULL ? 1 : -1;
    if (kana_a != NULL) {
        int c = kana_cmp(kana_a, kana_b);
        if (c != 0)
            return c;
    }
    if (name_a == NULL)
        return 0;
    return strcmp(name_a, name_b);
}

typedef struct ranked_division {
    store_division d;
    int first; /* index before sorting */
} ranked_division;

static int division_cmp(const void *a, const void *b)
{
    const store_division *x = &((const ranked_division *)a)->d, *y = &((const ranked_division *)b)->d;
    return chart_cmp(x->name, x->kana, x->has_position, x->position, y->name, y->kana,
                     y->has_position, y->position);
}

static int department_cmp(const void *a, const void *b)
{
    const store_department *x = a, *y = b;
    if (x->division_index != y->division_index)
        return x->division_index < y->division_index ? -1 : 1;
    return chart_cmp(x->name, x->kana, x->has_position, x->position, y->name, y->kana,
                     y->has_position, y->position);
}

static bool same(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int store_departments_order(store_department *deps, int n, store_division *divs)
{
    if (n == 0)
        return 0;
    ranked_division *rd = xcalloc((size_t)n, sizeof *rd);
    int nd = 0;
    for (int i = 0; i < n; i++) {
        store_department *dp = &deps[i];
        int k = 0;
        while (k < nd && !same(rd[k].d.name, dp->division))
            k++;
        if (k == nd) {
            rd[nd].d = (store_division){dp->division, NULL, false, 0};
            rd[nd].first = nd;
            nd++;
        }
        store_division *dv = &rd[k].d;
        if (dv->name != NULL && dv->kana == NULL)
            dv->kana = dp->division_kana;
        if (dp->has_position && (!dv->has_position || dp->position < dv->position)) {
            dv->has_position = true;
            dv->position = dp->position;
        }
        dp->division_index = k;
    }
    qsort(rd, (size_t)nd, sizeof *rd, division_cmp);
    int *rank = xcalloc((size_t)nd, sizeof *rank);
    for (int k = 0; k < nd; k++) {
        rank[rd[k].first] = k;
        divs[k] = rd[k].d;
    }
    for (int i = 0; i < n; i++)
        deps[i].division_index = rank[deps[i].division_index];
    qsort(deps, (size_t)n, sizeof *deps, department_cmp);
    free(rank);
    free(rd);
    return nd;
}

/* ---- a run's results by department and division ------------------------------------------------ */

typedef struct tally {
    long total, scored;
    double score_sum;
    long counts[STORE_RUN_MAX_CATALOG];
} tally;

static void count(tally *t, const store_run_item *it)
{
    t->total++;
    t->counts[it->category]++;
    if (it->has_score) {
        t->scored++;
        t->score_sum += it->score;
    }
}

/* "total", "counts" (every category of the run, zeros included) and "mean_score" (rounded to one
 * decimal as every score; null without a scored initiative) into `obj`. */
static void put_tally(json_t *obj, const store_run *rn, const tally *t)
{
    json_t *counts = jeng_must(json_object());
    for (int c = 0; c < rn->ncategories; c++)
        json_object_set_new(counts, rn->categories[c].id, json_integer(t->counts[c]));
    json_object_set_new(obj, "total", json_integer(t->total));
    json_object_set_new(obj, "counts", counts);
    json_object_set_new(obj, "mean_score", t->scored > 0
                                               ? jeng_number(eng_round(t->score_sum / (double)t->scored, 1))
                                               : json_null());
}

static json_t *str_or_null(const char *s)
{
    return s != NULL ? jeng_must(json_string(s)) : json_null();
}

/* A department's name and its index in chart order, sorted by name for bsearch. */
typedef struct named {
    const char *name;
    int index;
} named;

static int named_cmp(const void *a, const void *b)
{
    return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

static int name_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const named *)elem)->name);
}

json_t *store_run_departments(const store_run *rn)
{
    int n = rn->ndepartments, nd = rn->ndivisions;
    tally *dep = xcalloc((size_t)n + 1, sizeof *dep), *div = xcalloc((size_t)nd + 1, sizeof *div);
    named *names = xcalloc((size_t)n + 1, sizeof *names);
    for (int i = 0; i < n; i++)
        names[i] = (named){rn->departments[i].name, i};
    qsort(names, (size_t)n, sizeof *names, named_cmp);
    int *seen = NULL;
    int capseen = 0;
    for (int i = 0; i < rn->nitems; i++) {
        const store_run_item *it = &rn->items[i];
        if (it->ndepartments > capseen) {
            capseen = it->ndepartments;
            seen = xrealloc(seen, (size_t)capseen * sizeof *seen);
        }
        int nseen = 0;
        for (int d = 0; d < it->ndepartments; d++) {
            const named *hit = bsearch(store_item_department(rn, it, d), names, (size_t)n, sizeof *names, name_cmp);
            if (hit == NULL)
                continue; /* the catalog is read after the results: cannot happen */
            count(&dep[hit->index], it);
            int dv = rn->departments[hit->index].division_index, k = 0;
            while (k < nseen && seen[k] != dv)
                k++;
            if (k == nseen) { /* an initiative counts once in its division */
                seen[nseen++] = dv;
                count(&div[dv], it);
            }
        }
    }
    json_t *items = jeng_must(json_array()), *divisions = jeng_must(json_array());
    for (int k = 0; k < nd; k++) {
        if (div[k].total == 0)
            continue;
        const store_division *dv = &rn->divisions[k];
        json_t *names_of = jeng_must(json_array());
        for (int i = 0; i < n; i++)
            if (rn->departments[i].division_index == k && dep[i].total > 0)
                json_array_append_new(names_of, jeng_must(json_string(rn->departments[i].name)));
        json_t *o = jeng_must(json_object());
        json_object_set_new(o, "name", str_or_null(dv->name));
        json_object_set_new(o, "kana", str_or_null(dv->kana));
        put_tally(o, rn, &div[k]);
        json_object_set_new(o, "departments", names_of);
        json_array_append_new(divisions, o);
    }
    long listed = 0;
    for (int i = 0; i < n; i++) {
        if (dep[i].total == 0)
            continue;
        const store_department *dp = &rn->departments[i];
        const store_division *dv = &rn->divisions[dp->division_index];
        json_t *o = jeng_must(json_object());
        json_object_set_new(o, "name", jeng_must(json_string(dp->name)));
        json_object_set_new(o, "kana", str_or_null(dp->kana));
        json_object_set_new(o, "position", dp->has_position ? json_integer(dp->position) : json_null());
        json_object_set_new(o, "division", jeng_must(json_pack("{s:o, s:o}", "name", str_or_null(dv->name),
                                                               "kana", str_or_null(dv->kana))));
        put_tally(o, rn, &dep[i]);
        json_array_append_new(items, o);
        listed++;
    }
    free(seen);
    free(names);
    free(dep);
    free(div);
    return jeng_must(json_pack("{s:I, s:o, s:o}", "total", (json_int_t)listed, "items", items,
                               "divisions", divisions));
}

/* ---- a run's results by measure -------------------------------------------------------------- */

json_t *store_run_measures(const store_run *rn)
{
    /* Items are in code order, and a measure's code is the prefix of its initiatives' codes, so
     * the measures come in code order as their first items do; a measure whose initiatives are
     * not together in that order (a code outside its measure's prefix) is found again by name. */
    json_t *items = jeng_must(json_array());
    tally *t = xcalloc((size_t)rn->nitems + 1, sizeof *t);
    const char **codes = xcalloc((size_t)rn->nitems + 1, sizeof *codes);
    const char **titles = xcalloc((size_t)rn->nitems + 1, sizeof *titles);
    int n = 0;
    for (int i = 0; i < rn->nitems; i++) {
        const store_run_item *it = &rn->items[i];
        int k = n - 1;
        const char *measure = store_run_text(rn, it->measure_code);
        if (k < 0 || strcmp(codes[k], measure) != 0)
            for (k = 0; k < n && strcmp(codes[k], measure) != 0; k++)
                ;
        if (k == n) {
            codes[n] = measure;
            titles[n++] = store_run_text(rn, it->measure_title);
        }
        count(&t[k], it);
    }
    int *order = xcalloc((size_t)n + 1, sizeof *order);
    for (int i = 0; i < n; i++)
        order[i] = i;
    /* insertion sort by code_order_cmp: n is small and nearly sorted already */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && code_order_cmp(codes[order[j - 1]], codes[order[j]]) > 0; j--) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    for (int i = 0; i < n; i++) {
        int k = order[i];
        json_t *m = jeng_must(json_pack("{s:s, s:o}", "code", codes[k], "title", str_or_null(titles[k])));
        put_tally(m, rn, &t[k]);
        json_array_append_new(items, m);
    }
    free(order);
    free(titles);
    free(codes);
    free(t);
    return jeng_must(json_pack("{s:i, s:o}", "total", n, "items", items));
}
