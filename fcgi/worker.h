/* worker.h - one worker process of hyoka-fcgi: an event loop that serves every FastCGI connection
 * nginx opens to it, forked by the master (main.c) with the state in app.h.
 *
 * Each worker holds up to WORKER_MAX_CONNS connections at once and waits for all of them, the
 * listening socket and its database socket in one epoll_pwait. Requests are served one at a time,
 * each to completion, through the re-entrant libfcgi API (one FCGX_Request per connection). A
 * request that is about to wait on the database first hands back the worker's other idle
 * connections (worker_shed_idle), so nginx sends their next requests to another worker instead
 * of queueing them behind a slow one.
 */
#ifndef HYOKA_FCGI_WORKER_H
#define HYOKA_FCGI_WORKER_H

/* Connections one worker holds. A full worker stops accepting until one closes. Kept below
 * FD_SETSIZE because libfcgi's close path select()s on the descriptor. */
#define WORKER_MAX_CONNS 256

/* Loads the latest run into the cache, closes `ready_fd` (unless -1: the master waits for that
 * during a reload), then serves `listen_fd` until SIGTERM/SIGINT; then answers the requests
 * already waiting on its connections, closes them and exits 0. Never returns. */
_Noreturn void worker_main(int listen_fd, int ready_fd);

/* Closes every connection of this worker that has carried a request, is not the one being served
 * and has no request waiting: nginx opens a new one, to another worker, for its next request.
 * Called before a request waits on the database for long (a connect, loading a run's
 * initiatives, a report, a POST evaluation); short queries do not call it, since each connection
 * handed back costs nginx a reconnect. Does nothing outside a worker. */
void worker_shed_idle(void);

#endif
