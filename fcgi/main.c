/* main.c - hyoka-fcgi: the master process (config, rules, socket, signals) and its prefork workers.
 *
 * Process model. The master loads and validates the config and the rules, opens the FastCGI
 * socket and forks server.workers workers; it never serves a request. Each worker is
 * single-threaded: the re-entrant libfcgi API (one FCGX_Request), its own PGconn, its own cache.
 * With nginx's `fastcgi_keep_conn on` a worker serves one kept-alive connection at a time, so
 * server.workers must exceed the upstream's `keepalive` count (docs/operations.md).
 *
 *   SIGHUP   master: reload config + rules, validated first (rules compiled against the
 *            database's evaluation_facts view, or the built-in schema when the database is down).
 *            Refused: errors logged with file:line, the running workers keep the last good state.
 *            Accepted: a new generation of workers is forked with the new state, then every old
 *            worker gets SIGTERM and exits after its current request. The listening socket stays
 *            open throughout, so no connection is refused and no request is dropped.
 *   SIGTERM  master: SIGTERM to every worker, wait for them (in-flight requests complete), remove
 *   SIGINT   the socket it created, exit 0.
 *   worker   SIGTERM/SIGINT are blocked while a request is being served and delivered between
 *            requests; a worker idle in accept() or on a kept-alive connection wakes
 *            (FCGI_FAIL_ACCEPT_ON_INTR + FCGX_ShutdownPending) and exits 0.
 *   crash    a worker that dies otherwise is replaced (counted in hyoka_worker_restarts_total);
 *            one that dies within a second of starting is replaced after a second's pause.
 * Workers get SIGTERM when the master dies (PR_SET_PDEATHSIG), so none is left behind.
 */
#define _GNU_SOURCE /* ppoll: wait for a socket or a signal atomically */
#include "app.h"
#include "cache.h"
#include "db.h"
#include "evaluate.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "store.h"

#include <errno.h>
#include <fcgiapp.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_TIMEOUT_S 30       /* SIGTERM: workers still busy after this get SIGKILL */
#define MAX_RETIRING 1024        /* old-generation workers finishing their last request */
#define SYSTEMD_FD 3             /* SD_LISTEN_FDS_START */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- loading: config + rules, validated before anything is replaced ----------------------- */

static void print_diags(const eng_diags *d)
{
    for (int i = 0; i < eng_diags_count(d); i++) {
        const eng_diag *g = eng_diags_get(d, i);
        if (g->col > 0)
            log_msg(g->warning ? HY_LOG_WARN : HY_LOG_ERROR, "%s:%d:%d: %s", g->file, g->line,
                    g->col, g->message);
        else
            log_msg(g->warning ? HY_LOG_WARN : HY_LOG_ERROR, "%s:%d: %s", g->file, g->line,
                    g->message);
    }
}

/* Loads the config at `path` and compiles its rules into *out. With `use_db`, the rules are
 * checked against the database's view when it can be reached. Returns 0, or -1 with every error
 * logged (and *out untouched). */
