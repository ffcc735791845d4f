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
 * Reads come back to the host the conninfo prefers once it answers again: a worker whose
 * connection reached a host that a fresh connection would not choose first (the primary under
 * target_session_attrs=prefer-standby; a host after the first otherwise) starts a connection to
 * the better hosts every database.preferred_retry_ms, without waiting for it (PQconnectStart,
 * polled between requests, db_poll_due), and moves to it only when that server has replayed at
 * least what the old connection can see (its WAL position now: every answer this worker gave was
 * read at or before it) and shows the same or a newer run and data_version. The old connection
 * is closed after the new one is ready; no request meets a switch halfway, and none is answered
 * from older data than one before it.
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

#include "xalloc.h"

#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The connection to a preferred host is given up when it is not made within this, or when that
 * server has not replayed what the worker can see within DB_REPLAY_WAIT_S after it was made. */
#define RETRY_CONNECT_S 5.0
#define RETRY_TICK_MS 10 /* how often a pending one is looked at (the worker's epoll timeout) */
#define MAX_HOSTS 16     /* entries of database.conninfo's host list this file tells apart */

static PGconn *conn;
static unsigned generation;

/* Where a connection reads from, noted when it is made. */
typedef struct place {
    bool standby;      /* pg_is_in_recovery() */
    char host[128];    /* PQhost: the host of a multi-host conninfo libpq connected to */
    char port[16];
    int index;         /* its place in database.conninfo's host list; -1 unknown or one host */
    double next_poll;  /* app_now() when data_version is next read (standby only) */
} place;
static place where;

/* database.conninfo's host list, parsed once (a reload forks new workers). */
static struct {
    bool parsed;
    int n;                   /* hosts named; 0 or 1: nothing to prefer */
    char *host[MAX_HOSTS];   /* "" where the list names none (hostaddr only) */
    char *addr[MAX_HOSTS];   /* hostaddr entries, "" where none */
    char *port[MAX_HOSTS];   /* "" where none */
    bool has_host, has_addr; /* the conninfo gives host=, hostaddr= */
    int nports;              /* entries of port=: 0, 1 (every host) or n */
    bool prefer_standby;     /* target_session_attrs=prefer-standby */
} hosts;

/* Going back to a preferred host (file comment). */
static struct {
    PGconn *c;                         /* the connection being made, or NULL */
    PostgresPollingStatusType polling; /* what PQconnectPoll last waited for */
    bool made;                         /* connected, set up, and better: waiting for its replay */
    place to;                          /* where it reads from, once made */
    double give_up;                    /* app_now() after which it is abandoned */
    double next_try;                   /* app_now() of the next attempt; 0: none (preferred) */
} retry;

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
static bool standby_poll(void);

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


/* Abandons the connection to a preferred host being made, if any. */
static void retry_abandon(void)
{
    if (retry.c != NULL)
        PQfinish(retry.c);
    retry.c = NULL;
    retry.made = false;
}

static void drop(void)
{
    if (conn != NULL)
        PQfinish(conn);
    conn = NULL;
    retry_abandon();
    retry.next_try = 0;
    generation++;
    seen.known = false;
    /* Notifications may have been missed while disconnected: nothing cached can be trusted. */
    cache_flush();
}

/* Where c reads from (index: in database.conninfo's host list). */
static int host_index(PGconn *c);

/* Notes where c reads from in *at and prepares its session: read-only, and LISTEN on a primary.
 * Returns 0, or -1 with err set. */
