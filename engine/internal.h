/* internal.h - the engine's internal interfaces between its stages (not installed, not used
 * outside engine/ and its unit tests):
 *
 *   diag.c      positioned diagnostics (eng_diags), "did you mean", UTF-8 column counting
 *   lex.c       expression text -> tokens (byte offset + length on every token)
 *   parse.c     tokens -> typed tree, precedence climbing over a priority table, depth limit
 *   compile.c   tree -> expr_prog: names resolved to slots, constants folded (by the value
 *               operations of expr_impl.h over functions.h), typed register code
 *   regvm.c     the register VM (doubles): the whole rule set as one program for eng_evaluate
 *               and, traced (regvm_loop.h), eng_explain; one expression alone for expr_eval
 *   schema.c    eng_schema, including the built-in schema of the shipped evaluation_facts view
 *   rules.c     libconfig file -> eng_rules (every key and type checked, all errors collected)
 *   eval.c      eng_evaluate / eng_explain: derived -> reasons -> flags -> categories -> score
 *
 * Slots: an evaluation works on one array of eng_value, laid out by rules.c:
 *   [0, nfacts)                 the facts, in schema order (copied in by eng_evaluate)
 *   then derived values, then `reasons` (count), reason.ID..., flag.ID..., `category` (string).
 * Thresholds are constants and are folded into the programs that read them.
 */
#ifndef HYOKA_ENGINE_INTERNAL_H
#define HYOKA_ENGINE_INTERNAL_H

#include "engine.h"
#include "i18n.h"
#include "xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- diagnostics (diag.c) ---------------------------------------------------------------- */

/* (eng_diags_add, in engine.h, appends a diagnostic.) */

/* Number of UTF-8 code points in the first `bytes` bytes of s (the column of byte offset
 * `bytes` is this + 1). */
int diag_chars(const char *s, size_t bytes);

/* The candidate closest to `name` by edit distance, if close enough to suggest ("did you mean"),
 * else NULL. `candidates` has n entries. */
const char *diag_suggest(const char *name, const char *const *candidates, int n);

/* ---- name resolution: how rules.c tells the compiler what a name means -------------------- */

typedef enum expr_name_status {
    EXPR_NAME_OK,      /* resolved */
    EXPR_NAME_UNKNOWN, /* no such name anywhere: "unknown name 'x'" (+ did you mean) */
    EXPR_NAME_LATER,   /* exists but not yet computed here: message in `later` */
    EXPR_NAME_OPAQUE,  /* a fact whose column type cannot be used in rules: message in `later` */
} expr_name_status;

typedef struct expr_name {
    expr_name_status status;
    bool is_const;      /* thresholds.NAME: folded into the program */
    eng_value constant; /* when is_const */
    int slot;           /* when !is_const */
    eng_type type;      /* ENG_BOOL / ENG_NUM / ENG_STR; ENG_NULL if unknown until run time */
    char later[200];    /* for LATER/OPAQUE, e.g. "'flag.delay' is available from categories on" */
} expr_name;

typedef struct expr_scope {
    /* Resolves the full dotted name (e.g. "thresholds.on_track_ratio", "reason.cost",
     * "progress_ratio"); `name` is NUL-terminated. Fills *out and returns 0. */
    int (*resolve)(void *ud, const char *name, expr_name *out);
    /* Names visible here, for "did you mean"; *names is owned by the scope. Returns the count. */
    int (*names)(void *ud, const char *const **names);
    void *ud;
} expr_scope;

/* ---- compiled expressions (lex.c, parse.c, compile.c, regvm.c) ---------------------------- */

typedef struct expr_prog expr_prog;

/* A name the expression reads, in order of first appearance, each name once. */
typedef struct expr_ref {
    const char *name;   /* owned by the program */
    int offset;         /* byte offset of the first occurrence in the source */
    int len;            /* bytes */
    bool is_const;
    eng_value constant; /* when is_const */
    int slot;           /* when !is_const */
    eng_type type;      /* when !is_const: the slot's type, ENG_NULL if unknown until run time */
} expr_ref;

