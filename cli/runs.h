/* runs.h - what `hyoka evaluate`, `diff` and `report` share (defined in cmd_evaluate.c): the
 * database connection and rules named by options or the service config, and small printers. */
#ifndef HYOKA_CLI_RUNS_H
#define HYOKA_CLI_RUNS_H

#include "cli.h"
#include "engine.h"
#include "set_option.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Connects for command `cmd` (used in messages): the service config's writer_conninfo when
 * `writer` (else its conninfo), "" (PG* environment) when no config is named and the default
 * file does not exist. Sets *rules_file (malloc'd, caller frees; NULL if the config has none or
 * there is no config). Returns the connection, or NULL after printing why with *rc set to the
 * exit code. */
PGconn *runs_connect(const cli_opts *o, const char *cmd, bool writer, char **rules_file, int *rc);

/* Compiles `path` against the database's fact schema. Prints every diagnostic (warnings too) to
 * stderr; returns the rules, or NULL with *rc = CLI_EUSER (rule errors) or CLI_EENV (the file
 * cannot be read, or the database fails). */
eng_rules *runs_load_rules(PGconn *c, const char *path, const char *cmd, int *rc);

/* The `--set thresholds.NAME=NUMBER` values of a command (evaluate --dry-run, diff). */
typedef struct runs_overrides {
    int n;
    set_option *options;               /* n, as parsed */
    eng_threshold_override *overrides; /* n; names borrowed from `options` */
} runs_overrides;

/* Parses o->sets into *out (runs_overrides_cleanup frees it). Returns 0, or -1 after printing
 * "hyoka CMD: --set '...': what is wrong" for the first bad one. */
int runs_overrides_parse(const cli_opts *o, const char *cmd, runs_overrides *out);
void runs_overrides_cleanup(runs_overrides *ov);

/* `rules` with the thresholds of `ov` replaced (eng_rules_override); `rules` is consumed. With no
 * overrides, `rules` itself. Returns the rule set, or NULL with *rc = CLI_EUSER after printing
 * the errors (an unknown threshold is named, with the file's thresholds). */
eng_rules *runs_override(eng_rules *rules, const runs_overrides *ov, const char *cmd, int *rc);

/* Prints the errors of `d`, not its warnings (those of a rule file already printed once). */
void runs_print_errors(const eng_diags *d);

/* The first lines of a table output: the survey (as of, in 和暦 too), the rules (version, sha256,
 * replaced thresholds) and the run doc["run"] stored, or "dry run: nothing stored" without one. */
void runs_print_header(FILE *out, const json_t *doc, const eng_rules *rules);

/* Joins the "id" members of a JSON array of objects with ';' into out (truncated to n). */
void runs_join_ids(const json_t *arr, char *out, size_t n);

#endif
