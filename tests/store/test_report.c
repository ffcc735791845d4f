/* test_report.c - the report's pure pieces: the order of roadmap codes, a KPI's lines (latest
 * value labelled, the as-of value, target and attainment), thousands grouping, and the kinds of
 * report_texts.csv rows. */
#include "code_order.h"
#include "narrative.h"
#include "report.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void code_order(void **state)
{
    (void)state;
    static const char *const ordered[] = {
        "1-2", "1-3-01", "1-10", "1-14-01", "1-16-01", "2", "2-1-01", "10-1", "a-1", "a-01-x",
    };
    size_t n = sizeof ordered / sizeof ordered[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int c = code_order_cmp(ordered[i], ordered[j]);
            int want = (i > j) - (i < j);
            if ((c > 0) - (c < 0) != want)
                fail_msg("code_order_cmp(%s, %s) = %d, want sign %d", ordered[i], ordered[j], c,
                         want);
        }
    }
    /* equal by value, ordered by bytes, so the order is total */
    assert_true(code_order_cmp("1-02", "1-2") < 0);
    assert_true(code_order_cmp("1-2", "1-02") > 0);
    assert_int_equal(code_order_cmp("1-2", "1-2"), 0);
    /* the text order gets this wrong: the reason the report sorts in C */
    assert_true(strcmp("1-14-01", "1-3-01") < 0);
    assert_true(code_order_cmp("1-14-01", "1-3-01") > 0);
    /* long digit runs compare by length, not by overflowing */
    assert_true(code_order_cmp("1-99999999999999999999", "1-100000000000000000000") < 0);

    /* pairs (formerly the server's own comparator's table: one order for every view now) */
    static const struct {
        const char *a, *b;
        int sign;
    } cases[] = {
        {"1-2", "1-10", -1},  {"1-10", "1-2", 1},       {"1-2", "1-2", 0},
        {"1-2", "1-2-1", -1}, {"9", "10", -1},          {"B-1-2", "B-1-10", -1},
        {"1-2-03", "1-2-3", -1}, {"1-2-3", "1-2-03", 1}, {"a", "b", -1},
        {"1a", "1b", -1},     {"2-1", "10-1", -1},      {"", "1", -1},
        {"1-2-99", "1-3-1", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int c = code_order_cmp(cases[i].a, cases[i].b);
        if ((c > 0) - (c < 0) != cases[i].sign)
            fail_msg("code_order_cmp(%s, %s) = %d, want sign %d", cases[i].a, cases[i].b, c,
                     cases[i].sign);
    }

    const char *codes[] = {"1-16-01", "1-3-01", "1-14-01"};
    qsort(codes, 3, sizeof codes[0], code_order_qsort);
    assert_string_equal(codes[0], "1-3-01");
    assert_string_equal(codes[1], "1-14-01");
    assert_string_equal(codes[2], "1-16-01");
}

static kpi_obs obs(const char *text, const char *date)
{
    kpi_obs o = {0};
    if (text == NULL)
        return o;
    o.present = true;
    o.text = text;
    o.value = strtod(text, NULL);
    snprintf(o.date, sizeof o.date, "%s", date != NULL ? date : "");
    return o;
}

typedef struct line_case {
    const char *name;
    const char *unit;
    const char *base, *base_date, *target, *target_date, *at, *at_date, *later, *later_date;
    double attainment; /* NAN: none */
    const char *prefix;
    const char *want_latest, *want_at;
} line_case;

