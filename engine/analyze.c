/* analyze.c - `hyoka check --analyze`: gaps and shadows in a rule set, decided without data.
 *
 * Each `when` is read through the parser's tree (parse_expression) and turned into four formulas
 * in disjunctive normal form over the rule set's values: when it is true (T), false (F), not true
 * (NT: false or null, the engine's "no match") and not false (NF). A conjunction keeps, per
 * value, which of null / false / true it allows and, for numbers, one interval with excluded
 * points, for strings one required value or excluded ones; a conjunction that allows nothing
 * for some value is dropped, so an empty formula means "never". Kleene logic gives the four
 * formulas of and/or/not/?: from those of their operands, so no negation of a formula is ever
 * computed. What the reasoning does not cover becomes "anything" (an over-approximation: an empty
 * formula stays a proof) and marks the formula approximate; then a claim that something can
 * happen needs an example the engine confirms, or the analysis says "not decided".
 *
 * Examples are built from a conjunction (a value inside each interval; a derived number by a
 * small search over its facts' values) and always run through eng_evaluate before they are
 * shown; a condition of a category that does not match (first match wins) is checked with a
 * probe rule set: the file's thresholds, derived values, reasons and flags with that condition as
 * its only category. Self-contained on purpose: it depends on the parser's tree and on the
 * engine's public evaluation, not on how expressions are compiled or run.
 */
#include "analyze.h"
#include "expr_impl.h"
#include "ruleset.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TERMS 2048   /* conjunctions in one formula; beyond: "anything" (approximate) */
#define MAX_POINTS 6     /* excluded numbers / strings per value; beyond: dropped (approximate) */
#define MAX_DEPTH 32     /* derived / reason / flag references followed */
#define MAX_SUBSET_REASONS 10 /* `reasons OP K` is split into subsets of at most 2^10 */
#define MAX_SEARCH 40000 /* candidate fact combinations tried for derived numbers */
#define MAX_CANDIDATES 14

enum { A_NULL = 1, A_VAL = 2, A_FALSE = 2, A_TRUE = 4, A_ALL = 7 };
typedef enum mode { P_T, P_F, P_NT, P_NF } mode;

typedef struct strv {
    const char *ptr;
    size_t len;
} strv;

/* What one conjunction allows for one value. Numbers: null if A_NULL, a number if A_VAL and it
 * lies in the interval and is none of ex[]. Strings: eq (if set) and none of ne[]. Booleans: the
 * A_FALSE / A_TRUE bits. */
typedef struct vcon {
    int var;
    unsigned allow;
    double lo, hi;
    bool lo_open, hi_open;
    int nex;
    double ex[MAX_POINTS];
    bool has_eq;
    strv eq;
    int nne;
    strv ne[MAX_POINTS];
} vcon;

typedef struct term {
    int n;
    vcon *c; /* sorted by var */
} term;

typedef struct dnf {
    int n;
    term *t;
    bool approx; /* some part was taken as "anything" */
} dnf;

/* Where a subexpression comes from: its rule and that rule's expression text. */
typedef struct where {
    const eng_rule_info *info;
    const char *src;
} where;

typedef struct parsed {
    node *root; /* NULL: no expression (the catch-all) */
    const char *src;
    const eng_rule_info *info;
} parsed;

struct eng_analysis {
    int n, cap;
    eng_finding *items;
    int nfindings;
};

typedef struct az {
    const eng_rules *r;
    const eng_schema *schema;
    int nfacts, nderived, nvars;
    eng_type *vtype;    /* per value: facts, then derived taken as free values */
    node_arena nodes;   /* parse trees */
    node_arena mem;     /* formulas (freed with the analysis) */
    eng_diags *diags;   /* parse diagnostics (none: the rule set compiled) */
    parsed *p[ENG_NKINDS];
    int count[ENG_NKINDS];
    dnf *reason_t, *reason_nt; /* per reason, computed once */
    bool *reason_done;
    int depth;
    /* the first part of the current question that was taken as "anything" */
    const eng_rule_info *und_info;
    int und_col;
    char und_text[120];
    eng_ctx *ctx;
    eng_analysis *out;
} az;

/* ---- small helpers ----------------------------------------------------------------------- */

static void *mem_alloc(az *a, size_t size)
{
    return arena_alloc(&a->mem, size ? size : 1);
}

