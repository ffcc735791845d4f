/* h_summary.c - GET /api/v1/summary: counts by category, primary reason and flag of a stored run
 * (the survey's current one, or ?run=). */
#include "handlers.h"
#include "run.h"

void h_summary(hy_req *r, const char *arg)
{
    (void)arg;
    if (run_reply_cached(r))
        return;
    store_run *rn = run_resolve_or_reply(r);
    if (rn == NULL)
        return;
    json_t *doc = json_pack("{s:o, s:o}", "survey", run_survey_json(rn), "run", run_info_json(rn));
    /* The stored summary is exactly the API's {"total", "categories", "reasons", "flags"}. */
    static const char *const keys[] = {"total", "categories", "reasons", "flags"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(rn->summary, keys[i]);
        json_object_set(doc, keys[i], v != NULL ? v : json_null());
    }
    run_reply_json_and_cache(r, doc);
    json_decref(doc);
    run_release(rn);
}
