/* cmd_diff.c - `hyoka diff RULES_A RULES_B`: what-if. Evaluates one survey with both rule sets in
 * memory (nothing stored) and lists every initiative whose category, reasons, flags or score
 * would change, with the category counts before and after. Exit 0 whether or not anything changed.
 * `--set thresholds.NAME=NUMBER` replaces thresholds of B, which is then A itself if not given:
 * `hyoka diff --set thresholds.on_track_ratio=0.9 RULES`.
 */
#include "i18n.h"
#include "runs.h"
#include "xalloc.h"

#include "evaluate.h"
#include "json_eng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *must(json_t *j)
{
    if (j == NULL)
        abort();
    return j;
}

/* What diff compares of one initiative, kept compactly (100,000 jansson ITEMs per side would
 * take hundreds of MB): ids joined with ';', score in tenths. */
typedef struct outcome {
    char *code, *title, *category, *reasons, *flags;
    bool has_score;
    long tenths;
} outcome;

typedef struct outcomes {
    outcome *rows;
    size_t n, cap;
} outcomes;

static char *dup(const char *s)
{
    return xstrdup(s != NULL ? s : "");
}

static void collect(const json_t *item, const char *facts, size_t facts_len, void *arg)
{
    (void)facts;
    (void)facts_len;
    outcomes *o = arg;
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 1024;
        o->rows = xrealloc(o->rows, o->cap * sizeof *o->rows);
    }
    outcome *r = &o->rows[o->n++];
    char ids[1024];
    r->code = dup(json_string_value(json_object_get(item, "code")));
    r->title = dup(json_string_value(json_object_get(item, "title")));
    r->category = dup(json_string_value(json_object_get(json_object_get(item, "category"), "id")));
    runs_join_ids(json_object_get(item, "reasons"), ids, sizeof ids);
    r->reasons = dup(ids);
    runs_join_ids(json_object_get(item, "flags"), ids, sizeof ids);
    r->flags = dup(ids);
    const json_t *score = json_object_get(item, "score");
    r->has_score = json_is_number(score);
    /* scores have one decimal: compare them in tenths */
    r->tenths = r->has_score ? lround(json_number_value(score) * 10.0) : 0;
}

static void outcomes_cleanup(outcomes *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->rows[i].code);
        free(o->rows[i].title);
        free(o->rows[i].category);
        free(o->rows[i].reasons);
        free(o->rows[i].flags);
    }
    free(o->rows);
    memset(o, 0, sizeof *o);
}

static bool same_outcome(const outcome *a, const outcome *b)
{
    return strcmp(a->category, b->category) == 0 && strcmp(a->reasons, b->reasons) == 0 &&
           strcmp(a->flags, b->flags) == 0 && a->has_score == b->has_score &&
           a->tenths == b->tenths;
}

/* {"category", "reasons": [ids], "flags": [ids], "score"} */
static json_t *outcome_json(const outcome *r)
{
    if (r == NULL)
        return must(json_null());
    json_t *o = must(json_object());
    json_object_set_new(o, "category", must(json_string(r->category)));
    const char *lists[2] = {r->reasons, r->flags};
    static const char *const keys[2] = {"reasons", "flags"};
    for (int l = 0; l < 2; l++) {
        json_t *arr = must(json_array());
        const char *p = lists[l];
        while (*p != '\0') {
            const char *end = strchr(p, ';');
            size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
            json_array_append_new(arr, must(json_stringn(p, len)));
            p += len + (end != NULL ? 1 : 0);
        }
        json_object_set_new(o, keys[l], arr);
    }
    json_object_set_new(
        o, "score", r->has_score ? must(json_real((double)r->tenths / 10.0)) : must(json_null()));
    return o;
}

static json_t *change_json(const outcome *named, const outcome *before, const outcome *after)
{
    json_t *c = must(json_object());
    json_object_set_new(c, "code", must(json_string(named->code)));
    json_object_set_new(c, "title", must(json_string(named->title)));
    json_object_set_new(c, "before", outcome_json(before));
    json_object_set_new(c, "after", outcome_json(after));
    return c;
}

static int by_code(const void *x, const void *y)
{
    const outcome *const *a = x, *const *b = y;
    return strcmp((*a)->code, (*b)->code);
}

/* The changed initiatives, in A's order (code order); an initiative only one side has counts as
 * changed with null on the other side (possible only if the data changed between the reads). */
static json_t *changes(const outcomes *a, const outcomes *b)
{
    const outcome **index = xcalloc(b->n + 1, sizeof *index);
    bool *matched = xcalloc(b->n + 1, sizeof *matched);
    for (size_t i = 0; i < b->n; i++)
        index[i] = &b->rows[i];
    qsort(index, b->n, sizeof *index, by_code);
    json_t *changed = must(json_array());
    for (size_t i = 0; i < a->n; i++) {
        const outcome *key = &a->rows[i];
        const outcome **hit = bsearch(&key, index, b->n, sizeof *index, by_code);
        const outcome *other = hit != NULL ? *hit : NULL;
        if (other != NULL)
            matched[other - b->rows] = true;
        if (other == NULL || !same_outcome(key, other))
            json_array_append_new(changed, change_json(key, key, other));
    }
    for (size_t i = 0; i < b->n; i++)
        if (!matched[i])
            json_array_append_new(changed, change_json(&b->rows[i], NULL, &b->rows[i]));
    free(index);
    free(matched);
    return changed;
}

static long count_of(const json_t *categories, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(categories, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
            return (long)json_integer_value(json_object_get(e, "count"));
    }
    return 0;
}

static bool has_id(const json_t *arr, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
            return true;
    }
    return false;
}

