/* cmd_evaluate.c - `hyoka evaluate`: evaluate a survey with a rule set, store the run, print it as
 * a table, JSON or CSV. Also the helpers of cli/runs.h shared with `diff` and `report`. */
#include "i18n.h"
#include "runs.h"
#include "xalloc.h"

#include "service.h"
#include "csvw.h"
#include "evaluate.h"
#include "json_eng.h"
#include "wareki.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- shared helpers (runs.h) ------------------------------------------------------------- */

PGconn *runs_connect(const cli_opts *o, const char *cmd, bool writer, char **rules_file, int *rc)
{
    hy_config cfg;
    PGconn *c = cli_connect(o, cmd, writer, &cfg, rc);
    *rules_file = NULL;
    if (c != NULL && cfg.rules_file != NULL) {
        *rules_file = xstrdup(cfg.rules_file);
    }
    hy_config_cleanup(&cfg);
    return c;
}

eng_rules *runs_load_rules(PGconn *c, const char *path, const char *cmd, int *rc)
{
    FILE *probe =
        fopen(path, "r"); /* unreadable is the environment's fault (exit 2), as in check */
    if (probe == NULL) {
        fprintf(stderr, _("hyoka %s: cannot read %s: %s\n"), cmd, path, strerror(errno));
        *rc = CLI_EENV;
        return NULL;
    }
    fclose(probe);
    store_error err = {0};
    eng_schema *schema = store_fact_schema(c, &err);
    if (schema == NULL) {
        fprintf(stderr, _("hyoka %s: %s\n"), cmd, err.message);
        *rc = store_exit_code(err.status);
        return NULL;
    }
    eng_diags *diags = eng_diags_new();
    eng_rules *rules = eng_rules_load_file(path, schema, diags);
    eng_diags_print(diags, stderr);
    if (rules == NULL) {
        int n = eng_diags_errors(diags);
        if (n > 0)
            fprintf(stderr, dngettext(HY_TEXTDOMAIN, "hyoka %s: %s: %d error, rule set not used\n",
                              "hyoka %s: %s: %d errors, rule set not used\n", (unsigned long)n),
                    cmd, path, n);
        else
            fprintf(stderr, _("hyoka %s: %s: cannot load the rule set\n"), cmd, path);
        *rc = CLI_EUSER;
    }
    eng_diags_free(diags);
    eng_schema_free(schema);
    return rules;
}

int runs_overrides_parse(const cli_opts *o, const char *cmd, runs_overrides *out)
{
    memset(out, 0, sizeof *out);
    out->options = xcalloc((size_t)o->nsets + 1, sizeof *out->options);
    out->overrides = xcalloc((size_t)o->nsets + 1, sizeof *out->overrides);
    for (int i = 0; i < o->nsets; i++) {
        char err[SET_ERROR_MAX];
        if (set_option_parse(o->sets[i], false, &out->options[i], err, sizeof err) != 0) {
            fprintf(stderr, _("hyoka %s: %s\n"), cmd, err);
            runs_overrides_cleanup(out);
            return -1;
        }
        out->overrides[i].name = out->options[i].name;
        out->overrides[i].value = out->options[i].from;
        out->n++;
    }
    return 0;
}

void runs_overrides_cleanup(runs_overrides *ov)
{
    for (int i = 0; i < ov->n; i++)
        set_option_cleanup(&ov->options[i]);
    free(ov->options);
    free(ov->overrides);
    memset(ov, 0, sizeof *ov);
}

void runs_print_errors(const eng_diags *d)
{
    eng_diags *errors = eng_diags_new();
    for (int i = 0; i < eng_diags_count(d); i++) {
        const eng_diag *g = eng_diags_get(d, i);
        if (!g->warning)
            eng_diags_add(errors, g->file, g->line, g->col, g->span, false, g->excerpt, "%s",
                          g->message);
    }
    eng_diags_print(errors, stderr);
    eng_diags_free(errors);
}

