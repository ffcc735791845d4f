/* run.c - loads a stored run's list-level data from PostgreSQL into memory, cached per worker. */
#include "run.h"

#include "app.h"
#include "cache.h"
#include "db.h"
#include "json_eng.h"
#include "log.h"
#include "read.h"
#include "worker.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int run_code_cmp(const char *a, const char *b)
{
    const char *p = a, *q = b;
    while (*p && *q) {
        if (isdigit((unsigned char)*p) && isdigit((unsigned char)*q)) {
            while (*p == '0') p++;
            while (*q == '0') q++;
            size_t np = 0, nq = 0;
            while (isdigit((unsigned char)p[np])) np++;
            while (isdigit((unsigned char)q[nq])) nq++;
            if (np != nq)
                return np < nq ? -1 : 1;
            int c = memcmp(p, q, np);
            if (c != 0)
                return c < 0 ? -1 : 1;
            p += np;
            q += nq;
        } else {
            if (*p != *q)
                return (unsigned char)*p < (unsigned char)*q ? -1 : 1;
            p++;
            q++;
        }
    }
    if (*p || *q)
        return *p ? 1 : -1;
    int c = strcmp(a, b); /* "1-02" vs "1-2": equal by value, ordered by bytes */
    return c < 0 ? -1 : c > 0;
}

#define RUN_BLOCK (64 * 1024) /* arena block: one malloc for hundreds of strings */

static char *new_block(run *rn, size_t size)
{
    if (rn->nstrings == rn->capstrings) {
        rn->capstrings = rn->capstrings ? rn->capstrings * 2 : 64;
        rn->strings = realloc(rn->strings, (size_t)rn->capstrings * sizeof *rn->strings);
        if (rn->strings == NULL)
            abort();
    }
    char *b = malloc(size);
    if (b == NULL)
        abort();
    rn->strings[rn->nstrings++] = b;
    rn->bytes += size + sizeof(char *);
    return b;
}

/* Copies a string into the run's arena; it lives as long as the run. */
static const char *keep(run *rn, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    if (n > RUN_BLOCK / 4) { /* a long one gets its own block, the current one stays open */
        char *own = new_block(rn, n);
        memcpy(own, s, n);
        if (rn->nstrings >= 2) { /* keep the open block last */
            char *t = rn->strings[rn->nstrings - 1];
            rn->strings[rn->nstrings - 1] = rn->strings[rn->nstrings - 2];
            rn->strings[rn->nstrings - 2] = t;
        } else {
            rn->block_used = RUN_BLOCK; /* no open block yet */
        }
        return own;
    }
    if (rn->nstrings == 0 || rn->block_used + n > RUN_BLOCK) {
        new_block(rn, RUN_BLOCK);
        rn->block_used = 0;
    }
    char *dst = rn->strings[rn->nstrings - 1] + rn->block_used;
    memcpy(dst, s, n);
    rn->block_used += n;
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

static const char *keep_shared(run *rn, intern *t, const char *s)
{
    if (t->n * 2 >= t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        const char **slots = calloc(cap, sizeof *slots);
        if (slots == NULL)
            abort();
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

static void run_free(void *p)
{
    run *rn = p;
    if (rn == NULL)
        return;
    for (int i = 0; i < rn->nstrings; i++)
        free(rn->strings[i]);
    free(rn->strings);
    for (int i = 0; i < rn->nitems; i++) {
        free(rn->items[i].departments);
        free(rn->items[i].recommendations);
    }
    free(rn->items);
    json_decref(rn->summary);
    json_decref(rn->catalog);
    free(rn);
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int load_section(run *rn, const char *name, run_label *out, int *n)
{
    const json_t *arr = json_object_get(rn->catalog, name);
    size_t i;
    const json_t *e;
    *n = 0;
    if (arr != NULL && !json_is_array(arr))
        return -1;
    json_array_foreach(arr, i, e) {
        if (*n == RUN_MAX_CATALOG || jstr(e, "id") == NULL)
            return -1;
        out[*n].id = jstr(e, "id");
        out[*n].label = jstr(e, "label");
        out[*n].response = jstr(e, "response");
        out[*n].severity = jstr(e, "severity");
        (*n)++;
    }
    return 0;
}

int run_find(const run_label *list, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i].id, id) == 0)
            return i;
    return -1;
}

/* Parses a JSON array of strings (from array_to_json) into kept strings. */
static int string_list(run *rn, intern *t, const char *text, const char ***out, int *n)
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
        *out = calloc(len, sizeof **out);
        if (*out == NULL)
            abort();
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

static uint64_t id_bits(const run_label *list, int n, const char *text, int *unknown)
{
    json_t *arr = json_loads(text, 0, NULL);
    uint64_t bits = 0;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        int k = json_string_value(e) ? run_find(list, n, json_string_value(e)) : -1;
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
static int memo_list(run *rn, intern *t, memo *m, const char *text, const char ***out, int *n)
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
        *out = malloc((size_t)*n * sizeof **out);
        if (*out == NULL)
            abort();
        memcpy(*out, m->e[k].list, (size_t)*n * sizeof **out);
        rn->bytes += (size_t)*n * sizeof **out;
    }
    return 0;
}

