/* cli.h - the `hyoka` command line: parsed options and the command table's entry points.
 *
 * Each command lives in its own cli/cmd_NAME.c and is listed once in the table in cli/main.c.
 * A command returns an exit code: CLI_OK, CLI_EUSER (bad input, failed check or test) or CLI_EENV
 * (environment: no database, unreadable file). It prints its own messages to stderr.
 */
#ifndef HYOKA_CLI_H
#define HYOKA_CLI_H

#include <stdbool.h>

enum { CLI_OK = 0, CLI_EUSER = 1, CLI_EENV = 2 };

/* Options a command accepts, as a bit set (the table in main.c says which go with which). */
enum {
    OPT_CONFIG = 1 << 0,   /* --config FILE */
    OPT_RULES = 1 << 1,    /* --rules FILE */
    OPT_SURVEY = 1 << 2,   /* --survey CODE */
    OPT_FORMAT = 1 << 3,   /* --format NAME */
    OPT_ENCODING = 1 << 4, /* --encoding NAME */
    OPT_DRY_RUN = 1 << 5,  /* --dry-run */
    OPT_DB = 1 << 6,       /* --db */
    OPT_CONNINFO = 1 << 7, /* --conninfo CONNINFO */
    OPT_RUN = 1 << 8,      /* --run ID */
    OPT_SET = 1 << 9,      /* --set thresholds.NAME=VALUE, repeatable (cli/set_option.h) */
    OPT_ANALYZE = 1 << 10,    /* --analyze (check): gaps and shadows, engine/analyze.h */
    OPT_COVERAGE = 1 << 11,   /* --coverage (test): which entries the cases matched */
    OPT_FAIL_UNDER = 1 << 12, /* --fail-under PERCENT (test --coverage, coverage) */
};

typedef struct cli_opts {
    const char *command;
    const char *config;   /* as given; NULL if not given (see cli_config_path) */
    const char *rules;
    const char *survey;
    const char *format;
    const char *encoding;
    const char *conninfo; /* --conninfo: the database owner's connection (migrate, doctor) */
    const char *run;      /* --run: an evaluation run's id, as given */
    int nsets;            /* --set values, in the order given */
    const char **sets;
    bool dry_run;
    bool db;
    bool analyze;
    bool coverage;
    const char *fail_under; /* --fail-under, as given */
    int nargs;            /* positional arguments after the command name */
    char **args;
} cli_opts;

/* The service config path: --config, else $HYOKA_CONFIG, else /etc/hyoka/hyoka.cfg. */
const char *cli_config_path(const cli_opts *o);

int cmd_check(const cli_opts *o);
int cmd_test(const cli_opts *o);
int cmd_import(const cli_opts *o);
int cmd_migrate(const cli_opts *o);
int cmd_evaluate(const cli_opts *o);
int cmd_diff(const cli_opts *o);
int cmd_report(const cli_opts *o);
int cmd_doctor(const cli_opts *o);
int cmd_explain(const cli_opts *o);
int cmd_sweep(const cli_opts *o);
int cmd_coverage(const cli_opts *o);

#endif
