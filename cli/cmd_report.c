/* cmd_report.c - `hyoka report`: the progress report of a survey (Markdown or HTML) on stdout. */
#include "i18n.h"
#include "runs.h"

#include "report.h"

#include <stdlib.h>
#include <string.h>

int cmd_report(const cli_opts *o)
{
    const char *format = o->format != NULL ? o->format : "md";
    if (strcmp(format, "md") != 0 && strcmp(format, "html") != 0) {
        fprintf(stderr, _("hyoka report: --format '%s': expected md or html\n"), format);
        return CLI_EUSER;
    }
    int rc = CLI_OK;
    char *config_rules = NULL;
    PGconn *c = runs_connect(o, "report", false, &config_rules, &rc);
    if (c == NULL)
        return rc;
    free(config_rules);
    store_error err = {0};
    char *text = store_report(c, o->survey, format, &err);
    PQfinish(c);
    if (text == NULL) {
        fprintf(stderr, _("hyoka report: %s\n"), err.message);
        return store_exit_code(err.status);
    }
    fputs(text, stdout);
    free(text);
    if (fflush(stdout) != 0) {
        perror("hyoka report: writing the output");
        return CLI_EENV;
    }
    return CLI_OK;
}
