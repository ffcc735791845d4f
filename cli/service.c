/* service.c - the service config and database connection shared by the database commands. */
#include "i18n.h"
#include "service.h"

#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int service_config(const cli_opts *o, const char *cmd, hy_config *cfg, bool need_rules)
{
    const char *path = cli_config_path(o);
    const char *env = getenv("HYOKA_CONFIG");
    bool named = o->config != NULL || (env != NULL && env[0] != '\0');

    memset(cfg, 0, sizeof *cfg);
    cfg->lock_wait = -1;
    if (access(path, F_OK) != 0) {
        if (!named)
            return 0;
        fprintf(stderr, _("hyoka %s: cannot read the service config %s: %s\n"), cmd, path,
                strerror(errno));
        return -1;
    }
    eng_diags *diags = eng_diags_new();
    int rc = need_rules ? hy_config_load(path, cfg, diags)
                        : hy_config_load_database(path, cfg, diags);
    eng_diags_print(diags, stderr); /* the errors, or warnings only */
    eng_diags_free(diags);
    if (rc != 0) {
        fprintf(stderr, _("hyoka %s: the service config %s has errors\n"), cmd, path);
        return -1;
    }
    return 0;
}

int cli_service_config(const cli_opts *o, const char *cmd, hy_config *cfg)
{
    return service_config(o, cmd, cfg, true);
}

int cli_database_config(const cli_opts *o, const char *cmd, hy_config *cfg)
{
    return service_config(o, cmd, cfg, false);
}

const char *cli_conninfo(const hy_config *cfg, bool writer)
{
    if (writer && cfg->writer_conninfo != NULL)
        return cfg->writer_conninfo;
    return cfg->conninfo != NULL ? cfg->conninfo : "";
}

PGconn *cli_connect(const cli_opts *o, const char *cmd, bool writer, hy_config *cfg, int *rc)
{
    hy_config local;
    hy_config *c = cfg != NULL ? cfg : &local;
    if (cli_service_config(o, cmd, c) != 0) {
        if (cfg == NULL)
            hy_config_cleanup(&local);
        *rc = CLI_EENV;
        return NULL;
    }
    /* "hyoka import" in pg_stat_activity, and in the message of a writer waiting for its lock */
    static char name[64];
    snprintf(name, sizeof name, "hyoka %s", cmd);
    store_set_application_name(name);
    store_set_lock_wait(c->lock_wait >= 0 ? c->lock_wait : STORE_LOCK_WAIT_DEFAULT, stderr);
    store_error err;
    store_error_clear(&err);
    PGconn *conn = store_connect(cli_conninfo(c, writer), &err);
    if (cfg == NULL)
        hy_config_cleanup(&local);
    if (conn == NULL) {
        fprintf(stderr, _("hyoka %s: %s\n"), cmd, err.message);
        *rc = store_exit_code(err.status);
    }
    return conn;
}
