/* test_json_eng.c - engine values <-> JSON: numbers, fact schemas and stored facts round-trip. */
#include "json_eng.h"
#include "xalloc.h"

#include <math.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
    double x;
    const char *want; /* as dumped with JENG_DUMP_FLAGS */
} number_case;

static const number_case number_cases[] = {
    {1.0, "1"},     {-3.0, "-3"}, {0.5, "0.5"},     {78.1, "78.1"},
    {61.5, "61.5"}, {0.1, "0.1"}, {1e300, "1e300"}, {9007199254740992.0, "9.00719925474099e15"},
};

static void test_numbers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof number_cases / sizeof number_cases[0]; i++) {
        json_t *arr = json_array();
        json_array_append_new(arr, jeng_number(number_cases[i].x));
        char *s = json_dumps(arr, JENG_DUMP_FLAGS);
        char want[64];
        snprintf(want, sizeof want, "[%s]", number_cases[i].want);
        assert_string_equal(s, want);
        free(s);
        json_decref(arr);
    }
    json_t *n = jeng_number(NAN);
    assert_true(json_is_null(n));
    json_decref(n);
    n = jeng_number(INFINITY);
    assert_true(json_is_null(n));
    json_decref(n);
}

/* Stored facts are dumped with 17 digits: parsing them back gives the same double. */
static void test_store_precision(void **state)
{
    (void)state;
    const double xs[] = {0.1, 1.0 / 3.0, 0.41780821917808219, 2.0 / 3.0 * 1e-7};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        json_t *arr = json_array();
        json_array_append_new(arr, jeng_number(xs[i]));
        char *s = json_dumps(arr, JENG_STORE_FLAGS);
        json_t *back = json_loads(s, 0, NULL);
        assert_non_null(back);
        assert_true(json_number_value(json_array_get(back, 0)) == xs[i]);
        free(s);
        json_decref(arr);
        json_decref(back);
    }
}

static eng_schema *sample_schema(void)
{
    eng_schema *s = eng_schema_new();
    assert_int_equal(eng_schema_add(s, "actual_progress", ENG_NUM, NULL), 0);
    assert_int_equal(eng_schema_add(s, "plan_decided", ENG_BOOL, NULL), 1);
    assert_int_equal(eng_schema_add(s, "departments", ENG_STR, NULL), 2);
    assert_int_equal(eng_schema_add(s, "start_date", ENG_OPAQUE, "date"), 3);
    return s;
}

static void test_schema_round_trip(void **state)
{
    (void)state;
    eng_schema *s = sample_schema();
    json_t *j = jeng_schema(s);
    char *text = json_dumps(j, JENG_DUMP_FLAGS);
    assert_string_equal(text, "[{\"name\":\"actual_progress\",\"type\":\"number\"},"
                              "{\"name\":\"plan_decided\",\"type\":\"boolean\"},"
                              "{\"name\":\"departments\",\"type\":\"string\"},"
                              "{\"name\":\"start_date\",\"type\":\"opaque\"}]");
    char err[256];
    eng_schema *back = jeng_schema_parse(j, err, sizeof err);
    assert_non_null(back);
    assert_int_equal(eng_schema_count(back), 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(eng_schema_name(back, i), eng_schema_name(s, i));
        assert_int_equal(eng_schema_type(back, i), eng_schema_type(s, i));
    }
    assert_null(eng_schema_label(back, 0));
    free(text);
    json_decref(j);
    eng_schema_free(back);

    /* a fact's label (the reader's name explanations use) is kept; facts without one have none */
    assert_int_equal(eng_schema_set_label(s, 0, "進捗率"), 0);
    j = jeng_schema(s);
    text = json_dumps(json_array_get(j, 0), JENG_DUMP_FLAGS);
    assert_string_equal(text,
                        "{\"name\":\"actual_progress\",\"type\":\"number\",\"label\":\"進捗率\"}");
    back = jeng_schema_parse(j, err, sizeof err);
    assert_non_null(back);
    assert_string_equal(eng_schema_label(back, 0), "進捗率");
    assert_null(eng_schema_label(back, 1));
    free(text);
    json_decref(j);
    eng_schema_free(back);

    /* unit, display kind and position (sql/016's fact_labels) travel with the run's schema */
    assert_int_equal(eng_schema_set_display(s, 0, "%", "percent", 2), 0);
    assert_int_equal(eng_schema_set_display(s, 1, NULL, "yes_no", 0), 0);
    assert_int_equal(eng_schema_set_display(s, 9, "%", "percent", 1), -1);
    assert_int_equal(eng_schema_set_display(s, 0, "%", "percent", -1), -1);
    j = jeng_schema(s);
    text = json_dumps(json_array_get(j, 0), JENG_DUMP_FLAGS);
    assert_string_equal(text, "{\"name\":\"actual_progress\",\"type\":\"number\",\"label\":"
                              "\"進捗率\",\"unit\":\"%\",\"display\":\"percent\",\"position\":2}");
    free(text);
    text = json_dumps(json_array_get(j, 1), JENG_DUMP_FLAGS);
    assert_string_equal(text,
                        "{\"name\":\"plan_decided\",\"type\":\"boolean\",\"display\":\"yes_no\"}");
    back = jeng_schema_parse(j, err, sizeof err);
    assert_non_null(back);
    assert_string_equal(eng_schema_unit(back, 0), "%");
    assert_string_equal(eng_schema_display(back, 0), "percent");
    assert_int_equal(eng_schema_position(back, 0), 2);
    assert_null(eng_schema_unit(back, 1));
    assert_string_equal(eng_schema_display(back, 1), "yes_no");
    assert_int_equal(eng_schema_position(back, 1), 0);
    assert_null(eng_schema_display(back, 2));
    free(text);
    json_decref(j);
    eng_schema_free(back);
    eng_schema_free(s);
}

