/* service.h - how every database command of `hyoka` finds its database: the service config
 * named by the options (cli_config_path) or, when none is named and the default file does not
 * exist, the PG* environment alone. One place, so that every command treats the config alike. */
#ifndef HYOKA_CLI_SERVICE_H
#define HYOKA_CLI_SERVICE_H

#include "cli.h"
#include "config.h"

#include <libpq-fe.h>
#include <stdbool.h>

/* Loads the service config into *cfg (which the caller later passes to hy_config_cleanup).
 * No config named (no --config, no $HYOKA_CONFIG) and no default file: *cfg is left empty and
 * the PG* environment decides. Returns 0, or -1 after printing every error of the config (or
 * why it cannot be read) prefixed by "hyoka CMD: "; the exit code is then CLI_EENV. */
int cli_service_config(const cli_opts *o, const char *cmd, hy_config *cfg);
/* The same for a command that only connects: rules.file may be absent (cfg->rules_file NULL). */
int cli_database_config(const cli_opts *o, const char *cmd, hy_config *cfg);

/* The conninfo to use from a loaded config: for a writing command database.writer_conninfo if
 * set, else database.conninfo; "" (PG* environment only) when neither is set. Owned by cfg. */
const char *cli_conninfo(const hy_config *cfg, bool writer);

/* cli_service_config + store_connect (which checks the schema) in one step. Returns the
 * connection, or NULL after printing why, with *rc set to the exit code. When `cfg` is not NULL
 * the loaded config is left there for the caller (cleanup it in every case). */
PGconn *cli_connect(const cli_opts *o, const char *cmd, bool writer, hy_config *cfg, int *rc);

#endif
