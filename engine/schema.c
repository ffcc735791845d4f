/* schema.c - fact schemas: the names and types of the facts a rule set may read, in slot order,
 * including the built-in schema of the shipped `evaluation_facts` view. */
#include "ruleset.h"

#include <stdlib.h>
#include <string.h>

typedef struct fact {
    char *name; /* owned */
    eng_type type;
    char *opaque_type; /* owned; human name of an ENG_OPAQUE column type ("date"), else NULL */
    char *label;       /* owned; the reader's name of the fact (e.g. 費用対効果), or NULL */
    char *unit;        /* owned; shown after the value ("円"), or NULL */
    char *display;     /* owned; how the value is written ("yen"), or NULL */
    int position;      /* place in a list of facts, 1-based; 0: none */
} fact;

struct eng_schema {
    int count;
    fact facts[ENG_MAX_FACTS];
};

eng_schema *eng_schema_new(void)
{
    return xcalloc(1, sizeof(eng_schema));
}

/* The shipped view's columns, in the view's order, then the history facts the engine provides.
 * Keep in step with sql/ (the data engineer's evaluation_facts view). */
static const struct {
    const char *name;
    eng_type type;
} builtin_facts[] = {
    {"initiative_code", ENG_STR},    {"measure_code", ENG_STR},     {"departments", ENG_STR},
    {"planned_progress", ENG_NUM},   {"actual_progress", ENG_NUM},  {"budget_planned", ENG_NUM},
    {"budget_spent", ENG_NUM},       {"cost_benefit", ENG_NUM},     {"kpi_attainment", ENG_NUM},
    {"plan_decided", ENG_BOOL},      {"context_changed", ENG_BOOL}, {"reported_reason", ENG_STR},
    {"months_since_start", ENG_NUM}, {"days_past_due", ENG_NUM},    {"completed", ENG_BOOL},
    {"previous_category", ENG_STR},  {"previous_score", ENG_NUM},
};

eng_schema *eng_schema_new_builtin(void)
{
    eng_schema *s = eng_schema_new();
    for (size_t i = 0; i < sizeof builtin_facts / sizeof builtin_facts[0]; i++)
        if (eng_schema_add(s, builtin_facts[i].name, builtin_facts[i].type, NULL) < 0)
            abort(); /* a programmer's mistake in the table above */
    return s;
}

void eng_schema_free(eng_schema *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->count; i++) {
        free(s->facts[i].name);
        free(s->facts[i].opaque_type);
        free(s->facts[i].label);
        free(s->facts[i].unit);
        free(s->facts[i].display);
    }
    free(s);
}

/* A fact name is what the expression lexer reads as one identifier: [A-Za-z_][A-Za-z0-9_]*. */
static bool is_identifier(const char *name)
{
    if (name == NULL || !((name[0] >= 'a' && name[0] <= 'z') ||
                          (name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_'))
        return false;
    for (const char *p = name + 1; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

int eng_schema_add(eng_schema *s, const char *name, eng_type type, const char *opaque_type)
{
    if (s == NULL || !is_identifier(name) || s->count >= ENG_MAX_FACTS || type == ENG_NULL ||
        eng_schema_find(s, name) >= 0)
        return -1;
    fact *f = &s->facts[s->count];
    f->name = xstrdup(name);
    f->type = type;
    f->opaque_type =
        type == ENG_OPAQUE ? xstrdup(opaque_type != NULL ? opaque_type : "unknown") : NULL;
    return s->count++;
}

int eng_schema_count(const eng_schema *s)
{
    return s == NULL ? 0 : s->count;
}

const char *eng_schema_name(const eng_schema *s, int slot)
{
    return s != NULL && slot >= 0 && slot < s->count ? s->facts[slot].name : NULL;
}

eng_type eng_schema_type(const eng_schema *s, int slot)
{
    return s != NULL && slot >= 0 && slot < s->count ? s->facts[slot].type : ENG_NULL;
}

/* The human name of an opaque column's type ("date"), or NULL for usable facts. */
const char *eng_schema_opaque_type(const eng_schema *s, int slot)
{
    return s != NULL && slot >= 0 && slot < s->count ? s->facts[slot].opaque_type : NULL;
}

int eng_schema_find(const eng_schema *s, const char *name)
{
    if (s == NULL || name == NULL)
        return -1;
    for (int i = 0; i < s->count; i++) /* (the first byte first: explanations call this a lot) */
        if (s->facts[i].name[0] == name[0] && strcmp(s->facts[i].name, name) == 0)
            return i;
    return -1;
}

int eng_schema_set_label(eng_schema *s, int slot, const char *label)
{
    if (slot < 0 || slot >= s->count)
        return -1;
    free(s->facts[slot].label);
    s->facts[slot].label = label != NULL && label[0] != '\0' ? xstrdup(label) : NULL;
    return 0;
}

const char *eng_schema_label(const eng_schema *s, int slot)
{
    return slot >= 0 && slot < s->count ? s->facts[slot].label : NULL;
}

static char *dup_or_null(const char *text)
{
    return text != NULL && text[0] != '\0' ? xstrdup(text) : NULL;
}

int eng_schema_set_display(eng_schema *s, int slot, const char *unit, const char *display,
                           int position)
{
    if (slot < 0 || slot >= s->count || position < 0)
        return -1;
    fact *f = &s->facts[slot];
    free(f->unit);
    free(f->display);
    f->unit = dup_or_null(unit);
    f->display = dup_or_null(display);
    f->position = position;
    return 0;
}

const char *eng_schema_unit(const eng_schema *s, int slot)
{
    return s != NULL && slot >= 0 && slot < s->count ? s->facts[slot].unit : NULL;
}

const char *eng_schema_display(const eng_schema *s, int slot)
{
    return s != NULL && slot >= 0 && slot < s->count ? s->facts[slot].display : NULL;
}

int eng_schema_position(const eng_schema *s, int slot)
{
    return s != NULL && slot >= 0 && slot < s->count ? s->facts[slot].position : 0;
}

eng_schema *eng_schema_copy(const eng_schema *s)
{
    eng_schema *c = eng_schema_new();
    for (int i = 0; i < eng_schema_count(s); i++) {
        const fact *f = &s->facts[i];
        if (eng_schema_add(c, f->name, f->type, f->opaque_type) < 0 ||
            eng_schema_set_label(c, i, f->label) < 0 ||
            eng_schema_set_display(c, i, f->unit, f->display, f->position) < 0)
            abort();
    }
    return c;
}

const char *eng_schema_suggest(const eng_schema *s, const char *name)
{
    const char *names[ENG_MAX_FACTS];
    int n = 0;
    for (int i = 0; i < eng_schema_count(s); i++)
        if (s->facts[i].type != ENG_OPAQUE)
            names[n++] = s->facts[i].name;
    return diag_suggest(name, names, n);
}
