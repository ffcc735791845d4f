/* test_sweep.c - the incremental sweep (store/sweep.c) equals evaluating every value in full:
 * the same points (counts), the same changes (initiative, value, from, to), the same JSON, for
 * every threshold of config/rules/default.cfg and of tests/store/sweep/shapes.cfg (every kind of
 * comparison it bounds), over generated facts with many ties at the swept values (ratios of
 * quarters and twentieths, whole months, nulls), with values ascending, descending and shuffled;
 * and for rule files where a threshold has no cut (arithmetic.cfg, dependent.cfg) it says why and
 * takes full passes. The evaluations a continuation will take, counted beforehand
 * (store_sweep_continue_cost, the API's budget), are the evaluations it takes. Hand-computed
 * counts on a few initiatives pin the reference itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine.h"
#include "json_eng.h"
#include "sweep.h"
#include "xalloc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SWEEP_DIR
#error "SWEEP_DIR must name the source tree"
#endif

static uint64_t rng;
static double uniform(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717u) >> 11) / 9007199254740992.0;
}

/* A value with many ties: one of a few decimals most of the time. */
static double tied(double scale)
{
    static const double common[] = {0, 0.05, 0.25, 0.5, 0.75, 0.8, 0.95, 1, 1.5, 2};
    if (uniform() < 0.5)
        return common[(int)(uniform() * 10) % 10] * scale;
    return uniform() * 2 * scale;
}

typedef struct data {
    int n, nslots;
    eng_value *rows;
    char **codes;
} data;

static data generate(const eng_schema *schema, int n, uint64_t seed)
{
    rng = seed;
    data d = {n, eng_schema_count(schema), NULL, NULL};
    d.rows = xcalloc((size_t)n * (size_t)d.nslots, sizeof *d.rows);
    d.codes = xcalloc((size_t)n, sizeof *d.codes);
    for (int i = 0; i < n; i++) {
        char code[32];
        snprintf(code, sizeof code, "T-%d", (i * 7919) % n + 1); /* not in row order */
        d.codes[i] = xstrdup(code);
        eng_value *f = d.rows + (size_t)i * (size_t)d.nslots;
        for (int s = 0; s < d.nslots; s++) {
            const char *name = eng_schema_name(schema, s);
            if (uniform() < 0.08) {
                f[s] = eng_null();
                continue;
            }
            switch (eng_schema_type(schema, s)) {
            case ENG_NUM:
                f[s] =
                    eng_num(strcmp(name, "months_since_start") == 0 ? (double)(int)(uniform() * 48)
                            : strcmp(name, "cost_benefit") == 0     ? tied(1.5)
                            : strcmp(name, "planned_progress") == 0 ? tied(0.5)
                                                                    : tied(0.5));
                break;
            case ENG_BOOL:
                f[s] = eng_bool(uniform() < 0.6);
                break;
            case ENG_STR:
                f[s] = eng_str("x");
                break;
            default:
                f[s] = eng_null();
            }
        }
    }
    return d;
}

static void data_free(data *d)
{
    for (int i = 0; i < d->n; i++)
        free(d->codes[i]);
    free(d->codes);
    free(d->rows);
}

static eng_rules *load(const char *path, eng_schema *schema)
{
    eng_diags *diags = eng_diags_new();
    eng_rules *r = eng_rules_load_file(path, schema, diags);
    if (r == NULL)
        eng_diags_print(diags, stderr);
    eng_diags_free(diags);
    assert_non_null(r);
    return r;
}

static char *json_text(const store_sweep *s)
{
    strbuf b = {0};
    store_sweep_write_json(s, &b);
    char *t = xstrdup(b.data);
    strbuf_cleanup(&b);
    return t;
}

