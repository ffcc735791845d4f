/* h_summary.c - GET /api/v1/summary: counts by category, primary reason and flag of a stored run
 * (the survey's current one, or ?run=), the reasons' total, and each category's count in the run
 * it is compared with (the previous survey's current run) with the change. */
#include "handlers.h"
#include "json_eng.h"
#include "run.h"

#include <string.h>

/* {"survey", "run", "categories": [{"id", "count", "percent", "change"}]}: the previous run's
 * count of each category of `rn`'s catalog (null when that run's rules have no such category) and
 * the change to `rn`'s count. */
static json_t *previous_json(const store_run *rn, const store_run_head *prev)
{
    json_t *cats = jeng_must(json_array());
    size_t i, j;
    const json_t *c, *p;
    json_array_foreach(json_object_get(rn->summary, "categories"), i, c) {
        const char *id = json_string_value(json_object_get(c, "id"));
        const json_t *before = NULL;
        json_array_foreach(json_object_get(prev->summary, "categories"), j, p)
            if (id != NULL && json_equal(json_object_get(p, "id"), json_object_get(c, "id")))
                before = p;
        json_int_t now = json_integer_value(json_object_get(c, "count"));
        json_int_t then = json_integer_value(json_object_get(before, "count"));
        json_array_append_new(
            cats, jeng_must(json_pack("{s:s?, s:O?, s:O?, s:o}", "id", id, "count",
                                      json_object_get(before, "count"), "percent",
                                      json_object_get(before, "percent"), "change",
                                      before != NULL ? json_integer(now - then) : json_null())));
    }
    /* the current run of its survey, so the newest of it */
    return jeng_must(json_pack("{s:o, s:o, s:o}", "survey", run_head_survey_json(prev), "run",
                               run_head_info_json(prev, true), "categories", cats));
}

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
    json_object_set_new(doc, "reasons_total",
                        json_integer(jeng_summary_reasons_total(rn->summary)));
    json_object_set_new(doc, "previous",
                        rn->previous.id > 0 ? previous_json(rn, &rn->previous) : json_null());
    run_reply_json_and_cache(r, doc);
    json_decref(doc);
    run_release(rn);
}
