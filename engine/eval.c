/* eval.c - evaluating one initiative against a compiled rule set, in the fixed order
 * derived -> reasons -> flags -> categories -> score. eng_evaluate runs the rule set's register
 * program (regvm.c), and eng_explain the same program traced. With eng_ctx.per_rule (the tests'
 * reference) the loop below runs instead, rule by rule, each expression on the register VM as a
 * program of its own (expr_eval: no rule steps fused, no registers shared), and when asked
 * records the explanation. Neither allocates while evaluating. */
#include "ruleset.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

eng_ctx *eng_ctx_new(const eng_rules *r)
{
    eng_ctx *c = xcalloc(1, sizeof *c);
    c->rules = r;
    c->slots = xcalloc((size_t)r->nslots, sizeof *c->slots);
    int maxrefs = 1, scratch = 1;
    for (int k = 0; k < ENG_NKINDS; k++)
        for (int i = 0; i < r->count[k]; i++) {
            const expr_prog *p = r->rules[k][i].prog;
            const expr_ref *refs;
            int n = p != NULL ? expr_refs(p, &refs) : 0;
            maxrefs = n > maxrefs ? n : maxrefs;
            n = p != NULL ? expr_scratch_size(p) : 0;
            scratch = n > scratch ? n : scratch;
        }
    c->scratch = xcalloc((size_t)scratch, sizeof *c->scratch);
    c->reads = xcalloc((size_t)maxrefs, sizeof *c->reads);
    c->nreads = maxrefs;
    if (r->reg != NULL) {
        c->regs = xcalloc((size_t)regvm_nregs(r->reg), sizeof *c->regs);
        regvm_init(r->reg, c->regs);
        c->marks = xcalloc((size_t)regvm_nregs(r->reg), sizeof *c->marks);
    }
    return c;
}

void eng_ctx_free(eng_ctx *c)
{
    if (c == NULL)
        return;
    free(c->slots);
    free(c->scratch);
    free(c->regs);
    free(c->reads);
    free(c->marks);
    free(c);
}

static bool matches(eng_value v)
{
    return v.type == ENG_BOOL && v.as.b;
}

/* Runs one rule's program; when explaining, also notes in c->reads which names it read. */
static inline __attribute__((always_inline)) eng_value run_rule(eng_ctx *c, const expr_prog *p,
                                                                const eng_explanation *e)
{
    if (e == NULL)
        return expr_eval(p, c->slots, c->scratch);
    memset(c->reads, 0, (size_t)c->nreads * sizeof *c->reads);
    return expr_eval_traced(p, c->slots, c->scratch, c->reads);
}

/* The evaluation loop. Inlined into eng_evaluate with e == NULL (every `if (e)` folds away) and
 * into eng_explain with a real explanation: one implementation, two specialised copies. */