static int setup(PGconn *c, place *at, store_error *err)
{
    PGresult *rec = PQexec(c, "SELECT pg_is_in_recovery()");
    if (PQresultStatus(rec) != PGRES_TUPLES_OK || PQntuples(rec) != 1) {
        store_fail_pq(err, c, rec, "SELECT pg_is_in_recovery()");
        PQclear(rec);
        return -1;
    }
    memset(at, 0, sizeof *at);
    at->standby = PQgetvalue(rec, 0, 0)[0] == 't';
    PQclear(rec);
    snprintf(at->host, sizeof at->host, "%s", PQhost(c) ? PQhost(c) : "");
    snprintf(at->port, sizeof at->port, "%s", PQport(c) ? PQport(c) : "");
    at->index = host_index(c);
    at->next_poll = app_now() + app.config.standby_poll_ms / 1e3;
    /* Constant statements: nothing from a request goes into them. A standby refuses LISTEN
     * ("cannot execute LISTEN during recovery"): there the worker polls (db_poll_due). */
    static const char *const stmts[] = {
        "SET default_transaction_read_only = on",
        "LISTEN hyoka_runs", /* a run published (store_publish_run, sql/010) */
        "LISTEN hyoka_data", /* an import changed titles, departments or KPIs (store/import.c) */
    };
    size_t nstmts = at->standby ? 1 : sizeof stmts / sizeof stmts[0];
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
static int read_state_of(PGconn *c, long long *runs, long long *data)
{
    store_error err;
    if (store_read_versions(c, runs, data, &err) < 0) {
        log_warn("database: cannot read what changed: %s", err.message);
        return -1;
    }
    return 0;
}

static int read_state(long long *runs, long long *data)
{
    return read_state_of(conn, runs, data);
}

/* Flushes the cache and notes the state it will be filled from. */
static void flush_and_look(void)
{
    cache_flush();
    seen.known = read_state(&seen.runs, &seen.data) == 0;
}

/* Splits a comma-separated libpq list into at most MAX_HOSTS xstrdup'ed entries; the count. */
static int split_list(const char *list, char **out)
{
    int n = 0;
    const char *p = list;
    while (n < MAX_HOSTS) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        out[n] = xmalloc(len + 1);
        memcpy(out[n], p, len);
        out[n++][len] = '\0';
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return n;
}

/* Parses database.conninfo's host list into `hosts` (once). */
static void parse_hosts(void)
{
    if (hosts.parsed)
        return;
    hosts.parsed = true;
    PQconninfoOption *opts = PQconninfoParse(app.config.conninfo, NULL);
    char *list[MAX_HOSTS];
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (o->val == NULL || o->val[0] == '\0')
            continue;
        if (strcmp(o->keyword, "host") == 0) {
            hosts.has_host = true;
            int k = split_list(o->val, hosts.host);
            hosts.n = k > hosts.n ? k : hosts.n;
        } else if (strcmp(o->keyword, "hostaddr") == 0) {
            hosts.has_addr = true;
            int k = split_list(o->val, hosts.addr);
            hosts.n = k > hosts.n ? k : hosts.n;
        } else if (strcmp(o->keyword, "port") == 0) {
            hosts.nports = split_list(o->val, list);
            for (int i = 0; i < hosts.nports; i++)
                hosts.port[i] = list[i];
        } else if (strcmp(o->keyword, "target_session_attrs") == 0) {
            hosts.prefer_standby = strcmp(o->val, "prefer-standby") == 0;
        }
    }
    PQconninfoFree(opts);
    for (int i = 0; i < MAX_HOSTS; i++) {
        if (hosts.host[i] == NULL)
            hosts.host[i] = xstrdup("");
        if (hosts.addr[i] == NULL)
            hosts.addr[i] = xstrdup("");
        if (hosts.port[i] == NULL)
            hosts.port[i] = xstrdup("");
    }
}

/* Whether database.conninfo names more than one host (host=a,b or hostaddr=...,...). */
static bool several_hosts(void)
{
    parse_hosts();
    return hosts.n > 1;
}

static int host_index(PGconn *c)
{
    if (!several_hosts())
        return -1;
    const char *h = PQhost(c) != NULL ? PQhost(c) : "";
    const char *p = PQport(c) != NULL ? PQport(c) : "";
    for (int i = 0; i < hosts.n; i++) {
        /* PQhost is the host name, or the hostaddr where the list gives no name */
        const char *name = hosts.host[i][0] != '\0' ? hosts.host[i] : hosts.addr[i];
        const char *port = hosts.nports > 1 ? hosts.port[i] : hosts.nports == 1 ? hosts.port[0] : "";
        if (strcmp(name, h) == 0 && (port[0] == '\0' || strcmp(port, p) == 0))
            return i;
    }
    return -1;
}

/* Whether a fresh connection would prefer another host to where `at` reads from: under
 * prefer-standby any standby to a primary; otherwise a host before it in the list. */
static bool better_exists(const place *at)
{
    if (!several_hosts())
        return false;
    if (hosts.prefer_standby)
        return !at->standby;
    return at->index > 0;
}

