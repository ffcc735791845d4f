/* run.h - stored evaluation runs as the API serves them: the run a request asks for (survey=,
 * run=) decided by the read model (store/read.h), loaded once per worker and kept in the cache
 * (cache.h) because a stored run never changes; and the JSON shapes built from a run.
 *
 * Ownership: run_resolve_or_reply returns a run pinned for the current request; the handler
 * gives it back with run_release (which frees it if the cache could not keep it). Strings inside
 * live as long as the run.
 */
#ifndef HYOKA_FCGI_RUN_H
#define HYOKA_FCGI_RUN_H

#include "http.h"
#include "read.h"

#include <jansson.h>
#include <stdbool.h>

/* The run the request asks for: ?run=ID (checked against ?survey= when both are given), else the
 * current run of ?survey= (absent: the default survey); loaded or taken from the cache. Answers
 * 400 (a malformed run, or one of another survey), 404 (unknown survey or run, no run yet) or 503
 * itself and returns NULL then. Routes that accept neither parameter get the default survey's. */
store_run *run_resolve_or_reply(hy_req *r);
void run_release(store_run *rn);
/* run_resolve_or_reply, then loads the run's initiatives (once; they stay with the cached run).
 * Returns the run (run_release it), or NULL after answering. Handlers that need only the summary
 * call run_resolve_or_reply and never pay for the initiatives. */
store_run *run_resolve_items_or_reply(hy_req *r);
/* Loads the latest run with its initiatives into the cache, as the dashboard's first requests
 * would (a new worker, before it accepts). Returns 0 (also when there is no run yet or the cache
 * is off), or -1 when the database failed (then requests load it as usual). */
int run_preload(void);

/* {"code","as_of","label"} and {"id","evaluated_at","rules":{"version","sha256"},"started_by",
 * "newest"}. */
json_t *run_survey_json(const store_run *rn);
json_t *run_info_json(const store_run *rn);
/* The same two for another run shown beside one (store_run.previous). */
json_t *run_head_survey_json(const store_run_head *h);
json_t *run_head_info_json(const store_run_head *h, bool newest);
/* The SPEC's ITEM. */
json_t *run_item_json(const store_run *rn, const store_run_item *it);
/* Response bodies built from stored runs, cached under the request's path and raw query:
 * run_reply_cached answers from the cache and returns true on a hit; run_reply_and_cache answers
 * 200 and keeps a copy. */
bool run_reply_cached(hy_req *r);
void run_reply_and_cache(hy_req *r, const char *content_type, const char *body, size_t len);
void run_reply_json_and_cache(hy_req *r, const json_t *doc);

#endif
