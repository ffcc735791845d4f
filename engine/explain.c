/* explain.c - explanations: for each rule evaluated, its inputs (name -> value), its result and
 * one plain-language line built from the expression with every name followed by its value. */
#include "ruleset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN_STRING_BYTES 80 /* a string value longer than this is cut (with …) in `text` */

typedef struct step_store {
    eng_step pub;
    eng_input *inputs;
    size_t *offsets; /* per input: where its string copy starts in buf */
    int capinputs;
    char *buf; /* the text, then copies of string values; pointers fixed up when complete */
    size_t len, cap;
} step_store;

struct eng_explanation {
    step_store *steps;
    int count, cap;
};

eng_explanation *eng_explanation_new(void)
{
    eng_explanation *e = xcalloc(1, sizeof *e);
    return e;
}

void eng_explanation_free(eng_explanation *e)
{
    if (e == NULL)
        return;
    for (int i = 0; i < e->cap; i++) {
        free(e->steps[i].inputs);
        free(e->steps[i].offsets);
        free(e->steps[i].buf);
    }
    free(e->steps);
    free(e);
}

int eng_explanation_count(const eng_explanation *e)
{
    return e == NULL ? 0 : e->count;
}

const eng_step *eng_explanation_get(const eng_explanation *e, int i)
{
    return e != NULL && i >= 0 && i < e->count ? &e->steps[i].pub : NULL;
}

void explain_reset(eng_explanation *e)
{
    e->count = 0;
}

/* ---- a growable buffer per step ------------------------------------------------------------- */

static void put(step_store *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (s->len + n + 1 > cap)
            cap *= 2;
        s->buf = xrealloc(s->buf, cap);
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    s->buf[s->len] = '\0';
}

static void puts_(step_store *s, const char *p)
{
    put(s, p, strlen(p));
}

/* Length of at most `max` bytes of s that ends on a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* A number as a sentence shows it: at most four decimals (0.2222, not 0.222222222222222), three
 * significant digits for small non-zero values (0.000123). The step's `inputs` and `result` keep
 * the exact value; this is only the plain-language text. */
static eng_value shown_number(eng_value v)
{
    if (v.type != ENG_NUM || v.as.num == 0 || !isfinite(v.as.num))
        return v;
    double a = fabs(v.as.num);
    if (a < 0.001) {
        char small[32];
        snprintf(small, sizeof small, "%.3g", v.as.num);
        return eng_num(strtod(small, NULL));
    }
    if (a < 1e15)
        return eng_num(eng_round(v.as.num, 4));
    return v;
}

/* A value as the text shows it: null, true, 0.42, "情報政策課" (long strings cut). */
static void put_value(step_store *s, eng_value v)
{
    v = shown_number(v);
    char text[SHOWN_STRING_BYTES * 6 + 8]; /* every byte escaped as \u00XX at worst, quotes */
    bool cut = false;
    if (v.type == ENG_STR) {
        size_t n = utf8_cut(v.as.str.ptr, v.as.str.len, SHOWN_STRING_BYTES);
        cut = n < v.as.str.len;
        v.as.str.len = n;
    }
    size_t n = (size_t)eng_value_format(v, text, sizeof text);
    if (n >= sizeof text)
        n = sizeof text - 1;
    if (cut) { /* "…" inside the closing quote */
        put(s, text, n - 1);
        puts_(s, "…\"");
    } else
        put(s, text, n);
}

static bool ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

/* The expression with each name the program read followed by its value:
 * "progress_ratio < thresholds.on_track_ratio" -> "progress_ratio 0.42 < thresholds.on_track_ratio
 * 0.95". Hand-written: it only has to tell names from string literals, which is simpler than
 * exposing the lexer's token stream through internal.h. */
static void put_expression(step_store *s, const char *src, const eng_input *in, int nin)
{
    const char *p = src;
    while (*p != '\0') {
        if (*p == '"' || *p == '\'') {
            const char *q = strchr(p + 1, *p);
            q = q != NULL ? q + 1 : p + strlen(p);
            put(s, p, (size_t)(q - p));
            p = q;
        } else if (ident_start(*p)) {
            const char *q = p;
            while (ident_char(*q) || (*q == '.' && ident_start(q[1])))
                q++;
            put(s, p, (size_t)(q - p));
            for (int i = 0; i < nin; i++)
                if (strlen(in[i].name) == (size_t)(q - p) &&
                    memcmp(in[i].name, p, (size_t)(q - p)) == 0) {
                    put(s, " ", 1);
                    put_value(s, in[i].value);
                    break;
                }
            p = q;
        } else if (*p >= '0' && *p <= '9') {
            const char *q = p;
            while (ident_char(*q) || *q == '.' ||
                   ((*q == '+' || *q == '-') && (q[-1] == 'e' || q[-1] == 'E')))
                q++;
            put(s, p, (size_t)(q - p));
            p = q;
        } else { /* operators, spaces, parentheses: up to the next name, number or string */
            const char *q = p + 1;
            while (*q != '\0' && *q != '"' && *q != '\'' && !ident_start(*q) &&
                   !(*q >= '0' && *q <= '9'))
                q++;
            put(s, p, (size_t)(q - p));
            p = q;
        }
    }
}

