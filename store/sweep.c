/* sweep.c - what-if over the values of one threshold, shared by `hyoka sweep` and the API's
 * /rules/sweep (sweep.h).
 *
 * Incremental (the usual case): the first value is evaluated in full; an initiative's result can
 * change between two consecutive values only where a comparison with the threshold changes
 * outcome, i.e. where the threshold passes the other side's value for that initiative (its cut,
 * engine.h eng_tcuts). The cuts of every initiative are computed once and sorted; from one value
 * to the next only the initiatives with a cut between the two (ends included, widened by 1e-9
 * relative so that no rounding difference between the engine's VMs can hide one) are evaluated
 * again, and the counts adjusted by their old and new results. A cut common to all initiatives
 * (a literal or another threshold) between two values evaluates every initiative again.
 * Full passes (the fallback, and the reference the tests compare with): every value is evaluated
 * in full, a few at a time on threads of their own, then counted and compared in order. They are
 * taken when the threshold is read in a way that has no cut (arithmetic, a function argument,
 * compared with an expression: eng_tcuts_new says where) or when the rules read
 * previous_category/previous_score (the earlier surveys' results at each value);
 * store_sweep_full_reason says which. */
#include "sweep.h"

#include "code_order.h"
#include "json_eng.h"
#include "xalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SWEEP_THREADS 4 /* values evaluated at once, at most (and at most the online CPUs) */

/* Initiative `row` takes category `to` (was `from`) from value `point` on. */
typedef struct flip {
    int row, point;
    uint8_t from, to;
} flip;

/* What is swept: a survey's facts (store_facts), or rows in memory (store_sweep_run_rows). */
typedef struct source {
    const store_facts *facts; /* NULL: the rows below */
    int count;
    const eng_value *rows; /* count * nslots */
    int nslots;
    const char *const *codes;
} source;

/* Every initiative's cuts (eng_tcuts), sorted by value; shared by a sweep and those continuing
 * from it. */
typedef struct cutset {
    int refs;
    eng_tcuts *tc;
    size_t n;
    double *value;
    int *row;
} cutset;

struct store_sweep {
    source src;
    const eng_rules *rules; /* as the file has it: ids, labels */
    char *name;
    double *values;
    int nvalues;
    json_t *points;
    flip *flips;
    size_t nflips, capflips;
    int file_point;
    eng_result *last; /* each initiative's result at the last value (store_sweep_continue) */
    cutset *cuts;     /* NULL: full passes (or, cuts_tried false, not needed yet) */
    char *full_reason;
    bool cuts_tried;     /* cuts (or full_reason) are what cuts_new gave */
    pthread_mutex_t lock; /* over cuts, full_reason and cuts_tried for store_sweep_continue */
    long evaluations;     /* initiatives evaluated (store_sweep_evaluations) */
};

static int src_count(const source *src)
{
    return src->facts != NULL ? store_facts_count(src->facts) : src->count;
}

static const char *src_code(const source *src, int i)
{
    return src->facts != NULL ? store_facts_code(src->facts, i) : src->codes[i];
}

static const eng_value *src_row(const source *src, int i)
{
    return src->facts != NULL ? store_facts_row(src->facts, i)
                              : src->rows + (size_t)i * (size_t)src->nslots;
}

static void src_evaluate(const source *src, const eng_rules *rules, eng_result *results)
{
    if (src->facts != NULL) {
        store_facts_evaluate(src->facts, rules, results);
        return;
    }
    eng_ctx *ctx = eng_ctx_new(rules);
    for (int i = 0; i < src->count; i++)
        eng_evaluate(ctx, src_row(src, i), &results[i]);
    eng_ctx_free(ctx);
}

/* One value's pass, on a thread of its own. */
typedef struct job {
    const source *src;
    const eng_rules *rules; /* the overridden rule set */
    eng_result *results;
    pthread_t thread;
} job;

static void *evaluate_job(void *arg)
{
    job *j = arg;
    src_evaluate(j->src, j->rules, j->results);
    return NULL;
}

