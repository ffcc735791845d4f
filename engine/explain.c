/* explain.c - explanations: for each rule evaluated, its inputs (name -> value), its result and
 * one plain-language line in the explanation's language (the rule file's `language`, or the one
 * the caller sets). English shows the expression with every name followed by its value; Japanese
 * is a sentence built from the expression's tree (parse.c), e.g. 「cost_benefit 0.36 が基準値
 * cost_benefit_min 1 を下回るため、理由『…』に該当（default.cfg:51）」. Only the wording lives
 * here: the values come from the evaluation (eval.c), and the value of a clause inside a rule is
 * recomputed from the rule's inputs with the VM's own operations (expr_impl.h). */
#include "expr_impl.h"
#include "ruleset.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN_STRING_BYTES 80 /* a string value longer than this is cut (with …) in `text` */

/* Japanese number texts already written (the thresholds, the weights and a fact's value appear
 * in many steps): direct-mapped by the value's bits. */
#define NUMCACHE 128
typedef struct numcache {
    uint64_t bits[NUMCACHE];
    char text[NUMCACHE][31];
    unsigned char len[NUMCACHE]; /* 0: empty */
} numcache;

typedef struct step_store {
    eng_step pub;
    numcache *nc; /* the explanation's */
    eng_input *inputs;
    size_t *offsets; /* per input: where its string copy starts in buf */
    int *input_ref;  /* per input: its index in the rule's refs */
    int *ref_input;  /* per ref of the rule: the input it is, or -1 (not read) */
    int capinputs;
    char *buf; /* the text, then copies of string values; pointers fixed up when complete */
    size_t len, cap;
    int index; /* of the rule in its section */
} step_store;

/* How a name the rule reads is shown in a Japanese sentence (put_ja_name's text), prepared once. */
typedef struct name_show {
    size_t namelen; /* of the ref's name */
    char *ja;       /* owned; followed by a space (before the NUL), not counted in jalen */
    size_t jalen;
    bool ascii; /* the text begins with an ASCII character (starts_ascii) */
} name_show;

/* A piece of the whole expression as put_expression shows it: text, or a name the rule reads
 * (then its value follows when the run read it). */
typedef struct seg {
    int off, len;
    int ref;      /* index in the rule's refs; -1: text as written */
    bool negated; /* the name follows ! or not (its value goes inside parentheses) */
} seg;

/* What a rule's text needs from the rule set, prepared on the rule's first explanation and kept
 * while the explanation is used with the same rule set (plan_check): the expression parsed again
 * for Japanese sentences (the compiler keeps no tree) with its own copy of the text, each node
 * numbered in `slot` (in this private tree `slot` is the node's index, for tree_value's memo;
 * `ref` the name's index in the rule's refs, -1 for none; `fn` the function called); each ref's
 * Japanese name; the expression split into text and names; the rule's "(file:line)". */
typedef struct parsed_expr {
    bool ready;
    char *src; /* "" for the catch-all category */
    size_t srclen;
    node *root; /* NULL: no tree (the catch-all category) */
    node_arena arena;
    int nnodes;
    node **post; /* the nodes, each after its operands */
    int nrefs;
    name_show *names; /* per ref */
    int *ref_at;      /* per byte of src: the ref an identifier starting there names, or -1 */
    int *id_len;      /* per byte of src: the length of that identifier (0: none starts there) */
    seg *segs;
    int nsegs;
    char *where[2]; /* " (default.cfg:51)", "（default.cfg:51）": owned */
    size_t wherelen[2];
    size_t idlen, labellen;  /* of the rule's id, and of its label (else its id) */
    const char *severity_ja; /* a flag's severity as a Japanese sentence says it (ja_severity) */
    size_t severity_jalen, severitylen;
} parsed_expr;

struct eng_explanation {
    step_store *steps;
    int count, cap;
    const char *language;            /* "en", "ja", or NULL: the rule set's */
    parsed_expr *parsed[ENG_NKINDS]; /* per kind, by the rule's index */
    int nparsed[ENG_NKINDS];
    eng_diags *diags; /* for parsing (the expressions compiled: it stays empty) */
    /* the rule set the prepared rules are for: checked at each explanation's first step */
    const eng_rules *plan_rules;
    char plan_sha[65];
    char *plan_file;
    int *label_slots; /* the facts whose labels the prepared names show, and those labels */
    char **labels;
    int nlabels, caplabels;
    /* every node's value in a step (tree_values), by node index */
    struct tval *memo;
    int capmemo;
    numcache nc;
    bool reference; /* explain_set_reference: nothing prepared, nothing cached */
};

static void plan_clear(eng_explanation *e);

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
        free(e->steps[i].input_ref);
        free(e->steps[i].ref_input);
        free(e->steps[i].buf);
    }
    free(e->steps);
    plan_clear(e);
    for (int k = 0; k < ENG_NKINDS; k++)
        free(e->parsed[k]);
    eng_diags_free(e->diags);
    free(e->plan_file);
    free(e->label_slots);
    free(e->labels);
    free(e->memo);
    free(e);
}

int eng_explanation_set_language(eng_explanation *e, const char *lang)
{
    if (lang != NULL && !eng_language_known(lang))
        return -1;
    e->language = lang == NULL ? NULL : strcmp(lang, "ja") == 0 ? "ja" : "en";
    return 0;
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

/* Makes room for n more bytes and the NUL after them. */
static __attribute__((noinline)) void grow(step_store *s, size_t n)
{
    size_t cap = s->cap ? s->cap : 256;
    while (s->len + n + 1 > cap)
        cap *= 2;
    s->buf = xrealloc(s->buf, cap);
    s->cap = cap;
}

/* Appends n bytes (inline: the text is built from many short pieces). There is always room for
 * the NUL after them, which build_text writes when the text is complete. Up to 32 bytes are
 * copied without a call: two loads that may overlap, both inside p[0, n). */
static inline void put(step_store *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap)
        grow(s, n);
    char *d = s->buf + s->len;
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n > 16 && n <= 32) { /* a label, a Japanese phrase: the same with 16 bytes */
        uint64_t a[2], b[2];
        memcpy(a, p, 16);
        memcpy(b, p + n - 16, 16);
        memcpy(d, a, 16);
        memcpy(d + n - 16, b, 16);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++)
            d[i] = p[i];
    } else {
        memcpy(d, p, n);
    }
    s->len += n;
}

/* Appends a NUL-terminated string (inline: a literal's length is then a constant). */
static inline __attribute__((always_inline)) void puts_(step_store *s, const char *p)
{
    put(s, p, strlen(p));
}

/* puts_ of one of two literals: each with its length known (strlen of `c ? "a" : "bb"` is a
 * call). */
#define PUTS_EITHER(s, c, a, b)                                                                    \
    do {                                                                                           \
        if (c)                                                                                     \
            puts_(s, a);                                                                           \
        else                                                                                       \
            puts_(s, b);                                                                           \
    } while (0)

/* Room for n more bytes (and a NUL) at the end of the text: the caller writes them, then adds
 * what it wrote to s->len. */
static inline char *reserve(step_store *s, size_t n)
{
    if (s->len + n + 1 > s->cap)
        grow(s, n);
    return s->buf + s->len;
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

/* ---- what the text says about a value ------------------------------------------------------- */

/* The writer of one step's text. */
typedef struct writer {
    step_store *s;
    const eng_rules *r;
    bool ja;
    const eng_input *in; /* the step's inputs */
    int nin;
    const char *src;       /* the rule's expression (names and nodes are ranges of it) */
    const parsed_expr *pe; /* the rule prepared (names and nodes know their refs), or NULL */
    const int *ref_input;  /* per ref: the input, or -1 */
    const int *input_ref;  /* per input: the ref */
    struct tval *memo;     /* every node's value, by node index (NULL: computed when asked) */
} writer;

/* The rule's id, label (else id) and severity (English, Japanese) with their lengths: from the
 * prepared rule, or measured (the reference). */
typedef struct rule_text {
    const char *id, *label, *severity, *severity_ja;
    size_t idlen, labellen, severitylen, severity_jalen;
} rule_text;

/* The input called src[off, off+len), or NULL when the run did not read it (short-circuit). */
static const eng_input *find_input(const writer *w, const char *name, size_t len)
{
    for (int i = 0; i < w->nin; i++)
        if (strlen(w->in[i].name) == len && memcmp(w->in[i].name, name, len) == 0)
            return &w->in[i];
    return NULL;
}

/* The input that ref j is, or NULL when the run did not read it. */
static inline const eng_input *ref_input(const writer *w, int j)
{
    if (j < 0)
        return NULL;
    int x = w->ref_input[j];
    return x >= 0 ? &w->in[x] : NULL;
}

/* find_input for the identifier name[0, len) at a position of w->src. */
static inline const eng_input *input_at(const writer *w, const char *name, size_t len)
{
    if (w->pe == NULL)
        return find_input(w, name, len);
    size_t off = (size_t)(name - w->src);
    if ((size_t)w->pe->id_len[off] != len) /* cut by the end of a range */
        return find_input(w, name, len);
    return ref_input(w, w->pe->ref_at[off]);
}

/* Digits of a non-negative integer text with a ',' every three from the right. */
static void put_grouped(step_store *s, const char *digits, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            put(s, ",", 1);
        put(s, digits + i, 1);
    }
}

