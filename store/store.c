/* store.c - connecting to PostgreSQL, checking the schema version, and store_error helpers. */
#include "datadir.h"
#include "i18n.h"
#include "store.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *application_name = "hyoka";
static int lock_wait = STORE_LOCK_WAIT_DEFAULT;
static FILE *lock_progress;

/* A waiting writer says who holds the lock at most this often (seconds). */
#define LOCK_REPORT_EVERY 10

void store_set_application_name(const char *name)
{
    application_name = name != NULL && name[0] != '\0' ? name : "hyoka";
}

void store_set_lock_wait(int seconds, FILE *progress)
{
    lock_wait = seconds < 0 ? 0 : seconds;
    lock_progress = progress;
}

int store_fail(store_error *err, store_status status, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, _(fmt), ap);
    va_end(ap);
    err->status = status;
    return -1;
}

/* libpq's messages end with a newline and may span lines; keep them on one line. */
static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    for (char *p = s; *p != '\0'; p++)
        if (*p == '\n')
            *p = ' ';
}

int store_fail_pq(store_error *err, PGconn *c, const PGresult *res, const char *what)
{
    const char *msg = NULL;
    if (res != NULL) {
        msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        if (msg == NULL && PQresultErrorMessage(res)[0] != '\0')
            msg = PQresultErrorMessage(res);
    }
    if (msg == NULL)
        msg = c != NULL ? PQerrorMessage(c) : "no connection";
    store_fail(err, STORE_EDB, "%s: %s", _(what), msg); /* what: a store_fail_pq keyword */
    if (err != NULL)
        chomp(err->message);
    return -1;
}

void store_error_clear(store_error *err)
{
    if (err == NULL)
        return;
    err->status = STORE_OK;
    err->message[0] = '\0';
}

int store_exit_code(store_status status)
{
    switch (status) {
    case STORE_OK:
        return 0;
    case STORE_EUSER:
    case STORE_ENOTFOUND:
        return 1;
    case STORE_EDB:
    case STORE_ESCHEMA:
        break;
    }
    return 2;
}

/* The server's side of a session whose client is gone. A client that was killed has its socket
 * closed by its kernel: an idle session reads the EOF at once, but one running a statement only
 * notices when it next reads, unless client_connection_check_interval polls the socket meanwhile
 * (PostgreSQL 14+, Linux). A client whose host or network vanished sends nothing at all: only
 * TCP keepalives (idle session) and tcp_user_timeout (data unacknowledged) end such a session,
 * after about a minute instead of the kernel's two hours or fifteen minutes. All of them are
 * ordinary per-session settings; they change only what the server's own configuration leaves at
 * 0 (the operating system's default, or off), and are ignored on a Unix socket, where the peer's
 * death is always seen. Constant SQL: nothing from outside goes into it. */
static int notice_vanished_client(PGconn *c, store_error *err)
{
    PGresult *r = PQexecParams(
        c,
        "SELECT set_config(s.name, v.setting, false) FROM (VALUES "
        "('tcp_keepalives_idle', '30'), ('tcp_keepalives_interval', '10'), "
        "('tcp_keepalives_count', '3'), ('tcp_user_timeout', '60000'), "
        "('client_connection_check_interval', '10000')) v(name, setting) "
        "JOIN pg_settings s ON s.name = v.name WHERE s.setting = '0'",
        0, NULL, NULL, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc < 0)
        store_fail_pq(err, c, r, "setting the session's keepalives");
    PQclear(r);
    return rc;
}

#define MAX_PARAMS 16

/* The keywords and values of every connection hyoka makes, with `nextra` more after the conninfo
 * (libpq: a later non-empty value wins); the arrays end with NULL. */
