/* regvm.c - the engine's only VM, typed and register-based, behind eng_evaluate, eng_explain and
 * expr_eval: links every rule's register code (compile.c) into one straight program for the
 * whole rule set and runs it over one array of doubles; eng_explain runs the same dispatch loop
 * compiled with tracing (regvm_loop.h), which records each rule step from the registers. One
 * expression linked alone (regvm_link_expr) is what expr_eval runs, and what eval.c's
 * rule-by-rule loop (eng_ctx.per_rule) runs for each rule: the reference tests/engine/test_regvm.c
 * and tests/fuzz/fuzz_rules compare the rule set's program with, step by step.
 *
 * Types were settled by the compiler, so a number is a double (NaN = null), a boolean a double
 * 0 / 1 / 0.5 (null), a string an interned reference (opcodes.def; a string fact with a symbol,
 * eng_symtab, finds its reference through the context's symbol cache: str_facts, with no text
 * hashed or compared once the symbol was seen); constants sit in registers
 * filled once per eng_ctx, and the rule steps (reason matched, flag set, first category, score
 * component) are instructions too, a comparison folded into the step that tests it: one
 * dispatch loop per initiative. Measured with bench/engine/bench_engine and the default rules
 * (Release, gcc 12): 633 instructions per initiative (callgrind, 100,000 initiatives; the stack
 * VM this replaced: 2,155); 80-95 ns CPU (1,000,000). */
#include "expr_impl.h"
#include "ruleset.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct reg_prog {
    reg_insn *code;
    int ncode;
    int nregs;
    int const_base;     /* registers [const_base, +nconsts) hold constants */
    double *consts;
    int nconsts;
    eng_value *strings; /* the interned texts (reference -1 - i): every distinct string
                         * literal of the expressions and every category id */
    int nstrings;
    int *intern;        /* open addressing over strings: index + 1, 0 empty (intern_mask + 1) */
    unsigned intern_mask;
    double *srefs;      /* registers [sref_base, +nsrefs): the reference of each expression's
                         * string constant i (its consts[i]; NaN where that is no string) */
    int nsrefs, sref_base;
    double *category_refs; /* per category: the reference of its id (`category`) */
    int *fact_slots;    /* the facts some rule reads: numbers, then booleans, then strings */
    int nnum_facts, nbool_facts, nstr_facts;
    int nsymcache;      /* entries of the symbol cache after the registers, see str_fact */
    double *weights;      /* per score component */
    int ncategories;
    /* for regvm_trace, per instruction: the kind of the rule step that ends there (-1: none),
     * the rule's index, and where its expression's code starts */
    signed char *step_kind;
    int *step_index, *step_start;
    eng_type *slot_type; /* per slot: how a register is read back as a value */
    int nslots, temp_base;
    int root; /* one expression alone (regvm_link_expr): the register of its result */
};

/* ---- interned strings ------------------------------------------------------------------- */

/* A cheap hash of a text: its length and first and last bytes (texts that collide are told
 * apart by the probe's compare; a rule set has a few dozen literals at most). */
static inline unsigned text_hash(const eng_value *v)
{
    size_t n = v->as.str.len;
    const unsigned char *s = (const unsigned char *)v->as.str.ptr;
    return n == 0 ? 0u : (unsigned)n * 2654435761u ^ (unsigned)s[0] * 40503u ^ (unsigned)s[n - 1];
}

/* The reference of string v: -1 - i when it is interned text i, else `other`. Does not
 * allocate: the plain evaluation calls it for every string fact. */
static inline double intern_find(const reg_prog *p, const eng_value *v, double other)
{
    for (unsigned h = text_hash(v) & p->intern_mask;; h = (h + 1) & p->intern_mask) {
        int i = p->intern[h] - 1;
        if (i < 0)
            return other;
        const eng_value *t = &p->strings[i];
        if (t->as.str.len == v->as.str.len &&
            (v->as.str.len == 0 || memcmp(t->as.str.ptr, v->as.str.ptr, v->as.str.len) == 0))
            return -1 - i;
    }
}

