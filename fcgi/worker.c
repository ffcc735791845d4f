/* worker.c - a worker process: one epoll loop over the listening socket, every connection nginx
 * keeps open to this worker, and the worker's database socket (worker.h).
 *
 * Why an event loop and not one connection per process: with `fastcgi_keep_conn on` nginx keeps
 * its upstream connections open, and a process per connection slept and woke once per request.
 * bench/http/run.sh (2 CPUs, 16 connections, demo data, cache on), the filtered list (8 KB):
 * 0.45 of static nginx with 17 one-connection workers; a minimal blocking responder in that
 * model, serving a fixed body, made 0.36-0.48, and the same responder as one epoll loop
 * 0.58-0.68 (throwaway programs behind the same nginx, measured by hand, not kept). Under load
 * an epoll wakeup finds several requests waiting, and the number of workers no longer has to
 * exceed nginx's kept connections. Measured with this loop (4 workers):
 * that list 0.58-0.62; hyoka's CPU per request 9-12 us with 0.55-0.75 context switches, from
 * 13-18 us and 1.05 (bench/http/cost.sh).
 *
 * Requests are still parsed by libfcgi: each connection has its own FCGX_Request, initialised
 * with no listening socket (-1), so FCGX_Accept_r only reads the next request from that
 * connection and never blocks in accept(); the worker accepts (non-blocking) itself. libfcgi
 * reads a request's records with blocking reads once epoll has seen its first bytes (nginx sends
 * a request in one piece).
 *
 * Signals: SIGTERM/SIGINT are blocked except inside epoll_pwait, so they land between requests.
 * Then the worker drains (below) and exits 0.
 *
 * No request is lost to a reload, a write or a killed worker; by design, not by timing
 * (docs/operations.md "No request lost"; tests/http/run.sh 4b counts every failure):
 * - The worker closes a connection only when nginx can send its request again: an idle kept
 *   connection (worker_shed_idle, drain). nginx takes connections from its keepalive cache and,
 *   when one turns out closed, sends the request on another (nginx/hyoka.conf).
 * - A new connection is never closed before its first request is answered: nginx opened it for a
 *   request it is sending now, and a request on a new connection is not resent for a close.
 * - Stopping (SIGTERM, the old generation after a reload) stops accepting first, so new
 *   connections go to the other workers; then answers every request already sent, waits for the
 *   first request of each new connection (at most CONN_READ_TIMEOUT_S), and closes the rest.
 * - Writes never ride a kept connection (upstream hyoka_fcgi_write: a new one each), so a POST
 *   never meets the race of a kept connection closed just as nginx sends into it; nginx would
 *   not resend a POST then.
 * - A killed worker loses what it was serving; nginx sends that request again on another
 *   connection (the upstream lists the socket enough times for a retry to remain).
 */
#define _GNU_SOURCE /* accept4, epoll_pwait with a signal mask */
#include "worker.h"

#include "app.h"
#include "cache.h"
#include "db.h"
#include "evaluate.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "run.h"
#include "store.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* A request nginx has begun to send is read to its end with blocking reads, and a response is
 * written whole; these bound how long one connection can hold up the worker's others. nginx
 * sends a request in one piece (it buffers request bodies: fastcgi_request_buffering on) and
 * reads responses as fast as they come, so only a broken peer ever meets them. */
#define CONN_READ_TIMEOUT_S 5
#define CONN_WRITE_TIMEOUT_S 30
#define EVENTS_PER_WAIT 64
#define ACCEPTS_PER_WAKE 4 /* then the other events of the batch get their turn */
#define TAG_LISTEN ((uint64_t)WORKER_MAX_CONNS)
#define TAG_DB ((uint64_t)WORKER_MAX_CONNS + 1)

