/* db.c - the per-worker read-only connection: lazy connect, reconnect after failure, LISTEN
 * hyoka_runs and hyoka_data (cache invalidation).
 *
 * A notification is a hint, not an order: any role that may connect can NOTIFY these channels
 * (every 2 s from hyoka_web once cut throughput by 86 % when each flushed every worker's cache).
 * On one, a worker reads what its cache depends on, the newest published run and the import
 * counter (data_version, sql/009 and sql/010), and flushes only if either moved since it last looked. */
#include "db.h"

#include "app.h"
#include "cache.h"
#include "log.h"
#include "metrics.h"
#include "read.h"
#include "worker.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static PGconn *conn;
static unsigned generation;

/* What the cache was filled from: read after each flush, before anything is loaded again. */
static struct {
    bool known;
    long long runs, data; /* newest published run id, data_version */
} seen;

/* The newest run published through this server (POST /api/v1/evaluations), in memory the master
 * maps before it forks, so that every worker sees it. A notification tells a worker of a new run
 * only when it reaches the worker's socket, which may be after the client that got the POST's 201
 * has asked another worker for the summary; this counter makes the API's own writes readable at
 * once (one atomic load per request). Runs stored by the CLI arrive by notification. */
static _Atomic long long *shared_newest_run;

int db_share_init(void)
{
    void *p = mmap(NULL, sizeof *shared_newest_run, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    shared_newest_run = p;
    atomic_init(shared_newest_run, 0);
    return 0;
}

void db_run_published(long long id)
{
    if (shared_newest_run == NULL)
        return;
    long long cur = atomic_load(shared_newest_run);
    while (cur < id && !atomic_compare_exchange_weak(shared_newest_run, &cur, id)) {
    }
}

static void flush_and_look(void);

void db_sync_runs(void)
{
    /* `acted`: one flush per published run, even if this worker's database does not show it
     * (a database restored under a running server must not cost every request its cache). */
    static long long acted;
    if (shared_newest_run == NULL || !seen.known)
        return;
    long long newest = atomic_load_explicit(shared_newest_run, memory_order_acquire);
    if (newest > seen.runs && newest > acted) {
        acted = newest;
        log_info("run %lld published through another worker: cache flushed", newest);
        flush_and_look();
    }
}

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
        "LISTEN hyoka_runs", /* a run published (store_publish_run, sql/010) */
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

/* Reads the newest published run and the data version into *runs and *data. Returns 0, or -1
 * when the query failed (a lost connection, a database without sql/010): then nothing can be
 * told apart. */
static int read_state(long long *runs, long long *data)
{
    store_error err;
    if (store_read_versions(conn, runs, data, &err) < 0) {
        log_warn("database: cannot read what changed: %s", err.message);
        return -1;
    }
    return 0;
}

/* Flushes the cache and notes the state it will be filled from. */
static void flush_and_look(void)
{
    cache_flush();
    seen.known = read_state(&seen.runs, &seen.data) == 0;
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

/* Runs a parameterised query (text parameters, text results), once more on a new connection if
 * the old one broke. Returns a PGRES_TUPLES_OK or PGRES_COMMAND_OK result the caller PQclears, or
 * NULL with err set (details are logged). Only db_ping's: the server's reads are the store's. */
static PGresult *db_query(const char *sql, int nparams, const char *const *params,
                          store_error *err)
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

bool db_lost(PGconn *c, const store_error *err)
{
    if (c == conn && conn != NULL && PQstatus(conn) == CONNECTION_OK) {
        log_error("database: %s", err->message);
        return false;
    }
    metrics_db_error();
    log_warn("database: connection lost (%s); reconnecting", err->message);
    if (c == conn)
        drop();
    return true;
}

int db_socket(void)
{
    return conn != NULL ? PQsocket(conn) : -1;
}

/* Acts on the notifications libpq has read and holds (db_poll, db_poll_queued). */
static bool take_notifications(void)
{
    PGnotify *n;
    bool runs = false, data = false;
    while ((n = PQnotifies(conn)) != NULL) {
        runs |= strcmp(n->relname, "hyoka_runs") == 0;
        data |= strcmp(n->relname, "hyoka_data") == 0;
        PQfreemem(n);
    }
    if (!runs && !data)
        return false;
    long long now_runs, now_data;
    bool read = seen.known && read_state(&now_runs, &now_data) == 0;
    if (read && now_runs == seen.runs && now_data == seen.data) {
        /* Debug only: a flood of notifications must not fill the log either. */
        log_debug("a notification on hyoka_%s, but no new run or import: cache kept",
                  runs ? "runs" : "data");
        return false;
    }
    if (read && now_runs != seen.runs)
        log_info("new evaluation run %lld: cache flushed", now_runs);
    else if (read)
        log_info("data imported (version %lld): cache flushed", now_data);
    else
        log_info("a notification on hyoka_%s: cache flushed", runs ? "runs" : "data");
    flush_and_look();
    return true;
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
    return take_notifications();
}

bool db_poll_queued(void)
{
    return conn != NULL && take_notifications();
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
