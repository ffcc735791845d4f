/* test_set_option.c - `--set` values (cli/set_option.c): tables of arguments with the option they
 * give or the exact message they are refused with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "set_option.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void test_number(void **state)
{
    (void)state;
    static const struct {
        const char *arg;
        const char *name;
        double value;
    } good[] = {
        {"thresholds.on_track_ratio=0.9", "on_track_ratio", 0.9},
        {"thresholds.x=12", "x", 12},
        {"thresholds.a_1=-1.5e3", "a_1", -1500},
        {"thresholds.a=+.5", "a", 0.5},
        {"thresholds.a=5.", "a", 5},
        {"thresholds.a=1E-2", "a", 0.01},
        {"thresholds.a=0.30000000000000004", "a", 0.30000000000000004}, /* as given */
        {"thresholds.a=1e-400", "a", 0},                                /* underflow: 0 */
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        set_option o;
        char err[SET_ERROR_MAX] = "";
        int rc = set_option_parse(good[i].arg, false, &o, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "%s: %s\n", good[i].arg, err);
        assert_int_equal(rc, 0);
        assert_string_equal(o.name, good[i].name);
        assert_true(o.from == good[i].value && o.to == good[i].value);
        assert_int_equal(o.npoints, 1);
        assert_true(set_option_value(&o, 0) == good[i].value);
        set_option_cleanup(&o);
        set_option_cleanup(&o); /* twice is harmless */
    }
}

static void test_range(void **state)
{
    (void)state;
    static const struct {
        const char *arg;
        int npoints;
        double first, last;
    } good[] = {
        {"thresholds.r=0.5:1:0.05", 11, 0.5, 1},
        {"thresholds.r=0.5:0.95:0.05", 10, 0.5, 0.95}, /* 0.5 + 9 * 0.05 = 0.9500000000000001 */
        {"thresholds.r=0:1:0.1", 11, 0, 1},            /* 0.30000000000000004 taken as 0.3 */
        {"thresholds.r=0.9:0.9:0.1", 1, 0.9, 0.9},
        /* FROM with 16 significant digits: the point is FROM, not FROM at 15 digits (above TO) */
        {"thresholds.r=0.1234567890123456:0.1234567890123456:1", 1, 0.1234567890123456,
         0.1234567890123456},
        {"thresholds.r=0:0.99:0.5", 2, 0, 0.5}, /* never beyond TO */
        {"thresholds.r=-1:1:1", 3, -1, 1},
        {"thresholds.r=0:9999:1", 10000, 0, 9999}, /* the limit itself */
        {"thresholds.r=1:2:3", 1, 1, 1},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        set_option o;
        char err[SET_ERROR_MAX] = "";
        int rc = set_option_parse(good[i].arg, true, &o, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "%s: %s\n", good[i].arg, err);
        assert_int_equal(rc, 0);
        assert_string_equal(o.name, "r");
        assert_int_equal(o.npoints, good[i].npoints);
        assert_true(set_option_value(&o, 0) == good[i].first);
        assert_true(set_option_value(&o, o.npoints - 1) == good[i].last);
        for (int p = 1; p < o.npoints; p++)
            assert_true(set_option_value(&o, p) > set_option_value(&o, p - 1));
        set_option_cleanup(&o);
    }
    /* every value of 0:1:0.1 is the decimal one, not a sum that drifted */
    set_option o;
    char err[SET_ERROR_MAX];
    assert_int_equal(set_option_parse("thresholds.r=0:1:0.1", true, &o, err, sizeof err), 0);
    static const double tenths[] = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};
    for (int p = 0; p < 11; p++)
        assert_true(set_option_value(&o, p) == tenths[p]);
    set_option_cleanup(&o);
}