static struct {
    int epfd;                                /* -1 outside a worker */
    int listen_fd;
    bool listening;                          /* listen_fd is in the epoll set */
    FCGX_Request conns[WORKER_MAX_CONNS];    /* ipcFd < 0: a free slot */
    bool answered[WORKER_MAX_CONNS];         /* the connection has carried a request */
    int nconns;
    int serving;                             /* slot of the request being served, or -1 */
    int db_fd;                               /* the database socket in the epoll set, or -1 */
    unsigned db_generation;
} w = {.epfd = -1, .serving = -1, .db_fd = -1};

static volatile sig_atomic_t worker_stop;

static void on_worker_signal(int sig)
{
    (void)sig;
    worker_stop = 1;
}

static void set_listening(bool on)
{
    if (on == w.listening)
        return;
    /* EPOLLEXCLUSIVE: a new connection wakes one worker waiting in epoll_pwait, not all. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = TAG_LISTEN};
    if (epoll_ctl(w.epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, w.listen_fd, &ev) < 0) {
        log_error("epoll_ctl on the listening socket: %s", strerror(errno));
        return;
    }
    w.listening = on;
}

/* The database socket changes when db.c reconnects; a closed one left the epoll set by itself. */
static void watch_db(void)
{
    int fd = db_socket();
    unsigned gen = db_generation();
    if (fd == w.db_fd && gen == w.db_generation)
        return;
    w.db_fd = fd;
    w.db_generation = gen;
    if (fd < 0)
        return;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_DB};
    if (epoll_ctl(w.epfd, EPOLL_CTL_ADD, fd, &ev) < 0 &&
        (errno != EEXIST || epoll_ctl(w.epfd, EPOLL_CTL_MOD, fd, &ev) < 0))
        log_warn("epoll_ctl on the database socket: %s", strerror(errno));
}

/* A slot whose connection is gone (closed here or by libfcgi). */
static void forget_conn(int i)
{
    w.conns[i].ipcFd = -1;
    w.nconns--;
    if (!worker_stop)
        set_listening(true);
}

static void close_conn(int i)
{
    int fd = w.conns[i].ipcFd;
    FCGX_Free(&w.conns[i], 0); /* streams and parameters only: libfcgi's own close would */
    close(fd);                 /* wait up to 2 s for the peer's EOF */
    forget_conn(i);
}

static void accept_some(void)
{
    for (int k = 0; k < ACCEPTS_PER_WAKE && w.nconns < WORKER_MAX_CONNS; k++) {
        int fd = accept4(w.listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                log_error("accept: %s; not accepting until a connection closes",
                          strerror(errno));
                set_listening(false);
            }
            return; /* EAGAIN: another worker took it */
        }
        struct timeval rto = {CONN_READ_TIMEOUT_S, 0}, wto = {CONN_WRITE_TIMEOUT_S, 0};
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rto, sizeof rto) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wto, sizeof wto) < 0)
            log_warn("setsockopt on a connection: %s", strerror(errno));
        int i = 0;
        while (w.conns[i].ipcFd >= 0)
            i++; /* there is a free slot: nconns < WORKER_MAX_CONNS */
        FCGX_InitRequest(&w.conns[i], -1, 0); /* no listening socket: libfcgi never accepts */
        w.conns[i].ipcFd = fd;
        /* FCGX_Accept_r first finishes the previous request and closes the connection unless
         * it is kept; a new one counts as kept until its first request says otherwise. */
        w.conns[i].keepConnection = 1;
        w.answered[i] = false;
        w.nconns++;
        metrics_connection(1, 0);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = (uint64_t)i};
        if (epoll_ctl(w.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            log_error("epoll_ctl on a connection: %s", strerror(errno));
            close_conn(i);
        }
    }
    if (w.nconns == WORKER_MAX_CONNS)
        set_listening(false);
}

static void drain_input(FCGX_Request *req)
{
    char buf[4096];
    while (FCGX_GetStr(buf, sizeof buf, req->in) > 0)
        ;
}

