/* ruleset.h - the compiled rule set's layout, shared by rules.c (which builds it), eval.c and
 * explain.c (which run it). Not used outside engine/.
 *
 * Slots of one evaluation (see internal.h):
 *   [0, nfacts)              facts in schema order
 *   [derived_base, +nderived) derived values
 *   reasons_slot             `reasons` (number of matched reasons)
 *   [reason_base, +nreasons)  reason.ID (boolean)
 *   [flag_base, +nflags)      flag.ID (boolean)
 *   category_slot            `category` (string: the matched id)
 */
#ifndef HYOKA_ENGINE_RULESET_H
#define HYOKA_ENGINE_RULESET_H

#include "internal.h"

#define ENG_NKINDS 5

/* One rule of any section: its public description and its compiled expression. */
typedef struct rule {
    eng_rule_info info;
    expr_prog *prog;    /* NULL for the catch-all category */
    double weight;      /* score components */
    eng_value id_value; /* categories: the id as a string value, for the `category` slot */
} rule;

typedef struct threshold {
    char *name; /* "thresholds.NAME", owned */
    double value;
    int line;
    bool overridden; /* its value was replaced by eng_rules_override */
} threshold;

struct eng_rules {
    char *source; /* the exact text given (with a BOM if it had one), owned */
    char sha256[65];
    char *overrides; /* eng_rules_overrides(): "" unless thresholds were replaced, owned */
    char *version;
    const char *language; /* "en" or "ja" (static strings): the language of explanation text */
    char *file;
    eng_schema *schema; /* a copy */
    int nthresholds;
    threshold *thresholds;
    rule *rules[ENG_NKINDS]; /* indexed by eng_kind, file order */
    int count[ENG_NKINDS];
    int nfacts, derived_base, reasons_slot, reason_base, flag_base, category_slot, nslots;
    int *used_facts; /* slots of the facts some program reads: all eng_evaluate copies */
    int nused_facts;
    char **strings; /* every string the rules own (ids, labels, ...) */
    int nstrings, capstrings;
    struct reg_prog *reg; /* the rule set as one register program (NULL only if an expression
                           * had no register code: fuzz_rules checks that none loads so) */
};

struct eng_ctx {
    const eng_rules *rules;
    eng_value *slots; /* nslots */
    double *scratch;  /* per_rule: expr_eval's registers (the largest expr_scratch_size) */
    double *regs;     /* the register VM's registers (constants filled in), or NULL */
    bool *reads;      /* explaining: which refs of the rule just run it read */
    int nreads;       /* the most refs of any rule */
    unsigned char *marks; /* explaining on the register VM: registers a step needed (nregs) */
    bool per_rule; /* run eng_evaluate and eng_explain rule by rule (eval.c), each expression
                    * linked alone: the reference the tests compare the rule set's program with */
};

/* What regvm_trace records a step with. */
typedef struct regvm_tracer {
    eng_explanation *e;
    const eng_rules *r;
    bool *reads;          /* per ref of the rule (eng_ctx.reads) */
    unsigned char *marks; /* per register (eng_ctx.marks) */
} regvm_tracer;

/* ---- the rule steps' arithmetic, for both VMs (regvm_loop.h, eval.c) ------------------------ */

/* A score component's value x (NaN: null, left out) into the weighted sum: clamped to [0, 1]. */
static inline void score_add(double *sum, double *weights, double weight, double x)
{
    if (!isnan(x)) {
        x = x < 0 ? 0 : x > 1 ? 1 : x;
        *sum += weight * x;
        *weights += weight;
    }
}

/* The result's fields from what the steps gathered: the first matched reason in file order, the
 * score as the weighted mean of the components with a value, in percent, at 1 decimal. */
static inline void result_finish(eng_result *out, int category, uint64_t reasons, uint64_t flags,
                                 double sum, double weights)
{
    out->category = category;
    out->primary_reason = reasons ? __builtin_ctzll(reasons) : -1;
    out->reasons = reasons;
    out->flags = flags;
    out->has_score = weights > 0;
    out->score = weights > 0 ? round_half_away(100.0 * sum / weights, 1) : 0.0;
}

/* regvm.c: the whole rule set as one typed register program, run by eng_evaluate (regvm_run) and
 * eng_explain (regvm_trace). */
typedef struct reg_prog reg_prog;
/* Links the rules' register code; NULL when some expression has none (none that compiles has:
 * fuzz_rules checks it). The program is owned by the caller: regvm_free. Aborts on OOM. */
reg_prog *regvm_link(const eng_rules *r);
void regvm_free(reg_prog *p);
int regvm_nregs(const reg_prog *p);
/* Fills a register file of regvm_nregs() doubles: constants, NaN in the other registers, the
 * symbol cache after them empty. */
void regvm_init(const reg_prog *p, double *regs);
/* Evaluates one initiative as eng_evaluate does; `regs` was filled by regvm_init; string facts
 * are read from `facts` (only regvm_trace copies them into `slots`). Does not allocate. */
void regvm_run(const reg_prog *p, double *regs, eng_value *slots, const eng_value *facts,
               eng_result *out);

/* regvm_run that also records every rule step into t->e (explain_step: the names the step read,
 * with short-circuits as the language defines them, their values and the result, all from the
 * registers), the catch-all category included; the caller resets and finishes the explanation. */
void regvm_trace(const reg_prog *p, double *regs, eng_value *slots, const eng_value *facts,
                 eng_result *out, regvm_tracer *t);

/* explain.c: recording one evaluation (called by eval.c only when explaining) */
void explain_reset(eng_explanation *e);
/* Records rule i of kind k after it ran: its inputs (the names the run read, per `reads` as
 * expr_eval_traced and regvm_trace set it, with their values from `slots`; thresholds always, being part of the rule)
 * and its result. For the catch-all category (no program), `reads` is NULL and `result` true. */
void explain_step(eng_explanation *e, const eng_rules *r, eng_kind k, int i, const eng_value *slots,
                  const bool *reads, eng_value result);

/* How a Japanese sentence shows a number: eng_round(x, 2) as "%.2f" prints it, without trailing
 * zeros after the point ("0.5", "12", "-3.25"), "-0" as "0"; without printf below 1e13. `size`
 * at least 24. Returns the length. */
int explain_number_2dp(double x, char *num, size_t size);

/* For the tests: with `on`, the explanation writes every step the slow way, as it did before
 * rules were prepared (each name looked up in the inputs and the schema, the expression scanned,
 * numbers formatted each time): the reference the prepared text must equal byte for byte. */
void explain_set_reference(eng_explanation *e, bool on);

/* After the last step of one evaluation: writes the score components' text (their weight after
 * re-normalising depends on which components had a value). */
void explain_finish(eng_explanation *e, const eng_rules *r);

/* schema.c */
eng_schema *eng_schema_copy(const eng_schema *s);
/* The human name of an opaque column's type ("date"); NULL for facts rules can use. */
const char *eng_schema_opaque_type(const eng_schema *s, int slot);

#endif