static const line_case line_cases[] = {
    {"a later value: quoted as the latest, with its month; the as-of value below", "%", "41.4",
     "2022-04-30", "90", "2026-03-31", "75.2", "2024-03-31", "79.1", "2024-10-31", 0.69547, NULL,
     "令和6年10月 79.1%（最新値。基準：令和4年4月 41.4%）",
     "調査時点 令和6年3月 75.2%、目標 90%（令和8年3月）、達成率 69.5%"},
    {"no later value: the as-of value, labelled so", "時間/年", "0", "2021-04-01", "8000",
     "2026-03-31", "6841", "2024-03-31", NULL, NULL, 0.855125, NULL,
     "令和6年3月 6,841時間/年（調査時点の値。基準：令和3年4月 0時間/年）",
     "目標 8,000時間/年（令和8年3月）、達成率 85.5%"},
    {"several KPIs in one figure: each line begins with its title", "業務", "0", "2021-04-01",
     "100", "2026-03-31", "88", "2024-03-31", NULL, NULL, 0.88, "RPA導入業務数",
     "RPA導入業務数 令和6年3月 88業務（調査時点の値。基準：令和3年4月 0業務）",
     "目標 100業務（令和8年3月）、達成率 88.0%"},
    {"only a later value: no as-of value and no attainment", "人", "0", "2023-04-01", "10", NULL,
     NULL, NULL, "6", "2024-09-30", -1, NULL, "令和6年9月 6人（最新値。基準：令和5年4月 0人）",
     "調査時点 実績値なし、目標 10人"},
    {"no observation, no baseline date, no unit", NULL, "3", NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, -1, NULL, "実績値なし（基準：3）", ""},
    {"nothing at all", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1, NULL,
     "実績値なし（基準値なし）", ""},
    {"rounding half away from zero on the decimal value; -0.0 shows as 0.0", "%", "0", NULL, "1",
     NULL, "0", "2024-03-31", NULL, NULL, -0.0004, NULL, "令和6年3月 0%（調査時点の値。基準：0%）",
     "目標 1%、達成率 0.0%"},
    {"a down KPI: attainment 40.8% although the value fell", "%", "100", "2022-03-31", "50",
     "2026-03-31", "79.6", "2024-03-31", "70.3", "2024-09-30", 0.408, NULL,
     "令和6年9月 70.3%（最新値。基準：令和4年3月 100%）",
     "調査時点 令和6年3月 79.6%、目標 50%（令和8年3月）、達成率 40.8%"},
};

static void kpi_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof line_cases / sizeof line_cases[0]; i++) {
        const line_case *t = &line_cases[i];
        kpi_figure k = {.code = "k", .title = "t", .unit = t->unit};
        k.baseline = obs(t->base, t->base_date);
        k.target = obs(t->target, t->target_date);
        k.at_as_of = obs(t->at, t->at_date);
        k.latest = obs(t->later, t->later_date);
        k.has_attainment = t->attainment > -1;
        k.attainment = t->attainment;
        char latest[512], at[512];
        report_kpi_lines(&k, t->prefix, latest, sizeof latest, at, sizeof at);
        if (strcmp(latest, t->want_latest) != 0 || strcmp(at, t->want_at) != 0)
            fail_msg("%s:\n got  '%s' / '%s'\n want '%s' / '%s'", t->name, latest, at,
                     t->want_latest, t->want_at);
    }
}

static void kpi_lines_cut_at_a_character(void **state)
{
    (void)state;
    kpi_figure k = {.code = "k", .title = "t", .unit = "%"};
    k.at_as_of = obs("75.2", "2024-03-31");
    char latest[20], at[8];
    report_kpi_lines(&k, NULL, latest, sizeof latest, at, sizeof at);
    assert_string_equal(latest, "令和6年3月 75.2"); /* 19 bytes: "%" did not fit */
    char small[10]; /* 令和6 is 7 bytes, 年 3 more: the cut falls inside 年 */
    report_kpi_lines(&k, NULL, small, sizeof small, at, sizeof at);
    assert_string_equal(small, "令和6");
    report_kpi_lines(&k, "マイナンバー", latest, sizeof latest, at, sizeof at);
    assert_string_equal(latest, "マイナンバー "); /* 19 bytes: the next character did not fit */
}

static void grouped(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"6841", "6,841"}, {"79.1", "79.1"}, {"100", "100"}, {"1234567.25", "1,234,567.25"},
        {"-1234", "-1,234"}, {"0", "0"}, {"999", "999"}, {"1000", "1,000"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(report_grouped(cases[i][0], out, sizeof out), cases[i][1]);
    assert_string_equal(report_grouped(NULL, out, sizeof out), "-");
    char small[8];
    report_grouped("123456789", small, sizeof small); /* does not fit: cut with a mark */
    assert_true(strlen(small) < sizeof small);
}

static void narrative_kinds(void **state)
{
    (void)state;
    assert_string_equal(narrative_kind("theme"), "theme");
    assert_string_equal(narrative_kind("THEME"), "theme");
    assert_string_equal(narrative_kind("テーマ"), "theme");
    assert_string_equal(narrative_kind("今後の方向性"), "outlook");
    assert_string_equal(narrative_kind("指標"), "figure");
    assert_null(narrative_kind("chapter"));
    assert_null(narrative_kind(""));
    assert_null(narrative_kind(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(code_order),
        cmocka_unit_test(kpi_lines),
        cmocka_unit_test(kpi_lines_cut_at_a_character),
        cmocka_unit_test(grouped),
        cmocka_unit_test(narrative_kinds),
    };
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