/* {"value", "total", "categories": [{"id", "count"}], "reasons": [{"id", "count"}]} from the
 * summary of the value's results. */
static json_t *point_json(double value, const json_t *summary)
{
    json_t *p = jeng_must(json_object());
    json_object_set_new(p, "value", jeng_number(value));
    json_object_set(p, "total", json_object_get(summary, "total"));
    static const char *const lists[] = {"categories", "reasons"};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        json_t *arr = jeng_must(json_array());
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(summary, lists[l]), i, e)
        {
            json_t *x = jeng_must(json_object());
            json_object_set(x, "id", json_object_get(e, "id"));
            json_object_set(x, "count", json_object_get(e, "count"));
            json_array_append_new(arr, x);
        }
        json_object_set_new(p, lists[l], arr);
    }
    return p;
}

static void add_point(store_sweep *s, double value, const eng_rules *rules, const jeng_tally *t)
{
    json_t *summary = jeng_summary(rules, t);
    json_array_append_new(s->points, point_json(value, summary));
    json_decref(summary);
}

static const source *sort_src; /* for by_code: qsort has no user argument */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

/* Flips by initiative code (store/code_order.h), then by value. */
static int by_code(const void *x, const void *y)
{
    const flip *a = x, *b = y;
    int c = a->row == b->row
                ? 0
                : code_order_cmp(src_code(sort_src, a->row), src_code(sort_src, b->row));
    return c != 0 ? c : (a->point > b->point) - (a->point < b->point);
}

static int threads_to_use(int nvalues)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int t = cpus > 0 && cpus < SWEEP_THREADS ? (int)cpus : SWEEP_THREADS;
    return t < nvalues ? t : nvalues;
}

/* The rule set at `value`, or NULL with err set (the engine's first error). */
static eng_rules *rules_at(const eng_rules *rules, const char *name, double value,
                           eng_diags *diags, store_error *err)
{
    eng_threshold_override ov = {name, value};
    eng_diags_clear(diags);
    eng_rules *r = eng_rules_override(rules, &ov, 1, diags);
    if (r == NULL) {
        const eng_diag *d = NULL;
        for (int i = 0; i < eng_diags_count(diags) && d == NULL; i++)
            if (!eng_diags_get(diags, i)->warning)
                d = eng_diags_get(diags, i);
        store_fail(err, STORE_EUSER, "%s:%d: %s", d ? d->file : "?", d ? d->line : 0,
                   d ? d->message : "the value does not fit the rule set");
    }
    return r;
}

/* Records a change of category; -1 with err set beyond max_flips. */
static int add_flip(store_sweep *s, size_t max_flips, int row, int point, int from, int to,
                    store_error *err)
{
    if (s->nflips == max_flips)
        return store_fail(err, STORE_EUSER,
                          "more than %zu category changes: take a larger step or a narrower "
                          "range",
                          max_flips);
    if (s->nflips == s->capflips) {
        s->capflips = s->capflips ? 2 * s->capflips : 1024;
        s->flips = xrealloc(s->flips, s->capflips * sizeof *s->flips);
    }
    s->flips[s->nflips++] = (flip){row, point, (uint8_t)from, (uint8_t)to};
    return 0;
}

static void tally_sub(jeng_tally *t, const eng_result *res)
{
    t->total--;
    if (res->category >= 0 && res->category < ENG_MAX_CATEGORIES)
        t->categories[res->category]--;
    if (res->primary_reason >= 0 && res->primary_reason < ENG_MAX_REASONS)
        t->reasons[res->primary_reason]--;
    for (uint64_t f = res->flags; f != 0; f &= f - 1)
        t->flags[__builtin_ctzll(f)]--;
}

/* ---- full passes --------------------------------------------------------------------------- */

/* Values start .. n-1 of s, each evaluated in full; s->last holds the results at values[start-1]
 * (start > 0) and gets those of the last value. 0, or -1 with err set. */