static void put_source(step_store *s, const char *file, int line)
{
    const char *base = strrchr(file, '/');
    char pos[16]; /* ":LINE)" backwards from the end, without snprintf (this runs per step) */
    char *p = pos + sizeof pos;
    *--p = ')';
    unsigned u = line > 0 ? (unsigned)line : 0;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    *--p = ':';
    puts_(s, " (");
    puts_(s, base != NULL ? base + 1 : file);
    put(s, p, (size_t)(pos + sizeof pos - p));
}

static void put_number(step_store *s, double x)
{
    char num[64];
    eng_value_format(shown_number(eng_num(x)), num, sizeof num);
    puts_(s, num);
}

void explain_step(eng_explanation *e, const eng_rules *r, eng_kind k, int i, const eng_value *slots,
                  const bool *reads, eng_value result)
{
    if (e->count == e->cap) {
        int cap = e->cap ? 2 * e->cap : 32;
        e->steps = xrealloc(e->steps, (size_t)cap * sizeof *e->steps);
        memset(e->steps + e->cap, 0, (size_t)(cap - e->cap) * sizeof *e->steps);
        e->cap = cap;
    }
    step_store *s = &e->steps[e->count++];
    const rule *ru = &r->rules[k][i];
    const eng_rule_info *info = &ru->info;
    s->len = 0;
    s->pub = (eng_step){.kind = k,
                        .id = info->id,
                        .file = info->file,
                        .line = info->line,
                        .expression = info->expression,
                        .result = result};

    int nin = 0;
    if (ru->prog != NULL) {
        const expr_ref *refs;
        int nrefs = expr_refs(ru->prog, &refs);
        if (nrefs > s->capinputs) {
            s->inputs = xrealloc(s->inputs, (size_t)nrefs * sizeof *s->inputs);
            s->offsets = xrealloc(s->offsets, (size_t)nrefs * sizeof *s->offsets);
            s->capinputs = nrefs;
        }
        /* Names a short-circuit skipped are not inputs: the result did not depend on them. */
        for (int j = 0; j < nrefs; j++) {
            if (!refs[j].is_const && !reads[j])
                continue;
            s->inputs[nin].name = refs[j].name;
            s->inputs[nin].value = refs[j].is_const ? refs[j].constant : slots[refs[j].slot];
            nin++;
        }
    }
    s->pub.ninputs = nin;
    s->pub.inputs = s->inputs;

    /* the text */
    const char *label = info->label != NULL ? info->label : info->id;
    bool m = result.type == ENG_BOOL && result.as.b, isnull = result.type == ENG_NULL;
    switch (k) {
    case ENG_KIND_DERIVED:
        puts_(s, info->id);
        puts_(s, " = ");
        put_expression(s, info->expression, s->inputs, nin);
        puts_(s, " → ");
        put_value(s, result);
        break;
    case ENG_KIND_REASON:
    case ENG_KIND_FLAG:
        put_expression(s, info->expression, s->inputs, nin);
        puts_(s, isnull ? " → null: " : " → ");
        puts_(s, k == ENG_KIND_REASON ? "reason " : "flag ");
        puts_(s, label);
        if (k == ENG_KIND_FLAG) {
            puts_(s, " (");
            puts_(s, info->severity);
            puts_(s, ")");
        }
        puts_(s, k == ENG_KIND_REASON ? (m ? " applies" : " does not apply")
                                      : (m ? " is set" : " is not set"));
        break;
    case ENG_KIND_CATEGORY:
        if (info->expression == NULL) {
            puts_(s, "no earlier category matched → ");
            puts_(s, label);
            break;
        }
        put_expression(s, info->expression, s->inputs, nin);
        puts_(s, isnull ? " → null: not " : m ? " → category " : " → not ");
        puts_(s, label);
        break;
    case ENG_KIND_SCORE:
        puts_(s, info->id);
        puts_(s, ": ");
        put_expression(s, info->expression, s->inputs, nin);
        if (result.type != ENG_NUM || result.as.num != result.as.num) {
            puts_(s, " = null → left out, the other weights re-normalised");
            break;
        }
        puts_(s, " = ");
        put_value(s, result);
        if (result.as.num < 0 || result.as.num > 1) {
            puts_(s, ", clamped to ");
            put_number(s, result.as.num < 0 ? 0 : 1);
        }
        puts_(s, " × weight ");
        put_number(s, ru->weight);
        break;
    }
    put_source(s, info->file, info->line);

    /* Copies of string values after the text, so that they outlive the caller's facts. The
     * buffer may move while it grows: remember offsets, set the pointers at the end. */
    for (int j = 0; j < nin; j++)
        if (s->inputs[j].value.type == ENG_STR) {
            put(s, "", 1); /* the NUL ending what came before */
            s->offsets[j] = s->len;
            put(s, s->inputs[j].value.as.str.ptr, s->inputs[j].value.as.str.len);
        }
    size_t result_off = 0;
    if (result.type == ENG_STR) {
        put(s, "", 1);
        result_off = s->len;
        put(s, result.as.str.ptr, result.as.str.len);
    }
    for (int j = 0; j < nin; j++)
        if (s->inputs[j].value.type == ENG_STR)
            s->inputs[j].value.as.str.ptr = s->buf + s->offsets[j];
    if (result.type == ENG_STR)
        s->pub.result.as.str.ptr = s->buf + result_off;
    s->pub.text = s->buf;
}
