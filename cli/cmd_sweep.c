/* cmd_sweep.c - `hyoka sweep RULES --set thresholds.NAME=FROM:TO:STEP`: what-if over a range. The
 * survey's facts are read once (store_facts) and swept by store_sweep_run (store/sweep.h, the
 * computation GET /api/v1/rules/sweep shares). Prints, per value, the category counts and
 * primary-reason counts, and the initiatives whose category changes from one value to the next,
 * with the value where each change first appears (SPEC v1.1 "Threshold overrides") as a table,
 * CSV or SPEC's JSON (store_sweep_write_json). Nothing is stored.
 */
#include "i18n.h"
#include "runs.h"
#include "xalloc.h"

#include "csvw.h"
#include "evaluate.h"
#include "json_eng.h"
#include "sweep.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct sweep {
    const store_facts *facts;
    const eng_rules *rules; /* as the file has it: ids, labels */
    set_option range;
    store_sweep *sw; /* the computation (store/sweep.h), shared with GET /api/v1/rules/sweep */
} sweep;

static const char *category_id(const sweep *s, int i)
{
    return eng_rules_get(s->rules, ENG_KIND_CATEGORY, i)->id;
}

/* The flips of one initiative: [first, end). */
static size_t initiative_end(const sweep *s, size_t first)
{
    size_t end = first, n = store_sweep_nflips(s->sw);
    const char *code = store_sweep_flip_at(s->sw, first).code;
    while (end < n && store_sweep_flip_at(s->sw, end).code == code)
        end++;
    return end;
}

/* One row per value: value, total, category.ID..., reason.ID... (ids prefixed, so that no id can
 * take the name of another column). */