/* Whether `to` is what better_exists(`from`) looks for. */
static bool is_better(const place *to, const place *from)
{
    if (hosts.prefer_standby)
        return to->standby && !from->standby;
    return to->index >= 0 && to->index < from->index;
}

/* Joins the first k entries of list with commas into buf (size n); false if it does not fit. */
static bool join_first(char *const *list, int k, char *buf, size_t n)
{
    size_t len = 0;
    for (int i = 0; i < k; i++) {
        int w = snprintf(buf + len, n - len, "%s%s", i > 0 ? "," : "", list[i]);
        if (w < 0 || (size_t)w >= n - len)
            return false;
        len += (size_t)w;
    }
    return true;
}

/* Starts a connection to the hosts better_exists(&where) looks for: under prefer-standby the
 * whole list with target_session_attrs=standby, otherwise the hosts before where.index. NULL if
 * it cannot be started. */
static PGconn *retry_start(void)
{
    static char hbuf[2048], abuf[2048], pbuf[512];
    const char *keys[4], *values[4];
    int n = 0;
    if (hosts.prefer_standby) {
        keys[n] = "target_session_attrs";
        values[n++] = "standby";
    } else {
        int k = where.index;
        if (hosts.has_host) {
            if (!join_first(hosts.host, k, hbuf, sizeof hbuf))
                return NULL;
            keys[n] = "host";
            values[n++] = hbuf;
        }
        if (hosts.has_addr) {
            if (!join_first(hosts.addr, k, abuf, sizeof abuf))
                return NULL;
            keys[n] = "hostaddr";
            values[n++] = abuf;
        }
        if (hosts.nports > 1) {
            if (!join_first(hosts.port, k, pbuf, sizeof pbuf))
                return NULL;
            keys[n] = "port";
            values[n++] = pbuf;
        }
    }
    return store_connect_start(app.config.conninfo, keys, values, n);
}

/* Drives the pending connection without blocking: true once it is made (PGRES_POLLING_OK). A
 * failed one, or one that took longer than RETRY_CONNECT_S, is abandoned. */