static void connect_params(const char *conninfo, const char *const *extra_keys,
                           const char *const *extra_values, int nextra, const char **keys,
                           const char **values)
{
    /* Later entries override earlier ones, and the expanded conninfo (dbname) comes after our
     * defaults, so whatever the user's conninfo says wins over them; a keyword given here would
     * beat the PG* environment, so connect_timeout is only added when $PGCONNECT_TIMEOUT is unset. */
    int n = 0;
    const char *env_timeout = getenv("PGCONNECT_TIMEOUT");
    if (env_timeout == NULL || env_timeout[0] == '\0') {
        keys[n] = "connect_timeout";
        values[n++] = STORE_CONNECT_TIMEOUT;
    }
    keys[n] = "fallback_application_name";
    values[n++] = application_name;
    keys[n] = "client_encoding";
    values[n++] = "UTF8";
    /* The client notices a server that vanished (no FIN: a cut network, a host gone) after
     * 30 + 3 * 10 s of silence, not the kernel's two hours. */
    keys[n] = "keepalives_idle";
    values[n++] = "30";
    keys[n] = "keepalives_interval";
    values[n++] = "10";
    keys[n] = "keepalives_count";
    values[n++] = "3";
    keys[n] = "dbname";
    values[n++] = conninfo != NULL ? conninfo : "";
    for (int i = 0; i < nextra && n < MAX_PARAMS; i++) {
        keys[n] = extra_keys[i];
        values[n++] = extra_values[i];
    }
    keys[n] = NULL;
    values[n] = NULL;
}

/* The session settings of every connection: keepalives, the time zone. */
static int session_setup(PGconn *c, store_error *err)
{
    if (notice_vanished_client(c, err) < 0)
        return -1;
    const char *pgtz = getenv("PGTZ");
    if ((pgtz == NULL || pgtz[0] == '\0') && store_set_time_zone(c, STORE_TIME_ZONE, err) < 0)
        return -1;
    return 0;
}

PGconn *store_connect_raw(const char *conninfo, store_error *err)
{
    const char *keys[MAX_PARAMS + 1], *values[MAX_PARAMS + 1];
    connect_params(conninfo, NULL, NULL, 0, keys, values);
    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (c == NULL) {
        store_fail(err, STORE_EDB, "cannot connect to the database: out of memory");
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        store_fail(err, STORE_EDB, "cannot connect to the database: %s", PQerrorMessage(c));
        if (err != NULL)
            chomp(err->message);
        PQfinish(c);
        return NULL;
    }
    if (session_setup(c, err) < 0) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

PGconn *store_connect_start(const char *conninfo, const char *const *extra_keys,
                            const char *const *extra_values, int nextra)
{
    const char *keys[MAX_PARAMS + 1], *values[MAX_PARAMS + 1];
    connect_params(conninfo, extra_keys, extra_values, nextra, keys, values);
    PGconn *c = PQconnectStartParams(keys, values, 1);
    if (c != NULL && PQstatus(c) == CONNECTION_BAD) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

int store_set_time_zone(PGconn *c, const char *zone, store_error *err)
{
    const char *params[1] = {zone};
    PGresult *r = PQexecParams(c, "SELECT set_config('TimeZone', $1, false)", 1, NULL, params,
                               NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc < 0)
        store_fail_pq(err, c, r, "setting the session time zone");
    PQclear(r);
    return rc;
}

PGresult *store_query(PGconn *c, const char *sql, int nparams, const char *const *params,
                      ExecStatusType want, const char *what, store_error *err)
{
    PGresult *res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != want) {
        store_fail_pq(err, c, res, what);
        PQclear(res);
        return NULL;
    }
    return res;
}

PGresult *store_select(PGconn *c, const char *sql, int nparams, const char *const *params,
                       const char *what, store_error *err)
{
    return store_query(c, sql, nparams, params, PGRES_TUPLES_OK, what, err);
}

/* Which statements store_select_prepared has prepared, per connection: the PGconn and its
 * server process, since a PGconn freed and another allocated at the same address, or one
 * PQreset, is a new session with none. Per thread (a connection belongs to one thread: libpq), a
 * few connections each (the CLI's evaluation opens a second one; more are forgotten, least
 * recently used first). Forgetting costs one PREPARE that fails as a duplicate (42P05, then it is
 * known); a wrong "prepared" (a session reset behind our back) costs the EXECUTE that fails with
 * 26000, which prepares it again: both stay as fallbacks, neither is the way it is learnt. */
#define PREPARED_CONNS 4
#define PREPARED_NAMES 32
typedef struct prepared_set {
    const PGconn *conn; /* NULL: a free slot */
    int pid;            /* PQbackendPID */
    unsigned long used; /* prepared_clock at the last use: the least recent is reused first */
    int n;
    const char *names[PREPARED_NAMES]; /* the callers' literals */
} prepared_set;
static _Thread_local prepared_set prepared[PREPARED_CONNS];
static _Thread_local unsigned long prepared_clock;

static prepared_set *prepared_of(const PGconn *c)
{
    int pid = PQbackendPID(c);
    prepared_set *lru = &prepared[0];
    for (int i = 0; i < PREPARED_CONNS; i++) {
        prepared_set *p = &prepared[i];
        if (p->conn == c && p->pid == pid) {
            p->used = ++prepared_clock;
            return p;
        }
        if (p->used < lru->used)
            lru = p;
    }
    memset(lru, 0, sizeof *lru);
    lru->conn = c;
    lru->pid = pid;
    lru->used = ++prepared_clock;
    return lru;
}

static bool prepared_has(const prepared_set *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->names[i], name) == 0)
            return true;
    return false;
}

