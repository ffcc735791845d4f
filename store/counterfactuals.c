/* counterfactuals.c - eng_counterfactuals' answers for people: labels, texts and a sentence per
 * fact and better category (「進捗率が 42 % → 76 % 以上になれば『予定どおり順調』」). */
#include "counterfactuals.h"
#include "fact_display.h"
#include "json_eng.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fewest significant digits (at most 17) that give `x` back. */
static void exact_text(char *buf, size_t len, double x)
{
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

static const char *category_id(const eng_rules *r, int k)
{
    const eng_rule_info *info = k >= 0 ? eng_rules_get(r, ENG_KIND_CATEGORY, k) : NULL;
    return info != NULL ? info->id : NULL;
}

static const char *category_label(const eng_rules *r, int k)
{
    const eng_rule_info *info = eng_rules_get(r, ENG_KIND_CATEGORY, k);
    return info->label != NULL ? info->label : info->id;
}

static json_t *side(const eng_rules *r, double x, int category)
{
    char exact[40];
    exact_text(exact, sizeof exact, x);
    return jeng_must(json_pack("{s:o, s:s, s:o}", "value", jeng_number(x), "exact", exact,
                               "category",
                               category_id(r, category) != NULL
                                   ? json_string(category_id(r, category))
                                   : json_null()));
}

/* The text of value `v` of fact `slot` as fact_display.c writes it, into buf. */
static const char *value_text(const eng_rules *rules, const eng_schema *schema, int slot,
                              json_t *v, char *buf, size_t len)
{
    const char *t = fact_display_text(v, eng_schema_display(schema, slot),
                                      eng_schema_unit(schema, slot), rules, buf, len);
    if (t != buf)
        snprintf(buf, len, "%s", t);
    return buf;
}

json_t *store_counterfactuals(const eng_rules *rules, eng_ctx *c, const eng_value *facts,
                              const json_t *facts_json, const eng_schema *schema,
                              const char *language)
{
    bool ja = strcmp(language != NULL ? language : eng_rules_language(rules), "ja") == 0;
    eng_cf *cf = eng_cf_new(rules);
    int max = eng_cf_nfacts(cf) * eng_rules_count(rules, ENG_KIND_CATEGORY);
    eng_counterfactual *out = xcalloc((size_t)max + 1, sizeof *out);
    int n = eng_counterfactuals(cf, c, facts, out, max);
    json_t *list = jeng_must(json_array());
    for (int i = 0; i < n; i++) {
        const eng_counterfactual *e = &out[i];
        const char *name = eng_schema_name(schema, e->fact);
        const char *label = eng_schema_label(schema, e->fact);
        if (label == NULL)
            label = name;
        const char *unit = eng_schema_unit(schema, e->fact);
        const char *display = eng_schema_display(schema, e->fact);
        json_t *reported = json_object_get(facts_json, name);
        char now[256], to[256], before[256], text[1024];
        value_text(rules, schema, e->fact, reported, now, sizeof now);
        const char *cat = category_label(rules, e->category);
        json_t *o = jeng_must(json_object());
        json_object_set_new(o, "fact", jeng_must(json_string(name)));
        json_object_set_new(o, "label", jeng_must(json_string(label)));
        json_object_set_new(o, "unit", unit != NULL ? json_string(unit) : json_null());
        json_object_set_new(o, "display", display != NULL ? json_string(display) : json_null());
        json_object_set_new(o, "value", reported != NULL ? json_incref(reported) : json_null());
        json_object_set_new(o, "value_text", jeng_must(json_string(now)));
        json_object_set_new(o, "category", jeng_must(json_string(category_id(rules, e->category))));
        json_object_set_new(o, "category_label", jeng_must(json_string(cat)));
        json_object_set_new(o, "found", json_boolean(e->found));
        if (!e->found) {
            snprintf(text, sizeof text,
                     ja ? "%sだけを変えても『%s』にはならない" : "%s alone cannot give %s", label,
                     cat);
            json_object_set_new(o, "to", json_null());
            json_object_set_new(o, "to_exact", json_null());
            json_object_set_new(o, "to_text", json_null());
            json_object_set_new(o, "direction", json_null());
            json_object_set_new(o, "before", json_null());
            json_object_set_new(o, "after", json_null());
        } else if (e->value.type == ENG_BOOL) {
            json_t *v = json_boolean(e->value.as.b);
            value_text(rules, schema, e->fact, v, to, sizeof to);
            snprintf(text, sizeof text, ja ? "%sが %s → %s になれば『%s』" : "%s %s → %s: %s", label,
                     now, to, cat);
            json_object_set_new(o, "to", v);
            json_object_set_new(o, "to_exact", json_null());
            json_object_set_new(o, "to_text", jeng_must(json_string(to)));
            json_object_set_new(o, "direction", json_null());
            json_object_set_new(o, "before", json_null());
            json_object_set_new(o, "after", json_null());
        } else {
            double x = e->value.as.num;
            json_t *v = jeng_number(x), *b = jeng_number(e->before);
            value_text(rules, schema, e->fact, v, to, sizeof to);
            value_text(rules, schema, e->fact, b, before, sizeof before);
            json_decref(b);
            /* A strict comparison (months > 12) flips one step after the number the rule
             * holds: when the step before has the shorter exact text and both read the same,
             * say "more than 12" rather than "at least 12.000000000000002" */
            char exact_value[40], exact_before[40];
            exact_text(exact_value, sizeof exact_value, x);
            exact_text(exact_before, sizeof exact_before, e->before);
            bool strict = strcmp(to, before) == 0 && strlen(exact_before) < strlen(exact_value);
            const char *word;
            if (e->direction > 0)
                word = strict ? (ja ? "を超えれば" : "more than") : (ja ? "以上になれば" : "at least");
            else if (e->direction < 0)
                word = strict ? (ja ? "未満になれば" : "less than") : (ja ? "以下になれば" : "at most");
            else
                word = ja ? "になれば" : "";
            const char *shown = strict ? before : to;
            if (ja)
                snprintf(text, sizeof text, "%sが %s → %s %s『%s』", label, now, shown, word, cat);
            else
                snprintf(text, sizeof text, "%s %s → %s%s%s: %s", label, now, word,
                         word[0] != '\0' ? " " : "", shown, cat);
            json_object_set_new(o, "to", v);
            json_object_set_new(o, "to_exact", jeng_must(json_string(exact_value)));
            json_object_set_new(o, "to_text", jeng_must(json_string(to)));
            json_object_set_new(o, "direction", e->direction > 0   ? json_string("at_least")
                                                : e->direction < 0 ? json_string("at_most")
                                                                   : json_null());
            json_object_set_new(o, "before", side(rules, e->before, e->before_category));
            json_object_set_new(o, "after", side(rules, e->after, e->after_category));
        }
        json_object_set_new(o, "text", jeng_must(json_string(text)));
        json_array_append_new(list, o);
    }
    free(out);
    eng_cf_free(cf);
    return list;
}