typedef struct {
    const char *json;
    const char *error; /* substring of the message; NULL: parses */
} schema_case;

static const schema_case schema_cases[] = {
    {"{}", "not a JSON array"},
    {"[{\"name\":\"x\"}]", "no name or type"},
    {"[{\"name\":\"x\",\"type\":\"date\"}]", "unknown type 'date'"},
    {"[{\"name\":\"x\",\"type\":\"number\"},{\"name\":\"x\",\"type\":\"number\"}]", "duplicate"},
    {"[]", NULL},
};

static void test_schema_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof schema_cases / sizeof schema_cases[0]; i++) {
        json_t *j = json_loads(schema_cases[i].json, 0, NULL);
        assert_non_null(j);
        char err[256] = "";
        eng_schema *s = jeng_schema_parse(j, err, sizeof err);
        if (schema_cases[i].error == NULL) {
            assert_non_null(s);
        } else {
            assert_null(s);
            assert_non_null(strstr(err, schema_cases[i].error));
        }
        eng_schema_free(s);
        json_decref(j);
    }
}

static void test_facts(void **state)
{
    (void)state;
    eng_schema *s = sample_schema();
    eng_value in[4] = {eng_num(0.42), eng_bool(true), eng_str("情報政策課、市民課"), eng_null()};
    json_t *facts = jeng_facts(s, in);
    json_object_set_new(facts, "start_date", json_string("2023-04-01")); /* opaque as text */
    char *text = json_dumps(facts, JENG_STORE_FLAGS);
    json_t *back = json_loads(text, 0, NULL);
    eng_value out[4];
    char err[256];
    assert_int_equal(jeng_facts_parse(back, s, out, err, sizeof err), 0);
    assert_int_equal(out[0].type, ENG_NUM);
    assert_true(out[0].as.num == 0.42);
    assert_int_equal(out[1].type, ENG_BOOL);
    assert_true(out[1].as.b);
    assert_int_equal(out[2].type, ENG_STR);
    assert_int_equal(out[2].as.str.len, strlen("情報政策課、市民課"));
    assert_memory_equal(out[2].as.str.ptr, "情報政策課、市民課", out[2].as.str.len);
    assert_int_equal(out[3].type, ENG_NULL); /* opaque facts evaluate as null */

    /* a string where a number belongs is an error naming the fact */
    json_object_set_new(back, "actual_progress", json_string("0.42"));
    assert_int_equal(jeng_facts_parse(back, s, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "actual_progress"));
    free(text);
    json_decref(facts);
    json_decref(back);
    eng_schema_free(s);
}

/* jeng_facts_write against jansson: the same JSON value for every kind of fact value. */
typedef struct {
    const char *bytes; /* ENG_STR bytes (NULL: use num) */
    size_t len;
    double num;
    bool valid_utf8;
    const char *text; /* a number's text for jeng_facts_write (num is strtod of it), or NULL */
    bool verbatim;    /* the text must be written as it is */
} write_case;

#define S(lit, ok)                                                                                 \
    {                                                                                              \
        lit, sizeof lit - 1, 0, ok, NULL, false                                                    \
    }
