/* test_fcgi.c - unit tests of hyoka-fcgi's pure parts, as tables: query decoding, code order, CSV,
 * cache, and the FastCGI records of a response. */
#define _GNU_SOURCE /* memmem */
#include "cache.h"
#include "csvout.h"
#include "http.h"
#include "route.h"
#include "run.h"
#include "strbuf.h"
#include "xalloc.h"

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
        memset(buf, 'x', sizeof buf);
        long n = http_url_decode(cases[i].in, strlen(cases[i].in), buf);
        if (n != cases[i].len) {
            print_error("'%s': length %ld, want %ld\n", cases[i].in, n, cases[i].len);
            fail();
        }
        if (n >= 0)
            assert_string_equal(buf, cases[i].out);
    }
}

/* ---- one request through http_req_init and route_prepare, without a database ------------- */

#define MAX_QUERY 8192 /* limits.max_query's default */

typedef struct answer {
    int status;         /* 0: the handler would answer */
    char params[256];   /* then: the decoded parameters, "name=value|name=value" */
    char parameter[64]; /* else: the problem's "parameter", "-" when it names none */
    json_t *problem;
} answer;

static unsigned char *read_all(int fd, size_t *len);

/* The environment nginx passes (method, DOCUMENT_URI, QUERY_STRING; a NULL query: none), the
 * request parsed and routed, the answer (if any) read back from the FastCGI records. */
static answer request(const char *method, const char *path, const char *query)
{
    answer a = {0};
    char *env[4] = {NULL};
    int n = 0;
    size_t qlen = query != NULL ? strlen(query) : 0;
    char *qvar = xmalloc(qlen + 16);
    char mvar[64], pvar[HTTP_MAX_PATH + 64];
    snprintf(mvar, sizeof mvar, "REQUEST_METHOD=%s", method);
    snprintf(pvar, sizeof pvar, "DOCUMENT_URI=%s", path);
    env[n++] = mvar;
    env[n++] = pvar;
    if (query != NULL) {
        snprintf(qvar, qlen + 16, "QUERY_STRING=%s", query);
        env[n++] = qvar;
    }
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    FCGX_Stream out = {0};
    FCGX_Request f = {.ipcFd = sv[1], .requestId = 1, .envp = env, .out = &out};
    hy_req r;
    char arg[HTTP_MAX_PATH + 1];
    if (http_req_init(&r, &f, MAX_QUERY, 0) == 0)
        route_prepare(&r, arg, sizeof arg);
    close(sv[1]);
    size_t got;
    unsigned char *bytes = read_all(sv[0], &got);
    close(sv[0]);
    a.status = r.status;
    if (r.status == 0) {
        assert_int_equal(got, 0);
        for (int i = 0; i < r.nparams; i++) {
            size_t at = strlen(a.params);
            snprintf(a.params + at, sizeof a.params - at, "%s%s=%s", i > 0 ? "|" : "",
                     r.params[i].name, r.params[i].value);
        }
    } else {
        /* one FCGI_STDOUT record holds the whole small answer: header lines, blank line, body */
        assert_true(got > FCGI_HEADER_LEN);
        size_t len = (size_t)bytes[4] << 8 | bytes[5];
        const char *text = (const char *)bytes + FCGI_HEADER_LEN;
        const char *body = memmem(text, len, "\r\n\r\n", 4);
        assert_non_null(body);
        body += 4;
        if (body == text + len) { /* HEAD: the status line and headers only */
            snprintf(a.parameter, sizeof a.parameter, "(no body)");
            goto out;
        }
        a.problem = json_loadb(body, len - (size_t)(body - text), 0, NULL);
        assert_non_null(a.problem);
        assert_int_equal(json_integer_value(json_object_get(a.problem, "status")), r.status);
        const char *p = json_string_value(json_object_get(a.problem, "parameter"));
        snprintf(a.parameter, sizeof a.parameter, "%s", p != NULL ? p : "-");
    }
out:
    http_req_cleanup(&r);
    free(bytes);
    free(qvar);
    return a;
}

/* Query strings as a client may send them: what reaches the handler, or the 4xx and the
 * parameter it names. Each line is one request; "?survey" used to kill the worker. */
