/* run.c - the run a request asks for, from the read model (store/read.h), cached per worker; its
 * results shared by the workers of a machine as an image (store/run_image.h). */
#include "run.h"

#include "app.h"
#include "cache.h"
#include "db.h"
#include "json_eng.h"
#include "log.h"
#include "run_image.h"
#include "worker.h"
#include "xalloc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run_free(void *p) { store_run_free(p); }

static void long_free(void *p) { free(p); }

/* The run a request names (run_id > 0, checked against survey_code) or the current run of
 * survey_code (NULL: the default survey), from the cache or loaded; pinned if cached. Returns
 * STORE_RUN_FOUND with *out set, another store_run_lookup with err set to the reader's sentence,
 * or -1 with err set (a database failure). The lookup is cached under its parameters: a stored
 * run never changes, and the cache is flushed when a run is published or data imported. */
static int resolve(const char *survey_code, long long run_id, store_run **out, store_error *err)
{
    char key[CACHE_MAX_KEY];
    *out = NULL;
    int w = snprintf(key, sizeof key, "resolve:%lld:%s%s", run_id, survey_code ? "=" : "",
                     survey_code ? survey_code : "");
    bool keyed = w > 0 && (size_t)w < sizeof key;
    long long *cached_id = keyed ? cache_get(key) : NULL;
    long long id = 0;
    if (cached_id != NULL) {
        id = *cached_id;
    } else {
        int found = -1;
        for (int attempt = 0; attempt < 2 && found < 0; attempt++) {
            PGconn *c = db_conn(err);
            if (c == NULL)
                return -1;
            found = store_read_run(c, survey_code, run_id, &id, err);
            if (found < 0 && !db_lost(c, err))
                return -1;
        }
        if (found != STORE_RUN_FOUND)
            return found;
        long long *copy = xmalloc(sizeof *copy);
        *copy = id;
        if (!keyed || !cache_put(key, copy, sizeof *copy + strlen(key) + 64, long_free))
            free(copy);
    }
    snprintf(key, sizeof key, "run:%lld", id);
    store_run *rn = cache_get(key);
    if (rn == NULL) {
        for (int attempt = 0; attempt < 2 && rn == NULL; attempt++) {
            PGconn *c = db_conn(err);
            if (c == NULL)
                return -1;
            rn = store_run_load(c, id, err);
            if (rn == NULL && !db_lost(c, err))
                return -1;
        }
        if (rn == NULL)
            return -1;
        if (!cache_put(key, rn, rn->bytes, run_free))
            log_debug("run %lld (%zu bytes) does not fit the cache", id, rn->bytes);
    }
    if (cache_holds(rn))
        cache_pin(rn);
    *out = rn;
    return STORE_RUN_FOUND;
}

store_run *run_resolve_or_reply(hy_req *r)
{
    long run_id = 0;
    if (param_int_or_reply(r, "run", 1, LONG_MAX, 0, &run_id) < 0)
        return NULL;
    const char *survey = http_param(r, "survey");
    store_error err = {0};
    store_run *rn = NULL;
    switch (resolve(survey, run_id, &rn, &err)) {
    case STORE_RUN_FOUND:
        return rn;
    case STORE_RUN_NO_SURVEY:
        http_problem(r, 404, "survey", "%s", err.message);
        break;
    case STORE_RUN_NONE:
        http_problem(r, 404, survey != NULL ? "survey" : NULL, "%s", err.message);
        break;
    case STORE_RUN_UNKNOWN:
        http_problem(r, 404, "run", "%s", err.message);
        break;
    case STORE_RUN_OTHER_SURVEY:
        http_problem(r, 400, "run", "%s", err.message);
        break;
    default:
        db_reply_error(r, &err);
        break;
    }
    return NULL;
}

static void image_warn(const char *message) { log_warn("%s", message); }

/* Loads the run's initiatives unless it has them (the cache then counts their bytes): from the
 * machine's image of the run (store/run_image.h, server.run_images) when there is one, else from
 * the database, writing the image for the next worker. Returns 0, or -1 with err set. */