/* id_bits through `m`. */
static uint64_t memo_bits(run *rn, intern *t, memo *m, const run_label *list, int nlist,
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
    return run_code_cmp(((const run_item *)a)->code, ((const run_item *)b)->code);
}

static const char *const sql_header =
    "SELECT r.id, s.code, s.as_of::text, s.label,"
    " to_char(r.evaluated_at, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM'),"
    " rs.version, rs.sha256, rs.catalog::text, coalesce(r.summary::text, 'null'), r.total"
    " FROM evaluation_runs r JOIN surveys s ON s.id = r.survey_id"
    " JOIN rule_sets rs ON rs.id = r.rule_set_id WHERE r.id = $1";

/* In initiative_id order, as sql_departments: the two are merged by id in C. A correlated
 * json_agg of each initiative's departments made loading a run of 100,000 take ~1.2 s, most of
 * it PostgreSQL running 100,000 subqueries. */
static const char *const sql_items =
    "SELECT i.code, i.title, m.code, m.title, e.initiative_id,"
    " e.score::text, e.category, array_to_json(e.reasons)::text,"
    " array_to_json(e.flags)::text, array_to_json(e.recommendations)::text"
    " FROM evaluation_results e JOIN initiatives i ON i.id = e.initiative_id"
    " JOIN measures m ON m.id = i.measure_id WHERE e.run_id = $1 ORDER BY e.initiative_id";
static const char *const sql_departments =
    "SELECT x.initiative_id, d.name FROM initiative_departments x"
    " JOIN departments d ON d.id = x.department_id"
    " WHERE x.initiative_id IN (SELECT e.initiative_id FROM evaluation_results e WHERE e.run_id = $1)"
    " ORDER BY x.initiative_id, x.position";


/* Loads run `id` from the database; NULL with err set. */
static run *load(long long id, store_error *err)
{
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", id);
    const char *params[] = {idtext};
    run *rn = calloc(1, sizeof *rn);
    if (rn == NULL)
        abort();
    rn->id = id;
    PGresult *res = db_query(sql_header, 1, params, err);
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
    rn->catalog = json_loads(PQgetvalue(res, 0, 7), 0, NULL);
    rn->summary = json_loads(PQgetvalue(res, 0, 8), JSON_DECODE_ANY, NULL);
    rn->bytes += 2 * strlen(PQgetvalue(res, 0, 7)) + 2 * strlen(PQgetvalue(res, 0, 8));
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
    run_free(rn);
    return NULL;
}

