/* h_report.c - GET /api/v1/report?survey=&format=md|html: the progress report (store_report). */
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
    store_error err = {0};
    worker_shed_idle(); /* a report of a large survey takes a while */
    PGconn *c = db_conn(&err);
    char *doc = c != NULL ? store_report(c, http_param(r, "survey"), formats[format], &err) : NULL;
    if (doc == NULL) {
        if (err.status == STORE_ENOTFOUND && http_param(r, "survey") != NULL)
            http_problem(r, 404, "survey", "%s", err.message);
        else
            db_reply_error(r, &err);
        return;
    }
    run_reply_and_cache(r, types[format], doc, strlen(doc));
    free(doc);
}