/* Reads the next request from connection i and answers it. */
static void serve(int i)
{
    FCGX_Request *req = &w.conns[i];
    if (FCGX_Accept_r(req) < 0) {
        /* nginx closed the connection, or it did not speak FastCGI: libfcgi closed it. */
        if (req->ipcFd >= 0)
            close_conn(i);
        else
            forget_conn(i);
        return;
    }
    if (FCGX_GetError(req->in) != 0) {
        /* The request stopped halfway (CONN_READ_TIMEOUT_S): libfcgi returns what it has, an
         * environment cut short. Nothing is answered to half a request. */
        log_warn("a request was cut off before its end: its connection is closed");
        close_conn(i);
        return;
    }
    w.serving = i;
    double t0 = app_now();
    hy_req r;
    db_poll_queued(); /* a notification read with the previous request's queries */
    db_sync_runs();   /* between requests, like a notification: nothing of the cache is pinned */
    if (http_req_init(&r, req, app.config.max_query, t0) == 0)
        route_dispatch(&r);
    if (r.status == 0)
        http_problem(&r, 500, NULL, "the request was not answered");
    drain_input(req);
    /* metrics: counted by http_reply, before the answer left */
    log_debug("%s %s -> %d (%zu bytes, %.1f ms)", r.method, r.path, r.status, r.bytes_out,
              (app_now() - t0) * 1e3);
    http_req_cleanup(&r);
    FCGX_Finish_r(req); /* closes the connection unless nginx asked to keep it */
    w.serving = -1;
    w.answered[i] = true;
    if (req->ipcFd < 0)
        forget_conn(i);
}

/* Whether connection i has bytes (a request, or nginx's close) waiting. */
static bool readable(int i)
{
    struct pollfd p = {w.conns[i].ipcFd, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
}

void worker_shed_idle(void)
{
    if (w.epfd < 0 || w.nconns <= (w.serving >= 0 ? 1 : 0))
        return;
    int shed = 0;
    for (int i = 0; i < WORKER_MAX_CONNS; i++) {
        /* Only connections back in nginx's keepalive cache: nginx retries a request that fails
         * on a cached connection on a new one. A new connection is nginx's answer to a request
         * it is about to send; closing it would fail that request (502). */
        if (i == w.serving || w.conns[i].ipcFd < 0 || !w.answered[i])
            continue;
        if (readable(i))
            continue; /* a request (or nginx's close) is waiting: it is handled next */
        close_conn(i);
        shed++;
    }
    if (shed > 0) {
        metrics_connection(0, shed);
        log_debug("handed %d idle connections back to nginx before using the database", shed);
    }
}

/* SIGTERM: stop accepting, answer every request nginx has sent or is about to send on this
 * worker's connections, then close them. A connection that has carried a request and has none
 * waiting is closed at once: it sits in nginx's keepalive cache, and a GET that nginx sends into
 * it meanwhile is retried on a new connection (a POST never rides a kept connection:
 * nginx/hyoka-locations.conf). A new connection that has not sent its first request yet is
 * waited for: nginx opened it for a request it is sending now and would answer 502 if it were
 * closed first. The wait is bounded by CONN_READ_TIMEOUT_S for a peer that never sends. */
static void drain(void)
{
    set_listening(false);
    log_info("stopping: answering what nginx has sent on %d connections", w.nconns);
    double deadline = app_now() + CONN_READ_TIMEOUT_S;
    struct epoll_event ev[EVENTS_PER_WAIT];
    for (;;) {
        int fresh = 0;
        for (int i = 0; i < WORKER_MAX_CONNS; i++) {
            if (w.conns[i].ipcFd < 0)
                continue;
            if (readable(i))
                serve(i); /* also reads nginx's close (EOF) and closes */
            if (w.conns[i].ipcFd >= 0 && w.answered[i])
                close_conn(i);
            else if (w.conns[i].ipcFd >= 0)
                fresh++;
        }
        double left = deadline - app_now();
        if (fresh == 0 || left <= 0)
            break;
        /* Until a waiting connection gets its request (the database socket may wake us too). */
        if (epoll_wait(w.epfd, ev, EVENTS_PER_WAIT, (int)(left * 1e3) + 1) < 0 && errno != EINTR)
            break;
    }
    for (int i = 0; i < WORKER_MAX_CONNS; i++)
        if (w.conns[i].ipcFd >= 0) {
            log_warn("stopping: a new connection sent no request in %d s; closed",
                     CONN_READ_TIMEOUT_S);
            close_conn(i);
        }
}

static void preload(void)
{
    if (run_preload() < 0)
        log_warn("the latest run could not be loaded ahead of requests; they will load it");
}

static void loop(const sigset_t *unblocked)
{
    struct epoll_event ev[EVENTS_PER_WAIT];
    while (!worker_stop) {
        watch_db();
        /* Notifications libpq read during the last batch's queries or the preload (db.h): the
         * socket will not wake the wait for them. */
        if (db_poll_queued()) {
            preload();
            continue;
        }
        /* On a hot standby no notification comes: wake to look at data_version (db.c). */
        int n = epoll_pwait(w.epfd, ev, EVENTS_PER_WAIT, db_poll_wait_ms(), unblocked);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_error("epoll_pwait: %s", strerror(errno));
            return;
        }
        /* In this order: a notification (new run, import) flushes the cache before any request
         * of the batch is answered; connections are accepted last, so a slot closed while the
         * batch is served is not reused before the batch's stale events for it are skipped. */
        bool accept_now = false, flushed = db_poll_due();
        for (int k = 0; k < n; k++)
            if (ev[k].data.u64 == TAG_DB)
                flushed |= db_poll();
        for (int k = 0; k < n; k++) {
            uint64_t tag = ev[k].data.u64;
            if (tag == TAG_LISTEN)
                accept_now = true;
            else if (tag < WORKER_MAX_CONNS && w.conns[tag].ipcFd >= 0) {
                if (ev[k].events & EPOLLIN)
                    serve((int)tag); /* also reads nginx's close (EOF) and closes */
                else
                    close_conn((int)tag); /* hung up or failed with nothing to read */
            }
        }
        if (accept_now && w.listening)
            accept_some();
        /* A new run or an import: the latest run is loaded again now, not by the dashboard's
         * next request (0.4 s for 100,000 initiatives). The batch's requests went first. */
        if (flushed)
            preload();
    }
}

