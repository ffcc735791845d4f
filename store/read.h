/* read.h - the read model: which stored run a view shows.
 *
 * A run is readable once it is published (sql/010): the writer publishes it after the COMMIT that
 * stored it, so a reader that sees it also sees all its results. Every view (the server, the CLI,
 * the report) decides "the current run of a survey" here and nowhere else. Queries that join
 * runs themselves bound them with STORE_READ_PUBLISHED ("r.id <= " STORE_READ_PUBLISHED).
 */
#ifndef HYOKA_STORE_READ_H
#define HYOKA_STORE_READ_H

#include "store.h"

/* The newest published run id, as an SQL scalar subquery. */
#define STORE_READ_PUBLISHED "(SELECT newest_run FROM data_version)"

typedef enum {
    STORE_RUN_FOUND = 0,
    STORE_RUN_NO_SURVEY, /* no survey has that code */
    STORE_RUN_NONE,      /* the survey (or, without a code, every survey) has no published run */
} store_run_lookup;

/* The current run of survey `survey_code`: its newest published run; without a code, the newest
 * published run of the survey with the latest as-of date that has one. Returns a
 * store_run_lookup (*run_id set when FOUND), or -1 with err set (a database failure). */
int store_read_current_run(PGconn *c, const char *survey_code, long long *run_id,
                           store_error *err);

/* What a cache of runs and imported data depends on: the newest published run id and the import
 * counter (sql/009). 0, or -1 with err set. */
int store_read_versions(PGconn *c, long long *newest_run, long long *data_version,
                        store_error *err);

/* Publishes run `run_id`, stored by a transaction that has committed; readers see it from now
 * on, and listeners on hyoka_runs hear of it. 0, or -1 with err set. */
int store_publish_run(PGconn *c, long long run_id, store_error *err);

#endif
