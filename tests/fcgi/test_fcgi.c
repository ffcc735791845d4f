/* test_fcgi.c - unit tests of hyoka-fcgi's pure parts, as tables: query decoding, code order, CSV,
 * cache, and the FastCGI records of a response. */
#include "cache.h"
#include "csvout.h"
#include "http.h"
#include "run.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fastcgi.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_url_decode(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        long len;        /* -1: malformed */
        const char *out; /* when len >= 0 */
    } cases[] = {
        {"abc", 3, "abc"},
        {"a+b", 3, "a b"},
        {"%E5%B8%82%E6%B0%91%E8%AA%B2", 9, "市民課"},
        {"%41%62", 2, "Ab"},
        {"100%25", 4, "100%"},
        {"%2B", 1, "+"},
        {"", 0, ""},
        {"%", -1, NULL},
        {"%4", -1, NULL},
        {"%zz", -1, NULL},
        {"ok%G0", -1, NULL},
        {"a%00b", 3, "a"}, /* decodes; the caller's UTF-8/NUL check refuses it */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", cases[i].in);
        long n = http_url_decode(buf);
        if (n != cases[i].len) {
            print_error("'%s': length %ld, want %ld\n", cases[i].in, n, cases[i].len);
            fail();
        }
        if (n >= 0)
            assert_string_equal(buf, cases[i].out);
    }
}

static void test_code_order(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        int sign;
    } cases[] = {
        {"1-2", "1-10", -1}, {"1-10", "1-2", 1},   {"1-2", "1-2", 0},     {"1-2", "1-2-1", -1},
        {"9", "10", -1},     {"B-1-2", "B-1-10", -1}, {"1-2-03", "1-2-3", -1}, {"1-2-3", "1-2-03", 1},
        {"a", "b", -1},      {"1a", "1b", -1},       {"2-1", "10-1", -1},   {"", "1", -1},
        {"1-2-99", "1-3-1", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int c = run_code_cmp(cases[i].a, cases[i].b);
        int sign = (c > 0) - (c < 0);
        if (sign != cases[i].sign) {
            print_error("run_code_cmp(%s, %s) = %d, want sign %d\n", cases[i].a, cases[i].b, c,
                        cases[i].sign);
            fail();
        }
    }
}

static void test_csv(void **state)
{
    (void)state;
    json_t *items = json_loads(
        "[{\"code\":\"1-1\",\"title\":\"a,\\\"b\\\"\",\"counts\":{\"on\":1,\"off\":0},"
        "\"departments\":[\"市民課\",\"総務課\"],\"score\":61.5,\"category\":null,"
        "\"flags\":[{\"id\":\"delay\",\"label\":\"遅延\"}]},"
        "{\"code\":\"1-2\",\"title\":\"x\\ny\",\"counts\":{\"on\":0},\"departments\":[],"
        "\"score\":100,\"category\":\"ok\",\"flags\":[]}]",
        0, NULL);
    assert_non_null(items);
    size_t len;
    char *csv = csvout_items(items, &len);
    /* plain header names bare, numbers unquoted, null and missing empty (store/csvw.h) */
    const char *want = "\xEF\xBB\xBF"
                       "code,title,counts.on,counts.off,departments,score,category,flags\r\n"
                       "\"1-1\",\"a,\"\"b\"\"\",1,0,\"市民課;総務課\",61.5,,\"delay\"\r\n"
                       "\"1-2\",\"x\ny\",0,,\"\",100,\"ok\",\"\"\r\n";
    assert_string_equal(csv, want);
    assert_int_equal(len, strlen(want));
    free(csv);
    json_decref(items);
    json_t *empty = json_array();
    csv = csvout_items(empty, &len);
    assert_string_equal(csv, "\xEF\xBB\xBF\r\n");
    free(csv);
    json_decref(empty);
}

static int freed;
static void count_free(void *p)
{
    free(p);
    freed++;
}

static void *obj(void)
{
    void *p = malloc(1);
    assert_non_null(p);
    return p;
}

