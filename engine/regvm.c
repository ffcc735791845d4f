/* regvm.c - the typed register VM behind eng_evaluate: links every rule's register code
 * (compile.c) into one straight program for the whole rule set and runs it over one array of
 * doubles. eng_explain and the unit tests run the same expressions on the stack VM (vm.c);
 * a rule set whose expressions the register VM cannot all represent runs on the stack VM only.
 *
 * Why a second VM: the stack VM moves 24-byte eng_value's and checks their types on every
 * operation, and runs one program per rule. Here types were settled by the compiler, so a
 * number is a double (NaN = null) and a boolean a double 0 / 1 / 0.5 (null), constants sit in
 * registers filled once per eng_ctx, and the rule steps (reason matched, flag set, first
 * category, score component) are instructions too, a comparison folded into the step that
 * tests it: one dispatch loop per initiative. Measured with bench/engine/bench_engine and the
 * default rules (Release, gcc 12): 2,155 instructions per initiative on the stack VM and
 * 633 here (callgrind, 100,000 initiatives); 450-480 ns and 80-95 ns CPU (1,000,000).
 * eng_evaluate's results must equal eng_explain's (stack VM): bench_engine checks it on every
 * run, and so does tests/fuzz/fuzz_rules. */
#include "expr_impl.h"
#include "ruleset.h"

#include <assert.h>
#include <stdlib.h>

struct reg_prog {
    reg_insn *code;
    int ncode;
    int nregs;
    int const_base;     /* registers [const_base, +nconsts) hold constants */
    double *consts;
    int nconsts;
    eng_value *strings; /* string constants (reference -1 - i): the expressions', then the
                         * category ids (from category_base) */
    int nstrings;       /* the expressions' string constants; registers [sref_base, +nstrings)
                         * hold their references */
    int sref_base, category_base;
    int *fact_slots;    /* the facts some rule reads: numbers, then booleans, then strings */
    int nnum_facts, nbool_facts, nstr_facts;
    double *weights;      /* per score component */
    int ncategories;
};

/* ---- linking ------------------------------------------------------------------------------ */

typedef struct linker {
    reg_prog *p;
    int cap;
    int const_off, string_off, temp_base;
} linker;

static int emit(linker *L, reg_insn in)
{
    reg_prog *p = L->p;
    if (p->ncode == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 64;
        p->code = xrealloc(p->code, (size_t)L->cap * sizeof *p->code);
    }
    p->code[p->ncode] = in;
    return p->ncode++;
}

/* An RX_* operand of the expression being linked as a register (or, for string operands, a
 * slot >= 0 or string constant -1 - i). Counts (IN_*'s c) and unused operands are RX_SLOT
 * values below any tag and map to themselves. */
static int reloc(const linker *L, int x)
{
    switch (RX_KIND(x)) {
    case RX_CONST:
        return L->p->const_base + L->const_off + RX_INDEX(x);
    case RX_TEMP:
        return L->temp_base + RX_INDEX(x);
    case RX_SCONST:
        return -1 - (L->string_off + RX_INDEX(x));
    case RX_SREF:
        return L->p->sref_base + L->string_off + RX_INDEX(x);
    default:
        return RX_INDEX(x);
    }
}

/* Appends expression `e`'s code; returns the register of its result. */
static int link_expr(linker *L, const expr_prog *e)
{
    reg_prog *p = L->p;
    for (int i = 0; i < e->nreg_consts; i++)
        p->consts[L->const_off + i] = e->reg_consts[i];
    for (int i = 0; i < e->nconsts; i++)
        p->strings[L->string_off + i] = e->consts[i];
    for (int i = 0; i < e->nreg_code; i++) {
        reg_insn in = e->reg_code[i];
        in.d = reloc(L, in.d);
        in.a = reloc(L, in.a);
        in.b = reloc(L, in.b);
        in.c = reloc(L, in.c);
        emit(L, in);
    }
    int root = reloc(L, e->reg_root);
    L->const_off += e->nreg_consts;
    L->string_off += e->nconsts;
    return root;
}

/* A rule step testing the register `root`, with the test folded in when the expression's last
 * instruction (at index >= n0) computed root: `x < k` then REASON becomes REASON_LT. The plain
 * op's _LT, _LE, _GT, _GE, _AND forms follow it in opcodes.def in that order. */
