/* test_regvm.c - the rule set's linked register program (regvm.c, behind eng_evaluate and,
 * traced, eng_explain) against eval.c's rule-by-rule loop running each expression linked alone
 * (expr_eval; an eng_ctx with per_rule set): random well-typed expressions, in every
 * place a rule file can hold one, must give the same derived values, the same results and the
 * same explanations (step by step: inputs read, values, text) for facts full of nulls, NaN,
 * infinities, zeros and halves. String facts are given three ways (as eng_str, with symbols of
 * an eng_symtab, a mix of both and of two tables), each evaluation compared with the others. */
#include "expr_impl.h"
#include "ruleset.h"

#include "../support/explain_same.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NEXPRESSIONS 1000 /* random expressions per test */
#define NFACTS 60         /* random initiatives per expression */
#define EXPR_BYTES 3000   /* an expression of depth 4 stays well below this */

static uint64_t rng;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int pick(int n)
{
    return (int)(next() % (uint64_t)n);
}

/* ---- random expressions, typed as the compiler wants them ------------------------------------ */

typedef struct text {
    char buf[EXPR_BYTES];
    size_t len;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && t->len + (size_t)n < sizeof t->buf);
    t->len += (size_t)n;
}

static const char *const num_names[] = {"planned_progress", "actual_progress", "budget_planned",
                                        "cost_benefit",     "kpi_attainment",  "months_since_start",
                                        "previous_score",   "thresholds.t1",   "thresholds.tz"};
static const char *const num_literals[] = {"0",   "1",     "0.5",  "-2",   "1e308",
                                           "3",   "0.05",  "2.675", "-0.0", "0.125"};
static const char *const bool_names[] = {"plan_decided", "context_changed", "completed", "true",
                                         "false"};
static const char *const strings[] = {"departments", "previous_category", "reported_reason",
                                      "'a'",         "'情報政策課'",      "''",
                                      "'delayed'"};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void gen_bool(text *t, int depth);
static void gen_num(text *t, int depth);
static void gen_str(text *t, int depth);

static void gen_type(text *t, int depth, eng_type type)
{
    if (type == ENG_NUM)
        gen_num(t, depth);
    else if (type == ENG_BOOL)
        gen_bool(t, depth);
    else
        gen_str(t, depth);
}

/* calls generated, per function of the table (every one must be, see test_derived_values) */
static long fn_generated[FN__COUNT];

/* A call of a random function of functions.h that gives a `want` (ENG_NUM, ENG_BOOL, ENG_STR),
 * with random arguments of the types its row takes: a new function joins by its row alone. */
static void gen_call(text *t, int depth, eng_type want)
{
    int fits[FN__COUNT], n = 0;
    for (int f = 0; f < FN__COUNT; f++) {
        fn_kind k = expr_functions[f].kind;
        if ((k == FK_NUM && want == ENG_NUM) || k == FK_SAME || (k == FK_BOOL && want == ENG_BOOL))
            fits[n++] = f;
    }
    assert_true(n > 0);
    const expr_function *f = &expr_functions[fits[pick(n)]];
    fn_generated[f - expr_functions]++;
    int max = f->max_args < 0 ? f->min_args + 2 : f->max_args;
    int nargs = f->min_args + pick(max - f->min_args + 1);
    static const eng_type any[] = {ENG_NUM, ENG_BOOL, ENG_STR};
    eng_type at = f->kind == FK_NUM ? ENG_NUM : f->kind == FK_SAME ? want : any[pick(3)];
    put(t, "%s(", f->name);
    for (int i = 0; i < nargs; i++) {
        put(t, i ? ", " : "");
        if (i == f->decimals) {
            static const char *const decimals[] = {"0", "1", "2", "-1", "15"};
            put(t, "%s", decimals[pick(COUNT(decimals))]);
        } else {
            gen_type(t, depth - 1, at);
        }
    }
    put(t, ")");
}

