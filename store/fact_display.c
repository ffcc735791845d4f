/* fact_display.c - a fact's value written for a person, by the display kind and unit of
 * fact_labels (sql/016) that the run's fact schema keeps. */
#include "fact_display.h"
#include "json_eng.h"
#include "xalloc.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NULL_TEXT "値なし"

/* x rounded half away from zero to `decimals` (eng_round), written with that many decimals when
 * `fixed`, else without trailing zeros; the whole part grouped by thousands with ','. */
static void put_number(char *buf, size_t len, double x, int decimals, bool fixed)
{
    double r = eng_round(x, decimals);
    if (!isfinite(r) || fabs(r) >= 1e15) { /* not a figure anyone reads digit by digit */
        snprintf(buf, len, "%g", r);
        return;
    }
    char raw[64];
    snprintf(raw, sizeof raw, "%.*f", decimals, fabs(r));
    char *dot = strchr(raw, '.');
    if (dot != NULL && !fixed) {
        char *end = raw + strlen(raw);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    size_t whole = dot != NULL && *dot == '.' ? (size_t)(dot - raw) : strlen(raw);
    char out[96];
    size_t o = 0;
    bool zero = strspn(raw, "0.") == strlen(raw);
    if (r < 0 && !zero)
        out[o++] = '-';
    for (size_t i = 0; i < whole; i++) {
        if (i > 0 && (whole - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = raw[i];
    }
    snprintf(out + o, sizeof out - o, "%s", raw + whole);
    snprintf(buf, len, "%s", out);
}

/* Drops a UTF-8 sequence that snprintf cut at the end of buf (sql/016 keeps units short, but the
 * text must stay valid UTF-8 for JSON whatever a unit is). */
static void trim_cut_sequence(char *buf)
{
    size_t n = strlen(buf), i = n;
    while (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0 || (unsigned char)buf[i - 1] < 0xC0)
        return;
    unsigned char lead = (unsigned char)buf[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (n - (i - 1) < want)
        buf[i - 1] = '\0';
}

/* "79" + " %" : a number and its unit, separated by a space as the dashboard writes 79 %. */
static void with_unit(char *buf, size_t len, const char *number, const char *unit)
{
    if (unit != NULL && unit[0] != '\0')
        snprintf(buf, len, "%s %s", number, unit);
    else
        snprintf(buf, len, "%s", number);
    trim_cut_sequence(buf);
}

static bool is(const char *display, const char *kind)
{
    return display != NULL && strcmp(display, kind) == 0;
}

/* The label of category `id` in `rules`, else the id itself. */
static const char *category_label(const eng_rules *rules, const char *id)
{
    int i = rules != NULL ? eng_rules_find(rules, ENG_KIND_CATEGORY, id) : -1;
    const eng_rule_info *info = i >= 0 ? eng_rules_get(rules, ENG_KIND_CATEGORY, i) : NULL;
    return info != NULL && info->label != NULL ? info->label : id;
}

const char *fact_display_text(const json_t *value, const char *display, const char *unit,
                              const eng_rules *rules, char *buf, size_t len)
{
    char num[96];
    if (value == NULL || json_is_null(value))
        return NULL_TEXT;
    if (json_is_boolean(value))
        return json_is_true(value) ? "はい" : "いいえ";
    if (json_is_string(value)) {
        const char *s = json_string_value(value);
        return is(display, "category") ? category_label(rules, s) : s;
    }
    if (json_is_number(value)) {
        double x = json_number_value(value);
        if (is(display, "percent")) {
            put_number(num, sizeof num, x * 100.0, 1, false);
            with_unit(buf, len, num, unit);
        } else if (is(display, "yen") || is(display, "count")) {
            put_number(num, sizeof num, x, 0, false);
            with_unit(buf, len, num, unit);
        } else if (is(display, "number")) {
            put_number(num, sizeof num, x, 2, false);
            with_unit(buf, len, num, unit);
        } else if (is(display, "score")) {
            put_number(num, sizeof num, x, 1, true);
            with_unit(buf, len, num, unit);
        } else if (is(display, "due_days")) {
            double days = eng_round(x, 0);
            put_number(num, sizeof num, fabs(days), 0, false);
            const char *u = unit != NULL && unit[0] != '\0' ? unit : "日";
            if (days < 0)
                snprintf(buf, len, "期限まで %s %s", num, u);
            else if (days > 0)
                snprintf(buf, len, "期限を %s %s超過", num, u);
            else
                snprintf(buf, len, "期限当日");
            trim_cut_sequence(buf);
        } else {
            put_number(num, sizeof num, x, 4, false);
            with_unit(buf, len, num, unit);
        }
        return buf;
    }
    return NULL_TEXT; /* facts are never arrays or objects */
}

typedef struct entry {
    int slot;
    int position;
} entry;

/* Positioned facts first, by position; then the others in slot order. */
static int by_position(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if ((x->position > 0) != (y->position > 0))
        return x->position > 0 ? -1 : 1;
    if (x->position != y->position)
        return (x->position > y->position) - (x->position < y->position);
    return (x->slot > y->slot) - (x->slot < y->slot);
}

static json_t *str_or_null(const char *s)
{
    return jeng_must(s != NULL ? json_string(s) : json_null());
}

json_t *fact_display_list(const eng_schema *schema, const json_t *facts, const eng_rules *rules)
{
    int n = eng_schema_count(schema);
    entry *order = xcalloc((size_t)n + 1, sizeof *order);
    for (int i = 0; i < n; i++)
        order[i] = (entry){.slot = i, .position = eng_schema_position(schema, i)};
    qsort(order, (size_t)n, sizeof *order, by_position);
    json_t *list = jeng_must(json_array());
    for (int k = 0; k < n; k++) {
        int i = order[k].slot;
        const char *name = eng_schema_name(schema, i);
        const char *label = eng_schema_label(schema, i);
        const char *unit = eng_schema_unit(schema, i);
        const char *display = eng_schema_display(schema, i);
        json_t *value = json_object_get(facts, name);
        char buf[256];
        const char *text = fact_display_text(value, display, unit, rules, buf, sizeof buf);
        json_t *e = jeng_must(json_object());
        json_object_set_new(e, "name", str_or_null(name));
        json_object_set_new(e, "label", str_or_null(label != NULL ? label : name));
        json_object_set_new(e, "unit", str_or_null(unit));
        json_object_set_new(e, "display", str_or_null(display));
        json_object_set_new(e, "value", value != NULL ? json_incref(value) : jeng_must(json_null()));
        json_object_set_new(e, "text", str_or_null(text));
        if (json_array_append_new(list, e) != 0)
            abort();
    }
    free(order);
    return list;
}