#define N(x)                                                                                       \
    {                                                                                              \
        NULL, 0, x, true, NULL, false                                                              \
    }
/* a number given with the decimal text it was parsed from, as the view delivers it */
#define T(lit, as_is)                                                                              \
    {                                                                                              \
        NULL, 0, 0, true, lit, as_is                                                               \
    }
static const write_case write_cases[] = {
    S("情報政策課、市民課", true),
    S("quote \" backslash \\ slash / tab \t nl \n cr \r", true),
    S("\x01\x02\x1f\x7f \b\f", true),
    S("emoji \xf0\x9f\x98\x80 and U+2028 \xe2\x80\xa8", true),
    S("", true),
    S("bad \xff", false),
    S("overlong \xc0\xaf", false),
    S("surrogate \xed\xa0\x80", false),
    S("truncated \xe3\x81", false),
    S("above U+10FFFF \xf4\x90\x80\x80", false),
    S("nul \0 inside", false), /* jsonb cannot store \\u0000: null */
    N(0.1),
    N(1.0 / 3.0),
    N(100.0),
    N(-0.0),
    N(-42.0),
    N(1e300),
    N(1e-7),
    N(9007199254740992.0),
    N(123456789012345678.0),
    N(0.41780821917808219),
    /* written as they are */
    T("0.83", true),
    T("3234000", true),
    T("-730", true),
    T("0", true),
    T("-0.5", true),
    T("123456789012345", true),
    T("0.24458874458874", true),
    T("0.0001", true),
    /* formatted from the double instead (trailing zeros, exponent, too many digits, "-0",
     * leading zeros, not a plain decimal): the value and its integer/real type still match */
    T("0.50", false),
    T("1.0", false),
    T("1e-05", false),
    T("4.35e+25", false),
    T("1234567890123456", false),
    T("0.1000000000000000055511151231257827", false),
    T("1.0000000000000000001", false),
    T("-0", false),
    T("-0.0", false),
    T("007", false),
    T(".5", false),
    T("5.", false),
    T("+5", false),
    T("12abc", false),
    T("0.00001", false), /* %.15g and jansson write 1e-05 and 1e-5: an exponent below -4 */
    T("-0.000012", false),
};

static void test_facts_write(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof write_cases / sizeof write_cases[0]; i++) {
        const write_case *c = &write_cases[i];
        eng_schema *s = eng_schema_new();
        eng_schema_add(s, "x", c->bytes != NULL ? ENG_STR : ENG_NUM, NULL);
        eng_schema_add(s, "flag", ENG_BOOL, NULL);
        eng_schema_add(s, "nothing", ENG_NUM, NULL);
        eng_schema_add(s, "start_date", ENG_OPAQUE, "date");
        eng_value v[4];
        if (c->bytes != NULL) {
            v[0].type = ENG_STR;
            v[0].as.str.ptr = c->bytes;
            v[0].as.str.len = c->len;
        } else {
            v[0] = eng_num(c->text != NULL ? strtod(c->text, NULL) : c->num);
        }
        v[1] = eng_bool(i % 2 == 0);
        v[2] = eng_null();
        v[3] = eng_null();
        const char *opaque[4] = {NULL, NULL, NULL, "2023-04-01"};
        strbuf b = {0};
        const char *number_text[4] = {c->text, NULL, NULL, NULL};
        jeng_facts_write(&b, s, v, opaque, number_text, JENG_EXACT_DIGITS);
        json_error_t jerr;
        json_t *got = json_loadb(b.data, b.len, 0, &jerr);
        if (got == NULL)
            fail_msg("case %zu: writer output does not parse: %s: %.*s", i, jerr.text, (int)b.len,
                     b.data);
        json_t *want = jeng_facts(s, v);
        json_object_set_new(want, "start_date", json_string("2023-04-01"));
        const char *key;
        json_t *w;
        assert_int_equal(json_object_size(got), json_object_size(want));
        json_object_foreach(want, key, w)
        {
            json_t *g = json_object_get(got, key);
            assert_non_null(g);
            if (strcmp(key, "x") == 0 && c->bytes != NULL && !c->valid_utf8)
                continue; /* checked below: the writer gives null */
            if (json_is_number(w)) {
                assert_true(json_is_number(g));
                if (json_typeof(g) != json_typeof(w)) /* an integer stays one, a real one too */
                    fail_msg("case %zu, key %s: integer/real differ: %.*s", i, key, (int)b.len,
                             b.data);
                assert_true(json_number_value(g) == json_number_value(w)); /* exact round trip */
            } else if (!json_equal(g, w)) {
                fail_msg("case %zu, key %s: writer and jansson differ", i, key);
            }
        }
        if (c->verbatim) { /* the plain decimal itself, not the double formatted */
            char want_text[64];
            snprintf(want_text, sizeof want_text, "\"x\":%s,", c->text);
            char *written = xmemdup(b.data, b.len);
            if (strstr(written, want_text) == NULL)
                fail_msg("case %zu: %s is not written as it is: %s", i, c->text, written);
            free(written);
        } else if (c->text != NULL) { /* the double formatted, exactly as without the text */
            strbuf f = {0};
            jeng_facts_write(&f, s, v, opaque, NULL, JENG_EXACT_DIGITS);
            if (f.len != b.len || memcmp(f.data, b.data, b.len) != 0)
                fail_msg("case %zu: %s is not formatted from the double: %.*s", i, c->text,
                         (int)b.len, b.data);
            strbuf_cleanup(&f);
        }
        assert_int_equal(json_is_null(json_object_get(got, "x")),
                         c->bytes != NULL && !c->valid_utf8);
        json_decref(got);
        json_decref(want);
        strbuf_cleanup(&b);
        eng_schema_free(s);
    }
}