static void emit_rule(linker *L, int n0, int root, reg_op plain, int d, int c)
{
    reg_prog *p = L->p;
    if (p->ncode > n0 && p->code[p->ncode - 1].d == root) {
        reg_insn last = p->code[p->ncode - 1];
        int form = last.op == R_LT ? 1 : last.op == R_LE ? 2 : last.op == R_GT ? 3
                 : last.op == R_GE ? 4 : last.op == R_AND ? 5 : 0;
        if (form > 0) {
            p->ncode--;
            emit(L, (reg_insn){(reg_op)(plain + form), d, last.a, last.b, c});
            return;
        }
    }
    emit(L, (reg_insn){plain, d, root, 0, c});
}

_Static_assert(R_REASON_AND - R_REASON == 5 && R_FLAG_AND - R_FLAG == 5 &&
                   R_CATEGORY_AND - R_CATEGORY == 5 && R_REASON_LT == R_REASON + 1 &&
                   R_FLAG_GE == R_FLAG + 4 && R_CATEGORY_LE == R_CATEGORY + 2,
               "the fused rule steps follow their plain op as LT, LE, GT, GE, AND");

/* Does expression e read slot `slot`? */
static bool reads_slot(const expr_prog *e, int slot)
{
    const expr_ref *refs;
    for (int i = 0, n = expr_refs(e, &refs); i < n; i++)
        if (!refs[i].is_const && refs[i].slot == slot)
            return true;
    return false;
}

reg_prog *regvm_link(const eng_rules *r)
{
    int nconsts = 0, nstrings = 0, ntemps = 1;
    bool reads_category = false;
    for (int k = 0; k < ENG_NKINDS; k++)
        for (int i = 0; i < r->count[k]; i++) {
            const expr_prog *e = r->rules[k][i].prog;
            if (e == NULL) /* the catch-all category */
                continue;
            if (e->reg_code == NULL)
                return NULL;
            nconsts += e->nreg_consts;
            nstrings += e->nconsts;
            if (e->nreg_code > ntemps)
                ntemps = e->nreg_code;
            reads_category = reads_category || reads_slot(e, r->category_slot);
        }

    reg_prog *p = xcalloc(1, sizeof *p);
    p->const_base = r->nslots;
    p->nconsts = nconsts;
    p->sref_base = r->nslots + nconsts;
    p->nregs = r->nslots + nconsts + nstrings + ntemps;
    p->consts = xcalloc((size_t)nconsts, sizeof *p->consts);
    p->nstrings = nstrings;
    int ncats = r->count[ENG_KIND_CATEGORY];
    p->strings = xcalloc((size_t)(nstrings + ncats), sizeof *p->strings);
    p->category_base = nstrings;
    for (int i = 0; i < ncats; i++)
        p->strings[nstrings + i] = r->rules[ENG_KIND_CATEGORY][i].id_value;
    p->fact_slots = xcalloc((size_t)r->nused_facts, sizeof *p->fact_slots);
    int nf = 0;
    static const eng_type order[] = {ENG_NUM, ENG_BOOL, ENG_STR};
    int *counts[] = {&p->nnum_facts, &p->nbool_facts, &p->nstr_facts};
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < r->nused_facts; i++)
            if (eng_schema_type(r->schema, r->used_facts[i]) == order[t]) {
                p->fact_slots[nf++] = r->used_facts[i];
                (*counts[t])++;
            }
    int nscore = r->count[ENG_KIND_SCORE];
    p->weights = xcalloc((size_t)nscore, sizeof *p->weights);
    p->ncategories = ncats;

    linker L = {.p = p, .temp_base = p->sref_base + nstrings};
    for (int i = 0; i < r->count[ENG_KIND_DERIVED]; i++) {
        int n0 = p->ncode, root = link_expr(&L, r->rules[ENG_KIND_DERIVED][i].prog);
        int slot = r->derived_base + i;
        if (p->ncode > n0 && p->code[p->ncode - 1].d == root)
            p->code[p->ncode - 1].d = slot; /* the last instruction writes the slot itself */
        else
            emit(&L, (reg_insn){R_MOV, slot, root, 0, 0});
    }
    for (int i = 0; i < r->count[ENG_KIND_REASON]; i++) {
        int n0 = p->ncode, root = link_expr(&L, r->rules[ENG_KIND_REASON][i].prog);
        emit_rule(&L, n0, root, R_REASON, r->reason_base + i, i);
    }
    emit(&L, (reg_insn){R_COUNT, r->reasons_slot, 0, 0, 0});
    for (int i = 0; i < r->count[ENG_KIND_FLAG]; i++) {
        int n0 = p->ncode, root = link_expr(&L, r->rules[ENG_KIND_FLAG][i].prog);
        emit_rule(&L, n0, root, R_FLAG, r->flag_base + i, i);
    }
    int *jumps = xcalloc((size_t)ncats, sizeof *jumps);
    for (int i = 0; i < ncats - 1; i++) {
        int n0 = p->ncode, root = link_expr(&L, r->rules[ENG_KIND_CATEGORY][i].prog);
        emit_rule(&L, n0, root, R_CATEGORY, i, 0);
        jumps[i] = p->ncode - 1;
    }
    for (int i = 0; i < ncats - 1; i++)
        p->code[jumps[i]].c = p->ncode;
    free(jumps);
    if (reads_category)
        emit(&L, (reg_insn){R_CATEGORY_ID, r->category_slot, 0, 0, 0});
    for (int i = 0; i < nscore; i++) {
        const rule *sc = &r->rules[ENG_KIND_SCORE][i];
        p->weights[i] = sc->weight;
        int root = link_expr(&L, sc->prog);
        emit(&L, (reg_insn){R_SCORE, 0, root, i, 0});
    }
    emit(&L, (reg_insn){R_END, 0, 0, 0, 0});
    assert(L.const_off == nconsts && L.string_off == nstrings);
    return p;
}

