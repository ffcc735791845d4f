/* db.c - the per-worker read-only connection: lazy connect, reconnect after failure, LISTEN
 * hyoka_runs and hyoka_data (cache invalidation).
 *
 * A notification is a hint, not an order: any role that may connect can NOTIFY these channels
 * (every 2 s from hyoka_web once cut throughput by 86 % when each flushed every worker's cache).
 * On one, a worker reads what its cache depends on, the newest run id and the import counter
 * data_version (sql/009), and flushes only if either moved since it last looked. */
#include "db.h"

#include "app.h"
#include "cache.h"
#include "log.h"
#include "metrics.h"
#include "worker.h"

#include <stdio.h>
#include <string.h>

static PGconn *conn;
static unsigned generation;

/* What the cache was filled from: read after each flush, before anything is loaded again. */
static struct {
    bool known;
    char runs[32], data[32]; /* newest run id, data_version as text */
} seen;

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
    seen.known = false;
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

/* Reads the newest run id and the data version into *out. Returns 0, or -1 when the query
 * failed (a database without sql/009, a lost connection): then nothing can be told apart. */
static int read_state(char *runs, size_t nruns, char *data, size_t ndata)
{
    /* A constant statement: an index lookup and a one-row table. */
    static const char sql[] = "SELECT (SELECT max(id) FROM evaluation_runs),"
                              " (SELECT version FROM data_version)";
    PGresult *res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    if (ok) {
        snprintf(runs, nruns, "%s", PQgetvalue(res, 0, 0));
        snprintf(data, ndata, "%s", PQgetvalue(res, 0, 1));
    } else {
        log_warn("database: cannot read what changed: %s", PQerrorMessage(conn));
    }
    PQclear(res);
    return ok ? 0 : -1;
}

/* Flushes the cache and notes the state it will be filled from. */
static void flush_and_look(void)
{
    cache_flush();
    seen.known = read_state(seen.runs, sizeof seen.runs, seen.data, sizeof seen.data) == 0;
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
    flush_and_look();
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
    bool runs = false, data = false;
    while ((n = PQnotifies(conn)) != NULL) {
        runs |= strcmp(n->relname, "hyoka_runs") == 0;
        data |= strcmp(n->relname, "hyoka_data") == 0;
        PQfreemem(n);
    }
    if (!runs && !data)
        return false;
    char now_runs[sizeof seen.runs], now_data[sizeof seen.data];
    bool read = seen.known && read_state(now_runs, sizeof now_runs, now_data, sizeof now_data) == 0;
    if (read && strcmp(now_runs, seen.runs) == 0 && strcmp(now_data, seen.data) == 0) {
        /* Debug only: a flood of notifications must not fill the log either. */
        log_debug("a notification on hyoka_%s, but no new run or import: cache kept",
                  runs ? "runs" : "data");
        return false;
    }
    if (read && strcmp(now_runs, seen.runs) != 0)
        log_info("new evaluation run %s: cache flushed", now_runs);
    else if (read)
        log_info("data imported (version %s): cache flushed", now_data);
    else
        log_info("a notification on hyoka_%s: cache flushed", runs ? "runs" : "data");
    flush_and_look();
    return true;
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