static void write_csv(FILE *out, const sweep *s)
{
    int ncat = eng_rules_count(s->rules, ENG_KIND_CATEGORY);
    int nreason = eng_rules_count(s->rules, ENG_KIND_REASON);
    size_t ncols = 2 + (size_t)ncat + (size_t)nreason;
    char **names = xcalloc(ncols, sizeof *names);
    names[0] = xstrdup("value");
    names[1] = xstrdup("total");
    for (int k = 0; k < ncat + nreason; k++) {
        bool cat = k < ncat;
        const char *id =
            eng_rules_get(s->rules, cat ? ENG_KIND_CATEGORY : ENG_KIND_REASON, cat ? k : k - ncat)
                ->id;
        size_t len = strlen(id) + 10;
        names[2 + k] = xmalloc(len);
        snprintf(names[2 + k], len, "%s.%s", cat ? "category" : "reason", id);
    }
    csvw *w = csvw_new(CSVW_PLAIN);
    csvw_header(w, (const char *const *)names, ncols);
    size_t i;
    json_t *p;
    json_array_foreach(store_sweep_points(s->sw), i, p)
    {
        csvw_number(w, json_number_value(json_object_get(p, "value")), CSVW_SHORTEST);
        csvw_integer(w, json_integer_value(json_object_get(p, "total")));
        static const char *const lists[] = {"categories", "reasons"};
        for (size_t l = 0; l < 2; l++) {
            size_t j;
            json_t *e;
            json_array_foreach(json_object_get(p, lists[l]), j, e)
                csvw_integer(w, json_integer_value(json_object_get(e, "count")));
        }
        csvw_row_end(w);
    }
    size_t len;
    const char *text = csvw_data(w, &len);
    fwrite(text, 1, len, out);
    csvw_free(w);
    for (size_t k = 0; k < ncols; k++)
        free(names[k]);
    free(names);
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static void write_table(FILE *out, const sweep *s)
{
    json_t *doc = jeng_must(json_object());
    json_object_set_new(doc, "survey", store_facts_survey(s->facts));
    runs_print_header(out, doc, s->rules);
    json_decref(doc);
    fprintf(out, "thresholds.%s from %.15g to %.15g by %.15g: %d value%s\n\n", s->range.name,
            s->range.from, s->range.to, s->range.step, s->range.npoints,
            s->range.npoints == 1 ? "" : "s");

    /* columns as wide as their id or their largest number */
    char buf[64];
    int vw = (int)strlen("value"), tw = (int)strlen("total");
    size_t i;
    json_t *p;
    json_array_foreach(store_sweep_points(s->sw), i, p)
    {
        vw = max_int(
            vw, snprintf(buf, sizeof buf, "%.15g", json_number_value(json_object_get(p, "value"))));
        tw = max_int(tw, snprintf(buf, sizeof buf, "%lld",
                                  (long long)json_integer_value(json_object_get(p, "total"))));
    }
    int ncat = eng_rules_count(s->rules, ENG_KIND_CATEGORY);
    int nreason = eng_rules_count(s->rules, ENG_KIND_REASON);
    int *w = xcalloc((size_t)(ncat + nreason) + 1, sizeof *w);
    for (int k = 0; k < ncat + nreason; k++) {
        bool cat = k < ncat;
        w[k] = max_int(
            tw, (int)strlen(eng_rules_get(s->rules, cat ? ENG_KIND_CATEGORY : ENG_KIND_REASON,
                                          cat ? k : k - ncat)
                                ->id));
    }
    int catw = 0;
    for (int k = 0; k < ncat; k++)
        catw += w[k] + 2;
    fprintf(out, "  %*s  %*s  %-*s%s\n", vw, "", tw, "", catw, "categories",
            nreason > 0 ? "| primary reasons" : "");
    fprintf(out, "  %*s  %*s", vw, "value", tw, "total");
    for (int k = 0; k < ncat + nreason; k++)
        fprintf(out, "%s%*s", k == ncat ? "  | " : "  ", w[k],
                eng_rules_get(s->rules, k < ncat ? ENG_KIND_CATEGORY : ENG_KIND_REASON,
                              k < ncat ? k : k - ncat)
                    ->id);
    fputc('\n', out);
    json_array_foreach(store_sweep_points(s->sw), i, p)
    {
        fprintf(out, "%s %*.15g  %*lld", (int)i == store_sweep_file_point(s->sw) ? "*" : " ", vw,
                json_number_value(json_object_get(p, "value")), tw,
                (long long)json_integer_value(json_object_get(p, "total")));
        int k = 0;
        static const char *const lists[] = {"categories", "reasons"};
        for (size_t l = 0; l < 2; l++) {
            size_t j;
            json_t *e;
            json_array_foreach(json_object_get(p, lists[l]), j, e)
            {
                fprintf(out, "%s%*lld", k == ncat ? "  | " : "  ", w[k],
                        (long long)json_integer_value(json_object_get(e, "count")));
                k++;
            }
        }
        fputc('\n', out);
    }
    free(w);
    if (store_sweep_file_point(s->sw) >= 0)
        fputs(_("(* the value the rule file has)\n"), out);

    size_t ninitiatives = 0;
    int cw = 0;
    size_t nflips = store_sweep_nflips(s->sw);
    for (size_t first = 0, end; first < nflips; first = end) {
        end = initiative_end(s, first);
        ninitiatives++;
        cw = max_int(cw, (int)strlen(store_sweep_flip_at(s->sw, first).code));
    }
    fprintf(out,
            dngettext(HY_TEXTDOMAIN, "\n%zu initiative changes category in this range%s\n",
                      "\n%zu initiatives change category in this range%s\n",
                      (unsigned long)ninitiatives),
            ninitiatives, ninitiatives > 0 ? _(" (value: from -> to)") : "");
    for (size_t first = 0, end; first < nflips; first = end) {
        end = initiative_end(s, first);
        fprintf(out, "  %-*s", cw, store_sweep_flip_at(s->sw, first).code);
        for (size_t f = first; f < end; f++) {
            store_sweep_flip x = store_sweep_flip_at(s->sw, f);
            fprintf(out, "%s%.15g: %s -> %s", f == first ? "  " : ", ",
                    set_option_value(&s->range, x.point), category_id(s, x.from),
                    category_id(s, x.to));
        }
        fputc('\n', out);
    }
}

int cmd_sweep(const cli_opts *o)
{
    const char *format = o->format != NULL ? o->format : "table";
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
        fprintf(stderr, _("hyoka sweep: --format '%s': expected table, csv or json\n"), format);
        return CLI_EUSER;
    }
    if (o->nsets != 1) {
        fprintf(stderr,
                _("hyoka sweep: give exactly one --set thresholds.NAME=FROM:TO:STEP (%d given)\n"),
                o->nsets);
        return CLI_EUSER;
    }
    sweep s = {0};
    char err_text[SET_ERROR_MAX];
    if (set_option_parse(o->sets[0], true, &s.range, err_text, sizeof err_text) != 0) {
        fprintf(stderr, _("hyoka sweep: %s\n"), err_text);
        return CLI_EUSER;
    }
    int rc = CLI_OK;
    char *config_rules = NULL;
    store_facts *facts = NULL;
    eng_rules *rules = NULL;
    PGconn *c = runs_connect(o, "sweep", false, &config_rules, &rc);
    if (c == NULL)
        goto out;
    rules = runs_load_rules(c, o->args[0], "sweep", &rc);
    if (rules == NULL)
        goto out;
    {
        /* an unknown threshold is refused before the facts are read */
        eng_threshold_override ov = {s.range.name, s.range.from};
        eng_diags *diags = eng_diags_new();
        eng_rules *first = eng_rules_override(rules, &ov, 1, diags);
        if (first == NULL) {
            runs_print_errors(diags);
            fprintf(stderr, _("hyoka sweep: the --set value does not fit the rule set\n"));
            rc = CLI_EUSER;
        }
        eng_rules_free(first);
        eng_diags_free(diags);
        if (rc != CLI_OK)
            goto out;
    }
    store_error err = {0};
    facts = store_facts_read(c, rules, o->survey, &err);
    if (facts == NULL) {
        fprintf(stderr, _("hyoka sweep: %s\n"), err.message);
        rc = store_exit_code(err.status);
        goto out;
    }
    s.facts = facts;
    s.rules = rules;
    double *values = xcalloc((size_t)s.range.npoints, sizeof *values);
    for (int p = 0; p < s.range.npoints; p++)
        values[p] = set_option_value(&s.range, p);
    s.sw = store_sweep_run(facts, rules, s.range.name, values, s.range.npoints,
                           STORE_SWEEP_MAX_FLIPS, &err);
    free(values);
    if (s.sw == NULL) {
        fprintf(stderr, _("hyoka sweep: %s\n"), err.message);
        rc = CLI_EUSER;
        goto out;
    }
    if (strcmp(format, "json") == 0) {
        strbuf b = {0};
        store_sweep_write_json(s.sw, &b);
        fwrite(b.data, 1, b.len, stdout);
        strbuf_cleanup(&b);
    } else if (strcmp(format, "csv") == 0)
        write_csv(stdout, &s);
    else
        write_table(stdout, &s);
    if (fflush(stdout) != 0) {
        perror("hyoka sweep: writing the output");
        rc = CLI_EENV;
    }
out:
    store_sweep_free(s.sw);
    set_option_cleanup(&s.range);
    store_facts_free(facts);
    eng_rules_free(rules);
    free(config_rules);
    PQfinish(c);
    return rc;
}