static int sweep_full(store_sweep *s, int start, size_t max_flips, store_error *err)
{
    const double *values = s->values;
    int n = s->nvalues, count = src_count(&s->src);
    int nthreads = threads_to_use(n - start);
    job jobs[SWEEP_THREADS];
    memset(jobs, 0, sizeof jobs);
    for (int t = 0; t < nthreads; t++)
        jobs[t].results = xcalloc((size_t)count + 1, sizeof *jobs[t].results);
    eng_diags *diags = eng_diags_new();
    int status = 0;
    for (int first = start; first < n && status == 0; first += nthreads) {
        int batch = n - first < nthreads ? n - first : nthreads;
        for (int t = 0; t < batch && status == 0; t++) {
            jobs[t].src = &s->src;
            jobs[t].rules = rules_at(s->rules, s->name, values[first + t], diags, err);
            if (jobs[t].rules == NULL)
                status = -1;
        }
        /* the first of the batch on this thread, the others on threads of their own */
        for (int t = 1; t < batch && status == 0; t++)
            if (pthread_create(&jobs[t].thread, NULL, evaluate_job, &jobs[t]) != 0)
                abort();
        if (status == 0)
            evaluate_job(&jobs[0]);
        for (int t = 1; t < batch && status == 0; t++)
            pthread_join(jobs[t].thread, NULL);
        for (int t = 0; t < batch && status == 0; t++) {
            int p = first + t;
            const eng_result *results = jobs[t].results;
            if (eng_rules_overrides(jobs[t].rules)[0] == '\0' && s->file_point < 0)
                s->file_point = p;
            jeng_tally tally;
            memset(&tally, 0, sizeof tally);
            for (int i = 0; i < count; i++)
                jeng_tally_add(&tally, &results[i]);
            add_point(s, values[p], jobs[t].rules, &tally);
            s->evaluations += count;
            for (int i = 0; i < count && p > 0 && status == 0; i++)
                if (results[i].category != s->last[i].category)
                    status = add_flip(s, max_flips, i, p, s->last[i].category,
                                      results[i].category, err);
            memcpy(s->last, results, (size_t)count * sizeof *results);
        }
        for (int t = 0; t < batch; t++) {
            eng_rules_free((eng_rules *)jobs[t].rules);
            jobs[t].rules = NULL;
        }
    }
    eng_diags_free(diags);
    for (int t = 0; t < nthreads; t++)
        free(jobs[t].results);
    return status;
}

/* ---- incremental ----------------------------------------------------------------------------- */

/* A cut and its initiative, sorted by radix_sort. */
typedef struct keyed {
    double value;
    int row;
} keyed;

/* The bits of a double as an unsigned integer in the doubles' order (NaN excluded). */
static uint64_t order_key(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return (u >> 63) ? ~u : u | ((uint64_t)1 << 63);
}

/* Sorts a[0..n) by value: four stable passes over 16 bits each (qsort was a fifth of a
 * 100-value sweep's instructions); tmp has n entries. */
static void radix_sort(keyed *a, keyed *tmp, size_t n)
{
    size_t *count = xcalloc(65536, sizeof *count);
    keyed *from = a, *to = tmp;
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(order_key(from[i].value) >> shift) & 0xffff]++;
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            to[count[(order_key(from[i].value) >> shift) & 0xffff]++] = from[i];
        keyed *t = from;
        from = to;
        to = t;
    }
    free(count); /* four passes: the result is back in a */
}

/* Whether the rules read previous_category or previous_score, which a survey with earlier ones
 * has from their results at each value (the expressions' text, as a name). */