static void prepared_add(prepared_set *p, const char *name)
{
    if (!prepared_has(p, name) && p->n < PREPARED_NAMES)
        p->names[p->n++] = name;
}

static void prepared_forget(prepared_set *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->names[i], name) == 0) {
            p->names[i] = p->names[--p->n];
            return;
        }
}

/* PREPAREs `name` on c: 0 (also when the session already has it: 42P05), or -1 with err set. */
static int prepare(PGconn *c, const char *name, const char *sql, int nparams, const char *what,
                   store_error *err)
{
    PGresult *res = PQprepare(c, name, sql, nparams, NULL);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (PQresultStatus(res) != PGRES_COMMAND_OK &&
        !(state != NULL && strcmp(state, "42P05") == 0)) {
        store_fail_pq(err, c, res, what);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    return 0;
}

PGresult *store_select_prepared(PGconn *c, const char *name, const char *sql, int nparams,
                                const char *const *params, const char *what, store_error *err)
{
    if (PQtransactionStatus(c) != PQTRANS_IDLE)
        return store_select(c, sql, nparams, params, what, err);
    prepared_set *set = prepared_of(c);
    if (!prepared_has(set, name)) {
        if (prepare(c, name, sql, nparams, what, err) < 0)
            return NULL;
        prepared_add(set, name);
    }
    PGresult *res = PQexecPrepared(c, name, nparams, params, NULL, NULL, 0);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (PQresultStatus(res) == PGRES_FATAL_ERROR && state != NULL &&
        strcmp(state, "26000") == 0) { /* the session lost it (DISCARD ALL, a reset) */
        PQclear(res);
        prepared_forget(set, name);
        if (prepare(c, name, sql, nparams, what, err) < 0)
            return NULL;
        prepared_add(set, name);
        res = PQexecPrepared(c, name, nparams, params, NULL, NULL, 0);
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_fail_pq(err, c, res, what);
        PQclear(res);
        return NULL;
    }
    return res;
}

/* Whether the database has the schema at STORE_SCHEMA_VERSION: 0, or -1 with err set. */
static int check_schema(PGconn *c, store_error *err)
{
    /* Two steps: a query naming a missing table would fail before it could say so. */
    PGresult *r = PQexecParams(c, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL,
                               NULL, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        store_fail_pq(err, c, r, "checking the schema version");
        PQclear(r);
        return -1;
    }
    bool has_table = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!has_table) {
        return store_fail(err, STORE_ESCHEMA, "database has no hyoka schema: run 'hyoka migrate'");
    }
    r = PQexecParams(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL, NULL,
                     NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        store_fail_pq(err, c, r, "checking the schema version");
        PQclear(r);
        return -1;
    }
    long version = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    if (version == 0) {
        store_fail(err, STORE_ESCHEMA, "database has no hyoka schema: run 'hyoka migrate'");
    } else if (version < STORE_SCHEMA_VERSION) {
        store_fail(err, STORE_ESCHEMA,
                   "database schema is at version %ld, this program needs %d: run 'hyoka migrate'",
                   version, STORE_SCHEMA_VERSION);
    } else if (version > STORE_SCHEMA_VERSION) {
        store_fail(err, STORE_ESCHEMA,
                   "database schema version %ld is newer than this program knows (%d): "
                   "upgrade hyoka",
                   version, STORE_SCHEMA_VERSION);
    } else {
        return 0;
    }
    return -1;
}

