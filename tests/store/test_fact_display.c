/* test_fact_display.c - facts written for people: each display kind of sql/016's fact_labels with
 * its unit, rounding half away from zero on the decimal value, nulls, mismatched types, and the
 * order and shape of the API's fact_display list. */
#include "fact_display.h"
#include "json_eng.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
    const char *json; /* the stored value */
    const char *display;
    const char *unit;
    const char *want;
} text_case;

static const text_case text_cases[] = {
    {"0.79", "percent", "%", "79 %"},
    {"0.425", "percent", "%", "42.5 %"},
    {"0.12345", "percent", "%", "12.3 %"},
    {"0.00125", "percent", "%", "0.1 %"}, /* 0.125 % → 0.1 (half away from zero on 0.125) */
    {"0.00135", "percent", "%", "0.1 %"},
    {"0.00145", "percent", "%", "0.1 %"},
    {"0.00155", "percent", "%", "0.2 %"},
    {"1.5", "percent", "%", "150 %"},
    {"-0.25", "percent", "%", "-25 %"},
    {"0", "percent", "%", "0 %"},
    {"1200000", "yen", "円", "1,200,000 円"},
    {"999", "yen", "円", "999 円"},
    {"1000", "yen", "円", "1,000 円"},
    {"123456789.5", "yen", "円", "123,456,790 円"},
    {"-1500", "yen", "円", "-1,500 円"},
    {"11", "count", "か月", "11 か月"},
    {"0.3602", "number", "倍", "0.36 倍"},
    {"0.365", "number", "倍", "0.37 倍"}, /* 0.365 is 0.36499… in binary: rounds on the decimal */
    {"2", "number", "倍", "2 倍"},
    {"12345.678", "number", NULL, "12,345.68"},
    {"61.5", "score", "点", "61.5 点"},
    {"61", "score", "点", "61.0 点"},
    {"-365", "due_days", "日", "期限まで 365 日"},
    {"-1", "due_days", "日", "期限まで 1 日"},
    {"0", "due_days", "日", "期限当日"},
    {"30", "due_days", "日", "期限を 30 日超過"},
    {"1200", "due_days", NULL, "期限を 1,200 日超過"},
    {"true", "yes_no", NULL, "はい"},
    {"false", "yes_no", NULL, "いいえ"},
    {"null", "percent", "%", "値なし"},
    {"null", "yes_no", NULL, "値なし"},
    {"null", "text", NULL, "値なし"},
    {"\"情報政策課、市民課\"", "text", NULL, "情報政策課、市民課"},
    {"\"stalled\"", "category", NULL, "stalled"}, /* no rule set: the id */
    /* no kind (a fact without a fact_labels row) or one that does not fit: by the value's type */
    {"0.123456", NULL, NULL, "0.1235"},
    {"1234567", NULL, NULL, "1,234,567"},
    {"true", NULL, NULL, "はい"},
    {"true", "percent", "%", "はい"},
    {"\"x\"", "yen", "円", "x"},
    {"5", "text", "件", "5 件"},
    {"5", "unknown_kind", NULL, "5"},
};

static void test_texts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++) {
        const text_case *c = &text_cases[i];
        json_t *v = json_loads(c->json, JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        char buf[256];
        const char *got = fact_display_text(v, c->display, c->unit, NULL, buf, sizeof buf);
        if (strcmp(got, c->want) != 0)
            fail_msg("%s as %s %s: got '%s', want '%s'", c->json, c->display ? c->display : "-",
                     c->unit ? c->unit : "-", got, c->want);
        json_decref(v);
    }
}

/* A unit that does not fit the buffer is cut at a character, never inside one. */
static void test_cut_unit(void **state)
{
    (void)state;
    json_t *v = json_integer(1);
    char buf[8]; /* "1 " + two 3-byte characters would need 9 */
    const char *got = fact_display_text(v, "count", "かか", NULL, buf, sizeof buf);
    assert_string_equal(got, "1 か");
    json_decref(v);
}

static void test_list(void **state)
{
    (void)state;
    eng_schema *s = eng_schema_new();
    assert_int_equal(eng_schema_add(s, "initiative_code", ENG_STR, NULL), 0);
    assert_int_equal(eng_schema_add(s, "actual_progress", ENG_NUM, NULL), 1);
    assert_int_equal(eng_schema_add(s, "city_extra", ENG_NUM, NULL), 2); /* no label row */
    assert_int_equal(eng_schema_add(s, "reported_reason", ENG_STR, NULL), 3);
    eng_schema_set_label(s, 0, "取組コード");
    eng_schema_set_display(s, 0, NULL, "text", 3);
    eng_schema_set_label(s, 1, "進捗率");
    eng_schema_set_display(s, 1, "%", "percent", 2);
    eng_schema_set_label(s, 3, "所管課が報告した理由");
    eng_schema_set_display(s, 3, NULL, "text", 1);
    json_t *facts = json_loads("{\"initiative_code\": \"1-2-03\", \"actual_progress\": 0.79, "
                               "\"reported_reason\": \"調整中\"}",
                               0, NULL);
    json_t *list = fact_display_list(s, facts, NULL);
    char *text = json_dumps(list, JENG_DUMP_FLAGS);
    assert_string_equal(
        text, "[{\"name\":\"reported_reason\",\"label\":\"所管課が報告した理由\",\"unit\":null,"
              "\"display\":\"text\",\"value\":\"調整中\",\"text\":\"調整中\"},"
              "{\"name\":\"actual_progress\",\"label\":\"進捗率\",\"unit\":\"%\","
              "\"display\":\"percent\",\"value\":0.79,\"text\":\"79 %\"},"
              "{\"name\":\"initiative_code\",\"label\":\"取組コード\",\"unit\":null,"
              "\"display\":\"text\",\"value\":\"1-2-03\",\"text\":\"1-2-03\"},"
              "{\"name\":\"city_extra\",\"label\":\"city_extra\",\"unit\":null,"
              "\"display\":null,\"value\":null,\"text\":\"値なし\"}]");
    free(text);
    json_decref(list);
    json_decref(facts);
    eng_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_texts),
        cmocka_unit_test(test_cut_unit),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests_name("fact_display", tests, NULL, NULL);
}