static void gen_num(text *t, int depth)
{
    if (depth <= 0 || pick(4) == 0) {
        int k = pick(COUNT(num_names) + COUNT(num_literals) + 1);
        put(t, "%s", k < COUNT(num_names) ? num_names[k]
                     : k < COUNT(num_names) + COUNT(num_literals)
                         ? num_literals[k - COUNT(num_names)]
                         : "null");
        return;
    }
    switch (pick(11)) {
    case 0:
        put(t, "-");
        gen_num(t, depth - 1);
        break;
    case 1:
    case 2:
        put(t, "(");
        gen_num(t, depth - 1);
        put(t, " %c ", "+-*/"[pick(4)]);
        gen_num(t, depth - 1);
        put(t, ")");
        break;
    case 3:
    case 4:
    case 5:
    case 6:
        gen_call(t, depth, ENG_NUM);
        break;
    case 7:
    case 8:
        put(t, "(");
        gen_bool(t, depth - 1);
        put(t, " ? ");
        gen_num(t, depth - 1);
        put(t, " : ");
        if (pick(3) == 0)
            put(t, "null");
        else
            gen_num(t, depth - 1);
        put(t, ")");
        break;
    default:
        gen_num(t, depth - 1);
        break;
    }
}

static void gen_bool(text *t, int depth)
{
    if (depth <= 0 || pick(5) == 0) {
        put(t, "%s", pick(12) == 0 ? "null" : bool_names[pick(COUNT(bool_names))]);
        return;
    }
    static const char *const cmp[] = {"<", "<=", ">", ">=", "==", "!="};
    switch (pick(13)) {
    case 0:
        put(t, "!");
        gen_bool(t, depth - 1);
        break;
    case 1:
    case 2: {
        static const char *const ops[] = {"&&", "||", "and", "or"};
        put(t, "(");
        gen_bool(t, depth - 1);
        put(t, " %s ", ops[pick(4)]);
        gen_bool(t, depth - 1);
        put(t, ")");
        break;
    }
    case 3:
    case 4:
        put(t, "(");
        gen_num(t, depth - 1);
        put(t, " %s ", cmp[pick(6)]);
        gen_num(t, depth - 1);
        put(t, ")");
        break;
    case 5:
        put(t, "(");
        gen_bool(t, depth - 1);
        put(t, " %s ", cmp[4 + pick(2)]);
        gen_bool(t, depth - 1);
        put(t, ")");
        break;
    case 6:
        put(t, "(%s %s %s)", strings[pick(COUNT(strings))], cmp[4 + pick(2)],
            strings[pick(COUNT(strings))]);
        break;
    case 7:
        put(t, "(");
        gen_num(t, depth - 1);
        put(t, " in (1, 0.5, -2, 3))");
        break;
    case 8:
        put(t, "(%s in ('a', '情報政策課', 'delayed'))", strings[pick(3)]);
        break;
    case 9:
        gen_call(t, depth, ENG_BOOL);
        break;
    case 10:
    case 11:
        put(t, "(");
        gen_bool(t, depth - 1);
        put(t, " ? ");
        gen_bool(t, depth - 1);
        put(t, " : ");
        gen_bool(t, depth - 1);
        put(t, ")");
        break;
    default:
        gen_call(t, depth, ENG_BOOL);
        break;
    }
}

/* A string-valued expression: names, literals, null, ?: and coalesce over them (what the rule
 * language can compute a string with). */
static void gen_str(text *t, int depth)
{
    if (depth <= 0 || pick(3) == 0) {
        put(t, "%s", pick(8) == 0 ? "null" : strings[pick(COUNT(strings))]);
        return;
    }
    if (pick(2) == 0) {
        put(t, "(");
        gen_bool(t, depth - 1);
        put(t, " ? ");
        gen_str(t, depth - 1);
        put(t, " : ");
        gen_str(t, depth - 1);
        put(t, ")");
    } else {
        gen_call(t, depth, ENG_STR);
    }
}

/* ---- random initiatives --------------------------------------------------------------------- */

static void random_facts(const eng_schema *s, eng_value *facts)
{
    static const double nums[] = {0,     1,       0.5,  -0.5, 1e308, -1e308, NAN,
                                  INFINITY, 2.675, 0.125, -0.0, 3,     12,     0.05};
    /* texts some rules have as literals, and one none has ("zz": its facts compare by bytes) */
    static const char *const strs[] = {"a", "情報政策課", "", "delayed", "zz"};
    for (int i = 0; i < eng_schema_count(s); i++) {
        switch (eng_schema_type(s, i)) {
        case ENG_NUM: {
            int k = pick(20);
            facts[i] = k < 3    ? eng_null()
                       : k < 17 ? eng_num(nums[k - 3])
                                : eng_num((double)pick(2000) / 1000.0 - 0.5);
            break;
        }
        case ENG_BOOL: {
            int k = pick(3);
            facts[i] = k == 0 ? eng_null() : eng_bool(k == 1);
            break;
        }
        case ENG_STR: {
            int k = pick(6);
            facts[i] = k == 5 ? eng_null() : eng_str(strs[k]);
            break;
        }
        default:
            facts[i] = eng_null();
            break;
        }
    }
}

