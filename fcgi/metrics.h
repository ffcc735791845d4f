/* metrics.h - counters for /metrics, shared by the master and every worker.
 *
 * metrics_init() creates one MAP_SHARED anonymous mapping before the workers are forked; every
 * process then updates it with relaxed atomics, so /metrics served by any worker shows the whole
 * server. Nothing here allocates after metrics_init.
 */
#ifndef HYOKA_FCGI_METRICS_H
#define HYOKA_FCGI_METRICS_H

#include <stddef.h>

#define METRICS_MAX_ROUTES 32 /* route table entries + 1 for "unmatched" */

/* Returns 0, or -1 if the mapping cannot be created (errno set). Call once, before fork(). */
int metrics_init(void);
/* One answered request: route index (route_count() or -1 for unmatched), HTTP status, seconds
 * taken; http_reply calls it just before the answer is written. */
void metrics_request(int route, int status, double seconds);
void metrics_db_error(void);
void metrics_reload(int ok);          /* a SIGHUP reload: ok 1 = applied, 0 = refused */
void metrics_worker_restart(void);    /* a worker that died unexpectedly was replaced */
void metrics_cache(int hit);          /* cache lookup of a stored-run response */
void metrics_set_workers(int n);      /* live workers, set by the master */
void metrics_standby_poll(void);      /* a worker on a hot standby read data_version */
void metrics_reads_returned(void);    /* a worker moved its reads back to a preferred host */
/* Connections a worker accepted, and idle ones it handed back to nginx (worker_shed_idle). */
void metrics_connection(int accepted, int handed_back);
/* Prometheus text exposition (version 0.0.4) into buf; returns the length, or -1 if it does not
 * fit. `rules_version`/`rules_sha256` are the rules of the answering worker. */
long metrics_write(char *buf, size_t n, const char *rules_version, const char *rules_sha256,
                   double rules_loaded_at);
/* The answering worker's database (db_where): hyoka_db_reads_info and
 * hyoka_db_replay_lag_seconds, into buf; the length, or -1 if it does not fit. */
long metrics_write_reads(char *buf, size_t n, const char *host, const char *port, int standby,
                         double replay_lag_s);

#endif