/* Compiles `src` (as libconfig delivered it) once. `want` is the type the context needs:
 * ENG_BOOL for `when`, ENG_NUM for a score `value`, ENG_NULL for derived (any type).
 * Errors go to `diags` at (file, line, column inside src), with src as the excerpt.
 * Returns the program, or NULL after at least one error. */
expr_prog *expr_compile(const char *src, const expr_scope *scope, eng_type want,
                        const char *file, int line, eng_diags *diags);
void expr_free(expr_prog *p);

/* Static result type; ENG_NULL: always null, or (a name's type unknown) not known until run time. */
eng_type expr_type(const expr_prog *p);
const char *expr_source(const expr_prog *p);  /* the source text, owned by the program */
int expr_refs(const expr_prog *p, const expr_ref **refs);

/* Runs the expression on the register VM (regvm.c: the dispatch loop every rule set runs on,
 * the expression linked alone) over `slots` (the facts, in the scope's slot order); `scratch`
 * has at least expr_scratch_size(p) doubles. Does not allocate; never fails. The result has type
 * expr_type(p) or is null (when expr_type is ENG_NULL: null, or the type of the value of the
 * first name of a type unknown until run time that is not null). Type errors were rejected by
 * expr_compile; a value of another type at run time (a name of a type unknown until run time, or
 * a caller bug) acts as null, except that == != `in` is_null tell it from null, and so do NaN
 * and infinities in slots. */
int expr_scratch_size(const expr_prog *p);
eng_value expr_eval(const expr_prog *p, const eng_value *slots, double *scratch);
/* expr_eval that also sets reads[i] = true for each ref i (in expr_refs order) whose value the
 * result depended on, from the registers: the language's short-circuits decide (`a && b` reads
 * b only if a is not false, `a || b` only if a is not true, `c ? x : y` x if c is true, y if
 * false, neither if null), as an explanation's step does (regvm_trace); folded constants are
 * not read. `reads` has expr_refs() entries; the caller clears it. Does not allocate. */
eng_value expr_eval_traced(const expr_prog *p, const eng_value *slots, double *scratch,
                           bool *reads);
/* Instructions of the expression's register code (tests check that folding shrinks it). */
int expr_reg_code_size(const expr_prog *p);

/* Disassembles the register code, one instruction a line (registers shown as the names, constants
 * and temporaries they hold), then its result. 0, or -1 on a write error. */
int expr_dump(const expr_prog *p, FILE *out);

/* Formats a value the way explanations and messages show it: null, true/false, numbers with
 * up to 15 significant digits and no trailing zeros ("0.42", "12", "-3.5"), strings quoted
 * ("\"on_track\""). Writes at most `size` bytes, NUL-terminated; returns the length it needed. */
int eng_value_format(eng_value v, char *buf, size_t size);

/* eng_round without its fast path: the decimal-digit algorithm itself (value.c; the unit tests
 * check that both agree). */
double eng_round_exact(double x, int decimals);

/* Largest x * 10^decimals the fast path takes: the 15-digit step moves such a value by at most
 * 5e-15 * 1e8 = 5e-7 of a unit, less than the 1e-6 margin kept from a half. */
#define ROUND_FAST_LIMIT 1e8
#define ROUND_HALF_MARGIN 1e-6

/* eng_round itself, inline so that the hot path (a score, rounded to 1 decimal by regvm.c) gets
 * it folded for its constant `decimals` instead of a call; value.c's eng_round is this.
 * eng_round_exact costs a snprintf and a strtod (about 1 us). Away from a half the decimal and
 * the binary value round alike, so most calls take this path: M = the rounded integer (exact, <
 * 2^53), and M / 10^decimals (both exact) is divided once, correctly rounded, giving the same
 * double as strtod("Me-decimals"). Near a half, and for large values, the exact path decides. */
