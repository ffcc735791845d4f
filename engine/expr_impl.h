/* expr_impl.h - types shared by the expression compiler's stages (lex.c -> parse.c -> compile.c
 * -> regvm.c) and the value operations constant folding and explanations use: functions.h's
 * operators and functions, the ones the register VM runs, applied to eng_value's, so a folded
 * constant is computed by exactly the code that would compute it at run time. Not used outside
 * engine/ and its unit tests. */
#ifndef HYOKA_ENGINE_EXPR_IMPL_H
#define HYOKA_ENGINE_EXPR_IMPL_H

#include "functions.h"
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

/* ---- tokens (lex.c) ---------------------------------------------------------------------- */

typedef enum tok_kind {
    T_EOF,
    T_ERROR, /* the lexer already reported it */
    T_NUM,
    T_STR,
    T_NAME, /* identifier, possibly dotted: thresholds.x, reason.cost */
    T_TRUE,
    T_FALSE,
    T_NULL,
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
    T_QUESTION,
    T_COLON,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_AND, /* && and */
    T_OR,  /* || or */
    T_NOT, /* ! not */
    T_IN,
} tok_kind;

typedef struct token {
    tok_kind kind;
    int off;    /* byte offset in the source */
    int len;    /* bytes */
    double num; /* T_NUM */
} token;

typedef struct lexer {
    const char *src;
    int len;
    int pos;
    const char *file;
    int line;
    eng_diags *diags;
} lexer;

void lex_init(lexer *lx, const char *src, int len, const char *file, int line, eng_diags *diags);
/* The next token; T_ERROR after reporting a lexical error, T_EOF at the end (repeatedly). */
token lex_next(lexer *lx);

