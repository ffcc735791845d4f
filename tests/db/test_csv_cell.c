/* test_csv_cell.c - the cell syntaxes of `hyoka import`, as tables of input -> expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "csv_cell.h"

typedef struct {
    const char *in;
    const char *out; /* NULL: must be refused */
} text_case;

static void test_decimal(void **state)
{
    (void)state;
    static const text_case plain[] = {
        {"0", "0"},         {"12", "12"},       {"-3.25", "-3.25"}, {"+7", "7"},
        {"007.50", "7.50"}, {".5", "0.5"},      {"1,200", NULL},    {"1e3", NULL},
        {"", NULL},         {"-", NULL},        {"1.2.3", NULL},    {"12 ", NULL},
        {"１２", NULL},     {"0x10", NULL},
    };
    static const text_case thousands[] = {
        {"1,200", "1200"},
        {"1,234,567.5", "1234567.5"},
        {"-12,345", "-12345"},
        {"999", "999"},
        {"1,20,0", NULL},
        {",100", NULL},
        {"1,2345", NULL},
        {"1234,567", NULL},
        {"1,234,", NULL},
        {"1,,234", NULL},
    };
    char out[64];
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        int rc = csv_cell_decimal(plain[i].in, false, out, sizeof out);
        if (plain[i].out == NULL) {
            if (rc != -1)
                fail_msg("decimal '%s' accepted as '%s'", plain[i].in, out);
        } else {
            assert_int_equal(rc, 0);
            assert_string_equal(out, plain[i].out);
        }
    }
    for (size_t i = 0; i < sizeof thousands / sizeof thousands[0]; i++) {
        int rc = csv_cell_decimal(thousands[i].in, true, out, sizeof out);
        if (thousands[i].out == NULL) {
            if (rc != -1)
                fail_msg("thousands '%s' accepted as '%s'", thousands[i].in, out);
        } else {
            assert_int_equal(rc, 0);
            assert_string_equal(out, thousands[i].out);
        }
    }
    /* CSV_CELL_MAX_DIGITS is a limit, not a rounding */
    char many[CSV_CELL_MAX_DIGITS + 2];
    memset(many, '9', sizeof many - 1);
    many[sizeof many - 1] = '\0';
    assert_int_equal(csv_cell_decimal(many, false, out, sizeof out), -1);
    many[CSV_CELL_MAX_DIGITS] = '\0';
    assert_int_equal(csv_cell_decimal(many, false, out, sizeof out), 0);
    /* a buffer too small is an error, never a truncated number */
    char tiny[3];
    assert_int_equal(csv_cell_decimal("1234", false, tiny, sizeof tiny), -1);
}

static void test_progress(void **state)
{
    (void)state;
    static const text_case cases[] = {
        {"0.5", "0.5"},  {"50%", "0.5"},    {"0%", "0"},       {"100%", "1"},
        {"1", "1"},      {"0", "0"},        {"33.3%", "0.333"}, {"5%", "0.05"},
        {"0.25%", "0.0025"}, {"12.50%", "0.125"}, {"1.5", NULL},  {"50", NULL},
        {"101%", NULL},  {"-0.1", NULL},    {"-5%", NULL},     {"half", NULL},
        {"%", NULL},     {"50 %", NULL},    {"5,0%", NULL},
    };
    char out[64], msg[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msg[0] = '\0';
        int rc = csv_cell_progress(cases[i].in, out, sizeof out, msg, sizeof msg);
        if (cases[i].out == NULL) {
            if (rc != -1)
                fail_msg("progress '%s' accepted as '%s'", cases[i].in, out);
            assert_true(strlen(msg) > 0);
        } else {
            if (rc != 0)
                fail_msg("progress '%s' refused: %s", cases[i].in, msg);
            assert_string_equal(out, cases[i].out);
        }
    }
    csv_cell_progress("50", out, sizeof out, msg, sizeof msg);
    assert_non_null(strstr(msg, "outside 0..1"));
}

static void test_date(void **state)
{
    (void)state;
    static const text_case cases[] = {
        {"2024-03-31", "2024-03-31"}, {"2024/3/31", "2024-03-31"}, {"2024/4/1", "2024-04-01"},
        {"2024-4-01", "2024-04-01"},  {"2024-02-29", "2024-02-29"}, {"2023-02-29", NULL},
        {"2100-02-29", NULL},         {"2000-02-29", "2000-02-29"}, {"2024-13-01", NULL},
        {"2024-04-31", NULL},         {"2024-00-10", NULL},         {"2024/04-01", NULL},
        {"24/4/1", NULL},             {"2024.4.1", NULL},           {"2024-04-011", NULL},
        {"2024-04-01 ", NULL},        {"1899-12-31", NULL},         {"令和6年4月1日", NULL},
        {"", NULL},
    };
    char out[16];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = csv_cell_date(cases[i].in, out, sizeof out);
        if (cases[i].out == NULL) {
            if (rc != -1)
                fail_msg("date '%s' accepted as '%s'", cases[i].in, out);
        } else {
            if (rc != 0)
                fail_msg("date '%s' refused", cases[i].in);
            assert_string_equal(out, cases[i].out);
        }
    }
}

static void test_bool(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int want;
    } cases[] = {
        {"true", 1},  {"TRUE", 1},   {"Yes", 1},   {"1", 1},     {"はい", 1},  {"○", 1},
        {"〇", 1},    {"false", 0},  {"False", 0}, {"NO", 0},    {"0", 0},     {"いいえ", 0},
        {"×", 0},     {"t", -1},     {"f", -1},    {"y", -1},    {"maybe", -1}, {"", -1},
        {"2", -1},    {"truee", -1}, {"ＴＲＵＥ", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (csv_cell_bool(cases[i].in) != cases[i].want)
            fail_msg("boolean '%s': got %d, want %d", cases[i].in, csv_cell_bool(cases[i].in),
                     cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_bool),
    };
    return cmocka_run_group_tests_name("csv_cell", tests, NULL, NULL);
}