static inline double round_half_away(double x, int decimals)
{
    static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    if (decimals >= 0 && decimals <= 15 && isfinite(x)) {
        double y = fabs(x) * pow10[decimals];
        if (y < ROUND_FAST_LIMIT) {
            double whole = floor(y), frac = y - whole;
            if (fabs(frac - 0.5) > ROUND_HALF_MARGIN) {
                double m = frac < 0.5 ? whole : whole + 1.0;
                if (m == 0)
                    return 0.0;
                double r = m / pow10[decimals];
                return x < 0 ? -r : r;
            }
        }
    }
    return eng_round_exact(x, decimals);
}

/* "null", "boolean", "number", "string" or "opaque": how messages name a type. (value.c) */
const char *eng_type_name(eng_type t);
/* The type's name for a message, in the reader's language (i18n.h). */
const char *eng_type_label(eng_type t);

/* ---- values written whole (explain.c, regvm.c's tracing) ------------------------------------ */

/* Writes value v = {t, word0, word1} to *d as one 16-byte store (type and symbol, the first
 * word of the union) and one 8-byte store (the second word: a string's length, else 0). The
 * compiler copies an eng_value with a 16-byte and an 8-byte load: a value written field by
 * field (a 4-byte type, an 8-byte number) and copied soon after cannot have its store
 * forwarded to that load and stalls (some 12 cycles each, many per explanation step). */
_Static_assert(sizeof(eng_value) == 24 && offsetof(eng_value, as) == 8 && sizeof(eng_type) == 4 &&
                   offsetof(eng_value, sym) == 4,
               "eng_value_put's layout: a 4-byte type, a 4-byte symbol, a 16-byte union");
static inline void eng_value_put_words(eng_value *d, uint64_t head, uint64_t word0, uint64_t word1)
{
#if defined(__SSE2__)
    _mm_storeu_si128((__m128i *)(void *)d, _mm_set_epi64x((long long)word0, (long long)head));
#else
    d->type = (eng_type)(uint32_t)head; /* head: the type in its low half, the symbol above */
    d->sym = (uint32_t)(head >> 32);
    memcpy(&d->as, &word0, 8);
#endif
    memcpy((char *)d + 16, &word1, 8);
}

/* The type with sym 0 (a value built here has no symbol, engine.h). */
static inline void eng_value_put(eng_value *d, eng_type t, uint64_t word0, uint64_t word1)
{
    eng_value_put_words(d, (uint64_t)(uint32_t)t, word0, word1);
}

static inline uint64_t eng_word_of_num(double x)
{
    uint64_t w;
    memcpy(&w, &x, sizeof w);
    return w;
}

/* explain_step (ruleset.h) with the result by address: regvm_trace writes it in place
 * (eng_value_put), where a value passed by value is built on the stack in pieces. (explain.c) */
void explain_step_at(eng_explanation *e, const eng_rules *r, eng_kind k, int i,
                     const eng_value *slots, const bool *reads, const eng_value *result);

/* null, a boolean, a number, a copy of *s (any type) written whole (eng_value_put) */
static inline void eng_put_null(eng_value *d)
{
    eng_value_put(d, ENG_NULL, 0, 0);
}
static inline void eng_put_bool(eng_value *d, bool b)
{
    uint64_t w = 0;
    memcpy(&w, &b, sizeof b); /* as.b */
    eng_value_put(d, ENG_BOOL, w, 0);
}
static inline void eng_put_num(eng_value *d, double x)
{
    eng_value_put(d, ENG_NUM, eng_word_of_num(x), 0);
}
static inline void eng_put_copy(eng_value *d, const eng_value *s)
{
    uint64_t head, w0, w1; /* 8-byte loads, each inside one store of eng_value_put_words: the
                            * type and the symbol (engine.h: a copy keeps its string's symbol) */
    head = (uint64_t)(uint32_t)s->type | (uint64_t)s->sym << 32; /* one load on x86 */
    memcpy(&w0, (const char *)s + 8, 8);
    memcpy(&w1, (const char *)s + 16, 8);
    eng_value_put_words(d, head, w0, w1);
}

#endif
