/* read.c - the read model: which stored run a view shows (see read.h). */
#include "read.h"

#include <stdio.h>
#include <stdlib.h>

/* Runs one parameterised query that must return rows; NULL with err set. */
static PGresult *rows(PGconn *c, const char *sql, int n, const char *const *params,
                      const char *what, store_error *err)
{
    PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_fail_pq(err, c, res, what);
        PQclear(res);
        return NULL;
    }
    return res;
}

int store_read_current_run(PGconn *c, const char *survey_code, long long *run_id,
                           store_error *err)
{
    store_error_clear(err);
    PGresult *res;
    if (survey_code != NULL) {
        const char *params[] = {survey_code};
        res = rows(c,
                   "SELECT (SELECT max(r.id) FROM evaluation_runs r WHERE r.survey_id = s.id"
                   "        AND r.id <= " STORE_READ_PUBLISHED ")"
                   " FROM surveys s WHERE s.code = $1",
                   1, params, "finding the survey's current run", err);
    } else {
        res = rows(c,
                   "SELECT r.id FROM evaluation_runs r JOIN surveys s ON s.id = r.survey_id"
                   " WHERE r.id <= " STORE_READ_PUBLISHED
                   " ORDER BY s.as_of DESC, r.id DESC LIMIT 1",
                   0, NULL, "finding the current run", err);
    }
    if (res == NULL)
        return -1;
    int found;
    if (PQntuples(res) == 0)
        found = survey_code != NULL ? STORE_RUN_NO_SURVEY : STORE_RUN_NONE;
    else if (PQgetisnull(res, 0, 0))
        found = STORE_RUN_NONE;
    else {
        *run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        found = STORE_RUN_FOUND;
    }
    PQclear(res);
    return found;
}

int store_read_versions(PGconn *c, long long *newest_run, long long *data_version,
                        store_error *err)
{
    store_error_clear(err);
    PGresult *res = rows(c, "SELECT newest_run, version FROM data_version", 0, NULL,
                         "reading what changed", err);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    if (n != 1) {
        PQclear(res);
        return store_fail(err, STORE_ESCHEMA, "data_version has %d rows, not 1", n);
    }
    *newest_run = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    *data_version = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    return 0;
}

int store_publish_run(PGconn *c, long long run_id, store_error *err)
{
    store_error_clear(err);
    char id[32];
    snprintf(id, sizeof id, "%lld", run_id);
    const char *params[] = {id};
    char what[64];
    snprintf(what, sizeof what, "publishing run %lld", run_id);
    PGresult *res = rows(c, "SELECT hyoka_publish_run($1)", 1, params, what, err);
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}
