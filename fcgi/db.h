/* db.h - the worker's PostgreSQL connection: read-only, connected lazily, reconnected after a
 * failure, LISTENing on hyoka_runs and hyoka_data so that new runs and imports reach the cache.
 *
 * One PGconn per worker process (connected after fork). The server writes no SQL of its own: its
 * reads are the read model's (store/read.h, store/kpi.h), called with db_conn()'s connection and
 * called once more on a fresh one when db_lost says the old one broke (the server restarted), so a
 * request right after PostgreSQL comes back succeeds. While the database is unreachable every read
 * fails fast with STORE_EDB and handlers answer 503 (db_reply_error).
 */
#ifndef HYOKA_FCGI_DB_H
#define HYOKA_FCGI_DB_H

#include "http.h"
#include "store.h"

#include <libpq-fe.h>

/* The connection, (re)connected if needed; NULL with err set (STORE_EDB / STORE_ESCHEMA). */
PGconn *db_conn(store_error *err);
/* Reads pending notifications without blocking. On one on hyoka_runs or hyoka_data, reads the
 * newest run id and data_version and flushes the cache only if either changed since the cache was
 * last flushed (anyone may send a NOTIFY; db.c). Called by the worker loop when the database socket
 * is readable. Returns true if the cache was flushed for a change (a lost connection flushes it
 * too, quietly: false, the next request reconnects). */
bool db_poll(void);
/* The same for the notifications libpq has already read, without reading the socket. A NOTIFY
 * that arrives while one of this worker's queries runs (a request's, the preload's, db_poll's own
 * check) is read with that query's answer and kept by libpq: the socket then has nothing left to
 * wake the worker, and only the next notification would have brought it out (a worker served an
 * import's old departments for 6 s, tests/http's departments check). The worker asks before each
 * wait and before each request. Returns true if the cache was flushed for a change. */
bool db_poll_queued(void);
/* The connection's socket (to wait on it with the request sockets), or -1 when not connected. */
int db_socket(void);
/* Counts connects and disconnects: a new value means db_socket() may be a new descriptor. */
unsigned db_generation(void);
/* After a store_* function failed on db_conn()'s connection `c`: true if the connection was lost
 * (it is dropped, and the call may be made once more on a new one), false if the query itself
 * failed (logged). */
bool db_lost(PGconn *c, const store_error *err);
/* Read-your-writes across workers: db_share_init (the master, before forking; -1 if the memory
 * cannot be mapped, then only notifications refresh) maps a counter; db_run_published(ID) is
 * called by the worker that published run ID before it answers; db_sync_runs, before each request,
 * flushes the cache when a run newer than the one it was filled from was published. */
int db_share_init(void);
void db_run_published(long long id);
void db_sync_runs(void);
/* Milliseconds until db_poll_due has something to do, for the worker's epoll timeout: on a hot
 * standby (no NOTIFY reaches it) the next read of data_version; on a host database.conninfo does
 * not prefer, the next try of the preferred ones (RETRY_TICK_MS while one is being connected).
 * -1 when there is nothing to do but wait for events (a preferred primary, no connection). */
int db_poll_wait_ms(void);
/* Between requests. On a host conninfo does not prefer: every database.preferred_retry_ms starts
 * a connection to the preferred hosts without waiting for it, and once it is made and its server
 * has replayed what this worker can see, moves the reads to it and closes the old connection
 * (db.c). On a standby, once database.standby_poll_ms has passed since the last look: reads the
 * newest run and data_version and flushes the cache if either moved (as db_poll does on a
 * notification). Returns true if it flushed. A lost connection is dropped (the next request
 * reconnects). */
bool db_poll_due(void);
/* Read-your-writes through a standby: after POST /evaluations stored and published run_id on
 * the writer connection, waits (polling every 10 ms, at most DB_REPLAY_WAIT_S) until this
 * worker's standby has replayed the primary's WAL up to that point, so that the answer's Location
 * and the summary from any worker of this server (db_run_published) show the new run. Nothing to
 * wait for on a primary. */
#define DB_REPLAY_WAIT_S 2.0
void db_await_replay(PGconn *writer, long long run_id);
/* Where reads come from (/health, /metrics), asked of the connection now. */
typedef struct db_reads {
    char host[128], port[16];
    bool standby;
    bool lag_known;
    double replay_lag_s; /* 0 on a primary or a standby that has replayed all it received */
    long long newest_run; /* the newest published run this worker's cache is from; -1 unknown */
    bool preferred;       /* the host a fresh connection would choose first (db.c); false while
                             the worker reads from a fallback and tries the preferred again */
} db_reads;
/* Fills *out; 0, or -1 when the database does not answer. */
int db_where(db_reads *out);
void db_close(void);
/* Answers a store_error: EDB/ESCHEMA 503 (details only in the log), ENOTFOUND 404, EUSER 400. */
void db_reply_error(hy_req *r, const store_error *err);

#endif
