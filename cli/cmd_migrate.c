/* cmd_migrate.c - `hyoka migrate`: creates or upgrades the database schema from sql/NNN_*.sql. */
#include "cli.h"
#include "config.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The conninfo a writing command uses: the service config's database.writer_conninfo, else its
 * database.conninfo; "" (the PG* environment only) when the default config file does not exist.
 * A config named by --config or $HYOKA_CONFIG must exist. Returns a malloc'd string, or NULL
 * after printing the config's errors. */
static char *writer_conninfo(const cli_opts *o)
{
    const char *path = cli_config_path(o);
    const char *env = getenv("HYOKA_CONFIG");
    bool named = o->config != NULL || (env != NULL && env[0] != '\0');
    if (!named && access(path, F_OK) != 0)
        return strdup("");
    hy_config cfg = {0};
    eng_diags *diags = eng_diags_new();
    char *conninfo = NULL;
    if (hy_config_load(path, &cfg, diags) != 0) {
        eng_diags_print(diags, stderr);
    } else {
        const char *ci = cfg.writer_conninfo != NULL ? cfg.writer_conninfo : cfg.conninfo;
        conninfo = strdup(ci != NULL ? ci : "");
    }
    hy_config_cleanup(&cfg);
    eng_diags_free(diags);
    return conninfo;
}

int cmd_migrate(const cli_opts *o)
{
    char *conninfo = writer_conninfo(o);
    if (conninfo == NULL)
        return CLI_EENV;
    store_error err = {0};
    PGconn *c = store_connect_raw(conninfo, &err);
    free(conninfo);
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