static char *fmt_dup(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_dup(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc((size_t)(n > 0 ? n : 0) + 1);
    vsnprintf(s, (size_t)(n > 0 ? n : 0) + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

static void add_entry(az *a, eng_finding_kind kind, eng_kind rk, int ri, const eng_rule_info *info,
                      int col, char *message, char *example)
{
    eng_analysis *o = a->out;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 8;
        o->items = xrealloc(o->items, (size_t)o->cap * sizeof *o->items);
    }
    o->items[o->n++] = (eng_finding){kind, rk, ri, info->file, info->line, col, message, example};
    if (kind != ENG_FINDING_UNDECIDED)
        o->nfindings++;
}

static const char *kind_word(eng_kind k)
{
    return eng_kind_name(k);
}

/* ---- names ------------------------------------------------------------------------------- */

typedef enum name_kind { NM_OTHER, NM_FACT, NM_DERIVED, NM_THRESHOLD, NM_REASONS, NM_REASON,
                         NM_FLAG } name_kind;

static name_kind resolve(const az *a, const where *w, const node *n, int *index)
{
    char name[256];
    if (n->len <= 0 || (size_t)n->len >= sizeof name)
        return NM_OTHER;
    memcpy(name, w->src + n->off, (size_t)n->len);
    name[n->len] = '\0';
    *index = -1;
    if (strcmp(name, "reasons") == 0)
        return NM_REASONS;
    if (strncmp(name, "thresholds.", 11) == 0) {
        for (int i = 0; i < a->r->nthresholds; i++)
            if (strcmp(a->r->thresholds[i].name, name) == 0) {
                *index = i;
                return NM_THRESHOLD;
            }
        return NM_OTHER;
    }
    if (strncmp(name, "reason.", 7) == 0) {
        *index = eng_rules_find(a->r, ENG_KIND_REASON, name + 7);
        return *index >= 0 ? NM_REASON : NM_OTHER;
    }
    if (strncmp(name, "flag.", 5) == 0) {
        *index = eng_rules_find(a->r, ENG_KIND_FLAG, name + 5);
        return *index >= 0 ? NM_FLAG : NM_OTHER;
    }
    if ((*index = eng_rules_find(a->r, ENG_KIND_DERIVED, name)) >= 0)
        return NM_DERIVED;
    if ((*index = eng_schema_find(a->schema, name)) >= 0)
        return NM_FACT;
    return NM_OTHER;
}

/* ---- a small evaluator of the tree (for constants, score values and searching examples) ----
 * Only guides the search: every example is confirmed by eng_evaluate. */

typedef struct env {
    const eng_value *facts; /* NULL: constants only */
    eng_value *derived;
    bool *derived_done;
    bool has_reasons;
    double reasons;
} env;

static bool is_true(eng_value v)
{
    return v.type == ENG_BOOL && v.as.b;
}

static bool same_value(eng_value x, eng_value y)
{
    if (x.type != y.type)
        return false;
    if (x.type == ENG_NUM)
        return x.as.num == y.as.num;
    if (x.type == ENG_BOOL)
        return x.as.b == y.as.b;
    if (x.type == ENG_STR)
        return x.as.str.len == y.as.str.len &&
               (x.as.str.len == 0 || memcmp(x.as.str.ptr, y.as.str.ptr, x.as.str.len) == 0);
    return false;
}

static eng_value num_or_null(double d)
{
    return isfinite(d) ? eng_num(d) : eng_null();
}

static bool ev(az *a, const where *w, const node *n, env *e, eng_value *out);

static bool ev_derived(az *a, int i, env *e, eng_value *out)
{
    if (e->facts == NULL || a->depth > MAX_DEPTH)
        return false;
    if (e->derived_done[i]) {
        *out = e->derived[i];
        return true;
    }
    const parsed *p = &a->p[ENG_KIND_DERIVED][i];
    if (p->root == NULL)
        return false;
    where dw = {p->info, p->src};
    a->depth++;
    bool ok = ev(a, &dw, p->root, e, out);
    a->depth--;
    if (ok) {
        e->derived[i] = *out;
        e->derived_done[i] = true;
    }
    return ok;
}

static bool ev(az *a, const where *w, const node *n, env *e, eng_value *out)
{
    eng_value x, y, z;
    switch (n->kind) {
    case N_CONST:
        *out = n->value;
        return true;
    case N_NAME: {
        int i;
        switch (resolve(a, w, n, &i)) {
        case NM_THRESHOLD:
            *out = eng_num(a->r->thresholds[i].value);
            return true;
        case NM_FACT:
            if (e->facts == NULL)
                return false;
            *out = e->facts[i];
            return true;
        case NM_DERIVED:
            return ev_derived(a, i, e, out);
        case NM_REASONS:
            if (!e->has_reasons)
                return false;
            *out = eng_num(e->reasons);
            return true;
        default:
            return false;
        }
    }
    case N_UNARY:
        if (!ev(a, w, n->a, e, &x))
            return false;
        if (n->op == T_MINUS)
            *out = x.type == ENG_NUM ? eng_num(-x.as.num) : eng_null();
        else
            *out = x.type == ENG_BOOL ? eng_bool(!x.as.b) : eng_null();
        return true;
    case N_BINARY:
        if (!ev(a, w, n->a, e, &x) || !ev(a, w, n->b, e, &y))
            return false;
        switch (n->op) {
        case T_AND:
            if ((x.type == ENG_BOOL && !x.as.b) || (y.type == ENG_BOOL && !y.as.b))
                *out = eng_bool(false);
            else
                *out = x.type == ENG_BOOL && y.type == ENG_BOOL ? eng_bool(true) : eng_null();
            return true;
        case T_OR:
            if (is_true(x) || is_true(y))
                *out = eng_bool(true);
            else
                *out = x.type == ENG_BOOL && y.type == ENG_BOOL ? eng_bool(false) : eng_null();
            return true;
        case T_EQ:
        case T_NE:
            if (x.type == ENG_NULL || y.type == ENG_NULL)
                *out = eng_null();
            else
                *out = eng_bool(same_value(x, y) == (n->op == T_EQ));
            return true;
        default:
            break;
        }
        if (x.type != ENG_NUM || y.type != ENG_NUM) {
            *out = eng_null();
            return true;
        }
        switch (n->op) {
        case T_PLUS: *out = num_or_null(x.as.num + y.as.num); return true;
        case T_MINUS: *out = num_or_null(x.as.num - y.as.num); return true;
        case T_STAR: *out = num_or_null(x.as.num * y.as.num); return true;
        case T_SLASH:
            *out = y.as.num == 0 ? eng_null() : num_or_null(x.as.num / y.as.num);
            return true;
        case T_LT: *out = eng_bool(x.as.num < y.as.num); return true;
        case T_LE: *out = eng_bool(x.as.num <= y.as.num); return true;
        case T_GT: *out = eng_bool(x.as.num > y.as.num); return true;
        case T_GE: *out = eng_bool(x.as.num >= y.as.num); return true;
        default: return false;
        }
    case N_COND:
        if (!ev(a, w, n->a, e, &x))
            return false;
        if (x.type != ENG_BOOL) {
            *out = eng_null();
            return true;
        }
        return ev(a, w, x.as.b ? n->b : n->c, e, out);
    case N_IN:
        if (!ev(a, w, n->a, e, &x))
            return false;
        if (x.type != ENG_NUM && x.type != ENG_STR) {
            *out = eng_null();
            return true;
        }
        *out = eng_bool(false);
        for (int i = 0; i < n->nargs; i++)
            if (same_value(x, n->args[i]->value))
                *out = eng_bool(true);
        return true;
    case N_CALL: {
        char fn[16];
        if (n->op_len <= 0 || (size_t)n->op_len >= sizeof fn)
            return false;
        memcpy(fn, w->src + n->op_off, (size_t)n->op_len);
        fn[n->op_len] = '\0';
        eng_value v[8];
        if (n->nargs > 8)
            return false;
        for (int i = 0; i < n->nargs; i++)
            if (!ev(a, w, n->args[i], e, &v[i]))
                return false;
        if (strcmp(fn, "is_null") == 0 && n->nargs == 1) {
            *out = eng_bool(v[0].type == ENG_NULL);
        } else if (strcmp(fn, "coalesce") == 0) {
            *out = eng_null();
            for (int i = 0; i < n->nargs; i++)
                if (v[i].type != ENG_NULL) {
                    *out = v[i];
                    break;
                }
        } else if ((strcmp(fn, "min") == 0 || strcmp(fn, "max") == 0) && n->nargs >= 1) {
            bool is_max = fn[1] == 'a';
            double m = 0;
            for (int i = 0; i < n->nargs; i++) {
                if (v[i].type != ENG_NUM) {
                    *out = eng_null();
                    return true;
                }
                if (i == 0 || (is_max ? v[i].as.num > m : v[i].as.num < m))
                    m = v[i].as.num;
            }
            *out = eng_num(m);
        } else if (strcmp(fn, "abs") == 0 && n->nargs == 1) {
            *out = v[0].type == ENG_NUM ? eng_num(fabs(v[0].as.num)) : eng_null();
        } else if (strcmp(fn, "clamp") == 0 && n->nargs == 3) {
            if (v[0].type != ENG_NUM || v[1].type != ENG_NUM || v[2].type != ENG_NUM) {
                *out = eng_null();
            } else {
                double d = v[0].as.num;
                d = d < v[1].as.num ? v[1].as.num : d;
                d = d > v[2].as.num ? v[2].as.num : d;
                *out = eng_num(d);
            }
        } else {
            return false; /* round() and anything new: not needed to guide a search */
        }
        return true;
    }
    default:
        (void)z;
        return false;
    }
}

/* The value of a subtree that reads no fact, derived value or rule result. */
static bool const_value(az *a, const where *w, const node *n, eng_value *out)
{
    env e = {0};
    return ev(a, w, n, &e, out);
}

/* ---- formulas ---------------------------------------------------------------------------- */

static dnf bottom(void)
{
    return (dnf){0, NULL, false};
}

static dnf top(az *a)
{
    dnf d = {1, mem_alloc(a, sizeof(term)), false};
    return d;
}

/* "Anything": the part at n is beyond the reasoning. */
static dnf anything(az *a, const where *w, const node *n)
{
    dnf d = top(a);
    d.approx = true;
    if (a->und_info == NULL) {
        a->und_info = w->info;
        a->und_col = diag_chars(w->src, (size_t)n->off) + 1;
        int len = n->len < (int)sizeof a->und_text - 1 ? n->len : (int)sizeof a->und_text - 1;
        memcpy(a->und_text, w->src + n->off, (size_t)len);
        a->und_text[len] = '\0';
    }
    return d;
}

static vcon vcon_any(int var)
{
    vcon v;
    memset(&v, 0, sizeof v);
    v.var = var;
    v.allow = A_ALL;
    v.lo = -INFINITY;
    v.hi = INFINITY;
    return v;
}

static bool interval_empty(const vcon *v)
{
    return v->lo > v->hi || (v->lo == v->hi && (v->lo_open || v->hi_open));
}

static bool str_eq(strv x, strv y)
{
    return x.len == y.len && (x.len == 0 || memcmp(x.ptr, y.ptr, x.len) == 0);
}

/* Drops the values the constraints leave none of; false if nothing is allowed. */
static bool vcon_norm(const az *a, vcon *v)
{
    eng_type t = a->vtype[v->var];
    if (t == ENG_BOOL)
        return (v->allow & A_ALL) != 0;
    if (v->allow & A_VAL) {
        bool none = false;
        if (t == ENG_NUM) {
            none = interval_empty(v);
            if (!none && v->lo == v->hi)
                for (int i = 0; i < v->nex; i++)
                    if (v->ex[i] == v->lo)
                        none = true;
        } else if (v->has_eq) {
            for (int i = 0; i < v->nne; i++)
                if (str_eq(v->ne[i], v->eq))
                    none = true;
        }
        if (none)
            v->allow &= ~(unsigned)A_VAL;
    }
    return (v->allow & (A_NULL | A_VAL)) != 0;
}

/* x AND y for one value; false if nothing is left. *approx is set when a constraint was
 * dropped for lack of room. */
static bool vcon_and(const az *a, const vcon *x, const vcon *y, vcon *out, bool *approx)
{
    *out = *x;
    out->allow = x->allow & y->allow;
    if (y->lo > out->lo || (y->lo == out->lo && y->lo_open)) {
        out->lo = y->lo;
        out->lo_open = y->lo_open || (y->lo == x->lo && x->lo_open);
    }
    if (y->hi < out->hi || (y->hi == out->hi && y->hi_open)) {
        out->hi = y->hi;
        out->hi_open = y->hi_open || (y->hi == x->hi && x->hi_open);
    }
    for (int i = 0; i < y->nex; i++) {
        if (out->nex < MAX_POINTS)
            out->ex[out->nex++] = y->ex[i];
        else
            *approx = true;
    }
    if (y->has_eq) {
        if (out->has_eq && !str_eq(out->eq, y->eq))
            out->allow &= ~(unsigned)A_VAL;
        out->has_eq = true;
        out->eq = y->eq;
    }
    for (int i = 0; i < y->nne; i++) {
        if (out->nne < MAX_POINTS)
            out->ne[out->nne++] = y->ne[i];
        else
            *approx = true;
    }
    return vcon_norm(a, out);
}

static bool term_and(az *a, const term *x, const term *y, term *out, bool *approx)
{
    vcon *c = mem_alloc(a, (size_t)(x->n + y->n) * sizeof *c);
    int i = 0, j = 0, n = 0;
    while (i < x->n || j < y->n) {
        if (j >= y->n || (i < x->n && x->c[i].var < y->c[j].var)) {
            c[n++] = x->c[i++];
        } else if (i >= x->n || y->c[j].var < x->c[i].var) {
            c[n++] = y->c[j++];
        } else {
            if (!vcon_and(a, &x->c[i], &y->c[j], &c[n], approx))
                return false;
            n++, i++, j++;
        }
    }
    out->n = n;
    out->c = c;
    return true;
}

static dnf dnf_or(az *a, dnf x, dnf y)
{
    if (x.n + y.n > MAX_TERMS) {
        dnf d = top(a);
        d.approx = true;
        return d;
    }
    dnf d = {x.n + y.n, mem_alloc(a, (size_t)(x.n + y.n) * sizeof(term)), x.approx || y.approx};
    if (x.n)
        memcpy(d.t, x.t, (size_t)x.n * sizeof(term));
    if (y.n)
        memcpy(d.t + x.n, y.t, (size_t)y.n * sizeof(term));
    return d;
}

static dnf dnf_and(az *a, dnf x, dnf y)
{
    dnf d = {0, NULL, x.approx || y.approx};
    if (x.n == 0 || y.n == 0)
        return d;
    if ((long)x.n * y.n > 64L * MAX_TERMS) {
        dnf t = top(a);
        t.approx = true;
        return t;
    }
    d.t = mem_alloc(a, (size_t)x.n * (size_t)y.n * sizeof(term));
    for (int i = 0; i < x.n; i++)
        for (int j = 0; j < y.n; j++) {
            term t;
            if (term_and(a, &x.t[i], &y.t[j], &t, &d.approx))
                d.t[d.n++] = t;
        }
    if (d.n > MAX_TERMS) {
        dnf t = top(a);
        t.approx = true;
        return t;
    }
    return d;
}

static dnf single(az *a, vcon v)
{
    dnf d = top(a);
    if (!vcon_norm(a, &v))
        return bottom();
    d.t[0].n = 1;
    d.t[0].c = mem_alloc(a, sizeof(vcon));
    d.t[0].c[0] = v;
    d.approx = v.var >= a->nfacts; /* a derived number taken as free */
    return d;
}

/* ---- predicates -------------------------------------------------------------------------- */

static dnf pred(az *a, const where *w, const node *n, mode m);

static dnf pred_rule(az *a, eng_kind k, int i, mode m, const node *at, const where *w)
{
    const parsed *p = &a->p[k][i];
    if (p->root == NULL || a->depth >= MAX_DEPTH)
        return anything(a, w, at);
    where rw = {p->info, p->src};
    a->depth++;
    dnf d = pred(a, &rw, p->root, m);
    a->depth--;
    return d;
}

static dnf reason_pred(az *a, int i, bool t, const node *at, const where *w)
{
    if (!a->reason_done[i] && a->depth < MAX_DEPTH) {
        a->reason_t[i] = pred_rule(a, ENG_KIND_REASON, i, P_T, at, w);
        a->reason_nt[i] = pred_rule(a, ENG_KIND_REASON, i, P_NT, at, w);
        a->reason_done[i] = true;
    }
    if (!a->reason_done[i])
        return anything(a, w, at);
    return t ? a->reason_t[i] : a->reason_nt[i];
}

/* Exactly the reasons in `mask` match. */
static dnf reasons_exactly(az *a, unsigned mask, const node *at, const where *w)
{
    dnf d = top(a);
    int nr = a->count[ENG_KIND_REASON];
    for (int i = 0; i < nr && d.n > 0; i++)
        d = dnf_and(a, d, reason_pred(a, i, (mask >> i) & 1u, at, w));
    return d;
}

typedef enum opd_kind { O_CONST, O_VAR, O_REASONS, O_OTHER } opd_kind;

static opd_kind operand(az *a, const where *w, const node *n, eng_value *c, int *var,
                        where *vw)
{
    if (const_value(a, w, n, c))
        return O_CONST;
    if (n->kind != N_NAME || a->depth >= MAX_DEPTH)
        return O_OTHER;
    int i;
    switch (resolve(a, w, n, &i)) {
    case NM_FACT:
        if (a->vtype[i] != ENG_NUM && a->vtype[i] != ENG_STR && a->vtype[i] != ENG_BOOL)
            return O_OTHER;
        *var = i;
        return O_VAR;
    case NM_REASONS:
        return O_REASONS;
    case NM_DERIVED: {
        const parsed *p = &a->p[ENG_KIND_DERIVED][i];
        if (p->root != NULL && (p->root->kind == N_NAME || p->root->kind == N_CONST)) {
            *vw = (where){p->info, p->src};
            a->depth++;
            where inner = *vw;
            opd_kind k = operand(a, &inner, p->root, c, var, vw);
            a->depth--;
            return k;
        }
        eng_type t = a->vtype[a->nfacts + i];
        if (t != ENG_NUM && t != ENG_STR)
            return O_OTHER;
        *var = a->nfacts + i;
        return O_VAR;
    }
    default:
        return O_OTHER;
    }
}

/* From the truth of `value OP c` on non-null values (as T), the four formulas. */
static dnf from_true(az *a, vcon vt, vcon vf, mode m)
{
    switch (m) {
    case P_T:
        vt.allow &= ~(unsigned)A_NULL;
        return single(a, vt);
    case P_F:
        vf.allow &= ~(unsigned)A_NULL;
        return single(a, vf);
    case P_NT:
        return single(a, vf);
    default:
        return single(a, vt);
    }
}

static dnf always(az *a, eng_value v, mode m)
{
    bool t = v.type == ENG_BOOL && v.as.b, f = v.type == ENG_BOOL && !v.as.b;
    bool yes = m == P_T ? t : m == P_F ? f : m == P_NT ? !t : !f;
    return yes ? top(a) : bottom();
}

static tok_kind flip(tok_kind op)
{
    switch (op) {
    case T_LT: return T_GT;
    case T_LE: return T_GE;
    case T_GT: return T_LT;
    case T_GE: return T_LE;
    default: return op;
    }
}

static tok_kind negate(tok_kind op)
{
    switch (op) {
    case T_LT: return T_GE;
    case T_LE: return T_GT;
    case T_GT: return T_LE;
    case T_GE: return T_LT;
    case T_EQ: return T_NE;
    default: return T_EQ;
    }
}

/* value OP c as a constraint on a non-null number (or string for == !=). */
static vcon num_con(int var, tok_kind op, eng_value c)
{
    vcon v = vcon_any(var);
    v.allow = A_NULL | A_VAL;
    if (c.type == ENG_STR) {
        strv s = {c.as.str.ptr, c.as.str.len};
        if (op == T_EQ) {
            v.has_eq = true;
            v.eq = s;
        } else {
            v.nne = 1;
            v.ne[0] = s;
        }
        return v;
    }
    double d = c.as.num;
    switch (op) {
    case T_LT: v.hi = d; v.hi_open = true; break;
    case T_LE: v.hi = d; break;
    case T_GT: v.lo = d; v.lo_open = true; break;
    case T_GE: v.lo = d; break;
    case T_EQ: v.lo = v.hi = d; break;
    default: v.nex = 1; v.ex[0] = d; break;
    }
    return v;
}

static unsigned popcount(unsigned x)
{
    unsigned n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

static bool num_op(tok_kind op, double x, double y)
{
    switch (op) {
    case T_LT: return x < y;
    case T_LE: return x <= y;
    case T_GT: return x > y;
    case T_GE: return x >= y;
    case T_EQ: return x == y;
    default: return x != y;
    }
}

static dnf pred_compare(az *a, const where *w, const node *n, mode m)
{
    eng_value ca, cb;
    int va = -1, vb = -1;
    where wa = *w, wb = *w;
    opd_kind ka = operand(a, w, n->a, &ca, &va, &wa);
    opd_kind kb = operand(a, w, n->b, &cb, &vb, &wb);
    tok_kind op = n->op;
    if (ka == O_CONST && kb == O_CONST) {
        eng_value v;
        if (!const_value(a, w, n, &v))
            return anything(a, w, n);
        return always(a, v, m);
    }
    if (ka == O_CONST && kb != O_CONST) {
        opd_kind tk = ka;
        ka = kb, kb = tk;
        eng_value tc = ca;
        ca = cb, cb = tc;
        va = vb;
        op = flip(op);
    }
    if (kb != O_CONST || (ka != O_VAR && ka != O_REASONS))
        return anything(a, w, n);
    bool ordering = op == T_LT || op == T_LE || op == T_GT || op == T_GE;
    if (cb.type == ENG_NULL || (ordering && cb.type != ENG_NUM))
        return always(a, eng_null(), m); /* null on every value */
    if (ka == O_REASONS) {
        int nr = a->count[ENG_KIND_REASON];
        if (cb.type != ENG_NUM) /* a number vs another type: == false, != true */
            return always(a, eng_bool(op == T_NE), m);
        if (nr > MAX_SUBSET_REASONS)
            return anything(a, w, n);
        bool want = m == P_T || m == P_NF; /* `reasons` is never null: NF = T, NT = F */
        dnf d = bottom();
        for (unsigned mask = 0; mask < (1u << nr); mask++)
            if (num_op(op, (double)popcount(mask), cb.as.num) == want)
                d = dnf_or(a, d, reasons_exactly(a, mask, n, w));
        return d;
    }
    eng_type t = a->vtype[va];
    if (t == ENG_BOOL) {
        if (ordering || cb.type != ENG_BOOL) { /* null, or false / true on every value */
            if (ordering)
                return always(a, eng_null(), m);
            vcon nn = vcon_any(va);
            nn.allow = A_TRUE | A_FALSE;
            vcon nl = vcon_any(va);
            nl.allow = A_NULL;
            bool res = op == T_NE;
            if (m == P_T || m == P_F)
                return (m == P_T) == res ? single(a, nn) : bottom();
            return (m == P_NT) == res ? single(a, nl) : top(a);
        }
        bool c = cb.as.b != (op == T_NE); /* the value that makes it true */
        unsigned tv = c ? A_TRUE : A_FALSE, fv = c ? A_FALSE : A_TRUE;
        vcon v = vcon_any(va);
        v.allow = m == P_T ? tv : m == P_F ? fv : m == P_NT ? (fv | A_NULL) : (tv | A_NULL);
        return single(a, v);
    }
    if ((t == ENG_NUM && cb.type != ENG_NUM) || (t == ENG_STR && cb.type != ENG_STR)) {
        if (ordering)
            return always(a, eng_null(), m);
        vcon nn = vcon_any(va);
        nn.allow = A_VAL;
        vcon nl = vcon_any(va);
        nl.allow = A_NULL;
        bool res = op == T_NE;
        if (m == P_T || m == P_F)
            return (m == P_T) == res ? single(a, nn) : bottom();
        return (m == P_NT) == res ? single(a, nl) : top(a);
    }
    if (t == ENG_STR && ordering)
        return always(a, eng_null(), m);
    return from_true(a, num_con(va, op, cb), num_con(va, negate(op), cb), m);
}

static dnf pred_in(az *a, const where *w, const node *n, mode m)
{
    eng_value c;
    int var = -1;
    where vw = *w;
    opd_kind k = operand(a, w, n->a, &c, &var, &vw);
    if (k == O_CONST) {
        eng_value v;
        if (!const_value(a, w, n, &v))
            return anything(a, w, n);
        return always(a, v, m);
    }
    if (k != O_VAR || (a->vtype[var] != ENG_NUM && a->vtype[var] != ENG_STR))
        return anything(a, w, n);
    eng_type t = a->vtype[var];
    dnf yes = bottom();
    vcon no = vcon_any(var);
    no.allow = A_NULL | A_VAL;
    bool approx = false;
    for (int i = 0; i < n->nargs; i++) {
        eng_value item = n->args[i]->value;
        if (item.type != t)
            continue;
        vcon eq = num_con(var, T_EQ, item), ne = num_con(var, T_NE, item), tmp;
        eq.allow = A_VAL;
        yes = dnf_or(a, yes, single(a, eq));
        if (!vcon_and(a, &no, &ne, &tmp, &approx))
            no.allow = A_NULL;
        else
            no = tmp;
    }
    dnf nullv = single(a, (vcon){.var = var, .allow = A_NULL, .lo = -INFINITY, .hi = INFINITY});
    dnf d;
    vcon no_val = no;
    no_val.allow &= ~(unsigned)A_NULL;
    switch (m) {
    case P_T: d = yes; break;
    case P_F: d = single(a, no_val); break;
    case P_NT: d = single(a, no); break;
    default: d = dnf_or(a, nullv, yes); break;
    }
    d.approx = d.approx || approx;
    return d;
}

static dnf pred(az *a, const where *w, const node *n, mode m)
{
    switch (n->kind) {
    case N_CONST:
        return always(a, n->value, m);
    case N_NAME: {
        int i;
        switch (resolve(a, w, n, &i)) {
        case NM_FACT:
            if (a->vtype[i] != ENG_BOOL)
                return always(a, eng_null(), m); /* a non-boolean is no match */
            {
                vcon v = vcon_any(i);
                v.allow = m == P_T ? A_TRUE : m == P_F ? A_FALSE
                        : m == P_NT ? (A_FALSE | A_NULL) : (A_TRUE | A_NULL);
                return single(a, v);
            }
        case NM_DERIVED:
            if (a->vtype[a->nfacts + i] != ENG_BOOL)
                return anything(a, w, n);
            return pred_rule(a, ENG_KIND_DERIVED, i, m, n, w);
        case NM_REASON:
            return reason_pred(a, i, m == P_T || m == P_NF, n, w);
        case NM_FLAG:
            return pred_rule(a, ENG_KIND_FLAG, i, m == P_T || m == P_NF ? P_T : P_NT, n, w);
        default:
            return anything(a, w, n);
        }
    }
    case N_UNARY:
        if (n->op != T_NOT)
            return always(a, eng_null(), m); /* -x is never a boolean */
        return pred(a, w, n->a, m == P_T ? P_F : m == P_F ? P_T : m == P_NT ? P_NF : P_NT);
    case N_BINARY:
        if (n->op == T_AND || n->op == T_OR) {
            /* and: T = T&T, F = F|F, NT = NT|NT, NF = NF&NF; or: the dual */
            bool conj = (n->op == T_AND) == (m == P_T || m == P_NF);
            dnf x = pred(a, w, n->a, m);
            dnf y = pred(a, w, n->b, m);
            return conj ? dnf_and(a, x, y) : dnf_or(a, x, y);
        }
        if (n->op == T_EQ || n->op == T_NE || n->op == T_LT || n->op == T_LE || n->op == T_GT ||
            n->op == T_GE)
            return pred_compare(a, w, n, m);
        return always(a, eng_null(), m); /* arithmetic is never a boolean */
    case N_COND: {
        dnf t = dnf_and(a, pred(a, w, n->a, P_T), pred(a, w, n->b, m));
        dnf f = dnf_and(a, pred(a, w, n->a, P_F), pred(a, w, n->c, m));
        dnf d = dnf_or(a, t, f);
        if (m == P_NT || m == P_NF) /* a null condition gives null */
            d = dnf_or(a, d, dnf_and(a, pred(a, w, n->a, P_NT), pred(a, w, n->a, P_NF)));
        return d;
    }
    case N_IN:
        return pred_in(a, w, n, m);
    case N_CALL: {
        if (n->op_len == 7 && memcmp(w->src + n->op_off, "is_null", 7) == 0 && n->nargs == 1) {
            eng_value c;
            int var = -1;
            where vw = *w;
            opd_kind k = operand(a, w, n->args[0], &c, &var, &vw);
            if (k == O_CONST)
                return always(a, eng_bool(c.type == ENG_NULL), m);
            if (k == O_REASONS)
                return always(a, eng_bool(false), m);
            if (k == O_VAR) {
                vcon v = vcon_any(var);
                unsigned val = a->vtype[var] == ENG_BOOL ? (A_TRUE | A_FALSE) : A_VAL;
                v.allow = (m == P_T || m == P_NF) ? A_NULL : val;
                return single(a, v);
            }
        }
        return anything(a, w, n);
    }
    default:
        return anything(a, w, n);
    }
}

/* ---- examples ---------------------------------------------------------------------------- */

static bool vcon_ok(const az *a, const vcon *v, eng_value x)
{
    if (x.type == ENG_NULL)
        return v->allow & A_NULL;
    eng_type t = a->vtype[v->var];
    if (t == ENG_BOOL)
        return x.type == ENG_BOOL && (v->allow & (x.as.b ? A_TRUE : A_FALSE));
    if (!(v->allow & A_VAL))
        return false;
    if (t == ENG_NUM) {
        if (x.type != ENG_NUM)
            return false;
        double d = x.as.num;
        if (d < v->lo || (d == v->lo && v->lo_open) || d > v->hi || (d == v->hi && v->hi_open))
            return false;
        for (int i = 0; i < v->nex; i++)
            if (v->ex[i] == d)
                return false;
        return true;
    }
    if (x.type != ENG_STR)
        return false;
    strv s = {x.as.str.ptr, x.as.str.len};
    if (v->has_eq && !str_eq(v->eq, s))
        return false;
    for (int i = 0; i < v->nne; i++)
        if (str_eq(v->ne[i], s))
            return false;
    return true;
}

static void push_cand(const az *a, const vcon *v, eng_value x, eng_value *out, int *n)
{
    if (*n >= MAX_CANDIDATES || (v != NULL && !vcon_ok(a, v, x)))
        return;
    for (int i = 0; i < *n; i++)
        if (out[i].type == x.type && (x.type == ENG_NULL || same_value(out[i], x)))
            return;
    out[(*n)++] = x;
}

static const char *const string_picks[] = {"x", "y", "z", "w"};

/* Values the constraint allows, simplest first (null when allowed). */
static int candidates(const az *a, const vcon *v, eng_type t, bool null_first, eng_value *out)
{
    int n = 0;
    if (null_first)
        push_cand(a, v, eng_null(), out, &n);
    if (t == ENG_BOOL) {
        push_cand(a, v, eng_bool(true), out, &n);
        push_cand(a, v, eng_bool(false), out, &n);
    } else if (t == ENG_STR) {
        if (v != NULL && v->has_eq)
            push_cand(a, v, eng_strn(v->eq.ptr, v->eq.len), out, &n);
        for (size_t i = 0; i < sizeof string_picks / sizeof string_picks[0]; i++)
            push_cand(a, v, eng_str(string_picks[i]), out, &n);
    } else if (t == ENG_NUM) {
        double lo = v ? v->lo : -INFINITY, hi = v ? v->hi : INFINITY;
        if (isfinite(lo)) {
            push_cand(a, v, eng_num(lo), out, &n);
            push_cand(a, v, eng_num(isfinite(hi) ? (lo + hi) / 2 : floor(lo) + 1), out, &n);
            push_cand(a, v, eng_num(nextafter(lo, INFINITY)), out, &n);
        }
        if (isfinite(hi)) {
            push_cand(a, v, eng_num(hi), out, &n);
            push_cand(a, v, eng_num(isfinite(lo) ? (lo + hi) / 2 : ceil(hi) - 1), out, &n);
            push_cand(a, v, eng_num(nextafter(hi, -INFINITY)), out, &n);
        }
        static const double common[] = {0, 1, 100, 0.5, 2, 10, -1};
        for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
            push_cand(a, v, eng_num(common[i]), out, &n);
        if (v != NULL)
            for (int i = 0; i < v->nex; i++) {
                push_cand(a, v, eng_num(v->ex[i] + 1), out, &n);
                push_cand(a, v, eng_num(v->ex[i] - 1), out, &n);
            }
    }
    if (!null_first)
        push_cand(a, v, eng_null(), out, &n);
    return n;
}

static const vcon *term_find(const term *t, int var)
{
    for (int i = 0; i < t->n; i++)
        if (t->c[i].var == var)
            return &t->c[i];
    return NULL;
}

/* Marks in `used` the facts a derived value reads, through other derived values. */
static void derived_reads(az *a, const where *w, const node *n, bool *used, int depth)
{
    if (n == NULL || depth > MAX_DEPTH)
        return;
    if (n->kind == N_NAME) {
        int i;
        name_kind k = resolve(a, w, n, &i);
        if (k == NM_FACT)
            used[i] = true;
        else if (k == NM_DERIVED && a->p[ENG_KIND_DERIVED][i].root != NULL) {
            const parsed *p = &a->p[ENG_KIND_DERIVED][i];
            where dw = {p->info, p->src};
            derived_reads(a, &dw, p->root, used, depth + 1);
        }
        return;
    }
    derived_reads(a, w, n->a, used, depth + 1);
    derived_reads(a, w, n->b, used, depth + 1);
    derived_reads(a, w, n->c, used, depth + 1);
    if (n->kind == N_CALL)
        for (int i = 0; i < n->nargs; i++)
            derived_reads(a, w, n->args[i], used, depth + 1);
}

/* How realize() fills the facts a conjunction leaves free (a part taken as "anything" may still
 * need values): null; then simple non-null values; then numbers that differ by slot. */
enum { FILL_NULL, FILL_ZERO, FILL_ONE, FILL_UP, FILL_DOWN, FILL_COUNT };

static eng_value fill_value(const az *a, int s, int fill)
{
    switch (a->vtype[s]) {
    case ENG_NUM:
        return fill == FILL_ZERO   ? eng_num(0)
               : fill == FILL_ONE  ? eng_num(1)
               : fill == FILL_UP   ? eng_num(s + 1)
               : fill == FILL_DOWN ? eng_num(a->nfacts - s)
                                   : eng_null();
    case ENG_BOOL:
        return fill == FILL_NULL ? eng_null() : eng_bool(fill == FILL_ONE || fill == FILL_UP);
    case ENG_STR:
        return fill == FILL_NULL ? eng_null() : eng_str(string_picks[fill % 4]);
    default:
        return eng_null();
    }
}

/* Facts that satisfy conjunction t (derived numbers in it computed from them), or false. */
static bool realize(az *a, const term *t, eng_value *facts, int fill)
{
    int nf = a->nfacts;
    bool *used = xcalloc((size_t)nf + 1, sizeof *used);
    bool any_derived = false;
    for (int i = 0; i < t->n; i++) {
        int var = t->c[i].var;
        if (var >= nf) {
            const parsed *p = &a->p[ENG_KIND_DERIVED][var - nf];
            where dw = {p->info, p->src};
            derived_reads(a, &dw, p->root, used, 0);
            any_derived = true;
        }
    }
    /* Facts nobody computes from: the simplest value their constraint allows. */
    for (int s = 0; s < nf; s++) {
        const vcon *v = term_find(t, s);
        eng_value c[MAX_CANDIDATES];
        int n = candidates(a, v, a->vtype[s], true, c);
        facts[s] = n > 0 ? c[0] : eng_null();
        if (v == NULL && !used[s])
            facts[s] = fill_value(a, s, fill);
        if (n == 0 && !used[s]) {
            free(used);
            return false;
        }
    }
    bool ok = !any_derived;
    if (any_derived) {
        /* Targets: values each derived number may take, and simple scalings of them. */
        eng_value targets[MAX_CANDIDATES * 4];
        int ntargets = 0;
        for (int i = 0; i < t->n; i++)
            if (t->c[i].var >= nf) {
                eng_value c[MAX_CANDIDATES];
                int n = candidates(a, &t->c[i], a->vtype[t->c[i].var], false, c);
                for (int j = 0; j < n && j < 3 && ntargets + 3 <= (int)(sizeof targets /
                                                                         sizeof targets[0]);
                     j++)
                    if (c[j].type == ENG_NUM) {
                        targets[ntargets++] = c[j];
                        targets[ntargets++] = eng_num(c[j].as.num * 100);
                        targets[ntargets++] = eng_num(-c[j].as.num);
                    }
            }
        int *slot = xcalloc((size_t)nf + 1, sizeof *slot);
        int nslot = 0;
        eng_value (*cand)[MAX_CANDIDATES] = xcalloc((size_t)nf + 1, sizeof *cand);
        int *ncand = xcalloc((size_t)nf + 1, sizeof *ncand), *pos = xcalloc((size_t)nf + 1,
                                                                             sizeof *pos);
        for (int s = 0; s < nf; s++) {
            if (!used[s])
                continue;
            const vcon *v = term_find(t, s);
            int n = candidates(a, v, a->vtype[s], true, cand[nslot]);
            if (a->vtype[s] == ENG_NUM)
                for (int j = 0; j < ntargets; j++)
                    push_cand(a, v, targets[j], cand[nslot], &n);
            if (n == 0)
                goto done;
            ncand[nslot] = n;
            slot[nslot++] = s;
        }
        eng_value *dv = xcalloc((size_t)a->nderived + 1, sizeof *dv);
        bool *dd = xcalloc((size_t)a->nderived + 1, sizeof *dd);
        for (long tries = 0; tries < MAX_SEARCH; tries++) {
            for (int k = 0; k < nslot; k++)
                facts[slot[k]] = cand[k][pos[k]];
            env e = {facts, dv, dd, false, 0};
            memset(dd, 0, (size_t)a->nderived * sizeof *dd);
            bool fits = true;
            for (int i = 0; i < t->n && fits; i++) {
                int var = t->c[i].var;
                eng_value x;
                if (var >= nf)
                    fits = ev_derived(a, var - nf, &e, &x) && vcon_ok(a, &t->c[i], x);
            }
            if (fits) {
                ok = true;
                break;
            }
            int k = 0; /* the next combination */
            while (k < nslot && ++pos[k] == ncand[k])
                pos[k++] = 0;
            if (k == nslot)
                break;
        }
        free(dv);
        free(dd);
    done:
        free(slot);
        free(cand);
        free(ncand);
        free(pos);
    }
    free(used);
    return ok;
}

static char *describe_facts(const az *a, const eng_value *facts)
{
    size_t cap = 256, len = 0;
    char *s = xmalloc(cap);
    s[0] = '\0';
    for (int i = 0; i < a->nfacts; i++) {
        if (facts[i].type == ENG_NULL)
            continue;
        char v[64];
        if (facts[i].type == ENG_STR)
            snprintf(v, sizeof v, "\"%.*s\"", (int)(facts[i].as.str.len > 40 ? 40
                                                   : facts[i].as.str.len), facts[i].as.str.ptr);
        else
            eng_value_format(facts[i], v, sizeof v);
        const char *name = eng_schema_name(a->schema, i);
        size_t need = len + strlen(name) + strlen(v) + 4;
        if (need > cap) {
            cap = need * 2;
            s = xrealloc(s, cap);
        }
        len += (size_t)sprintf(s + len, "%s%s=%s", len ? ", " : "", name, v);
    }
    if (len == 0) {
        free(s);
        return xstrdup("every fact null");
    }
    return s;
}

/* ---- probes: one condition as the only category of a rule set ---------------------------- */

static void put_str(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

static void put_quoted(char **buf, size_t *len, size_t *cap, const char *s)
{
    put_str(buf, len, cap, "\"");
    char one[8];
    for (; s != NULL && *s; s++) {
        switch (*s) {
        case '"': put_str(buf, len, cap, "\\\""); break;
        case '\\': put_str(buf, len, cap, "\\\\"); break;
        case '\n': put_str(buf, len, cap, "\\n"); break;
        case '\t': put_str(buf, len, cap, "\\t"); break;
        case '\r': put_str(buf, len, cap, "\\r"); break;
        default:
            one[0] = *s;
            one[1] = '\0';
            put_str(buf, len, cap, one);
        }
    }
    put_str(buf, len, cap, "\"");
}

static void put_entries(const az *a, char **b, size_t *len, size_t *cap, eng_kind k,
                        const char *section)
{
    put_str(b, len, cap, section);
    put_str(b, len, cap, " = (\n");
    for (int i = 0; i < a->count[k]; i++) {
        const eng_rule_info *info = eng_rules_get(a->r, k, i);
        put_str(b, len, cap, i ? ",\n  { id = " : "  { id = ");
        put_quoted(b, len, cap, info->id);
        put_str(b, len, cap, "; label = ");
        put_quoted(b, len, cap, info->label ? info->label : info->id);
        if (k == ENG_KIND_FLAG && info->severity) {
            put_str(b, len, cap, "; severity = ");
            put_quoted(b, len, cap, info->severity);
        }
        put_str(b, len, cap, "; when = ");
        put_quoted(b, len, cap, info->expression);
        put_str(b, len, cap, "; }");
    }
    put_str(b, len, cap, "\n);\n");
}

/* A rule set whose only category (before the catch-all) is `when`; NULL if it does not load. */
static eng_rules *probe_new(az *a, const char *when)
{
    size_t len = 0, cap = 1024;
    char *b = xmalloc(cap);
    b[0] = '\0';
    put_str(&b, &len, &cap, "version = \"analyze probe\";\n");
    if (a->r->nthresholds > 0) {
        put_str(&b, &len, &cap, "thresholds = {\n");
        for (int i = 0; i < a->r->nthresholds; i++) {
            char v[64];
            snprintf(v, sizeof v, "%.17g", a->r->thresholds[i].value);
            if (strpbrk(v, ".eEn") == NULL)
                strcat(v, ".0");
            put_str(&b, &len, &cap, "  ");
            put_str(&b, &len, &cap, a->r->thresholds[i].name + 11);
            put_str(&b, &len, &cap, " = ");
            put_str(&b, &len, &cap, v);
            put_str(&b, &len, &cap, ";\n");
        }
        put_str(&b, &len, &cap, "};\n");
    }
    if (a->count[ENG_KIND_DERIVED] > 0) {
        put_str(&b, &len, &cap, "derived = {\n");
        for (int i = 0; i < a->count[ENG_KIND_DERIVED]; i++) {
            const eng_rule_info *info = eng_rules_get(a->r, ENG_KIND_DERIVED, i);
            put_str(&b, &len, &cap, "  ");
            put_str(&b, &len, &cap, info->id);
            put_str(&b, &len, &cap, " = ");
            put_quoted(&b, &len, &cap, info->expression);
            put_str(&b, &len, &cap, ";\n");
        }
        put_str(&b, &len, &cap, "};\n");
    }
    if (a->count[ENG_KIND_REASON] > 0)
        put_entries(a, &b, &len, &cap, ENG_KIND_REASON, "reasons");
    if (a->count[ENG_KIND_FLAG] > 0)
        put_entries(a, &b, &len, &cap, ENG_KIND_FLAG, "flags");
    put_str(&b, &len, &cap, "categories = (\n  { id = \"probe\"; label = \"probe\"; when = ");
    put_quoted(&b, &len, &cap, when);
    put_str(&b, &len, &cap, "; },\n  { id = \"rest\"; label = \"rest\"; }\n);\n"
                            "score = ( { id = \"s\"; label = \"s\"; weight = 1.0; value = \"0\"; } );\n");
    eng_diags *d = eng_diags_new();
    eng_rules *p = eng_rules_load_string(b, a->r->file, a->schema, d);
    eng_diags_free(d);
    free(b);
    return p;
}

/* A condition checked on examples by the engine: its probe rule set, compiled at the first use. */
typedef struct probe {
    const char *when;
    eng_rules *rules; /* NULL until used, or when it does not load */
    eng_ctx *ctx;
    bool tried;
} probe;

/* Whether the probe's condition is true on `facts` (-1: the probe did not load). */
static int probe_true(az *a, probe *p, const eng_value *facts)
{
    if (!p->tried) {
        p->tried = true;
        p->rules = probe_new(a, p->when);
        p->ctx = p->rules ? eng_ctx_new(p->rules) : NULL;
    }
    if (p->ctx == NULL)
        return -1;
    eng_result res;
    eng_evaluate(p->ctx, facts, &res);
    return res.category == 0;
}

static void probe_cleanup(probe *p)
{
    eng_ctx_free(p->ctx);
    eng_rules_free(p->rules);
}

/* ---- questions --------------------------------------------------------------------------- */

static void reset_undecided(az *a)
{
    a->und_info = NULL;
}

static void note_undecided(az *a, eng_kind k, int i, const char *question)
{
    const eng_rule_info *about = a->p[k][i].info;
    if (a->und_info == NULL)
        return;
    add_entry(a, ENG_FINDING_UNDECIDED, k, i, a->und_info, a->und_col,
              fmt_dup("%s (%s:%d): the analysis does not reason about '%s'", question,
                      about->file, about->line, a->und_text),
              NULL);
}

typedef bool (*check_fn)(az *a, const eng_value *facts, const eng_result *res, void *ud);

/* The first conjunction of d whose example passes `check`; the example's facts in `facts`. */
static bool find_example(az *a, const dnf *d, eng_value *facts, check_fn check, void *ud)
{
    for (int fill = 0; fill < (d->approx ? FILL_COUNT : 1); fill++)
        for (int i = 0; i < d->n && i < 64; i++) {
            if (!realize(a, &d->t[i], facts, fill))
                continue;
            eng_result res;
            eng_evaluate(a->ctx, facts, &res);
            if (check(a, facts, &res, ud))
                return true;
        }
    return false;
}

typedef struct bit_check {
    eng_kind kind;
    int index;
} bit_check;

static bool rule_matched(az *a, const eng_value *facts, const eng_result *res, void *ud)
{
    (void)a, (void)facts;
    const bit_check *b = ud;
    if (b->kind == ENG_KIND_REASON)
        return (res->reasons >> b->index) & 1u;
    if (b->kind == ENG_KIND_FLAG)
        return (res->flags >> b->index) & 1u;
    return res->category == b->index;
}

static const char *cat_id(const az *a, int i)
{
    return eng_rules_get(a->r, ENG_KIND_CATEGORY, i)->id;
}

/* A reason's or flag's `when` that no facts make true. */
static void check_rule_matches(az *a, eng_kind k, int i)
{
    const parsed *p = &a->p[k][i];
    if (p->root == NULL)
        return;
    reset_undecided(a);
    where w = {p->info, p->src};
    dnf t = pred(a, &w, p->root, P_T);
    if (t.n == 0) {
        add_entry(a, ENG_FINDING_NEVER_TRUE, k, i, p->info, 0,
                  fmt_dup("%s '%s' can never match: no facts make its when true", kind_word(k),
                          p->info->id),
                  NULL);
        return;
    }
    if (!t.approx)
        return;
    eng_value *facts = xcalloc((size_t)a->nfacts + 1, sizeof *facts);
    bit_check b = {k, i};
    if (!find_example(a, &t, facts, rule_matched, &b)) {
        char q[200];
        snprintf(q, sizeof q, "whether %s '%s' can match", kind_word(k), p->info->id);
        note_undecided(a, k, i, q);
    }
    free(facts);
}

typedef struct shadow_check {
    int j;
    probe when;
} shadow_check;

static bool shadowed_example(az *a, const eng_value *facts, const eng_result *res, void *ud)
{
    shadow_check *s = ud;
    return res->category < s->j && probe_true(a, &s->when, facts) == 1;
}

static void check_category(az *a, int j)
{
    const parsed *p = &a->p[ENG_KIND_CATEGORY][j];
    reset_undecided(a);
    where w = {p->info, p->src};
    dnf t = p->root ? pred(a, &w, p->root, P_T) : top(a);
    if (t.n == 0) {
        add_entry(a, ENG_FINDING_NEVER_TRUE, ENG_KIND_CATEGORY, j, p->info, 0,
                  fmt_dup("category '%s' can never match: no facts make its when true",
                          p->info->id),
                  NULL);
        return;
    }
    dnf s = t;
    for (int i = 0; i < j && s.n > 0; i++) {
        const parsed *q = &a->p[ENG_KIND_CATEGORY][i];
        where qw = {q->info, q->src};
        s = dnf_and(a, s, pred(a, &qw, q->root, P_NT));
    }
    eng_value *facts = xcalloc((size_t)a->nfacts + 1, sizeof *facts);
    if (s.n == 0) {
        char *example = NULL;
        bool found;
        if (p->root != NULL) {
            shadow_check sc = {j, {p->info->expression, NULL, NULL, false}};
            found = find_example(a, &t, facts, shadowed_example, &sc);
            probe_cleanup(&sc.when);
        } else {
            eng_result res;
            memset(facts, 0, (size_t)a->nfacts * sizeof *facts);
            eng_evaluate(a->ctx, facts, &res);
            found = res.category != j;
        }
        if (found) {
            eng_result res;
            eng_evaluate(a->ctx, facts, &res);
            char *f = describe_facts(a, facts);
            const eng_rule_info *by = eng_rules_get(a->r, ENG_KIND_CATEGORY, res.category);
            example = fmt_dup("%s -> category '%s' (%s:%d)%s", f, by->id, by->file, by->line,
                              p->root ? ", although its own when is true" : "");
            free(f);
        }
        add_entry(a, ENG_FINDING_SHADOWED, ENG_KIND_CATEGORY, j, p->info, 0,
                  p->root ? fmt_dup("category '%s' is never reached: whenever its when is true, "
                                    "an earlier category matches first",
                                    p->info->id)
                          : fmt_dup("category '%s' (the catch-all) is never reached: the "
                                    "earlier categories match every initiative",
                                    p->info->id),
                  example);
    } else if (s.approx) {
        bit_check b = {ENG_KIND_CATEGORY, j};
        if (!find_example(a, &s, facts, rule_matched, &b)) {
            char q[200];
            snprintf(q, sizeof q, "whether category '%s' can be reached", p->info->id);
            note_undecided(a, ENG_KIND_CATEGORY, j, q);
        }
    }
    free(facts);
}

/* ---- thresholds out of order ------------------------------------------------------------- */

typedef struct bound {
    int var;
    bool lower, strict;
    int threshold;
    const node *at;
} bound;

/* The comparisons `value OP thresholds.X` among the top-level conjuncts of a condition. */
static int bounds_of(az *a, const where *w, const node *n, bound *out, int max, int count)
{
    if (n == NULL || count >= max)
        return count;
    if (n->kind == N_BINARY && n->op == T_AND) {
        count = bounds_of(a, w, n->a, out, max, count);
        return bounds_of(a, w, n->b, out, max, count);
    }
    if (n->kind != N_BINARY ||
        !(n->op == T_LT || n->op == T_LE || n->op == T_GT || n->op == T_GE))
        return count;
    int ti = -1;
    const node *vn = n->a, *tn = n->b;
    tok_kind op = n->op;
    if (tn->kind != N_NAME || resolve(a, w, tn, &ti) != NM_THRESHOLD) {
        vn = n->b, tn = n->a, op = flip(op);
        if (tn->kind != N_NAME || resolve(a, w, tn, &ti) != NM_THRESHOLD)
            return count;
    }
    eng_value c;
    int var = -1;
    where vw = *w;
    if (operand(a, w, vn, &c, &var, &vw) != O_VAR || a->vtype[var] != ENG_NUM)
        return count;
    out[count++] = (bound){var, op == T_GT || op == T_GE, op == T_GT || op == T_LT, ti, n};
    return count;
}

static const char *var_name(const az *a, int var)
{
    return var < a->nfacts ? eng_schema_name(a->schema, var)
                           : eng_rules_get(a->r, ENG_KIND_DERIVED, var - a->nfacts)->id;
}

typedef struct order_check {
    int j;
    probe when;
} order_check;

static bool order_example(az *a, const eng_value *facts, const eng_result *res, void *ud)
{
    order_check *o = ud;
    return res->category < o->j && probe_true(a, &o->when, facts) == 1;
}

static void check_order(az *a, int i, int j)
{
    const parsed *pi = &a->p[ENG_KIND_CATEGORY][i], *pj = &a->p[ENG_KIND_CATEGORY][j];
    if (pi->root == NULL || pj->root == NULL)
        return;
    where wi = {pi->info, pi->src}, wj = {pj->info, pj->src};
    bound bi[16], bj[16];
    int ni = bounds_of(a, &wi, pi->root, bi, 16, 0), nj = bounds_of(a, &wj, pj->root, bj, 16, 0);
    for (int x = 0; x < nj; x++)
        for (int y = 0; y < ni; y++) {
            const bound *later = &bj[x], *earlier = &bi[y];
            if (later->var != earlier->var || later->lower != earlier->lower ||
                later->threshold == earlier->threshold)
                continue;
            double tl = a->r->thresholds[later->threshold].value;
            double te = a->r->thresholds[earlier->threshold].value;
            bool inside = later->lower ? (tl > te || (tl == te && (later->strict ||
                                                                    !earlier->strict)))
                                       : (tl < te || (tl == te && (later->strict ||
                                                                    !earlier->strict)));
            if (!inside)
                continue;
            reset_undecided(a);
            dnf both = dnf_and(a, pred(a, &wi, pi->root, P_T), pred(a, &wj, pj->root, P_T));
            eng_value *facts = xcalloc((size_t)a->nfacts + 1, sizeof *facts);
            order_check oc = {j, {pj->info->expression, NULL, NULL, false}};
            bool found = both.n > 0 && find_example(a, &both, facts, order_example, &oc);
            probe_cleanup(&oc.when);
            if (found) {
                eng_result res;
                eng_evaluate(a->ctx, facts, &res);
                const threshold *l = &a->r->thresholds[later->threshold],
                                *e = &a->r->thresholds[earlier->threshold];
                char lv[40], ev_[40];
                eng_value_format(eng_num(l->value), lv, sizeof lv);
                eng_value_format(eng_num(e->value), ev_, sizeof ev_);
                char *f = describe_facts(a, facts);
                const char *cmp = later->lower ? (earlier->strict ? ">" : ">=")
                                               : (earlier->strict ? "<" : "<=");
                add_entry(a, ENG_FINDING_THRESHOLD_ORDER, ENG_KIND_CATEGORY, j, pj->info, 0,
                          fmt_dup("thresholds out of order: %s (%s, %s:%d) should be %s %s (%s, "
                                  "%s:%d): category '%s' needs %s %s the first, but the earlier "
                                  "category '%s' (%s:%d) takes every %s %s the second",
                                  l->name, lv, a->r->file, l->line,
                                  later->lower ? "below" : "above", e->name, ev_, a->r->file,
                                  e->line, pj->info->id, var_name(a, later->var),
                                  later->lower ? (later->strict ? ">" : ">=")
                                               : (later->strict ? "<" : "<="),
                                  pi->info->id, pi->info->file, pi->info->line,
                                  var_name(a, later->var), cmp),
                          fmt_dup("%s -> category '%s', although the when of category '%s' is "
                                  "true",
                                  f, cat_id(a, res.category), pj->info->id));
                free(f);
            }
            free(facts);
        }
}

/* ---- score components that no longer fit the reasons ------------------------------------- */

static bool reads_only_reasons(az *a, const where *w, const node *n, bool *reasons)
{
    if (n == NULL)
        return true;
    if (n->kind == N_NAME) {
        int i;
        name_kind k = resolve(a, w, n, &i);
        if (k == NM_REASONS)
            *reasons = true;
        return k == NM_REASONS || k == NM_THRESHOLD;
    }
    bool ok = reads_only_reasons(a, w, n->a, reasons) && reads_only_reasons(a, w, n->b, reasons) &&
              reads_only_reasons(a, w, n->c, reasons);
    if (n->kind == N_CALL)
        for (int i = 0; i < n->nargs; i++)
            ok = ok && reads_only_reasons(a, w, n->args[i], reasons);
    return ok;
}

typedef struct count_check {
    unsigned k;
    const char *component;
    double value;
} count_check;

static bool count_matches(az *a, const eng_value *facts, const eng_result *res, void *ud)
{
    const count_check *c = ud;
    if (popcount((unsigned)(res->reasons & 0xffffffffu)) + popcount((unsigned)(res->reasons >> 32)) !=
        c->k)
        return false;
    /* The component's own value, as the engine computed it. */
    eng_explanation *e = eng_explanation_new();
    eng_ctx *x = eng_ctx_new(a->r);
    eng_result r2;
    eng_explain(x, facts, &r2, e);
    bool ok = false;
    for (int i = 0; i < eng_explanation_count(e); i++) {
        const eng_step *s = eng_explanation_get(e, i);
        if (s->kind == ENG_KIND_SCORE && strcmp(s->id, c->component) == 0)
            ok = s->result.type == ENG_NUM && fabs(s->result.as.num - c->value) < 1e-9;
    }
    eng_ctx_free(x);
    eng_explanation_free(e);
    return ok;
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static void check_score(az *a, int s)
{
    const parsed *p = &a->p[ENG_KIND_SCORE][s];
    if (p->root == NULL)
        return;
    where w = {p->info, p->src};
    bool uses = false;
    if (!reads_only_reasons(a, &w, p->root, &uses) || !uses)
        return;
    int nr = a->count[ENG_KIND_REASON];
    if (nr > MAX_SUBSET_REASONS)
        return;
    double v[MAX_SUBSET_REASONS + 1];
    bool has[MAX_SUBSET_REASONS + 1];
    for (int k = 0; k <= nr; k++) {
        eng_value x;
        env e = {NULL, NULL, NULL, true, (double)k};
        has[k] = ev(a, &w, p->root, &e, &x) && x.type == ENG_NUM;
        v[k] = has[k] ? x.as.num : 0;
    }
    eng_value *facts = xcalloc((size_t)a->nfacts + 1, sizeof *facts);
    for (int k = 0; k <= nr; k++) {
        if (!has[k] || (v[k] >= 0 && v[k] <= 1))
            continue;
        reset_undecided(a);
        count_check cc = {(unsigned)k, p->info->id, v[k]};
        bool found = false;
        for (unsigned mask = 0; mask < (1u << nr) && !found; mask++) {
            if (popcount(mask) != (unsigned)k)
                continue;
            dnf d = reasons_exactly(a, mask, p->root, &w);
            found = d.n > 0 && find_example(a, &d, facts, count_matches, &cc);
        }
        if (!found)
            continue;
        double c = clamp01(v[k]);
        int same = -1;
        for (int q = k - 1; q >= 0 && same < 0; q--)
            if (has[q] && clamp01(v[q]) == c)
                same = q;
        char vs[40], cs[40], tail[80] = "";
        eng_value_format(eng_num(eng_round(v[k], 3)), vs, sizeof vs);
        eng_value_format(eng_num(c), cs, sizeof cs);
        if (same >= 0)
            snprintf(tail, sizeof tail, ", the same as with %d", same);
        char *f = describe_facts(a, facts);
        add_entry(a, ENG_FINDING_SCORE_RANGE, ENG_KIND_SCORE, s, p->info, 0,
                  fmt_dup("score component '%s' no longer fits the %d reasons: with %d reasons "
                          "'%s' is %s, clamped to %s%s",
                          p->info->id, nr, k, p->info->expression, vs, cs, tail),
                  fmt_dup("%s -> %d reasons", f, k));
        free(f);
        break;
    }
    free(facts);
}

/* ---- driver ------------------------------------------------------------------------------ */

static int by_line(const void *x, const void *y)
{
    const eng_finding *a = x, *b = y;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return a->kind < b->kind ? -1 : a->kind > b->kind;
}

eng_analysis *eng_analyze(const eng_rules *r)
{
    az a;
    memset(&a, 0, sizeof a);
    a.r = r;
    a.schema = eng_rules_schema(r);
    a.nfacts = eng_schema_count(a.schema);
    a.nderived = eng_rules_count(r, ENG_KIND_DERIVED);
    a.nvars = a.nfacts + a.nderived;
    a.vtype = xcalloc((size_t)a.nvars + 1, sizeof *a.vtype);
    for (int i = 0; i < a.nfacts; i++)
        a.vtype[i] = eng_schema_type(a.schema, i);
    for (int i = 0; i < a.nderived; i++)
        a.vtype[a.nfacts + i] =
            r->rules[ENG_KIND_DERIVED][i].prog ? expr_type(r->rules[ENG_KIND_DERIVED][i].prog)
                                               : ENG_NULL;
    a.diags = eng_diags_new();
    for (int k = 0; k < ENG_NKINDS; k++) {
        a.count[k] = eng_rules_count(r, (eng_kind)k);
        a.p[k] = xcalloc((size_t)a.count[k] + 1, sizeof *a.p[k]);
        for (int i = 0; i < a.count[k]; i++) {
            const eng_rule_info *info = eng_rules_get(r, (eng_kind)k, i);
            a.p[k][i].info = info;
            a.p[k][i].src = info->expression;
            if (info->expression == NULL)
                continue;
            lexer lx;
            lex_init(&lx, info->expression, (int)strlen(info->expression), info->file, info->line,
                     a.diags);
            a.p[k][i].root = parse_expression(&lx, &a.nodes);
        }
    }
    int nr = a.count[ENG_KIND_REASON];
    a.reason_t = xcalloc((size_t)nr + 1, sizeof *a.reason_t);
    a.reason_nt = xcalloc((size_t)nr + 1, sizeof *a.reason_nt);
    a.reason_done = xcalloc((size_t)nr + 1, sizeof *a.reason_done);
    a.ctx = eng_ctx_new(r);
    a.out = xcalloc(1, sizeof *a.out);

    for (int i = 0; i < nr; i++)
        check_rule_matches(&a, ENG_KIND_REASON, i);
    for (int i = 0; i < a.count[ENG_KIND_FLAG]; i++)
        check_rule_matches(&a, ENG_KIND_FLAG, i);
    for (int j = 0; j < a.count[ENG_KIND_CATEGORY]; j++)
        check_category(&a, j);
    for (int j = 0; j < a.count[ENG_KIND_CATEGORY]; j++)
        for (int i = 0; i < j; i++)
            check_order(&a, i, j);
    for (int s = 0; s < a.count[ENG_KIND_SCORE]; s++)
        check_score(&a, s);

    eng_analysis *out = a.out;
    if (out->n > 1)
        qsort(out->items, (size_t)out->n, sizeof *out->items, by_line);
    eng_ctx_free(a.ctx);
    free(a.reason_t);
    free(a.reason_nt);
    free(a.reason_done);
    for (int k = 0; k < ENG_NKINDS; k++)
        free(a.p[k]);
    free(a.vtype);
    arena_free(&a.nodes);
    arena_free(&a.mem);
    eng_diags_free(a.diags);
    return out;
}

void eng_analysis_free(eng_analysis *o)
{
    if (o == NULL)
        return;
    for (int i = 0; i < o->n; i++) {
        free((char *)o->items[i].message);
        free((char *)o->items[i].example);
    }
    free(o->items);
    free(o);
}

int eng_analysis_count(const eng_analysis *o)
{
    return o->n;
}

int eng_analysis_findings(const eng_analysis *o)
{
    return o->nfindings;
}

const eng_finding *eng_analysis_get(const eng_analysis *o, int i)
{
    return i >= 0 && i < o->n ? &o->items[i] : NULL;
}

int eng_analysis_print(const eng_analysis *o, FILE *out)
{
    for (int i = 0; i < o->n; i++) {
        const eng_finding *f = &o->items[i];
        if (f->kind == ENG_FINDING_UNDECIDED)
            fprintf(out, "%s:%d:%d: not decided: %s\n", f->file, f->line, f->col, f->message);
        else
            fprintf(out, "%s:%d: finding: %s\n", f->file, f->line, f->message);
        if (f->example)
            fprintf(out, "    example: %s\n", f->example);
    }
    return ferror(out) ? -1 : 0;
}