void regvm_free(reg_prog *p)
{
    if (p == NULL)
        return;
    free(p->code);
    free(p->consts);
    free(p->strings);
    free(p->fact_slots);
    free(p->weights);
    free(p);
}

int regvm_nregs(const reg_prog *p)
{
    return p->nregs;
}

void regvm_init(const reg_prog *p, double *regs)
{
    for (int i = 0; i < p->nregs; i++)
        regs[i] = NAN;
    for (int i = 0; i < p->nconsts; i++)
        regs[p->const_base + i] = p->consts[i];
    for (int i = 0; i < p->nstrings; i++)
        regs[p->sref_base + i] = -1 - i;
}

/* ---- running ------------------------------------------------------------------------------ */

/* A boolean result of the value operations as a register: 0, 1, or 0.5 for null. */
static inline double tri(eng_value v)
{
    return v.type == ENG_BOOL ? (double)v.as.b : 0.5;
}

/* A comparison of two numbers: null (0.5) if either is null (NaN). */
#define CMP(a, b, expr) (isunordered((a), (b)) ? 0.5 : (double)(expr))

/* Computed-goto dispatch where the compiler has it (GCC, clang: one indirect jump per
 * instruction, each predicted on its own), else a switch. */
#if defined(__GNUC__) && !defined(HYOKA_REGVM_SWITCH)
#define REGVM_GOTO 1
#else
#define REGVM_GOTO 0
#endif

