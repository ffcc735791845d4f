/* cmd_sweep.c - `hyoka sweep RULES --set thresholds.NAME=FROM:TO:STEP`: what-if over a range. The
 * survey's facts are read once (store_facts); at each value the rule set is compiled with the
 * threshold replaced (eng_rules_override) and every initiative evaluated in memory. Prints, per
 * value, the category counts and primary-reason counts (the summary's own counts: jeng_tally,
 * jeng_summary), and the initiatives whose category changes from one value to the next, with the
 * value where each change first appears (SPEC v1.1 "Threshold overrides"). Nothing is stored.
 */
#include "i18n.h"
#include "runs.h"
#include "xalloc.h"

#include "code_order.h"
#include "csvw.h"
#include "evaluate.h"
#include "json_eng.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Category changes one sweep keeps (12 bytes each): more are no reading for a person, and the
 * bound keeps memory explicit (SET_MAX_POINTS values of STORE_MAX_INITIATIVES initiatives could
 * otherwise flip 10^10 times). */
#define SWEEP_MAX_FLIPS 1000000

static json_t *must(json_t *j)
{
    if (j == NULL)
        abort();
    return j;
}

/* Initiative `row` takes category `to` (was `from`) from value `point` on. */
typedef struct flip {
    int row, point;
    uint8_t from, to;
} flip;

typedef struct sweep {
    const store_facts *facts;
    const eng_rules *rules; /* as the file has it: ids, labels */
    set_option range;
    json_t *points; /* [{"value", "total", "categories", "reasons"}] */
    flip *flips;
    size_t nflips, capflips;
    int file_point; /* the value the rule file itself has, if it is one of the points; else -1 */
} sweep;

/* {"value", "total", "categories": [{"id", "count"}], "reasons": [{"id", "count"}]} from the
 * summary of the value's results. */
static json_t *point_json(double value, const json_t *summary)
{
    json_t *p = must(json_object());
    json_object_set_new(p, "value", jeng_number(value));
    json_object_set(p, "total", json_object_get(summary, "total"));
    static const char *const lists[] = {"categories", "reasons"};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        json_t *arr = must(json_array());
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(summary, lists[l]), i, e)
        {
            json_t *x = must(json_object());
            json_object_set(x, "id", json_object_get(e, "id"));
            json_object_set(x, "count", json_object_get(e, "count"));
            json_array_append_new(arr, x);
        }
        json_object_set_new(p, lists[l], arr);
    }
    return p;
}

/* Evaluates every value. Returns 0, or -1 after printing why (rc set). */
static int run_sweep(sweep *s, int *rc)
{
    int n = store_facts_count(s->facts);
    eng_result *results = xcalloc((size_t)n + 1, sizeof *results);
    int *previous = xcalloc((size_t)n + 1, sizeof *previous);
    eng_diags *diags = eng_diags_new();
    int status = 0;
    s->points = must(json_array());
    s->file_point = -1;
    for (int p = 0; p < s->range.npoints && status == 0; p++) {
        eng_threshold_override ov = {s->range.name, set_option_value(&s->range, p)};
        eng_diags_clear(diags);
        eng_rules *rules = eng_rules_override(s->rules, &ov, 1, diags);
        if (rules == NULL) {
            runs_print_errors(diags);
            fprintf(stderr, _("hyoka sweep: the --set value does not fit the rule set\n"));
            *rc = CLI_EUSER;
            status = -1;
            break;
        }
        if (eng_rules_overrides(rules)[0] == '\0')
            s->file_point = p;
        store_facts_evaluate(s->facts, rules, results);
        jeng_tally tally;
        memset(&tally, 0, sizeof tally);
        for (int i = 0; i < n; i++)
            jeng_tally_add(&tally, &results[i]);
        json_t *summary = jeng_summary(rules, &tally);
        json_array_append_new(s->points, point_json(ov.value, summary));
        json_decref(summary);
        for (int i = 0; i < n && p > 0; i++) {
            if (results[i].category == previous[i])
                continue;
            if (s->nflips == SWEEP_MAX_FLIPS) {
                fprintf(stderr,
                        _("hyoka sweep: more than %d category changes: take a larger STEP or a "
                        "narrower range\n"),
                        SWEEP_MAX_FLIPS);
                *rc = CLI_EUSER;
                status = -1;
                break;
            }
            if (s->nflips == s->capflips) {
                s->capflips = s->capflips ? 2 * s->capflips : 1024;
                s->flips = xrealloc(s->flips, s->capflips * sizeof *s->flips);
            }
            s->flips[s->nflips++] =
                (flip){i, p, (uint8_t)previous[i], (uint8_t)results[i].category};
        }
        for (int i = 0; i < n; i++)
            previous[i] = results[i].category;
        eng_rules_free(rules);
    }
    eng_diags_free(diags);
    free(previous);
    free(results);
    return status;
}

static const store_facts *sort_facts; /* for by_code: qsort has no user argument */

