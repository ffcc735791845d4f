/* cmd_migrate.c - `hyoka migrate`: creates or upgrades the database schema from sql/NNN_*.sql. */
#include "cli.h"
#include "service.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_migrate(const cli_opts *o)
{
    hy_config cfg;
    if (cli_service_config(o, "migrate", &cfg) != 0) {
        hy_config_cleanup(&cfg);
        return CLI_EENV;
    }
    store_error err = {0};
    /* No schema check: creating the schema is the point. */
    PGconn *c = store_connect_raw(cli_conninfo(&cfg, true), &err);
    hy_config_cleanup(&cfg);
    if (c == NULL) {
        fprintf(stderr, "hyoka migrate: %s\n", err.message);
        return store_exit_code(err.status);
    }
    const char *dir = store_sql_dir();
    int applied = store_migrate(c, dir, stdout, &err);
    PQfinish(c);
    if (applied < 0) {
        fprintf(stderr, "hyoka migrate: %s\n", err.message);
        return store_exit_code(err.status);
    }
    return CLI_OK;
}