/* The fast path of explain_number_2dp: r = eng_round(x, 2) with |r| < 1e13 as digits, trailing
 * zeros of the cents dropped, "-" only when it is not 0; *intlen: the digits before the point.
 * r is the double nearest to M / 100 (M < 1e15 < 2^50): |r| * 100 is within 0.25 of M, and
 * %.2f of r prints M / 100. `num` has at least 24 bytes. */
static inline int number_2dp_fast(double r, char *num, int *intlen)
{
    uint64_t m = (uint64_t)(fabs(r) * 100 + 0.5);
    uint64_t whole = m / 100;
    unsigned cents = (unsigned)(m - whole * 100);
    /* at most 13 digits, written from the right end of the first 24 bytes; the 16 after them
     * let one fixed 16-byte copy (no call) take them; what it writes past them is not the text */
    char digits[24 + 16];
    memset(digits + 24, 0, 16);
    char *p = digits + 24;
    do {
        *--p = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole > 0);
    int len = 0;
    if (r < 0 && m != 0)
        num[len++] = '-';
    int n = (int)(digits + 24 - p);
    memcpy(num + len, p, 16);
    len += n;
    *intlen = n;
    if (cents != 0) {
        num[len++] = '.';
        num[len++] = (char)('0' + cents / 10);
        if (cents % 10 != 0)
            num[len++] = (char)('0' + cents % 10);
    }
    num[len] = '\0';
    return len;
}

/* number_2dp_fast's text of r (|r| < 10000.005, so at most 8 bytes: "-9999.99", "-10000")
 * composed in a register and written to out with one 8-byte store: written byte by byte and
 * copied at once, it made each new number wait for its stores (store forwarding). Only on a
 * little-endian machine (the first byte the lowest); else false and the caller takes
 * number_2dp_fast. Sets *len. */
static inline bool number_2dp_short(double r, char *out, size_t *len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t m = (uint64_t)(fabs(r) * 100 + 0.5);
    unsigned whole = (unsigned)(m / 100), cents = (unsigned)(m % 100);
    uint64_t t = 0;
    unsigned n = 0;
    if (r < 0 && m != 0)
        t = '-', n = 1;
    unsigned digits = whole >= 10000  ? 5
                      : whole >= 1000 ? 4
                      : whole >= 100  ? 3
                      : whole >= 10   ? 2
                                      : 1;
    static const unsigned pow10u[] = {1, 10, 100, 1000, 10000};
    for (unsigned i = digits; i-- > 0;)
        t |= (uint64_t)('0' + whole / pow10u[i] % 10) << (8 * n++);
    if (cents != 0) {
        t |= (uint64_t)'.' << (8 * n++);
        t |= (uint64_t)('0' + cents / 10) << (8 * n++);
        if (cents % 10 != 0)
            t |= (uint64_t)('0' + cents % 10) << (8 * n++);
    }
    memcpy(out, &t, 8);
    *len = n;
    return true;
#else
    (void)r, (void)out, (void)len;
    return false;
#endif
}

/* A number as a Japanese sentence shows it: two decimals at most (0.36, 0.86), trailing zeros
 * dropped, two significant digits below 0.01, thousands grouped from 10,000 (1,200,000). */
int explain_number_2dp(double x, char *num, size_t size)
{
    double r = round_half_away(x, 2); /* eng_round, inline */
    if (fabs(r) < 1e13 && size >= 24) {
        int intlen;
        return number_2dp_fast(r, num, &intlen);
    }
    snprintf(num, size, "%.2f", r);
    char *dot = strchr(num, '.');
    if (dot == NULL)
        dot = strchr(num, ','); /* a program that set a locale such as de_DE */
    if (dot != NULL) {
        *dot = '.';
        char *end = num + strlen(num);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    if (strcmp(num, "-0") == 0)
        snprintf(num, size, "0");
    return (int)strlen(num);
}

/* put_ja_number where the digits are not those of the fast path (0, tiny, huge, not finite). */
static __attribute__((noinline)) void put_ja_number_slow(step_store *s, double x)
{
    char num[64];
    double a = fabs(x);
    if (x == 0 || !isfinite(x) || a >= 1e15) {
        eng_value_format(eng_num(x == 0 ? 0.0 : x), num, sizeof num);
        puts_(s, num);
        return;
    }
    if (a < 0.01 && eng_round(a, 2) == 0)
        snprintf(num, sizeof num, "%.2g", x);
    else
        explain_number_2dp(x, num, sizeof num);
    const char *digits = num[0] == '-' ? num + 1 : num;
    size_t intlen = strcspn(digits, ".e");
    if (a < 10000 || strchr(digits, 'e') != NULL) {
        puts_(s, num);
        return;
    }
    if (digits != num)
        put(s, "-", 1);
    put_grouped(s, digits, intlen);
    puts_(s, digits + intlen);
}

/* The text of x, written by put_ja_number_fast into the cache, or NULL when it takes the slow
 * path (printf, whose digits could depend on the locale: not cached). */
static const char *number_text(numcache *nc, double x, size_t *len);

/* The cache entry of x (direct-mapped by its bits). */
static inline unsigned numcache_slot(uint64_t bits)
{
    return (unsigned)((bits * 0x9E3779B97F4A7C15u) >> 57); /* NUMCACHE 128 */
}

/* put_ja_number when the text is not in the cache (or there is none: the reference). */
static __attribute__((noinline)) void put_ja_number_miss(step_store *s, double x)
{
    if (s->nc == NULL) { /* the reference: as before the cache and the fast path */
        put_ja_number_slow(s, x);
        return;
    }
    size_t n;
    const char *t = number_text(s->nc, x, &n);
    if (t != NULL)
        put(s, t, n);
    else
        put_ja_number_slow(s, x);
}

/* A number in a Japanese sentence; a text in the cache is copied inline (most are). */
static inline __attribute__((always_inline)) void put_ja_number(step_store *s, double x)
{
    const numcache *nc = s->nc;
    if (nc != NULL) {
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        unsigned h = numcache_slot(bits);
        if (nc->len[h] != 0 && nc->bits[h] == bits) {
            put(s, nc->text[h], nc->len[h]);
            return;
        }
    }
    put_ja_number_miss(s, x);
}

static const char *number_text(numcache *nc, double x, size_t *len)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    unsigned h = numcache_slot(bits);
    if (nc->len[h] != 0 && nc->bits[h] == bits) {
        *len = nc->len[h];
        return nc->text[h];
    }
    double a = fabs(x);
    char *out = nc->text[h];
    size_t n;
    if (x == 0) { /* as eng_value_format shows 0 and -0 */
        out[0] = '0';
        n = 1;
    } else if (a >= 0.01 && a < 1e13) {   /* not NaN: the digits of number_2dp_fast */
        double r = round_half_away(x, 2); /* eng_round, inline */
        if (!(fabs(r) < 1e13))
            return NULL;
        char num[32];
        int intlen;
        if (a < 10000 && number_2dp_short(r, out, &n))
            goto done;
        n = (size_t)number_2dp_fast(r, num, &intlen);
        if (a < 10000) { /* at most 8 bytes ("-9999.99"): one fixed copy, no call */
            memcpy(out, num, 8);
        } else { /* thousands grouped: at most 13 digits and 4 commas */
            char *o = out;
            const char *d = num;
            if (*d == '-')
                *o++ = *d++;
            for (int i = 0; i < intlen; i++) {
                if (i > 0 && (intlen - i) % 3 == 0)
                    *o++ = ',';
                *o++ = d[i];
            }
            size_t rest = (size_t)(num + n - (d + intlen));
            memcpy(o, d + intlen, rest);
            n = (size_t)(o + rest - out);
        }
    } else {
        return NULL;
    }
done:
    out[n] = '\0';
    nc->len[h] = (unsigned char)n;
    nc->bits[h] = bits;
    *len = n;
    return out;
}