/* ---- string facts with symbols (engine.h, eng_symtab) ---------------------------------------- */

/* Two tables: equal texts get different ids in them. Table A first gave ids to 300 other texts,
 * so that the ids of the two tables fall on the same entries of an eng_ctx's symbol cache. */
static eng_symtab *syms_a, *syms_b;
static uint64_t mode_rng = 0x853c49e6748fea9bu; /* not `rng`: the facts stay what they were */

static void symbols_setup(void)
{
    if (syms_a != NULL)
        return;
    syms_a = eng_symtab_new(0);
    syms_b = eng_symtab_new(0);
    char filler[32];
    for (int i = 0; i < 300; i++) {
        snprintf(filler, sizeof filler, "filler %d", i);
        eng_symtab_intern(syms_a, eng_str(filler));
    }
}

/* `out` = `facts` with each string given a symbol of table A (mode 1), B (2), none (0), or one
 * of the three chosen per fact (3). Texts and pointers stay the same. */
static void with_symbols(const eng_schema *s, const eng_value *facts, eng_value *out, int mode)
{
    symbols_setup();
    for (int i = 0; i < eng_schema_count(s); i++) {
        out[i] = facts[i];
        if (facts[i].type != ENG_STR)
            continue;
        mode_rng ^= mode_rng << 13;
        mode_rng ^= mode_rng >> 7;
        mode_rng ^= mode_rng << 17;
        int m = mode < 3 ? mode : (int)(mode_rng % 3);
        out[i].sym = 0;
        if (m > 0)
            out[i] = eng_symtab_intern(m == 1 ? syms_a : syms_b, out[i]);
        assert_ptr_equal(out[i].as.str.ptr, facts[i].as.str.ptr);
        assert_true((out[i].sym != 0) == (m > 0));
    }
}

static eng_rules *load(const char *rules, const eng_schema *s)
{
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_string(rules, "t.cfg", s, d);
    eng_diags_free(d);
    return r;
}

static bool same_result(const eng_result *a, const eng_result *b)
{
    return a->category == b->category && a->primary_reason == b->primary_reason &&
           a->reasons == b->reasons && a->flags == b->flags && a->has_score == b->has_score &&
           (!a->has_score || a->score == b->score);
}

/* ---- tests ---------------------------------------------------------------------------------- */

