/* test_counterfactual.c - eng_counterfactuals on a small rule file, against flip points computed
 * by hand: the value, the step before it (does not flip) and the step after (nextafter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char rules_text[] =
    "version = \"1\";\n"
    "thresholds = { on = 0.95; prog = 0.5; months = 12; };\n"
    "derived = { ratio = \"planned > 0 ? actual / planned : 1\"; };\n"
    "reasons = ( { id = \"planning\"; label = \"P\"; when = \"!decided && months > thresholds.months\"; } );\n"
    "flags = ( { id = \"late\"; label = \"L\"; when = \"ratio < thresholds.on\"; } );\n"
    "categories = (\n"
    "  { id = \"on_track\"; label = \"on_track\"; when = \"reasons == 0 && ratio >= thresholds.on\"; },\n"
    "  { id = \"delayed\"; label = \"delayed\"; when = \"reasons == 0 && ratio >= thresholds.prog\"; },\n"
    "  { id = \"stalled\"; label = \"S\"; }\n"
    ");\n"
    "score = ( { id = \"s\"; label = \"s\"; weight = 1; value = \"min(ratio, 1) + kpi * 0\"; } );\n";

enum { ACTUAL, PLANNED, DECIDED, MONTHS, KPI, NOTE, NFACTS };
enum { ON_TRACK, DELAYED, STALLED };

typedef struct fixture {
    eng_schema *schema;
    eng_rules *rules;
    eng_ctx *ctx;
    eng_cf *cf;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->schema = eng_schema_new();
    eng_schema_add(f->schema, "actual", ENG_NUM, NULL);
    eng_schema_add(f->schema, "planned", ENG_NUM, NULL);
    eng_schema_add(f->schema, "decided", ENG_BOOL, NULL);
    eng_schema_add(f->schema, "months", ENG_NUM, NULL);
    eng_schema_add(f->schema, "kpi", ENG_NUM, NULL);
    eng_schema_add(f->schema, "note", ENG_STR, NULL);
    eng_diags *d = eng_diags_new();
    f->rules = eng_rules_load_string(rules_text, "cf.cfg", f->schema, d);
    if (f->rules == NULL)
        eng_diags_print(d, stderr);
    eng_diags_free(d);
    assert_non_null(f->rules);
    f->ctx = eng_ctx_new(f->rules);
    f->cf = eng_cf_new(f->rules);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    eng_cf_free(f->cf);
    eng_ctx_free(f->ctx);
    eng_rules_free(f->rules);
    eng_schema_free(f->schema);
    free(f);
    return 0;
}

static void set_facts(eng_value *v, eng_value actual, double planned, bool decided, double months)
{
    v[ACTUAL] = actual;
    v[PLANNED] = eng_num(planned);
    v[DECIDED] = eng_bool(decided);
    v[MONTHS] = eng_num(months);
    v[KPI] = eng_null();
    v[NOTE] = eng_str("x");
}

/* The entry for (slot, category) of out[0..n). */
static const eng_counterfactual *entry(const eng_counterfactual *out, int n, int slot, int cat)
{
    for (int i = 0; i < n; i++)
        if (out[i].fact == slot && out[i].category == cat)
            return &out[i];
    fail_msg("no entry for fact %d, category %d", slot, cat);
    return NULL;
}

static void expect_number(const eng_counterfactual *e, double value, int direction, int cat_before)
{
    assert_true(e->found);
    assert_int_equal(e->value.type, ENG_NUM);
    if (e->value.as.num != value)
        fail_msg("value %.17g (%a), expected %.17g (%a)", e->value.as.num, e->value.as.num, value,
                 value);
    assert_int_equal(e->direction, direction);
    double before = nextafter(value, direction > 0 ? -INFINITY : INFINITY);
    double after = nextafter(value, direction > 0 ? INFINITY : -INFINITY);
    assert_true(e->before == before);
    assert_true(e->after == after);
    assert_int_equal(e->before_category, cat_before);
    assert_int_equal(e->after_category, e->category);
}

static void facts_read(void **state)
{
    fixture *f = *state;
    /* kpi is read by the score only, note is a string: neither can change a category */
    assert_int_equal(eng_cf_nfacts(f->cf), 4);
    assert_int_equal(eng_cf_fact(f->cf, 0), ACTUAL);
    assert_int_equal(eng_cf_fact(f->cf, 1), PLANNED);
    assert_int_equal(eng_cf_fact(f->cf, 2), DECIDED);
    assert_int_equal(eng_cf_fact(f->cf, 3), MONTHS);
    assert_int_equal(eng_rules_threshold_count(f->rules), 3);
    assert_string_equal(eng_rules_threshold_name(f->rules, 1), "prog");
    assert_true(eng_rules_threshold_value(f->rules, 0) == 0.95);
    assert_null(eng_rules_threshold_name(f->rules, 3));
}