/* Numbers without a text are written with the fewest digits that give the same double back, or
 * for people as jansson would. */
static void test_facts_write_shortest(void **state)
{
    (void)state;
    static const struct {
        double x;
        const char *want;
    } cases[] = {
        {33.3, "{\"x\":33.3}"},
        {0.1 + 0.2, "{\"x\":0.30000000000000004}"},
        {1.0 / 3.0, "{\"x\":0.3333333333333333}"},
        {-61.5, "{\"x\":-61.5}"},
        {42.0, "{\"x\":42}"},
        {1e300, "{\"x\":1e300}"},
        {9007199254740992.0, "{\"x\":9007199254740992.0}"},
    };
    eng_schema *s = eng_schema_new();
    eng_schema_add(s, "x", ENG_NUM, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        eng_value v = eng_num(cases[i].x);
        strbuf b = {0};
        jeng_facts_write(&b, s, &v, NULL, NULL, JENG_EXACT_DIGITS);
        if (b.len != strlen(cases[i].want) || memcmp(b.data, cases[i].want, b.len) != 0)
            fail_msg("case %zu: got %.*s, want %s", i, (int)b.len, b.data, cases[i].want);
        strbuf_cleanup(&b);
    }
    /* JENG_PEOPLE_DIGITS: the very text jansson dumps with JENG_DUMP_FLAGS, number or not */
    static const double people[] = {33.3, 0.1 + 0.2, 1.0 / 3.0, 0.3675405312176613, -61.5, 42.0,
                                    1e300, 9007199254740992.0, 1e-7, 123456789.123456789};
    /* ... also for numbers given with the view's text, whether written as it is or not */
    static const char *const texts[] = {"0.83", "0.0001", "0.00001", "-0.000012", "0.50",
                                        "123456789012345", "1234567890123456"};
    size_t npeople = sizeof people / sizeof people[0], ntexts = sizeof texts / sizeof texts[0];
    for (size_t i = 0; i < npeople + ntexts; i++) {
        bool with_text = i >= npeople;
        const char *text[1] = {with_text ? texts[i - npeople] : NULL};
        eng_value v = eng_num(with_text ? strtod(text[0], NULL) : people[i]);
        strbuf b = {0};
        jeng_facts_write(&b, s, &v, NULL, with_text ? text : NULL, JENG_PEOPLE_DIGITS);
        json_t *o = jeng_facts(s, &v);
        char *want = json_dumps(o, JENG_DUMP_FLAGS);
        if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
            fail_msg("people %zu (%s): got %.*s, jansson %s", i, with_text ? text[0] : "no text",
                     (int)b.len, b.data, want);
        free(want);
        json_decref(o);
        strbuf_cleanup(&b);
    }
    eng_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_store_precision),
        cmocka_unit_test(test_schema_round_trip),
        cmocka_unit_test(test_schema_errors),
        cmocka_unit_test(test_facts),
        cmocka_unit_test(test_facts_write),
        cmocka_unit_test(test_facts_write_shortest),
    };
    return cmocka_run_group_tests_name("json_eng", tests, NULL, NULL);
}