void regvm_run(const reg_prog *p, double *R, eng_value *slots, const eng_value *facts,
               eng_result *out)
{
    /* the facts into registers, one loop per type (no type switch per fact) */
    const int *fs = p->fact_slots;
    for (int i = 0, n = p->nnum_facts; i < n; i++, fs++) {
        /* branch-free: the number is read whatever the type and kept only when it is one */
        const eng_value *f = &facts[*fs];
        double v = f->as.num;
        R[*fs] = ((f->type == ENG_NUM) & (fabs(v) < INFINITY)) ? v : NAN;
    }
    for (int i = 0, n = p->nbool_facts; i < n; i++, fs++) {
        const eng_value *f = &facts[*fs];
        R[*fs] = f->type == ENG_BOOL ? (double)f->as.b : 0.5;
    }
    for (int i = 0, n = p->nstr_facts; i < n; i++, fs++) { /* the register: a reference */
        slots[*fs] = facts[*fs];
        R[*fs] = facts[*fs].type == ENG_STR ? (double)*fs : NAN;
    }

    uint64_t reasons = 0, flags = 0;
    int nmatched = 0, category = p->ncategories - 1; /* the catch-all unless one matches */
    double sum = 0, weights = 0;
    const double *const w = p->weights;
    const eng_value *const strings = p->strings;
    const reg_insn *const code = p->code;
    const reg_insn *in = code;
/* The string a register refers to (not null: NaN is checked first). */
#define SVAL(r) ((r) >= 0 ? slots[(int)(r)] : strings[-1 - (int)(r)])

#if REGVM_GOTO
    static const void *const labels[R__COUNT] = {
#define ROP(name, operands) &&L_##name,
#include "opcodes.def"
#undef ROP
    };
#define CASE(name) L_##name:
#define NEXT() goto *labels[(++in)->op]
    goto *labels[in->op];
#else
#define CASE(name) case R_##name:
#define NEXT()                                                                                     \
    do {                                                                                           \
        in++;                                                                                      \
        goto dispatch;                                                                             \
    } while (0)
dispatch:
    switch (in->op) {
#endif
    CASE(MOV) R[in->d] = R[in->a];
    NEXT();
    CASE(NEG) R[in->d] = -R[in->a];
    NEXT();
    CASE(NOT) R[in->d] = 1.0 - R[in->a];
    NEXT();
    CASE(ADD) R[in->d] = finite_or_null(R[in->a] + R[in->b]);
    NEXT();
    CASE(SUB) R[in->d] = finite_or_null(R[in->a] - R[in->b]);
    NEXT();
    CASE(MUL) R[in->d] = finite_or_null(R[in->a] * R[in->b]);
    NEXT();
    CASE(DIV) R[in->d] = finite_or_null(R[in->a] / R[in->b]); /* x/0 is inf or NaN: null */
    NEXT();
    CASE(LT)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = CMP(a, b, a < b);
    }
    NEXT();
    CASE(LE)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = CMP(a, b, a <= b);
    }
    NEXT();
    CASE(GT)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = CMP(a, b, a > b);
    }
    NEXT();
    CASE(GE)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = CMP(a, b, a >= b);
    }
    NEXT();
    CASE(EQ_N)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = CMP(a, b, a == b);
    }
    NEXT();
    CASE(NE_N)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = CMP(a, b, a != b);
    }
    NEXT();
    CASE(EQ_B)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = a == 0.5 || b == 0.5 ? 0.5 : (double)(a == b);
    }
    NEXT();
    CASE(NE_B)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = a == 0.5 || b == 0.5 ? 0.5 : (double)(a != b);
    }
    NEXT();
    CASE(EQ_S)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = isnan(a) || isnan(b) ? 0.5 : a == b || val_same(SVAL(a), SVAL(b));
    }
    NEXT();
    CASE(NE_S)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = isnan(a) || isnan(b) ? 0.5 : !(a == b || val_same(SVAL(a), SVAL(b)));
    }
    NEXT();
    CASE(AND)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = a < b ? a : b;
    }
    NEXT();
    CASE(OR)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = a > b ? a : b;
    }
    NEXT();
    CASE(SEL)
    {
        double c = R[in->a];
        R[in->d] = c == 1.0 ? R[in->b] : c == 0.0 ? R[in->c] : NAN;
    }
    NEXT();
    CASE(SEL_B)
    {
        double c = R[in->a];
        R[in->d] = c == 1.0 ? R[in->b] : c == 0.0 ? R[in->c] : 0.5;
    }
    NEXT();
    CASE(IN_N)
    {
        double x = R[in->a], v = isnan(x) ? 0.5 : 0.0;
        for (int i = 0; i < in->c; i++)
            if (R[in->b + i] == x)
                v = 1.0;
        R[in->d] = v;
    }
    NEXT();
    CASE(IN_S)
    {
        double x = R[in->a];
        R[in->d] = isnan(x) ? 0.5 : tri(val_in(SVAL(x), &strings[-1 - in->b], in->c));
    }
    NEXT();
    /* the functions of functions.h, each by its own implementation */