static void test_cache(void **state)
{
    (void)state;
    cache_configure(1000);
    void *a = obj(), *b = obj(), *c = obj(), *d = obj();
    assert_true(cache_put("a", a, 400, count_free));
    assert_true(cache_put("b", b, 400, count_free));
    assert_true(cache_put("c", c, 400, count_free)); /* evicts a, the oldest */
    assert_int_equal(freed, 1);
    assert_null(cache_get("a"));
    assert_ptr_equal(cache_get("b"), b);
    assert_int_equal(cache_bytes_used(), 800);
    cache_pin(b);
    assert_false(cache_put("d", d, 700, count_free)); /* c goes, b is pinned: no room */
    assert_int_equal(freed, 2);
    assert_null(cache_get("d"));
    cache_unpin(b);
    assert_true(cache_put("d", d, 700, count_free)); /* now b can go */
    assert_int_equal(freed, 3);
    assert_null(cache_get("b"));
    void *e = obj();
    assert_false(cache_put("e", e, 1001, count_free)); /* larger than the budget */
    free(e);
    cache_put_body("body:x", "text/plain", "hello", 5);
    const cache_body *hb = cache_get_body("body:x");
    assert_non_null(hb);
    assert_int_equal(hb->len, 5);
    assert_memory_equal(hb->data, "hello", 5);
    cache_flush();
    assert_int_equal(cache_bytes_used(), 0);
    assert_null(cache_get("d"));
    assert_int_equal(freed, 4);
    cache_configure(0); /* off: nothing is kept */
    cache_put_body("body:y", "text/plain", "x", 1);
    assert_null(cache_get_body("body:y"));
}

/* Reads everything from fd until EOF into a malloc'd buffer. */
static unsigned char *read_all(int fd, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        assert_true(r >= 0);
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *len = n;
    return buf;
}

/* http_write_records writes head + body as FCGI_STDOUT records (none longer than the 16-bit
 * length allows, none empty before the end), then the empty record and FCGI_END_REQUEST, and
 * nothing else. Bodies larger than a socket buffer need a reader: a child process writes. */
static void test_records(void **state)
{
    (void)state;
    static const struct {
        size_t hlen, blen;
    } cases[] = {
        {60, 0},       /* HEAD, or an empty body */
        {60, 1132},    /* the summary: one record */
        {100, 65428},  /* head + body fill one record exactly */
        {100, 65429},  /* one byte more: two records */
        {0, 1},        /* never an empty data record, which would end the stream */
        {80, 5000000}, /* several writev calls of RECORDS_PER_WRITE records */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t hlen = cases[i].hlen, blen = cases[i].blen;
        char *data = malloc(hlen + blen + 1);
        assert_non_null(data);
        for (size_t k = 0; k < hlen + blen; k++)
            data[k] = (char)('a' + (k * 7 + k / 251) % 26);
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(sv[0]);
            FCGX_Request f = {.ipcFd = sv[1], .requestId = 0x1234};
            _exit(http_write_records(&f, data, hlen, data + hlen, blen) == 0 ? 0 : 1);
        }
        close(sv[1]);
        size_t got = 0;
        unsigned char *out = read_all(sv[0], &got);
        close(sv[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        size_t at = 0, content = 0, records = 0;
        bool ended = false;
        while (at + FCGI_HEADER_LEN <= got && !ended) {
            const FCGI_Header *h = (const FCGI_Header *)(out + at);
            size_t len = (size_t)h->contentLengthB1 << 8 | h->contentLengthB0;
            assert_int_equal(h->version, FCGI_VERSION_1);
            assert_int_equal(h->requestIdB1 << 8 | h->requestIdB0, 0x1234);
            assert_int_equal(h->paddingLength, 0);
            assert_int_equal(h->type, FCGI_STDOUT);
            at += FCGI_HEADER_LEN;
            assert_true(at + len <= got);
            if (len == 0) {
                ended = true;
                break;
            }
            assert_memory_equal(out + at, data + content, len);
            content += len;
            at += len;
            records++;
        }
        assert_true(ended);
        assert_int_equal(content, hlen + blen);
        assert_int_equal(records, (hlen + blen + 65527) / 65528);
        const FCGI_EndRequestRecord *end = (const FCGI_EndRequestRecord *)(out + at);
        assert_int_equal(got - at, sizeof *end);
        assert_int_equal(end->header.type, FCGI_END_REQUEST);
        assert_int_equal(end->header.contentLengthB0, sizeof end->body);
        assert_int_equal(end->body.protocolStatus, FCGI_REQUEST_COMPLETE);
        assert_int_equal(end->body.appStatusB0, 0);
        free(out);
        free(data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_decode),
        cmocka_unit_test(test_code_order),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_records),
    };
    return cmocka_run_group_tests_name("fcgi", tests, NULL, NULL);
}
