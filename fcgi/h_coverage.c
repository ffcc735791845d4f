/* h_coverage.c - GET /api/v1/rules/coverage?survey=&run=&format=: which categories, reasons and
 * flags the run's results matched, and which never did, with file:line. The figures are the read
 * model's (store_run_coverage, also behind `hyoka coverage`); this file only shapes them, with
 * the run's "survey" and "run" like the other run views. format=csv: the items, through the
 * tree's CSV writer. A stored run never changes: the answer is cached with the run. */
#include "coverage.h"
#include "db.h"
#include "handlers.h"
#include "read.h"
#include "run.h"

#include <stdlib.h>

void h_rules_coverage(hy_req *r, const char *arg)
{
    (void)arg;
    static const char *const formats[] = {"json", "csv", NULL};
    int format;
    if (param_enum_or_reply(r, "format", formats, 0, &format) < 0 || run_reply_cached(r))
        return;
    store_run *rn = run_resolve_items_or_reply(r);
    if (rn == NULL)
        return;
    store_error err = {0};
    json_t *doc = NULL;
    for (int attempt = 0; attempt < 2 && doc == NULL; attempt++) {
        PGconn *c = db_conn(&err);
        if (c == NULL)
            break;
        doc = store_run_coverage(c, rn, &err);
        if (doc == NULL && !db_lost(c, &err))
            break;
    }
    if (doc == NULL) {
        db_reply_error(r, &err);
        run_release(rn);
        return;
    }
    json_object_set_new(doc, "survey", run_survey_json(rn));
    json_object_set_new(doc, "run", run_info_json(rn));
    if (format == 1) {
        size_t len;
        char *csv = coverage_csv(doc, CSVW_EXCEL, &len);
        run_reply_and_cache(r, "text/csv; charset=utf-8", csv, len);
        free(csv);
    } else {
        run_reply_json_and_cache(r, doc);
    }
    json_decref(doc);
    run_release(rn);
}
