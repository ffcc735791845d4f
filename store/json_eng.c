/* json_eng.c - engine values, results, summaries and explanations as jansson JSON (API shapes). */
#include "json_eng.h"
#include "xalloc.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string or null: NULL in, or text jansson refuses (invalid UTF-8), gives null. */
static json_t *str_or_null(const char *s)
{
    if (s == NULL)
        return jeng_must(json_null());
    json_t *j = json_string(s);
    return j != NULL ? j : jeng_must(json_null());
}

static void put(json_t *obj, const char *key, json_t *value)
{
    if (json_object_set_new(obj, key, value) != 0)
        abort();
}

static void push(json_t *arr, json_t *value)
{
    if (json_array_append_new(arr, value) != 0)
        abort();
}

void jeng_tally_add(jeng_tally *t, const eng_result *res)
{
    t->total++;
    if (res->category >= 0 && res->category < ENG_MAX_CATEGORIES)
        t->categories[res->category]++;
    if (res->primary_reason >= 0 && res->primary_reason < ENG_MAX_REASONS)
        t->reasons[res->primary_reason]++;
    /* the set bits only (a sweep tallies millions of results; testing all 64 was a fifth of
     * its time) */
    for (uint64_t f = res->flags; f != 0; f &= f - 1)
        t->flags[__builtin_ctzll(f)]++;
}

json_t *jeng_number(double x)
{
    if (!isfinite(x))
        return jeng_must(json_null());
    if (x == trunc(x) && fabs(x) < 9007199254740992.0)
        return jeng_must(json_integer((json_int_t)x));
    return jeng_must(json_real(x));
}

json_t *jeng_value(eng_value v)
{
    switch (v.type) {
    case ENG_BOOL:
        return jeng_must(json_boolean(v.as.b));
    case ENG_NUM:
        return jeng_number(v.as.num);
    case ENG_STR: {
        json_t *j = json_stringn(v.as.str.ptr, v.as.str.len);
        return j != NULL ? j : jeng_must(json_null());
    }
    case ENG_NULL:
    case ENG_OPAQUE:
        break;
    }
    return jeng_must(json_null());
}

json_t *jeng_facts(const eng_schema *s, const eng_value *facts)
{
    json_t *obj = jeng_must(json_object());
    int n = eng_schema_count(s);
    for (int i = 0; i < n; i++)
        put(obj, eng_schema_name(s, i), jeng_value(facts[i]));
    return obj;
}

static json_t *id_label(const eng_rule_info *info)
{
    json_t *o = jeng_must(json_object());
    put(o, "id", str_or_null(info->id));
    put(o, "label", str_or_null(info->label));
    return o;
}

static json_t *flag_label(const eng_rule_info *info)
{
    json_t *f = id_label(info);
    put(f, "severity", str_or_null(info->severity));
    return f;
}

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
struct jeng_labels {
    json_t *of[3][MAX2(ENG_MAX_CATEGORIES, MAX2(ENG_MAX_REASONS, ENG_MAX_FLAGS))];
};
/* Indexes of of[]; KIND is each one's rule kind. */
enum { LABEL_CATEGORY, LABEL_REASON, LABEL_FLAG };
static const eng_kind KIND[] = {ENG_KIND_CATEGORY, ENG_KIND_REASON, ENG_KIND_FLAG};

/* The label object of rule `i` of `kind`: shared (a new reference) or, without `l`, made. */
static json_t *label(const eng_rules *r, const jeng_labels *l, int which, int i)
{
    if (l != NULL && l->of[which][i] != NULL)
        return json_incref(l->of[which][i]);
    const eng_rule_info *info = eng_rules_get(r, KIND[which], i);
    return which == LABEL_FLAG ? flag_label(info) : id_label(info);
}

jeng_labels *jeng_labels_new(const eng_rules *r)
{
    jeng_labels *l = xcalloc(1, sizeof *l);
    static const int MAX[] = {ENG_MAX_CATEGORIES, ENG_MAX_REASONS, ENG_MAX_FLAGS};
    for (int which = 0; which < 3; which++) {
        int n = eng_rules_count(r, KIND[which]);
        for (int i = 0; i < n && i < MAX[which]; i++)
            l->of[which][i] = label(r, NULL, which, i);
    }
    return l;
}