PGconn *store_connect(const char *conninfo, store_error *err)
{
    PGconn *c = store_connect_raw(conninfo, err);
    if (c != NULL && check_schema(c, err) < 0) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

int store_connect_finish(PGconn *c, store_error *err)
{
    if (PQstatus(c) != CONNECTION_OK) {
        store_fail(err, STORE_EDB, "cannot connect to the database: %s", PQerrorMessage(c));
        if (err != NULL)
            chomp(err->message);
        return -1;
    }
    return session_setup(c, err) < 0 || check_schema(c, err) < 0 ? -1 : 0;
}

const char *store_sql_dir(void)
{
    /* A program run from its build tree uses the source tree's migrations; an installed one
     * (PREFIX/bin/hyoka) PREFIX/share/hyoka/sql, wherever PREFIX is. */
    static char beside[4096 + 32];
    return hy_data_dir("HYOKA_SQL_DIR", HYOKA_SQL_DIR, "share/hyoka/sql", HYOKA_INSTALLED_SQL_DIR,
                       beside, sizeof beside);
}

/* ---- waiting for a writer's lock ---------------------------------------------------------- */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Runs a statement with the lock key as $1 (or none); returns its result if it has `want`, else
 * NULL with err set. */
static PGresult *exec_key(PGconn *c, const char *sql, const char *key, ExecStatusType want,
                          store_error *err)
{
    const char *params[1] = {key};
    PGresult *r = PQexecParams(c, sql, key != NULL ? 1 : 0, NULL, key != NULL ? params : NULL,
                               NULL, NULL, 0);
    if (PQresultStatus(r) == want)
        return r;
    store_fail_pq(err, c, r, "waiting for a lock");
    PQclear(r);
    return NULL;
}

/* Describes the session holding advisory lock `key` in this database into `out`, e.g.
 * "pid 4242 ('hyoka import', user hyoka_writer, client 127.0.0.1, in its transaction since
 * 2026-12-05 18:01:02+09, for 12 s, idle in transaction)". A bigint advisory key shows in pg_locks
 * as classid (high half), objid (low half) and objsubid 1. Sessions of another role show their
 * details only to members of that role or of pg_read_all_stats. Returns the holder's pid, 0 if
 * nobody holds it any more, -1 on error. */
static long describe_holder(PGconn *c, const char *key, char *out, size_t outsz,
                            store_error *err)
{
    /* pg_stat_activity is read once per transaction unless the snapshot is cleared */
    PGresult *r = exec_key(c, "SELECT pg_stat_clear_snapshot()", NULL, PGRES_TUPLES_OK, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    r = exec_key(c,
                 "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, '?'), "
                 "CASE WHEN a.client_addr IS NOT NULL THEN host(a.client_addr) "
                 "WHEN a.client_port = -1 THEN 'local socket' ELSE '?' END, "
                 "coalesce(to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SSOF'), '?'), "
                 "coalesce(round(extract(epoch FROM clock_timestamp() - a.xact_start))::text, "
                 "'?'), coalesce(a.state, 'details not visible to this role') "
                 "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                 "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                 "AND l.database = (SELECT oid FROM pg_database WHERE datname = "
                 "current_database()) AND l.classid = ($1::bigint >> 32)::oid "
                 "AND l.objid = ($1::bigint & 4294967295)::oid LIMIT 1",
                 key, PGRES_TUPLES_OK, err);
    if (r == NULL)
        return -1;
    long pid = 0;
    if (PQntuples(r) == 1) {
        pid = strtol(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(out, outsz,
                 "pid %ld ('%s', user %s, client %s, in its transaction since %s, for %s s, %s)",
                 pid, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
                 PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5), PQgetvalue(r, 0, 6));
    } else {
        snprintf(out, outsz, "nobody any more");
    }
    PQclear(r);
    return pid;
}

/* One wait of at most `ms` milliseconds for the lock, in a savepoint so that a lock timeout
 * does not abort the transaction. Returns 1 if taken, 0 on timeout, -1 on error. */
static int wait_for_lock(PGconn *c, const char *key, long ms, store_error *err)
{
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%ld", ms > 0 ? ms : 1);
    const char *p_timeout[1] = {timeout};
    PGresult *r = exec_key(c, "SAVEPOINT hyoka_lock_wait", NULL, PGRES_COMMAND_OK, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    r = PQexecParams(c, "SELECT set_config('lock_timeout', $1, true)", 1, NULL, p_timeout, NULL,
                     NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        store_fail_pq(err, c, r, "waiting for a lock");
        PQclear(r);
        return -1;
    }
    PQclear(r);
    const char *params[1] = {key};
    r = PQexecParams(c, "SELECT pg_advisory_xact_lock($1::bigint)", 1, NULL, params, NULL, NULL,
                     0);
    bool taken = PQresultStatus(r) == PGRES_TUPLES_OK;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    bool timed_out = !taken && state != NULL && strcmp(state, "55P03") == 0;
    if (!taken && !timed_out)
        store_fail_pq(err, c, r, "waiting for a lock");
    PQclear(r);
    if (!taken && !timed_out)
        return -1;
    /* Releasing keeps the lock (it passes to the transaction); rolling back undoes the local
     * lock_timeout. After a release, lock_timeout is put back by the caller. */
    r = exec_key(c, taken ? "RELEASE SAVEPOINT hyoka_lock_wait"
                          : "ROLLBACK TO SAVEPOINT hyoka_lock_wait",
                 NULL, PGRES_COMMAND_OK, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    if (!taken) {
        r = exec_key(c, "RELEASE SAVEPOINT hyoka_lock_wait", NULL, PGRES_COMMAND_OK, err);
        if (r == NULL)
            return -1;
        PQclear(r);
    }
    return taken ? 1 : 0;
}

int store_lock_xact(PGconn *c, const char *key, const char *what, store_error *err)
{
    FILE *progress = lock_progress;
    PGresult *r = exec_key(c, "SELECT pg_try_advisory_xact_lock($1::bigint), "
                              "current_setting('lock_timeout')",
                           key, PGRES_TUPLES_OK, err);
    if (r == NULL)
        return -1;
    bool taken = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    char saved_timeout[64];
    snprintf(saved_timeout, sizeof saved_timeout, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char holder[512];
    while (!taken) {
        long pid = describe_holder(c, key, holder, sizeof holder, err);
        if (pid < 0)
            return -1;
        double waited = seconds_since(&t0);
        if (waited >= lock_wait) {
            char advice[128] = "";
            if (pid > 0)
                snprintf(advice, sizeof advice,
                         "; if that process is gone, end its session with "
                         "SELECT pg_terminate_backend(%ld)", pid);
            return store_fail(err, STORE_EDB,
                              "the %s lock is held by %s; gave up after %.0f s (database.lock_wait "
                              "in the service config)%s; nothing was written",
                              what, holder, waited, advice);
        }
        if (progress != NULL && pid > 0) {
            fprintf(progress, _("waiting for the %s lock (%.0f s of at most %d s), held by %s\n"),
                    what, waited, lock_wait, holder);
            fflush(progress);
        }
        double left = lock_wait - waited;
        double step = left < LOCK_REPORT_EVERY ? left : LOCK_REPORT_EVERY;
        int got = wait_for_lock(c, key, (long)(step * 1000), err);
        if (got < 0)
            return -1;
        if (got > 0) {
            const char *p_saved[1] = {saved_timeout};
            r = PQexecParams(c, "SELECT set_config('lock_timeout', $1, true)", 1, NULL, p_saved,
                             NULL, NULL, 0);
            bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
            if (!ok)
                store_fail_pq(err, c, r, "waiting for a lock");
            PQclear(r);
            if (!ok)
                return -1;
            if (progress != NULL) {
                fprintf(progress, _("took the %s lock after %.1f s\n"), what, seconds_since(&t0));
                fflush(progress);
            }
            taken = true;
        }
    }
    /* The holder's side: a session that sits idle inside this transaction (a frozen or stopped
     * client; a vanished one is ended by the keepalives) is ended by the server after the same
     * bound, and its lock released. Between the statements of an import or an evaluation the
     * client only prepares the next one, never for seconds. */
    char idle[32];
    snprintf(idle, sizeof idle, "%ld",
             1000L * (lock_wait > 0 ? lock_wait : STORE_LOCK_WAIT_DEFAULT));
    const char *p_idle[1] = {idle};
    r = PQexecParams(c, "SELECT set_config('idle_in_transaction_session_timeout', $1, true)", 1,
                     NULL, p_idle, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        store_fail_pq(err, c, r, "waiting for a lock");
    PQclear(r);
    return ok ? 0 : -1;
}