static void test_query(void **state)
{
    (void)state;
    static const struct {
        const char *method, *path, *query;
        int status;
        const char *want; /* status 0: the parameters; else the problem's parameter ("-") */
    } cases[] = {
        /* a parameter without '=' has the empty value; a needed value that is empty is 400 */
        {"GET", "/api/v1/summary", "survey", 400, "survey"},
        {"GET", "/api/v1/summary", "survey=", 400, "survey"},
        {"GET", "/api/v1/summary", "survey=2023", 0, "survey=2023"},
        {"HEAD", "/api/v1/summary", "survey", 400, "(no body)"},
        {"GET", "/api/v1/initiatives/1-2-01", "survey", 400, "survey"},
        {"GET", "/api/v1/report", "format", 400, "format"},
        {"GET", "/api/v1/report", "survey=2023&format=", 400, "format"},
        {"GET", "/api/v1/kpis", "survey", 400, "survey"},
        {"GET", "/api/v1/departments", "survey&format=csv", 400, "survey"},
        {"GET", "/api/v1/measures", "format=csv&survey=", 400, "survey"},
        {"GET", "/api/v1/surveys", "format", 400, "format"},
        {"GET", "/api/v1/projects", "format=", 400, "format"},
        {"GET", "/api/v1/initiatives", "category", 400, "category"},
        {"GET", "/api/v1/initiatives", "reason=", 400, "reason"},
        {"GET", "/api/v1/initiatives", "flag", 400, "flag"},
        {"GET", "/api/v1/initiatives", "department=", 400, "department"},
        {"GET", "/api/v1/initiatives", "measure", 400, "measure"},
        {"GET", "/api/v1/initiatives", "sort", 400, "sort"},
        {"GET", "/api/v1/initiatives", "limit&offset", 400, "limit"},
        {"GET", "/api/v1/initiatives", "limit=5&offset", 400, "offset"},
        {"GET", "/api/v1/initiatives", "format", 400, "format"},
        /* q may be empty: an emptied search box lists everything */
        {"GET", "/api/v1/initiatives", "q", 0, "q="},
        {"GET", "/api/v1/initiatives", "q=&limit=5", 0, "q=|limit=5"},
        /* routes without parameters name the unknown one */
        {"GET", "/api/v1/health", "survey", 400, "survey"},
        {"GET", "/api/v1/rules", "x=1", 400, "x"},
        {"GET", "/metrics", "survey", 400, "survey"},
        {"POST", "/api/v1/evaluations", "survey", 400, "survey"},
        /* decoding: owned memory, '+' is a space, UTF-8 without control characters */
        {"GET", "/api/v1/initiatives", "q=a+b", 0, "q=a b"},
        {"GET", "/api/v1/initiatives", "q=%E5%B8%82%E6%B0%91", 0, "q=市民"},
        {"GET", "/api/v1/initiatives", "department=%E5%B8%82%E6%B0%91%E8%AA%B2", 0,
         "department=市民課"},
        {"GET", "/api/v1/initiatives", "q=100%25", 0, "q=100%"},
        {"GET", "/api/v1/initiatives", "q=%7F", 400, "q"},      /* DEL: the importer refuses it */
        {"GET", "/api/v1/initiatives", "q=a%09b", 400, "q"},    /* tab, likewise */
        {"GET", "/api/v1/initiatives", "q=a%0Ab", 400, "q"},
        {"GET", "/api/v1/initiatives", "q=a%00b", 400, "q"},
        {"GET", "/api/v1/initiatives", "q=%FF%FE", 400, "q"},
        {"GET", "/api/v1/initiatives", "q=%E3%81", 400, "q"},   /* a sequence cut short */
        {"GET", "/api/v1/initiatives", "q=%C0%AF", 400, "q"},   /* overlong '/' */
        {"GET", "/api/v1/initiatives", "q=%ED%A0%80", 400, "q"}, /* a surrogate */
        {"GET", "/api/v1/initiatives", "q=%ZZ", 400, "q"},
        {"GET", "/api/v1/initiatives", "q=%4", 400, "q"},
        {"GET", "/api/v1/initiatives", "q=%", 400, "q"},
        {"GET", "/api/v1/initiatives", "q=a=b", 0, "q=a=b"},
        /* pairs: empty ones say nothing, a name is needed, each name once */
        {"GET", "/api/v1/initiatives", "&&&", 0, ""},
        {"GET", "/api/v1/initiatives", "&limit=5&&q=x&", 0, "limit=5|q=x"},
        {"GET", "/api/v1/initiatives", "", 0, ""},
        {"GET", "/api/v1/initiatives", "=", 400, "-"},
        {"GET", "/api/v1/initiatives", "=x", 400, "-"},
        {"GET", "/api/v1/initiatives", "&=&", 400, "-"},
        {"GET", "/api/v1/initiatives", "%00=1", 400, "-"},
        {"GET", "/api/v1/initiatives", "%7F=1", 400, "-"},
        {"GET", "/api/v1/initiatives", "%=1", 400, "-"},
        {"GET", "/api/v1/initiatives", "a%3Db=1", 400, "a=b"},
        {"GET", "/api/v1/initiatives", "+=1", 400, " "},
        {"GET", "/api/v1/initiatives", "limit=5&limit=6", 400, "limit"},
        {"GET", "/api/v1/initiatives", "limit=5&limit", 400, "limit"},
        {"GET", "/api/v1/initiatives", "q&q", 400, "q"},
        {"GET", "/api/v1/initiatives", "q&limit&offset&sort&format", 400, "limit"}, /* 3 out per 2 in */
        {"GET", "/api/v1/initiatives", "li%6Dit=5&limit=6", 400, "limit"},
        /* the path, as nginx passes it decoded */
        {"GET", "/api/v1/initiatives/\xFF", NULL, 400, "-"},
        {"GET", "/api/v1/initiatives/a\x01b", NULL, 400, "-"},
        {"GET", "/api/v1/initiatives/\xE5\xB8", NULL, 400, "-"},
        {"GET", "/api/v1/initiatives/1-2-01", NULL, 0, ""},
        {"GET", "/api/v1/initiatives/", NULL, 404, "-"},
        {"GET", "/api/v1/initiatives/a/b", NULL, 404, "-"},
        {"GET", "/api/v1/nowhere", "survey", 404, "-"},
        {"DELETE", "/api/v1/summary", "survey", 405, "-"},
        {"GET", "/api/v1/evaluations", NULL, 405, "-"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        answer a = request(cases[i].method, cases[i].path, cases[i].query);
        const char *got = a.status == 0 ? a.params : a.parameter;
        if (a.status != cases[i].status || strcmp(got, cases[i].want) != 0) {
            print_error("%s %s?%s: %d '%s', want %d '%s'\n", cases[i].method, cases[i].path,
                        cases[i].query ? cases[i].query : "", a.status, got, cases[i].status,
                        cases[i].want);
            fail();
        }
        json_decref(a.problem);
    }
}

/* Limits: the number of parameters, a value's length, the query's and the path's length; a
 * quoted value cut to fit the detail stays UTF-8. */
static void test_query_limits(void **state)
{
    (void)state;
    char *q = xmalloc(MAX_QUERY + 64);
    q[0] = '\0';
    for (int i = 0; i < HTTP_MAX_PARAMS; i++)
        sprintf(q + strlen(q), "%sp%d=1", i > 0 ? "&" : "", i);
    answer a = request("GET", "/api/v1/health", q);
    assert_int_equal(a.status, 400); /* 32 parameters: the first is unknown */
    assert_string_equal(a.parameter, "p0");
    json_decref(a.problem);
    strcat(q, "&p32=1");
    a = request("GET", "/api/v1/health", q);
    assert_int_equal(a.status, 400); /* 33: too many */
    assert_string_equal(a.parameter, "-");
    json_decref(a.problem);

    strcpy(q, "q=");
    memset(q + 2, 'x', HTTP_MAX_VALUE);
    q[2 + HTTP_MAX_VALUE] = '\0';
    a = request("GET", "/api/v1/initiatives", q);
    assert_int_equal(a.status, 0);
    strcpy(q + 2 + HTTP_MAX_VALUE, "x");
    a = request("GET", "/api/v1/initiatives", q);
    assert_int_equal(a.status, 400);
    assert_string_equal(a.parameter, "q");
    json_decref(a.problem);

    /* a 404 quoting a path of 339 x "あ": the detail is cut before the character that does
     * not fit whole, not replaced */
    char path[HTTP_MAX_PATH + 16] = "/x";
    for (int i = 0; i < 339; i++)
        strcat(path, "\xE3\x81\x82");
    a = request("GET", path, NULL);
    assert_int_equal(a.status, 404);
    const char *detail = json_string_value(json_object_get(a.problem, "detail"));
    assert_non_null(detail);
    assert_int_equal(strncmp(detail, "no such resource: /x\xE3\x81\x82", 23), 0);
    assert_int_equal(strlen(detail), 18 + 2 + 334 * 3); /* 1022 of 1023 bytes */
    json_decref(a.problem);

    memset(q, 'x', MAX_QUERY + 1);
    q[MAX_QUERY + 1] = '\0';
    a = request("GET", "/api/v1/initiatives", q);
    assert_int_equal(a.status, 414);
    json_decref(a.problem);
    strcpy(path, "/api/v1/initiatives/");
    memset(path + strlen(path), 'x', HTTP_MAX_PATH - strlen(path) + 1);
    path[HTTP_MAX_PATH + 1] = '\0';
    a = request("GET", path, NULL);
    assert_int_equal(a.status, 414);
    json_decref(a.problem);
    free(q);
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
    void *p = xmalloc(1);
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
    strbuf b = {0};
    for (;;) {
        strbuf_reserve(&b, 1 << 16);
        ssize_t r = read(fd, b.data + b.len, b.cap - b.len - 1);
        assert_true(r >= 0);
        if (r == 0)
            break;
        b.len += (size_t)r;
    }
    *len = b.len;
    return (unsigned char *)b.data;
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
        char *data = xmalloc(hlen + blen + 1);
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
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_query_limits),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_records),
    };
    return cmocka_run_group_tests_name("fcgi", tests, NULL, NULL);
}
