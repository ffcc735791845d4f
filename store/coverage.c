/* coverage.c - counting which categories, reasons and flags matched (coverage.h). */
#include "coverage.h"
#include "json_eng.h"
#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const eng_kind kinds[3] = {ENG_KIND_CATEGORY, ENG_KIND_REASON, ENG_KIND_FLAG};

void coverage_init(coverage *cv, const eng_rules *r)
{
    memset(cv, 0, sizeof *cv);
    int n = 0;
    for (int k = 0; k < 3; k++)
        n += eng_rules_count(r, kinds[k]);
    cv->entries = xcalloc((size_t)n + 1, sizeof *cv->entries);
    for (int k = 0; k < 3; k++) {
        cv->first[k] = cv->n;
        for (int i = 0; i < eng_rules_count(r, kinds[k]); i++) {
            const eng_rule_info *info = eng_rules_get(r, kinds[k], i);
            coverage_entry *e = &cv->entries[cv->n++];
            e->kind = kinds[k];
            e->id = xstrdup(info->id);
            e->label = info->label ? xstrdup(info->label) : NULL;
            e->file = xstrdup(info->file);
            e->line = info->line;
        }
    }
}

void coverage_cleanup(coverage *cv)
{
    if (cv == NULL)
        return;
    for (int i = 0; i < cv->n; i++) {
        free(cv->entries[i].id);
        free(cv->entries[i].label);
        free(cv->entries[i].file);
    }
    free(cv->entries);
    memset(cv, 0, sizeof *cv);
}

void coverage_add(coverage *cv, int category, int primary_reason, uint64_t reasons,
                  uint64_t flags)
{
    int ncat = cv->first[1] - cv->first[0], nr = cv->first[2] - cv->first[1],
        nf = cv->n - cv->first[2];
    cv->total++;
    if (category >= 0 && category < ncat)
        cv->entries[cv->first[0] + category].count++;
    for (int i = 0; i < nr; i++)
        if ((reasons >> i) & 1u)
            cv->entries[cv->first[1] + i].count++;
    if (primary_reason >= 0 && primary_reason < nr)
        cv->entries[cv->first[1] + primary_reason].primary++;
    for (int i = 0; i < nf; i++)
        if ((flags >> i) & 1u)
            cv->entries[cv->first[2] + i].count++;
}

int coverage_matched(const coverage *cv)
{
    int m = 0;
    for (int i = 0; i < cv->n; i++)
        m += cv->entries[i].count > 0;
    return m;
}

double coverage_percent(const coverage *cv)
{
    return cv->n == 0 ? 100.0 : eng_round(100.0 * coverage_matched(cv) / cv->n, 1);
}

json_t *coverage_json(const coverage *cv)
{
    json_t *items = jeng_must(json_array()), *never = jeng_must(json_array());
    for (int i = 0; i < cv->n; i++) {
        const coverage_entry *e = &cv->entries[i];
        json_t *primary = e->kind == ENG_KIND_REASON ? json_integer(e->primary) : json_null();
        json_array_append_new(items, jeng_must(json_pack(
                                         "{s:s, s:s, s:s?, s:s, s:i, s:I, s:o}", "kind",
                                         eng_kind_name(e->kind), "id", e->id, "label", e->label,
                                         "file", e->file, "line", e->line, "count",
                                         (json_int_t)e->count, "primary", jeng_must(primary))));
        if (e->count == 0)
            json_array_append_new(never, jeng_must(json_pack(
                                             "{s:s, s:s, s:s?, s:s, s:i}", "kind",
                                             eng_kind_name(e->kind), "id", e->id, "label",
                                             e->label, "file", e->file, "line", e->line)));
    }
    return jeng_must(json_pack("{s:I, s:i, s:i, s:o, s:o, s:o}", "total", (json_int_t)cv->total,
                               "entries", cv->n, "matched", coverage_matched(cv), "percent",
                               jeng_number(coverage_percent(cv)), "items", items,
                               "never_matched", never));
}

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

int coverage_print(const json_t *doc, FILE *out)
{
    size_t i;
    const json_t *e;
    int idw = 2;
    json_array_foreach(json_object_get(doc, "items"), i, e)
    {
        int w = (int)strlen(str(e, "id"));
        idw = w > idw ? w : idw;
    }
    fprintf(out, "%-8s  %-*s  %7s  %7s  %s\n", "kind", idw, "id", "matched", "primary", "where");
    json_array_foreach(json_object_get(doc, "items"), i, e)
    {
        const json_t *p = json_object_get(e, "primary");
        char primary[32] = "";
        if (json_is_integer(p))
            snprintf(primary, sizeof primary, "%" JSON_INTEGER_FORMAT, json_integer_value(p));
        fprintf(out, "%-8s  %-*s  %7" JSON_INTEGER_FORMAT "  %7s  %s:%" JSON_INTEGER_FORMAT "\n",
                str(e, "kind"), idw, str(e, "id"), json_integer_value(json_object_get(e, "count")),
                primary, str(e, "file"), json_integer_value(json_object_get(e, "line")));
    }
    json_array_foreach(json_object_get(doc, "never_matched"), i, e)
        fprintf(out, "%s:%" JSON_INTEGER_FORMAT ": %s '%s' never matched\n", str(e, "file"),
                json_integer_value(json_object_get(e, "line")), str(e, "kind"), str(e, "id"));
    fprintf(out,
            "coverage: %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
            " entries matched (%.1f %%) by %" JSON_INTEGER_FORMAT " %s\n",
            json_integer_value(json_object_get(doc, "matched")),
            json_integer_value(json_object_get(doc, "entries")),
            json_number_value(json_object_get(doc, "percent")),
            json_integer_value(json_object_get(doc, "total")),
            json_object_get(doc, "run") != NULL ? "initiatives" : "cases");
    return ferror(out) ? -1 : 0;
}

char *coverage_csv(const json_t *doc, csvw_dialect dialect, size_t *len)
{
    static const char *const cols[] = {"kind", "id", "label", "file", "line", "count", "primary"};
    csvw *w = csvw_new(dialect);
    csvw_header(w, cols, sizeof cols / sizeof cols[0]);
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(doc, "items"), i, e)
    {
        csvw_text(w, str(e, "kind"));
        csvw_text(w, str(e, "id"));
        csvw_text(w, json_string_value(json_object_get(e, "label")));
        csvw_text(w, str(e, "file"));
        csvw_integer(w, json_integer_value(json_object_get(e, "line")));
        csvw_integer(w, json_integer_value(json_object_get(e, "count")));
        const json_t *p = json_object_get(e, "primary");
        if (json_is_integer(p))
            csvw_integer(w, json_integer_value(p));
        else
            csvw_empty(w);
        csvw_row_end(w);
    }
    return csvw_release(w, len);
}

int coverage_parse_percent(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || errno != 0 || !(d >= 0 && d <= 100))
        return -1;
    *out = d;
    return 0;
}
