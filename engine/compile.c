/* compile.c - tree -> expr_prog: names resolved to slots (thresholds to constants), types checked
 * with every error reported, constant subtrees folded (by the value operations of expr_impl.h,
 * over functions.h's operators and functions: what the register VM runs), then the tree as typed
 * register code, which regvm.c links into a rule set's program or alone (expr_eval). */
#include "expr_impl.h"

#include <assert.h>
#include <stdlib.h>

#define ROP(name, operands) #name,
static const char *const reg_op_names[R__COUNT] = {
#include "opcodes.def"
};
#undef ROP

const expr_function expr_functions[FN__COUNT] = {
#define X(id, name, min, max, arity, kind, dflt, decimals, lazy, impl)                             \
    [FN_##id] = {name, min, max, arity, kind, dflt, decimals, lazy, impl},
    EXPR_FUNCTIONS(X)
#undef X
};
#define NFUNCTIONS ((int)FN__COUNT)

int expr_fn_lookup(const char *name, size_t len)
{
    for (int i = 0; i < NFUNCTIONS; i++)
        if (strlen(expr_functions[i].name) == len && memcmp(expr_functions[i].name, name, len) == 0)
            return i;
    return -1;
}

typedef struct compiler {
    lexer lx; /* over prog->src: positions and the diagnostics sink */
    const expr_scope *scope;
    expr_prog *prog;
    int errors;
    int const_cap, ref_cap, owned_cap;
    int reg_code_cap, reg_const_cap;
} compiler;

static char *own(compiler *cc, const char *s, size_t len)
{
    expr_prog *p = cc->prog;
    if (p->nowned == cc->owned_cap) {
        cc->owned_cap = cc->owned_cap ? cc->owned_cap * 2 : 8;
        p->owned = xrealloc(p->owned, (size_t)cc->owned_cap * sizeof *p->owned);
    }
    char *c = xmemdup(s, len);
    p->owned[p->nowned++] = c;
    return c;
}

/* Errors reported for one expression; beyond it one line says the rest is not shown (a 4096-byte
 * expression could otherwise produce 2,000 errors, each with a copy of the text). */
#define EXPR_MAX_ERRORS 20

/* Reports an error at byte range [off, off+len) and counts it. */
__attribute__((format(printf, 4, 5))) static void error_at(compiler *cc, int off, int len,
                                                           const char *fmt, ...)
{
    if (++cc->errors > EXPR_MAX_ERRORS) {
        if (cc->errors == EXPR_MAX_ERRORS + 1)
            expr_error(&cc->lx, false, off, len,
                       "too many errors in this expression (limit %d); the rest are not shown",
                       EXPR_MAX_ERRORS);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    expr_verror(&cc->lx, false, off, len, fmt, ap);
    va_end(ap);
}

static const char *tname(eng_type t)
{
    return eng_type_label(t);
}

/* The operator as written ("&&" or "and"), for messages. */
static const char *op_text(const compiler *cc, const node *n, char *buf, size_t size)
{
    snprintf(buf, size, "%.*s", n->op_len, cc->lx.src + n->op_off);
    return buf;
}

/* A type fits `want` (ENG_NUM / ENG_BOOL) when it is that, null/unknown, or already an error. */
static bool fits(eng_type t, eng_type want)
{
    return t == want || t == ENG_NULL || t == EXPR_T_ERROR;
}
static bool known(eng_type t)
{
    return t != ENG_NULL && t != EXPR_T_ERROR;
}

static void make_const(node *n, eng_value v, eng_type type)
{
    n->kind = N_CONST;
    n->value = v;
    n->type = type;
    n->null_literal = false;
}

/* Replaces n by its child c (folding `true && x` to x), keeping n's source range. */
static void replace_by(node *n, const node *c)
{
    int off = n->off, len = n->len;
    *n = *c;
    n->off = off;
    n->len = len;
}

static int add_ref(compiler *cc, const char *name, int off, int len, const expr_name *res)
{
    expr_prog *p = cc->prog;
    for (int i = 0; i < p->nrefs; i++)
        if (strcmp(p->refs[i].name, name) == 0)
            return i;
    if (p->nrefs == cc->ref_cap) {
        cc->ref_cap = cc->ref_cap ? cc->ref_cap * 2 : 8;
        p->refs = xrealloc(p->refs, (size_t)cc->ref_cap * sizeof *p->refs);
    }
    expr_ref *r = &p->refs[p->nrefs];
    r->name = own(cc, name, strlen(name));
    r->offset = off;
    r->len = len;
    r->is_const = res->is_const;
    r->constant = eng_null();
    r->slot = res->is_const ? -1 : res->slot;
    r->type = res->is_const ? res->constant.type : res->type;
    if (res->is_const) {
        r->constant = res->constant;
        if (r->constant.type == ENG_STR) /* the program owns what it shows */
            r->constant.as.str.ptr = own(cc, res->constant.as.str.ptr, res->constant.as.str.len);
    }
    return p->nrefs++;
}

static bool is_function_name(const char *name)
{
    return expr_fn_lookup(name, strlen(name)) >= 0;
}

static eng_type check(compiler *cc, node *n);

static eng_type check_name(compiler *cc, node *n)
{
    char name[ENG_MAX_EXPR_LEN + 1];
    memcpy(name, cc->lx.src + n->off, (size_t)n->len);
    name[n->len] = '\0';
    expr_name res;
    memset(&res, 0, sizeof res);
    res.status = EXPR_NAME_UNKNOWN;
    cc->scope->resolve(cc->scope->ud, name, &res);
    switch (res.status) {
    case EXPR_NAME_OK:
        break;
    case EXPR_NAME_LATER:
    case EXPR_NAME_OPAQUE:
        res.later[sizeof res.later - 1] = '\0';
        error_at(cc, n->off, n->len, "%s", res.later);
        return EXPR_T_ERROR;
    case EXPR_NAME_UNKNOWN:
    default: {
        if (is_function_name(name)) {
            error_at(cc, n->off, n->len, "'%s' is a function: call it as %s(...)", name, name);
            return EXPR_T_ERROR;
        }
        const char *const *names = NULL;
        int count = cc->scope->names ? cc->scope->names(cc->scope->ud, &names) : 0;
        const char *close = diag_suggest(name, names, count);
        if (close)
            error_at(cc, n->off, n->len, "unknown name '%s' (did you mean '%s'?)", name, close);
        else
            error_at(cc, n->off, n->len, "unknown name '%s'", name);
        return EXPR_T_ERROR;
    }
    }
    eng_type t = res.is_const ? res.constant.type : res.type;
    if (t != ENG_NULL && t != ENG_BOOL && t != ENG_NUM && t != ENG_STR) {
        error_at(cc, n->off, n->len, "'%s' cannot be used in expressions", name);
        return EXPR_T_ERROR;
    }
    if (res.is_const && res.constant.type == ENG_NUM && !isfinite(res.constant.as.num))
        res.constant = eng_null(); /* as the VM treats such a fact */
    int ref = add_ref(cc, name, n->off, n->len, &res);
    if (res.is_const) {
        make_const(n, cc->prog->refs[ref].constant, t);
        return t;
    }
    n->slot = res.slot;
    n->ref = ref;
    return t;
}

static eng_type check_unary(compiler *cc, node *n)
{
    char op[16];
    eng_type t = check(cc, n->a);
    if (n->op == T_MINUS) {
        if (!fits(t, ENG_NUM))
            error_at(cc, n->off, n->len, "type error: '-' needs a number, got %s", tname(t));
        if (n->a->kind == N_CONST)
            make_const(n, val_neg(n->a->value), ENG_NUM);
        return ENG_NUM;
    }
    if (!fits(t, ENG_BOOL))
        error_at(cc, n->off, n->len, "type error: '%s' needs a boolean, got %s",
                 op_text(cc, n, op, sizeof op), tname(t));
    if (n->a->kind == N_CONST)
        make_const(n, val_not(n->a->value), ENG_BOOL);
    return ENG_BOOL;
}

static expr_op binary_op(tok_kind k)
{
    switch (k) {
    case T_PLUS:
        return OP_ADD;
    case T_MINUS:
        return OP_SUB;
    case T_STAR:
        return OP_MUL;
    case T_SLASH:
        return OP_DIV;
    case T_EQ:
        return OP_EQ;
    case T_NE:
        return OP_NE;
    case T_LT:
        return OP_LT;
    case T_LE:
        return OP_LE;
    case T_GT:
        return OP_GT;
    case T_GE:
        return OP_GE;
    case T_AND:
        return OP_AND;
    case T_OR:
        return OP_OR;
    default:
        assert(0 && "not a binary operator");
        return OP_ADD;
    }
}

/* Folds a && b / a || b when one side decides (Kleene: false && x is false, true && x is x). */
static void fold_logic(node *n, bool is_and)
{
    node *a = n->a, *b = n->b;
    bool dominant = !is_and; /* the value that decides the result: false for &&, true for || */
    if (a->kind == N_CONST && b->kind == N_CONST) {
        make_const(n, is_and ? val_and(a->value, b->value) : val_or(a->value, b->value), ENG_BOOL);
    } else if ((a->kind == N_CONST && a->value.type == ENG_BOOL && a->value.as.b == dominant) ||
               (b->kind == N_CONST && b->value.type == ENG_BOOL && b->value.as.b == dominant)) {
        make_const(n, eng_bool(dominant), ENG_BOOL);
    } else if (a->kind == N_CONST && a->value.type == ENG_BOOL) { /* the neutral value */
        if (b->type == ENG_BOOL)
            replace_by(n, b);
    } else if (b->kind == N_CONST && b->value.type == ENG_BOOL) {
        if (a->type == ENG_BOOL)
            replace_by(n, a);
    }
}

static eng_type check_binary(compiler *cc, node *n)
{
    char op[16];
    eng_type ta = check(cc, n->a);
    eng_type tb = check(cc, n->b);
    expr_op o = binary_op(n->op);
    op_text(cc, n, op, sizeof op);
    eng_type result = ENG_BOOL;
    switch (o) {
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        result = o <= OP_DIV ? ENG_NUM : ENG_BOOL;
        if (ta != EXPR_T_ERROR && tb != EXPR_T_ERROR && (!fits(ta, ENG_NUM) || !fits(tb, ENG_NUM)))
            error_at(cc, n->off, n->len, "type error: '%s' needs numbers, got %s and %s", op,
                     tname(ta), tname(tb));
        if (n->a->kind == N_CONST && n->b->kind == N_CONST)
            make_const(n,
                       result == ENG_NUM ? val_arith(o, n->a->value, n->b->value)
                                         : val_compare(o, n->a->value, n->b->value),
                       result);
        return result;
    case OP_EQ:
    case OP_NE:
        if (known(ta) && known(tb) && ta != tb)
            error_at(cc, n->off, n->len,
                     "type error: '%s' needs two values of the same type, got %s and %s", op,
                     tname(ta), tname(tb));
        if (n->a->null_literal || n->b->null_literal)
            expr_error(&cc->lx, true, n->off, n->len,
                       "comparison with null is always null; use is_null(x)");
        if (n->a->kind == N_CONST && n->b->kind == N_CONST)
            make_const(n, val_equal(o == OP_NE, n->a->value, n->b->value), ENG_BOOL);
        return ENG_BOOL;
    case OP_AND:
    case OP_OR:
        if (!fits(ta, ENG_BOOL))
            error_at(cc, n->a->off, n->a->len, "type error: '%s' needs booleans, got %s", op,
                     tname(ta));
        if (!fits(tb, ENG_BOOL))
            error_at(cc, n->b->off, n->b->len, "type error: '%s' needs booleans, got %s", op,
                     tname(tb));
        n->type = ENG_BOOL;
        fold_logic(n, o == OP_AND);
        return ENG_BOOL;
    default:
        assert(0 && "unhandled operator");
        return EXPR_T_ERROR;
    }
}

static eng_type check_cond(compiler *cc, node *n)
{
    eng_type tc = check(cc, n->a);
    eng_type ta = check(cc, n->b);
    eng_type tb = check(cc, n->c);
    if (!fits(tc, ENG_BOOL))
        error_at(cc, n->a->off, n->a->len, "type error: condition of '?:' must be boolean, got %s",
                 tname(tc));
    if (known(ta) && known(tb) && ta != tb)
        error_at(cc, n->off, n->len, "type error: branches of '?:' differ: %s and %s", tname(ta),
                 tname(tb));
    eng_type result = known(ta) ? ta : known(tb) ? tb : ENG_NULL;
    if (ta == EXPR_T_ERROR || tb == EXPR_T_ERROR)
        result = EXPR_T_ERROR;
    const node *chosen = n->a->value.type != ENG_BOOL ? NULL : n->a->value.as.b ? n->b : n->c;
    /* Fold a constant condition, unless the branch it picks is a name of unknown type: that one
     * keeps its type check (LOAD_AS) as a branch of the ?:. */
    if (n->a->kind == N_CONST && !(chosen && chosen->type == ENG_NULL && chosen->kind != N_CONST)) {
        if (!chosen)
            make_const(n, eng_null(), result);
        else
            replace_by(n, chosen);
        n->type = result;
        n->null_literal = false; /* `(true ? null : x) == 1` is no comparison with a literal */
    }
    return result;
}

static eng_type check_in(compiler *cc, node *n)
{
    if (n->a->kind == N_UNARY && n->a->op == T_NOT) {
        /* `not x in (...)` reads (not x) in (...), never valid: unary operators bind tightest.
         * One clear error instead of two confusing ones. */
        char op[16];
        op_text(cc, n->a, op, sizeof op);
        check(cc, n->a->a);
        error_at(cc, n->off, n->len,
                 "type error: '%s' binds tighter than 'in': write %s%s(x in (...))", op, op,
                 op[0] == '!' ? "" : " ");
        return EXPR_T_ERROR;
    }
    eng_type tx = check(cc, n->a);
    if (tx != EXPR_T_ERROR && tx != ENG_NULL && tx != ENG_NUM && tx != ENG_STR) {
        error_at(cc, n->a->off, n->a->len, "type error: 'in' needs a number or a string, got %s",
                 tname(tx));
        tx = EXPR_T_ERROR;
    }
    eng_type want = tx;
    if (!known(want)) /* x's type unknown: the list decides, by its first literal */
        want = n->args[0]->value.type;
    for (int i = 0; i < n->nargs && tx != EXPR_T_ERROR; i++) {
        node *item = n->args[i];
        if (want != ENG_NUM && want != ENG_STR) {
            error_at(cc, item->off, item->len,
                     "type error: 'in' list must hold number or string literals");
            break;
        }
        if (item->value.type != want) {
            error_at(cc, item->off, item->len, "type error: 'in' list must hold %s literals",
                     tname(want));
            break;
        }
    }
    if (n->a->kind == N_CONST) {
        /* val_in over one item at a time: the items are nodes, not a value array. */
        eng_value x = n->a->value;
        eng_value v = val_in(x, NULL, 0); /* null for a null x, else false */
        for (int i = 0; i < n->nargs && v.type == ENG_BOOL && !v.as.b; i++)
            v = val_in(x, &n->args[i]->value, 1);
        make_const(n, v, ENG_BOOL);
    }
    return ENG_BOOL;
}

static eng_type check_call(compiler *cc, node *n)
{
    int fn = expr_fn_lookup(cc->lx.src + n->op_off, (size_t)n->op_len);
    eng_type *types = xrealloc(NULL, (size_t)n->nargs * sizeof *types);
    for (int i = 0; i < n->nargs; i++)
        types[i] = check(cc, n->args[i]);
    if (fn < 0) {
        const char *names[NFUNCTIONS];
        for (int i = 0; i < NFUNCTIONS; i++)
            names[i] = expr_functions[i].name;
        char full[ENG_MAX_EXPR_LEN + 1];
        snprintf(full, sizeof full, "%.*s", n->op_len, cc->lx.src + n->op_off);
        const char *close = diag_suggest(full, names, NFUNCTIONS);
        if (close)
            error_at(cc, n->op_off, n->op_len, "unknown function '%s' (did you mean '%s'?)", full,
                     close);
        else
            error_at(cc, n->op_off, n->op_len, "unknown function '%s'", full);
        free(types);
        return EXPR_T_ERROR;
    }
    const expr_function *f = &expr_functions[fn];
    n->fn = (expr_fn)fn;
    if (n->nargs < f->min_args || (f->max_args >= 0 && n->nargs > f->max_args)) {
        error_at(cc, n->op_off, n->op_len, "function '%s' takes %s, got %d", f->name, _(f->arity),
                 n->nargs);
        free(types);
        return EXPR_T_ERROR;
    }
    eng_type result = ENG_NUM;
    switch (f->kind) {
    case FK_BOOL:
        result = ENG_BOOL;
        break;
    case FK_SAME: {
        result = ENG_NULL;
        for (int i = 0; i < n->nargs; i++) {
            if (types[i] == EXPR_T_ERROR) {
                result = EXPR_T_ERROR;
            } else if (known(types[i]) && result != EXPR_T_ERROR) {
                if (result == ENG_NULL) {
                    result = types[i];
                } else if (types[i] != result) {
                    error_at(cc, n->args[i]->off, n->args[i]->len,
                             "type error: '%s' needs values of one type, got %s and %s", f->name,
                             tname(result), tname(types[i]));
                    result = EXPR_T_ERROR;
                }
            }
        }
        break;
    }
    case FK_NUM:
        for (int i = 0; i < n->nargs; i++)
            if (!fits(types[i], ENG_NUM))
                error_at(cc, n->args[i]->off, n->args[i]->len,
                         "type error: '%s' needs numbers, got %s", f->name, tname(types[i]));
        break;
    }
    int k = f->decimals;
    if (k >= 0 && k < n->nargs && n->args[k]->kind == N_CONST && n->args[k]->value.type == ENG_NUM) {
        double d = n->args[k]->value.as.num;
        if (d != floor(d) || d < -EXPR_ROUND_MAX_DECIMALS || d > EXPR_ROUND_MAX_DECIMALS) {
            char v[32];
            eng_value_format(n->args[k]->value, v, sizeof v);
            error_at(cc, n->args[k]->off, n->args[k]->len,
                     "decimals of '%s' must be an integer from %d to %d, got %s", f->name,
                     -EXPR_ROUND_MAX_DECIMALS, EXPR_ROUND_MAX_DECIMALS, v);
        }
    }
    free(types);
    /* Fold a call whose arguments are all constants, with the function's own implementation. */
    for (int i = 0; i < n->nargs; i++)
        if (n->args[i]->kind != N_CONST)
            return result;
    eng_value *vals = xrealloc(NULL, (size_t)n->nargs * sizeof *vals);
    for (int i = 0; i < n->nargs; i++)
        vals[i] = n->args[i]->value;
    make_const(n, val_call(n->fn, vals, n->nargs), result);
    free(vals);
    return result;
}

/* Resolves names, checks and records types (n->type), folds constant subtrees into N_CONST.
 * Returns the type; EXPR_T_ERROR after an error inside (reported once, where it is). */
static eng_type check(compiler *cc, node *n)
{
    eng_type t;
    switch (n->kind) {
    case N_CONST:
        t = n->value.type;
        break;
    case N_NAME:
        t = check_name(cc, n);
        break;
    case N_UNARY:
        t = check_unary(cc, n);
        break;
    case N_BINARY:
        t = check_binary(cc, n);
        break;
    case N_COND:
        t = check_cond(cc, n);
        break;
    case N_IN:
        t = check_in(cc, n);
        break;
    case N_CALL:
        t = check_call(cc, n);
        break;
    default:
        assert(0 && "bad node");
        t = EXPR_T_ERROR;
        break;
    }
    n->type = t;
    return t;
}

/* ---- code generation --------------------------------------------------------------------- */

static int add_const(compiler *cc, eng_value v)
{
    expr_prog *p = cc->prog;
    if (p->nconsts == cc->const_cap) {
        cc->const_cap = cc->const_cap ? cc->const_cap * 2 : 8;
        p->consts = xrealloc(p->consts, (size_t)cc->const_cap * sizeof *p->consts);
    }
    p->consts[p->nconsts] = v;
    return p->nconsts++;
}

/* ---- register code (for regvm.c) --------------------------------------------------------- */

/* The tree once more, as typed register code: numbers are doubles with NaN for null, booleans
 * 0 / 1 / 0.5 (null). Types are all known here, so no instruction checks one at run time. Each
 * function returns an RX_* operand, or -1 when the register VM cannot represent the node (no
 * expression that type-checks is such: fuzz_expr checks it). */
#define REG_NO (-1)

static int reg_const(compiler *cc, double v)
{
    expr_prog *p = cc->prog;
    if (p->nreg_consts == cc->reg_const_cap) {
        cc->reg_const_cap = cc->reg_const_cap ? cc->reg_const_cap * 2 : 8;
        p->reg_consts = xrealloc(p->reg_consts, (size_t)cc->reg_const_cap * sizeof *p->reg_consts);
    }
    p->reg_consts[p->nreg_consts] = v;
    return RX_CONST | p->nreg_consts++;
}

/* Emits `d = op(a, b, c)` into a new temporary and returns it; REG_NO if an operand is. */
static int reg_emit(compiler *cc, reg_op op, int a, int b, int c)
{
    if (a == REG_NO || b == REG_NO || c == REG_NO)
        return REG_NO;
    expr_prog *p = cc->prog;
    if (p->nreg_code == cc->reg_code_cap) {
        cc->reg_code_cap = cc->reg_code_cap ? cc->reg_code_cap * 2 : 16;
        p->reg_code = xrealloc(p->reg_code, (size_t)cc->reg_code_cap * sizeof *p->reg_code);
    }
    int d = RX_TEMP | p->nreg_code;
    p->reg_code[p->nreg_code++] = (reg_insn){op, d, a, b, c};
    return d;
}

/* The type two operands of == != are compared as (the other side's when one is null). */
static eng_type operand_type(const node *a, const node *b)
{
    return known(a->type) ? a->type : b->type;
}

static int reg_gen(compiler *cc, const node *n, eng_type want);

/* reg_gen for an operand of == != `in` is_null, which tell a value of another type from null
 * (false, not null): a name of unknown type holding one loads as a value equal to nothing of
 * `want` but itself (LOAD_AS_OTHER, see regvm_loop.h). */
static int reg_gen_other(compiler *cc, const node *n, eng_type want)
{
    if (n->kind == N_NAME && n->type == ENG_NULL && (want == ENG_NUM || want == ENG_BOOL ||
                                                     want == ENG_STR))
        return reg_emit(cc, R_LOAD_AS, RX_SLOT | n->slot, (int)want | LOAD_AS_OTHER, 0);
    return reg_gen(cc, n, want);
}

/* n as a value of type `want` (ENG_NUM, ENG_BOOL or ENG_STR: a string is a reference to a slot
 * or a string constant, see opcodes.def). */
static int reg_gen(compiler *cc, const node *n, eng_type want)
{
    if (want != ENG_NUM && want != ENG_BOOL && want != ENG_STR)
        return REG_NO;
    if (n->type != want && n->type != ENG_NULL)
        return REG_NO; /* only where the checker let a type through as unknown */
    switch (n->kind) {
    case N_CONST:
        if (n->value.type == ENG_NULL)
            return reg_const(cc, want == ENG_BOOL ? 0.5 : NAN);
        if (n->value.type == ENG_STR)
            return RX_SREF | add_const(cc, n->value);
        if (n->value.type == ENG_NUM)
            return reg_const(cc, n->value.as.num);
        if (n->value.type == ENG_BOOL)
            return reg_const(cc, n->value.as.b ? 1.0 : 0.0);
        return REG_NO;
    case N_NAME:
        if (n->type == want)
            return RX_SLOT | n->slot;
        /* A name of unknown type: its value if of the type wanted, else null (in a rule set, a
         * derived value of no type, always null: the linker reads its register, see regvm.c) */
        return reg_emit(cc, R_LOAD_AS, RX_SLOT | n->slot, (int)want, 0);
    case N_UNARY:
        if (n->op == T_MINUS)
            return reg_emit(cc, R_NEG, reg_gen(cc, n->a, ENG_NUM), 0, 0);
        return reg_emit(cc, R_NOT, reg_gen(cc, n->a, ENG_BOOL), 0, 0);
    case N_BINARY: {
        expr_op o = binary_op(n->op);
        switch (o) {
        case OP_ADD:
        case OP_SUB:
        case OP_MUL:
        case OP_DIV:
        case OP_LT:
        case OP_LE:
        case OP_GT:
        case OP_GE: {
            static const reg_op ops[] = {[OP_ADD] = R_ADD, [OP_SUB] = R_SUB, [OP_MUL] = R_MUL,
                                         [OP_DIV] = R_DIV, [OP_LT] = R_LT,   [OP_LE] = R_LE,
                                         [OP_GT] = R_GT,   [OP_GE] = R_GE};
            int a = reg_gen(cc, n->a, ENG_NUM);
            return reg_emit(cc, ops[o], a, reg_gen(cc, n->b, ENG_NUM), 0);
        }
        case OP_EQ:
        case OP_NE: {
            eng_type t = operand_type(n->a, n->b);
            if (t == ENG_NULL) /* both of unknown type, so both null: null as numbers */
                t = ENG_NUM;
            if (t == ENG_STR) {
                int a = reg_gen_other(cc, n->a, ENG_STR);
                return reg_emit(cc, o == OP_EQ ? R_EQ_S : R_NE_S, a,
                                reg_gen_other(cc, n->b, ENG_STR), 0);
            }
            if (t != ENG_NUM && t != ENG_BOOL)
                return REG_NO;
            reg_op op = t == ENG_NUM ? (o == OP_EQ ? R_EQ_N : R_NE_N)
                                     : (o == OP_EQ ? R_EQ_B : R_NE_B);
            int a = reg_gen_other(cc, n->a, t);
            return reg_emit(cc, op, a, reg_gen_other(cc, n->b, t), 0);
        }
        case OP_AND:
        case OP_OR: {
            int a = reg_gen(cc, n->a, ENG_BOOL);
            return reg_emit(cc, o == OP_AND ? R_AND : R_OR, a, reg_gen(cc, n->b, ENG_BOOL), 0);
        }
        default:
            return REG_NO;
        }
    }
    case N_COND: {
        int c = reg_gen(cc, n->a, ENG_BOOL);
        int a = reg_gen(cc, n->b, want);
        return reg_emit(cc, want == ENG_BOOL ? R_SEL_B : R_SEL, c, a, reg_gen(cc, n->c, want));
    }
    case N_IN: {
        eng_type xt = known(n->a->type) ? n->a->type : n->args[0]->value.type; /* as check_in */
        if (xt == ENG_NUM) {
            int x = reg_gen_other(cc, n->a, ENG_NUM);
            int first = REG_NO;
            for (int i = 0; i < n->nargs; i++) { /* consecutive constants */
                int k = reg_const(cc, n->args[i]->value.as.num);
                if (i == 0)
                    first = k;
            }
            return reg_emit(cc, R_IN_N, x, first, n->nargs);
        }
        if (xt == ENG_STR) {
            /* strings are interned references (opcodes.def): `in` compares them as numbers,
             * against consecutive registers holding the list's references */
            int x = reg_gen_other(cc, n->a, ENG_STR);
            int first = RX_SREF | cc->prog->nconsts;
            for (int i = 0; i < n->nargs; i++)
                add_const(cc, n->args[i]->value);
            return reg_emit(cc, R_IN_N, x, first, n->nargs);
        }
        return REG_NO;
    }
    case N_CALL: {
        const expr_function *f = &expr_functions[n->fn];
        /* the arguments' type: numbers, the call's own (FK_SAME), or the argument's (FK_BOOL) */
        eng_type at = f->kind == FK_NUM ? ENG_NUM : f->kind == FK_SAME ? want : n->args[0]->type;
        if (at == ENG_NULL) /* an argument of unknown type, so null: null as a number */
            at = ENG_NUM;
        if (at != ENG_NUM && at != ENG_BOOL && at != ENG_STR)
            return REG_NO;
        static const reg_op ops[FN__COUNT][2] = {
#define X(id, name, min, max, arity, kind, dflt, decimals, lazy, impl) [FN_##id] = {R_F_##id, R_F_##id##_B},
            EXPR_FUNCTIONS(X)
#undef X
        };
        reg_op op = ops[n->fn][at == ENG_BOOL];
        if (f->max_args < 0) { /* pairwise from the left, as val_call */
            int acc = reg_gen(cc, n->args[0], at);
            for (int i = 1; i < n->nargs; i++)
                acc = reg_emit(cc, op, acc, reg_gen(cc, n->args[i], at), 0);
            return acc;
        }
        assert(f->max_args <= 3);
        int x[3] = {0, 0, 0};
        for (int i = 0; i < f->max_args; i++)
            x[i] = i >= n->nargs     ? reg_const(cc, f->dflt)
                 : f->kind == FK_BOOL ? reg_gen_other(cc, n->args[i], at) /* is_null: not null */
                                      : reg_gen(cc, n->args[i], at);
        return reg_emit(cc, op, x[0], x[1], x[2]);
    }
    }
    return REG_NO;
}

static void reg_reset(compiler *cc)
{
    expr_prog *p = cc->prog;
    free(p->reg_code);
    free(p->reg_consts);
    p->reg_code = NULL;
    p->reg_consts = NULL;
    p->nreg_code = p->nreg_consts = 0;
    cc->reg_code_cap = cc->reg_const_cap = 0;
    p->reg_root = REG_NO;
}

/* Register code for the whole expression, or none (see expr_prog.reg_code). */
static void reg_compile(compiler *cc, const node *root, eng_type want)
{
    expr_prog *p = cc->prog;
    bool unknown = false; /* reads a name of a type unknown until run time */
    for (int i = 0; i < p->nrefs; i++)
        unknown = unknown || (!p->refs[i].is_const && p->refs[i].type == ENG_NULL);
    if (p->type == ENG_NULL && unknown) {
        static const eng_type types[] = {ENG_BOOL, ENG_NUM, ENG_STR};
        for (int i = 0; i < 3; i++) {
            reg_reset(cc);
            int r = reg_gen(cc, root, types[i]);
            if (r == REG_NO)
                continue;
            if (p->reg_code == NULL)
                p->reg_code = xrealloc(NULL, sizeof *p->reg_code);
            p->reg_root = r;
            p->run_as[types[i]] = regvm_link_expr(p);
        }
        reg_reset(cc);
    }
    /* an expression of no type is always null: computed as what its place wants (a condition a
     * boolean), else as a number (NaN), its names read */
    eng_type t = p->type != ENG_NULL ? p->type : want == ENG_BOOL ? ENG_BOOL : ENG_NUM;
    int r = reg_gen(cc, root, t);
    if (r == REG_NO) {
        reg_reset(cc);
        return;
    }
    if (p->reg_code == NULL) /* a name or a constant alone: no instruction, but a program */
        p->reg_code = xrealloc(NULL, sizeof *p->reg_code);
    p->reg_root = r;
    p->run = regvm_link_expr(p);
}

/* UTF-8 check (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF): columns
 * count code points, so the text must be made of them. Hand-written rather than iconv: iconv
 * needs a descriptor per thread and an output buffer to answer the same question, and reports
 * the bad offset only indirectly; the unit tests cover each rejected form. Returns the offset of
 * the first bad byte, or -1. */
static int utf8_invalid_at(const char *s, int len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (int i = 0; i < len;) {
        unsigned c = u[i];
        int n;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return i;
        }
        if (i + n >= len)
            return i; /* truncated sequence */
        for (int k = 1; k <= n; k++) {
            if ((u[i + k] & 0xC0) != 0x80)
                return i;
            c = (c << 6) | (u[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return -1;
}

expr_prog *expr_compile(const char *src, const expr_scope *scope, eng_type want, const char *file,
                        int line, eng_diags *diags)
{
    size_t len = strlen(src);
    if (!file)
        file = "<string>";
    if (len > ENG_MAX_EXPR_LEN) {
        eng_diags_add(diags, file, line, 1, 1, false, NULL,
                      "expression too long (%zu bytes, limit %d)", len, ENG_MAX_EXPR_LEN);
        return NULL;
    }
    int bad = utf8_invalid_at(src, (int)len);
    if (bad >= 0) {
        /* The excerpt would be invalid too: show the column only. */
        eng_diags_add(diags, file, line, diag_chars(src, (size_t)bad) + 1, 1, false, NULL,
                      "expression holds invalid UTF-8 (byte 0x%02x)", (unsigned char)src[bad]);
        return NULL;
    }
    compiler cc;
    memset(&cc, 0, sizeof cc);
    cc.scope = scope;
    cc.prog = xcalloc(1, sizeof *cc.prog);
    cc.prog->src = xstrdup(src);
    lex_init(&cc.lx, cc.prog->src, (int)len, file, line, diags);

    node_arena arena = {0};
    node *root = parse_expression(&cc.lx, &arena);
    if (!root) {
        arena_free(&arena);
        expr_free(cc.prog);
        return NULL;
    }
    eng_type t = check(&cc, root);
    if (cc.errors == 0 && want == ENG_BOOL && !fits(t, ENG_BOOL))
        error_at(&cc, root->off, root->len, "type error: expected a boolean condition, got %s",
                 tname(t));
    if (cc.errors == 0 && want == ENG_NUM && !fits(t, ENG_NUM))
        error_at(&cc, root->off, root->len, "type error: expected a number, got %s", tname(t));
    if (cc.errors) {
        arena_free(&arena);
        expr_free(cc.prog);
        return NULL;
    }
    cc.prog->type = t;
    if (t == ENG_NULL && root->kind != N_CONST && (want == ENG_BOOL || want == ENG_NUM))
        cc.prog->type = want; /* unknown until run time: checked by LOAD_AS */
    reg_compile(&cc, root, want);
    arena_free(&arena);
    return cc.prog;
}

void expr_free(expr_prog *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nowned; i++)
        free(p->owned[i]);
    free(p->owned);
    free(p->src);
    free(p->consts);
    free(p->refs);
    free(p->reg_code);
    free(p->reg_consts);
    regvm_free(p->run);
    for (int t = 0; t <= ENG_STR; t++)
        regvm_free(p->run_as[t]);
    free(p);
}

eng_type expr_type(const expr_prog *p)
{
    return p->type;
}
const char *expr_source(const expr_prog *p)
{
    return p->src;
}
int expr_refs(const expr_prog *p, const expr_ref **refs)
{
    *refs = p->refs;
    return p->nrefs;
}

int expr_reg_code_size(const expr_prog *p)
{
    return p->nreg_code;
}

/* An operand of unlinked register code, for expr_dump. */
static void dump_operand(const expr_prog *p, int x, char *buf, size_t size)
{
    int i = RX_INDEX(x);
    switch (RX_KIND(x)) {
    case RX_CONST:
        if (isnan(p->reg_consts[i]))
            snprintf(buf, size, "NaN");
        else
            snprintf(buf, size, "%.15g", p->reg_consts[i]);
        return;
    case RX_TEMP:
        snprintf(buf, size, "t%d", i);
        return;
    case RX_SREF:
        eng_value_format(p->consts[i], buf, size);
        return;
    default:
        for (int j = 0; j < p->nrefs; j++)
            if (!p->refs[j].is_const && p->refs[j].slot == i) {
                snprintf(buf, size, "%s", p->refs[j].name);
                return;
            }
        snprintf(buf, size, "%d", i);
        return;
    }
}

int expr_dump(const expr_prog *p, FILE *out)
{
    for (int i = 0; i < p->nreg_code; i++) {
        const reg_insn *in = &p->reg_code[i];
        /* the operands the instruction uses: b for all but the unary ones, c for ?:, `in` (a
         * count) and functions of three arguments */
        static const signed char fn_args[R__COUNT] = {
#define X(id, name, min, max, arity, kind, dflt, decimals, lazy, impl)                             \
    [R_F_##id] = max, [R_F_##id##_B] = max,
            EXPR_FUNCTIONS(X)
#undef X
        };
        reg_op o = in->op;
        bool unary = o == R_MOV || o == R_NULL_B || o == R_NEG || o == R_NOT;
        bool ternary = o == R_SEL || o == R_SEL_B || o == R_IN_N || fn_args[o] == 3;
        char d[48], a[48], b[48] = "", c[48] = "";
        dump_operand(p, in->d, d, sizeof d);
        dump_operand(p, in->a, a, sizeof a);
        if (o == R_LOAD_AS) /* a type, no register */
            snprintf(b, sizeof b, " %s%s", eng_type_name((eng_type)(in->b & ~LOAD_AS_OTHER)),
                     in->b & LOAD_AS_OTHER ? "|other" : "");
        else if (!unary)
            b[0] = ' ', dump_operand(p, in->b, b + 1, sizeof b - 1);
        if (o == R_IN_N) /* a count */
            snprintf(c, sizeof c, " %d", in->c);
        else if (ternary)
            c[0] = ' ', dump_operand(p, in->c, c + 1, sizeof c - 1);
        if (fprintf(out, "%3d %-8s %s = %s%s%s\n", i, reg_op_names[o], d, a, b, c) < 0)
            return -1;
    }
    char root[48] = "none";
    if (p->reg_root != REG_NO)
        dump_operand(p, p->reg_root, root, sizeof root);
    return fprintf(out, "    result %s\n", root) < 0 ? -1 : 0;
}