/* The symbol cache (string facts with an eng_symtab id, eng_value.sym): nsymcache entries (a
 * power of 2; 1 for one expression alone) of two doubles after the registers, counted by
 * regvm_nregs() so that every register file (an eng_ctx's, expr_eval's scratch) has its own:
 * the key, the first 8 bytes of a fact holding it (its type and sym, as bits), and the fact's
 * register when its text is one of the program's (-1 - i), else +infinity. Direct-mapped by the
 * id's low bits; an empty entry's key is all ones (no fact's). Ids are never reused in a process
 * (symtab.c), so an entry stays true once filled. */
#define SYMCACHE_ENTRIES 256
#define SYMCACHE_EMPTY UINT64_MAX

static inline uint64_t sym_key(const eng_value *f)
{
    _Static_assert(offsetof(eng_value, sym) + sizeof(uint32_t) <= 8, "type and sym in 8 bytes");
    uint64_t k = 0;
    memcpy(&k, f, offsetof(eng_value, sym) + sizeof(uint32_t));
    return k;
}

/* str_facts from the string fact at `s` on (to `end`): a null fact is NaN, a string without a
 * symbol is looked up by its text (intern_find), a symbol not in the cache is looked up once and
 * cached, a symbol in the cache is read from it. */
static __attribute__((noinline)) void str_facts_from(const reg_prog *p, double *R,
                                                     const eng_value *facts, const int *s,
                                                     const int *end)
{
    double *const cache = R + p->nregs;
    for (; s < end; s++) {
        const eng_value *f = &facts[*s];
        double r = NAN;
        if (f->type == ENG_STR && f->sym == 0) {
            r = intern_find(p, f, (double)*s);
        } else if (f->type == ENG_STR) {
            double *e = cache + 2 * (size_t)(f->sym & (uint32_t)(p->nsymcache - 1));
            uint64_t k, key = sym_key(f);
            memcpy(&k, &e[0], sizeof k);
            if (k != key) {
                memcpy(&e[0], &key, sizeof key);
                e[1] = intern_find(p, f, INFINITY);
            }
            r = e[1] < (double)*s ? e[1] : (double)*s;
        }
        R[*s] = r;
    }
}

/* The registers of the string facts (fs: their slots, p->nstr_facts of them): the reference of
 * the fact's text when it is one of the program's (-1 - i), else the fact's slot (two such facts
 * compare by bytes, same_text); NaN for null. Inlined into the dispatch loop's function, where it
 * calls nothing while every fact is null or a symbol in the cache (an index and one compare: no
 * registers to save there), and hands the rest to str_facts_from at the first that is not. Does
 * not allocate. */
static inline __attribute__((always_inline)) void str_facts(const reg_prog *p, double *R,
                                                            const eng_value *facts, const int *fs)
{
    const double *const cache = R + p->nregs;
    const size_t mask = (size_t)p->nsymcache - 1;
    for (const int *s = fs, *end = fs + p->nstr_facts; s < end; s++) {
        const eng_value *f = &facts[*s];
        const double *e = cache + 2 * (f->sym & mask);
        uint64_t k;
        memcpy(&k, &e[0], sizeof k);
        if (k != sym_key(f)) { /* (only a string with a symbol is ever a key) */
            if (f->type != ENG_STR) {
                R[*s] = NAN;
                continue;
            }
            str_facts_from(p, R, facts, s, end);
            return;
        }
        R[*s] = e[1] < (double)*s ? e[1] : (double)*s;
    }
}

/* Interns v (a string the rule set owns, so the pointer stays valid); returns its reference. The
 * table was sized for every string (regvm_link), so it never fills. */
static double intern(reg_prog *p, eng_value v)
{
    double ref = intern_find(p, &v, 0);
    if (ref < 0)
        return ref;
    unsigned h = text_hash(&v) & p->intern_mask;
    while (p->intern[h] != 0)
        h = (h + 1) & p->intern_mask;
    p->strings[p->nstrings] = v;
    p->intern[h] = ++p->nstrings;
    return -p->nstrings;
}

/* ---- linking ------------------------------------------------------------------------------ */

typedef struct linker {
    reg_prog *p;
    int cap, stepcap;
    int const_off, string_off, temp_base;
} linker;