void jeng_labels_free(jeng_labels *l)
{
    if (l == NULL)
        return;
    for (int which = 0; which < 3; which++)
        for (size_t i = 0; i < sizeof l->of[0] / sizeof l->of[0][0]; i++)
            json_decref(l->of[which][i]);
    free(l);
}

json_t *jeng_result_shared(const eng_rules *r, const jeng_labels *l, const eng_result *res)
{
    json_t *o = jeng_must(json_object());
    put(o, "score", res->has_score ? jeng_number(res->score) : jeng_must(json_null()));
    put(o, "category", label(r, l, LABEL_CATEGORY, res->category));

    json_t *reasons = jeng_must(json_array());
    int nreasons = eng_rules_count(r, ENG_KIND_REASON);
    /* The primary reason first, then the others in file order (the primary is the first
     * matched in file order, so file order is already right). */
    for (int i = 0; i < nreasons; i++)
        if (res->reasons & (UINT64_C(1) << i))
            push(reasons, label(r, l, LABEL_REASON, i));
    put(o, "reasons", reasons);

    json_t *flags = jeng_must(json_array());
    int nflags = eng_rules_count(r, ENG_KIND_FLAG);
    for (int i = 0; i < nflags; i++)
        if (res->flags & (UINT64_C(1) << i))
            push(flags, label(r, l, LABEL_FLAG, i));
    put(o, "flags", flags);

    const char *recs[ENG_MAX_REASONS + 1];
    int nrecs = eng_recommendations(r, res, recs, ENG_MAX_REASONS + 1);
    if (nrecs > ENG_MAX_REASONS + 1)
        nrecs = ENG_MAX_REASONS + 1;
    json_t *ra = jeng_must(json_array());
    for (int i = 0; i < nrecs; i++)
        push(ra, str_or_null(recs[i]));
    put(o, "recommendations", ra);
    return o;
}

json_t *jeng_result(const eng_rules *r, const eng_result *res)
{
    return jeng_result_shared(r, NULL, res);
}

json_t *jeng_summary(const eng_rules *r, const jeng_tally *t)
{
    json_t *o = jeng_must(json_object());
    put(o, "total", jeng_must(json_integer(t->total)));

    json_t *cats = jeng_must(json_array());
    int n = eng_rules_count(r, ENG_KIND_CATEGORY);
    for (int i = 0; i < n && i < ENG_MAX_CATEGORIES; i++) {
        json_t *c = id_label(eng_rules_get(r, ENG_KIND_CATEGORY, i));
        long count = t->categories[i];
        put(c, "count", jeng_must(json_integer(count)));
        double pct = t->total > 0 ? eng_round((double)count / (double)t->total * 100.0, 1) : 0.0;
        put(c, "percent", jeng_must(json_real(pct)));
        push(cats, c);
    }
    put(o, "categories", cats);

    json_t *reasons = jeng_must(json_array());
    n = eng_rules_count(r, ENG_KIND_REASON);
    for (int i = 0; i < n && i < ENG_MAX_REASONS; i++) {
        const eng_rule_info *info = eng_rules_get(r, ENG_KIND_REASON, i);
        json_t *x = id_label(info);
        put(x, "count", jeng_must(json_integer(t->reasons[i])));
        put(x, "response", str_or_null(info->response));
        push(reasons, x);
    }
    put(o, "reasons", reasons);

    json_t *flags = jeng_must(json_array());
    n = eng_rules_count(r, ENG_KIND_FLAG);
    for (int i = 0; i < n && i < ENG_MAX_FLAGS; i++) {
        const eng_rule_info *info = eng_rules_get(r, ENG_KIND_FLAG, i);
        json_t *x = id_label(info);
        put(x, "severity", str_or_null(info->severity));
        put(x, "count", jeng_must(json_integer(t->flags[i])));
        push(flags, x);
    }
    put(o, "flags", flags);
    return o;
}

long jeng_summary_reasons_total(const json_t *summary)
{
    long sum = 0;
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(summary, "reasons"), i, e)
        sum += (long)json_integer_value(json_object_get(e, "count"));
    return sum;
}