/* Both sweeps give the same answer. */
static void assert_same(const store_sweep *a, const store_sweep *b)
{
    assert_true(json_equal((json_t *)store_sweep_points(a), (json_t *)store_sweep_points(b)));
    assert_int_equal(store_sweep_file_point(a), store_sweep_file_point(b));
    assert_int_equal(store_sweep_nflips(a), store_sweep_nflips(b));
    for (size_t i = 0; i < store_sweep_nflips(a); i++) {
        store_sweep_flip x = store_sweep_flip_at(a, i), y = store_sweep_flip_at(b, i);
        assert_string_equal(x.code, y.code);
        assert_int_equal(x.point, y.point);
        assert_int_equal(x.from, y.from);
        assert_int_equal(x.to, y.to);
    }
    char *ta = json_text(a), *tb = json_text(b);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
}

/* Value lists: FROM + i * STEP as decimals, ascending, descending and shuffled. */
enum { MAXV = 128 };
static int values_of(int kind, double *v)
{
    int n = 0;
    if (kind == 0 || kind == 2)
        for (int i = 0; i <= 80; i++)
            v[n++] = -1.0 + i * 5 / 100.0; /* -1 .. 3 by 0.05 */
    else
        for (int i = 50; i >= 0; i--)
            v[n++] = (double)i;   /* 50 .. 0 by 1 */
    for (int i = 0; i < n; i++) { /* as the CLI gives them: the decimal with 15 digits */
        char text[32];
        snprintf(text, sizeof text, "%.15g", v[i]);
        v[i] = strtod(text, NULL);
    }
    if (kind == 2)
        for (int i = n - 1; i > 0; i--) {
            int j = (int)(uniform() * (i + 1));
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
    return n;
}

/* Every threshold of `file` swept over every value list, incremental against full passes. */
static void sweep_file(const char *file, bool incremental, const char *why)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SWEEP_DIR, file);
    eng_schema *schema = eng_schema_new_builtin();
    eng_rules *r = load(path, schema);
    static const uint64_t seeds[] = {0x9E3779B97F4A7C15u, 12345};
    int checked = 0, changes = 0;
    for (size_t d = 0; d < sizeof seeds / sizeof seeds[0]; d++) {
        data set = generate(schema, 1500, seeds[d]);
        for (int t = 0; t < eng_rules_threshold_count(r); t++) {
            const char *name = eng_rules_threshold_name(r, t);
            for (int kind = 0; kind < 3; kind++) {
                double v[MAXV];
                int n = values_of(kind, v);
                store_error err = {0};
                store_sweep *full =
                    store_sweep_run_rows(r, set.n, set.rows, (const char *const *)set.codes, name,
                                         v, n, STORE_SWEEP_MAX_FLIPS, true, &err);
                store_sweep *inc =
                    store_sweep_run_rows(r, set.n, set.rows, (const char *const *)set.codes, name,
                                         v, n, STORE_SWEEP_MAX_FLIPS, false, &err);
                assert_non_null(full);
                assert_non_null(inc);
                if (incremental) {
                    if (store_sweep_full_reason(inc) != NULL)
                        fprintf(stderr, "%s %s: %s\n", file, name, store_sweep_full_reason(inc));
                    assert_null(store_sweep_full_reason(inc));
                } else if (strcmp(name, "t") == 0 || strcmp(name, "on_track_ratio") == 0) {
                    assert_non_null(store_sweep_full_reason(inc));
                    assert_non_null(strstr(store_sweep_full_reason(inc), why));
                }
                assert_same(full, inc);
                /* the cost counted beforehand is the work done: the API's budget */
                assert_int_equal(store_sweep_evaluations(full), (long)set.n * n);
                store_sweep *one =
                    store_sweep_run_rows(r, set.n, set.rows, (const char *const *)set.codes, name,
                                         v, 1, STORE_SWEEP_MAX_FLIPS, false, &err);
                assert_non_null(one);
                assert_int_equal(store_sweep_evaluations(one), set.n);
                long cost = store_sweep_continue_cost(one, v + 1, n - 1);
                store_sweep *cont =
                    store_sweep_continue(one, v + 1, n - 1, STORE_SWEEP_MAX_FLIPS, &err);
                assert_non_null(cont);
                assert_int_equal(store_sweep_evaluations(cont), cost);
                assert_int_equal(store_sweep_evaluations(inc), set.n + cost);
                if (store_sweep_full_reason(inc) == NULL)
                    assert_true(cost < (long)set.n * (n - 1)); /* fewer than full passes */
                else
                    assert_int_equal(cost, (long)set.n * (n - 1));
                store_sweep_free(cont);
                store_sweep_free(one);
                changes += (int)store_sweep_nflips(full);
                checked++;
                store_sweep_free(full);
                store_sweep_free(inc);
            }
        }
        data_free(&set);
    }
    assert_true(checked >= 6);
    assert_true(changes > 100); /* the sweeps did change categories */
    eng_rules_free(r);
    eng_schema_free(schema);
}

