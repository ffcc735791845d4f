/* test_csvw.c - the CSV writer: formula-looking text neutralised, numbers left as numbers, quoting,
 * lists, headers, dialects, and every cell parsed back by libcsv. */
#include "csvw.h"

#include <csv.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef enum { TEXT, NUMBER, INTEGER, EMPTY } kind;

typedef struct {
    kind kind;
    const char *text; /* TEXT */
    double number;    /* NUMBER, INTEGER */
    int decimals;     /* NUMBER */
    const char *want; /* the cell as written */
} cell_case;

static const cell_case cell_cases[] = {
    /* OWASP's six: each gets a "'" inside the quotes */
    {TEXT, "=HYPERLINK(\"http://x\",\"y\")", 0, 0, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
    {TEXT, "+1", 0, 0, "\"'+1\""},
    {TEXT, "-2", 0, 0, "\"'-2\""},
    {TEXT, "@SUM(A1:A2)", 0, 0, "\"'@SUM(A1:A2)\""},
    {TEXT, "\t=1+1", 0, 0, "\"'\t=1+1\""},
    {TEXT, "\r=1+1", 0, 0, "\"'\r=1+1\""},
    {TEXT, "=", 0, 0, "\"'=\""},
    {TEXT, "-", 0, 0, "\"'-\""},
    /* anything else is left as it is, quoted */
    {TEXT, "a=1", 0, 0, "\"a=1\""},
    {TEXT, " =1", 0, 0, "\" =1\""},
    {TEXT, "'=1", 0, 0, "\"'=1\""}, /* already quoted by its author: not doubled */
    {TEXT, "＝1", 0, 0, "\"＝1\""}, /* full-width: not a formula character */
    {TEXT, "DX推進", 0, 0, "\"DX推進\""},
    {TEXT, "say \"hi\"", 0, 0, "\"say \"\"hi\"\"\""},
    {TEXT, "a,b\nc", 0, 0, "\"a,b\nc\""},
    {TEXT, "\n=1", 0, 0, "\"\n=1\""}, /* LF is not among OWASP's characters */
    {TEXT, "", 0, 0, "\"\""},
    {TEXT, NULL, 0, 0, "\"\""},
    /* numbers are numbers: unquoted, a minus sign kept */
    {NUMBER, NULL, -1.5, 1, "-1.5"},
    {NUMBER, NULL, 78.125, 1, "78.1"},
    {NUMBER, NULL, 0.0, 1, "0.0"},
    {NUMBER, NULL, -0.25, CSVW_SHORTEST, "-0.25"},
    {NUMBER, NULL, 0.1 + 0.2, CSVW_SHORTEST, "0.3"},
    {NUMBER, NULL, 1e300, CSVW_SHORTEST, "1e+300"},
    {NUMBER, NULL, -1e300, 2, NULL}, /* 301 digits: checked by length below */
    {NUMBER, NULL, NAN, 1, ""},
    {NUMBER, NULL, INFINITY, CSVW_SHORTEST, ""},
    {INTEGER, NULL, -42, 0, "-42"},
    {INTEGER, NULL, 9007199254740993.0, 0, "9007199254740992"},
    {EMPTY, NULL, 0, 0, ""},
};

static void test_cells(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cell_cases / sizeof cell_cases[0]; i++) {
        const cell_case *c = &cell_cases[i];
        csvw *w = csvw_new(CSVW_PLAIN);
        switch (c->kind) {
        case TEXT:
            csvw_text(w, c->text);
            break;
        case NUMBER:
            csvw_number(w, c->number, c->decimals);
            break;
        case INTEGER:
            csvw_integer(w, (long long)c->number);
            break;
        case EMPTY:
            csvw_empty(w);
            break;
        }
        csvw_row_end(w);
        size_t len;
        const char *got = csvw_data(w, &len);
        assert_int_equal(len, strlen(got));
        if (c->want != NULL) {
            char want[256];
            snprintf(want, sizeof want, "%s\n", c->want);
            assert_string_equal(got, want);
        } else {
            assert_int_equal(got[0], '-');
            assert_int_equal(len, 1 + 301 + 3 + 1); /* -, digits, .00, LF */
        }
        csvw_free(w);
    }
}