/* put_ja_value of a string (out of line: its escape buffer would make every call set up a large
 * stack frame). */
static __attribute__((noinline)) void put_ja_string(step_store *s, eng_value v)
{
    /* escaped as the English text escapes it (one unambiguous line), in 「」 */
    char text[SHOWN_STRING_BYTES * 6 + 8];
    size_t cut = utf8_cut(v.as.str.ptr, v.as.str.len, SHOWN_STRING_BYTES);
    eng_value shown = v;
    shown.as.str.len = cut;
    size_t n = (size_t)eng_value_format(shown, text, sizeof text);
    if (n >= sizeof text)
        n = sizeof text - 1;
    puts_(s, "「");
    if (n >= 2)
        put(s, text + 1, n - 2);
    PUTS_EITHER(s, cut < v.as.str.len, "…」", "」");
}

/* A value in a Japanese sentence: 未報告, はい / いいえ, 0.36, 「情報政策課」 (long strings cut).
 */
static inline __attribute__((always_inline)) void put_ja_value(step_store *s, eng_value v)
{
    switch (v.type) {
    case ENG_BOOL:
        PUTS_EITHER(s, v.as.b, "はい", "いいえ");
        return;
    case ENG_NUM:
        put_ja_number(s, v.as.num);
        return;
    case ENG_STR:
        put_ja_string(s, v);
        return;
    default:
        puts_(s, "未報告");
        return;
    }
}

static void put_shown_value(const writer *w, eng_value v)
{
    if (w->ja)
        put_ja_value(w->s, v);
    else
        put_value(w->s, v);
}

static void put_number(const writer *w, double x)
{
    if (w->ja) {
        put_ja_number(w->s, x);
        return;
    }
    char num[64];
    eng_value_format(shown_number(eng_num(x)), num, sizeof num);
    puts_(w->s, num);
}

/* ---- the expression with values (English; Japanese where no sentence fits) ------------------ */

static bool ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

/* The expression src[0, len) with each name the program read followed by its value:
 * "progress_ratio < thresholds.on_track_ratio" -> "progress_ratio 0.42 < thresholds.on_track_ratio
 * 0.95". A negated name keeps its value inside the negation, "!(plan_decided true)", so that it
 * never reads as "not decided: true". Hand-written: it only has to tell names from string
 * literals, which is simpler than exposing the lexer's token stream through internal.h. */
/* The end of the token at p (a string literal, a name, a number, or a run of operators, spaces
 * and parentheses up to the next of those); *ident: it is a name; *negated: whether the tokens
 * so far end with ! or the word not (a run of spaces alone keeps what came before). */
static const char *expr_token(const char *p, const char *end, bool *ident, bool *negated)
{
    *ident = false;
    if (*p == '"' || *p == '\'') {
        const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
        *negated = false;
        return q != NULL ? q + 1 : end;
    }
    if (ident_start(*p)) {
        const char *q = p;
        while (q < end && (ident_char(*q) || (*q == '.' && q + 1 < end && ident_start(q[1]))))
            q++;
        *ident = true;
        *negated = (size_t)(q - p) == 3 && memcmp(p, "not", 3) == 0;
        return q;
    }
    if (*p >= '0' && *p <= '9') {
        const char *q = p;
        while (q < end && (ident_char(*q) || *q == '.' ||
                           ((*q == '+' || *q == '-') && (q[-1] == 'e' || q[-1] == 'E'))))
            q++;
        *negated = false;
        return q;
    }
    const char *q = p + 1;
    while (q < end && *q != '"' && *q != '\'' && !ident_start(*q) && !(*q >= '0' && *q <= '9'))
        q++;
    const char *last = q;
    while (last > p && last[-1] == ' ')
        last--;
    if (last > p)
        *negated = last[-1] == '!';
    return q;
}

/* A name the run read, with its value: "progress_ratio 0.42", "!(plan_decided true)". */
static void put_name_value(const writer *w, const char *name, size_t len, const eng_input *in,
                           bool negated)
{
    step_store *s = w->s;
    if (in == NULL) {
        put(s, name, len);
        return;
    }
    if (negated)
        put(s, "(", 1);
    put(s, name, len);
    put(s, " ", 1);
    put_shown_value(w, in->value);
    if (negated)
        put(s, ")", 1);
}

/* The length of the rule's expression. */
static inline size_t src_len(const writer *w)
{
    return w->pe != NULL ? w->pe->srclen : strlen(w->src);
}

static void put_expression(const writer *w, const char *src, size_t len)
{
    step_store *s = w->s;
    const parsed_expr *pe = w->pe;
    if (pe != NULL && src == w->src && len == pe->srclen) { /* the whole expression: prepared */
        for (int i = 0; i < pe->nsegs; i++) {
            const seg *g = &pe->segs[i];
            if (g->ref < 0)
                put(s, src + g->off, (size_t)g->len);
            else
                put_name_value(w, src + g->off, (size_t)g->len, ref_input(w, g->ref), g->negated);
        }
        return;
    }
    const char *p = src, *end = src + len;
    bool negated = false; /* the last operator was ! or the word not */
    while (p < end) {
        bool ident, before = negated;
        const char *q = expr_token(p, end, &ident, &negated);
        if (ident)
            put_name_value(w, p, (size_t)(q - p), input_at(w, p, (size_t)(q - p)), before);
        else
            put(s, p, (size_t)(q - p));
        p = q;
    }
}

/* ---- Japanese sentences from the expression's tree ------------------------------------------ */

/* The value of a subtree from the rule's inputs, computed with the VM's own value operations;
 * `known` is false where the run skipped a name (short-circuit) and the value does not follow. */
typedef struct tval {
    bool known;
    eng_value v;
} tval;

static tval known(eng_value v)
{
    return (tval){true, v};
}

static const tval unknown = {false, {.type = ENG_NULL}};

static bool is_true(tval t)
{
    return t.known && t.v.type == ENG_BOOL && t.v.as.b;
}

static bool is_false(tval t)
{
    return t.known && t.v.type == ENG_BOOL && !t.v.as.b;
}

static tval tree_value(const writer *w, const node *n);

/* *d = {known, v}, as two 16-byte stores (eng_value_put's reason: the memo is read back at once,
 * a whole tval at a time). */
_Static_assert(sizeof(tval) == 32 && offsetof(tval, v) == 8, "tval_put's layout");
static inline __attribute__((always_inline)) void tval_put(tval *d, bool known, eng_value v)
{
    uint64_t w0, w1;
    memcpy(&w0, &v.as, 8);
    memcpy(&w1, (const char *)&v.as + 8, 8);
#if defined(__SSE2__)
    _mm_storeu_si128((__m128i *)(void *)d, _mm_set_epi64x((long long)v.type, (long long)known));
    _mm_storeu_si128((__m128i *)(void *)((char *)d + 16),
                     _mm_set_epi64x((long long)w1, (long long)w0));
#else
    d->known = known;
    d->v.type = v.type;
    memcpy(&d->v.as, &w0, 8);
    memcpy((char *)&d->v.as + 8, &w1, 8);
#endif
}

static inline __attribute__((always_inline)) void tval_copy(tval *d, tval t)
{
    tval_put(d, t.known, t.v);
}

/* The values of a call's arguments; false when one is unknown. */
static bool arg_values(const writer *w, const node *n, eng_value *v)
{
    for (int i = 0; i < n->nargs; i++) {
        tval t = tree_value(w, n->args[i]);
        if (!t.known)
            return false;
        v[i] = t.v;
    }
    return true;
}

/* The function an N_CALL of the re-parsed tree calls (`fn` is set by compile.c, not parse.c). */
static int call_fn(const writer *w, const node *n)
{
    if (n->kind != N_CALL)
        return -1;
    return w->pe != NULL ? (int)n->fn : expr_fn_lookup(w->src + n->op_off, (size_t)n->op_len);
}