/* Flips by initiative code (store/code_order.h), then by value. */
static int by_code(const void *x, const void *y)
{
    const flip *a = x, *b = y;
    int c = a->row == b->row ? 0
                             : code_order_cmp(store_facts_code(sort_facts, a->row),
                                              store_facts_code(sort_facts, b->row));
    return c != 0 ? c : (a->point > b->point) - (a->point < b->point);
}

static const char *category_id(const sweep *s, int i)
{
    return eng_rules_get(s->rules, ENG_KIND_CATEGORY, i)->id;
}

/* The flips of one initiative: s->flips[first, end). */
static size_t initiative_end(const sweep *s, size_t first)
{
    size_t end = first;
    while (end < s->nflips && s->flips[end].row == s->flips[first].row)
        end++;
    return end;
}

static void write_json(FILE *out, const sweep *s)
{
    static const size_t flags = JENG_DUMP_FLAGS | JSON_ENCODE_ANY;
    json_t *survey = store_facts_survey(s->facts);
    fputs("{\n  \"survey\": ", out);
    json_dumpf(survey, out, flags);
    json_decref(survey);
    json_t *name = must(json_string(s->range.name));
    fputs(",\n  \"threshold\": ", out);
    json_dumpf(name, out, flags);
    json_decref(name);
    fputs(",\n  \"points\": [", out);
    size_t i;
    json_t *e;
    json_array_foreach(s->points, i, e)
    {
        fputs(i > 0 ? ",\n    " : "\n    ", out);
        json_dumpf(e, out, flags);
    }
    fputs(i > 0 ? "\n  ],\n  \"changes\": [" : "],\n  \"changes\": [", out);
    /* one initiative at a time: the changes can be many */
    for (size_t first = 0, end; first < s->nflips; first = end) {
        end = initiative_end(s, first);
        json_t *change = must(json_object());
        json_object_set_new(change, "code",
                            must(json_string(store_facts_code(s->facts, s->flips[first].row))));
        json_t *flips = must(json_array());
        for (size_t f = first; f < end; f++) {
            json_t *x = must(json_object());
            json_object_set_new(x, "value",
                                jeng_number(set_option_value(&s->range, s->flips[f].point)));
            json_object_set_new(x, "from", must(json_string(category_id(s, s->flips[f].from))));
            json_object_set_new(x, "to", must(json_string(category_id(s, s->flips[f].to))));
            json_array_append_new(flips, x);
        }
        json_object_set_new(change, "flips", flips);
        fputs(first > 0 ? ",\n    " : "\n    ", out);
        json_dumpf(change, out, flags);
        json_decref(change);
    }
    fputs(s->nflips > 0 ? "\n  ]\n}\n" : "]\n}\n", out);
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
    for (size_t k = 0; k < ncols; k++)
        if (names[k] == NULL)
            abort();
    csvw *w = csvw_new(CSVW_PLAIN);
    csvw_header(w, (const char *const *)names, ncols);
    size_t i;
    json_t *p;
    json_array_foreach(s->points, i, p)
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
    json_t *doc = must(json_object());
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
    json_array_foreach(s->points, i, p)
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
    json_array_foreach(s->points, i, p)
    {
        fprintf(out, "%s %*.15g  %*lld", (int)i == s->file_point ? "*" : " ", vw,
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
    if (s->file_point >= 0)
        fputs(_("(* the value the rule file has)\n"), out);

    size_t ninitiatives = 0;
    int cw = 0;
    for (size_t first = 0, end; first < s->nflips; first = end) {
        end = initiative_end(s, first);
        ninitiatives++;
        cw = max_int(cw, (int)strlen(store_facts_code(s->facts, s->flips[first].row)));
    }
    fprintf(out,
            dngettext(HY_TEXTDOMAIN, "\n%zu initiative changes category in this range%s\n",
                      "\n%zu initiatives change category in this range%s\n",
                      (unsigned long)ninitiatives),
            ninitiatives, ninitiatives > 0 ? _(" (value: from -> to)") : "");
    for (size_t first = 0, end; first < s->nflips; first = end) {
        end = initiative_end(s, first);
        fprintf(out, "  %-*s", cw, store_facts_code(s->facts, s->flips[first].row));
        for (size_t f = first; f < end; f++)
            fprintf(out, "%s%.15g: %s -> %s", f == first ? "  " : ", ",
                    set_option_value(&s->range, s->flips[f].point),
                    category_id(s, s->flips[f].from), category_id(s, s->flips[f].to));
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
    if (run_sweep(&s, &rc) != 0)
        goto out;
    sort_facts = facts;
    if (s.nflips > 0)
        qsort(s.flips, s.nflips, sizeof *s.flips, by_code);
    if (strcmp(format, "json") == 0)
        write_json(stdout, &s);
    else if (strcmp(format, "csv") == 0)
        write_csv(stdout, &s);
    else
        write_table(stdout, &s);
    if (fflush(stdout) != 0) {
        perror("hyoka sweep: writing the output");
        rc = CLI_EENV;
    }
out:
    json_decref(s.points);
    free(s.flips);
    set_option_cleanup(&s.range);
    store_facts_free(facts);
    eng_rules_free(rules);
    free(config_rules);
    PQfinish(c);
    return rc;
}
