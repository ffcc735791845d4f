/* regvm_loop.h - the register VM's dispatch loop, included twice by regvm.c: with REGVM_TRACE 0
 * it defines regvm_run (results only), with REGVM_TRACE 1 regvm_trace, which after each rule
 * step calls regvm_step to record it for an explanation. One source, so an explanation shows
 * what the evaluation computed, by construction; the plain copy has no trace branch at all. */
#if REGVM_TRACE
void regvm_trace(const reg_prog *p, double *R, eng_value *slots, const eng_value *facts,
                 eng_result *out, regvm_tracer *T)
#else
void regvm_run(const reg_prog *p, double *R, eng_value *slots, const eng_value *facts,
               eng_result *out)
#endif
{
#if !REGVM_TRACE
    (void)slots; /* string facts are read from `facts`; only an explanation needs the slots */
#endif
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
#if REGVM_TRACE
    for (int i = 0, n = p->nstr_facts; i < n; i++)
        slots[fs[i]] = facts[fs[i]]; /* what the explanation shows */
#endif
    if (p->nstr_facts > 0) /* the registers: references */
        str_facts(p, R, facts, fs);

    uint64_t reasons = 0, flags = 0;
    int nmatched = 0, category = p->ncategories - 1; /* the catch-all unless one matches */
    double sum = 0, weights = 0;
    const double *const w = p->weights;
    const reg_insn *const code = p->code;
    const reg_insn *in = code;
/* after each instruction: tracing, a rule step ending there is recorded (from the registers) */
#if REGVM_TRACE
#define STEP()                                                                                     \
    do {                                                                                           \
        if (p->step_kind[in - code] >= 0)                                                          \
            regvm_step(T, p, R, slots, in);                                                        \
    } while (0)
#else
#define STEP() ((void)0)
#endif
#define NEXT()                                                                                     \
    do {                                                                                           \
        STEP();                                                                                    \
        NEXT_RAW();                                                                                \
    } while (0)
#if REGVM_GOTO
    static const void *const labels[R__COUNT] = {
#define ROP(name, operands) &&L_##name,
#include "opcodes.def"
#undef ROP
    };
#define CASE(name) L_##name:
#define NEXT_RAW() goto *labels[(++in)->op]
    goto *labels[in->op];
#else
#define CASE(name) case R_##name:
#define NEXT_RAW()                                                                                 \
    do {                                                                                           \
        in++;                                                                                      \
        goto dispatch;                                                                             \
    } while (0)
dispatch:
    switch (in->op) {
#endif
    CASE(MOV) R[in->d] = R[in->a];
    NEXT();
    CASE(NULL_B) R[in->d] = 0.5;
    NEXT();
    CASE(LOAD_AS)
    {
        /* b: the type wanted, | LOAD_AS_OTHER to load a value of another type (not null) as one
         * equal to nothing of that type but itself: a number infinity (never a fact or a result),
         * a boolean 2, a string the fact's slot (its bytes then compared: val_same is false for
         * two types) */
        const eng_value *f = &facts[in->a];
        eng_type t = (eng_type)(in->b & ~LOAD_AS_OTHER);
        double v = t == ENG_BOOL ? 0.5 : NAN;
        if (f->type == t)
            v = t == ENG_NUM    ? finite_or_null(f->as.num)
              : t == ENG_BOOL ? (double)f->as.b
                              : intern_find(p, f, (double)in->a);
        else if ((in->b & LOAD_AS_OTHER) && f->type != ENG_NULL &&
                 !(f->type == ENG_NUM && !isfinite(f->as.num)))
            v = t == ENG_NUM ? INFINITY : t == ENG_BOOL ? 2.0 : (double)in->a;
        R[in->d] = v;
    }
    NEXT();
    CASE(NEG) R[in->d] = op_neg(R[in->a]);
    NEXT();
    CASE(NOT) R[in->d] = op_not(R[in->a]);
    NEXT();
    CASE(ADD) R[in->d] = op_add(R[in->a], R[in->b]);
    NEXT();
    CASE(SUB) R[in->d] = op_sub(R[in->a], R[in->b]);
    NEXT();
    CASE(MUL) R[in->d] = op_mul(R[in->a], R[in->b]);
    NEXT();
    CASE(DIV) R[in->d] = op_div(R[in->a], R[in->b]);
    NEXT();
    CASE(LT) R[in->d] = op_lt(R[in->a], R[in->b]);
    NEXT();
    CASE(LE) R[in->d] = op_le(R[in->a], R[in->b]);
    NEXT();
    CASE(GT) R[in->d] = op_gt(R[in->a], R[in->b]);
    NEXT();
    CASE(GE) R[in->d] = op_ge(R[in->a], R[in->b]);
    NEXT();
    CASE(EQ_N) R[in->d] = op_eq_n(R[in->a], R[in->b]);
    NEXT();
    CASE(NE_N) R[in->d] = op_ne_n(R[in->a], R[in->b]);
    NEXT();
    CASE(EQ_B) R[in->d] = op_eq_b(R[in->a], R[in->b]);
    NEXT();
    CASE(NE_B) R[in->d] = op_ne_b(R[in->a], R[in->b]);
    NEXT();
    CASE(EQ_S)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = isnan(a) || isnan(b) ? 0.5 : same_text(facts, a, b);
    }
    NEXT();
    CASE(NE_S)
    {
        double a = R[in->a], b = R[in->b];
        R[in->d] = isnan(a) || isnan(b) ? 0.5 : !same_text(facts, a, b);
    }
    NEXT();
    CASE(AND) R[in->d] = op_and(R[in->a], R[in->b]);
    NEXT();
    CASE(OR) R[in->d] = op_or(R[in->a], R[in->b]);
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
    STEP();                                                                                        \
    if (m) {                                                                                       \
        category = in->d;                                                                          \
        in = code + in->c - 1; /* NEXT_RAW() steps onto the target */                              \
    }                                                                                              \
    NEXT_RAW();
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
    CASE(CATEGORY_ELSE) NEXT(); /* no category matched: the catch-all (a step when tracing) */
    CASE(CATEGORY_ID) R[in->d] = p->category_refs[category];
    NEXT();
    CASE(SCORE) score_add(&sum, &weights, w[in->b], R[in->a]);
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
#undef NEXT_RAW
#undef STEP
done:
    result_finish(out, category, reasons, flags, sum, weights);
}