/* Each expression as a derived value: the register holding it equals the rule-by-rule value (expr_eval). */
static void test_derived_values(void **state)
{
    (void)state;
    rng = 88172645463325252u;
    eng_schema *s = eng_schema_new_builtin();
    eng_value facts[ENG_MAX_FACTS];
    static char rules[2 * EXPR_BYTES];
    int on_register_vm = 0, numbers = 0;
    for (int n = 0; n < NEXPRESSIONS; n++) {
        text t = {.len = 0};
        bool num = pick(2) == 0;
        if (num)
            gen_num(&t, 4);
        else
            gen_bool(&t, 4);
        snprintf(rules, sizeof rules,
                 "version = \"t\";\nthresholds = { t1 = 0.5; tz = 0; };\n"
                 "derived = { d = \"%s\"; };\n"
                 "reasons = ( { id = \"r\"; label = \"R\"; when = \"is_null(d)\"; } );\n"
                 "categories = ( { id = \"a\"; label = \"A\"; when = \"reason.r\"; },\n"
                 "  { id = \"b\"; label = \"B\"; } );\n"
                 "score = ( { id = \"s\"; weight = 1; value = \"reasons\"; } );\n",
                 t.buf);
        eng_rules *r = load(rules, s);
        if (r == NULL)
            continue;
        if (r->reg == NULL) /* always-null expressions too run on it, as numbers (NaN) */
            fail_msg("d = %s: not on the register VM", t.buf);
        on_register_vm++;
        eng_type type = expr_type(r->rules[ENG_KIND_DERIVED][0].prog);
        assert_true(type == ENG_NUM || type == ENG_BOOL || type == ENG_NULL);
        numbers += type == ENG_NUM;
        eng_ctx *c = eng_ctx_new(r), *cs = eng_ctx_new(r);
        cs->per_rule = true;
        eng_explanation *e = eng_explanation_new(), *es = eng_explanation_new();
        /* the Japanese sentences on every other expression (the wording layer under ASan) */
        assert_int_equal(eng_explanation_set_language(e, n % 2 ? "ja" : "en"), 0);
        assert_int_equal(eng_explanation_set_language(es, n % 2 ? "ja" : "en"), 0);
        for (int k = 0; k < NFACTS; k++) {
            random_facts(s, facts);
            eng_result a, b, a2;
            eng_evaluate(c, facts, &a);
            double x = c->regs[r->derived_base];
            eng_explain(cs, facts, &b, es);
            eng_value v = eng_explanation_get(es, 0)->result;
            eng_explain(c, facts, &a2, e);
            int step = explain_first_difference(e, es);
            if (step >= 0 || !same_result(&a, &a2))
                fail_msg("d = %s: the traced register VM explains step %d as \"%s\", the rule-by-rule loop "
                         "as \"%s\"", t.buf, step,
                         step < eng_explanation_count(e) ? eng_explanation_get(e, step)->text : "-",
                         step < eng_explanation_count(es) ? eng_explanation_get(es, step)->text : "-");
            bool same;
            if (type == ENG_NUM)
                same = v.type == ENG_NULL ? isnan(x)
                                          : v.type == ENG_NUM &&
                                                memcmp(&v.as.num, &x, sizeof x) == 0; /* -0.0 */
            else if (type == ENG_BOOL)
                same = v.type == ENG_NULL ? x == 0.5 : v.type == ENG_BOOL && v.as.b == (x == 1.0);
            else
                same = v.type == ENG_NULL && isnan(x);
            if (!same || !same_result(&a, &b)) {
                char shown[64];
                eng_value_format(v, shown, sizeof shown);
                fail_msg("d = %s: rule by rule %s, linked %.17g (category %d / %d)", t.buf, shown,
                         x, b.category, a.category);
            }
        }
        eng_explanation_free(e);
        eng_explanation_free(es);
        eng_ctx_free(c);
        eng_ctx_free(cs);
        eng_rules_free(r);
    }
    /* the test tests something: most expressions run on the register VM, of both types */
    assert_true(on_register_vm > NEXPRESSIONS * 9 / 10);
    assert_true(numbers > NEXPRESSIONS / 3 && numbers < on_register_vm - NEXPRESSIONS / 3);
    for (int f = 0; f < FN__COUNT; f++) /* every function of the table was called, often */
        if (fn_generated[f] < NEXPRESSIONS / 10)
            fail_msg("%s: %ld calls generated", expr_functions[f].name, fn_generated[f]);
    eng_schema_free(s);
}

/* Loads `rules` and, when they run on the register VM, evaluates NFACTS random initiatives with
 * eng_evaluate and eng_explain, failing on any difference; counts the categories reached.
 * Returns 1 if the register VM ran, 0 if the rules did not load or have no register program. */
static int same_results(const char *rules, const eng_schema *s, const char *x, long *categories)
{
    eng_rules *r = load(rules, s);
    if (r == NULL || r->reg == NULL) {
        eng_rules_free(r);
        return 0;
    }
    eng_value plain[ENG_MAX_FACTS], facts[ENG_MAX_FACTS];
    eng_ctx *c = eng_ctx_new(r), *cs = eng_ctx_new(r);
    cs->per_rule = true;
    eng_explanation *e = eng_explanation_new(), *es = eng_explanation_new();
    for (int k = 0; k < NFACTS; k++) {
        random_facts(s, plain);
        /* the register program sees the facts with symbols (of A, of B, mixed) or without, and
         * must give what the rule-by-rule loop gives for the plain ones */
        with_symbols(s, plain, facts, k % 4);
        if (k % 8 >= 4) { /* and the reference itself with symbols, the program without */
            eng_value t[ENG_MAX_FACTS];
            memcpy(t, plain, sizeof t);
            memcpy(plain, facts, sizeof t);
            memcpy(facts, t, sizeof t);
        }
        eng_result a, b, a2;
        eng_evaluate(c, facts, &a);
        eng_explain(cs, plain, &b, es);
        eng_explain(c, facts, &a2, e);
        int step = explain_first_difference(e, es);
        if (step >= 0 || !same_result(&a, &a2))
            fail_msg("%s: the traced register VM explains step %d as \"%s\", the rule-by-rule loop as "
                     "\"%s\"", x, step,
                     step < eng_explanation_count(e) ? eng_explanation_get(e, step)->text : "-",
                     step < eng_explanation_count(es) ? eng_explanation_get(es, step)->text : "-");
        if (!same_result(&a, &b))
            fail_msg("%s: rule by rule category %d reasons %llx flags %llx score %g; register VM "
                     "category %d reasons %llx flags %llx score %g",
                     x, b.category, (unsigned long long)b.reasons, (unsigned long long)b.flags,
                     b.has_score ? b.score : NAN, a.category, (unsigned long long)a.reasons,
                     (unsigned long long)a.flags, a.has_score ? a.score : NAN);
        categories[a.category]++;
    }
    eng_explanation_free(e);
    eng_explanation_free(es);
    eng_ctx_free(c);
    eng_ctx_free(cs);
    eng_rules_free(r);
    return 1;
}

