/* store.h - hyoka's PostgreSQL connection, schema version check, migrations and error reporting.
 *
 * Every function here takes a caller-owned PGconn and never closes it; store_connect returns a
 * connection the caller closes with PQfinish. Errors go into a caller-owned store_error (never
 * allocated); its status maps to exit codes (store_exit_code) and HTTP statuses (see
 * docs/contracts.md). All SQL that carries a value is parameterised.
 */
#ifndef HYOKA_STORE_H
#define HYOKA_STORE_H

#include <stdbool.h>
#include <stdio.h>

#include <libpq-fe.h>

/* The schema version this program was written for: the number of the newest sql/NNN_*.sql file.
 * store_connect refuses a database at another version; tests/db checks it matches sql/. */
#define STORE_SCHEMA_VERSION 17

/* Seconds libpq waits for a connection unless the conninfo or $PGCONNECT_TIMEOUT says otherwise. */
#define STORE_CONNECT_TIMEOUT "5"
/* The session time zone unless $PGTZ names one: timestamps in the API, the CLI and reports are
 * Japan time (2024-05-10T09:00:00+09:00), whatever the database server's own setting. */
#define STORE_TIME_ZONE "Asia/Tokyo"

/* pg_advisory_lock keys (one family, so that pg_locks shows whose they are): `hyoka migrate`
 * (session lock), one import at a time, one storing evaluation at a time (transaction locks). */
#define STORE_LOCK_MIGRATE "448378072929"
#define STORE_LOCK_IMPORT "448378072930"
#define STORE_LOCK_EVALUATE "448378072931"

/* How long a writer waits for the import or evaluate lock unless told otherwise (the service
 * config's database.lock_wait): long enough for another import of a large data set to finish,
 * shorter than nginx's fastcgi_read_timeout for a POST evaluation. */
#define STORE_LOCK_WAIT_DEFAULT 30

typedef enum {
    STORE_OK = 0,
    STORE_EUSER,     /* bad input: exit 1, HTTP 400 */
    STORE_ENOTFOUND, /* unknown code: exit 1, HTTP 404 */
    STORE_EDB,       /* database unreachable or failing: exit 2, HTTP 503 */
    STORE_ESCHEMA,   /* no schema / other schema version: exit 2, HTTP 503 */
} store_status;

typedef struct store_error {
    store_status status;
    char message[1024];
} store_error;

/* Sets err (if not NULL) to `status` and a printf-formatted message. Always returns -1, so that a
 * failing function can `return store_fail(err, ...)`. */
