/* sweep.c - what-if over the values of one threshold, shared by `hyoka sweep` and the API's
 * /rules/sweep (sweep.h). The values are evaluated a few at a time on threads of their own (each
 * value is a rule set and a pass over the facts of its own), then counted and compared in order. */
#include "sweep.h"

#include "code_order.h"
#include "json_eng.h"
#include "xalloc.h"

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

struct store_sweep {
    const store_facts *facts;
    const eng_rules *rules; /* as the file has it: ids, labels */
    char *name;
    double *values;
    int nvalues;
    json_t *points;
    flip *flips;
    size_t nflips, capflips;
    int file_point;
    uint8_t *last; /* each initiative's category at the last value (store_sweep_continue) */
};

/* One value's pass, on a thread of its own. */
typedef struct job {
    const store_facts *facts;
    const eng_rules *rules; /* the overridden rule set */
    eng_result *results;
    pthread_t thread;
} job;

static void *evaluate_job(void *arg)
{
    job *j = arg;
    store_facts_evaluate(j->facts, j->rules, j->results);
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

static const store_facts *sort_facts; /* for by_code: qsort has no user argument */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

/* Flips by initiative code (store/code_order.h), then by value. */
static int by_code(const void *x, const void *y)
{
    const flip *a = x, *b = y;
    int c = a->row == b->row ? 0
                             : code_order_cmp(store_facts_code(sort_facts, a->row),
                                              store_facts_code(sort_facts, b->row));
    return c != 0 ? c : (a->point > b->point) - (a->point < b->point);
}

static int threads_to_use(int nvalues)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int t = cpus > 0 && cpus < SWEEP_THREADS ? (int)cpus : SWEEP_THREADS;
    return t < nvalues ? t : nvalues;
}

/* store_sweep_run, or with base: store_sweep_continue (values[0] is base's last value). */
static store_sweep *run(const store_facts *facts, const eng_rules *rules, const char *name,
                        const double *values, int n, size_t max_flips, const store_sweep *base,
                        store_error *err)
{
    store_error_clear(err);
    if (max_flips > STORE_SWEEP_MAX_FLIPS)
        max_flips = STORE_SWEEP_MAX_FLIPS;
    store_sweep *s = xcalloc(1, sizeof *s);
    s->facts = facts;
    s->rules = rules;
    s->name = xstrdup(name);
    s->values = xcalloc((size_t)n + 1, sizeof *s->values);
    memcpy(s->values, values, (size_t)n * sizeof *values);
    s->nvalues = n;
    s->points = jeng_must(json_array());
    s->file_point = -1;

    int count = store_facts_count(facts);
    int start = 0;
    uint8_t *previous = xcalloc((size_t)count + 1, 1);
    if (base != NULL) { /* the first point as base has it: counts and categories */
        json_array_append(s->points,
                          json_array_get(base->points, json_array_size(base->points) - 1));
        memcpy(previous, base->last, (size_t)count);
        if (base->file_point == base->nvalues - 1)
            s->file_point = 0;
        start = 1;
    }
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
            eng_threshold_override ov = {name, values[first + t]};
            eng_diags_clear(diags);
            jobs[t].facts = facts;
            jobs[t].rules = eng_rules_override(rules, &ov, 1, diags);
            if (jobs[t].rules == NULL) {
                const eng_diag *d = NULL;
                for (int i = 0; i < eng_diags_count(diags) && d == NULL; i++)
                    if (!eng_diags_get(diags, i)->warning)
                        d = eng_diags_get(diags, i);
                store_fail(err, STORE_EUSER, "%s:%d: %s", d ? d->file : "?", d ? d->line : 0,
                           d ? d->message : "the value does not fit the rule set");
                status = -1;
            }
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
            json_t *summary = jeng_summary(jobs[t].rules, &tally);
            json_array_append_new(s->points, point_json(values[p], summary));
            json_decref(summary);
            for (int i = 0; i < count && p > 0 && status == 0; i++) {
                if (results[i].category == previous[i])
                    continue;
                if (s->nflips == max_flips) {
                    store_fail(err, STORE_EUSER,
                               "more than %zu category changes: take a larger step or a narrower "
                               "range",
                               max_flips);
                    status = -1;
                    break;
                }
                if (s->nflips == s->capflips) {
                    s->capflips = s->capflips ? 2 * s->capflips : 1024;
                    s->flips = xrealloc(s->flips, s->capflips * sizeof *s->flips);
                }
                s->flips[s->nflips++] =
                    (flip){i, p, previous[i], (uint8_t)results[i].category};
            }
            for (int i = 0; i < count; i++)
                previous[i] = (uint8_t)results[i].category;
        }
        for (int t = 0; t < batch; t++) {
            eng_rules_free((eng_rules *)jobs[t].rules);
            jobs[t].rules = NULL;
        }
    }
    eng_diags_free(diags);
    s->last = previous;
    for (int t = 0; t < nthreads; t++)
        free(jobs[t].results);
    if (status != 0) {
        store_sweep_free(s);
        return NULL;
    }
    if (s->nflips > 0) {
        pthread_mutex_lock(&sort_lock);
        sort_facts = facts;
        qsort(s->flips, s->nflips, sizeof *s->flips, by_code);
        pthread_mutex_unlock(&sort_lock);
    }
    return s;
}

store_sweep *store_sweep_run(const store_facts *facts, const eng_rules *rules, const char *name,
                             const double *values, int n, size_t max_flips, store_error *err)
{
    return run(facts, rules, name, values, n, max_flips, NULL, err);
}

store_sweep *store_sweep_continue(const store_sweep *base, const double *values, int n,
                                  size_t max_flips, store_error *err)
{
    double *all = xcalloc((size_t)n + 2, sizeof *all);
    all[0] = base->values[base->nvalues - 1];
    memcpy(all + 1, values, (size_t)n * sizeof *values);
    store_sweep *s = run(base->facts, base->rules, base->name, all, n + 1, max_flips, base, err);
    free(all);
    return s;
}

void store_sweep_free(store_sweep *s)
{
    if (s == NULL)
        return;
    free(s->last);
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
    return (store_sweep_flip){store_facts_code(s->facts, f->row), f->point, f->from, f->to};
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
    json_t *survey = store_facts_survey(s->facts);
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
        json_t *code = jeng_must(json_string(store_facts_code(s->facts, s->flips[first].row)));
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