/* Each expression in reasons, flags, categories and score, where the linker folds comparisons
 * and && into the rule steps: the same results as rule by rule. */
static void test_rule_steps(void **state)
{
    (void)state;
    rng = 0x2545F4914F6CDD1Du;
    eng_schema *s = eng_schema_new_builtin();
    static char rules[10 * EXPR_BYTES];
    int on_register_vm = 0;
    long categories[3] = {0};
    for (int n = 0; n < NEXPRESSIONS; n++) {
        text t = {.len = 0};
        bool num = pick(2) == 0;
        if (num)
            gen_num(&t, 4);
        else
            gen_bool(&t, 4);
        const char *x = t.buf;
        if (num)
            snprintf(rules, sizeof rules,
                     "version = \"t\";\nthresholds = { t1 = 0.5; tz = 0; };\n"
                     "reasons = ( { id = \"r\"; label = \"R\"; when = \"(%s) < 0.5\"; },\n"
                     "  { id = \"q\"; label = \"Q\"; when = \"(%s) >= 0.1\"; } );\n"
                     "flags = ( { id = \"f\"; label = \"F\"; when = \"(%s) > 0.2\"; },\n"
                     "  { id = \"g\"; label = \"G\"; when = \"(%s) <= 0.9\"; } );\n"
                     "categories = ( { id = \"a\"; label = \"A\"; when = \"(%s) <= 0.7 && (%s) > "
                     "0\"; },\n  { id = \"c\"; label = \"C\"; when = \"(%s) >= 0.3\"; },\n"
                     "  { id = \"b\"; label = \"B\"; } );\n"
                     "score = ( { id = \"s\"; weight = 1; value = \"%s\"; },\n"
                     "  { id = \"t\"; weight = 0.5; value = \"(%s) * 3\"; } );\n",
                     x, x, x, x, x, x, x, x, x);
        else
            snprintf(rules, sizeof rules,
                     "version = \"t\";\nthresholds = { t1 = 0.5; tz = 0; };\n"
                     "reasons = ( { id = \"r\"; label = \"R\"; when = \"%s\"; },\n"
                     "  { id = \"q\"; label = \"Q\"; when = \"!(%s)\"; } );\n"
                     "flags = ( { id = \"f\"; label = \"F\"; when = \"%s\"; } );\n"
                     "categories = ( { id = \"a\"; label = \"A\"; when = \"%s\"; },\n"
                     "  { id = \"c\"; label = \"C\"; when = \"reasons > 0 && flag.f\"; },\n"
                     "  { id = \"b\"; label = \"B\"; } );\n"
                     "score = ( { id = \"s\"; weight = 1; value = \"reasons\"; },\n"
                     "  { id = \"t\"; weight = 2; value = \"category == 'a' ? 0.25 : "
                     "previous_score\"; } );\n",
                     x, x, x, x);
        on_register_vm += same_results(rules, s, x, categories);
    }
    assert_true(on_register_vm > NEXPRESSIONS * 8 / 10);
    for (int i = 0; i < 3; i++) /* every category is reached many times */
        assert_true(categories[i] > NFACTS * NEXPRESSIONS / 50);
    eng_schema_free(s);
}

/* Computed strings run on the register VM (as references): a derived string read by ==, !=, in,
 * is_null, ?: and coalesce in every section gives the rule-by-rule results. */