_Noreturn void worker_main(int listen_fd, int ready_fd)
{
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    struct sigaction sa = {0};
    sa.sa_handler = on_worker_signal; /* no SA_RESTART: epoll_pwait must return */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &stops, NULL); /* delivered only inside epoll_pwait */

    /* No fastbins: libfcgi allocates and frees two 8 KiB stream buffers and a few dozen small
     * strings per request, and each 8 KiB malloc made glibc consolidate the fastbins the small
     * frees had filled (malloc_consolidate: ~1 % of the machine's CPU under bench/http/run.sh).
     * Small blocks still come from the per-thread cache. */
    mallopt(M_MXFAST, 0);
    cache_configure((size_t)app.config.cache_bytes);
    for (int i = 0; i < WORKER_MAX_CONNS; i++)
        FCGX_InitRequest(&w.conns[i], -1, 0);
    w.listen_fd = listen_fd;
    w.epfd = epoll_create1(EPOLL_CLOEXEC);
    int fl = fcntl(listen_fd, F_GETFL);
    if (w.epfd < 0 || fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        log_error("worker: cannot set up epoll on the listening socket: %s", strerror(errno));
        _exit(1);
    }
    /* Before accepting: the dashboard's first requests, and a reload (the old workers answer
     * until ready_fd is closed), find the latest run in the cache. */
    preload();
    if (ready_fd >= 0)
        close(ready_fd);
    set_listening(true);
    if (!w.listening)
        _exit(1); /* logged; the master starts another */
    log_debug("worker ready");
    loop(&none);
    drain();
    db_close();
    cache_configure(0);
    store_explain_cache_clear();
    _exit(0);
}