/* Notes the step metadata of every instruction emitted since the last call: the last of them
 * ends rule i of kind k (-1: none), whose code starts at `start`. */
static void step(linker *L, int k, int i, int start)
{
    reg_prog *p = L->p;
    if (L->stepcap < L->cap) {
        p->step_kind = xrealloc(p->step_kind, (size_t)L->cap * sizeof *p->step_kind);
        p->step_index = xrealloc(p->step_index, (size_t)L->cap * sizeof *p->step_index);
        p->step_start = xrealloc(p->step_start, (size_t)L->cap * sizeof *p->step_start);
        for (int j = L->stepcap; j < L->cap; j++)
            p->step_kind[j] = -1;
        L->stepcap = L->cap;
    }
    for (int j = start; j < p->ncode; j++) /* (a fused step replaced an instruction noted -1) */
        p->step_kind[j] = -1;
    if (k >= 0 && p->ncode > 0) {
        p->step_kind[p->ncode - 1] = (signed char)k;
        p->step_index[p->ncode - 1] = i;
        p->step_start[p->ncode - 1] = start;
    }
}

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
    case RX_SREF:
        return L->p->sref_base + L->string_off + RX_INDEX(x);
    default:
        return RX_INDEX(x);
    }
}

/* Appends expression `e`'s code; returns the register of its result. In a rule set (`rules`)
 * a name of unknown type is a derived value of no type, always null: LOAD_AS reads its register
 * (NaN), as a boolean 0.5. */