static bool reads_previous(const eng_rules *r)
{
    static const eng_kind kinds[] = {ENG_KIND_DERIVED, ENG_KIND_REASON, ENG_KIND_FLAG,
                                     ENG_KIND_CATEGORY};
    static const char *const names[] = {"previous_category", "previous_score"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (int i = 0; i < eng_rules_count(r, kinds[k]); i++) {
            const char *e = eng_rules_get(r, kinds[k], i)->expression;
            for (size_t j = 0; e != NULL && j < sizeof names / sizeof names[0]; j++)
                if (strstr(e, names[j]) != NULL)
                    return true;
        }
    return false;
}

/* The cuts of every initiative, sorted; NULL (and s->full_reason) when the threshold has none. */
static cutset *cuts_new(store_sweep *s)
{
    char why[512];
    if (reads_previous(s->rules)) {
        s->full_reason = xstrdup("the rules read previous_category or previous_score, which "
                                 "come from the earlier surveys' results at each value");
        return NULL;
    }
    eng_tcuts *tc = eng_tcuts_new(s->rules, s->name, why, sizeof why);
    if (tc == NULL) {
        s->full_reason = xstrdup(why);
        return NULL;
    }
    int count = src_count(&s->src), k = eng_tcuts_max(tc);
    cutset *c = xcalloc(1, sizeof *c);
    c->refs = 1;
    c->tc = tc;
    keyed *all = xcalloc((size_t)count * (size_t)k + 1, sizeof *all);
    double *mine = xcalloc((size_t)k + 1, sizeof *mine);
    eng_ctx *ctx = eng_ctx_new(s->rules);
    for (int i = 0; i < count; i++) {
        eng_tcuts_at(tc, ctx, src_row(&s->src, i), mine);
        for (int j = 0; j < k; j++)
            if (!isnan(mine[j]))
                all[c->n++] = (keyed){mine[j], i};
    }
    eng_ctx_free(ctx);
    free(mine);
    keyed *tmp = xcalloc(c->n + 1, sizeof *tmp);
    radix_sort(all, tmp, c->n);
    free(tmp);
    c->value = xcalloc(c->n + 1, sizeof *c->value);
    c->row = xcalloc(c->n + 1, sizeof *c->row);
    for (size_t i = 0; i < c->n; i++) {
        c->value[i] = all[i].value;
        c->row[i] = all[i].row;
    }
    free(all);
    return c;
}

static void cuts_free(cutset *c)
{
    if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    eng_tcuts_free(c->tc);
    free(c->value);
    free(c->row);
    free(c);
}

/* lo and hi widened by 1e-9 relative (at least 1e-9). */
static double widen(double x, int dir)
{
    return x + dir * 1e-9 * fmax(1.0, fabs(x));
}

/* The index of the first cut >= lo (c->n if none). */
static size_t first_cut(const cutset *c, double lo)
{
    size_t first = 0, end = c->n;
    while (first < end) {
        size_t m = first + (end - first) / 2;
        if (c->value[m] < lo)
            first = m + 1;
        else
            end = m;
    }
    return first;
}

/* Values start .. n-1 (start >= 1) from s->last (the results at values[start-1]): only the
 * initiatives with a cut between two consecutive values evaluated again. 0, or -1 with err. */
static int sweep_incremental(store_sweep *s, int start, size_t max_flips, store_error *err)
{
    const cutset *c = s->cuts;
    int count = src_count(&s->src);
    jeng_tally tally;
    memset(&tally, 0, sizeof tally);
    for (int i = 0; i < count; i++)
        jeng_tally_add(&tally, &s->last[i]);
    const double *common;
    int ncommon = eng_tcuts_common(c->tc, &common);
    int *stamp = xcalloc((size_t)count + 1, sizeof *stamp); /* last point that evaluated it */
    eng_diags *diags = eng_diags_new();
    int status = 0;
    for (int p = start; p < s->nvalues && status == 0; p++) {
        eng_rules *rp = rules_at(s->rules, s->name, s->values[p], diags, err);
        if (rp == NULL) {
            status = -1;
            break;
        }
        double a = s->values[p - 1], b = s->values[p];
        double lo = widen(fmin(a, b), -1), hi = widen(fmax(a, b), 1);
        bool all = false;
        for (int i = 0; i < ncommon && !all; i++)
            all = common[i] >= lo && common[i] <= hi;
        size_t first = first_cut(c, lo);
        eng_ctx *ctx = eng_ctx_new(rp);
        size_t next = first;
        for (int i = 0; status == 0; i++) {
            int row;
            if (all) {
                if (i == count)
                    break;
                row = i;
            } else {
                if (next == c->n || c->value[next] > hi)
                    break;
                row = c->row[next++];
                if (stamp[row] == p)
                    continue;
                stamp[row] = p;
            }
            eng_result r;
            eng_evaluate(ctx, src_row(&s->src, row), &r);
            s->evaluations++;
            eng_result *old = &s->last[row];
            if (r.category != old->category || r.primary_reason != old->primary_reason ||
                r.flags != old->flags) {
                tally_sub(&tally, old);
                jeng_tally_add(&tally, &r);
            }
            if (r.category != old->category)
                status = add_flip(s, max_flips, row, p, old->category, r.category, err);
            *old = r;
        }
        eng_ctx_free(ctx);
        if (status == 0) {
            if (eng_rules_overrides(rp)[0] == '\0' && s->file_point < 0)
                s->file_point = p;
            add_point(s, s->values[p], rp, &tally);
        }
        eng_rules_free(rp);
    }
    eng_diags_free(diags);
    free(stamp);
    return status;
}

/* ---- the sweep --------------------------------------------------------------------------------- */

/* The cuts of `b` for a sweep continuing from it, with a reference the caller drops with
 * cuts_free; NULL when b takes full passes (b->full_reason says why). The cuts are found once for
 * b and all that continue from it (a what-if of one value, as the API's baseline is, has not
 * needed them). */
static cutset *base_cuts(store_sweep *b)
{
    pthread_mutex_lock(&b->lock);
    if (!b->cuts_tried && b->full_reason == NULL) {
        b->cuts = cuts_new(b);
        b->cuts_tried = true;
    }
    cutset *c = b->cuts;
    if (c != NULL)
        __atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
    pthread_mutex_unlock(&b->lock);
    return c;
}

/* A sweep of `src` (copied) over values[0..n), or with base: values[0] is base's last value. */
static store_sweep *run(const source *src, const eng_rules *rules, const char *name,
                        const double *values, int n, size_t max_flips, const store_sweep *base,
                        bool full, store_error *err)
{
    store_error_clear(err);
    if (max_flips > STORE_SWEEP_MAX_FLIPS)
        max_flips = STORE_SWEEP_MAX_FLIPS;
    store_sweep *s = xcalloc(1, sizeof *s);
    s->src = *src;
    s->rules = rules;
    s->name = xstrdup(name);
    s->values = xcalloc((size_t)n + 1, sizeof *s->values);
    memcpy(s->values, values, (size_t)n * sizeof *values);
    s->nvalues = n;
    s->points = jeng_must(json_array());
    s->file_point = -1;
    pthread_mutex_init(&s->lock, NULL);
    int count = src_count(src);
    s->last = xcalloc((size_t)count + 1, sizeof *s->last);
    int start = 0, status = 0;
    if (base != NULL) { /* the first point as base has it: counts and results */
        json_array_append(s->points,
                          json_array_get(base->points, json_array_size(base->points) - 1));
        memcpy(s->last, base->last, (size_t)count * sizeof *s->last);
        if (base->file_point == base->nvalues - 1)
            s->file_point = 0;
        start = 1;
        s->cuts = base_cuts((store_sweep *)base);
        if (s->cuts == NULL)
            s->full_reason = xstrdup(base->full_reason);
        s->cuts_tried = true;
    } else if (full) {
        s->full_reason = xstrdup("full passes asked for");
    } else if (n > 1) {
        s->cuts_tried = true;
        s->cuts = cuts_new(s);
        if (s->cuts != NULL) { /* the first value in full */
            eng_diags *diags = eng_diags_new();
            eng_rules *r0 = rules_at(rules, name, values[0], diags, err);
            eng_diags_free(diags);
            if (r0 == NULL) {
                store_sweep_free(s);
                return NULL;
            }
            src_evaluate(src, r0, s->last);
            s->evaluations += count;
            jeng_tally tally;
            memset(&tally, 0, sizeof tally);
            for (int i = 0; i < count; i++)
                jeng_tally_add(&tally, &s->last[i]);
            add_point(s, values[0], r0, &tally);
            if (eng_rules_overrides(r0)[0] == '\0')
                s->file_point = 0;
            eng_rules_free(r0);
            start = 1;
        }
    }
    status = s->cuts != NULL ? sweep_incremental(s, start, max_flips, err)
                             : sweep_full(s, start, max_flips, err);
    if (status != 0) {
        store_sweep_free(s);
        return NULL;
    }
    if (s->nflips > 0) {
        pthread_mutex_lock(&sort_lock);
        sort_src = &s->src;
        qsort(s->flips, s->nflips, sizeof *s->flips, by_code);
        pthread_mutex_unlock(&sort_lock);
    }
    return s;
}

store_sweep *store_sweep_run(const store_facts *facts, const eng_rules *rules, const char *name,
                             const double *values, int n, size_t max_flips, store_error *err)
{
    source src = {.facts = facts};
    return run(&src, rules, name, values, n, max_flips, NULL, false, err);
}

store_sweep *store_sweep_run_full(const store_facts *facts, const eng_rules *rules,
                                  const char *name, const double *values, int n,
                                  size_t max_flips, store_error *err)
{
    source src = {.facts = facts};
    return run(&src, rules, name, values, n, max_flips, NULL, true, err);
}

store_sweep *store_sweep_run_rows(const eng_rules *rules, int count, const eng_value *rows,
                                  const char *const *codes, const char *name,
                                  const double *values, int n, size_t max_flips, bool full,
                                  store_error *err)
{
    source src = {.count = count,
                  .rows = rows,
                  .nslots = eng_schema_count(eng_rules_schema(rules)),
                  .codes = codes};
    return run(&src, rules, name, values, n, max_flips, NULL, full, err);
}

store_sweep *store_sweep_continue(const store_sweep *base, const double *values, int n,
                                  size_t max_flips, store_error *err)
{
    double *all = xcalloc((size_t)n + 2, sizeof *all);
    all[0] = base->values[base->nvalues - 1];
    memcpy(all + 1, values, (size_t)n * sizeof *values);
    store_sweep *s = run(&base->src, base->rules, base->name, all, n + 1, max_flips, base,
                         false, err);
    free(all);
    return s;
}

long store_sweep_continue_cost(const store_sweep *base, const double *values, int n)
{
    int count = src_count(&base->src);
    cutset *c = base_cuts((store_sweep *)base);
    if (c == NULL) /* full passes: every value in full */
        return (long)count * n;
    /* sweep_incremental's choice of initiatives, counted instead of evaluated */
    const double *common;
    int ncommon = eng_tcuts_common(c->tc, &common);
    int *stamp = xcalloc((size_t)count + 1, sizeof *stamp);
    long total = 0;
    double a = base->values[base->nvalues - 1];
    for (int p = 1; p <= n; p++) {
        double b = values[p - 1];
        double lo = widen(fmin(a, b), -1), hi = widen(fmax(a, b), 1);
        a = b;
        bool all = false;
        for (int i = 0; i < ncommon && !all; i++)
            all = common[i] >= lo && common[i] <= hi;
        if (all) {
            total += count;
            continue;
        }
        for (size_t next = first_cut(c, lo); next < c->n && c->value[next] <= hi; next++) {
            int row = c->row[next];
            if (stamp[row] != p) {
                stamp[row] = p;
                total++;
            }
        }
    }
    free(stamp);
    cuts_free(c);
    return total;
}

long store_sweep_evaluations(const store_sweep *s)
{
    return s->evaluations;
}

const char *store_sweep_full_reason(const store_sweep *s)
{
    return s->full_reason;
}

void store_sweep_free(store_sweep *s)
{
    if (s == NULL)
        return;
    free(s->last);
    cuts_free(s->cuts);
    free(s->full_reason);
    pthread_mutex_destroy(&s->lock);
    json_decref(s->points);
    free(s->flips);
    free(s->values);
    free(s->name);
    free(s);
}

const json_t *store_sweep_points(const store_sweep *s)
{
    return s->points;
}

int store_sweep_file_point(const store_sweep *s)
{
    return s->file_point;
}

size_t store_sweep_nflips(const store_sweep *s)
{
    return s->nflips;
}

store_sweep_flip store_sweep_flip_at(const store_sweep *s, size_t i)
{
    const flip *f = &s->flips[i];
    return (store_sweep_flip){src_code(&s->src, f->row), f->point, f->from, f->to};
}

static void put_json(strbuf *b, const json_t *j)
{
    char *text = jeng_dumps(j, JENG_DUMP_FLAGS | JSON_ENCODE_ANY);
    strbuf_puts(b, text);
    free(text);
}

static const char *category_id(const store_sweep *s, int i)
{
    return eng_rules_get(s->rules, ENG_KIND_CATEGORY, i)->id;
}

void store_sweep_write_json(const store_sweep *s, strbuf *b)
{
    json_t *survey = s->src.facts != NULL ? store_facts_survey(s->src.facts) : json_null();
    strbuf_puts(b, "{\n  \"survey\": ");
    put_json(b, survey);
    json_decref(survey);
    json_t *name = jeng_must(json_string(s->name));
    strbuf_puts(b, ",\n  \"threshold\": ");
    put_json(b, name);
    json_decref(name);
    strbuf_puts(b, ",\n  \"points\": [");
    size_t i;
    json_t *e;
    json_array_foreach(s->points, i, e)
    {
        strbuf_puts(b, i > 0 ? ",\n    " : "\n    ");
        put_json(b, e);
    }
    strbuf_puts(b, i > 0 ? "\n  ],\n  \"changes\": [" : "],\n  \"changes\": [");
    /* One initiative at a time: the changes can be many. A flip's text depends on its value and
     * categories only: those are serialised once (by jansson, as put_json would), the changes
     * put together from them (for 2,300 changes the planner's request spent a quarter of its
     * instructions building and dumping one jansson object per flip). */
    int ncat = eng_rules_count(s->rules, ENG_KIND_CATEGORY);
    char **value_text = xcalloc((size_t)s->nvalues + 1, sizeof *value_text);
    char **id_text = xcalloc((size_t)ncat + 1, sizeof *id_text);
    for (int p = 0; p < s->nvalues; p++) {
        json_t *v = jeng_number(s->values[p]);
        value_text[p] = jeng_dumps(v, JENG_DUMP_FLAGS | JSON_ENCODE_ANY);
        json_decref(v);
    }
    for (int k = 0; k < ncat; k++) {
        json_t *v = jeng_must(json_string(category_id(s, k)));
        id_text[k] = jeng_dumps(v, JENG_DUMP_FLAGS | JSON_ENCODE_ANY);
        json_decref(v);
    }
    for (size_t first = 0, end; first < s->nflips; first = end) {
        end = first;
        while (end < s->nflips && s->flips[end].row == s->flips[first].row)
            end++;
        strbuf_puts(b, first > 0 ? ",\n    {\"code\":" : "\n    {\"code\":");
        json_t *code = jeng_must(json_string(src_code(&s->src, s->flips[first].row)));
        put_json(b, code);
        json_decref(code);
        strbuf_puts(b, ",\"flips\":[");
        for (size_t f = first; f < end; f++) {
            const flip *x = &s->flips[f];
            strbuf_puts(b, f > first ? ",{\"value\":" : "{\"value\":");
            strbuf_puts(b, value_text[x->point]);
            strbuf_puts(b, ",\"from\":");
            strbuf_puts(b, id_text[x->from]);
            strbuf_puts(b, ",\"to\":");
            strbuf_puts(b, id_text[x->to]);
            strbuf_puts(b, "}");
        }
        strbuf_puts(b, "]}");
    }
    strbuf_puts(b, s->nflips > 0 ? "\n  ]\n}\n" : "]\n}\n");
    for (int p = 0; p < s->nvalues; p++)
        free(value_text[p]);
    for (int k = 0; k < ncat; k++)
        free(id_text[k]);
    free(value_text);
    free(id_text);
}