static tval call_value(const writer *w, const node *n)
{
    eng_value v[64]; /* a call with more arguments is shown without its value */
    int fn = call_fn(w, n);
    if (n->nargs > (int)(sizeof v / sizeof v[0]) || fn < 0)
        return unknown;
    if (expr_functions[fn].lazy) { /* the first argument that is not null decides */
        for (int i = 0; i < n->nargs; i++) {
            tval t = tree_value(w, n->args[i]);
            if (!t.known || t.v.type != ENG_NULL)
                return t;
        }
        return known(eng_null());
    }
    if (!arg_values(w, n, v))
        return unknown;
    if (n->nargs < expr_functions[fn].min_args ||
        (expr_functions[fn].max_args >= 0 && n->nargs > expr_functions[fn].max_args))
        return unknown;
    return known(val_call((expr_fn)fn, v, n->nargs));
}

static tval tree_value_of(const writer *w, const node *n);

/* The value of a subtree: computed once per step for every node by tree_values (clause_known,
 * put_clause and put_term ask for the same nodes again), or when asked (the reference). */
static inline tval tree_value(const writer *w, const node *n)
{
    return w->memo != NULL ? w->memo[n->slot] : tree_value_of(w, n);
}

/* tree_value where it is only read: the memo's entry itself (no 32-byte copy), or the value
 * computed into *tmp (the reference). */
static inline const tval *tree_at(const writer *w, const node *n, tval *tmp)
{
    if (w->memo != NULL)
        return &w->memo[n->slot];
    *tmp = tree_value_of(w, n);
    return tmp;
}

/* The value of node n into *out, written whole (tval_put): tree_values fills the memo with it
 * and the parent node reads it back at once. */
static inline __attribute__((always_inline)) void tree_value_to(const writer *w, const node *n,
                                                                tval *out)
{
    tval ta, tb; /* the operands' values, when not read from the memo */
    switch (n->kind) {
    case N_CONST:
        tval_put(out, true, n->value);
        return;
    case N_NAME: {
        const eng_input *in =
            w->pe != NULL ? ref_input(w, n->ref) : find_input(w, w->src + n->off, (size_t)n->len);
        if (in != NULL)
            tval_put(out, true, in->value);
        else
            tval_put(out, false, eng_null());
        return;
    }
    case N_UNARY: {
        const tval *a = tree_at(w, n->a, &ta);
        if (!a->known)
            tval_put(out, false, eng_null());
        else
            tval_put(out, true, n->op == T_NOT ? val_not(a->v) : val_neg(a->v));
        return;
    }
    case N_BINARY: {
        const tval *a = tree_at(w, n->a, &ta), *b = tree_at(w, n->b, &tb);
        if (n->op == T_AND || n->op == T_OR) { /* one known side may decide */
            bool decides =
                n->op == T_AND ? is_false(*a) || is_false(*b) : is_true(*a) || is_true(*b);
            if (decides)
                tval_put(out, true, eng_bool(n->op == T_OR));
            else if (!a->known || !b->known)
                tval_put(out, false, eng_null());
            else
                tval_put(out, true, n->op == T_AND ? val_and(a->v, b->v) : val_or(a->v, b->v));
            return;
        }
        if (!a->known || !b->known) {
            tval_put(out, false, eng_null());
            return;
        }
        switch (n->op) {
        case T_PLUS:
            tval_put(out, true, val_arith(OP_ADD, a->v, b->v));
            return;
        case T_MINUS:
            tval_put(out, true, val_arith(OP_SUB, a->v, b->v));
            return;
        case T_STAR:
            tval_put(out, true, val_arith(OP_MUL, a->v, b->v));
            return;
        case T_SLASH:
            tval_put(out, true, val_arith(OP_DIV, a->v, b->v));
            return;
        case T_EQ:
        case T_NE:
            tval_put(out, true, val_equal(n->op == T_NE, a->v, b->v));
            return;
        case T_LT:
            tval_put(out, true, val_compare(OP_LT, a->v, b->v));
            return;
        case T_LE:
            tval_put(out, true, val_compare(OP_LE, a->v, b->v));
            return;
        case T_GT:
            tval_put(out, true, val_compare(OP_GT, a->v, b->v));
            return;
        case T_GE:
            tval_put(out, true, val_compare(OP_GE, a->v, b->v));
            return;
        default:
            tval_put(out, false, eng_null());
            return;
        }
    }
    case N_COND: {
        const tval *c = tree_at(w, n->a, &ta);
        if (!c->known)
            tval_put(out, false, eng_null());
        else if (c->v.type != ENG_BOOL)
            tval_put(out, true, eng_null());
        else {
            const tval *x = tree_at(w, c->v.as.b ? n->b : n->c, &tb);
            tval_put(out, x->known, x->v);
        }
        return;
    }
    case N_IN: {
        const tval *a = tree_at(w, n->a, &ta);
        eng_value v[64]; /* a longer list is shown without its value */
        if (!a->known || n->nargs > (int)(sizeof v / sizeof v[0]) || !arg_values(w, n, v))
            tval_put(out, false, eng_null());
        else
            tval_put(out, true, val_in(a->v, v, n->nargs));
        return;
    }
    case N_CALL:
        tval_copy(out, call_value(w, n));
        return;
    }
    tval_put(out, false, eng_null());
}

static tval tree_value_of(const writer *w, const node *n)
{
    tval t;
    tree_value_to(w, n, &t);
    return t;
}

/* Fills w->memo: every node of the prepared tree, children first (a node's value depends only on
 * its subtree, so a branch the run did not take gets the value tree_value_of gives it). */
static void tree_values(const writer *w)
{
    const parsed_expr *p = w->pe;
    for (int q = 0; q < p->nnodes; q++)
        tree_value_to(w, p->post[q], &w->memo[p->post[q]->slot]);
}

static bool has_prefix(const char *p, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len > n && memcmp(p, prefix, n) == 0;
}

/* The label of rule `id` (len bytes) of kind k, else the id. */
static void put_rule_label(const writer *w, eng_kind k, const char *id, size_t len)
{
    for (int i = 0; i < w->r->count[k]; i++) {
        const eng_rule_info *info = &w->r->rules[k][i].info;
        if (strlen(info->id) == len && memcmp(info->id, id, len) == 0) {
            puts_(w->s, info->label != NULL ? info->label : info->id);
            return;
        }
    }
    put(w->s, id, len);
}

/* A name as a reader calls it: 基準値 X, 理由『…』, 注意表示『…』, 該当した理由の数, 分類, the
 * fact's label from the schema when it has one, else the name itself. */
static void put_ja_name(const writer *w, const char *name, size_t len)
{
    step_store *s = w->s;
    if (has_prefix(name, len, "thresholds.")) {
        puts_(s, "基準値 ");
        put(s, name + 11, len - 11);
    } else if (has_prefix(name, len, "reason.") || has_prefix(name, len, "flag.")) {
        bool reason = name[0] == 'r';
        size_t skip = reason ? 7 : 5;
        PUTS_EITHER(s, reason, "理由『", "注意表示『");
        put_rule_label(w, reason ? ENG_KIND_REASON : ENG_KIND_FLAG, name + skip, len - skip);
        puts_(s, "』");
    } else if (len == 7 && memcmp(name, "reasons", 7) == 0) {
        puts_(s, "該当した理由の数");
    } else if (len == 8 && memcmp(name, "category", 8) == 0) {
        puts_(s, "分類");
    } else {
        char id[128];
        const char *label = NULL;
        if (len < sizeof id) {
            memcpy(id, name, len);
            id[len] = '\0';
            int slot = eng_schema_find(w->r->schema, id);
            label = slot >= 0 ? eng_schema_label(w->r->schema, slot) : NULL;
        }
        if (label != NULL)
            puts_(s, label);
        else
            put(s, name, len);
    }
}

/* put_ja_name of ref j (prepared), else of name[0, len). */
static void put_ref_name(const writer *w, int j, const char *name, size_t len)
{
    if (w->pe != NULL && j >= 0) {
        put(w->s, w->pe->names[j].ja, w->pe->names[j].jalen);
        return;
    }
    put_ja_name(w, name, len);
}

/* put_ja_name of a name node. */
static void put_node_name(const writer *w, const node *n)
{
    put_ref_name(w, w->pe != NULL ? n->ref : -1, w->src + n->off, (size_t)n->len);
}

/* Whether the noun phrase of n begins with an ASCII character (a space then follows が). */
static bool name_ascii(const writer *w, const char *name, size_t len);

static bool starts_ascii(const writer *w, const node *n)
{
    if (n->kind == N_CONST)
        return n->value.type == ENG_NUM;
    if (n->kind != N_NAME)
        return true;
    if (w->pe != NULL && n->ref >= 0)
        return w->pe->names[n->ref].ascii;
    return name_ascii(w, w->src + n->off, (size_t)n->len);
}