static inline __attribute__((always_inline)) void run(eng_ctx *c, const eng_value *facts,
                                                      eng_result *out, eng_explanation *e)
{
    const eng_rules *r = c->rules;
    eng_value *slots = c->slots;

#ifndef NDEBUG
    for (int i = 0; i < r->nfacts; i++)
        assert(facts[i].type == ENG_NULL || facts[i].type == eng_schema_type(r->schema, i));
#endif
    /* only the facts some rule reads: the default rules read 7 of 17 */
    const int *used = r->used_facts;
    for (int i = 0, n = r->nused_facts; i < n; i++)
        slots[used[i]] = facts[used[i]];

    /* counts and slot ranges in locals: stores into slots could alias *r for the compiler */
    const int nderived = r->count[ENG_KIND_DERIVED], nreasons = r->count[ENG_KIND_REASON],
              nflags = r->count[ENG_KIND_FLAG], ncats = r->count[ENG_KIND_CATEGORY],
              nscore = r->count[ENG_KIND_SCORE];
    eng_value *const derived_slots = slots + r->derived_base;
    eng_value *const reason_slots = slots + r->reason_base;
    eng_value *const flag_slots = slots + r->flag_base;

    const rule *d = r->rules[ENG_KIND_DERIVED];
    for (int i = 0; i < nderived; i++) {
        derived_slots[i] = run_rule(c, d[i].prog, e);
        if (e)
            explain_step(e, r, ENG_KIND_DERIVED, i, slots, c->reads, derived_slots[i]);
    }

    const rule *rs = r->rules[ENG_KIND_REASON];
    uint64_t reasons = 0;
    int nmatched = 0;
    for (int i = 0; i < nreasons; i++) {
        eng_value v = run_rule(c, rs[i].prog, e);
        bool m = matches(v);
        reasons |= (uint64_t)m << i;
        nmatched += m;
        reason_slots[i] = eng_bool(m);
        if (e)
            explain_step(e, r, ENG_KIND_REASON, i, slots, c->reads, v);
    }
    slots[r->reasons_slot] = eng_num(nmatched);

    const rule *fl = r->rules[ENG_KIND_FLAG];
    uint64_t flags = 0;
    for (int i = 0; i < nflags; i++) {
        eng_value v = run_rule(c, fl[i].prog, e);
        bool m = matches(v);
        flags |= (uint64_t)m << i;
        flag_slots[i] = eng_bool(m);
        if (e)
            explain_step(e, r, ENG_KIND_FLAG, i, slots, c->reads, v);
    }

    const rule *cat = r->rules[ENG_KIND_CATEGORY];
    int last = ncats - 1, category = last;
    for (int i = 0; i < last; i++) {
        eng_value v = run_rule(c, cat[i].prog, e);
        if (e)
            explain_step(e, r, ENG_KIND_CATEGORY, i, slots, c->reads, v);
        if (matches(v)) {
            category = i;
            break;
        }
    }
    if (e && category == last)
        explain_step(e, r, ENG_KIND_CATEGORY, last, slots, NULL, eng_bool(true));
    slots[r->category_slot] = cat[category].id_value;

    const rule *sc = r->rules[ENG_KIND_SCORE];
    double sum = 0, weights = 0;
    for (int i = 0; i < nscore; i++) {
        eng_value v = run_rule(c, sc[i].prog, e);
        score_add(&sum, &weights, sc[i].weight, v.type == ENG_NUM ? v.as.num : NAN);
        if (e)
            explain_step(e, r, ENG_KIND_SCORE, i, slots, c->reads, v);
    }
    if (e)
        explain_finish(e, r);

    result_finish(out, category, reasons, flags, sum, weights);
}

int eng_evaluate(eng_ctx *c, const eng_value *facts, eng_result *out)
{
    const eng_rules *r = c->rules;
    if (r->reg != NULL && !c->per_rule) {
#ifndef NDEBUG
        for (int i = 0; i < r->nfacts; i++)
            assert(facts[i].type == ENG_NULL || facts[i].type == eng_schema_type(r->schema, i));
#endif
        regvm_run(r->reg, c->regs, c->slots, facts, out);
    } else {
        run(c, facts, out, NULL);
    }
    return 0;
}

int eng_explain(eng_ctx *c, const eng_value *facts, eng_result *out, eng_explanation *e)
{
    explain_reset(e);
    const eng_rules *r = c->rules;
    if (r->reg != NULL && !c->per_rule) {
        regvm_tracer t = {e, r, c->reads, c->marks};
        regvm_trace(r->reg, c->regs, c->slots, facts, out, &t);
        explain_finish(e, r);
    } else {
        run(c, facts, out, e);
    }
    return 0;
}

int eng_recommendations(const eng_rules *r, const eng_result *res, const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < r->count[ENG_KIND_REASON]; i++) {
        const char *resp = r->rules[ENG_KIND_REASON][i].info.response;
        if ((res->reasons >> i & 1) && resp != NULL) {
            if (n < max)
                out[n] = resp;
            n++;
        }
    }
    if (res->category >= 0 && res->category < r->count[ENG_KIND_CATEGORY]) {
        const char *resp = r->rules[ENG_KIND_CATEGORY][res->category].info.response;
        if (resp != NULL) {
            if (n < max)
                out[n] = resp;
            n++;
        }
    }
    return n;
}
