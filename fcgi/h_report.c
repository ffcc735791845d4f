/* h_report.c - GET /api/v1/report?survey=&run=&format=md|html: the progress report of a stored run
 * (store_report_with). */
#include "db.h"
#include "handlers.h"
#include "report.h"
#include "run.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

void h_report(hy_req *r, const char *arg)
{
    static const char *const formats[] = {"md", "html", NULL};
    static const char *const types[] = {"text/markdown; charset=utf-8",
                                        "text/html; charset=utf-8"};
    (void)arg;
    int format;
    if (param_enum_or_reply(r, "format", formats, 0, &format) < 0 || run_reply_cached(r))
        return;
    /* The run is the read model's (run.c), so an unknown or foreign run= is answered there. */
    store_run *rn = run_resolve_or_reply(r);
    if (rn == NULL)
        return;
    store_report_opts opts = {rn->survey_code, rn->id, formats[format]};
    store_error err = {0};
    worker_shed_idle(); /* a report of a large survey takes a while */
    PGconn *c = db_conn(&err);
    char *doc = c != NULL ? store_report_with(c, &opts, &err) : NULL;
    run_release(rn);
    if (doc == NULL) {
        db_reply_error(r, &err);
        return;
    }
    run_reply_and_cache(r, types[format], doc, strlen(doc));
    free(doc);
}