json_t *jeng_catalog(const eng_rules *r)
{
    json_t *o = jeng_must(json_object());
    put(o, "version", str_or_null(eng_rules_version(r)));
    static const struct {
        eng_kind kind;
        const char *key;
    } sections[] = {{ENG_KIND_CATEGORY, "categories"},
                    {ENG_KIND_REASON, "reasons"},
                    {ENG_KIND_FLAG, "flags"},
                    {ENG_KIND_SCORE, "score"}};
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        json_t *arr = jeng_must(json_array());
        int n = eng_rules_count(r, sections[s].kind);
        for (int i = 0; i < n; i++) {
            const eng_rule_info *info = eng_rules_get(r, sections[s].kind, i);
            json_t *e = id_label(info);
            switch (sections[s].kind) {
            case ENG_KIND_CATEGORY:
            case ENG_KIND_REASON:
                put(e, "response", str_or_null(info->response));
                break;
            case ENG_KIND_FLAG:
                put(e, "severity", str_or_null(info->severity));
                break;
            case ENG_KIND_SCORE:
                put(e, "weight", jeng_must(json_real(info->weight)));
                break;
            case ENG_KIND_DERIVED:
                break;
            }
            push(arr, e);
        }
        put(o, sections[s].key, arr);
    }
    return o;
}

static const char *type_name(eng_type t)
{
    switch (t) {
    case ENG_NUM:
        return "number";
    case ENG_BOOL:
        return "boolean";
    case ENG_STR:
        return "string";
    case ENG_NULL:
    case ENG_OPAQUE:
        break;
    }
    return "opaque";
}

json_t *jeng_schema(const eng_schema *s)
{
    json_t *arr = jeng_must(json_array());
    int n = eng_schema_count(s);
    for (int i = 0; i < n; i++) {
        json_t *e = jeng_must(json_object());
        eng_type t = eng_schema_type(s, i);
        put(e, "name", str_or_null(eng_schema_name(s, i)));
        put(e, "type", jeng_must(json_string(type_name(t))));
        if (eng_schema_label(s, i) != NULL)
            put(e, "label", jeng_must(json_string(eng_schema_label(s, i))));
        if (eng_schema_unit(s, i) != NULL)
            put(e, "unit", jeng_must(json_string(eng_schema_unit(s, i))));
        if (eng_schema_display(s, i) != NULL)
            put(e, "display", jeng_must(json_string(eng_schema_display(s, i))));
        if (eng_schema_position(s, i) > 0)
            put(e, "position", jeng_must(json_integer(eng_schema_position(s, i))));
        push(arr, e);
    }
    return arr;
}

eng_schema *jeng_schema_parse(const json_t *fact_schema, char *err, size_t errlen)
{
    if (!json_is_array(fact_schema)) {
        snprintf(err, errlen, "fact schema is not a JSON array");
        return NULL;
    }
    eng_schema *s = eng_schema_new();
    size_t i;
    json_t *e;
    json_array_foreach(fact_schema, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *type = json_string_value(json_object_get(e, "type"));
        eng_type t;
        if (name == NULL || type == NULL) {
            snprintf(err, errlen, "fact schema entry %zu has no name or type", i);
            eng_schema_free(s);
            return NULL;
        }
        if (strcmp(type, "number") == 0)
            t = ENG_NUM;
        else if (strcmp(type, "boolean") == 0)
            t = ENG_BOOL;
        else if (strcmp(type, "string") == 0)
            t = ENG_STR;
        else if (strcmp(type, "opaque") == 0)
            t = ENG_OPAQUE;
        else {
            snprintf(err, errlen, "fact schema entry '%s' has unknown type '%s'", name, type);
            eng_schema_free(s);
            return NULL;
        }
        int slot = eng_schema_add(s, name, t, t == ENG_OPAQUE ? "opaque" : NULL);
        if (slot < 0) {
            snprintf(err, errlen,
                     "fact schema entry '%s' is a duplicate, not a name, or one too many", name);
            eng_schema_free(s);
            return NULL;
        }
        eng_schema_set_label(s, slot, json_string_value(json_object_get(e, "label")));
        json_int_t position = json_integer_value(json_object_get(e, "position"));
        eng_schema_set_display(s, slot, json_string_value(json_object_get(e, "unit")),
                               json_string_value(json_object_get(e, "display")),
                               position > 0 && position <= INT_MAX ? (int)position : 0);
    }
    return s;
}