/* ---- every text cell parses back (libcsv) as "'" + text when neutralised, else as text ------- */

typedef struct parsed {
    char fields[16][64];
    int n;
} parsed;

static void on_field(void *s, size_t len, void *data)
{
    parsed *p = data;
    assert_true(p->n < 16 && len < 64);
    memcpy(p->fields[p->n], s, len);
    p->fields[p->n][len] = '\0';
    p->n++;
}

static void test_round_trip(void **state)
{
    (void)state;
    static const char *const texts[] = {"=1+1", "+", "-x", "@A1", "\tx", "\rx", "plain", "",
                                        "q\"uote", "line\r\nbreak", "-1.5", "=A1,=B2"};
    enum { N = sizeof texts / sizeof texts[0] };
    csvw *w = csvw_new(CSVW_EXCEL);
    for (size_t i = 0; i < N; i++)
        csvw_text(w, texts[i]);
    csvw_number(w, -1.5, 1);
    csvw_row_end(w);
    size_t len;
    const char *doc = csvw_data(w, &len);
    assert_memory_equal(doc, "\xEF\xBB\xBF", 3);
    assert_memory_equal(doc + len - 2, "\r\n", 2);

    struct csv_parser p;
    assert_int_equal(csv_init(&p, CSV_STRICT), 0);
    parsed out = {.n = 0};
    assert_int_equal(csv_parse(&p, doc + 3, len - 3, on_field, NULL, &out), len - 3);
    csv_fini(&p, on_field, NULL, &out);
    csv_free(&p);
    assert_int_equal(out.n, N + 1);
    for (size_t i = 0; i < N; i++) {
        char want[64];
        bool formula = texts[i][0] != '\0' && strchr("=+-@\t\r", texts[i][0]) != NULL;
        snprintf(want, sizeof want, "%s%s", formula ? "'" : "", texts[i]);
        assert_string_equal(out.fields[i], want);
    }
    assert_string_equal(out.fields[N], "-1.5");
    csvw_free(w);
}

/* ---- rows, lists, headers, dialects -------------------------------------------------------- */

static void test_rows_lists_headers(void **state)
{
    (void)state;
    static const char *const names[] = {"code", "category.id", "score", "-x", "title with space"};
    csvw *w = csvw_new(CSVW_EXCEL);
    csvw_header(w, names, 5);
    csvw_text(w, "1-2");
    csvw_list_item(w, "-a"); /* the list's first character decides */
    csvw_list_item(w, "b");
    csvw_list_end(w);
    csvw_list_end(w); /* an empty list */
    csvw_list_item(w, "a");
    csvw_list_item(w, "=b"); /* not first: the cell begins with 'a' */
    csvw_list_item(w, NULL);
    csvw_list_end(w);
    csvw_empty(w);
    csvw_row_end(w);
    csvw_number(w, 2, 0);
    csvw_row_end(w);
    size_t len;
    const char *doc = csvw_data(w, &len);
    assert_string_equal(doc, "\xEF\xBB\xBF"
                             "code,category.id,score,\"'-x\",\"title with space\"\r\n"
                             "\"1-2\",\"'-a;b\",\"\",\"a;=b;\",\r\n"
                             "2\r\n");
    csvw_free(w);

    w = csvw_new(CSVW_PLAIN);
    assert_int_equal(csvw_data(w, &len)[0], '\0');
    assert_int_equal(len, 0);
    csvw_header(w, names, 2);
    assert_string_equal(csvw_data(w, &len), "code,category.id\n");
    csvw_free(w);
    csvw_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_rows_lists_headers),
    };
    return cmocka_run_group_tests_name("csvw", tests, NULL, NULL);
}