/* Whether put_ja_name's text of name[0, len) begins with an ASCII character. */
static bool name_ascii(const writer *w, const char *name, size_t len)
{
    if (has_prefix(name, len, "thresholds.") || has_prefix(name, len, "reason.") ||
        has_prefix(name, len, "flag.") || (len == 7 && memcmp(name, "reasons", 7) == 0) ||
        (len == 8 && memcmp(name, "category", 8) == 0))
        return false;
    char id[128];
    if (len >= sizeof id)
        return true;
    memcpy(id, name, len);
    id[len] = '\0';
    int slot = eng_schema_find(w->r->schema, id);
    const char *label = slot >= 0 ? eng_schema_label(w->r->schema, slot) : NULL;
    return label == NULL || (unsigned char)label[0] < 0x80;
}

/* A noun phrase for n: a name and its value ("cost_benefit 0.36"), a literal, or the
 * subexpression with its values and what it came to ("1 - reasons 0 / 3（= 1）"). */
static void put_term(const writer *w, const node *n)
{
    if (n->kind == N_CONST) {
        put_ja_value(w->s, n->value);
        return;
    }
    tval tmp;
    const tval *t = tree_at(w, n, &tmp);
    if (n->kind == N_UNARY && n->op == T_MINUS && n->a->kind == N_CONST && t->known) {
        put_ja_value(w->s, t->v); /* a negative literal: -1, not "-1（= -1）" */
        return;
    }
    if (n->kind == N_NAME) {
        if (t->known && w->pe != NULL && n->ref >= 0) { /* the prepared name and " " at once */
            put(w->s, w->pe->names[n->ref].ja, w->pe->names[n->ref].jalen + 1);
            put_ja_value(w->s, t->v);
            return;
        }
        put_node_name(w, n);
        if (t->known) {
            put(w->s, " ", 1);
            put_ja_value(w->s, t->v);
        }
        return;
    }
    put_expression(w, w->src + n->off, (size_t)n->len);
    if (t->known) {
        puts_(w->s, "（= ");
        put_ja_value(w->s, t->v);
        puts_(w->s, "）");
    }
}

/* How a clause ends: before ため (END) or before 、 and another clause (CONT). */
typedef enum form { END, CONT } form;

/* (inline: the two texts are literals, whose lengths are then constants) */
static inline __attribute__((always_inline)) void put_form(step_store *s, form f, const char *end,
                                                           const char *cont)
{
    PUTS_EITHER(s, f == END, end, cont);
}

static tok_kind opposite(tok_kind op)
{
    switch (op) {
    case T_LT:
        return T_GE;
    case T_LE:
        return T_GT;
    case T_GT:
        return T_LE;
    case T_GE:
        return T_LT;
    case T_EQ:
        return T_NE;
    default:
        return T_EQ;
    }
}

static bool is_comparison(tok_kind op)
{
    return op == T_LT || op == T_LE || op == T_GT || op == T_GE || op == T_EQ || op == T_NE;
}

/* "A が B を下回る": a comparison that came out as `holds`. */
static void put_comparison(const writer *w, const node *n, bool holds, form f)
{
    step_store *s = w->s;
    tok_kind op = holds ? n->op : opposite(n->op);
    put_term(w, n->a);
    PUTS_EITHER(s, starts_ascii(w, n->b), " が ", " が");
    put_term(w, n->b);
    switch (op) { /* " " and each verb one literal: its length a constant */
    case T_LT:
        put_form(s, f, " を下回る", " を下回り");
        break;
    case T_LE:
        put_form(s, f, " 以下である", " 以下であり");
        break;
    case T_GT:
        put_form(s, f, " を上回る", " を上回り");
        break;
    case T_GE:
        put_form(s, f, " 以上である", " 以上であり");
        break;
    case T_EQ:
        put_form(s, f, " と等しい", " と等しく");
        break;
    case T_NE:
        put_form(s, f, " と異なる", " と異なり");
        break;
    default:
        put(s, " ", 1);
        break;
    }
}

/* A boolean name that is `value`: 理由『…』に該当する, 注意表示『…』が付いている, X
 * が「はい」である. */
static void put_bool_name(const writer *w, const node *n, bool value, form f)
{
    step_store *s = w->s;
    const char *name = w->src + n->off;
    size_t len = (size_t)n->len;
    put_node_name(w, n);
    if (has_prefix(name, len, "reason."))
        put_form(s, f, value ? "に該当する" : "に該当しない", value ? "に該当し" : "に該当せず");
    else if (has_prefix(name, len, "flag."))
        put_form(s, f, value ? "が付いている" : "が付いていない",
                 value ? "が付いており" : "が付いておらず");
    else {
        PUTS_EITHER(s, value, " が「はい」", " が「いいえ」");
        put_form(s, f, "である", "であり");
    }
}

/* The clause that made n come out as `holds` (n's value is that boolean): for a negation the
 * clause of what it negates with the opposite value, for && and || the operands that decided. */
static void put_clause(const writer *w, const node *n, bool holds, form f)
{
    step_store *s = w->s;
    if (n->kind == N_UNARY && n->op == T_NOT) {
        put_clause(w, n->a, !holds, f);
        return;
    }
    if (n->kind == N_BINARY && (n->op == T_AND || n->op == T_OR)) {
        tval a = tree_value(w, n->a);
        bool all = (n->op == T_AND) == holds; /* both operands are `holds` */
        if (all) {
            put_clause(w, n->a, holds, CONT);
            PUTS_EITHER(s, n->op == T_AND, "、かつ ", "、");
            put_clause(w, n->b, holds, f);
        } else { /* the first operand with the deciding value */
            bool first = holds ? is_true(a) : is_false(a);
            put_clause(w, first ? n->a : n->b, holds, f);
        }
        return;
    }
    if (n->kind == N_BINARY && is_comparison(n->op)) {
        put_comparison(w, n, holds, f);
        return;
    }
    if (n->kind == N_NAME) {
        put_bool_name(w, n, holds, f);
        return;
    }
    if (call_fn(w, n) == FN_ISNULL && n->nargs == 1) {
        const node *arg = n->args[0];
        if (holds) {
            if (arg->kind == N_NAME)
                put_node_name(w, arg);
            else
                put_expression(w, w->src + arg->off, (size_t)arg->len);
            puts_(s, " が未報告");
        } else {
            put_term(w, arg);
            puts_(s, " が報告済み");
        }
        put_form(s, f, "である", "であり");
        return;
    }
    if (n->kind == N_IN) {
        put_term(w, n->a);
        puts_(s, " が ");
        for (int i = 0; i < n->nargs; i++) {
            if (i > 0)
                puts_(s, "、");
            put_term(w, n->args[i]);
        }
        if (holds)
            put_form(s, f, " のいずれかである", " のいずれかであり");
        else
            put_form(s, f, " のいずれでもない", " のいずれでもなく");
        return;
    }
    puts_(s, "「");
    put_expression(w, w->src + n->off, (size_t)n->len);
    puts_(s, "」");
    if (holds)
        put_form(s, f, "が成り立つ", "が成り立ち");
    else
        put_form(s, f, "が成り立たない", "が成り立たず");
}

/* Whether every clause put_clause would show has the value it claims: n's value known and equal
 * to `holds`, recursively along the operands it shows. */
static bool clause_known(const writer *w, const node *n, bool holds)
{
    tval tmp;
    const tval *t = tree_at(w, n, &tmp);
    if (!(holds ? is_true(*t) : is_false(*t)))
        return false;
    if (n->kind == N_UNARY && n->op == T_NOT)
        return clause_known(w, n->a, !holds);
    if (n->kind == N_BINARY && (n->op == T_AND || n->op == T_OR)) {
        if ((n->op == T_AND) == holds)
            return clause_known(w, n->a, holds) && clause_known(w, n->b, holds);
        const tval *a = tree_at(w, n->a, &tmp);
        return clause_known(w, (holds ? is_true(*a) : is_false(*a)) ? n->a : n->b, holds);
    }
    return true;
}

/* "X、Y が未報告のため判定できない" (verb: 判定, 計算; NULL: up to ため): the null inputs the
 * result came from. */
static void put_null_cause(const writer *w, const char *verb)
{
    step_store *s = w->s;
    int shown = 0;
    for (int i = 0; i < w->nin; i++)
        if (w->in[i].value.type == ENG_NULL) {
            if (shown++ > 0)
                puts_(s, "、");
            put_ref_name(w, w->pe != NULL ? w->input_ref[i] : -1, w->in[i].name,
                         w->pe != NULL ? 0 : strlen(w->in[i].name));
        }
    PUTS_EITHER(s, shown > 0, " が未報告のため", "値が得られないため");
    if (verb != NULL) {
        puts_(s, verb);
        puts_(s, "できない");
    }
}

