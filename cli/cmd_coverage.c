/* cmd_coverage.c - `hyoka coverage [--survey CODE] [--run ID] [--format table|json|csv]
 * [--fail-under PERCENT]`: which categories, reasons and flags a stored run's results matched,
 * and which never did, with file:line. The figures are store_run_coverage's, the function behind
 * GET /api/v1/rules/coverage. Exit 1 when the share of entries matched is below --fail-under. */
#include "runs.h"

#include "coverage.h"
#include "read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cmd_coverage(const cli_opts *o)
{
    const char *format = o->format != NULL ? o->format : "table";
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0 &&
        strcmp(format, "csv") != 0) {
        fprintf(stderr, "hyoka coverage: --format '%s': expected table, json or csv\n", format);
        return CLI_EUSER;
    }
    double fail_under = 0;
    if (o->fail_under != NULL && coverage_parse_percent(o->fail_under, &fail_under) != 0) {
        fprintf(stderr, "hyoka coverage: --fail-under '%s': expected a percentage from 0 to 100\n",
                o->fail_under);
        return CLI_EUSER;
    }
    long long run_id = 0;
    if (o->run != NULL) {
        char *end;
        errno = 0;
        run_id = strtoll(o->run, &end, 10);
        if (o->run[0] < '0' || o->run[0] > '9' || *end != '\0' || errno != 0 || run_id <= 0) {
            fprintf(stderr, "hyoka coverage: --run '%s': expected a run id (a positive number)\n",
                    o->run);
            return CLI_EUSER;
        }
    }
    int rc = CLI_OK;
    char *config_rules = NULL;
    PGconn *c = runs_connect(o, "coverage", false, &config_rules, &rc);
    if (c == NULL)
        return rc;
    free(config_rules);
    store_error err = {0};
    store_run *rn = NULL;
    json_t *doc = NULL;
    long long id = 0;
    if (store_read_run(c, o->survey, run_id, &id, &err) == STORE_RUN_FOUND &&
        (rn = store_run_load(c, id, &err)) != NULL && store_run_load_items(c, rn, &err) == 0)
        doc = store_run_coverage(c, rn, &err);
    PQfinish(c);
    if (doc == NULL) {
        fprintf(stderr, "hyoka coverage: %s\n", err.message);
        store_run_free(rn);
        return store_exit_code(err.status);
    }
    json_object_set_new(doc, "survey",
                        json_pack("{s:s, s:s?, s:s?}", "code", rn->survey_code, "as_of",
                                  rn->survey_as_of, "label", rn->survey_label));
    json_object_set_new(doc, "run",
                        json_pack("{s:I, s:s?, s:{s:s?, s:s?}}", "id", (json_int_t)rn->id,
                                  "evaluated_at", rn->evaluated_at, "rules", "version",
                                  rn->rules_version, "sha256", rn->rules_sha256));
    if (strcmp(format, "json") == 0) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        fputc('\n', stdout);
    } else if (strcmp(format, "csv") == 0) {
        size_t len;
        char *csv = coverage_csv(doc, CSVW_PLAIN, &len);
        fwrite(csv, 1, len, stdout);
        free(csv);
    } else {
        printf("survey %s, run %lld (rules %s)\n", rn->survey_code, rn->id,
               rn->rules_version ? rn->rules_version : "?");
        coverage_print(doc, stdout);
    }
    double percent = json_number_value(json_object_get(doc, "percent"));
    if (o->fail_under != NULL && percent < fail_under) {
        fprintf(stderr, "hyoka coverage: %.1f %% of the entries matched, under --fail-under %s\n",
                percent, o->fail_under);
        rc = CLI_EUSER;
    }
    json_decref(doc);
    store_run_free(rn);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("hyoka coverage: writing the output");
        return CLI_EENV;
    }
    return rc;
}