static int link_expr(linker *L, const expr_prog *e, bool rules)
{
    reg_prog *p = L->p;
    for (int i = 0; i < e->nreg_consts; i++)
        p->consts[L->const_off + i] = e->reg_consts[i];
    for (int i = 0; i < e->nconsts; i++)
        p->srefs[L->string_off + i] = e->consts[i].type == ENG_STR ? intern(p, e->consts[i]) : NAN;
    for (int i = 0; i < e->nreg_code; i++) {
        reg_insn in = e->reg_code[i];
        in.d = reloc(L, in.d);
        in.a = reloc(L, in.a);
        in.b = reloc(L, in.b);
        in.c = reloc(L, in.c);
        if (in.op == R_LOAD_AS && rules)
            in.op = (in.b & ~LOAD_AS_OTHER) == ENG_BOOL ? R_NULL_B : R_MOV;
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
    int ncats = r->count[ENG_KIND_CATEGORY];
    unsigned size = 8;
    while (size < 2u * (unsigned)(nstrings + ncats))
        size *= 2;
    p->intern = xcalloc(size, sizeof *p->intern);
    p->intern_mask = size - 1;
    p->strings = xcalloc((size_t)(nstrings + ncats), sizeof *p->strings);
    p->nsrefs = nstrings;
    p->srefs = xcalloc((size_t)nstrings + 1, sizeof *p->srefs);
    p->category_refs = xcalloc((size_t)ncats, sizeof *p->category_refs);
    for (int i = 0; i < ncats; i++)
        p->category_refs[i] = intern(p, r->rules[ENG_KIND_CATEGORY][i].id_value);
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
    p->nsymcache = p->nstr_facts > 0 ? SYMCACHE_ENTRIES : 1;

    p->nslots = r->nslots;
    p->temp_base = p->sref_base + nstrings;
    p->slot_type = xcalloc((size_t)r->nslots, sizeof *p->slot_type);
    for (int i = 0; i < r->nfacts; i++)
        p->slot_type[i] = eng_schema_type(r->schema, i);
    for (int i = 0; i < r->count[ENG_KIND_DERIVED]; i++)
        p->slot_type[r->derived_base + i] = expr_type(r->rules[ENG_KIND_DERIVED][i].prog);
    p->slot_type[r->reasons_slot] = ENG_NUM;
    for (int i = 0; i < r->count[ENG_KIND_REASON]; i++)
        p->slot_type[r->reason_base + i] = ENG_BOOL;
    for (int i = 0; i < r->count[ENG_KIND_FLAG]; i++)
        p->slot_type[r->flag_base + i] = ENG_BOOL;
    p->slot_type[r->category_slot] = ENG_STR;

    linker L = {.p = p, .temp_base = p->temp_base};
    for (int i = 0; i < r->count[ENG_KIND_DERIVED]; i++) {
        int n0 = p->ncode, root = link_expr(&L, r->rules[ENG_KIND_DERIVED][i].prog, true);
        int slot = r->derived_base + i;
        if (p->ncode > n0 && p->code[p->ncode - 1].d == root)
            p->code[p->ncode - 1].d = slot; /* the last instruction writes the slot itself */
        else
            emit(&L, (reg_insn){R_MOV, slot, root, 0, 0});
        step(&L, ENG_KIND_DERIVED, i, n0);
    }
    for (int i = 0; i < r->count[ENG_KIND_REASON]; i++) {
        int n0 = p->ncode, root = link_expr(&L, r->rules[ENG_KIND_REASON][i].prog, true);
        emit_rule(&L, n0, root, R_REASON, r->reason_base + i, i);
        step(&L, ENG_KIND_REASON, i, n0);
    }
    emit(&L, (reg_insn){R_COUNT, r->reasons_slot, 0, 0, 0});
    for (int i = 0; i < r->count[ENG_KIND_FLAG]; i++) {
        int n0 = p->ncode, root = link_expr(&L, r->rules[ENG_KIND_FLAG][i].prog, true);
        emit_rule(&L, n0, root, R_FLAG, r->flag_base + i, i);
        step(&L, ENG_KIND_FLAG, i, n0);
    }
    int *jumps = xcalloc((size_t)ncats, sizeof *jumps);
    for (int i = 0; i < ncats - 1; i++) {
        int n0 = p->ncode, root = link_expr(&L, r->rules[ENG_KIND_CATEGORY][i].prog, true);
        emit_rule(&L, n0, root, R_CATEGORY, i, 0);
        jumps[i] = p->ncode - 1;
        step(&L, ENG_KIND_CATEGORY, i, n0);
    }
    emit(&L, (reg_insn){R_CATEGORY_ELSE, 0, 0, 0, 0});
    step(&L, ENG_KIND_CATEGORY, ncats - 1, p->ncode - 1);
    for (int i = 0; i < ncats - 1; i++) /* a match jumps past the catch-all */
        p->code[jumps[i]].c = p->ncode;
    free(jumps);
    if (reads_category)
        emit(&L, (reg_insn){R_CATEGORY_ID, r->category_slot, 0, 0, 0});
    for (int i = 0; i < nscore; i++) {
        const rule *sc = &r->rules[ENG_KIND_SCORE][i];
        p->weights[i] = sc->weight;
        int n0 = p->ncode, root = link_expr(&L, sc->prog, true);
        emit(&L, (reg_insn){R_SCORE, 0, root, i, 0});
        step(&L, ENG_KIND_SCORE, i, n0);
    }
    emit(&L, (reg_insn){R_END, 0, 0, 0, 0});
    step(&L, -1, 0, p->ncode - 1);
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
    free(p->intern);
    free(p->srefs);
    free(p->category_refs);
    free(p->fact_slots);
    free(p->weights);
    free(p->step_kind);
    free(p->step_index);
    free(p->step_start);
    free(p->slot_type);
    free(p);
}

int regvm_nregs(const reg_prog *p)
{
    return p->nregs + 2 * p->nsymcache; /* the registers, then the symbol cache */
}

void regvm_init(const reg_prog *p, double *regs)
{
    for (int i = 0; i < p->nregs; i++)
        regs[i] = NAN;
    for (int i = 0; i < p->nconsts; i++)
        regs[p->const_base + i] = p->consts[i];
    for (int i = 0; i < p->nsrefs; i++)
        regs[p->sref_base + i] = p->srefs[i];
    for (int i = 0; i < p->nsymcache; i++) {
        uint64_t empty = SYMCACHE_EMPTY;
        memcpy(&regs[p->nregs + 2 * i], &empty, sizeof empty);
    }
}

/* ---- running ------------------------------------------------------------------------------ */

/* == on two string references a and b (neither null): the same reference, or two facts of texts
 * no literal has (references >= 0, the facts' slots) with the same bytes. */
static inline bool same_text(const eng_value *facts, double a, double b)
{
    return a == b || (a >= 0 && b >= 0 && val_same(facts[(int)a], facts[(int)b]));
}


/* Computed-goto dispatch where the compiler has it (GCC, clang: one indirect jump per
 * instruction, each predicted on its own), else a switch. */
#if defined(__GNUC__) && !defined(HYOKA_REGVM_SWITCH)
#define REGVM_GOTO 1
#else
#define REGVM_GOTO 0
#endif

/* ---- tracing: a rule step as an explanation records it ------------------------------------ */

/* The function (functions.h) an instruction calls, + 1; 0 for other instructions. */
static const unsigned char fn_of_op[R__COUNT] = {
#define X(id, name, min, max, arity, kind, dflt, decimals, lazy, impl)                             \
    [R_F_##id] = FN_##id + 1, [R_F_##id##_B] = FN_##id + 1,
    EXPR_FUNCTIONS(X)
#undef X
};

/* Marks the registers instruction `in` read, given the values it saw: the language's
 * short-circuits (&& || ?:) decide what a value depended on: `a && b` reads b only
 * if a is not false, `a || b` only if a is not true, `c ? x : y` x if c is true, y if false,
 * neither if null. */
static inline __attribute__((always_inline)) void mark_operands(unsigned char *marks,
                                                                 const reg_insn *in, const double *R)
{
    switch (in->op) {
    case R_MOV:
    case R_NULL_B:
    case R_LOAD_AS:
    case R_NEG:
    case R_NOT:
    case R_IN_N:
    case R_REASON:
    case R_FLAG:
    case R_CATEGORY:
    case R_SCORE:
        marks[in->a] = 1;
        break;
    case R_AND:
    case R_REASON_AND:
    case R_FLAG_AND:
    case R_CATEGORY_AND:
        marks[in->a] = 1;
        if (R[in->a] != 0.0)
            marks[in->b] = 1;
        break;
    case R_OR:
        marks[in->a] = 1;
        if (R[in->a] != 1.0)
            marks[in->b] = 1;
        break;
    case R_SEL:
    case R_SEL_B:
        marks[in->a] = 1;
        if (R[in->a] == 1.0)
            marks[in->b] = 1;
        else if (R[in->a] == 0.0)
            marks[in->c] = 1;
        break;
    case R_COUNT:
    case R_CATEGORY_ELSE:
    case R_CATEGORY_ID:
    case R_END:
        break;
    default: {
        int f = fn_of_op[in->op];
        int n = f == 0 ? 2 : expr_functions[f - 1].max_args < 0 ? 2 : expr_functions[f - 1].max_args;
        marks[in->a] = 1;
        if (n > 1)
            marks[in->b] = 1;
        if (n > 2)
            marks[in->c] = 1;
        break;
    }
    }
}

/* Register x of slot type t as a value, into *d, written whole (eng_value_put: explain_step
 * copies it at once). */
static inline void reg_value_to(eng_value *d, const reg_prog *p, const eng_value *slots, double x,
                                eng_type t)
{
    switch (t) {
    case ENG_NUM:
        if (isnan(x))
            eng_put_null(d);
        else
            eng_put_num(d, x);
        return;
    case ENG_BOOL:
        if (x == 0.5)
            eng_put_null(d);
        else
            eng_put_bool(d, x == 1.0);
        return;
    case ENG_STR:
        if (isnan(x))
            eng_put_null(d);
        else
            eng_put_copy(d, x >= 0 ? &slots[(int)x] : &p->strings[-1 - (int)x]);
        return;
    default:
        eng_put_null(d);
        return;
    }
}

/* reg_value_to returned (expr_eval's result). */
static eng_value reg_value(const reg_prog *p, const eng_value *slots, double x, eng_type t)
{
    eng_value v;
    reg_value_to(&v, p, slots, x, t);
    return v;
}

/* The value a rule step's condition had, into *d: a comparison or && folded into the step
 * included. */
static inline void step_condition(eng_value *d, const reg_insn *in, const double *R)
{
    int form = in->op >= R_CATEGORY ? in->op - R_CATEGORY
             : in->op >= R_FLAG     ? in->op - R_FLAG
                                    : in->op - R_REASON;
    double a = R[in->a], b = R[in->b];
    double v = form == 0 ? a
             : form == 1 ? op_lt(a, b)
             : form == 2 ? op_le(a, b)
             : form == 3 ? op_gt(a, b)
             : form == 4 ? op_ge(a, b)
                         : op_and(a, b);
    if (v == 0.5)
        eng_put_null(d);
    else
        eng_put_bool(d, v == 1.0);
}

/* After instruction `in`: if a rule step ends there, records it (explain_step_at). */
static void regvm_step(regvm_tracer *T, const reg_prog *p, const double *R, eng_value *slots,
                       const reg_insn *in)
{
    int pc = (int)(in - p->code), k = p->step_kind[pc];
    if (k < 0)
        return;
    int i = p->step_index[pc];
    const rule *ru = &T->r->rules[k][i];
    eng_value result;
    if (ru->prog == NULL) { /* the catch-all category */
        eng_put_bool(&result, true);
        explain_step_at(T->e, T->r, (eng_kind)k, i, slots, NULL, &result);
        return;
    }
    /* what the step read: backwards over its code, from the registers the step itself read
     * (clearing the marks costs one short memset: cheaper than undoing each mark) */
    unsigned char *marks = T->marks;
    memset(marks, 0, (size_t)p->nregs);
    mark_operands(marks, in, R);
    for (int q = pc - 1, start = p->step_start[pc]; q >= start; q--)
        if (marks[p->code[q].d])
            mark_operands(marks, &p->code[q], R);
    const expr_ref *refs;
    int nrefs = expr_refs(ru->prog, &refs);
    int nfacts = T->r->nfacts;
    for (int j = 0; j < nrefs; j++) {
        int s = refs[j].slot;
        bool read = !refs[j].is_const && marks[s];
        T->reads[j] = read;
        /* (a string fact stays as given: its register may be the reference of equal text) */
        if (read && !(s < nfacts && p->slot_type[s] == ENG_STR))
            reg_value_to(&slots[s], p, slots, R[s], p->slot_type[s]);
    }
    const eng_value *res = &result;
    switch ((eng_kind)k) {
    case ENG_KIND_DERIVED:
        reg_value_to(&slots[in->d], p, slots, R[in->d], p->slot_type[in->d]);
        res = &slots[in->d];
        break;
    case ENG_KIND_SCORE:
        if (isnan(R[in->a]))
            eng_put_null(&result);
        else
            eng_put_num(&result, R[in->a]);
        break;
    default:
        step_condition(&result, in, R);
        break;
    }
    explain_step_at(T->e, T->r, (eng_kind)k, i, slots, T->reads, res);
}

/* The dispatch loop, compiled twice from one source: regvm_run for results, and regvm_trace,
 * which also records each rule step for an explanation (see regvm_loop.h). */
#define REGVM_TRACE 0
#include "regvm_loop.h"
#undef REGVM_TRACE
#define REGVM_TRACE 1
#include "regvm_loop.h"
#undef REGVM_TRACE

/* ---- one expression: expr_eval ------------------------------------------------------------ */

/* Registers: the slots the expression reads [0, nslots), its constants, its string constants'
 * references, its temporaries; the code ends with END. No rule steps, so regvm_run runs it. */
reg_prog *regvm_link_expr(const expr_prog *e)
{
    if (e->reg_code == NULL)
        return NULL;
    int nslots = 0, nfacts[3] = {0, 0, 0};
    static const eng_type order[] = {ENG_NUM, ENG_BOOL, ENG_STR};
    for (int i = 0; i < e->nrefs; i++)
        if (!e->refs[i].is_const && e->refs[i].slot >= nslots)
            nslots = e->refs[i].slot + 1;
    reg_prog *p = xcalloc(1, sizeof *p);
    p->nslots = nslots;
    p->const_base = nslots;
    p->nconsts = e->nreg_consts;
    p->sref_base = nslots + e->nreg_consts;
    p->temp_base = p->sref_base + e->nconsts;
    p->nregs = p->temp_base + (e->nreg_code > 0 ? e->nreg_code : 1);
    p->consts = xcalloc((size_t)e->nreg_consts + 1, sizeof *p->consts);
    unsigned size = 8;
    while (size < 2u * (unsigned)e->nconsts)
        size *= 2;
    p->intern = xcalloc(size, sizeof *p->intern);
    p->intern_mask = size - 1;
    p->strings = xcalloc((size_t)e->nconsts + 1, sizeof *p->strings);
    p->nsrefs = e->nconsts;
    p->srefs = xcalloc((size_t)e->nconsts + 1, sizeof *p->srefs);
    /* the facts of known type, by type, as a rule set loads them; a name of unknown type is read
     * by its LOAD_AS */
    p->fact_slots = xcalloc((size_t)e->nrefs + 1, sizeof *p->fact_slots);
    int nf = 0;
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < e->nrefs; i++)
            if (!e->refs[i].is_const && e->refs[i].type == order[t]) {
                p->fact_slots[nf++] = e->refs[i].slot;
                nfacts[t]++;
            }
    p->nnum_facts = nfacts[0];
    p->nbool_facts = nfacts[1];
    p->nstr_facts = nfacts[2];
    p->nsymcache = 1; /* expr_eval fills the registers anew for every evaluation */
    linker L = {.p = p, .temp_base = p->temp_base};
    p->root = link_expr(&L, e, false);
    emit(&L, (reg_insn){R_END, 0, 0, 0, 0});
    return p;
}

int expr_scratch_size(const expr_prog *e)
{
    int n = 1;
    if (e->run != NULL && regvm_nregs(e->run) > n)
        n = regvm_nregs(e->run);
    for (int t = 0; t <= ENG_STR; t++)
        if (e->run_as[t] != NULL && regvm_nregs(e->run_as[t]) > n)
            n = regvm_nregs(e->run_as[t]);
    return n + (n + (int)sizeof(double) - 1) / (int)sizeof(double); /* + the trace's marks */
}

/* The program expr_eval runs over `slots`, and the type of its result (see expr_prog.run_as). */
static const reg_prog *pick(const expr_prog *e, const eng_value *slots, eng_type *type)
{
    *type = e->type;
    if (e->type != ENG_NULL)
        return e->run;
    for (int j = 0; j < e->nrefs; j++) {
        const expr_ref *r = &e->refs[j];
        if (r->is_const || r->type != ENG_NULL)
            continue;
        eng_value v = slots[r->slot];
        if (v.type == ENG_NUM && !isfinite(v.as.num))
            continue; /* null */
        if (v.type == ENG_NUM || v.type == ENG_BOOL || v.type == ENG_STR) {
            *type = v.type;
            return e->run_as[v.type];
        }
    }
    /* every such name null, or none (an expression always null): the value is null, from the
     * program that reads what the expression reads */
    return e->run_as[ENG_NUM] != NULL ? e->run_as[ENG_NUM] : e->run;
}

eng_value expr_eval(const expr_prog *e, const eng_value *slots, double *scratch)
{
    eng_type t;
    const reg_prog *p = pick(e, slots, &t);
    if (p == NULL)
        return eng_null();
    eng_result out;
    regvm_init(p, scratch);
    regvm_run(p, scratch, NULL, slots, &out);
    return reg_value(p, slots, scratch[p->root], t);
}

eng_value expr_eval_traced(const expr_prog *e, const eng_value *slots, double *scratch,
                           bool *reads)
{
    eng_type t;
    const reg_prog *p = pick(e, slots, &t);
    eng_value v = expr_eval(e, slots, scratch);
    if (p == NULL)
        return v;
    /* what the result read: backwards over the code, from the result's register (the last
     * instruction is END) */
    unsigned char *marks = (unsigned char *)(scratch + p->nregs);
    memset(marks, 0, (size_t)p->nregs);
    marks[p->root] = 1;
    for (int q = p->ncode - 2; q >= 0; q--)
        if (marks[p->code[q].d])
            mark_operands(marks, &p->code[q], scratch);
    for (int j = 0; j < e->nrefs; j++)
        if (!e->refs[j].is_const && marks[e->refs[j].slot])
            reads[j] = true;
    return v;
}