int store_fail(store_error *err, store_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like store_fail with STORE_EDB and the message "WHAT: <libpq's message>", taken from `res` if it
 * is an error result, else from the connection. Does not PQclear `res`. */
int store_fail_pq(store_error *err, PGconn *c, const PGresult *res, const char *what);
/* Runs one parameterised query (text parameters and results) that must end in `want`
 * (PGRES_TUPLES_OK for a SELECT): the result, which the caller PQclears, or NULL with err set by
 * store_fail_pq("WHAT: ..."). Every query of store/ goes through it or through libpq's COPY. */
PGresult *store_query(PGconn *c, const char *sql, int nparams, const char *const *params,
                      ExecStatusType want, const char *what, store_error *err);
/* store_select through a statement prepared once per connection under `name` (a literal unique
 * to `sql`): PostgreSQL then plans it once, not at every call. For the read model's per-request
 * queries: planning was most of their cost (pgbench -c 2 on the demo, unprepared: the run header
 * took 0.18 ms per call before it read the previous run and the newest flag, 0.83 ms after). Inside a transaction block it is
 * store_select (a failed EXECUTE of a statement this connection has not prepared yet would abort
 * the caller's transaction). Outside, it PREPAREs `name` the first time this connection (PGconn
 * and server process) uses it, remembered per thread, so a new session logs no error; should the
 * session have lost it anyway, the failed EXECUTE (26000) prepares it and executes again. */
PGresult *store_select_prepared(PGconn *c, const char *name, const char *sql, int nparams,
                                const char *const *params, const char *what, store_error *err);
/* store_query for a query that returns rows (want PGRES_TUPLES_OK). */
PGresult *store_select(PGconn *c, const char *sql, int nparams, const char *const *params,
                       const char *what, store_error *err);
/* Resets err to STORE_OK with an empty message. */
void store_error_clear(store_error *err);
/* The process exit code for a status: 0 ok, 1 user error (EUSER, ENOTFOUND), 2 environment. */
int store_exit_code(store_status status);

/* The application_name of the connections this process makes from now on, unless the conninfo
 * or $PGAPPNAME gives one ("hyoka import", "hyoka-fcgi"; default "hyoka"), so that pg_stat_activity
 * and the lock messages below say which program a session belongs to. `name` must outlive every
 * later store_connect (a literal or the caller's static storage). */
void store_set_application_name(const char *name);
/* The bound, in seconds (>= 0), of store_lock_xact's wait in this process (default
 * STORE_LOCK_WAIT_DEFAULT), and where a waiting writer says who holds the lock (default NULL:
 * nowhere; the CLI gives stderr). */
void store_set_lock_wait(int seconds, FILE *progress);

/* Connects with `conninfo` ("" or NULL: the PG* environment only) and checks that the database
 * has the schema at STORE_SCHEMA_VERSION. Adds connect_timeout=STORE_CONNECT_TIMEOUT unless the
 * conninfo or $PGCONNECT_TIMEOUT gives one, client_encoding=UTF8, the application name above and
 * TCP keepalives (unless given), and asks the server to notice a vanished client within about a
 * minute (tcp_keepalives_*, tcp_user_timeout and client_connection_check_interval of the session,
 * where the server has them). Returns the connection, or NULL with err set: STORE_EDB if the database cannot
 * be reached, STORE_ESCHEMA "database has no hyoka schema: run 'hyoka migrate'" (or an older /
 * newer version message). */
PGconn *store_connect(const char *conninfo, store_error *err);
/* The same without the schema check (for `hyoka migrate`). */
PGconn *store_connect_raw(const char *conninfo, store_error *err);
/* store_connect without waiting, for a connection made beside one in use (fcgi/db.c tries a
 * preferred host again between requests): PQconnectStartParams with store_connect's parameters
 * and, after the conninfo, `nextra` (at most 8) keyword/value pairs that override it (an empty
 * value overrides nothing). The caller drives it with PQconnectPoll (the timeout is the caller's:
 * libpq's connect_timeout only bounds a blocking connect) and, once PGRES_POLLING_OK, calls
 * store_connect_finish. Returns the connection the caller PQfinishes, or NULL if it could not
 * even be started (out of memory, a conninfo libpq cannot parse). */
PGconn *store_connect_start(const char *conninfo, const char *const *extra_keys,
                            const char *const *extra_values, int nextra);
/* The rest of store_connect on a connection store_connect_start made: the session settings and
 * the schema check. Returns 0, or -1 with err set as store_connect's (the caller PQfinishes c). */
int store_connect_finish(PGconn *c, store_error *err);
/* Sets the session's TimeZone (a parameter, never spliced into SQL). Returns 0, or -1 with err
 * set. */
int store_set_time_zone(PGconn *c, const char *zone, store_error *err);

/* Takes the transaction-level advisory lock `key` (one of STORE_LOCK_*) inside the open
 * transaction of `c`, waiting at most the bound of store_set_lock_wait. While it waits it prints
 * to that function's stream who holds the lock: pid, application_name, user, client address and
 * since when (pg_locks and pg_stat_activity). Once taken, the session is ended by the server if it
 * stays idle inside this transaction for longer than that bound (idle_in_transaction_session_
 * timeout), so a frozen holder cannot keep the lock for ever either. Returns 0 with the lock held
 * until the transaction ends, or -1 with err set: STORE_EDB "the LOCK lock is held by pid N (...)
 * for S s; gave up after W s" when the bound passed (nothing was written; exit 2, HTTP 503), or
 * the database's error. `what` names the lock in messages ("import", "evaluate"). */
int store_lock_xact(PGconn *c, const char *key, const char *what, store_error *err);

/* The folder with the numbered migrations: $HYOKA_SQL_DIR; else, for a program run from its
 * build tree, the source tree's sql/; else share/hyoka/sql beside the installed program
 * (PREFIX/bin/../share/hyoka/sql); else the configured PREFIX/share/hyoka/sql. Never NULL. */
const char *store_sql_dir(void);

/* Applies, in order, every NNN_name.sql in `sql_dir` whose version is not yet recorded in
 * schema_migrations, each in its own transaction recorded there. Serialised by an advisory lock,
 * so concurrent runs are safe; re-running is a no-op. Refuses (STORE_ESCHEMA) a database whose
 * recorded version is newer than the newest file. Reports each step on `log` (may be NULL).
 * Returns the number of files applied (>= 0), or -1 with err set (a failing file is reported as
 * "FILE:LINE:COL: message" and its transaction rolled back). */
int store_migrate(PGconn *c, const char *sql_dir, FILE *log, store_error *err);

#endif