static void test_default(void **state)
{
    (void)state;
    sweep_file("config/rules/default.cfg", true, NULL);
}

static void test_shapes(void **state)
{
    (void)state;
    sweep_file("tests/store/sweep/shapes.cfg", true, NULL);
}

static void test_arithmetic_fallback(void **state)
{
    (void)state;
    sweep_file("tests/store/sweep/arithmetic.cfg", false,
               "arithmetic.cfg:11: thresholds.on_track_ratio is read in arithmetic");
}

static void test_dependent_fallback(void **state)
{
    (void)state;
    sweep_file("tests/store/sweep/dependent.cfg", false,
               "thresholds.t is compared with something other than");
}

/* store_sweep_continue (the planner's API) from an incremental sweep equals a full sweep of all
 * the values; and the limit on changes refuses both alike. */
static void test_continue_and_limit(void **state)
{
    (void)state;
    eng_schema *schema = eng_schema_new_builtin();
    char path[512];
    snprintf(path, sizeof path, "%s/config/rules/default.cfg", SWEEP_DIR);
    eng_rules *r = load(path, schema);
    data d = generate(schema, 2000, 777);
    const char *const *codes = (const char *const *)d.codes;
    double v[] = {0.95, 0.7, 1.2, 0.5, 0.95, 0.05};
    store_error err = {0};
    store_sweep *full =
        store_sweep_run_rows(r, d.n, d.rows, codes, "on_track_ratio", v, 6, 100000, true, &err);
    store_sweep *base =
        store_sweep_run_rows(r, d.n, d.rows, codes, "on_track_ratio", v, 2, 100000, false, &err);
    assert_non_null(base);
    store_sweep *cont = store_sweep_continue(base, v + 2, 4, 100000, &err);
    store_sweep_free(base); /* the continuation keeps what it needs */
    assert_non_null(cont);
    assert_null(store_sweep_full_reason(cont));
    /* cont starts at v[1]: compare its points with full's from there */
    const json_t *pf = store_sweep_points(full), *pc = store_sweep_points(cont);
    assert_int_equal(json_array_size(pc), 5);
    for (size_t i = 0; i < 5; i++)
        assert_true(json_equal(json_array_get(pf, i + 1), json_array_get(pc, i)));
    assert_int_equal(store_sweep_file_point(cont), 3); /* 0.95 again */
    store_sweep_free(cont);
    /* from a sweep of one value (the API's baseline), which found no cuts yet: twice, the
     * second continuation reusing the cuts the first found */
    store_sweep *one =
        store_sweep_run_rows(r, d.n, d.rows, codes, "on_track_ratio", v, 1, 100000, false, &err);
    assert_non_null(one);
    for (int k = 0; k < 2; k++) {
        cont = store_sweep_continue(one, v + 1, 5, 100000, &err);
        assert_non_null(cont);
        assert_null(store_sweep_full_reason(cont));
        assert_true(
            json_equal((json_t *)store_sweep_points(full), (json_t *)store_sweep_points(cont)));
        assert_int_equal(store_sweep_nflips(cont), store_sweep_nflips(full));
        store_sweep_free(cont);
    }
    store_sweep_free(one);
    size_t nflips = store_sweep_nflips(full);
    assert_true(nflips > 10);
    store_sweep_free(full);
    /* one change fewer than there are: both refuse with the same message */
    store_error e1 = {0}, e2 = {0};
    assert_null(
        store_sweep_run_rows(r, d.n, d.rows, codes, "on_track_ratio", v, 6, nflips - 1, true, &e1));
    assert_null(store_sweep_run_rows(r, d.n, d.rows, codes, "on_track_ratio", v, 6, nflips - 1,
                                     false, &e2));
    assert_string_equal(e1.message, e2.message);
    /* an unknown threshold: the engine's message either way */
    assert_null(store_sweep_run_rows(r, d.n, d.rows, codes, "nope", v, 2, 10, false, &e1));
    assert_null(store_sweep_run_rows(r, d.n, d.rows, codes, "nope", v, 2, 10, true, &e2));
    assert_string_equal(e1.message, e2.message);
    data_free(&d);
    eng_rules_free(r);
    eng_schema_free(schema);
}