static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *arg;
        bool range;
        const char *message;
    } bad[] = {
        {"on_track_ratio=0.9", false,
         "--set 'on_track_ratio=0.9': only thresholds can be set: write thresholds.NAME=NUMBER"},
        {"thresholds.on_track_ratio", false,
         "--set 'thresholds.on_track_ratio': expected thresholds.NAME=NUMBER"},
        {"thresholds.=1", false,
         "--set 'thresholds.=1': '' is not a threshold name (lowercase letters, digits and _, "
         "starting with a letter)"},
        {"thresholds.On=1", false,
         "--set 'thresholds.On=1': 'On' is not a threshold name (lowercase letters, digits and _, "
         "starting with a letter)"},
        {"thresholds.1a=1", false,
         "--set 'thresholds.1a=1': '1a' is not a threshold name (lowercase letters, digits and _, "
         "starting with a letter)"},
        {"thresholds.a=", false,
         "--set 'thresholds.a=': the value is empty: write a number such "
         "as 0.9"},
        {"thresholds.a=abc", false,
         "--set 'thresholds.a=abc': the value 'abc' is not a number (write e.g. 0.9, 12 or "
         "-1.5e3)"},
        {"thresholds.a=95%", false,
         "--set 'thresholds.a=95%': the value '95%' is not a number (write e.g. 0.9, 12 or "
         "-1.5e3)"},
        {"thresholds.a= 1", false,
         "--set 'thresholds.a= 1': the value ' 1' is not a number (write e.g. 0.9, 12 or "
         "-1.5e3)"},
        {"thresholds.a=nan", false,
         "--set 'thresholds.a=nan': the value 'nan' is not a number (write e.g. 0.9, 12 or "
         "-1.5e3)"},
        {"thresholds.a=0x10", false,
         "--set 'thresholds.a=0x10': the value '0x10' is not a number (write e.g. 0.9, 12 or "
         "-1.5e3)"},
        {"thresholds.a=1e", false,
         "--set 'thresholds.a=1e': the value '1e' is not a number (write e.g. 0.9, 12 or "
         "-1.5e3)"},
        {"thresholds.a=1e999", false,
         "--set 'thresholds.a=1e999': the value '1e999' is too large for a number"},
        {"thresholds.a=0.5:1:0.1", false,
         "--set 'thresholds.a=0.5:1:0.1': a range FROM:TO:STEP is for hyoka sweep; here give one "
         "NUMBER"},
        {"thresholds.a=0.5", true,
         "--set 'thresholds.a=0.5': hyoka sweep takes a range FROM:TO:STEP, e.g. "
         "thresholds.a=0.5:1:0.05"},
        {"thresholds.a=0.5:1", true,
         "--set 'thresholds.a=0.5:1': expected FROM:TO:STEP, three numbers, e.g. "
         "thresholds.a=0.5:1:0.05"},
        {"thresholds.a=0.5:1:0.1:2", true,
         "--set 'thresholds.a=0.5:1:0.1:2': expected FROM:TO:STEP, three numbers, e.g. "
         "thresholds.a=0.5:1:0.05"},
        {"thresholds.a=:1:0.1", true,
         "--set 'thresholds.a=:1:0.1': FROM is empty: write a number such as 0.9"},
        {"thresholds.a=0:x:0.1", true,
         "--set 'thresholds.a=0:x:0.1': TO 'x' is not a number (write e.g. 0.9, 12 or -1.5e3)"},
        {"thresholds.a=0:1:", true,
         "--set 'thresholds.a=0:1:': STEP is empty: write a number such as 0.9"},
        {"thresholds.a=0:1:0", true,
         "--set 'thresholds.a=0:1:0': STEP is 0: it must be greater than 0"},
        {"thresholds.a=0:1:-0.1", true,
         "--set 'thresholds.a=0:1:-0.1': STEP is -0.1: it must be greater than 0"},
        {"thresholds.a=1:0:0.1", true, "--set 'thresholds.a=1:0:0.1': FROM 1 is greater than TO 0"},
        {"thresholds.a=0:1:0.0001", true,
         "--set 'thresholds.a=0:1:0.0001': that is 10000 values or more, more than 10000: take a "
         "larger STEP or a narrower range"},
        {"thresholds.a=0:10000:1", true,
         "--set 'thresholds.a=0:10000:1': that is 10000 values or more, more than 10000: take a "
         "larger STEP or a narrower range"},
        {"thresholds.a=-1e308:1e308:1", true,
         "--set 'thresholds.a=-1e308:1e308:1': that is inf values or more, more than 10000: take "
         "a larger STEP or a narrower range"},
        {"thresholds.a=1:1.000000000001:1e-15", true,
         "--set 'thresholds.a=1:1.000000000001:1e-15': STEP 1e-15 is too small for values near "
         "1: they repeat at 15 significant digits"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        set_option o;
        char err[SET_ERROR_MAX] = "";
        assert_int_equal(set_option_parse(bad[i].arg, bad[i].range, &o, err, sizeof err), -1);
        assert_string_equal(err, bad[i].message);
        assert_null(o.name); /* nothing to free after a failure */
    }
}

/* A long argument is quoted cut; a small buffer gets a cut message, still NUL-terminated. */
static void test_long_and_small(void **state)
{
    (void)state;
    char arg[300];
    memset(arg, 'a', sizeof arg);
    memcpy(arg, "thresholds.", 11);
    arg[sizeof arg - 1] = '\0';
    set_option o;
    char err[SET_ERROR_MAX];
    assert_int_equal(set_option_parse(arg, false, &o, err, sizeof err), -1);
    assert_true(strlen(err) < 250);
    assert_non_null(strstr(err, "…': expected thresholds.NAME=NUMBER"));
    char tiny[8];
    assert_int_equal(set_option_parse("x", false, &o, tiny, sizeof tiny), -1);
    assert_string_equal(tiny, "--set '");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_long_and_small),
    };
    return cmocka_run_group_tests_name("set_option", tests, NULL, NULL);
}