static int load_state(const char *path, bool use_db, hy_app *out)
{
    hy_app a = {0};
    eng_diags *d = eng_diags_new();
    int rc = -1;
    eng_schema *schema = NULL;
    if (hy_config_load(path, &a.config, d) < 0) {
        print_diags(d);
        goto out;
    }
    if (use_db) {
        store_error err = {0};
        PGconn *c = store_connect(a.config.conninfo, &err);
        if (c != NULL) {
            schema = store_fact_schema(c, &err);
            PQfinish(c);
        }
        if (schema == NULL)
            log_warn("rules: checking against the built-in fact schema, the database's view is "
                     "not available (%s)", err.message);
    }
    a.rules_checked_db = schema != NULL;
    if (schema == NULL)
        schema = eng_schema_new_builtin();
    a.rules = eng_rules_load_file(a.config.rules_file, schema, d);
    print_diags(d);
    if (a.rules == NULL) {
        log_error("rules: %s refused (%d errors)", a.config.rules_file, eng_diags_errors(d));
        hy_config_cleanup(&a.config);
        goto out;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    a.rules_loaded_at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(a.rules_loaded_iso, sizeof a.rules_loaded_iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    *out = a;
    rc = 0;
out:
    eng_schema_free(schema);
    eng_diags_free(d);
    return rc;
}

static void free_state(hy_app *a)
{
    eng_rules_free(a->rules);
    hy_config_cleanup(&a->config);
    memset(a, 0, sizeof *a);
}

/* ---- the listening socket ------------------------------------------------------------------- */

static bool created_socket;

/* Opens server.socket, refusing to take over one that a live server still answers on. */
static int open_unix_socket(const hy_config *c)
{
    struct stat st;
    if (strlen(c->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        log_error("%s: server.socket path is too long", c->path);
        return -1;
    }
    if (lstat(c->socket, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            log_error("%s exists and is not a socket; refusing to replace it", c->socket);
            return -1;
        }
        int probe = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        memcpy(sa.sun_path, c->socket, strlen(c->socket) + 1);
        int live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
        if (probe >= 0)
            close(probe);
        if (live) {
            log_error("another server is listening on %s; refusing to start", c->socket);
            return -1;
        }
        log_info("removing the stale socket %s", c->socket);
    }
    mode_t old = umask(0177); /* never briefly wider than asked */
    int fd = FCGX_OpenSocket(c->socket, c->backlog);
    umask(old);
    if (fd < 0) {
        log_error("cannot listen on %s: %s", c->socket, strerror(errno));
        return -1;
    }
    created_socket = true;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    if (c->socket_owner != NULL) {
        struct passwd *pw = getpwnam(c->socket_owner);
        if (pw == NULL) {
            log_error("%s: server.socket_owner '%s' is not a user", c->path, c->socket_owner);
            return -1;
        }
        uid = pw->pw_uid;
    }
    if (c->socket_group != NULL) {
        struct group *gr = getgrnam(c->socket_group);
        if (gr == NULL) {
            log_error("%s: server.socket_group '%s' is not a group", c->path, c->socket_group);
            return -1;
        }
        gid = gr->gr_gid;
    }
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(c->socket, uid, gid) < 0) {
        log_error("cannot chown %s: %s", c->socket, strerror(errno));
        return -1;
    }
    if (chmod(c->socket, (mode_t)c->socket_mode) < 0) {
        log_error("cannot chmod %s: %s", c->socket, strerror(errno));
        return -1;
    }
    log_info("listening on %s (mode %04o)", c->socket, (unsigned)c->socket_mode);
    return fd;
}

static bool is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int open_listener(const hy_config *c)
{
    if (c->socket != NULL)
        return open_unix_socket(c);
    const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
    if (fds != NULL && pid != NULL && atol(pid) == (long)getpid()) {
        if (atoi(fds) != 1 || !is_socket(SYSTEMD_FD)) {
            log_error("systemd passed LISTEN_FDS=%s; exactly one socket (fd 3) is supported", fds);
            return -1;
        }
        log_info("listening on the socket systemd passed (fd 3)");
        return SYSTEMD_FD;
    }
    if (!is_socket(0)) {
        log_error("%s has no server.socket and fd 0 is not a socket (spawn-fcgi, systemd)",
                  c->path);
        return -1;
    }
    log_info("listening on the socket passed on fd 0");
    return 0;
}

/* ---- workers -------------------------------------------------------------------------------- */

static volatile sig_atomic_t worker_stop;

static void on_worker_signal(int sig)
{
    (void)sig;
    worker_stop = 1;
    FCGX_ShutdownPending();
}

static void drain_input(FCGX_Request *req)
{
    char buf[4096];
    while (FCGX_GetStr(buf, sizeof buf, req->in) > 0)
        ;
}

#define KEPT_GRACE_NS (20 * 1000 * 1000) /* idle kept connection: wait this long before release */
/* A kept connection that has had no request for this long is idle: its worker starts watching
 * the listen queue. Under load nginx sends the next request on a connection within a fraction
 * of a millisecond (16 connections at 45,000 req/s: every 0.35 ms), so busy workers never watch
 * it; it also bounds how late a busy worker notices that no other worker is left to accept. */
#define KEPT_IDLE_NS (10 * 1000 * 1000)

/* Workers blocked in accept(), shared by all workers (mmap before fork). A hint, not an
 * invariant: a worker killed while counted leaves it too high, which only delays the release
 * of kept connections by KEPT_IDLE_NS. */
static atomic_int *idle_acceptors;

static int open_idle_acceptors(void)
{
    void *p = mmap(NULL, sizeof *idle_acceptors, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    idle_acceptors = p; /* zero-filled by the kernel */
    return 0;
}

/* With `fastcgi_keep_conn on`, a worker that finished a request keeps nginx's connection and
 * would block reading the next request from it while new connections queue up in the listen
 * backlog with no free worker: requests hang until nginx drops the idle connection. So, before
 * reading from a kept connection, wait for either side; when a new connection waits and the kept
 * one stays idle for KEPT_GRACE_NS, close the kept one (nginx retries a request that fails on a
 * cached connection on a fresh one) and accept the new connection. Returns -1 when asked to
 * stop, else 0 (go on to FCGX_Accept_r). Signals are delivered only inside ppoll.
 *
 * The listen socket is watched only by workers whose kept connection is idle (KEPT_IDLE_NS), or
 * when no worker waits in accept(). poll() wakes every process that watches a socket, while
 * accept() wakes one: when every kept worker watched it, each connect() from nginx (it opens one
 * whenever more requests are in flight than it keeps connections) woke all of them. Measured
 * with 17 workers behind 2 x keepalive 8: 1.3-1.8 context switches per request instead of 1.0,
 * and hyoka's CPU per request 30 % higher. */
static int wait_kept(FCGX_Request *req, int listen_fd, const sigset_t *unblocked)
{
    double idle_since = now_s();
    while (req->ipcFd >= 0) {
        double idle_ns = (now_s() - idle_since) * 1e9;
        bool watch = idle_ns >= KEPT_IDLE_NS ||
                     atomic_load_explicit(idle_acceptors, memory_order_relaxed) == 0;
        struct timespec until_idle = {0, watch ? 0 : (long)(KEPT_IDLE_NS - idle_ns)};
        /* The database socket too: a NOTIFY (new run) or a lost connection is read while the
         * worker waits, so a kept-alive request needs no PQconsumeInput of its own. A negative
         * fd is ignored by ppoll. */
        struct pollfd p[3] = {{req->ipcFd, POLLIN | POLLRDHUP, 0},
                              {watch ? listen_fd : -1, POLLIN, 0},
                              {db_socket(), POLLIN, 0}};
        int n = ppoll(p, 3, watch ? NULL : &until_idle, unblocked);
        if (n < 0) {
            if (errno == EINTR && !worker_stop)
                continue;
            return worker_stop ? -1 : 0;
        }
        if (p[2].revents != 0)
            db_poll();
        if (p[0].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
            FCGX_Free(req, 1); /* nginx closed it: the next FCGX_Accept_r accepts (see below) */
            return 0;
        }
        if (p[0].revents != 0)
            return 0; /* the next request is there */
        if ((p[1].revents & POLLIN) == 0)
            continue; /* idle long enough now, or the database spoke */
        struct timespec grace = {0, KEPT_GRACE_NS};
        struct pollfd kept = {req->ipcFd, POLLIN, 0};
        n = ppoll(&kept, 1, &grace, unblocked);
        if (n != 0)
            return n < 0 && worker_stop ? -1 : 0;
        struct pollfd lfd = {listen_fd, POLLIN, 0};
        if (poll(&lfd, 1, 0) > 0 && (lfd.revents & POLLIN)) {
            FCGX_Free(req, 1); /* closes the kept connection; ipcFd becomes -1 */
            return 0;
        }
    }
    return 0;
}

static _Noreturn void worker_main(int listen_fd)
{
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    struct sigaction sa = {0};
    sa.sa_handler = on_worker_signal; /* no SA_RESTART: a blocked accept()/read() must wake */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &stops, NULL); /* delivered only between requests */

    /* No fastbins: libfcgi allocates and frees two 8 KiB stream buffers and a few dozen small
     * strings per request, and each 8 KiB malloc made glibc consolidate the fastbins the small
     * frees had filled (malloc_consolidate: ~1 % of the machine's CPU under bench/http/run.sh).
     * Small blocks still come from the per-thread cache. */
    mallopt(M_MXFAST, 0);
    cache_configure((size_t)app.config.cache_bytes);
    FCGX_Request req;
    FCGX_InitRequest(&req, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
    log_debug("worker ready");
    for (;;) {
        if (wait_kept(&req, listen_fd, &none) < 0)
            break;
        /* SIGTERM is let in around FCGX_Accept_r: even on a kept connection that wait_kept saw
         * readable, nginx may close it at that moment, and libfcgi then blocks in accept(). */
        bool accepting = req.ipcFd < 0;
        sigprocmask(SIG_SETMASK, &none, NULL); /* a pending SIGTERM is handled right here */
        if (worker_stop)
            break;
        if (accepting)
            atomic_fetch_add_explicit(idle_acceptors, 1, memory_order_relaxed);
        int rc = FCGX_Accept_r(&req);
        if (accepting)
            atomic_fetch_sub_explicit(idle_acceptors, 1, memory_order_relaxed);
        sigprocmask(SIG_SETMASK, &stops, NULL);
        if (rc < 0) {
            if (worker_stop)
                break;
            continue; /* a connection that failed before a request: take the next one */
        }
        double t0 = now_s();
        if (accepting)
            db_poll(); /* a kept connection's wait_kept watched the database socket already */
        hy_req r;
        int route = route_count();
        if (http_req_init(&r, &req, app.config.max_query) == 0)
            route = route_dispatch(&r);
        if (r.status == 0)
            http_problem(&r, 500, NULL, "the request was not answered");
        drain_input(&req);
        metrics_request(route, r.status, now_s() - t0);
        log_debug("%s %s -> %d (%zu bytes, %.1f ms)", r.method, r.path, r.status, r.bytes_out,
                  (now_s() - t0) * 1e3);
        http_req_cleanup(&r);
        FCGX_Finish_r(&req);
    }
    FCGX_Finish_r(&req);
    db_close();
    cache_configure(0);
    store_explain_cache_clear();
    free_state(&app);
    _exit(0);
}

typedef struct slot {
    pid_t pid;          /* 0: to be (re)started at restart_at */
    double started, restart_at;
} slot;

static slot slots[HY_WORKERS_MAX];
static int nslots;
static pid_t retiring[MAX_RETIRING];
static int nretiring;

static pid_t spawn(int listen_fd, slot *s)
{
    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork: %s", strerror(errno));
        s->pid = 0;
        s->restart_at = now_s() + 1;
        return -1;
    }
    if (pid == 0)
        worker_main(listen_fd);
    s->pid = pid;
    s->started = now_s();
    return pid;
}

static int live_workers(void)
{
    int n = nretiring;
    for (int i = 0; i < nslots; i++)
        n += slots[i].pid > 0;
    return n;
}

static void reap(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        bool found = false;
        for (int i = 0; i < nretiring && !found; i++)
            if (retiring[i] == pid) {
                retiring[i] = retiring[--nretiring];
                found = true;
            }
        for (int i = 0; i < nslots && !found; i++) {
            if (slots[i].pid != pid)
                continue;
            found = true;
            if (WIFSIGNALED(status))
                log_error("worker %ld died of signal %d; replacing it", (long)pid,
                          WTERMSIG(status));
            else
                log_error("worker %ld exited with %d; replacing it", (long)pid,
                          WEXITSTATUS(status));
            metrics_worker_restart();
            double t = now_s();
            slots[i].pid = 0;
            slots[i].restart_at = t - slots[i].started < 1.0 ? t + 1.0 : t;
        }
    }
}

/* Forgets a worker the master has reaped. */
static void forget(pid_t pid)
{
    for (int i = 0; i < nretiring; i++)
        if (retiring[i] == pid) {
            retiring[i] = retiring[--nretiring];
            return;
        }
    for (int i = 0; i < nslots; i++)
        if (slots[i].pid == pid)
            slots[i].pid = 0;
}

/* Sends `sig` to every live worker, and to nothing else: kill(0, …) would reach the whole
 * process group, and with it the shell or supervisor that started the master. */
static void signal_workers(int sig)
{
    for (int i = 0; i < nslots; i++)
        if (slots[i].pid > 0)
            kill(slots[i].pid, sig);
    for (int i = 0; i < nretiring; i++)
        kill(retiring[i], sig);
}

static void master_stop(void)
{
    signal_workers(SIGTERM);
    double deadline = now_s() + DRAIN_TIMEOUT_S;
    int status;
    while (live_workers() > 0 && now_s() < deadline) {
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0)
            forget(pid);
        else if (pid == 0)
            usleep(20000);
        else if (errno == ECHILD)
            return;
    }
    if (live_workers() == 0)
        return;
    log_warn("%d workers still busy after %d s: killing them", live_workers(), DRAIN_TIMEOUT_S);
    signal_workers(SIGKILL);
    pid_t pid;
    while (live_workers() > 0 && (pid = waitpid(-1, &status, 0)) > 0)
        forget(pid);
}