eng_rules *runs_override(eng_rules *rules, const runs_overrides *ov, const char *cmd, int *rc)
{
    if (rules == NULL || ov->n == 0)
        return rules;
    eng_diags *diags = eng_diags_new();
    eng_rules *changed = eng_rules_override(rules, ov->overrides, ov->n, diags);
    if (changed == NULL) {
        runs_print_errors(diags);
        fprintf(stderr, _("hyoka %s: the --set values do not fit the rule set: nothing evaluated\n"),
                cmd);
        *rc = CLI_EUSER;
    }
    eng_diags_free(diags);
    eng_rules_free(rules);
    return changed;
}

void runs_join_ids(const json_t *arr, char *out, size_t n)
{
    size_t len = 0;
    size_t i;
    json_t *e;
    if (n == 0)
        return;
    out[0] = '\0';
    json_array_foreach(arr, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        if (id == NULL)
            continue;
        int w = snprintf(out + len, n - len, "%s%s", len > 0 ? ";" : "", id);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
}

/* ---- output formats ---------------------------------------------------------------------- */

static void print_score(FILE *out, const json_t *score, int width)
{
    if (json_is_number(score))
        fprintf(out, "%*.1f", width, json_number_value(score));
    else
        fprintf(out, "%*s", width, "-");
}

static void print_summary_table(FILE *out, const json_t *summary)
{
    size_t i;
    json_t *e;
    fprintf(out, _("%lld initiatives\n\n"),
            (long long)json_integer_value(json_object_get(summary, "total")));
    fputs(_("categories      count  percent\n"), out);
    json_array_foreach(json_object_get(summary, "categories"), i, e)
    {
        fprintf(out, "  %-12s %6lld  %6.1f%%  %s\n", json_string_value(json_object_get(e, "id")),
                (long long)json_integer_value(json_object_get(e, "count")),
                json_number_value(json_object_get(e, "percent")),
                json_string_value(json_object_get(e, "label")));
    }
    fputs(_("reasons (primary)\n"), out);
    json_array_foreach(json_object_get(summary, "reasons"), i, e)
    {
        fprintf(out, "  %-12s %6lld           %s\n", json_string_value(json_object_get(e, "id")),
                (long long)json_integer_value(json_object_get(e, "count")),
                json_string_value(json_object_get(e, "label")));
    }
    fputs(_("flags\n"), out);
    json_array_foreach(json_object_get(summary, "flags"), i, e)
    {
        fprintf(out, "  %-12s %6lld  %-8s %s\n", json_string_value(json_object_get(e, "id")),
                (long long)json_integer_value(json_object_get(e, "count")),
                json_string_value(json_object_get(e, "severity")),
                json_string_value(json_object_get(e, "label")));
    }
}

void runs_print_header(FILE *out, const json_t *doc, const eng_rules *rules)
{
    const json_t *s = json_object_get(doc, "survey");
    const json_t *run = json_object_get(doc, "run");
    const char *as_of = json_string_value(json_object_get(s, "as_of"));
    char era[WAREKI_MAX];
    if (wareki_as_of_iso(as_of, era, sizeof era) < 0)
        snprintf(era, sizeof era, "-");
    fprintf(out, _("survey %s (as of %s, %s), rules %s (sha256 %.12s)\n"),
            json_string_value(json_object_get(s, "code")), as_of, era, eng_rules_version(rules),
            eng_rules_sha256(rules));
    if (eng_rules_overrides(rules)[0] != '\0')
        fprintf(out, _("with %s (--set)\n"), eng_rules_overrides(rules));
    if (json_is_object(run))
        fprintf(out, _("stored as run %lld at %s\n"),
                (long long)json_integer_value(json_object_get(run, "id")),
                json_string_value(json_object_get(run, "evaluated_at")));
    else
        fputs(_("dry run: nothing stored\n"), out);
}

/* Column widths of the per-initiative table: codes and category ids longer than these push the
 * line right (lines are written as results stream in, before the longest is known). */
#define TABLE_CODE_WIDTH 10
#define TABLE_CATEGORY_WIDTH 10

static void table_line(const json_t *item, const char *facts, size_t facts_len, void *arg)
{
    (void)facts;
    (void)facts_len;
    FILE *out = arg;
    char reasons[512], flags[512];
    runs_join_ids(json_object_get(item, "reasons"), reasons, sizeof reasons);
    runs_join_ids(json_object_get(item, "flags"), flags, sizeof flags);
    fprintf(out, "%-*s  %-*s  ", TABLE_CODE_WIDTH, json_string_value(json_object_get(item, "code")),
            TABLE_CATEGORY_WIDTH,
            json_string_value(json_object_get(json_object_get(item, "category"), "id")));
    print_score(out, json_object_get(item, "score"), 5);
    fprintf(out, "  %-20s %-20s %s\n", reasons[0] ? reasons : "-", flags[0] ? flags : "-",
            json_string_value(json_object_get(item, "title")));
}

/* One ITEM as a line of the "results" array: the item dumped by jansson, with its facts spliced
 * in as written by store/ (building them as jansson objects and dumping those again was half of
 * `--format json`'s time for 100,000 initiatives). */
static void json_line(const json_t *item, const char *facts, size_t facts_len, void *arg)
{
    FILE *out = arg;
    static const size_t flags = JSON_COMPACT | JSON_REAL_PRECISION(15);
    if (ftell(out) > 0)
        fputs(",\n", out);
    fputs("    ", out);
    /* One fwrite per item: json_dumpf writes token by token (23 % of the CPU for 100,000). */
    char buf[16384];
    size_t n = json_dumpb(item, buf, sizeof buf, flags);
    char *text = n > 0 && n <= sizeof buf ? buf : json_dumps(item, flags);
    if (text == NULL)
        abort();
    if (text != buf)
        n = strlen(text);
    if (facts != NULL && n >= 2 && text[n - 1] == '}') { /* {...} -> {...,"facts":{...}} */
        fwrite(text, 1, n - 1, out);
        fputs(",\"facts\":", out);
        fwrite(facts, 1, facts_len, out);
        fputc('}', out);
    } else {
        fwrite(text, 1, n, out);
    }
    if (text != buf)
        free(text);
}

/* One result as a CSV row (store/csvw.h: text neutralised, the score a number). */
static void csv_line(const json_t *e, const char *facts, size_t facts_len, void *arg)
{
    (void)facts;
    (void)facts_len;
    csvw *w = arg;
    size_t i;
    const json_t *x;
    csvw_text(w, json_string_value(json_object_get(e, "code")));
    csvw_text(w, json_string_value(json_object_get(e, "title")));
    csvw_text(w, json_string_value(json_object_get(json_object_get(e, "category"), "id")));
    const json_t *score = json_object_get(e, "score");
    if (json_is_number(score))
        csvw_number(w, json_number_value(score), 1);
    else
        csvw_empty(w);
    json_array_foreach(json_object_get(e, "reasons"), i, x)
        csvw_list_item(w, json_string_value(json_object_get(x, "id")));
    csvw_list_end(w);
    json_array_foreach(json_object_get(e, "flags"), i, x)
        csvw_list_item(w, json_string_value(json_object_get(x, "id")));
    csvw_list_end(w);
    json_array_foreach(json_object_get(e, "recommendations"), i, x)
        csvw_list_item(w, json_string_value(x));
    csvw_list_end(w);
    csvw_row_end(w);
}

/* ---- the command ------------------------------------------------------------------------- */

int cmd_evaluate(const cli_opts *o)
{
    const char *format = o->format != NULL ? o->format : "table";
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
        fprintf(stderr, _("hyoka evaluate: --format '%s': expected table, json or csv\n"), format);
        return CLI_EUSER;
    }
    if (o->nsets > 0 && !o->dry_run) {
        fprintf(stderr, _("hyoka evaluate: --set goes with --dry-run only: a stored run must be "
                        "reproducible from its stored rule file (to store it, write the value "
                        "into the rule file)\n"));
        return CLI_EUSER;
    }
    runs_overrides ov;
    if (runs_overrides_parse(o, "evaluate", &ov) != 0)
        return CLI_EUSER;
    int rc = CLI_OK;
    char *config_rules = NULL;
    PGconn *c = runs_connect(o, "evaluate", !o->dry_run, &config_rules, &rc);
    if (c == NULL) {
        runs_overrides_cleanup(&ov);
        return rc;
    }
    const char *rules_path = o->rules != NULL ? o->rules : config_rules;
    eng_rules *rules = NULL;
    json_t *doc = NULL;
    if (rules_path == NULL) {
        fprintf(stderr, _("hyoka evaluate: no --rules given and no service config with rules.file "
                        "(--config, $HYOKA_CONFIG or /etc/hyoka/hyoka.cfg)\n"));
        rc = CLI_EUSER;
        goto out;
    }
    rules = runs_override(runs_load_rules(c, rules_path, "evaluate", &rc), &ov, "evaluate", &rc);
    if (rules == NULL)
        goto out;
    /* Results stream through a callback while the run is stored, into a buffer: they are
     * printed only once it is stored (and, for table and JSON, after the summary). */
    char *lines = NULL;
    size_t lines_len = 0;
    FILE *buffer = open_memstream(&lines, &lines_len);
    if (buffer == NULL)
        abort();
    store_item_fn each = table_line;
    void *each_arg = buffer;
    csvw *csv = NULL;
    if (strcmp(format, "csv") == 0) {
        static const char *const columns[] = {"code",    "title", "category",       "score",
                                              "reasons", "flags", "recommendations"};
        csv = csvw_new(CSVW_PLAIN);
        csvw_header(csv, columns, sizeof columns / sizeof columns[0]);
        each = csv_line;
        each_arg = csv;
    } else if (strcmp(format, "json") == 0) {
        each = json_line;
    }
    store_error err = {0};
    bool stored = false;
    store_evaluate_opts eo = {.rules = rules, .rules_file = rules_path, .survey_code = o->survey,
                              .dry_run = o->dry_run, .each = each, .with_facts = each == json_line,
                              .arg = each_arg, .started_by = "cli", .stored = &stored};
    doc = store_evaluate(c, &eo, &err);
    fclose(buffer);
    if (doc == NULL) {
        fprintf(stderr, _("hyoka evaluate: %s\n"), err.message);
        rc = store_exit_code(err.status);
        free(lines);
        csvw_free(csv);
        goto out;
    }
    const json_t *run = json_object_get(doc, "run");
    if (!o->dry_run && !stored) /* SPEC v1.1 "Identical evaluations": say so, exit 0 */
        fprintf(stderr,
                _("hyoka evaluate: the rules and facts are those of run %lld of survey '%s' "
                "(its newest): nothing stored\n"),
                (long long)json_integer_value(json_object_get(run, "id")),
                json_string_value(json_object_get(json_object_get(doc, "survey"), "code")));
    if (strcmp(format, "json") == 0) {
        static const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15);
        fputs("{\n  \"survey\": ", stdout);
        json_dumpf(json_object_get(doc, "survey"), stdout, flags);
        fputs(",\n  \"run\": ", stdout);
        json_dumpf(json_object_get(doc, "run"), stdout, flags);
        fputs(",\n  \"summary\": ", stdout);
        json_dumpf(json_object_get(doc, "summary"), stdout, flags);
        fputs(",\n  \"results\": [\n", stdout);
        fwrite(lines, 1, lines_len, stdout);
        fputs(lines_len > 0 ? "\n  ]\n}\n" : "  ]\n}\n", stdout);
    } else if (strcmp(format, "table") == 0) {
        runs_print_header(stdout, doc, rules);
        print_summary_table(stdout, json_object_get(doc, "summary"));
        fprintf(stdout, "\n%-*s  %-*s  %5s  %-20s %-20s %s\n", TABLE_CODE_WIDTH, "code",
                TABLE_CATEGORY_WIDTH, "category", "score", "reasons", "flags", "title");
        fwrite(lines, 1, lines_len, stdout);
    } else { /* csv */
        size_t len;
        const char *text = csvw_data(csv, &len);
        fwrite(text, 1, len, stdout);
        csvw_free(csv);
    }
    free(lines);
    if (fflush(stdout) != 0) {
        perror("hyoka evaluate: writing the output");
        rc = CLI_EENV;
    }
out:
    json_decref(doc);
    eng_rules_free(rules);
    runs_overrides_cleanup(&ov);
    free(config_rules);
    PQfinish(c);
    return rc;
}