/* actual 0.1 of planned 0.5: ratio 0.2, stalled. */
static void ratio_in_numerator_and_denominator(void **state)
{
    fixture *f = *state;
    eng_value v[NFACTS];
    set_facts(v, eng_num(0.1), 0.5, false, 10);
    eng_counterfactual out[16];
    int n = eng_counterfactuals(f->cf, f->ctx, v, out, 16);
    assert_int_equal(n, 4 * 2);
    /* actual / 0.5 is 2 * actual, exact: on_track from fl(0.95) / 2 = 0.475 (exactly the double
     * nearest 0.475), delayed from 0.5 / 2 = 0.25 */
    expect_number(entry(out, n, ACTUAL, ON_TRACK), 0.475, 1, DELAYED);
    expect_number(entry(out, n, ACTUAL, DELAYED), 0.25, 1, STALLED);
    /* 0.1 / planned >= 0.95 up to the largest double with that quotient, 0x1.af286bca1af29p-4
     * (0.10526315789473685; 0.1 / 0.10526315789473686 = 0.9499999999999998); >= 0.5 up to
     * 0.2 exactly (0.1 / 0.20000000000000004 < 0.5) */
    expect_number(entry(out, n, PLANNED, ON_TRACK), 0x1.af286bca1af29p-4, -1, DELAYED);
    expect_number(entry(out, n, PLANNED, DELAYED), 0.2, -1, STALLED);
    /* no reason to lift: deciding or the months change nothing */
    assert_false(entry(out, n, DECIDED, ON_TRACK)->found);
    assert_false(entry(out, n, DECIDED, DELAYED)->found);
    assert_false(entry(out, n, MONTHS, ON_TRACK)->found);
    assert_false(entry(out, n, MONTHS, DELAYED)->found);
    /* the facts are the caller's: unchanged */
    assert_true(v[ACTUAL].as.num == 0.1);
}

/* ratio 1.2 but the planning reason (months 20 > 12, not decided): stalled. */
static void strict_comparison_and_boolean(void **state)
{
    fixture *f = *state;
    eng_value v[NFACTS];
    set_facts(v, eng_num(0.6), 0.5, false, 20);
    eng_counterfactual out[16];
    int n = eng_counterfactuals(f->cf, f->ctx, v, out, 16);
    assert_int_equal(n, 8);
    /* months > 12 is false at 12 itself: 12 flips, 12.000000000000002 does not */
    expect_number(entry(out, n, MONTHS, ON_TRACK), 12.0, -1, STALLED);
    assert_false(entry(out, n, MONTHS, DELAYED)->found); /* on_track comes first */
    const eng_counterfactual *d = entry(out, n, DECIDED, ON_TRACK);
    assert_true(d->found);
    assert_int_equal(d->value.type, ENG_BOOL);
    assert_true(d->value.as.b);
    assert_false(entry(out, n, DECIDED, DELAYED)->found);
    /* with the reason, no progress helps */
    assert_false(entry(out, n, ACTUAL, ON_TRACK)->found);
    assert_false(entry(out, n, PLANNED, DELAYED)->found);
}

/* actual not reported: ratio null, stalled; searched from 0. */
static void null_fact(void **state)
{
    fixture *f = *state;
    eng_value v[NFACTS];
    set_facts(v, eng_null(), 0.5, true, 3);
    eng_counterfactual out[16];
    int n = eng_counterfactuals(f->cf, f->ctx, v, out, 16);
    assert_int_equal(n, 8);
    expect_number(entry(out, n, ACTUAL, ON_TRACK), 0.475, 1, DELAYED);
    expect_number(entry(out, n, ACTUAL, DELAYED), 0.25, 1, STALLED);
    /* planned 0 or less takes the other branch, ratio 1 without reading actual: on_track at
     * 0 itself (planned > 0 is false), not at the smallest positive double 0x1p-1074 */
    expect_number(entry(out, n, PLANNED, ON_TRACK), 0.0, -1, STALLED);
    assert_true(entry(out, n, PLANNED, ON_TRACK)->before == 0x1p-1074);
    assert_false(entry(out, n, PLANNED, DELAYED)->found);
}

/* on_track already: nothing to ask; delayed: only on_track; max cuts the writing, not the count */
static void first_category_and_max(void **state)
{
    fixture *f = *state;
    eng_value v[NFACTS];
    set_facts(v, eng_num(0.5), 0.5, true, 3);
    eng_counterfactual out[16];
    assert_int_equal(eng_counterfactuals(f->cf, f->ctx, v, out, 16), 0);
    set_facts(v, eng_num(0.3), 0.5, true, 3);
    int n = eng_counterfactuals(f->cf, f->ctx, v, out, 1);
    assert_int_equal(n, 4);
    assert_int_equal(out[0].fact, ACTUAL);
    expect_number(&out[0], 0.475, 1, DELAYED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(facts_read),
        cmocka_unit_test(ratio_in_numerator_and_denominator),
        cmocka_unit_test(strict_comparison_and_boolean),
        cmocka_unit_test(null_fact),
        cmocka_unit_test(first_category_and_max),
    };
    return cmocka_run_group_tests_name("counterfactual", tests, setup, teardown);
}