int jeng_facts_parse(const json_t *facts, const eng_schema *s, eng_value *out, char *err,
                     size_t errlen)
{
    if (!json_is_object(facts)) {
        snprintf(err, errlen, "stored facts are not a JSON object");
        return -1;
    }
    int n = eng_schema_count(s);
    for (int i = 0; i < n; i++) {
        const char *name = eng_schema_name(s, i);
        json_t *v = json_object_get(facts, name);
        eng_type t = eng_schema_type(s, i);
        out[i] = eng_null();
        if (v == NULL || json_is_null(v) || t == ENG_OPAQUE)
            continue;
        if (t == ENG_NUM && json_is_number(v)) {
            out[i] = eng_num(json_number_value(v));
        } else if (t == ENG_BOOL && json_is_boolean(v)) {
            out[i] = eng_bool(json_is_true(v));
        } else if (t == ENG_STR && json_is_string(v)) {
            out[i].type = ENG_STR;
            out[i].as.str.ptr = json_string_value(v);
            out[i].as.str.len = json_string_length(v);
        } else {
            snprintf(err, errlen, "stored fact '%s' is not a %s", name, type_name(t));
            return -1;
        }
    }
    return 0;
}

/* Well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF), as jansson's
 * json_stringn checks it, and no NUL: jsonb refuses \u0000 (PostgreSQL text never has one). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        unsigned cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* A JSON string: " and \ escaped, control characters as \uXXXX (as jansson writes them). */
static void buf_put_string(strbuf *b, const char *s, size_t n)
{
    strbuf_reserve(b, n * 6 + 2);
    b->data[b->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            b->data[b->len++] = '\\';
            b->data[b->len++] = (char)c;
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            const char *esc = NULL;
            switch (c) {
            case '\b':
                esc = "\\b";
                break;
            case '\f':
                esc = "\\f";
                break;
            case '\n':
                esc = "\\n";
                break;
            case '\r':
                esc = "\\r";
                break;
            case '\t':
                esc = "\\t";
                break;
            default:
                break;
            }
            if (esc != NULL) {
                b->data[b->len++] = esc[0];
                b->data[b->len++] = esc[1];
            } else {
                memcpy(b->data + b->len, "\\u00", 4);
                b->len += 4;
                b->data[b->len++] = hex[c >> 4];
                b->data[b->len++] = hex[c & 15];
            }
        } else {
            b->data[b->len++] = (char)c;
        }
    }
    b->data[b->len++] = '"';
}

static void buf_put_value(strbuf *b, eng_value v, int max_digits)
{
    char num[40];
    switch (v.type) {
    case ENG_BOOL:
        if (v.as.b)
            strbuf_put(b, "true", 4);
        else
            strbuf_put(b, "false", 5);
        return;
    case ENG_NUM:
        if (!isfinite(v.as.num))
            break;
        /* integers within 2^53 as integers (jeng_number), other numbers with as many
         * significant digits as it takes to parse back to the same double (at most 17) */
        if (v.as.num == trunc(v.as.num) && fabs(v.as.num) < 9007199254740992.0) {
            /* by hand: printf's "%.0f" was a fifth of storing a run's facts */
            int64_t i = (int64_t)v.as.num;
            uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
            char *end = num + sizeof num, *p = end;
            do {
                *--p = (char)('0' + u % 10);
                u /= 10;
            } while (u != 0);
            if (i < 0)
                *--p = '-';
            strbuf_put(b, p, (size_t)(end - p));
            return;
        }
        /* the shortest of 15 ... max_digits significant digits that parses back to the very
         * same double (33.3, not 33.299999999999997); with 15, what jansson prints at
         * JSON_REAL_PRECISION(15) */
        for (int digits = 15; digits <= max_digits; digits++) {
            snprintf(num, sizeof num, "%.*g", digits, v.as.num);
            if (digits == max_digits || strtod(num, NULL) == v.as.num)
                break;
        }
        /* a real stays a real: 2^53 prints as "9007199254740992", which parses as an integer */
        if (strpbrk(num, ".e") == NULL)
            strcat(num, ".0");
        /* the exponent as jansson writes it: 1e300, 1e-7 (not 1e+300, 1e-07) */
        char *e = strchr(num, 'e');
        if (e != NULL) {
            char *digits = e + 1 + (e[1] == '-'), *from = e + 1;
            if (*from == '+')
                from++;
            else if (*from == '-')
                from++;
            while (*from == '0' && from[1] != '\0')
                from++;
            memmove(digits, from, strlen(from) + 1);
        }
        strbuf_put(b, num, strlen(num));
        return;
    case ENG_STR:
        if (!utf8_valid((const unsigned char *)v.as.str.ptr, v.as.str.len))
            break;
        buf_put_string(b, v.as.str.ptr, v.as.str.len);
        return;
    case ENG_NULL:
    case ENG_OPAQUE:
        break;
    }
    strbuf_put(b, "null", 4);
}