static const char *ja_severity(const char *severity)
{
    if (severity == NULL)
        return "警告";
    if (strcmp(severity, "info") == 0)
        return "情報";
    if (strcmp(severity, "critical") == 0)
        return "重大";
    return "警告";
}

/* The sentence of a reason, flag or category step with a boolean result: the clause of the
 * condition, then what it means. Returns false when the clause cannot be told from the inputs
 * (the caller then shows the expression). */
static bool put_ja_condition(const writer *w, const node *root, bool m)
{
    if (root == NULL || !clause_known(w, root, m))
        return false;
    put_clause(w, root, m, END);
    puts_(w->s, "ため、");
    return true;
}

static void put_ja_condition_or_expression(const writer *w, const node *root, bool m)
{
    if (put_ja_condition(w, root, m))
        return;
    puts_(w->s, "「");
    put_expression(w, w->src, src_len(w));
    PUTS_EITHER(w->s, m, "」が成り立つため、", "」が成り立たないため、");
}

static inline __attribute__((always_inline)) void ja_step(const writer *w, const node *root,
                                                          const rule *ru, eng_kind k,
                                                          eng_value result, double weight_share,
                                                          const rule_text *t)
{
    step_store *s = w->s;
    const eng_rule_info *info = &ru->info;
    bool m = result.type == ENG_BOOL && result.as.b, isnull = result.type == ENG_NULL;
    switch (k) {
    case ENG_KIND_DERIVED:
        put(s, t->id, t->idlen);
        if (isnull) {
            puts_(s, " は、");
            put_null_cause(w, "計算");
        } else {
            puts_(s, " を ");
            put_ja_value(s, result);
            puts_(s, " と計算");
        }
        puts_(s, "：");
        put_expression(w, w->src, src_len(w));
        break;
    case ENG_KIND_REASON:
    case ENG_KIND_FLAG:
    case ENG_KIND_CATEGORY: {
        /* "理由『", "注意表示『" or "分類『" (each a literal: its length a constant) */
#define PUT_WHAT()                                                                                 \
    do {                                                                                           \
        if (k == ENG_KIND_REASON)                                                                  \
            puts_(s, "理由『");                                                                    \
        else                                                                                       \
            PUTS_EITHER(s, k == ENG_KIND_FLAG, "注意表示『", "分類『");                            \
    } while (0)
        if (info->expression == NULL) { /* the catch-all category */
            puts_(s, "それより前の分類のいずれにも当たらないため、分類は『");
            put(s, t->label, t->labellen);
            puts_(s, "』");
            break;
        }
        if (isnull) {
            PUT_WHAT();
            put(s, t->label, t->labellen);
            puts_(s, "』は、");
            put_null_cause(w, "判定");
            if (k == ENG_KIND_REASON)
                puts_(s, "（該当しないものとして扱う）");
            else
                PUTS_EITHER(s, k == ENG_KIND_FLAG, "（付けないものとして扱う）",
                            "（当たらないものとして扱う）");
            break;
        }
        put_ja_condition_or_expression(w, root, m);
        if (k == ENG_KIND_CATEGORY && m)
            puts_(s, "分類は『");
        else
            PUT_WHAT();
#undef PUT_WHAT
        put(s, t->label, t->labellen);
        puts_(s, "』");
        if (k == ENG_KIND_REASON)
            PUTS_EITHER(s, m, "に該当", "に該当しない");
        else if (k == ENG_KIND_FLAG) {
            puts_(s, "（");
            put(s, t->severity_ja, t->severity_jalen);
            PUTS_EITHER(s, m, "）を付ける", "）は付けない");
        } else if (!m)
            puts_(s, "には当たらない");
        break;
    }
    case ENG_KIND_SCORE:
        puts_(s, "点数の要素『");
        put(s, t->label, t->labellen);
        if (result.type != ENG_NUM || isnan(result.as.num)) {
            puts_(s, "』は、");
            put_null_cause(w, NULL);
            puts_(s, "除外し、残りの要素の重みで按分し直す");
            break;
        }
        puts_(s, "』：");
        put_expression(w, w->src, src_len(w));
        puts_(s, " = ");
        put_ja_value(s, result);
        if (result.as.num < 0 || result.as.num > 1) {
            puts_(s, "（");
            put_ja_number(s, result.as.num < 0 ? 0 : 1);
            puts_(s, " に切り詰め）");
        }
        puts_(s, "、重み ");
        put_ja_number(s, ru->weight);
        if (weight_share != ru->weight) {
            puts_(s, "（値のない要素を除いて按分し直すと ");
            put_ja_number(s, weight_share);
            puts_(s, "）");
        }
        break;
    }
}

static inline __attribute__((always_inline)) void en_step(const writer *w, const rule *ru,
                                                          eng_kind k, eng_value result,
                                                          double weight_share, const rule_text *t)
{
    step_store *s = w->s;
    const eng_rule_info *info = &ru->info;
    bool m = result.type == ENG_BOOL && result.as.b, isnull = result.type == ENG_NULL;
    switch (k) {
    case ENG_KIND_DERIVED:
        put(s, t->id, t->idlen);
        puts_(s, " = ");
        put_expression(w, w->src, src_len(w));
        puts_(s, " → ");
        put_value(s, result);
        break;
    case ENG_KIND_REASON:
    case ENG_KIND_FLAG:
        put_expression(w, w->src, src_len(w));
        PUTS_EITHER(s, isnull, " → null: ", " → ");
        PUTS_EITHER(s, k == ENG_KIND_REASON, "reason ", "flag ");
        put(s, t->label, t->labellen);
        if (k == ENG_KIND_FLAG) {
            puts_(s, " (");
            put(s, t->severity, t->severitylen);
            puts_(s, ")");
        }
        if (k == ENG_KIND_REASON)
            PUTS_EITHER(s, m, " applies", " does not apply");
        else
            PUTS_EITHER(s, m, " is set", " is not set");
        break;
    case ENG_KIND_CATEGORY:
        if (info->expression == NULL) {
            puts_(s, "no earlier category matched → ");
            put(s, t->label, t->labellen);
            break;
        }
        put_expression(w, w->src, src_len(w));
        if (isnull)
            puts_(s, " → null: not ");
        else
            PUTS_EITHER(s, m, " → category ", " → not ");
        put(s, t->label, t->labellen);
        break;
    case ENG_KIND_SCORE:
        put(s, t->id, t->idlen);
        puts_(s, ": ");
        put_expression(w, w->src, src_len(w));
        if (result.type != ENG_NUM || result.as.num != result.as.num) {
            puts_(s, " = null → left out, the other weights re-normalised");
            break;
        }
        puts_(s, " = ");
        put_value(s, result);
        if (result.as.num < 0 || result.as.num > 1) {
            puts_(s, ", clamped to ");
            put_number(w, result.as.num < 0 ? 0 : 1);
        }
        puts_(s, " × weight ");
        put_number(w, ru->weight);
        if (weight_share != ru->weight) {
            puts_(s, ", re-normalised to ");
            put_number(w, weight_share);
            puts_(s, " without the components that have no value");
        }
        break;
    }
}

/* "（default.cfg:51）" in Japanese, " (default.cfg:51)" in English (the reference's; the
 * prepared rule has it written once). */
static void put_source(step_store *s, const char *file, int line, bool ja)
{
    const char *base = strrchr(file, '/');
    char pos[16]; /* ":LINE" backwards from the end */
    char *p = pos + sizeof pos;
    unsigned u = line > 0 ? (unsigned)line : 0;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    *--p = ':';
    puts_(s, ja ? "（" : " (");
    puts_(s, base != NULL ? base + 1 : file);
    put(s, p, (size_t)(pos + sizeof pos - p));
    puts_(s, ja ? "）" : ")");
}

void explain_set_reference(eng_explanation *e, bool on)
{
    e->reference = on;
}

/* Frees every prepared rule (they were for another rule set). */
static void plan_clear(eng_explanation *e)
{
    for (int k = 0; k < ENG_NKINDS; k++)
        for (int i = 0; i < e->nparsed[k]; i++) {
            parsed_expr *p = &e->parsed[k][i];
            if (!p->ready)
                continue;
            free(p->src);
            arena_free(&p->arena);
            for (int j = 0; j < p->nrefs; j++)
                free(p->names[j].ja);
            free(p->names);
            free(p->ref_at);
            free(p->id_len);
            free(p->segs);
            free(p->post);
            free(p->where[0]);
            free(p->where[1]);
            *p = (parsed_expr){0};
        }
    for (int i = 0; i < e->nlabels; i++)
        free(e->labels[i]);
    e->nlabels = 0;
}