static void print_side(FILE *out, const json_t *o)
{
    if (!json_is_object(o)) {
        fputs("(absent)", out);
        return;
    }
    char reasons[512], flags[512];
    size_t i;
    json_t *e;
    reasons[0] = flags[0] = '\0';
    json_array_foreach(json_object_get(o, "reasons"), i, e)
    {
        size_t len = strlen(reasons);
        snprintf(reasons + len, sizeof reasons - len, "%s%s", i ? ";" : "", json_string_value(e));
    }
    json_array_foreach(json_object_get(o, "flags"), i, e)
    {
        size_t len = strlen(flags);
        snprintf(flags + len, sizeof flags - len, "%s%s", i ? ";" : "", json_string_value(e));
    }
    const json_t *score = json_object_get(o, "score");
    fprintf(out, "%s", json_string_value(json_object_get(o, "category")));
    if (json_is_number(score))
        fprintf(out, " %.1f", json_number_value(score));
    else
        fputs(" -", out);
    fprintf(out, " [%s] {%s}", reasons, flags);
}

static void print_table(FILE *out, const json_t *doc, const char *a, const char *b,
                        const char *b_overrides)
{
    const json_t *before = json_object_get(doc, "before"), *after = json_object_get(doc, "after");
    fprintf(out, "survey %s: A = %s, B = %s%s%s\n\n",
            json_string_value(json_object_get(json_object_get(doc, "survey"), "code")), a, b,
            b_overrides[0] != '\0' ? " with " : "", b_overrides);
    fputs("category          A      B  change\n", out);
    /* A's categories in A's order, then any that only B has */
    const json_t *sides[2] = {json_object_get(before, "categories"),
                              json_object_get(after, "categories")};
    for (int s = 0; s < 2; s++) {
        size_t i;
        json_t *e;
        json_array_foreach(sides[s], i, e)
        {
            const char *id = json_string_value(json_object_get(e, "id"));
            if (s == 1 && has_id(sides[0], id))
                continue;
            long ca = count_of(sides[0], id), cb = count_of(sides[1], id);
            fprintf(out, "  %-12s %6ld %6ld  %+6ld  %s\n", id, ca, cb, cb - ca,
                    json_string_value(json_object_get(e, "label")));
        }
    }
    const json_t *changed = json_object_get(doc, "changed");
    fprintf(out,
            dngettext(HY_TEXTDOMAIN, "\n%zu initiative would change\n",
                      "\n%zu initiatives would change\n", (unsigned long)json_array_size(changed)),
            json_array_size(changed));
    size_t i;
    json_t *e;
    json_array_foreach(changed, i, e)
    {
        fprintf(out, "  %s  ", json_string_value(json_object_get(e, "code")));
        print_side(out, json_object_get(e, "before"));
        fputs("  ->  ", out);
        print_side(out, json_object_get(e, "after"));
        fprintf(out, "  %s\n", json_string_value(json_object_get(e, "title")));
    }
}

int cmd_diff(const cli_opts *o)
{
    const char *format = o->format != NULL ? o->format : "table";
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, _("hyoka diff: --format '%s': expected table or json\n"), format);
        return CLI_EUSER;
    }
    if (o->nargs < 2 && o->nsets == 0) {
        fprintf(stderr, _("hyoka diff: give two rule files, or one with --set "
                        "thresholds.NAME=NUMBER\n"));
        return CLI_EUSER;
    }
    runs_overrides ov;
    if (runs_overrides_parse(o, "diff", &ov) != 0)
        return CLI_EUSER;
    const char *path_b = o->nargs > 1 ? o->args[1] : o->args[0];
    int rc = CLI_OK;
    char *config_rules = NULL;
    PGconn *c = runs_connect(o, "diff", false, &config_rules, &rc);
    if (c == NULL) {
        runs_overrides_cleanup(&ov);
        return rc;
    }
    free(config_rules);
    eng_rules *ra = runs_load_rules(c, o->args[0], "diff", &rc);
    eng_rules *rb = runs_override(runs_load_rules(c, path_b, "diff", &rc), &ov, "diff", &rc);
    json_t *da = NULL, *db = NULL, *doc = NULL;
    outcomes oa = {0}, ob = {0};
    store_error err = {0};
    if (ra == NULL || rb == NULL)
        goto out;
    da = store_evaluate_each(c, ra, o->args[0], o->survey, true, collect, false, &oa, &err);
    if (da != NULL)
        db = store_evaluate_each(c, rb, path_b, o->survey, true, collect, false, &ob, &err);
    if (da == NULL || db == NULL) {
        fprintf(stderr, _("hyoka diff: %s\n"), err.message);
        rc = store_exit_code(err.status);
        goto out;
    }
    doc = must(json_object());
    json_object_set(doc, "survey", json_object_get(da, "survey"));
    json_object_set(doc, "before", json_object_get(da, "summary"));
    json_object_set(doc, "after", json_object_get(db, "summary"));
    json_object_set_new(doc, "changed", changes(&oa, &ob));
    if (strcmp(format, "json") == 0) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        fputc('\n', stdout);
    } else {
        print_table(stdout, doc, o->args[0], path_b, eng_rules_overrides(rb));
    }
    if (fflush(stdout) != 0) {
        perror("hyoka diff: writing the output");
        rc = CLI_EENV;
    }
out:
    outcomes_cleanup(&oa);
    outcomes_cleanup(&ob);
    json_decref(doc);
    json_decref(da);
    json_decref(db);
    eng_rules_free(ra);
    eng_rules_free(rb);
    runs_overrides_cleanup(&ov);
    PQfinish(c);
    return rc;
}
