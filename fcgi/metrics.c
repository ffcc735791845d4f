/* metrics.c - request, latency, database, reload and cache counters in shared memory (Prometheus text). */
#include "metrics.h"

#include "route.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef atomic_ulong counter;

/* Statuses the server answers with; anything else is counted as "other" (index NSTATUS). */
static const int statuses[] = {200, 201, 400, 401, 403, 404, 405, 413, 414, 500, 503};
#define NSTATUS (sizeof statuses / sizeof statuses[0])
/* Latency histogram upper bounds in seconds (the +Inf bucket is the count). */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,   5};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

typedef struct shared {
    counter requests[METRICS_MAX_ROUTES][NSTATUS + 1];
    counter buckets[METRICS_MAX_ROUTES][NBOUNDS];
    counter count[METRICS_MAX_ROUTES];
    counter sum_us[METRICS_MAX_ROUTES];
    counter db_errors, reloads, reload_failures, worker_restarts, cache_hits, cache_misses;
    counter conns_accepted, conns_handed_back;
    counter standby_polls;
    counter reads_returned;
    counter workers;
} shared;

static shared *m;

int metrics_init(void)
{
    void *p = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    m = p; /* zero-filled by the kernel */
    return 0;
}

static void add(counter *c, unsigned long v)
{
    atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static unsigned long get(counter *c) { return atomic_load_explicit(c, memory_order_relaxed); }

void metrics_request(int route, int status, double seconds)
{
    if (route < 0)
        route = route_count(); /* not routed: "unmatched" */
    if (m == NULL || route >= METRICS_MAX_ROUTES)
        return;
    size_t s = 0;
    while (s < NSTATUS && statuses[s] != status)
        s++;
    add(&m->requests[route][s], 1);
    for (size_t b = 0; b < NBOUNDS; b++)
        if (seconds <= bounds[b])
            add(&m->buckets[route][b], 1);
    add(&m->count[route], 1);
    add(&m->sum_us[route], (unsigned long)(seconds * 1e6));
}

void metrics_db_error(void) { if (m) add(&m->db_errors, 1); }
void metrics_reload(int ok) { if (m) add(ok ? &m->reloads : &m->reload_failures, 1); }
void metrics_worker_restart(void) { if (m) add(&m->worker_restarts, 1); }
void metrics_cache(int hit) { if (m) add(hit ? &m->cache_hits : &m->cache_misses, 1); }
void metrics_connection(int accepted, int handed_back)
{
    if (m) {
        add(&m->conns_accepted, (unsigned long)accepted);
        add(&m->conns_handed_back, (unsigned long)handed_back);
    }
}
void metrics_standby_poll(void) { if (m) add(&m->standby_polls, 1); }
void metrics_reads_returned(void) { if (m) add(&m->reads_returned, 1); }
void metrics_set_workers(int n)
{
    if (m)
        atomic_store_explicit(&m->workers, (unsigned long)n, memory_order_relaxed);
}

typedef struct out {
    char *buf;
    size_t n, len;
    int overflow;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...)
{
    if (o->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(o->buf + o->len, o->n - o->len, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= o->n - o->len) {
        o->overflow = 1;
        return;
    }
    o->len += (size_t)w;
}

/* Label values are route names and rule versions; escape what the text format requires. */
static void put_label(out *o, const char *v)
{
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            put(o, "\\%c", *v);
        else if (*v == '\n')
            put(o, "\\n");
        else
            put(o, "%c", *v);
    }
}

long metrics_write(char *buf, size_t n, const char *rules_version, const char *rules_sha256,
                   double rules_loaded_at)
{
    out o = {buf, n, 0, 0};
    if (m == NULL)
        return -1;
    int nroutes = route_count() + 1;
    put(&o, "# HELP hyoka_http_requests_total Requests answered, by route and status.\n"
            "# TYPE hyoka_http_requests_total counter\n");
    for (int r = 0; r < nroutes; r++)
        for (size_t s = 0; s <= NSTATUS; s++) {
            unsigned long v = get(&m->requests[r][s]);
            if (v == 0)
                continue;
            put(&o, "hyoka_http_requests_total{route=\"");
            put_label(&o, route_name(r));
            if (s < NSTATUS)
                put(&o, "\",status=\"%d\"} %lu\n", statuses[s], v);
            else
                put(&o, "\",status=\"other\"} %lu\n", v);
        }
    put(&o, "# HELP hyoka_http_request_duration_seconds Time from the request read to its answer written.\n"
            "# TYPE hyoka_http_request_duration_seconds histogram\n");
    for (int r = 0; r < nroutes; r++) {
        unsigned long count = get(&m->count[r]);
        if (count == 0)
            continue;
        for (size_t b = 0; b < NBOUNDS; b++) {
            put(&o, "hyoka_http_request_duration_seconds_bucket{route=\"");
            put_label(&o, route_name(r));
            put(&o, "\",le=\"%g\"} %lu\n", bounds[b], get(&m->buckets[r][b]));
        }
        put(&o, "hyoka_http_request_duration_seconds_bucket{route=\"");
        put_label(&o, route_name(r));
        put(&o, "\",le=\"+Inf\"} %lu\n", count);
        put(&o, "hyoka_http_request_duration_seconds_sum{route=\"");
        put_label(&o, route_name(r));
        put(&o, "\"} %.6f\n", (double)get(&m->sum_us[r]) / 1e6);
        put(&o, "hyoka_http_request_duration_seconds_count{route=\"");
        put_label(&o, route_name(r));
        put(&o, "\"} %lu\n", count);
    }
    put(&o, "# HELP hyoka_db_errors_total Failed database connections and queries.\n"
            "# TYPE hyoka_db_errors_total counter\nhyoka_db_errors_total %lu\n",
        get(&m->db_errors));
    put(&o, "# HELP hyoka_reloads_total SIGHUP reloads, by outcome.\n"
            "# TYPE hyoka_reloads_total counter\n"
            "hyoka_reloads_total{result=\"ok\"} %lu\nhyoka_reloads_total{result=\"refused\"} %lu\n",
        get(&m->reloads), get(&m->reload_failures));
    put(&o, "# HELP hyoka_worker_restarts_total Workers that died unexpectedly and were replaced.\n"
            "# TYPE hyoka_worker_restarts_total counter\nhyoka_worker_restarts_total %lu\n",
        get(&m->worker_restarts));
    put(&o, "# HELP hyoka_workers Worker processes alive.\n# TYPE hyoka_workers gauge\n"
            "hyoka_workers %lu\n", get(&m->workers));
    put(&o, "# HELP hyoka_connections_total FastCGI connections from nginx: accepted, and idle ones"
            " handed back before a request waited on the database.\n"
            "# TYPE hyoka_connections_total counter\n"
            "hyoka_connections_total{event=\"accepted\"} %lu\n"
            "hyoka_connections_total{event=\"handed_back\"} %lu\n",
        get(&m->conns_accepted), get(&m->conns_handed_back));
    put(&o, "# HELP hyoka_cache_lookups_total Lookups in the stored-run cache, by result.\n"
            "# TYPE hyoka_cache_lookups_total counter\n"
            "hyoka_cache_lookups_total{result=\"hit\"} %lu\n"
            "hyoka_cache_lookups_total{result=\"miss\"} %lu\n",
        get(&m->cache_hits), get(&m->cache_misses));
    put(&o, "# HELP hyoka_standby_polls_total Reads of data_version by workers reading from a hot"
            " standby (database.standby_poll_ms).\n"
            "# TYPE hyoka_standby_polls_total counter\nhyoka_standby_polls_total %lu\n",
        get(&m->standby_polls));
    put(&o, "# HELP hyoka_db_reads_returned_total Times a worker moved its reads back to the host"
            " database.conninfo prefers (database.preferred_retry_ms).\n"
            "# TYPE hyoka_db_reads_returned_total counter\nhyoka_db_reads_returned_total %lu\n",
        get(&m->reads_returned));
    put(&o, "# HELP hyoka_rules_info The rule set this worker evaluates with.\n"
            "# TYPE hyoka_rules_info gauge\nhyoka_rules_info{version=\"");
    put_label(&o, rules_version);
    put(&o, "\",sha256=\"");
    put_label(&o, rules_sha256);
    put(&o, "\"} 1\n# HELP hyoka_rules_loaded_timestamp_seconds When the rules were loaded.\n"
            "# TYPE hyoka_rules_loaded_timestamp_seconds gauge\n"
            "hyoka_rules_loaded_timestamp_seconds %.3f\n", rules_loaded_at);
    return o.overflow ? -1 : (long)o.len;
}

long metrics_write_reads(char *buf, size_t n, const char *host, const char *port, int standby,
                         double replay_lag_s)
{
    out o = {buf, n, 0, 0};
    put(&o, "# HELP hyoka_db_reads_info Where the answering worker reads from: host and port of"
            " its connection, 1 if a hot standby.\n"
            "# TYPE hyoka_db_reads_info gauge\nhyoka_db_reads_info{host=\"");
    put_label(&o, host);
    put(&o, "\",port=\"");
    put_label(&o, port);
    put(&o, "\",standby=\"%s\"} 1\n", standby ? "true" : "false");
    put(&o, "# HELP hyoka_db_replay_lag_seconds How far the standby the answering worker reads from"
            " is behind (age of its last replayed commit; 0 when it has replayed all it received,"
            " and on a primary).\n"
            "# TYPE hyoka_db_replay_lag_seconds gauge\nhyoka_db_replay_lag_seconds %.3f\n",
        replay_lag_s);
    return o.overflow ? -1 : (long)o.len;
}
