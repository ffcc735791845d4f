/* db.c - the per-worker read-only connection: lazy connect, reconnect after failure, LISTEN
 * hyoka_runs and hyoka_data (cache invalidation). */
#include "db.h"

#include "app.h"
#include "cache.h"
#include "log.h"
#include "metrics.h"
#include "worker.h"

#include <string.h>

static PGconn *conn;
static unsigned generation;

unsigned db_generation(void)
{
    return generation;
}


static void drop(void)
{
    if (conn != NULL)
        PQfinish(conn);
    conn = NULL;
    generation++;
    /* Notifications may have been missed while disconnected: nothing cached can be trusted. */
    cache_flush();
}

static int setup(PGconn *c, store_error *err)
{
    /* Constant statements: nothing from a request goes into them. */
    static const char *const stmts[] = {
        "SET default_transaction_read_only = on",
        "LISTEN hyoka_runs", /* a new evaluation run (store/evaluate.c, a trigger) */
        "LISTEN hyoka_data", /* an import changed titles, departments or KPIs (store/import.c) */
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        PGresult *res = PQexec(c, stmts[i]);
        int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            store_fail_pq(err, c, res, stmts[i]);
        PQclear(res);
        if (!ok)
            return -1;
    }
    return 0;
}

PGconn *db_conn(store_error *err)
{
    if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
        return conn;
    if (conn != NULL)
        drop();
    worker_shed_idle(); /* a connect may take up to connect_timeout */
    conn = store_connect(app.config.conninfo, err);
    if (conn == NULL) {
        metrics_db_error();
        log_warn("database: %s", err->message);
        return NULL;
    }
    if (setup(conn, err) < 0) {
        metrics_db_error();
        log_warn("database: %s", err->message);
        drop();
        return NULL;
    }
    generation++;
    cache_flush();
    log_info("database: connected");
    return conn;
}

PGresult *db_query(const char *sql, int nparams, const char *const *params, store_error *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        PGconn *c = db_conn(err);
        if (c == NULL)
            return NULL;
        PGresult *res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
            return res;
        store_fail_pq(err, c, res, "query");
        PQclear(res);
        metrics_db_error();
        if (PQstatus(c) == CONNECTION_OK) {
            /* The connection is fine: the query itself failed (a schema that does not match). */
            log_error("database: %s", err->message);
            err->status = STORE_ESCHEMA;
            return NULL;
        }
        log_warn("database: connection lost (%s); reconnecting", err->message);
        drop();
    }
    return NULL;
}

int db_socket(void)
{
    return conn != NULL ? PQsocket(conn) : -1;
}

bool db_poll(void)
{
    if (conn == NULL)
        return false;
    if (PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK) {
        log_warn("database: connection lost: %s", PQerrorMessage(conn));
        drop(); /* flushes too; the next request reconnects */
        return false;
    }
    PGnotify *n;
    bool flushed = false;
    while ((n = PQnotifies(conn)) != NULL) {
        if (!flushed && strcmp(n->relname, "hyoka_runs") == 0) {
            log_info("new evaluation run %s: cache flushed", n->extra);
            cache_flush();
            flushed = true;
        } else if (!flushed && strcmp(n->relname, "hyoka_data") == 0) {
            log_info("data imported: cache flushed");
            cache_flush();
            flushed = true;
        }
        PQfreemem(n);
    }
    return flushed;
}

bool db_ping(void)
{
    store_error err;
    PGresult *res = db_query("SELECT 1", 0, NULL, &err);
    PQclear(res);
    return res != NULL;
}

void db_close(void)
{
    if (conn != NULL)
        PQfinish(conn);
    conn = NULL;
    generation++;
}

void db_reply_error(hy_req *r, const store_error *err)
{
    switch (err->status) {
    case STORE_ENOTFOUND:
        http_problem(r, 404, NULL, "%s", err->message);
        break;
    case STORE_EUSER:
        http_problem(r, 400, NULL, "%s", err->message);
        break;
    case STORE_OK:
    case STORE_EDB:
    case STORE_ESCHEMA:
    default:
        log_warn("503 for %s: %s", r->path, err->message);
        http_problem(r, 503, NULL, "the database is unavailable; try again shortly");
        break;
    }
}
