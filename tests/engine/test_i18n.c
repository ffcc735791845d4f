/* test_i18n.c - choosing a language (Accept-Language, tags) and the catalog of the build tree. */
#include "i18n.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static int accept(const char *h)
{
    return hy_lang_accept(h);
}

static void test_accept_language(void **state)
{
    (void)state;
    assert_int_equal(accept("ja"), HY_LANG_JA);
    assert_int_equal(accept("ja-JP,ja;q=0.9,en;q=0.8"), HY_LANG_JA);
    assert_int_equal(accept("en-US,en;q=0.9,ja;q=0.8"), HY_LANG_EN);
    assert_int_equal(accept("en;q=0.5, ja;q=0.8"), HY_LANG_JA);
    assert_int_equal(accept("ja;q=0.8, en;q=0.8"), HY_LANG_JA); /* a tie: the earlier */
    assert_int_equal(accept("ja;q=0, en"), HY_LANG_EN);         /* q=0: not acceptable */
    assert_int_equal(accept("fr, de;q=0.5"), -1);               /* none we speak */
    assert_int_equal(accept("fr, ja;q=0.1"), HY_LANG_JA);
    assert_int_equal(accept("*"), -1);                          /* any: the server's choice */
    assert_int_equal(accept("*;q=0.5, en"), HY_LANG_EN);
    assert_int_equal(accept("fr;q=1, *;q=0.5, ja;q=0.2"), -1);  /* "*" preferred to ja */
    assert_int_equal(accept("JA-jp"), HY_LANG_JA);
    assert_int_equal(accept("jav, english"), -1);               /* primary subtags only */
    assert_int_equal(accept(" ja ; q=1.0 "), HY_LANG_JA);
    assert_int_equal(accept("ja;q=2"), -1);                     /* malformed */
    assert_int_equal(accept("ja;q=x"), -1);
    assert_int_equal(accept(""), -1);
    assert_int_equal(accept(NULL), -1);
    assert_string_equal(hy_lang_tag(HY_LANG_JA), "ja");
    assert_string_equal(hy_lang_tag(HY_LANG_EN), "en");
}

/* The C locale is English; a thread that takes ja (when the system has the locale) gets the
 * build tree's catalog, and gives the thread's previous locale back. */
static void test_catalog(void **state)
{
    (void)state;
    hy_i18n_bind();
    assert_string_equal(_("error"), "error");
    locale_t ja = hy_lang_locale(HY_LANG_JA);
    if (ja == (locale_t)0) {
        skip(); /* ja_JP.UTF-8 not generated (scripts/deps.sh does it) */
        return;
    }
    locale_t prev = uselocale(ja);
    assert_string_equal(_("error"), "エラー");
    assert_string_equal(_("warning"), "警告");
    uselocale(hy_lang_locale(HY_LANG_EN));
    assert_string_equal(_("error"), "error");
    uselocale(prev);
    assert_string_equal(_("error"), "error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_language),
        cmocka_unit_test(test_catalog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
