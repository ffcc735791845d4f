/* main.c - hyoka-fcgi: the master process (config, rules, socket, signals) and its workers.
 *
 * Process model. The master loads and validates the config and the rules, opens the FastCGI
 * socket and forks server.workers workers; it never serves a request. Each worker (worker.c) is
 * single-threaded with its own PGconn and its own cache, and serves every connection nginx opens
 * to it from one epoll loop, a request at a time. A few workers per CPU are enough: the number
 * of workers is independent of nginx's upstream `keepalive` (docs/operations.md).
 *
 *   SIGHUP   master: reload config + rules, validated first (rules compiled against the
 *            database's evaluation_facts view, or the built-in schema when the database is down).
 *            Refused: errors logged with file:line, the running workers keep the last good state.
 *            Accepted: a new generation of workers is forked with the new state, then every old
 *            worker gets SIGTERM and exits after its current request. The listening socket stays
 *            open throughout, so no connection is refused and no request is dropped.
 *   SIGTERM  master: SIGTERM to every worker, wait for them (in-flight requests complete), remove
 *   SIGINT   the socket it created, exit 0.
 *   worker   SIGTERM/SIGINT are blocked while a request is being served and delivered only while
 *            it waits in epoll_pwait; it then answers the requests already sent on its
 *            connections, closes them and exits 0.
 *   crash    a worker that dies otherwise is replaced (counted in hyoka_worker_restarts_total);
 *            one that dies within a second of starting is replaced after a second's pause.
 * Workers get SIGTERM when the master dies (PR_SET_PDEATHSIG), so none is left behind.
 */
#define _GNU_SOURCE /* pipe2 */
#include "i18n.h"
#include "app.h"
#include "db.h"
#include "engine.h"
#include "log.h"
#include "metrics.h"
#include "evaluate.h"
#include "store.h"
#include "worker.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <fcgiapp.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_TIMEOUT_S 30       /* SIGTERM: workers still busy after this get SIGKILL */
#define MAX_RETIRING 1024        /* old-generation workers finishing their last request */
#define SYSTEMD_FD 3             /* SD_LISTEN_FDS_START */
#define WARMUP_TIMEOUT_S 20      /* reload: longest wait for the new workers to load the latest run */

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
    /* every connection from here on (workers fork later) is "hyoka-fcgi" in pg_stat_activity;
     * a POST evaluation waits for another one at most database.lock_wait */
    store_set_application_name("hyoka-fcgi");
    store_set_lock_wait(a.config.lock_wait >= 0 ? a.config.lock_wait : STORE_LOCK_WAIT_DEFAULT,
                        NULL);
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
    /* A socket systemd passed (hyoka-fcgi.socket, at the path of server.socket) comes first:
     * server.socket is then where doctor looks, and what a start without systemd creates. */
    const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
    if (fds != NULL && pid != NULL && atol(pid) == (long)getpid()) {
        if (atoi(fds) != 1 || !is_socket(SYSTEMD_FD)) {
            log_error("systemd passed LISTEN_FDS=%s; exactly one socket (fd 3) is supported", fds);
            return -1;
        }
        log_info("listening on the socket systemd passed (fd 3)");
        return SYSTEMD_FD;
    }
    if (c->socket != NULL)
        return open_unix_socket(c);
    if (!is_socket(0)) {
        log_error("%s has no server.socket and fd 0 is not a socket (spawn-fcgi, systemd)",
                  c->path);
        return -1;
    }
    log_info("listening on the socket passed on fd 0");
    return 0;
}

/* ---- supervising the workers (worker.c) ------------------------------------------------- */

typedef struct slot {
    pid_t pid;          /* 0: to be (re)started at restart_at */
    double started, restart_at;
} slot;

static slot slots[HY_WORKERS_MAX];
static int nslots;
static pid_t retiring[MAX_RETIRING];
static int nretiring;

/* During a reload, the pipe whose write end each new worker closes once it is ready. */
static int warm_pipe[2] = {-1, -1};

static pid_t spawn(int listen_fd, slot *s)
{
    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork: %s", strerror(errno));
        s->pid = 0;
        s->restart_at = app_now() + 1;
        return -1;
    }
    if (pid == 0) {
        if (warm_pipe[0] >= 0)
            close(warm_pipe[0]);
        worker_main(listen_fd, warm_pipe[1]);
    }
    s->pid = pid;
    s->started = app_now();
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
            double t = app_now();
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
    double deadline = app_now() + DRAIN_TIMEOUT_S;
    int status;
    while (live_workers() > 0 && app_now() < deadline) {
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

/* Waits until every worker of the new generation has loaded the latest run and closed its end of
 * warm_pipe (or died), at most WARMUP_TIMEOUT_S or until SIGTERM/SIGINT is pending. Meanwhile the
 * old generation keeps answering, so a reload never sends requests to cold caches: a run of
 * 100,000 initiatives takes a worker 0.4 s to load. */
static void wait_warm(void)
{
    close(warm_pipe[1]);
    double t0 = app_now(), deadline = t0 + WARMUP_TIMEOUT_S;
    char byte;
    for (;;) {
        struct pollfd p = {warm_pipe[0], POLLIN, 0};
        int n = poll(&p, 1, 100);
        if (n > 0 && read(warm_pipe[0], &byte, 1) <= 0) {
            log_info("new workers ready in %.0f ms", (app_now() - t0) * 1e3);
            break;
        }
        sigset_t pending;
        sigpending(&pending);
        if (app_now() >= deadline || sigismember(&pending, SIGTERM) ||
            sigismember(&pending, SIGINT)) {
            log_warn("not waiting any longer for the new workers to load the latest run");
            break;
        }
    }
    close(warm_pipe[0]);
    warm_pipe[0] = warm_pipe[1] = -1;
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
        next.config.socket = app.config.socket ? xstrdup(app.config.socket) : NULL;
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
    http_set_default_language(app.config.language); /* api.language */
    if (hy_lang_locale(HY_LANG_JA) == (locale_t)0)
        log_warn("the locale ja_JP.UTF-8 is not installed: problems asked for in Japanese are "
                 "answered in English (localedef -i ja_JP -f UTF-8 ja_JP.UTF-8)");
    nslots = app.config.workers;
    bool warm = pipe2(warm_pipe, O_CLOEXEC) == 0;
    for (int i = 0; i < nslots; i++)
        spawn(listen_fd, &slots[i]);
    if (warm)
        wait_warm();
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
    fputs(_("usage: hyoka-fcgi [--config FILE] [--check-config] | --version\n"
            "  --config FILE    service config (default $HYOKA_CONFIG, else /etc/hyoka/hyoka.cfg)\n"
            "  --check-config   validate the config and its rule file, print every error, exit\n"
            "  --version        print the version and exit\n"
            "Signals: SIGHUP reloads config and rules; SIGTERM drains requests and exits.\n"),
          out);
}

int main(int argc, char **argv)
{
    hy_i18n_init_program(); /* --check-config in the caller's language; requests choose their own */
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
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("hyoka-fcgi %s\n", HYOKA_VERSION);
            return 0;
        } else {
            fprintf(stderr, _("hyoka-fcgi: unknown argument '%s'\n"), argv[i]);
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
            printf(_("ok: %s (rules %s, version %s)\n"), config_path, c.rules_file,
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
    http_set_default_language(app.config.language); /* api.language */
    if (FCGX_Init() != 0 || metrics_init() < 0) {
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
    if (db_share_init() < 0)
        log_warn("shared run counter: %s (a GET right after a POST may answer from the run before "
                 "until the notification arrives)", strerror(errno));
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
        double t = app_now();
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