#define X(id, name, min, max, arity, kind, dflt, decimals, lazy, impl)                             \
    CASE(F_##id) R[in->d] = impl(R[in->a], R[in->b], R[in->c], NAN);                              \
    NEXT();                                                                                        \
    CASE(F_##id##_B) R[in->d] = impl(R[in->a], R[in->b], R[in->c], 0.5);                          \
    NEXT();
    EXPR_FUNCTIONS(X)
#undef X
    /* A rule step: `m` is whether the rule matched. */
#define REASON_STEP(m)                                                                             \
    {                                                                                              \
        bool m_ = (m);                                                                             \
        reasons |= (uint64_t)m_ << in->c;                                                          \
        nmatched += m_;                                                                            \
        R[in->d] = m_;                                                                             \
    }                                                                                              \
    NEXT();
#define FLAG_STEP(m)                                                                               \
    {                                                                                              \
        bool m_ = (m);                                                                             \
        flags |= (uint64_t)m_ << in->c;                                                            \
        R[in->d] = m_;                                                                             \
    }                                                                                              \
    NEXT();
#define CATEGORY_STEP(m)                                                                           \
    if (m) {                                                                                       \
        category = in->d;                                                                          \
        in = code + in->c - 1; /* NEXT() steps onto the target */                                  \
    }                                                                                              \
    NEXT();
    /* a and b true: both are 1 (booleans are 0, 0.5 or 1) */
#define BOTH(a, b) (R[a] + R[b] == 2.0)
    CASE(REASON) REASON_STEP(R[in->a] == 1.0)
    CASE(REASON_LT) REASON_STEP(R[in->a] < R[in->b])
    CASE(REASON_LE) REASON_STEP(R[in->a] <= R[in->b])
    CASE(REASON_GT) REASON_STEP(R[in->a] > R[in->b])
    CASE(REASON_GE) REASON_STEP(R[in->a] >= R[in->b])
    CASE(REASON_AND) REASON_STEP(BOTH(in->a, in->b))
    CASE(COUNT) R[in->d] = nmatched;
    NEXT();
    CASE(FLAG) FLAG_STEP(R[in->a] == 1.0)
    CASE(FLAG_LT) FLAG_STEP(R[in->a] < R[in->b])
    CASE(FLAG_LE) FLAG_STEP(R[in->a] <= R[in->b])
    CASE(FLAG_GT) FLAG_STEP(R[in->a] > R[in->b])
    CASE(FLAG_GE) FLAG_STEP(R[in->a] >= R[in->b])
    CASE(FLAG_AND) FLAG_STEP(BOTH(in->a, in->b))
    CASE(CATEGORY) CATEGORY_STEP(R[in->a] == 1.0)
    CASE(CATEGORY_LT) CATEGORY_STEP(R[in->a] < R[in->b])
    CASE(CATEGORY_LE) CATEGORY_STEP(R[in->a] <= R[in->b])
    CASE(CATEGORY_GT) CATEGORY_STEP(R[in->a] > R[in->b])
    CASE(CATEGORY_GE) CATEGORY_STEP(R[in->a] >= R[in->b])
    CASE(CATEGORY_AND) CATEGORY_STEP(BOTH(in->a, in->b))
#undef REASON_STEP
#undef FLAG_STEP
#undef CATEGORY_STEP
#undef BOTH
    CASE(CATEGORY_ID) R[in->d] = -1 - (p->category_base + category);
    NEXT();
    CASE(SCORE)
    {
        double x = R[in->a];
        if (!isnan(x)) {
            x = x < 0 ? 0 : x > 1 ? 1 : x;
            sum += w[in->b] * x;
            weights += w[in->b];
        }
    }
    NEXT();
    CASE(END) goto done;
#if !REGVM_GOTO
    case R__COUNT:
    default:
        assert(0 && "bad register opcode");
        goto done;
    }
#endif
#undef CASE
#undef NEXT
#undef SVAL
done:
    out->category = category;
    out->primary_reason = reasons ? __builtin_ctzll(reasons) : -1; /* the first in file order */
    out->reasons = reasons;
    out->flags = flags;
    out->has_score = weights > 0;
    out->score = weights > 0 ? round_half_away(100.0 * sum / weights, 1) : 0.0;
}