/* Hand-computed: three initiatives, on_track_ratio over 0.4, 0.6, 0.8, 1.0 with the default
 * rules (reasons none: cost_benefit 2, plan decided, no change of context). Progress ratios
 * 0.5, 0.8 (exactly at a value: >= holds there), 1.0. */
static void test_hand_computed(void **state)
{
    (void)state;
    eng_schema *schema = eng_schema_new_builtin();
    char path[512];
    snprintf(path, sizeof path, "%s/config/rules/default.cfg", SWEEP_DIR);
    eng_rules *r = load(path, schema);
    int ns = eng_schema_count(schema);
    eng_value *rows = xcalloc((size_t)ns * 3, sizeof *rows);
    static const double actual[] = {0.25, 0.4, 0.5};
    for (int i = 0; i < 3; i++) {
        eng_value *f = rows + (size_t)i * (size_t)ns;
        f[eng_schema_find(schema, "planned_progress")] = eng_num(0.5);
        f[eng_schema_find(schema, "actual_progress")] = eng_num(actual[i]);
        f[eng_schema_find(schema, "cost_benefit")] = eng_num(2);
        f[eng_schema_find(schema, "plan_decided")] = eng_bool(true);
        f[eng_schema_find(schema, "context_changed")] = eng_bool(false);
        f[eng_schema_find(schema, "months_since_start")] = eng_num(3);
    }
    const char *codes[] = {"A-1", "A-2", "A-3"};
    double v[] = {0.4, 0.6, 0.8, 1.0};
    for (int full = 0; full < 2; full++) {
        store_error err = {0};
        store_sweep *s =
            store_sweep_run_rows(r, 3, rows, codes, "on_track_ratio", v, 4, 100, full, &err);
        assert_non_null(s);
        /* on_track counts: 0.4 -> 3, 0.6 -> 2, 0.8 -> 2, 1.0 -> 1 */
        static const int on_track[] = {3, 2, 2, 1};
        for (int p = 0; p < 4; p++) {
            const json_t *cats =
                json_object_get(json_array_get(store_sweep_points(s), p), "categories");
            assert_int_equal(json_integer_value(json_object_get(json_array_get(cats, 0), "count")),
                             on_track[p]);
        }
        /* A-1 (0.5) to delayed at 0.6; A-2 (0.8) to delayed at 1.0 */
        assert_int_equal(store_sweep_nflips(s), 2);
        store_sweep_flip f = store_sweep_flip_at(s, 0);
        assert_string_equal(f.code, "A-1");
        assert_int_equal(f.point, 1);
        assert_int_equal(f.from, 0);
        assert_int_equal(f.to, 1);
        f = store_sweep_flip_at(s, 1);
        assert_string_equal(f.code, "A-2");
        assert_int_equal(f.point, 3);
        store_sweep_free(s);
    }
    free(rows);
    eng_rules_free(r);
    eng_schema_free(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_arithmetic_fallback),
        cmocka_unit_test(test_dependent_fallback),
        cmocka_unit_test(test_continue_and_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
