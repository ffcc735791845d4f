/* cmd_migrate.c - `hyoka migrate`: creates or upgrades the database schema from sql/NNN_*.sql.
 *
 * Migrations create tables and the roles hyoka_web and hyoka_writer, so they run as the
 * database's owner: --conninfo names that connection and then no service config is read. Without
 * it the service config's writer (else reader) conninfo is used, or the PG* environment when no
 * config exists; rules.file is never needed. */
#include "i18n.h"
#include "cli.h"
#include "service.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_migrate(const cli_opts *o)
{
    hy_config cfg = {0};
    const char *conninfo = o->conninfo;
    if (conninfo == NULL) {
        if (cli_database_config(o, "migrate", &cfg) != 0) {
            hy_config_cleanup(&cfg);
            return CLI_EENV;
        }
        conninfo = cli_conninfo(&cfg, true);
    }
    store_error err = {0};
    /* No schema check: creating the schema is the point. */
    PGconn *c = store_connect_raw(conninfo, &err);
    if (c == NULL) {
        fprintf(stderr, _("hyoka migrate: %s\n"), err.message);
        if (o->conninfo == NULL && cfg.path != NULL)
            fprintf(stderr,
                    _("hyoka migrate: that was the writer's connection of %s; migrations need the "
                    "database's owner (they create the roles hyoka_web and hyoka_writer): as the "
                    "postgres user, run hyoka migrate --conninfo \"dbname=hyoka\"\n"),
                    cfg.path);
        hy_config_cleanup(&cfg);
        return store_exit_code(err.status);
    }
    hy_config_cleanup(&cfg);
    const char *dir = store_sql_dir();
    int applied = store_migrate(c, dir, stdout, &err);
    PQfinish(c);
    if (applied < 0) {
        fprintf(stderr, _("hyoka migrate: %s\n"), err.message);
        return store_exit_code(err.status);
    }
    return CLI_OK;
}
