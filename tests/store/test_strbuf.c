/* test_strbuf.c - the growable byte buffer: always NUL-terminated after a put, growth keeps the
 * bytes, printf, and strbuf_read's limit (a file of exactly max bytes is read, one more is not)
 * and read errors. */
#include "strbuf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_put_printf(void **state)
{
    (void)state;
    strbuf b = {0};
    strbuf_put(&b, "", 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    assert_int_equal(b.len, 0);
    for (int i = 0; i < 1000; i++) /* past the first allocation, several times */
        strbuf_printf(&b, "%d,", i % 10);
    assert_int_equal(b.len, 2000);
    assert_int_equal(strlen(b.data), 2000);
    assert_memory_equal(b.data + 1990, "5,6,7,8,9,", 10);
    assert_true(b.cap > b.len);
    b.len = 0; /* emptied, memory kept */
    size_t cap = b.cap;
    strbuf_puts(&b, "a\tb");
    strbuf_put(&b, "cd", 1);
    assert_string_equal(b.data, "a\tbc");
    assert_int_equal(b.cap, cap);
    strbuf_reserve(&b, 5000); /* room for 5000 bytes and the '\0' */
    assert_true(b.cap >= b.len + 5001);
    strbuf_cleanup(&b);
    assert_null(b.data);
    assert_int_equal(b.len + b.cap, 0);
    strbuf_cleanup(&b); /* a cleaned-up buffer is fine */
}

/* A temporary file of n bytes 'x', rewound. */
static FILE *file_of(size_t n)
{
    FILE *fp = tmpfile();
    assert_non_null(fp);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fputc('x', fp), 'x');
    rewind(fp);
    return fp;
}

static void test_read(void **state)
{
    (void)state;
    const size_t max = 200000; /* a few READ_CHUNKs */
    FILE *fp = file_of(max);
    strbuf b = {0};
    assert_int_equal(strbuf_read(&b, fp, max), 0);
    assert_int_equal(b.len, max);
    assert_int_equal(strlen(b.data), max);
    fclose(fp);
    strbuf_cleanup(&b);

    fp = file_of(max + 1);
    assert_int_equal(strbuf_read(&b, fp, max), -1);
    fclose(fp);
    strbuf_cleanup(&b);

    fp = file_of(0);
    assert_int_equal(strbuf_read(&b, fp, max), 0);
    assert_non_null(b.data); /* an empty file is "", not NULL */
    assert_string_equal(b.data, "");
    fclose(fp);
    strbuf_cleanup(&b);

    fp = fopen(".", "rb"); /* a folder opens, but reading it fails (EISDIR) */
    assert_non_null(fp);
    assert_int_equal(strbuf_read(&b, fp, max), -2);
    fclose(fp);
    strbuf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_printf),
        cmocka_unit_test(test_read),
    };
    return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);
}