static bool retry_connected(void)
{
    for (;;) {
        if (retry.polling == PGRES_POLLING_READING || retry.polling == PGRES_POLLING_WRITING) {
            struct pollfd p = {PQsocket(retry.c),
                               retry.polling == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
            if (p.fd < 0 || poll(&p, 1, 0) == 0) {
                if (p.fd >= 0 && app_now() < retry.give_up)
                    return false; /* not yet: looked at again in RETRY_TICK_MS */
                log_debug("database: no connection to a preferred host within %.0f s",
                          RETRY_CONNECT_S);
                retry_abandon();
                return false;
            }
        }
        retry.polling = PQconnectPoll(retry.c);
        if (retry.polling == PGRES_POLLING_OK)
            return true;
        if (retry.polling == PGRES_POLLING_FAILED) {
            /* The usual answer while the preferred host is down: debug only. */
            char msg[256];
            snprintf(msg, sizeof msg, "%s", PQerrorMessage(retry.c));
            msg[strcspn(msg, "\n")] = '\0';
            log_debug("database: a preferred host does not answer yet: %s", msg);
            retry_abandon();
            return false;
        }
    }
}

/* Whether the preferred connection has replayed what the worker's connection can see now and
 * shows the run and data_version the cache is from or newer: 1 yes, 0 not yet, -1 no way to tell
 * (a query failed). Constant SQL, and the one parameter is a position read from the server. */
static int retry_caught_up(long long *runs, long long *data)
{
    PGresult *res = PQexec(conn, "SELECT coalesce((CASE WHEN pg_is_in_recovery() THEN "
                                 "pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() "
                                 "END)::text, '0/0')");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        PQclear(res);
        return -1;
    }
    char lsn[64];
    snprintf(lsn, sizeof lsn, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    const char *params[] = {lsn};
    res = PQexecParams(retry.c,
                       "SELECT coalesce((CASE WHEN pg_is_in_recovery() THEN "
                       "pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END) "
                       ">= $1::pg_lsn, false)",
                       1, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    bool replayed = ok && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!ok || read_state_of(retry.c, runs, data) < 0)
        return -1;
    if (!replayed)
        return 0;
    return !seen.known || (*runs >= seen.runs && *data >= seen.data) ? 1 : 0;
}

/* Between requests: a step towards the preferred host (file comment). Returns true if the
 * worker moved to it and flushed its cache (a newer run or import there). */
static bool retry_step(void)
{
    if (conn == NULL || retry.next_try == 0)
        return false;
    double now = app_now();
    if (retry.c == NULL) {
        if (now < retry.next_try)
            return false;
        retry.next_try = now + app.config.preferred_retry_ms / 1e3;
        retry.c = retry_start();
        if (retry.c == NULL)
            return false;
        retry.polling = PGRES_POLLING_WRITING;
        retry.made = false;
        retry.give_up = now + RETRY_CONNECT_S;
    }
    if (!retry.made) {
        if (!retry_connected())
            return false;
        store_error err;
        if (store_connect_finish(retry.c, &err) < 0 || setup(retry.c, &retry.to, &err) < 0) {
            log_warn("database: the preferred host %s:%s: %s", PQhost(retry.c), PQport(retry.c),
                     err.message);
            retry_abandon();
            return false;
        }
        if (!is_better(&retry.to, &where)) {
            log_debug("database: %s:%s is no better than %s:%s", retry.to.host, retry.to.port,
                      where.host, where.port);
            retry_abandon();
            return false;
        }
        retry.made = true;
        retry.give_up = app_now() + DB_REPLAY_WAIT_S;
    }
    long long runs, data;
    int caught_up = retry_caught_up(&runs, &data);
    if (caught_up < 0 || (caught_up == 0 && app_now() >= retry.give_up)) {
        log_info("database: %s:%s %s; reads stay on %s:%s", retry.to.host, retry.to.port,
                 caught_up < 0 ? "could not be compared with the current connection"
                               : "has not replayed what this worker has served",
                 where.host, where.port);
        retry_abandon();
        return false;
    }
    if (caught_up == 0)
        return false;
    /* The switch: the new connection is ready, the old one goes. */
    PGconn *old = conn;
    place from = where;
    conn = retry.c;
    where = retry.to;
    retry.c = NULL;
    retry.made = false;
    PQfinish(old);
    generation++;
    metrics_reads_returned();
    retry.next_try = better_exists(&where) ? app_now() + app.config.preferred_retry_ms / 1e3 : 0;
    log_info("database: reads back on %s:%s (%s), from %s:%s", where.host, where.port,
             where.standby ? "a hot standby" : "a primary", from.host, from.port);
    if (seen.known && runs == seen.runs && data == seen.data)
        return false; /* the same run and data: the cache stays */
    flush_and_look();
    return true;
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
    if (setup(conn, &where, err) < 0) {
        metrics_db_error();
        log_warn("database: %s", err->message);
        drop();
        return NULL;
    }
    generation++;
    flush_and_look();
    log_info("database: connected to %s:%s (%s)", where.host, where.port,
             where.standby ? "a hot standby: new runs are polled for" : "a primary: LISTEN");
    if (better_exists(&where)) {
        retry.next_try = app_now() + app.config.preferred_retry_ms / 1e3;
        log_info("database: %s:%s is not the host database.conninfo prefers: trying that one "
                 "again every %d ms", where.host, where.port, app.config.preferred_retry_ms);
    }
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

/* Milliseconds until `at` (app_now() time), at least 0. */
static int ms_until(double at)
{
    double left = at - app_now();
    return left <= 0 ? 0 : (int)(left * 1e3) + 1;
}

int db_poll_wait_ms(void)
{
    if (conn == NULL)
        return -1;
    int wait = where.standby ? ms_until(where.next_poll) : -1;
    int retry_wait = retry.c != NULL ? RETRY_TICK_MS
                     : retry.next_try > 0 ? ms_until(retry.next_try)
                                          : -1;
    if (retry_wait >= 0 && (wait < 0 || retry_wait < wait))
        wait = retry_wait;
    return wait;
}

bool db_poll_due(void)
{
    bool moved = retry_step();
    return standby_poll() || moved;
}

/* db_poll_due's look at data_version on a standby. */
static bool standby_poll(void)
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
    out->preferred = !better_exists(&where);
    return 0;
}

void db_close(void)
{
    if (conn != NULL)
        PQfinish(conn);
    conn = NULL;
    retry_abandon();
    retry.next_try = 0;
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
