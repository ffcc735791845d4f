/* test_symtab.c - eng_symtab (engine.h): one id per distinct text, ids never shared between
 * tables, values keep the caller's text, the limits (a full table, the process's id space run
 * out) give values without a symbol that still evaluate by their text. */
#include "engine.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void symtab_set_next_id(uint32_t id); /* symtab.c, for tests */

static void test_ids(void **state)
{
    (void)state;
    eng_symtab *t = eng_symtab_new(0);
    char buf[] = "市民課x";
    eng_value a = eng_symtab_intern(t, eng_str("市民課"));
    eng_value b = eng_symtab_intern(t, eng_strn(buf, strlen("市民課"))); /* equal text, elsewhere */
    eng_value c = eng_symtab_intern(t, eng_str("観光課"));
    eng_value d = eng_symtab_intern(t, eng_str(""));
    eng_value e = eng_symtab_intern(t, eng_str(""));
    assert_int_equal(a.type, ENG_STR);
    assert_true(a.sym != 0 && c.sym != 0 && d.sym != 0);
    assert_int_equal(a.sym, b.sym);
    assert_int_equal(d.sym, e.sym);
    assert_true(a.sym != c.sym && a.sym != d.sym && c.sym != d.sym);
    /* the value keeps the caller's text */
    assert_ptr_equal(b.as.str.ptr, buf);
    assert_int_equal(b.as.str.len, strlen("市民課"));
    assert_int_equal(eng_symtab_count(t), 3);
    /* other types come back as they were */
    eng_value n = eng_symtab_intern(t, eng_num(2.5));
    assert_int_equal(n.type, ENG_NUM);
    assert_int_equal(n.sym, 0);
    assert_true(n.as.num == 2.5);
    assert_int_equal(eng_symtab_intern(t, eng_null()).type, ENG_NULL);
    /* growth keeps every id */
    char text[32];
    uint32_t ids[5000];
    for (int i = 0; i < 5000; i++) {
        snprintf(text, sizeof text, "text %d", i);
        ids[i] = eng_symtab_intern(t, eng_str(text)).sym;
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(text, sizeof text, "text %d", i);
        assert_int_equal(eng_symtab_intern(t, eng_str(text)).sym, ids[i]);
    }
    assert_int_equal(eng_symtab_intern(t, eng_str("市民課")).sym, a.sym);
    assert_int_equal(eng_symtab_count(t), 5003);

    /* another table never gives the same id, not even to the same text */
    eng_symtab *u = eng_symtab_new(0);
    eng_value a2 = eng_symtab_intern(u, eng_str("市民課"));
    assert_true(a2.sym != 0 && a2.sym != a.sym && a2.sym != c.sym && a2.sym != d.sym);
    for (int i = 0; i < 5000; i++)
        assert_true(a2.sym != ids[i]);
    eng_symtab_free(u);
    eng_symtab_free(t);
    eng_symtab_free(NULL);
}

/* A full table gives no more ids; what it gave it still gives. */
static void test_full_table(void **state)
{
    (void)state;
    eng_symtab *t = eng_symtab_new(2);
    uint32_t x = eng_symtab_intern(t, eng_str("x")).sym, y = eng_symtab_intern(t, eng_str("y")).sym;
    assert_true(x != 0 && y != 0 && x != y);
    eng_value z = eng_symtab_intern(t, eng_str("z"));
    assert_int_equal(z.type, ENG_STR);
    assert_int_equal(z.sym, 0);
    assert_int_equal(z.as.str.len, 1);
    assert_int_equal(eng_symtab_intern(t, eng_str("x")).sym, x);
    assert_int_equal(eng_symtab_count(t), 2);
    eng_symtab_free(t);
}

/* The process's ids run out at 2^32 - 1: no id is ever given twice. (Last: it uses them up.) */
static void test_ids_run_out(void **state)
{
    (void)state;
    eng_symtab *t = eng_symtab_new(0);
    symtab_set_next_id(UINT32_MAX - 2);
    assert_int_equal(eng_symtab_intern(t, eng_str("p")).sym, UINT32_MAX - 2);
    assert_int_equal(eng_symtab_intern(t, eng_str("q")).sym, UINT32_MAX - 1);
    assert_int_equal(eng_symtab_intern(t, eng_str("r")).sym, 0);
    assert_int_equal(eng_symtab_intern(t, eng_str("s")).sym, 0);
    assert_int_equal(eng_symtab_intern(t, eng_str("p")).sym, UINT32_MAX - 2);

    /* values without a symbol from a full id space evaluate as any string: by their text */
    eng_schema *s = eng_schema_new();
    assert_int_equal(eng_schema_add(s, "dept", ENG_STR, NULL), 0);
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_string(
        "version = \"t\";\ncategories = ( { id = \"a\"; label = \"A\"; when = \"dept == 'r'\"; },\n"
        "  { id = \"b\"; label = \"B\"; } );\n"
        "score = ( { id = \"s\"; weight = 1; value = \"1\"; } );\n",
        "t.cfg", s, d);
    if (r == NULL)
        eng_diags_print(d, stderr);
    assert_non_null(r);
    eng_ctx *c = eng_ctx_new(r);
    eng_result res;
    eng_value f = eng_symtab_intern(t, eng_str("r"));
    eng_evaluate(c, &f, &res);
    assert_int_equal(res.category, 0);
    f = eng_symtab_intern(t, eng_str("p"));
    eng_evaluate(c, &f, &res);
    assert_int_equal(res.category, 1);
    eng_ctx_free(c);
    eng_rules_free(r);
    eng_diags_free(d);
    eng_schema_free(s);
    eng_symtab_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_full_table),
        cmocka_unit_test(test_ids_run_out),
    };
    return cmocka_run_group_tests_name("symtab", tests, NULL, NULL);
}
