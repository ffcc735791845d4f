/* h_status.c - operational endpoints: /health (a health document, not a problem), /rules, /metrics. */
#include "app.h"
#include "db.h"
#include "handlers.h"
#include "metrics.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define METRICS_BUF (256 * 1024) /* the exposition of ~15 routes x 16 series fits with room */

void h_health(hy_req *r, const char *arg)
{
    (void)arg;
    db_reads where;
    bool up = db_where(&where) == 0;
    json_t *doc = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:i}", "status",
                            up ? "ok" : "unavailable", "database", up ? "ok" : "unreachable",
                            "rules", "version", eng_rules_version(app.rules), "sha256",
                            eng_rules_sha256(app.rules), "loaded_at", app.rules_loaded_iso,
                            "worker", (int)getpid());
    /* Which server this worker reads from (database.conninfo may name several). */
    if (up)
        json_object_set_new(doc, "reads",
                            json_pack("{s:s, s:s, s:b, s:b, s:f, s:I}", "host", where.host,
                                      "port", where.port, "standby", where.standby, "preferred",
                                      where.preferred, "replay_lag_seconds", where.replay_lag_s,
                                      "newest_run", (json_int_t)where.newest_run));
    http_reply_json(r, up ? 200 : 503, doc);
    json_decref(doc);
}

void h_rules(hy_req *r, const char *arg)
{
    (void)arg;
    /* The file's name only: anonymous readers need not learn the server's folders. */
    const char *slash = strrchr(app.config.rules_file, '/');
    const char *name = slash != NULL ? slash + 1 : app.config.rules_file;
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "version",
                            eng_rules_version(app.rules), "sha256", eng_rules_sha256(app.rules),
                            "loaded_at", app.rules_loaded_iso, "file", name,
                            "source", eng_rules_source(app.rules), "checked_against_database",
                            app.rules_checked_db);
    /* the thresholds the planner page (ルール調整) can move: [{"name", "value"}] in file order */
    json_t *thresholds = json_array();
    for (int i = 0; i < eng_rules_threshold_count(app.rules); i++)
        json_array_append_new(thresholds,
                              json_pack("{s:s, s:f}", "name", eng_rules_threshold_name(app.rules, i),
                                        "value", eng_rules_threshold_value(app.rules, i)));
    json_object_set_new(doc, "thresholds", thresholds);
    http_reply_json(r, 200, doc);
    json_decref(doc);
}

void h_metrics(hy_req *r, const char *arg)
{
    (void)arg;
    char *buf = xmalloc(METRICS_BUF);
    long n = metrics_write(buf, METRICS_BUF, eng_rules_version(app.rules),
                           eng_rules_sha256(app.rules), app.rules_loaded_at);
    db_reads where;
    if (n >= 0 && db_where(&where) == 0) {
        long k = metrics_write_reads(buf + n, METRICS_BUF - (size_t)n, where.host, where.port,
                                     where.standby, where.replay_lag_s);
        n = k < 0 ? -1 : n + k;
    }
    if (n < 0)
        http_problem(r, 500, NULL, "the metrics do not fit %d bytes", METRICS_BUF);
    else
        http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", buf, (size_t)n, NULL);
    free(buf);
}
