/* run.h - a stored evaluation run as the API serves it: survey, run header, the rule set's
 * catalog (labels in file order) and every initiative's list-level data, loaded once per worker
 * and kept in the cache (cache.h) because a stored run never changes.
 *
 * Ownership: run_resolve_or_reply returns a run pinned for the current request; the handler
 * gives it back with run_release (which frees it if the cache could not keep it). Strings inside
 * live as long as the run.
 */
#ifndef HYOKA_FCGI_RUN_H
#define HYOKA_FCGI_RUN_H

#include "http.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define RUN_MAX_CATALOG 64 /* entries per catalog section, as the engine's ENG_MAX_* */

typedef struct run_label {
    const char *id, *label, *response, *severity; /* NULL where the rule file has none */
} run_label;

typedef struct run_item {
    const char *code, *title, *measure_code, *measure_title;
    const char **departments;
    int ndepartments;
    const char **recommendations;
    int nrecommendations;
    bool has_score;
    double score;
    int category;       /* index into run->categories */
    uint64_t reasons;   /* bit i: run->reasons[i] */
    uint64_t flags;     /* bit i: run->flags[i] */
} run_item;

typedef struct run {
    long long id;
    const char *survey_code, *survey_as_of, *survey_label, *evaluated_at, *rules_version,
        *rules_sha256;
    run_label categories[RUN_MAX_CATALOG], reasons[RUN_MAX_CATALOG], flags[RUN_MAX_CATALOG];
    int ncategories, nreasons, nflags;
    json_t *summary;    /* evaluation_runs.summary */
    run_item *items;    /* in code order (numeric segments); once run_resolve_items_or_reply */
    int nitems;
    long total; /* evaluation_runs.total: the results the run stored */
    bool items_loaded;
    /* private */
    json_t *catalog;
    char **strings;         /* arena blocks holding every string of the run */
    int nstrings, capstrings;
    size_t block_used;      /* bytes used in the last block */
    size_t bytes;
    bool cached;
} run;

/* Resolves ?survey= (NULL: the latest survey that has a run) to its newest run and loads it (or
 * takes it from the cache). Answers 404 (unknown survey, no run yet) or 503 itself and returns
 * NULL then. */
run *run_resolve_or_reply(hy_req *r, const char *survey_code);
void run_release(run *rn);
/* run_resolve_or_reply, then loads the run's initiatives (once; they stay with the cached run).
 * Returns the run (run_release it), or NULL after answering. Handlers that need only the summary
 * call run_resolve_or_reply and never pay for the initiatives. */
run *run_resolve_items_or_reply(hy_req *r, const char *survey_code);
/* Loads the latest run with its initiatives into the cache, as the dashboard's first requests
 * would (a new worker, before it accepts). Returns 0 (also when there is no run yet or the cache
 * is off), or -1 when the database failed (then requests load it as usual). */
int run_preload(void);

/* Index of `id` in a catalog section, or -1. */
int run_find(const run_label *list, int n, const char *id);
/* {"code","as_of","label"} and {"id","evaluated_at","rules":{"version","sha256"}}. */
json_t *run_survey_json(const run *rn);
json_t *run_info_json(const run *rn);
/* The SPEC's ITEM. */
json_t *run_item_json(const run *rn, const run_item *it);
/* Response bodies built from stored runs, cached under the request's path and raw query:
 * run_reply_cached answers from the cache and returns true on a hit; run_reply_and_cache answers
 * 200 and keeps a copy. */
bool run_reply_cached(hy_req *r);
void run_reply_and_cache(hy_req *r, const char *content_type, const char *body, size_t len);
void run_reply_json_and_cache(hy_req *r, const json_t *doc);

/* Compares initiative or measure codes by numeric segments ("1-2" < "1-10"), then bytes. */
int run_code_cmp(const char *a, const char *b);

#endif