/* Reports a diagnostic at byte range [off, off+len) of the source (columns in characters). */
void expr_error(const lexer *lx, bool warning, int off, int len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void expr_verror(const lexer *lx, bool warning, int off, int len, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* ---- tree (parse.c) ---------------------------------------------------------------------- */

typedef enum node_kind {
    N_CONST, /* literal, or a folded subtree */
    N_NAME,  /* identifier: resolved by compile.c */
    N_UNARY, /* op: T_MINUS, T_NOT */
    N_BINARY,
    N_COND, /* a ? b : c */
    N_IN,   /* a in (list) */
    N_CALL, /* fn(args) */
} node_kind;

/* The function called name[0, len) (an N_CALL's op_off/op_len: parse.c leaves `fn` to
 * compile.c), or -1 for none. */
int expr_fn_lookup(const char *name, size_t len);

/* Internal type beyond eng_type: a subtree that already produced an error (no further errors
 * about it). ENG_NULL means "null or unknown until run time": accepted anywhere. */
#define EXPR_T_ERROR ((eng_type)99)

typedef struct node node;
struct node {
    node_kind kind;
    tok_kind op;        /* N_UNARY, N_BINARY: operator token (T_AND also for "and") */
    int off, len;       /* byte range of the whole subexpression */
    int op_off, op_len; /* byte range of the operator / function name / literal token */
    eng_type type;      /* set by compile.c */
    eng_value value;    /* N_CONST */
    bool null_literal;  /* N_CONST written as `null` (for the comparison warning) */
    int slot;           /* N_NAME after resolution */
    int ref;            /* N_NAME: index in the program's refs */
    expr_fn fn;         /* N_CALL */
    node *a, *b, *c;    /* operands */
    node **args;        /* N_CALL arguments, N_IN list (N_CONST nodes) */
    int nargs;
};

/* Nodes live in an arena freed at once after compilation. */
typedef struct node_arena {
    void **blocks;
    int count;
    int cap;
} node_arena;

void *arena_alloc(node_arena *a, size_t size);
void arena_free(node_arena *a);

/* expr -> cond ; returns NULL after reporting a syntax error (parsing stops at the first). */
node *parse_expression(lexer *lx, node_arena *arena);

/* ---- program (compile.c, regvm.c) -------------------------------------------------------- */

/* The binary operators, for the checker, folding (val_arith, val_compare) and explanations. */
typedef enum expr_op {
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_AND,
    OP_OR,
} expr_op;

/* The register VM's instruction set (opcodes.def, ROP). */
typedef enum reg_op {
#define ROP(name, operands) R_##name,
#include "opcodes.def"
#undef ROP
    R__COUNT
} reg_op;

typedef struct reg_insn {
    reg_op op;
    int d, a, b, c; /* see opcodes.def */
} reg_insn;

/* Operands of an expression's register code before linking (regvm.c turns them into register
 * numbers of the whole rule set): a tag in bits 28-30 and an index. */
#define RX_SLOT (0 << 28)   /* slot index: the register that mirrors the slot */
#define RX_CONST (1 << 28)  /* index into the expression's reg_consts */
#define RX_TEMP (2 << 28)   /* the expression's temporary register */
#define RX_SREF (4 << 28)   /* the register holding a reference to string constant (consts) i */
/* LOAD_AS's b: the type, and this bit to keep a value of another type apart from null */
#define LOAD_AS_OTHER 8
#define RX_KIND(x) ((x) & (7 << 28))
#define RX_INDEX(x) ((x) & ((1 << 28) - 1))

struct expr_prog {
    char *src; /* owned copy; string literals point into it */
    eng_type type;
    eng_value *consts; /* the string constants of the register code (RX_SREF) */
    int nconsts;
    expr_ref *refs;
    int nrefs;
    char **owned; /* names and copied threshold strings */
    int nowned;
    /* The expression as straight-line register code (no jumps: every operand is computed, which
     * is safe because operations are pure and never fail; the trace marks what the language's
     * short-circuits read), for regvm.c. NULL if the register VM could not represent the
     * expression (fuzz_expr and fuzz_rules check that none that compiles is so). Operands are
     * RX_* tagged; every instruction writes a new temporary. */
    reg_insn *reg_code;
    int nreg_code;
    double *reg_consts;
    int nreg_consts;
    int reg_root; /* RX_* operand holding the result */
    struct reg_prog *run; /* the expression alone, linked for expr_eval (regvm.c) */
    /* An expression of type ENG_NULL that reads names of a type unknown until run time: its value
     * is null or has the type of those names' values, so it is linked once per type, and
     * expr_eval runs the one of the first such name's type (indexed by eng_type; NULL else) */
    struct reg_prog *run_as[ENG_STR + 1];
};

/* regvm.c: links one expression's register code as a program of its own, for expr_eval; NULL
 * when it has none. */
struct reg_prog *regvm_link_expr(const expr_prog *e);
void regvm_free(struct reg_prog *p);

/* ---- value operations (constant folding, explanations): functions.h's operators and
 * functions applied to eng_value's ---------------------------------------------------------- */

/* NaN and infinities never escape an operation: they become null. */
static inline eng_value val_num(double d)
{
    return isfinite(d) ? eng_num(d) : eng_null();
}

/* A number operand as a register (anything else is null, NaN); a boolean operand (anything
 * else is null, 0.5); a boolean register as a value. */
static inline double val_reg_num(eng_value x)
{
    return x.type == ENG_NUM ? x.as.num : NAN;
}
static inline double val_reg_bool(eng_value x)
{
    return x.type == ENG_BOOL ? (x.as.b ? 1.0 : 0.0) : 0.5;
}
static inline eng_value val_of_bool(double r)
{
    return r == 0.5 ? eng_null() : eng_bool(r == 1.0);
}

/* + - * / by functions.h's operators */
static inline eng_value val_arith(expr_op op, eng_value x, eng_value y)
{
    double a = val_reg_num(x), b = val_reg_num(y);
    switch (op) {
    case OP_ADD:
        return val_num(op_add(a, b));
    case OP_SUB:
        return val_num(op_sub(a, b));
    case OP_MUL:
        return val_num(op_mul(a, b));
    case OP_DIV:
        return val_num(op_div(a, b));
    default:
        return eng_null();
    }
}

static inline eng_value val_compare(expr_op op, eng_value x, eng_value y)
{
    double a = val_reg_num(x), b = val_reg_num(y);
    switch (op) {
    case OP_LT:
        return val_of_bool(op_lt(a, b));
    case OP_LE:
        return val_of_bool(op_le(a, b));
    case OP_GT:
        return val_of_bool(op_gt(a, b));
    case OP_GE:
        return val_of_bool(op_ge(a, b));
    default:
        return eng_null();
    }
}

/* Equal values of one type; false for different non-null types (only reachable through names of
 * a type unknown until run time). The caller handles null. */
static inline bool val_same(eng_value x, eng_value y)
{
    if (x.type != y.type)
        return false;
    switch (x.type) {
    case ENG_BOOL:
        return x.as.b == y.as.b;
    case ENG_NUM:
        return x.as.num == y.as.num;
    case ENG_STR:
        return x.as.str.len == y.as.str.len &&
               (x.as.str.len == 0 || memcmp(x.as.str.ptr, y.as.str.ptr, x.as.str.len) == 0);
    default:
        return false;
    }
}

/* == != : numbers and booleans by functions.h's operators, strings by their bytes */
static inline eng_value val_equal(bool negate, eng_value x, eng_value y)
{
    if (x.type == ENG_NULL || y.type == ENG_NULL)
        return eng_null();
    if (x.type == y.type && x.type == ENG_NUM)
        return val_of_bool(negate ? op_ne_n(x.as.num, y.as.num) : op_eq_n(x.as.num, y.as.num));
    if (x.type == y.type && x.type == ENG_BOOL) {
        double a = val_reg_bool(x), b = val_reg_bool(y);
        return val_of_bool(negate ? op_ne_b(a, b) : op_eq_b(a, b));
    }
    return eng_bool(val_same(x, y) != negate);
}

/* Kleene logic: anything but a boolean counts as unknown. */
static inline eng_value val_not(eng_value x)
{
    return val_of_bool(op_not(val_reg_bool(x)));
}

static inline eng_value val_and(eng_value x, eng_value y)
{
    return val_of_bool(op_and(val_reg_bool(x), val_reg_bool(y)));
}

static inline eng_value val_or(eng_value x, eng_value y)
{
    return val_of_bool(op_or(val_reg_bool(x), val_reg_bool(y)));
}

static inline eng_value val_neg(eng_value x)
{
    return val_num(op_neg(val_reg_num(x)));
}

static inline eng_value val_in(eng_value x, const eng_value *list, int n)
{
    if (x.type != ENG_NUM && x.type != ENG_STR)
        return eng_null();
    for (int i = 0; i < n; i++)
        if (val_same(x, list[i]))
            return eng_bool(true);
    return eng_bool(false);
}

/* A value as a register holds it (opcodes.def), for a function whose arguments have type t:
 * string i of the call is the reference -1 - i; another type than t (a name of a type unknown
 * until run time) is null. */
static inline double val_to_reg(eng_value v, eng_type t, int i)
{
    switch (t == v.type ? t : ENG_NULL) {
    case ENG_NUM:
        return v.as.num;
    case ENG_BOOL:
        return v.as.b ? 1.0 : 0.0;
    case ENG_STR:
        return -1.0 - i;
    default:
        return t == ENG_BOOL ? 0.5 : NAN;
    }
}

/* Calls function f (functions.h) on n values: the row's implementation, which the register VM
 * runs too, over the values as registers. Constant folding and explanations compute every
 * call through here. */
static inline eng_value val_call(expr_fn f, const eng_value *v, int n)
{
    const expr_function *F = &expr_functions[f];
    eng_type t = ENG_NUM; /* the arguments' type */
    if (F->kind != FK_NUM)
        for (int i = 0; i < n; i++)
            if (v[i].type != ENG_NULL) {
                t = v[i].type;
                break;
            }
    double nul = t == ENG_BOOL ? 0.5 : NAN, r;
    if (F->max_args < 0) { /* pairwise from the left */
        r = val_to_reg(v[0], t, 0);
        for (int i = 1; i < n; i++)
            r = F->impl(r, val_to_reg(v[i], t, i), F->dflt, nul);
    } else {
        double a[3] = {F->dflt, F->dflt, F->dflt};
        for (int i = 0; i < n && i < 3; i++)
            a[i] = val_to_reg(v[i], t, i);
        r = F->impl(a[0], a[1], a[2], nul);
    }
    eng_type rt = F->kind == FK_NUM ? ENG_NUM : F->kind == FK_BOOL ? ENG_BOOL : t;
    switch (rt) {
    case ENG_NUM:
        return val_num(r);
    case ENG_BOOL:
        return r == 0.5 ? eng_null() : eng_bool(r == 1.0);
    case ENG_STR:
        return isnan(r) ? eng_null() : v[-1 - (int)r];
    default:
        return eng_null();
    }
}

#endif