static int ensure_items(store_run *rn, store_error *err)
{
    if (rn->items_loaded)
        return 0;
    double t0 = app_now();
    worker_shed_idle(); /* 1.4 s for 100,000 initiatives without an image (the log line says) */
    int rc = -1;
    rimg_source source = RIMG_FROM_DB;
    for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
        PGconn *c = db_conn(err);
        if (c == NULL)
            return -1;
        rc = rimg_load_items(c, rn, app.config.run_images, &source, image_warn, err);
        if (rc < 0 && !db_lost(c, err))
            return -1;
    }
    if (rc < 0)
        return -1;
    static const char *const how[] = {"mapped from its image", "loaded, image written",
                                      "loaded privately"};
    log_info("run %lld: %d initiatives loaded in %.0f ms (%s), %zu bytes", rn->id,
             rn->nitems, (app_now() - t0) * 1e3, how[source], rn->bytes);
    if (cache_holds(rn))
        cache_resize(rn, rn->bytes);
    return 0;
}

store_run *run_resolve_items_or_reply(hy_req *r)
{
    store_run *rn = run_resolve_or_reply(r);
    store_error err = {0};
    if (rn != NULL && ensure_items(rn, &err) < 0) {
        db_reply_error(r, &err);
        run_release(rn);
        return NULL;
    }
    return rn;
}

int run_preload(void)
{
    store_error err = {0};
    store_run *rn = NULL;
    double t0 = app_now();
    int found = resolve(NULL, 0, &rn, &err);
    if (found != STORE_RUN_FOUND)
        return found > 0 ? 0 : -1; /* no run yet: nothing to load */
    int rc = cache_holds(rn) ? ensure_items(rn, &err) : 0; /* uncached: it would be freed at once */
    if (rc == 0) /* bench/scale/workers.sh reads it: a worker's start until it takes requests */
        log_info("latest run %lld ready in %.0f ms (connect, resolve, initiatives)", rn->id,
                 (app_now() - t0) * 1e3);
    run_release(rn);
    return rc;
}

void run_release(store_run *rn)
{
    if (rn == NULL)
        return;
    if (cache_holds(rn))
        cache_unpin(rn);
    else
        store_run_free(rn);
}

static json_t *survey_json(const char *code, const char *as_of, const char *label)
{
    return jeng_must(json_pack("{s:s, s:s, s:s?}", "code", code, "as_of", as_of, "label", label));
}

static json_t *info_json(long long id, const char *evaluated_at, const char *version,
                         const char *sha256, const char *started_by, bool newest)
{
    return jeng_must(json_pack("{s:I, s:s, s:{s:s, s:s}, s:s?, s:b}", "id", (json_int_t)id,
                               "evaluated_at", evaluated_at, "rules", "version", version,
                               "sha256", sha256, "started_by", started_by, "newest", newest));
}

json_t *run_survey_json(const store_run *rn)
{
    return survey_json(rn->survey_code, rn->survey_as_of, rn->survey_label);
}

json_t *run_info_json(const store_run *rn)
{
    return info_json(rn->id, rn->evaluated_at, rn->rules_version, rn->rules_sha256,
                     rn->started_by, rn->newest);
}

json_t *run_head_survey_json(const store_run_head *h)
{
    return survey_json(h->survey_code, h->survey_as_of, h->survey_label);
}

json_t *run_head_info_json(const store_run_head *h, bool newest)
{
    return info_json(h->id, h->evaluated_at, h->rules_version, h->rules_sha256, h->started_by,
                     newest);
}

static json_t *label_json(const store_run_label *l, bool severity)
{
    json_t *o = json_pack("{s:s, s:s?}", "id", l->id, "label", l->label);
    if (severity)
        json_object_set_new(o, "severity", l->severity ? json_string(l->severity) : json_null());
    return o;
}

json_t *run_item_json(const store_run *rn, const store_run_item *it)
{
    json_t *deps = json_array(), *reasons = json_array(), *flags = json_array(),
           *recs = json_array();
    for (int i = 0; i < it->ndepartments; i++)
        json_array_append_new(deps, json_string(store_item_department(rn, it, i)));
    for (int i = 0; i < rn->nreasons; i++)
        if (it->reasons & ((uint64_t)1 << i))
            json_array_append_new(reasons, label_json(&rn->reasons[i], false));
    for (int i = 0; i < rn->nflags; i++)
        if (it->flags & ((uint64_t)1 << i))
            json_array_append_new(flags, label_json(&rn->flags[i], true));
    for (int i = 0; i < it->nrecommendations; i++)
        json_array_append_new(recs, json_string(store_item_recommendation(rn, it, i)));
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:o, s:o, s:o, s:o, s:o}", "code",
                     store_run_text(rn, it->code), "title", store_run_text(rn, it->title),
                     "measure", "code", store_run_text(rn, it->measure_code), "title",
                     store_run_text(rn, it->measure_title), "departments", deps, "score",
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