static void test_string_values(void **state)
{
    (void)state;
    rng = 0x1234567887654321u;
    eng_schema *s = eng_schema_new_builtin();
    static char rules[10 * EXPR_BYTES];
    int on_register_vm = 0;
    for (int n = 0; n < NEXPRESSIONS; n++) {
        text t = {.len = 0};
        gen_str(&t, 4);
        snprintf(rules, sizeof rules,
                 "version = \"t\";\nderived = { d = \"%s\"; e = \"coalesce(d, departments)\"; };\n"
                 "reasons = ( { id = \"r\"; label = \"R\"; when = \"is_null(d)\"; },\n"
                 "  { id = \"q\"; label = \"Q\"; when = \"d == 'a' || e == departments\"; },\n"
                 "  { id = \"p\"; label = \"P\"; when = \"d in ('情報政策課', '', 'delayed')\"; } );\n"
                 "flags = ( { id = \"f\"; label = \"F\"; when = \"d != previous_category\"; } );\n"
                 "categories = ( { id = \"a\"; label = \"A\"; when = \"d == e\"; },\n"
                 "  { id = \"c\"; label = \"C\"; when = \"(completed ? d : e) == 'a'\"; },\n"
                 "  { id = \"b\"; label = \"B\"; } );\n"
                 "score = ( { id = \"s\"; weight = 1; value = \"d == reported_reason ? 1 : 0\"; },\n"
                 "  { id = \"t\"; weight = 2; value = \"category == 'c' ? 0.25 : 0.5\"; } );\n",
                 t.buf);
        long categories[3] = {0};
        on_register_vm += same_results(rules, s, t.buf, categories); /* 0: d always null */
    }
    assert_true(on_register_vm > NEXPRESSIONS * 8 / 10);
    eng_schema_free(s);
}

/* What the register VM once could not represent (a derived value of no type, always null) runs
 * on it too, with the rule-by-rule results and explanations. */
static void test_fallback(void **state)
{
    (void)state;
    eng_schema *s = eng_schema_new_builtin();
    static const char *const cases[][2] = {
        /* {derived expression, "reg" if the register VM runs it} */
        {"actual_progress * 2", "reg"},
        {"departments", "reg"},                                        /* a string, copied */
        {"completed ? departments : measure_code", "reg"},             /* a computed string */
        {"coalesce(reported_reason, 'none')", "reg"},
        {"null", "reg"},                                               /* no type at all */
        {"completed ? null : null", "reg"},                     /* no type, a name read */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rules[1024];
        snprintf(rules, sizeof rules,
                 "version = \"t\";\nderived = { d = \"%s\"; };\n"
                 "categories = ( { id = \"a\"; label = \"A\"; when = \"is_null(d)\"; },\n"
                 "  { id = \"b\"; label = \"B\"; } );\n"
                 "score = ( { id = \"s\"; weight = 1; value = \"actual_progress\"; } );\n",
                 cases[i][0]);
        eng_rules *r = load(rules, s);
        assert_non_null(r);
        if ((r->reg != NULL) != (cases[i][1][0] != '\0'))
            fail_msg("%s: expected the %s VM", cases[i][0], cases[i][1][0] ? "register" : "no register");
        eng_ctx *c = eng_ctx_new(r), *cs = eng_ctx_new(r);
        cs->per_rule = true;
        eng_explanation *e = eng_explanation_new(), *es = eng_explanation_new();
        eng_value facts[ENG_MAX_FACTS];
        rng = 7;
        for (int k = 0; k < 200; k++) {
            random_facts(s, facts);
            eng_result a, b, b2;
            eng_evaluate(c, facts, &a);
            eng_explain(c, facts, &b, e);
            assert_true(same_result(&a, &b));
            eng_explain(cs, facts, &b2, es);
            assert_true(same_result(&a, &b2));
            assert_int_equal(explain_first_difference(e, es), -1);
        }
        eng_explanation_free(e);
        eng_explanation_free(es);
        eng_ctx_free(c);
        eng_ctx_free(cs);
        eng_rules_free(r);
    }
    eng_schema_free(s);
}

/* Many distinct texts through one eng_ctx (more than its symbol cache holds, ids of two tables
 * on the same entries, equal texts with different ids, texts equal to literals, facts compared
 * with facts): with symbols, without, and mixed, the same results and explanations as rule by
 * rule without symbols. */
