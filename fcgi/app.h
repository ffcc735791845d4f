/* app.h - the server's state that handlers read: the service config and the loaded rule set.
 *
 * The master fills it before forking workers and replaces it on a good SIGHUP reload (new
 * workers are forked with the new state; old ones finish their request and exit), so inside a
 * worker it never changes and needs no locking.
 */
#ifndef HYOKA_FCGI_APP_H
#define HYOKA_FCGI_APP_H

#include "config.h"
#include "engine.h"

#include <stdbool.h>

typedef struct hy_app {
    hy_config config;
    eng_rules *rules;
    double rules_loaded_at;     /* seconds since the epoch */
    char rules_loaded_iso[40];  /* the same as ISO 8601 UTC */
    bool rules_checked_db;      /* compiled against the database's view (false: built-in schema) */
} hy_app;

extern hy_app app;

/* Seconds on the monotonic clock (durations, deadlines). */
double app_now(void);

#endif