/* Loads the initiatives of `rn`; 0, or -1 with err set (rn keeps no partial items). */
static int load_items(run *rn, store_error *err)
{
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", rn->id);
    const char *params[] = {idtext};
    long long id = rn->id;
    PGresult *res = NULL, *deps = NULL;
    intern shared = {NULL, 0, 0};
    memo recs = {0}, reasons = {0}, flags = {0};
    double t0 = app_now();
    worker_shed_idle(); /* 0.4 s for 100,000 initiatives (the log line below says) */
    res = db_query(sql_items, 1, params, err);
    if (res == NULL)
        goto fail;
    deps = db_query(sql_departments, 1, params, err);
    if (deps == NULL)
        goto fail;
    int n = PQntuples(res), nd = PQntuples(deps), d = 0;
    rn->items = calloc(n > 0 ? (size_t)n : 1, sizeof *rn->items);
    if (rn->items == NULL)
        abort();
    rn->bytes += (size_t)n * sizeof *rn->items;
    int unknown = 0;
    for (int i = 0; i < n; i++) {
        run_item *it = &rn->items[rn->nitems++];
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
            it->departments = calloc((size_t)(d - first), sizeof *it->departments);
            if (it->departments == NULL)
                abort();
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
        it->category = run_find(rn->categories, rn->ncategories, PQgetvalue(res, i, 6));
        if (it->category < 0) {
            unknown++;
            it->category = rn->ncategories - 1;
        }
        it->reasons = memo_bits(rn, &shared, &reasons, rn->reasons, rn->nreasons,
                                PQgetvalue(res, i, 7), &unknown);
        it->flags = memo_bits(rn, &shared, &flags, rn->flags, rn->nflags, PQgetvalue(res, i, 8),
                              &unknown);
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
    rn->items_loaded = true;
    free(shared.slots);
    PQclear(deps);
    memo_free(&recs);
    memo_free(&reasons);
    memo_free(&flags);
    log_info("run %lld: %d initiatives loaded in %.0f ms, %zu bytes", id, rn->nitems,
             (app_now() - t0) * 1e3, rn->bytes);
    return 0;
fail:
    free(shared.slots);
    PQclear(res);
    PQclear(deps);
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

static void long_free(void *p) { free(p); }

/* Why resolve() found no run: the survey is unknown, or it has no run yet (or no survey has). */
typedef enum { RESOLVE_FOUND, RESOLVE_NO_SURVEY, RESOLVE_NO_RUN } resolve_miss;

/* The newest run of survey_code (NULL: of the latest survey that has one), from the cache or
 * loaded; pinned if cached. NULL with *miss set, or with err set (a database failure). */
static run *resolve(const char *survey_code, store_error *err, resolve_miss *miss)
{
    char key[CACHE_MAX_KEY];
    snprintf(key, sizeof key, "survey:%s%s", survey_code ? "=" : "", survey_code ? survey_code : "");
    long long *cached_id = cache_get(key);
    long long id;
    *miss = RESOLVE_FOUND;
    if (cached_id != NULL) {
        id = *cached_id;
    } else {
        int found = -1;
        for (int attempt = 0; attempt < 2 && found < 0; attempt++) {
            PGconn *c = db_conn(err);
            if (c == NULL)
                return NULL;
            found = store_read_current_run(c, survey_code, &id, err);
            if (found < 0 && !db_lost(c, err)) {
                err->status = STORE_ESCHEMA;
                return NULL;
            }
        }
        if (found < 0)
            return NULL;
        if (found != STORE_RUN_FOUND) {
            *miss = found == STORE_RUN_NO_SURVEY ? RESOLVE_NO_SURVEY : RESOLVE_NO_RUN;
            return NULL;
        }
        long long *copy = malloc(sizeof *copy);
        if (copy == NULL)
            abort();
        *copy = id;
        if (!cache_put(key, copy, sizeof *copy + strlen(key) + 64, long_free))
            free(copy);
    }
    snprintf(key, sizeof key, "run:%lld", id);
    run *rn = cache_get(key);
    if (rn == NULL) {
        rn = load(id, err);
        if (rn == NULL)
            return NULL;
        rn->cached = cache_put(key, rn, rn->bytes, run_free);
        if (!rn->cached)
            log_debug("run %lld (%zu bytes) does not fit the cache", id, rn->bytes);
    }
    if (rn->cached)
        cache_pin(rn);
    return rn;
}

run *run_resolve_or_reply(hy_req *r, const char *survey_code)
{
    store_error err = {0};
    resolve_miss miss;
    run *rn = resolve(survey_code, &err, &miss);
    if (miss == RESOLVE_NO_SURVEY)
        http_problem(r, 404, "survey", "unknown survey '%s'", survey_code);
    else if (miss == RESOLVE_NO_RUN && survey_code == NULL)
        http_problem(r, 404, NULL, "no survey has an evaluation run yet");
    else if (miss == RESOLVE_NO_RUN)
        http_problem(r, 404, "survey", "survey '%s' has no evaluation run yet", survey_code);
    else if (rn == NULL)
        db_reply_error(r, &err);
    return rn;
}

/* Loads the run's initiatives unless it has them (the cache then counts their bytes). Returns 0,
 * or -1 with err set. */
static int ensure_items(run *rn, store_error *err)
{
    if (rn->items_loaded)
        return 0;
    if (load_items(rn, err) < 0)
        return -1;
    if (rn->cached)
        cache_resize(rn, rn->bytes);
    return 0;
}

static int items_or_reply(hy_req *r, run *rn)
{
    store_error err = {0};
    if (ensure_items(rn, &err) < 0) {
        db_reply_error(r, &err);
        return -1;
    }
    return 0;
}

run *run_resolve_items_or_reply(hy_req *r, const char *survey_code)
{
    run *rn = run_resolve_or_reply(r, survey_code);
    if (rn != NULL && items_or_reply(r, rn) < 0) {
        run_release(rn);
        return NULL;
    }
    return rn;
}

int run_preload(void)
{
    store_error err = {0};
    resolve_miss miss;
    run *rn = resolve(NULL, &err, &miss);
    if (rn == NULL)
        return miss != RESOLVE_FOUND ? 0 : -1; /* no run yet: nothing to load */
    int rc = rn->cached ? ensure_items(rn, &err) : 0; /* uncached: it would be freed at once */
    run_release(rn);
    return rc;
}

void run_release(run *rn)
{
    if (rn == NULL)
        return;
    if (rn->cached)
        cache_unpin(rn);
    else
        run_free(rn);
}

json_t *run_survey_json(const run *rn)
{
    return json_pack("{s:s, s:s, s:s?}", "code", rn->survey_code, "as_of", rn->survey_as_of,
                     "label", rn->survey_label);
}

json_t *run_info_json(const run *rn)
{
    return json_pack("{s:I, s:s, s:{s:s, s:s}}", "id", (json_int_t)rn->id, "evaluated_at",
                     rn->evaluated_at, "rules", "version", rn->rules_version, "sha256",
                     rn->rules_sha256);
}

static json_t *label_json(const run_label *l, bool severity)
{
    json_t *o = json_pack("{s:s, s:s?}", "id", l->id, "label", l->label);
    if (severity)
        json_object_set_new(o, "severity", l->severity ? json_string(l->severity) : json_null());
    return o;
}

json_t *run_item_json(const run *rn, const run_item *it)
{
    json_t *deps = json_array(), *reasons = json_array(), *flags = json_array(),
           *recs = json_array();
    for (int i = 0; i < it->ndepartments; i++)
        json_array_append_new(deps, json_string(it->departments[i]));
    for (int i = 0; i < rn->nreasons; i++)
        if (it->reasons & ((uint64_t)1 << i))
            json_array_append_new(reasons, label_json(&rn->reasons[i], false));
    for (int i = 0; i < rn->nflags; i++)
        if (it->flags & ((uint64_t)1 << i))
            json_array_append_new(flags, label_json(&rn->flags[i], true));
    for (int i = 0; i < it->nrecommendations; i++)
        json_array_append_new(recs, json_string(it->recommendations[i]));
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:o, s:o, s:o, s:o, s:o}", "code", it->code,
                     "title", it->title, "measure", "code", it->measure_code, "title",
                     it->measure_title, "departments", deps, "score",
                     it->has_score ? jeng_number(it->score) : json_null(), "category",
                     label_json(&rn->categories[it->category], false), "reasons", reasons,
                     "flags", flags, "recommendations", recs);
}

static bool body_key(const hy_req *r, char *key, size_t n)
{
    const char *q = http_env(r, "QUERY_STRING");
    int w = snprintf(key, n, "body:%s?%s", r->path, q ? q : "");
    return w > 0 && (size_t)w < n;
}

bool run_reply_cached(hy_req *r)
{
    char key[CACHE_MAX_KEY];
    if (!body_key(r, key, sizeof key))
        return false;
    const cache_body *b = cache_get_body(key);
    if (b == NULL)
        return false;
    http_reply(r, 200, b->content_type, b->data, b->len, NULL);
    return true;
}

void run_reply_and_cache(hy_req *r, const char *content_type, const char *body, size_t len)
{
    char key[CACHE_MAX_KEY];
    http_reply(r, 200, content_type, body, len, NULL);
    if (body_key(r, key, sizeof key))
        cache_put_body(key, content_type, body, len);
}

void run_reply_json_and_cache(hy_req *r, const json_t *doc)
{
    size_t len;
    char *s = http_dump(doc, &len);
    if (s == NULL) {
        http_problem(r, 500, NULL, "the response could not be serialised");
        return;
    }
    run_reply_and_cache(r, "application/json; charset=utf-8", s, len);
    free(s);
}