static void test_symbol_cache(void **state)
{
    (void)state;
    eng_schema *s = eng_schema_new_builtin();
    eng_rules *r = load("version = \"t\";\n"
                        "derived = { d = \"coalesce(reported_reason, departments)\"; };\n"
                        "reasons = ( { id = \"r\"; label = \"R\"; when = \"departments == 't7'\"; },\n"
                        "  { id = \"q\"; label = \"Q\"; when = \"departments in ('t3', 't700', '')\"; },\n"
                        "  { id = \"p\"; label = \"P\"; when = \"departments == reported_reason\"; } );\n"
                        "flags = ( { id = \"f\"; label = \"F\"; when = \"d != previous_category\"; } );\n"
                        "categories = ( { id = \"a\"; label = \"A\"; when = \"d == 't14'\"; },\n"
                        "  { id = \"t21\"; label = \"C\"; when = \"previous_category == 't21'\"; },\n"
                        "  { id = \"b\"; label = \"B\"; } );\n"
                        "score = ( { id = \"s\"; weight = 1; value = \"category == previous_category "
                        "? 1 : 0\"; } );\n",
                        s);
    assert_non_null(r);
    assert_non_null(r->reg);
    int dep = eng_schema_find(s, "departments"), rep = eng_schema_find(s, "reported_reason"),
        prev = eng_schema_find(s, "previous_category");
    enum { NTEXTS = 1000 };
    static char texts[NTEXTS][16], copies[NTEXTS][16]; /* copies: equal texts elsewhere */
    for (int i = 0; i < NTEXTS; i++) /* every 7th a literal of the rules or a category id */
        snprintf(texts[i], sizeof texts[i], "t%d", i % 7 == 0 ? i % 28 : i);
    snprintf(texts[1], sizeof texts[1], "%s", "");
    memcpy(copies, texts, sizeof copies);
    symbols_setup();
    eng_ctx *c = eng_ctx_new(r), *cs = eng_ctx_new(r);
    cs->per_rule = true;
    eng_explanation *e = eng_explanation_new(), *es = eng_explanation_new();
    eng_value plain[ENG_MAX_FACTS], facts[ENG_MAX_FACTS];
    long reasons[3] = {0}, categories[3] = {0};
    rng = 99;
    for (int k = 0; k < 20000; k++) {
        for (int i = 0; i < eng_schema_count(s); i++)
            plain[i] = eng_null();
        const int slots[3] = {dep, rep, prev};
        int t[3];
        for (int j = 0; j < 3; j++) {
            t[j] = pick(NTEXTS + 50);
            if (k % 3 == j) /* often a text of the rules */
                t[j] %= 40;
            if (t[j] < NTEXTS) /* (else null) */
                plain[slots[j]] = eng_str(texts[t[j]]);
        }
        if (k % 5 == 0 && t[0] < NTEXTS) /* the same text as departments, at another address */
            plain[rep] = eng_str(copies[t[0]]);
        with_symbols(s, plain, facts, k % 4);
        eng_result a, b, a2;
        eng_evaluate(c, facts, &a);
        eng_explain(cs, plain, &b, es);
        if (!same_result(&a, &b))
            fail_msg("initiative %d (symbols %d): category %d / %d, reasons %llx / %llx", k,
                     k % 4, a.category, b.category, (unsigned long long)a.reasons,
                     (unsigned long long)b.reasons);
        eng_explain(c, facts, &a2, e);
        assert_true(same_result(&a, &a2));
        int step = explain_first_difference(e, es);
        if (step >= 0)
            fail_msg("initiative %d: step %d explained as \"%s\", rule by rule \"%s\"", k, step,
                     step < eng_explanation_count(e) ? eng_explanation_get(e, step)->text : "-",
                     step < eng_explanation_count(es) ? eng_explanation_get(es, step)->text : "-");
        for (int i = 0; i < 3; i++)
            reasons[i] += a.reasons >> i & 1;
        categories[a.category]++;
    }
    /* the test tests something: every rule matched often */
    for (int i = 0; i < 3; i++) {
        assert_true(reasons[i] > 100);
        assert_true(categories[i] > 100);
    }
    eng_explanation_free(e);
    eng_explanation_free(es);
    eng_ctx_free(c);
    eng_ctx_free(cs);
    eng_rules_free(r);
    eng_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derived_values),
        cmocka_unit_test(test_rule_steps),
        cmocka_unit_test(test_string_values),
        cmocka_unit_test(test_fallback),
        cmocka_unit_test(test_symbol_cache),
    };
    int failed = cmocka_run_group_tests_name("regvm", tests, NULL, NULL);
    eng_symtab_free(syms_a);
    eng_symtab_free(syms_b);
    return failed;
}