/* Whether `text` (the decimal a number fact was parsed from) may be stored as it is: an integer
 * literal or a decimal fraction without trailing zeros or exponent, at most 15 digits in all, no
 * leading zeros, no "-0", not below 1e-4 (there %.15g and jansson write an exponent). Such a text is the same JSON value as the double jeng_number makes of
 * it: an integer for an integer literal (15 digits are within 2^53), else a real that is not an
 * integer (15 significant digits tell doubles apart), and it parses back to the very same double.
 */
static bool plain_decimal(const char *text)
{
    const char *p = text;
    bool negative = *p == '-';
    if (negative)
        p++;
    if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
        return false;
    int digits = 0;
    bool nonzero = false;
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        nonzero |= *p != '0';
    bool below_one = !nonzero; /* the integer part is "0" */
    if (*p == '.') {
        const char *frac = ++p;
        for (; *p >= '0' && *p <= '9'; p++, digits++)
            nonzero |= *p != '0';
        if (p == frac || p[-1] == '0')
            return false;
        /* %.15g (and jansson) switch to an exponent below 1e-4: 0.00001 is 1e-05 */
        if (below_one && strncmp(frac, "0000", 4) == 0)
            return false;
    }
    return *p == '\0' && digits <= 15 && !(negative && !nonzero);
}

void jeng_facts_write(strbuf *b, const eng_schema *s, const eng_value *facts,
                      const char *const *opaque, const char *const *number_text, int max_digits)
{
    if (max_digits < 15)
        max_digits = 15;
    if (max_digits > 17)
        max_digits = 17;
    int n = eng_schema_count(s);
    strbuf_put(b, "{", 1);
    for (int i = 0; i < n; i++) {
        if (i > 0)
            strbuf_put(b, ",", 1);
        const char *name = eng_schema_name(s, i);
        buf_put_string(b, name, strlen(name));
        strbuf_put(b, ":", 1);
        if (opaque != NULL && opaque[i] != NULL) {
            eng_value v;
            v.type = ENG_STR;
            v.as.str.ptr = opaque[i];
            v.as.str.len = strlen(opaque[i]);
            buf_put_value(b, v, max_digits);
        } else if (number_text != NULL && number_text[i] != NULL && facts[i].type == ENG_NUM &&
                   plain_decimal(number_text[i])) {
            strbuf_put(b, number_text[i], strlen(number_text[i]));
        } else {
            buf_put_value(b, facts[i], max_digits);
        }
    }
    strbuf_put(b, "}", 1);
}

json_t *jeng_step(const eng_step *st)
{
    json_t *o = jeng_must(json_object());
    put(o, "kind", jeng_must(json_string(eng_kind_name(st->kind))));
    put(o, "id", str_or_null(st->id));
    char source[512];
    snprintf(source, sizeof source, "%s:%d", st->file != NULL ? st->file : "<string>", st->line);
    put(o, "source", str_or_null(source));
    put(o, "expression", str_or_null(st->expression));
    json_t *inputs = jeng_must(json_object());
    for (int i = 0; i < st->ninputs; i++)
        put(inputs, st->inputs[i].name, jeng_value(st->inputs[i].value));
    put(o, "inputs", inputs);
    put(o, "result", jeng_value(st->result));
    put(o, "text", str_or_null(st->text));
    return o;
}

json_t *jeng_explanation(const eng_explanation *e)
{
    json_t *arr = jeng_must(json_array());
    int n = eng_explanation_count(e);
    for (int i = 0; i < n; i++)
        push(arr, jeng_step(eng_explanation_get(e, i)));
    return arr;
}
