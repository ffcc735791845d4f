/* main.c - `hyoka`: option parsing and the command table. Commands live in cmd_*.c. */
#include <stddef.h>
#include "i18n.h"
#include "cli.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(const cli_opts *o);
    unsigned options;  /* OPT_* accepted */
    int min_args;      /* positional arguments */
    int max_args;      /* -1: any number */
    const char *usage; /* after "hyoka NAME " */
    const char *summary;
} command;

static const command commands[] = {
    {"check", cmd_check, OPT_CONFIG | OPT_DB | OPT_ANALYZE, 1, 1, "[--db] [--analyze] RULES",
     N_("validate a rule set; every error as file:line:col; --analyze: gaps and shadows")},
    {"test", cmd_test, OPT_CONFIG | OPT_COVERAGE | OPT_FAIL_UNDER, 2, 2,
     "[--coverage [--fail-under PERCENT]] RULES CASES",
     N_("run rule test cases; --coverage: which entries the cases matched")},
    {"import", cmd_import, OPT_CONFIG | OPT_ENCODING | OPT_DRY_RUN, 1, -1,
     "[--encoding utf-8|cp932] [--dry-run] FILE.csv...", N_("load CSV files in one transaction")},
    {"migrate", cmd_migrate, OPT_CONFIG | OPT_CONNINFO, 0, 0, "[--conninfo CONNINFO]",
     N_("create or upgrade the database schema and its roles (as the database's owner)")},
    {"evaluate", cmd_evaluate,
     OPT_CONFIG | OPT_RULES | OPT_SURVEY | OPT_DRY_RUN | OPT_FORMAT | OPT_SET, 0, 0,
     "[--survey CODE] [--rules FILE] [--dry-run [--set thresholds.NAME=NUMBER]...] "
     "[--format table|json|csv]",
     N_("evaluate a survey and store the run")},
    {"diff", cmd_diff, OPT_CONFIG | OPT_SURVEY | OPT_FORMAT | OPT_SET, 1, 2,
     "[--survey CODE] [--format table|json] [--set thresholds.NAME=NUMBER]... RULES_A [RULES_B]",
     N_("what-if: initiatives whose results would change")},
    {"sweep", cmd_sweep, OPT_CONFIG | OPT_SURVEY | OPT_FORMAT | OPT_SET, 1, 1,
     "[--survey CODE] [--format table|csv|json] RULES --set thresholds.NAME=FROM:TO:STEP",
     N_("what-if over a range: counts at each value of one threshold, and who changes category")},
    {"doctor", cmd_doctor, OPT_CONFIG, 0, 0, "",
     N_("check an installation: config, rules, database roles and grants, socket, nginx")},
    {"report", cmd_report, OPT_CONFIG | OPT_SURVEY | OPT_FORMAT, 0, 0,
     "[--survey CODE] [--format md|html]", N_("the progress report of a survey")},
    {"explain", cmd_explain, OPT_CONFIG | OPT_SURVEY | OPT_RUN | OPT_FORMAT, 1, 1,
     "[--survey CODE] [--run ID] [--format text|json] CODE",
     N_("one initiative's stored evaluation and why, rule by rule")},
    {"coverage", cmd_coverage,
     OPT_CONFIG | OPT_SURVEY | OPT_RUN | OPT_FORMAT | OPT_FAIL_UNDER, 0, 0,
     "[--survey CODE] [--run ID] [--format table|json|csv] [--fail-under PERCENT]",
     N_("which categories, reasons and flags a stored run matched, and which never did")},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

typedef struct option_spec {
    const char *name;
    unsigned bit;
    int takes_value;
    size_t offset; /* of the const char * field in cli_opts, when takes_value and not repeatable */
    bool repeatable; /* values collected in cli_opts.sets (only --set is) */
} option_spec;

static const option_spec option_specs[] = {
    {"--config", OPT_CONFIG, 1, offsetof(cli_opts, config), false},
    {"--rules", OPT_RULES, 1, offsetof(cli_opts, rules), false},
    {"--survey", OPT_SURVEY, 1, offsetof(cli_opts, survey), false},
    {"--format", OPT_FORMAT, 1, offsetof(cli_opts, format), false},
    {"--encoding", OPT_ENCODING, 1, offsetof(cli_opts, encoding), false},
    {"--dry-run", OPT_DRY_RUN, 0, 0, false},
    {"--db", OPT_DB, 0, 0, false},
    {"--conninfo", OPT_CONNINFO, 1, offsetof(cli_opts, conninfo), false},
    {"--run", OPT_RUN, 1, offsetof(cli_opts, run), false},
    {"--set", OPT_SET, 1, 0, true},
    {"--analyze", OPT_ANALYZE, 0, 0, false},
    {"--coverage", OPT_COVERAGE, 0, 0, false},
    {"--fail-under", OPT_FAIL_UNDER, 1, offsetof(cli_opts, fail_under), false},
};
#define NOPTIONS (sizeof option_specs / sizeof option_specs[0])

const char *cli_config_path(const cli_opts *o)
{
    if (o->config != NULL)
        return o->config;
    const char *env = getenv("HYOKA_CONFIG");
    if (env != NULL && env[0] != '\0')
        return env;
    return "/etc/hyoka/hyoka.cfg";
}

static void usage(FILE *out)
{
    fputs(_("usage: hyoka [--config FILE] COMMAND [OPTIONS] [ARGS]\n"
            "       hyoka --version\n\ncommands:\n"),
          out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, _(commands[i].summary));
    fputs(_("\nOptions may stand before or after the command name. 'hyoka help COMMAND' shows one.\n"
            "Exit status: 0 ok, 1 bad input or failed check, 2 environment (database, files).\n"),
          out);
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static const option_spec *find_option(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    for (size_t i = 0; i < NOPTIONS; i++) {
        size_t n = strlen(option_specs[i].name);
        if (strncmp(arg, option_specs[i].name, n) != 0)
            continue;
        if (arg[n] == '\0')
            return &option_specs[i];
        if (arg[n] == '=' && option_specs[i].takes_value) {
            *inline_value = arg + n + 1;
            return &option_specs[i];
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    cli_opts o = {0};
    unsigned given = 0;
    char **positional = xcalloc((size_t)argc + 1, sizeof *positional);
    const char **sets = xcalloc((size_t)argc + 1, sizeof *sets);
    int npos = 0;
    bool only_positional = false;
    int rc = CLI_EUSER;

    if (positional == NULL || sets == NULL)
        abort();
    hy_i18n_init_program(); /* messages in the language of LC_ALL / LC_MESSAGES / LANG */
    o.sets = sets;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            positional[npos++] = argv[i];
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            rc = CLI_OK;
            goto out;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("hyoka %s\n", HYOKA_VERSION);
            rc = CLI_OK;
            goto out;
        }
        const char *value;
        const option_spec *spec = find_option(arg, &value);
        if (spec == NULL) {
            fprintf(stderr, _("hyoka: unknown option '%s'\n"), arg);
            goto out;
        }
        if ((given & spec->bit) && !spec->repeatable) {
            fprintf(stderr, _("hyoka: option %s given twice\n"), spec->name);
            goto out;
        }
        given |= spec->bit;
        if (spec->takes_value) {
            if (value == NULL) {
                if (i + 1 >= argc) {
                    fprintf(stderr, _("hyoka: option %s needs a value\n"), spec->name);
                    goto out;
                }
                value = argv[++i];
            }
            if (spec->repeatable)
                sets[o.nsets++] = value;
            else
                *(const char **)((char *)&o + spec->offset) = value;
        } else if (spec->bit == OPT_DRY_RUN) {
            o.dry_run = true;
        } else if (spec->bit == OPT_DB) {
            o.db = true;
        } else if (spec->bit == OPT_ANALYZE) {
            o.analyze = true;
        } else if (spec->bit == OPT_COVERAGE) {
            o.coverage = true;
        }
    }

    if (npos == 0) {
        usage(stderr);
        goto out;
    }
    if (strcmp(positional[0], "help") == 0) {
        const command *c = npos > 1 ? find_command(positional[1]) : NULL;
        if (c != NULL)
            printf("usage: hyoka %s %s\n%s\n", c->name, c->usage, c->summary);
        else
            usage(stdout);
        rc = CLI_OK;
        goto out;
    }
    const command *cmd = find_command(positional[0]);
    if (cmd == NULL) {
        fprintf(stderr, _("hyoka: unknown command '%s'\n"), positional[0]);
        usage(stderr);
        goto out;
    }
    for (size_t i = 0; i < NOPTIONS; i++) {
        if ((given & option_specs[i].bit) && !(cmd->options & option_specs[i].bit)) {
            fprintf(stderr, _("hyoka %s: option %s does not apply\nusage: hyoka %s %s\n"), cmd->name,
                    option_specs[i].name, cmd->name, cmd->usage);
            goto out;
        }
    }
    int nargs = npos - 1;
    if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args)) {
        fprintf(stderr, _("usage: hyoka %s %s\n"), cmd->name, cmd->usage);
        goto out;
    }
    o.command = cmd->name;
    o.nargs = nargs;
    o.args = positional + 1;
    rc = cmd->run(&o);
out:
    free(positional);
    free(sets);
    return rc;
}
