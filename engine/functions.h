/* functions.h - the rule language's functions: one row each in EXPR_FUNCTIONS and one
 * implementation. Everything else is made from the row: the compiler's name lookup, arity and
 * type checks (compile.c), constant folding (val_call in expr_impl.h), the
 * register VM's instructions (two per function, opcodes.def and regvm.c), the explanation's
 * value of a call (explain.c), and the differential and fuzz tests, which enumerate
 * expr_functions[]. Not used outside engine/ and its tests.
 *
 * An implementation works on register values (see opcodes.def): a number is a double with NaN
 * for null, a boolean 0, 1 or 0.5 (null), a string a reference (NaN for null) that a function
 * may only pass through or test for null. `nul` is the null of the arguments' type (NaN, or 0.5
 * for booleans), so that one implementation serves every type a polymorphic function takes.
 * Arguments past the row's count are `dflt`. A function is pure and never fails. */
#ifndef HYOKA_ENGINE_FUNCTIONS_H
#define HYOKA_ENGINE_FUNCTIONS_H

#include "internal.h"

#include <math.h>

/* What a function takes and gives:
 *   FK_NUM   numbers; a number (a non-number argument acts as null)
 *   FK_SAME  values of one type (any); that type
 *   FK_BOOL  one value of any type; a boolean */
typedef enum fn_kind { FK_NUM, FK_SAME, FK_BOOL } fn_kind;

/* Limit of round(x, n): |n| <= 15 (a double has no more significant decimals). */
#define EXPR_ROUND_MAX_DECIMALS 15

/* x is the null of its type */
static inline bool reg_is_null(double x, double nul)
{
    return isnan(nul) ? isnan(x) : x == nul;
}

/* An arithmetic result: NaN and infinities become null (NaN). */
static inline double finite_or_null(double x)
{
    return isfinite(x) ? x : NAN;
}

/* ---- operators, on register values: the one definition that the register VM runs and that
 * val_* (expr_impl.h: constant folding, explanations) apply to eng_value's ---- */

static inline double op_neg(double a)
{
    return -a;
}
static inline double op_add(double a, double b)
{
    return finite_or_null(a + b);
}
static inline double op_sub(double a, double b)
{
    return finite_or_null(a - b);
}
static inline double op_mul(double a, double b)
{
    return finite_or_null(a * b);
}
static inline double op_div(double a, double b)
{
    return finite_or_null(a / b); /* x / 0 is infinite or NaN: null */
}
/* comparisons of numbers: a boolean register, null (0.5) if either is null */
static inline double op_lt(double a, double b)
{
    return isunordered(a, b) ? 0.5 : (double)(a < b);
}
static inline double op_le(double a, double b)
{
    return isunordered(a, b) ? 0.5 : (double)(a <= b);
}
static inline double op_gt(double a, double b)
{
    return isunordered(a, b) ? 0.5 : (double)(a > b);
}
static inline double op_ge(double a, double b)
{
    return isunordered(a, b) ? 0.5 : (double)(a >= b);
}
static inline double op_eq_n(double a, double b)
{
    return isunordered(a, b) ? 0.5 : (double)(a == b);
}
static inline double op_ne_n(double a, double b)
{
    return isunordered(a, b) ? 0.5 : (double)(a != b);
}
static inline double op_eq_b(double a, double b)
{
    return a == 0.5 || b == 0.5 ? 0.5 : (double)(a == b);
}
static inline double op_ne_b(double a, double b)
{
    return a == 0.5 || b == 0.5 ? 0.5 : (double)(a != b);
}
/* Kleene logic on 0 / 0.5 / 1: not is 1 - x, and the minimum, or the maximum */
static inline double op_not(double a)
{
    return 1.0 - a;
}
static inline double op_and(double a, double b)
{
    return a < b ? a : b;
}
static inline double op_or(double a, double b)
{
    return a > b ? a : b;
}

/* ---- functions ---------------------------------------------------------------------------- */

static inline double fn_min(double a, double b, double c, double nul)
{
    (void)c, (void)nul;
    return isunordered(a, b) ? NAN : b < a ? b : a;
}

static inline double fn_max(double a, double b, double c, double nul)
{
    (void)c, (void)nul;
    return isunordered(a, b) ? NAN : b > a ? b : a;
}

static inline double fn_abs(double a, double b, double c, double nul)
{
    (void)b, (void)c, (void)nul;
    return fabs(a);
}

/* round(x, n): half away from zero at n decimals; null unless n is an integer in [-15, 15]. */
static inline double fn_round(double x, double k, double c, double nul)
{
    (void)c, (void)nul;
    if (isunordered(x, k) || k != floor(k) || k < -EXPR_ROUND_MAX_DECIMALS ||
        k > EXPR_ROUND_MAX_DECIMALS)
        return NAN;
    return finite_or_null(round_half_away(x, (int)k));
}

static inline double fn_clamp(double x, double lo, double hi, double nul)
{
    (void)nul;
    if (isnan(x) || isnan(lo) || isnan(hi))
        return NAN;
    if (x < lo)
        x = lo;
    if (x > hi)
        x = hi;
    return x;
}

/* the first of its arguments that is not null (more than two: pairwise from the left) */
static inline double fn_coalesce(double a, double b, double c, double nul)
{
    (void)c;
    return reg_is_null(a, nul) ? b : a;
}

static inline double fn_is_null(double a, double b, double c, double nul)
{
    (void)b, (void)c;
    return reg_is_null(a, nul) ? 1.0 : 0.0;
}

/* X(ID, name, min args, max args (-1: any number, applied pairwise from the left; else at most
 *   3), arity for messages, kind, dflt (a missing argument), decimals (the index of an argument
 *   that, given as a constant, must be an integer in [-15, 15]; -1 none), lazy (the result is
 *   the first argument that is not null: an explanation knows it without the later ones),
 *   implementation) */
#define EXPR_FUNCTIONS(X)                                                                          \
    X(MIN, "min", 2, -1, "2 or more arguments", FK_NUM, 0, -1, false, fn_min)                      \
    X(MAX, "max", 2, -1, "2 or more arguments", FK_NUM, 0, -1, false, fn_max)                      \
    X(ABS, "abs", 1, 1, "1 argument", FK_NUM, 0, -1, false, fn_abs)                                \
    X(ROUND, "round", 1, 2, "1 or 2 arguments", FK_NUM, 0, 1, false, fn_round)                     \
    X(CLAMP, "clamp", 3, 3, "3 arguments", FK_NUM, 0, -1, false, fn_clamp)                         \
    X(COALESCE, "coalesce", 2, -1, "2 or more arguments", FK_SAME, 0, -1, true, fn_coalesce)       \
    X(ISNULL, "is_null", 1, 1, "1 argument", FK_BOOL, 0, -1, false, fn_is_null)

typedef enum expr_fn {
#define X(id, name, min, max, arity, kind, dflt, decimals, lazy, impl) FN_##id,
    EXPR_FUNCTIONS(X)
#undef X
        FN__COUNT
} expr_fn;

/* One row, as data (compile.c defines the table). */
typedef struct expr_function {
    const char *name;
    int min_args, max_args;
    const char *arity;
    fn_kind kind;
    double dflt;
    int decimals;
    bool lazy;
    double (*impl)(double, double, double, double);
} expr_function;

extern const expr_function expr_functions[FN__COUNT];

#endif