static void master_reload(const char *config_path, int listen_fd)
{
    hy_app next;
    log_info("SIGHUP: reloading %s", config_path);
    if (load_state(config_path, true, &next) < 0) {
        log_error("reload refused; still serving rules %s (%s)", eng_rules_version(app.rules),
                  eng_rules_sha256(app.rules));
        metrics_reload(0);
        return;
    }
    if ((next.config.socket == NULL) != (app.config.socket == NULL) ||
        (next.config.socket != NULL && strcmp(next.config.socket, app.config.socket) != 0))
        log_warn("server.socket changed: the new socket is used after a restart, not a reload");
    if (next.config.socket != NULL || app.config.socket != NULL) {
        free(next.config.socket);
        next.config.socket = app.config.socket ? strdup(app.config.socket) : NULL;
    }
    /* The new generation starts first (forked with the new state), then the old one is told to
     * finish its current request and exit: there is always a worker to accept. */
    pid_t old[HY_WORKERS_MAX];
    int nold = 0;
    for (int i = 0; i < nslots; i++) {
        if (slots[i].pid > 0)
            old[nold++] = slots[i].pid;
        slots[i].pid = 0;
    }
    hy_app previous = app;
    app = next;
    log_set_level(app.config.log_level);
    nslots = app.config.workers;
    for (int i = 0; i < nslots; i++)
        spawn(listen_fd, &slots[i]);
    for (int i = 0; i < nold; i++) {
        kill(old[i], SIGTERM);
        if (nretiring < MAX_RETIRING)
            retiring[nretiring++] = old[i];
        else
            log_warn("too many retiring workers; worker %ld is not tracked", (long)old[i]);
    }
    free_state(&previous);
    metrics_reload(1);
    log_info("reloaded: rules %s (%s) from %s, %d workers", eng_rules_version(app.rules),
             eng_rules_sha256(app.rules), app.config.rules_file, nslots);
}

