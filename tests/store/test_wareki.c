/* test_wareki.c - 和暦 labels: era boundaries, 元年, fiscal years, as-of labels, bad input. */
#include "wareki.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
    int y, m, d;
    const char *want; /* NULL: must fail */
} day_case;

static const day_case day_cases[] = {
    {2024, 10, 1, "令和6年10月1日"},
    {2019, 5, 1, "令和元年5月1日"},   /* first day of 令和 */
    {2019, 4, 30, "平成31年4月30日"}, /* last day of 平成 */
    {1989, 1, 8, "平成元年1月8日"},
    {1989, 1, 7, "昭和64年1月7日"},
    {2020, 1, 1, "令和2年1月1日"},
    {2024, 2, 29, "令和6年2月29日"}, /* leap day */
    {2023, 2, 29, NULL},             /* not a date */
    {2024, 13, 1, NULL},
    {2024, 4, 31, NULL},
    {1926, 12, 24, NULL}, /* before 昭和 */
};

static void test_day(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof day_cases / sizeof day_cases[0]; i++) {
        const day_case *c = &day_cases[i];
        char out[WAREKI_MAX];
        int n = wareki_day(c->y, c->m, c->d, out, sizeof out);
        if (c->want == NULL) {
            assert_int_equal(n, -1);
            assert_string_equal(out, "");
        } else {
            assert_string_equal(out, c->want);
            assert_int_equal(n, (int)strlen(c->want));
        }
    }
}

typedef struct {
    const char *iso;
    const char *month; /* wareki_month_iso */
    const char *as_of; /* wareki_as_of_iso */
} iso_case;

static const iso_case iso_cases[] = {
    {"2024-03-31", "令和6年3月", "令和5年度末"}, /* the seed: 令和5年度末 */
    {"2024-10-01", "令和6年10月", "令和6年10月"},
    {"2022-04-01", "令和4年4月", "令和4年4月"},
    {"2020-03-31", "令和2年3月", "令和元年度末"}, /* FY2019 = 令和元年度 */
    {"2019-03-31", "平成31年3月", "平成30年度末"},
    {"2019-04-15", "平成31年4月", "平成31年4月"},
    {"2019-05-31", "令和元年5月", "令和元年5月"},
    {"1989-03-31", "平成元年3月", "昭和63年度末"}, /* FY1988 is 昭和63年度 */
    {"2024-3-31", NULL, NULL},                     /* not YYYY-MM-DD */
    {"2024-03-31x", NULL, NULL},
    {"abcd-ef-gh", NULL, NULL},
    {"", NULL, NULL},
};

static void test_iso(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof iso_cases / sizeof iso_cases[0]; i++) {
        const iso_case *c = &iso_cases[i];
        char out[WAREKI_MAX];
        int n = wareki_month_iso(c->iso, out, sizeof out);
        if (c->month == NULL) {
            assert_int_equal(n, -1);
        } else {
            assert_string_equal(out, c->month);
        }
        n = wareki_as_of_iso(c->iso, out, sizeof out);
        if (c->as_of == NULL) {
            assert_int_equal(n, -1);
            assert_string_equal(out, "");
        } else {
            assert_string_equal(out, c->as_of);
            assert_int_equal(n, (int)strlen(c->as_of));
        }
    }
    assert_false(wareki_parse_iso(NULL, &(int){0}, &(int){0}, &(int){0}));
}

typedef struct {
    int fy;
    const char *want;
} fy_case;

static const fy_case fy_cases[] = {
    {2023, "令和5年度"}, {2019, "令和元年度"}, {2018, "平成30年度"},
    {2025, "令和7年度"}, {1989, "平成元年度"}, {1988, "昭和63年度"},
    {1927, "昭和2年度"}, {1926, NULL},         {0, NULL},
};

static void test_fiscal_year(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fy_cases / sizeof fy_cases[0]; i++) {
        char out[WAREKI_MAX];
        int n = wareki_fiscal_year(fy_cases[i].fy, out, sizeof out);
        if (fy_cases[i].want == NULL)
            assert_int_equal(n, -1);
        else
            assert_string_equal(out, fy_cases[i].want);
    }
}

/* A buffer too small is an error with "", never a truncated label. */
static void test_small_buffer(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(wareki_as_of(2024, 3, 31, out, sizeof out), -1);
    assert_string_equal(out, "");
    char exact[sizeof "令和5年度末"];
    assert_int_equal(wareki_as_of(2024, 3, 31, exact, sizeof exact), (int)strlen("令和5年度末"));
    assert_string_equal(exact, "令和5年度末");
    char one_less[sizeof "令和5年度末" - 1];
    assert_int_equal(wareki_as_of(2024, 3, 31, one_less, sizeof one_less), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day),
        cmocka_unit_test(test_iso),
        cmocka_unit_test(test_fiscal_year),
        cmocka_unit_test(test_small_buffer),
    };
    return cmocka_run_group_tests_name("wareki", tests, NULL, NULL);
}