static bool same_string(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Keeps the prepared rules when r is the rule set they were prepared for: the same object with
 * the same text, file and the labels of the facts they name (a rule set freed and another
 * loaded at the same address differs in one of these, or its rules are prepared alike). */
static void plan_check(eng_explanation *e, const eng_rules *r)
{
    if (e->plan_rules == r && memcmp(e->plan_sha, r->sha256, sizeof e->plan_sha) == 0 &&
        same_string(e->plan_file, r->file)) {
        int i = 0;
        while (i < e->nlabels &&
               same_string(e->labels[i], eng_schema_label(r->schema, e->label_slots[i])))
            i++;
        if (i == e->nlabels)
            return;
    }
    plan_clear(e);
    e->plan_rules = r;
    memcpy(e->plan_sha, r->sha256, sizeof e->plan_sha);
    free(e->plan_file);
    e->plan_file = r->file != NULL ? xstrdup(r->file) : NULL;
}

/* Notes that prepared text shows the label of fact `slot` (plan_check compares it). */
static void plan_label(eng_explanation *e, const eng_rules *r, int slot)
{
    for (int i = 0; i < e->nlabels; i++)
        if (e->label_slots[i] == slot)
            return;
    if (e->nlabels == e->caplabels) {
        e->caplabels = e->caplabels ? 2 * e->caplabels : 16;
        e->label_slots = xrealloc(e->label_slots, (size_t)e->caplabels * sizeof *e->label_slots);
        e->labels = xrealloc(e->labels, (size_t)e->caplabels * sizeof *e->labels);
    }
    const char *label = eng_schema_label(r->schema, slot);
    e->label_slots[e->nlabels] = slot;
    e->labels[e->nlabels++] = label != NULL ? xstrdup(label) : NULL;
}

/* Numbers the nodes (slot), and sets a name's ref and a call's function. */
static int number_nodes(node *n, int id, const char *src, const expr_ref *refs, int nrefs)
{
    if (n == NULL)
        return id;
    n->slot = id++;
    if (n->kind == N_NAME) {
        n->ref = -1;
        for (int j = 0; j < nrefs; j++)
            if (strlen(refs[j].name) == (size_t)n->len &&
                memcmp(refs[j].name, src + n->off, (size_t)n->len) == 0)
                n->ref = j;
    }
    if (n->kind == N_CALL)
        n->fn = (expr_fn)expr_fn_lookup(src + n->op_off, (size_t)n->op_len);
    id = number_nodes(n->a, id, src, refs, nrefs);
    id = number_nodes(n->b, id, src, refs, nrefs);
    id = number_nodes(n->c, id, src, refs, nrefs);
    for (int i = 0; i < n->nargs; i++)
        id = number_nodes(n->args[i], id, src, refs, nrefs);
    return id;
}

/* The nodes of n's tree into post[*q...], each after its operands. */
static void postorder(node *n, node **post, int *q)
{
    if (n == NULL)
        return;
    postorder(n->a, post, q);
    postorder(n->b, post, q);
    postorder(n->c, post, q);
    for (int i = 0; i < n->nargs; i++)
        postorder(n->args[i], post, q);
    post[(*q)++] = n;
}

/* " (default.cfg:51)" or "（default.cfg:51）". */
static char *source_text(const char *file, int line, bool ja, size_t *len)
{
    const char *base = file != NULL ? strrchr(file, '/') : NULL;
    base = base != NULL ? base + 1 : file != NULL ? file : "";
    char pos[16]; /* ":LINE" */
    char *p = pos + sizeof pos;
    unsigned u = line > 0 ? (unsigned)line : 0;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    *--p = ':';
    const char *open = ja ? "（" : " (", *close = ja ? "）" : ")";
    size_t n = strlen(open) + strlen(base) + (size_t)(pos + sizeof pos - p) + strlen(close);
    char *t = xmalloc(n + 1);
    size_t o = 0;
    memcpy(t + o, open, strlen(open));
    o += strlen(open);
    memcpy(t + o, base, strlen(base));
    o += strlen(base);
    memcpy(t + o, p, (size_t)(pos + sizeof pos - p));
    o += (size_t)(pos + sizeof pos - p);
    memcpy(t + o, close, strlen(close));
    o += strlen(close);
    t[o] = '\0';
    *len = o;
    return t;
}

static const parsed_expr *prepare_new(eng_explanation *e, const eng_rules *r, eng_kind k, int i);

/* Rule i of kind k prepared (on its first explanation with this rule set). */
static inline const parsed_expr *prepare(eng_explanation *e, const eng_rules *r, eng_kind k, int i)
{
    if (i < e->nparsed[k] && e->parsed[k][i].ready)
        return &e->parsed[k][i];
    return prepare_new(e, r, k, i);
}

static __attribute__((noinline)) const parsed_expr *
prepare_new(eng_explanation *e, const eng_rules *r, eng_kind k, int i)
{
    if (i >= e->nparsed[k]) {
        int n = i + 1 > 2 * e->nparsed[k] ? i + 1 : 2 * e->nparsed[k];
        e->parsed[k] = xrealloc(e->parsed[k], (size_t)n * sizeof *e->parsed[k]);
        memset(e->parsed[k] + e->nparsed[k], 0, (size_t)(n - e->nparsed[k]) * sizeof *e->parsed[k]);
        e->nparsed[k] = n;
    }
    parsed_expr *p = &e->parsed[k][i];
    if (p->ready)
        return p;
    const rule *ru = &r->rules[k][i];
    const char *expr = ru->info.expression;
    p->src = xstrdup(expr != NULL ? expr : "");
    p->srclen = strlen(p->src);
    const expr_ref *refs = NULL;
    p->nrefs = ru->prog != NULL ? expr_refs(ru->prog, &refs) : 0;
    if (expr != NULL) {
        if (e->diags == NULL)
            e->diags = eng_diags_new();
        lexer lx;
        lex_init(&lx, p->src, (int)p->srclen, "<explain>", 1, e->diags);
        p->root = parse_expression(&lx, &p->arena); /* it compiled, so it parses */
        eng_diags_clear(e->diags);
        p->nnodes = number_nodes(p->root, 0, p->src, refs, p->nrefs);
        p->post = xmalloc((size_t)(p->nnodes > 0 ? p->nnodes : 1) * sizeof *p->post);
        int q = 0;
        postorder(p->root, p->post, &q);
        if (p->nnodes > e->capmemo) {
            e->memo = xrealloc(e->memo, (size_t)p->nnodes * sizeof *e->memo);
            e->capmemo = p->nnodes;
        }
    }

    /* each ref's Japanese name, written by put_ja_name itself */
    p->names = xcalloc((size_t)(p->nrefs > 0 ? p->nrefs : 1), sizeof *p->names);
    step_store tmp = {0};
    writer w = {.s = &tmp, .r = r, .ja = true, .src = p->src};
    for (int j = 0; j < p->nrefs; j++) {
        const char *name = refs[j].name;
        size_t len = strlen(name);
        tmp.len = 0;
        put_ja_name(&w, name, len);
        p->names[j].namelen = len;
        p->names[j].ja = xmalloc(tmp.len + 2); /* and a space after it (put_term) */
        memcpy(p->names[j].ja, tmp.buf, tmp.len);
        p->names[j].ja[tmp.len] = ' ';
        p->names[j].ja[tmp.len + 1] = '\0';
        p->names[j].jalen = tmp.len;
        p->names[j].ascii = name_ascii(&w, name, len);
        int slot = eng_schema_find(r->schema, name);
        if (slot >= 0)
            plan_label(e, r, slot);
    }
    free(tmp.buf);

    /* the identifiers at each offset and the whole expression's pieces, as put_expression
     * scans them */
    p->ref_at = xcalloc(p->srclen + 1, sizeof *p->ref_at);
    p->id_len = xcalloc(p->srclen + 1, sizeof *p->id_len);
    const char *end = p->src + p->srclen;
    for (size_t off = 0; off < p->srclen; off++) {
        p->ref_at[off] = -1;
        if (!ident_start(p->src[off]))
            continue;
        bool ident, negated = false;
        const char *q = expr_token(p->src + off, end, &ident, &negated);
        size_t len = (size_t)(q - (p->src + off));
        p->id_len[off] = (int)len;
        for (int j = 0; j < p->nrefs; j++)
            if (p->names[j].namelen == len && memcmp(refs[j].name, p->src + off, len) == 0)
                p->ref_at[off] = j;
    }
    int cap = 8;
    p->segs = xmalloc((size_t)cap * sizeof *p->segs);
    bool negated = false;
    for (const char *s = p->src; s < end;) {
        bool ident, before = negated;
        const char *q = expr_token(s, end, &ident, &negated);
        int off = (int)(s - p->src), len = (int)(q - s);
        int j = ident ? p->ref_at[off] : -1;
        if (j < 0 && p->nsegs > 0 && p->segs[p->nsegs - 1].ref < 0) {
            p->segs[p->nsegs - 1].len += len; /* text after text: one piece */
        } else {
            if (p->nsegs == cap) {
                cap *= 2;
                p->segs = xrealloc(p->segs, (size_t)cap * sizeof *p->segs);
            }
            p->segs[p->nsegs++] = (seg){off, len, j, before};
        }
        s = q;
    }
    p->where[0] = source_text(ru->info.file, ru->info.line, false, &p->wherelen[0]);
    p->where[1] = source_text(ru->info.file, ru->info.line, true, &p->wherelen[1]);
    p->idlen = strlen(ru->info.id);
    p->labellen = strlen(ru->info.label != NULL ? ru->info.label : ru->info.id);
    p->severity_ja = ja_severity(ru->info.severity);
    p->severity_jalen = strlen(p->severity_ja);
    p->severitylen = ru->info.severity != NULL ? strlen(ru->info.severity) : 0;
    p->ready = true;
    return p;
}

/* Writes step s's text, then copies of its string values (so that they outlive the caller's
 * facts). `weight_share`: score components, the weight after re-normalising. */
static void build_text(eng_explanation *e, const eng_rules *r, step_store *s, int i,
                       double weight_share)
{
    eng_kind k = s->pub.kind;
    const rule *ru = &r->rules[k][i];
    const char *lang = e->language != NULL ? e->language : r->language;
    const parsed_expr *p = prepare(e, r, k, i);
    writer w = {.s = s,
                .r = r,
                .ja = lang != NULL && lang[0] == 'j', /* "en" or "ja" */
                .in = s->inputs,
                .nin = s->pub.ninputs,
                .src = p->src, /* the tree's positions and string literals are in this copy */
                .pe = p,
                .ref_input = s->ref_input,
                .input_ref = s->input_ref,
                .memo = NULL};
    eng_value result = s->pub.result;
    if (e->reference) /* names looked up and the expression scanned as each step needs */
        w.pe = NULL;
    else if (w.ja && p->root != NULL && result.type != ENG_NULL && k != ENG_KIND_DERIVED &&
             k != ENG_KIND_SCORE) { /* a sentence from the tree: its values */
        w.memo = e->memo;
        tree_values(&w);
    }
    const eng_rule_info *info = &ru->info;
    rule_text t = {.id = info->id,
                   .label = info->label != NULL ? info->label : info->id,
                   .severity = info->severity};
    if (e->reference) {
        t.severity_ja = ja_severity(info->severity);
        t.idlen = strlen(t.id);
        t.labellen = strlen(t.label);
        t.severitylen = t.severity != NULL ? strlen(t.severity) : 0;
        t.severity_jalen = strlen(t.severity_ja);
    } else {
        t.severity_ja = p->severity_ja;
        t.idlen = p->idlen;
        t.labellen = p->labellen;
        t.severitylen = p->severitylen;
        t.severity_jalen = p->severity_jalen;
    }
    s->len = 0;
    if (w.ja)
        ja_step(&w, p->root, ru, k, result, weight_share, &t);
    else
        en_step(&w, ru, k, result, weight_share, &t);
    if (e->reference)
        put_source(s, ru->info.file, ru->info.line, w.ja);
    else
        put(s, p->where[w.ja], p->wherelen[w.ja]);

    /* The buffer may move while it grows: remember offsets, set the pointers at the end. */
    int nin = s->pub.ninputs;
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
    reserve(s, 0)[0] = '\0';
    s->pub.text = s->buf;
}

void explain_step(eng_explanation *e, const eng_rules *r, eng_kind k, int i, const eng_value *slots,
                  const bool *reads, eng_value result)
{
    explain_step_at(e, r, k, i, slots, reads, &result);
}

void explain_step_at(eng_explanation *e, const eng_rules *r, eng_kind k, int i,
                     const eng_value *slots, const bool *reads, const eng_value *result)
{
    if (e->count == e->cap) {
        int cap = e->cap ? 2 * e->cap : 32;
        e->steps = xrealloc(e->steps, (size_t)cap * sizeof *e->steps);
        memset(e->steps + e->cap, 0, (size_t)(cap - e->cap) * sizeof *e->steps);
        e->cap = cap;
    }
    step_store *s = &e->steps[e->count++];
    s->nc = e->reference ? NULL : &e->nc;
    const rule *ru = &r->rules[k][i];
    const eng_rule_info *info = &ru->info;
    s->len = 0;
    s->index = i;
    /* every field, one by one (a compound literal is built on the stack, then copied) */
    s->pub.kind = k;
    s->pub.id = info->id;
    s->pub.file = info->file;
    s->pub.line = info->line;
    s->pub.expression = info->expression;
    s->pub.ninputs = 0;
    s->pub.inputs = NULL;
    eng_put_copy(&s->pub.result, result);
    s->pub.text = "";

    if (e->count == 1)
        plan_check(e, r); /* the first step of an explanation */
    int nin = 0;
    if (ru->prog != NULL) {
        const expr_ref *refs;
        int nrefs = expr_refs(ru->prog, &refs);
        if (nrefs > s->capinputs) {
            s->inputs = xrealloc(s->inputs, (size_t)nrefs * sizeof *s->inputs);
            s->offsets = xrealloc(s->offsets, (size_t)nrefs * sizeof *s->offsets);
            s->input_ref = xrealloc(s->input_ref, (size_t)nrefs * sizeof *s->input_ref);
            s->ref_input = xrealloc(s->ref_input, (size_t)nrefs * sizeof *s->ref_input);
            s->capinputs = nrefs;
        }
        /* Names a short-circuit skipped are not inputs: the result did not depend on them. */
        for (int j = 0; j < nrefs; j++) {
            s->ref_input[j] = -1;
            if (!refs[j].is_const && !reads[j])
                continue;
            s->ref_input[j] = nin;
            s->input_ref[nin] = j;
            s->inputs[nin].name = refs[j].name;
            const eng_value *v = refs[j].is_const ? &refs[j].constant : &slots[refs[j].slot];
            /* written whole (eng_value_put): build_text reads it back at once */
            if (v->type == ENG_NUM && !isfinite(v->as.num))
                eng_put_null(&s->inputs[nin].value); /* as the evaluation used it (a NaN or
                                                      * infinite fact is null) */
            else
                eng_put_copy(&s->inputs[nin].value, v);
            nin++;
        }
    }
    s->pub.ninputs = nin;
    s->pub.inputs = s->inputs;

    /* A score component's weight after re-normalising is known only when all have run: its
     * text waits for explain_finish (the facts its inputs point into live until then). */
    if (k != ENG_KIND_SCORE)
        build_text(e, r, s, i, 0);
}

void explain_finish(eng_explanation *e, const eng_rules *r)
{
    double weights = 0;
    for (int j = 0; j < e->count; j++) {
        const eng_value *v = &e->steps[j].pub.result;
        if (e->steps[j].pub.kind == ENG_KIND_SCORE && v->type == ENG_NUM && !isnan(v->as.num))
            weights += r->rules[ENG_KIND_SCORE][e->steps[j].index].weight;
    }
    double all = 0;
    for (int i = 0; i < r->count[ENG_KIND_SCORE]; i++)
        all += r->rules[ENG_KIND_SCORE][i].weight;
    for (int j = 0; j < e->count; j++) {
        step_store *s = &e->steps[j];
        if (s->pub.kind != ENG_KIND_SCORE)
            continue;
        double weight = r->rules[ENG_KIND_SCORE][s->index].weight;
        /* the share eval.c's mean gives it: weight / (sum of the weights with a value) */
        double share = weights > 0 && weights != all ? weight / weights : weight;
        build_text(e, r, s, s->index, share);
    }
}