/* ---- main ----------------------------------------------------------------------------------- */

static void usage(FILE *out)
{
    fputs("usage: hyoka-fcgi [--config FILE] [--check-config]\n"
          "  --config FILE    service config (default $HYOKA_CONFIG, else /etc/hyoka/hyoka.cfg)\n"
          "  --check-config   validate the config and its rule file, print every error, exit\n"
          "Signals: SIGHUP reloads config and rules; SIGTERM drains requests and exits.\n",
          out);
}

int main(int argc, char **argv)
{
    const char *config_path = getenv("HYOKA_CONFIG");
    bool check = false;
    if (config_path == NULL || config_path[0] == '\0')
        config_path = "/etc/hyoka/hyoka.cfg";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check-config") == 0) {
            check = true;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            config_path = argv[i] + 9;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "hyoka-fcgi: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 1;
        }
    }

    if (check) {
        /* Against the built-in fact schema: the check needs no database. */
        eng_diags *d = eng_diags_new();
        hy_config c;
        int rc = hy_config_load(config_path, &c, d);
        eng_rules *rules = NULL;
        if (rc == 0) {
            eng_schema *s = eng_schema_new_builtin();
            rules = eng_rules_load_file(c.rules_file, s, d);
            eng_schema_free(s);
        }
        eng_diags_print(d, stderr);
        bool ok = rc == 0 && rules != NULL;
        if (ok)
            printf("ok: %s (rules %s, version %s)\n", config_path, c.rules_file,
                   eng_rules_version(rules));
        eng_rules_free(rules);
        hy_config_cleanup(&c);
        eng_diags_free(d);
        return ok ? 0 : 1;
    }

    if (load_state(config_path, true, &app) < 0) {
        log_error("%s: not started", config_path);
        return 1;
    }
    log_set_level(app.config.log_level);
    if (FCGX_Init() != 0 || metrics_init() < 0 || open_idle_acceptors() < 0) {
        log_error("cannot initialise libfcgi or the shared memory");
        return 2;
    }
    /* The master takes its signals synchronously (sigtimedwait); workers reset this. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int listen_fd = open_listener(&app.config);
    if (listen_fd < 0) {
        if (created_socket)
            unlink(app.config.socket);
        return 2;
    }
    nslots = app.config.workers;
    for (int i = 0; i < nslots; i++)
        spawn(listen_fd, &slots[i]);
    log_info("hyoka-fcgi started: %d workers, rules %s (%s)", nslots,
             eng_rules_version(app.rules), eng_rules_sha256(app.rules));

    for (;;) {
        metrics_set_workers(live_workers());
        struct timespec tick = {0, 200 * 1000 * 1000};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("%s: draining requests and stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        if (sig == SIGHUP)
            master_reload(config_path, listen_fd);
        reap();
        double t = now_s();
        for (int i = 0; i < nslots; i++)
            if (slots[i].pid == 0 && slots[i].restart_at <= t)
                spawn(listen_fd, &slots[i]);
    }
    master_stop();
    if (created_socket)
        unlink(app.config.socket);
    free_state(&app);
    log_info("stopped");
    return 0;
}
