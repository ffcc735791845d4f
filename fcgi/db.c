/* db.c - the per-worker read-only connection: lazy connect, reconnect after failure, LISTEN
 * hyoka_runs and hyoka_data (cache invalidation) on a primary, a poll of data_version on a standby.
 *
 * database.conninfo may name several hosts (libpq: host=a,b port=5432,5433
 * target_session_attrs=prefer-standby): libpq tries them in order, so a worker reads from a hot
 * standby when one answers and from the primary otherwise. A hot standby runs no LISTEN and
 * delivers no NOTIFY, so on a standby (pg_is_in_recovery() when connected) the worker reads
 * data_version every database.standby_poll_ms instead (one indexed one-row SELECT; db_poll_due):
 * a run published or data imported on the primary reaches the cache within that interval plus
 * the standby's replay lag. When the standby goes away the connection breaks; the request that
 * meets it is answered on a new connection (db_lost, the read path's one retry), which libpq makes
 * to the next host that answers.
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
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static PGconn *conn;
static unsigned generation;

/* Where the connection reads from, noted when it is made. */
static struct {
    bool standby;      /* pg_is_in_recovery() */
    char host[128];    /* PQhost: the host of a multi-host conninfo libpq connected to */
    char port[16];
    double next_poll;  /* app_now() when data_version is next read (standby only) */
} where;

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
    PGresult *rec = PQexec(c, "SELECT pg_is_in_recovery()");
    if (PQresultStatus(rec) != PGRES_TUPLES_OK || PQntuples(rec) != 1) {
        store_fail_pq(err, c, rec, "SELECT pg_is_in_recovery()");
        PQclear(rec);
        return -1;
    }
    where.standby = PQgetvalue(rec, 0, 0)[0] == 't';
    PQclear(rec);
    snprintf(where.host, sizeof where.host, "%s", PQhost(c) ? PQhost(c) : "");
    snprintf(where.port, sizeof where.port, "%s", PQport(c) ? PQport(c) : "");
    where.next_poll = app_now() + app.config.standby_poll_ms / 1e3;
    /* Constant statements: nothing from a request goes into them. A standby refuses LISTEN
     * ("cannot execute LISTEN during recovery"): there the worker polls (db_poll_due). */
    static const char *const stmts[] = {
        "SET default_transaction_read_only = on",
        "LISTEN hyoka_runs", /* a run published (store_publish_run, sql/010) */
        "LISTEN hyoka_data", /* an import changed titles, departments or KPIs (store/import.c) */
    };
    size_t nstmts = where.standby ? 1 : sizeof stmts / sizeof stmts[0];
    for (size_t i = 0; i < nstmts; i++) {
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

/* Whether database.conninfo names more than one host (host=a,b or hostaddr=...,...). */
static bool several_hosts(void)
{
    static int known = -1;
    if (known >= 0)
        return known;
    known = 0;
    PQconninfoOption *opts = PQconninfoParse(app.config.conninfo, NULL);
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
        if ((strcmp(o->keyword, "host") == 0 || strcmp(o->keyword, "hostaddr") == 0) &&
            o->val != NULL && strchr(o->val, ',') != NULL)
            known = 1;
    PQconninfoFree(opts);
    return known;
}

PGconn *db_conn(store_error *err)
{
    if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
        return conn;
    if (conn != NULL)
        drop();
    worker_shed_idle(); /* a connect may take up to connect_timeout */
    conn = store_connect(app.config.conninfo, err);
    if (conn == NULL && several_hosts()) {
        /* libpq gives up on the whole host list when a server closes the connection during its
         * startup, as one that is shutting down may, instead of trying the next host (seen in
         * tests/scale: "the database system is shutting down" from the standby, then "server
         * closed the connection unexpectedly" from it again, and the primary never tried). One
         * more pass over the list: by then that server refuses or is gone. */
        log_warn("database: %s; trying the hosts once more", err->message);
        conn = store_connect(app.config.conninfo, err);
    }
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
    log_info("database: connected to %s:%s (%s)", where.host, where.port,
             where.standby ? "a hot standby: new runs are polled for" : "a primary: LISTEN");
    return conn;
}

/* Runs a parameterised query (text parameters, text results), once more on a new connection if
 * the old one broke. Returns a PGRES_TUPLES_OK or PGRES_COMMAND_OK result the caller PQclears, or
 * NULL with err set (details are logged). Only db_where's: the server's reads are the store's. */
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

int db_poll_wait_ms(void)
{
    if (conn == NULL || !where.standby)
        return -1;
    double left = where.next_poll - app_now();
    return left <= 0 ? 0 : (int)(left * 1e3) + 1;
}

bool db_poll_due(void)
{
    if (conn == NULL || !where.standby || app_now() < where.next_poll)
        return false;
    where.next_poll = app_now() + app.config.standby_poll_ms / 1e3;
    long long now_runs, now_data;
    if (read_state(&now_runs, &now_data) < 0) {
        if (PQstatus(conn) != CONNECTION_OK) {
            metrics_db_error();
            log_warn("database: connection to the standby %s:%s lost; the next request "
                     "reconnects", where.host, where.port);
            drop(); /* flushes too */
        }
        return false;
    }
    metrics_standby_poll();
    if (seen.known && now_runs == seen.runs && now_data == seen.data)
        return false;
    if (seen.known && now_runs != seen.runs)
        log_info("new evaluation run %lld on the standby: cache flushed", now_runs);
    else if (seen.known)
        log_info("data imported (version %lld) on the standby: cache flushed", now_data);
    flush_and_look();
    return true;
}

void db_await_replay(PGconn *writer, long long run_id)
{
    if (conn == NULL || !where.standby || PQstatus(conn) != CONNECTION_OK)
        return;
    /* Where the primary's WAL stands after the run's publication committed: the insert
     * position, which includes the commit record. pg_current_wal_lsn() is the write position,
     * which under synchronous_commit = off may still be short of it (tests/scale: the wait
     * ended at once and the standby did not have the run). Constant SQL. */
    PGresult *res = PQexec(writer, "SELECT pg_current_wal_insert_lsn()::text");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        log_warn("POST /evaluations: cannot read the primary's WAL position: %s",
                 PQerrorMessage(writer));
        PQclear(res);
        return;
    }
    char lsn[64];
    snprintf(lsn, sizeof lsn, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    const char *params[] = {lsn};
    double t0 = app_now();
    for (;;) {
        res = PQexecParams(conn, "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true)",
                           1, NULL, params, NULL, NULL, 0);
        bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
        bool replayed = ok && PQgetvalue(res, 0, 0)[0] == 't';
        PQclear(res);
        if (!ok)
            return; /* the standby broke off: the next request reconnects */
        if (replayed) {
            log_debug("run %lld: replayed by the standby %s:%s after %.0f ms", run_id, where.host,
                      where.port, (app_now() - t0) * 1e3);
            return;
        }
        if (app_now() - t0 >= DB_REPLAY_WAIT_S) {
            log_warn("run %lld: the standby %s:%s has not replayed it after %.0f s; answering now "
                     "(it is served once replayed, within database.standby_poll_ms)",
                     run_id, where.host, where.port, DB_REPLAY_WAIT_S);
            return;
        }
        usleep(10 * 1000);
    }
}

int db_where(db_reads *out)
{
    store_error err;
    memset(out, 0, sizeof *out);
    /* Caught up (everything received is replayed): no lag, however long ago the primary last
     * committed; otherwise the age of the last replayed commit. Constant SQL. */
    static const char *const sql =
        "SELECT pg_is_in_recovery(),"
        " CASE WHEN NOT pg_is_in_recovery() THEN 0"
        "      WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0"
        "      ELSE greatest(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)"
        " END";
    PGresult *res = db_query(sql, 0, NULL, &err);
    if (res == NULL)
        return -1;
    out->standby = PQgetvalue(res, 0, 0)[0] == 't';
    out->lag_known = !PQgetisnull(res, 0, 1);
    out->replay_lag_s = out->lag_known ? strtod(PQgetvalue(res, 0, 1), NULL) : 0;
    PQclear(res);
    snprintf(out->host, sizeof out->host, "%s", where.host);
    snprintf(out->port, sizeof out->port, "%s", where.port);
    out->newest_run = seen.known ? seen.runs : -1;
    return 0;
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
