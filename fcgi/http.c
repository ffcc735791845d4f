/* http.c - query parsing with percent-decoding, parameter validation, response and problem+json writers. */
#include "http.h"

#include "app.h"
#include "i18n.h"
#include "json_eng.h"
#include "metrics.h"
#include "text_check.h"
#include "xalloc.h"

#include <errno.h>
#include <fastcgi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

/* The reason phrases are also a problem's title, translated there (N_: po/hyoka.pot). The status
 * line keeps them in English. */
const char *http_reason(int status)
{
    switch (status) {
    case 200: return N_("OK");
    case 201: return N_("Created");
    case 204: return N_("No Content");
    case 400: return N_("Bad Request");
    case 401: return N_("Unauthorized");
    case 403: return N_("Forbidden");
    case 404: return N_("Not Found");
    case 405: return N_("Method Not Allowed");
    case 413: return N_("Content Too Large");
    case 414: return N_("URI Too Long");
    case 415: return N_("Unsupported Media Type");
    case 500: return N_("Internal Server Error");
    case 503: return N_("Service Unavailable");
    default: return N_("Error");
    }
}

static int default_language = HY_LANG_EN;

void http_set_default_language(int lang)
{
    default_language = lang == HY_LANG_JA ? HY_LANG_JA : HY_LANG_EN;
}

/* The request's language, made the thread's LC_MESSAGES (per request, never setlocale). A
 * language whose locale the system lacks (ja_JP.UTF-8 not generated) falls back to English, and
 * Content-Language says so. */
static void choose_language(hy_req *r)
{
    int lang = hy_lang_accept(http_env(r, "HTTP_ACCEPT_LANGUAGE"));
    if (lang < 0)
        lang = default_language;
    locale_t loc = hy_lang_locale((hy_lang)lang);
    if (loc == (locale_t)0) {
        lang = HY_LANG_EN;
        loc = hy_lang_locale(HY_LANG_EN);
    }
    r->lang = lang;
    r->prev_locale = loc != (locale_t)0 ? uselocale(loc) : (locale_t)0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Hand-written: libfcgi has no decoder, and pulling in a URL library for 15 lines would not be
 * simpler. Reads only src; writes only out. */
long http_url_decode(const char *src, size_t n, char *out)
{
    char *w = out;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == '+') {
            *w++ = ' ';
        } else if (src[i] == '%') {
            int hi = i + 2 < n ? hexval(src[i + 1]) : -1;
            int lo = hi < 0 ? -1 : hexval(src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            *w++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *w++ = src[i];
        }
    }
    *w = '\0';
    return (long)(w - out);
}

const char *http_env(const hy_req *r, const char *name)
{
    return FCGX_GetParam(name, r->fcgi->envp);
}

int http_req_init(hy_req *r, FCGX_Request *f, long max_query, double t0)
{
    memset(r, 0, sizeof *r);
    r->fcgi = f;
    r->route = -1;
    r->t0 = t0;
    choose_language(r);
    r->method = http_env(r, "REQUEST_METHOD");
    if (r->method == NULL)
        r->method = "GET";
    r->head = strcmp(r->method, "HEAD") == 0;
    /* One routing variable: DOCUMENT_URI, nginx's decoded and normalised $document_uri. Falls
     * back to SCRIPT_NAME + PATH_INFO for other front ends. */
    r->path = http_env(r, "DOCUMENT_URI");
    if (r->path == NULL)
        r->path = http_env(r, "SCRIPT_NAME");
    if (r->path == NULL)
        r->path = "/";
    size_t path_len = strlen(r->path);
    if (path_len > HTTP_MAX_PATH) {
        http_problem(r, 414, NULL, "the path is longer than %d bytes", HTTP_MAX_PATH);
        return -1;
    }
    /* nginx has decoded the path: "%FF" or "%01" arrive as bytes, which no resource is named
     * with (codes are checked by the same rule on import), and a 404 quoting them could not be
     * shown as JSON. */
    if (!text_is_clean(r->path, path_len)) {
        r->path = "(not UTF-8 text)"; /* as the log shows it: raw bytes could forge log lines */
        http_problem(r, 400, NULL, "the path is not valid UTF-8 without control characters");
        return -1;
    }
    const char *q = http_env(r, "QUERY_STRING");
    if (q == NULL || q[0] == '\0')
        return 0;
    size_t qlen = strlen(q);
    if ((long)qlen > max_query) {
        http_problem(r, 414, NULL, "the query string has %zu bytes; at most %ld are accepted",
                     qlen, max_query);
        return -1;
    }
    /* The decoded names and values, each NUL-terminated, in one buffer owned by the request:
     * a pair of n bytes decodes to at most n bytes plus two NULs, and pairs are at least 2 bytes
     * apart ("a&b&c": 5 bytes, 9 out), so 2 * qlen + 2 bytes hold them all. The query string
     * itself, libfcgi's memory, is only read. */
    r->query_buf = xmalloc(2 * qlen + 2);
    char *w = r->query_buf;
    for (const char *p = q; *p != '\0';) {
        size_t plen = strcspn(p, "&");
        const char *pair = p;
        p += plen + (p[plen] == '&');
        if (plen == 0)
            continue; /* "a&&b", "&": an empty pair says nothing */
        const char *eq = memchr(pair, '=', plen);
        size_t nlen = eq != NULL ? (size_t)(eq - pair) : plen;
        char *name = w;
        long nl = http_url_decode(pair, nlen, name);
        if (nl == 0) {
            http_problem(r, 400, NULL, "a query parameter has no name");
            return -1;
        }
        if (nl < 0 || !text_is_clean(name, (size_t)nl)) {
            http_problem(r, 400, NULL, "a query parameter name is not valid percent-encoded "
                                       "UTF-8 without control characters");
            return -1;
        }
        char *value = name + nl + 1;
        /* Without '=' ("?survey") the value is empty (SPEC v1.1). */
        long vl = 0;
        if (eq != NULL)
            vl = http_url_decode(eq + 1, plen - nlen - 1, value);
        else
            value[0] = '\0';
        if (vl < 0 || !text_is_clean(value, (size_t)vl)) {
            http_problem(r, 400, name,
                         "parameter '%s' is not valid percent-encoded UTF-8 without control "
                         "characters",
                         name);
            return -1;
        }
        w = value + vl + 1;
        if (vl > HTTP_MAX_VALUE) {
            http_problem(r, 400, name, "parameter '%s' is longer than %d bytes", name,
                         HTTP_MAX_VALUE);
            return -1;
        }
        for (int i = 0; i < r->nparams; i++)
            if (strcmp(r->params[i].name, name) == 0) {
                http_problem(r, 400, name, "parameter '%s' is given more than once", name);
                return -1;
            }
        if (r->nparams == HTTP_MAX_PARAMS) {
            http_problem(r, 400, NULL, "more than %d query parameters", HTTP_MAX_PARAMS);
            return -1;
        }
        r->params[r->nparams].name = name;
        r->params[r->nparams].value = value;
        r->nparams++;
    }
    return 0;
}

void http_req_cleanup(hy_req *r)
{
    if (r->prev_locale != (locale_t)0)
        uselocale(r->prev_locale);
    r->prev_locale = (locale_t)0;
    free(r->query_buf);
    r->query_buf = NULL;
    r->nparams = 0;
}

const char *http_param(const hy_req *r, const char *name)
{
    for (int i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].name, name) == 0)
            return r->params[i].value;
    return NULL;
}

static bool listed(const char *const *list, const char *name)
{
    for (const char *const *a = list; a != NULL && *a != NULL; a++)
        if (strcmp(*a, name) == 0)
            return true;
    return false;
}

int http_params_check(hy_req *r, const char *const *allowed, const char *const *may_be_empty)
{
    for (int i = 0; i < r->nparams; i++) {
        const char *name = r->params[i].name;
        if (!listed(allowed, name)) {
            char list[512] = "";
            for (const char *const *a = allowed; *a != NULL; a++) {
                if (list[0] != '\0')
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, *a, sizeof list - strlen(list) - 1);
            }
            http_problem(r, 400, name, "unknown parameter '%s' (accepted: %s)", name,
                         list[0] != '\0' ? list : "none");
            return -1;
        }
        if (r->params[i].value[0] == '\0' && !listed(may_be_empty, name)) {
            http_problem(r, 400, name, "parameter '%s' needs a value (%s=...)", name, name);
            return -1;
        }
    }
    return 0;
}

int http_params_allowed(hy_req *r, const char *const *allowed)
{
    return http_params_check(r, allowed, NULL);
}

int param_int_or_reply(hy_req *r, const char *name, long lo, long hi, long def, long *out)
{
    const char *v = http_param(r, name);
    if (v == NULL) {
        *out = def;
        return 0;
    }
    /* Digits only: strtol alone would accept " 5", "+5" and "5abc" silently. */
    bool digits = v[0] != '\0' && strlen(v) <= 18;
    for (const char *p = v; *p && digits; p++)
        digits = (*p >= '0' && *p <= '9') || (p == v && *p == '-' && p[1] != '\0');
    long n = digits ? strtol(v, NULL, 10) : 0;
    if (!digits || n < lo || n > hi) {
        http_problem(r, 400, name, "parameter '%s' must be an integer from %ld to %ld, not '%s'",
                     name, lo, hi, v);
        return -1;
    }
    *out = n;
    return 0;
}

int param_enum_or_reply(hy_req *r, const char *name, const char *const *choices, int def, int *out)
{
    const char *v = http_param(r, name);
    if (v == NULL) {
        *out = def;
        return 0;
    }
    char list[256] = "";
    for (int i = 0; choices[i] != NULL; i++) {
        if (strcmp(choices[i], v) == 0) {
            *out = i;
            return 0;
        }
        if (i > 0)
            strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
    }
    http_problem(r, 400, name, "parameter '%s' must be one of %s, not '%s'", name, list, v);
    return -1;
}

/* ---- the response: all FastCGI records of it in one writev --------------------------------- */

/* Content bytes per FCGI_STDOUT record: the length field has 16 bits; a multiple of 8 keeps every
 * record 8-byte aligned without padding, as the FastCGI spec recommends. */
#define RECORD_MAX 65528
/* Records per writev: at most 3 iovecs each (the header, the end of head, the start of body)
 * stay far below Linux's IOV_MAX (1024), and 64 x 64 KiB = 4 MiB per call. */
#define RECORDS_PER_WRITE 64
#define LINUX_IOV_MAX 1024
_Static_assert(RECORDS_PER_WRITE * 3 + 1 <= LINUX_IOV_MAX, "too many iovecs for one writev");

static FCGI_Header record_header(int type, int request_id, size_t len)
{
    FCGI_Header h = {.version = FCGI_VERSION_1,
                     .type = (unsigned char)type,
                     .requestIdB1 = (unsigned char)((request_id >> 8) & 0xff),
                     .requestIdB0 = (unsigned char)(request_id & 0xff),
                     .contentLengthB1 = (unsigned char)((len >> 8) & 0xff),
                     .contentLengthB0 = (unsigned char)(len & 0xff)};
    return h;
}

/* writev() until all of iov[0..n) is written (the socket is blocking; a short write happens
 * when nginx reads slower than a large body arrives). Returns 0, or -1 with errno. */
static int writev_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        size_t left = (size_t)w;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

/* Why not FCGX_PutStr: libfcgi's output stream has a fixed 8 KiB buffer and writes the closing
 * records from FCGX_Finish_r, so an 8 KiB page went out in 2 write() calls and a 20 KiB one in
 * 3, each a wakeup of nginx for a partial read. Here: one writev per response. */
int http_write_records(FCGX_Request *f, const char *head, size_t hlen, const char *body,
                       size_t blen)
{
    struct iovec iov[RECORDS_PER_WRITE * 3 + 1];
    FCGI_Header hdr[RECORDS_PER_WRITE];
    struct {
        FCGI_Header eos; /* FCGI_STDOUT, length 0: end of the stream */
        FCGI_EndRequestRecord end;
    } tail = {record_header(FCGI_STDOUT, f->requestId, 0),
              {record_header(FCGI_END_REQUEST, f->requestId, sizeof(FCGI_EndRequestBody)),
               {.protocolStatus = FCGI_REQUEST_COMPLETE}}};
    const char *seg[2] = {head, body};
    size_t seglen[2] = {hlen, blen};
    int si = 0;     /* segment being written */
    size_t off = 0; /* bytes of it written */
    for (;;) {
        int n = 0, nrec = 0;
        while (nrec < RECORDS_PER_WRITE && si < 2) {
            size_t room = RECORD_MAX, len = 0;
            int at = n++;
            while (room > 0 && si < 2) {
                size_t k = seglen[si] - off < room ? seglen[si] - off : room;
                if (k > 0) {
                    iov[n].iov_base = (void *)(seg[si] + off);
                    iov[n++].iov_len = k;
                }
                off += k;
                room -= k;
                len += k;
                if (off == seglen[si]) {
                    si++;
                    off = 0;
                }
            }
            if (len == 0) { /* nothing left: no empty data record (it would end the stream) */
                n--;
                break;
            }
            hdr[nrec] = record_header(FCGI_STDOUT, f->requestId, len);
            iov[at].iov_base = &hdr[nrec++];
            iov[at].iov_len = sizeof(FCGI_Header);
        }
        bool last = si == 2;
        if (last) {
            iov[n].iov_base = &tail;
            iov[n++].iov_len = sizeof tail;
        }
        if (writev_all(f->ipcFd, iov, n) < 0)
            return -1;
        if (last)
            return 0;
    }
}

void http_reply(hy_req *r, int status, const char *content_type, const char *body, size_t len,
                const char *extra)
{
    if (r->status != 0)
        return; /* answered already: a handler bug, never two responses */
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "X-Content-Type-Options: nosniff\r\nCache-Control: no-cache\r\n%s\r\n",
                     status, http_reason(status), content_type, len, extra ? extra : "");
    if (n < 0 || (size_t)n >= sizeof head)
        n = snprintf(head, sizeof head, "Status: 500 Internal Server Error\r\n\r\n");
    /* Then the output stream is marked closed, as FCGX_FClose would have left it, so
     * FCGX_Finish_r writes nothing more: in libfcgi 2.4 FCGX_FClose of a stream whose
     * wasFCloseCalled is set does nothing, and stderr, never written to, sends no record. */
    FCGX_Stream *out = r->fcgi->out;
    /* Counted before the answer leaves: a client that has read it and asks /metrics next (another
     * worker may answer that) finds it counted. Counted after the write, it was missing one time in
     * ten at a load of 10 (tests/http/api.test.mjs "metrics"). The time is up to the write, which
     * is one writev to nginx's socket. */
    metrics_request(r->route, status, app_now() - r->t0);
    if (http_write_records(r->fcgi, head, (size_t)n, body, r->head ? 0 : len) < 0)
        r->fcgi->keepConnection = 0; /* a broken connection is never kept */
    out->wasFCloseCalled = 1;
    out->isClosed = 1;
    r->status = status;
    r->bytes_out = len;
}

char *http_dump(const json_t *doc, size_t *len)
{
    char *s = json_dumps(doc, JENG_DUMP_FLAGS);
    if (s != NULL && len != NULL)
        *len = strlen(s);
    return s;
}

void http_reply_json(hy_req *r, int status, const json_t *doc)
{
    size_t len;
    char *s = http_dump(doc, &len);
    if (s == NULL) {
        http_problem(r, 500, NULL, "the response could not be serialised");
        return;
    }
    http_reply(r, status, "application/json; charset=utf-8", s, len, NULL);
    free(s);
}

static const char *problem_type(int status, const char *param)
{
    if (param != NULL && status == 400)
        return "urn:hyoka:problem:bad-parameter";
    switch (status) {
    case 400: return "urn:hyoka:problem:bad-request";
    case 401: return "urn:hyoka:problem:unauthorized";
    case 403: return "urn:hyoka:problem:forbidden";
    case 404: return "urn:hyoka:problem:not-found";
    case 405: return "urn:hyoka:problem:method-not-allowed";
    case 413: return "urn:hyoka:problem:body-too-large";
    case 414: return "urn:hyoka:problem:uri-too-long";
    case 503: return "urn:hyoka:problem:database-unavailable";
    default: return "urn:hyoka:problem:internal";
    }
}

/* The length to cut UTF-8 text of `len` bytes to so that no sequence is split. */
static size_t utf8_cut(const char *s, size_t len)
{
    size_t k = len;
    while (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
        k--; /* continuation bytes at the end */
    if (k == 0)
        return len;
    unsigned char lead = (unsigned char)s[k - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return len - (k - 1) < want ? k - 1 : len;
}

static void vproblem(hy_req *r, int status, const char *extra, const char *param, const char *fmt,
                     va_list ap)
{
    char detail[1024];
    int n = vsnprintf(detail, sizeof detail, _(fmt), ap); /* in the request's language */
    if (n >= (int)sizeof detail)
        detail[utf8_cut(detail, sizeof detail - 1)] = '\0';
    json_t *doc = json_object();
    json_object_set_new(doc, "type", json_string(problem_type(status, param)));
    json_object_set_new(doc, "title", json_string(_(http_reason(status))));
    json_object_set_new(doc, "status", json_integer(status));
    /* Details quote what the client sent, cut above at a character boundary; invalid bytes
     * (only a method can still have them) must not lose the whole answer. */
    json_t *d = json_string(detail);
    json_object_set_new(doc, "detail", d != NULL ? d : json_string("(detail not valid UTF-8)"));
    if (param != NULL) {
        json_t *p = json_string(param);
        json_object_set_new(doc, "parameter", p != NULL ? p : json_string("?"));
    }
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    char headers[512];
    snprintf(headers, sizeof headers, "%sContent-Language: %s\r\nVary: Accept-Language\r\n",
             extra != NULL ? extra : "", hy_lang_tag((hy_lang)r->lang));
    http_reply(r, status, "application/problem+json; charset=utf-8", s ? s : "{}",
               s ? strlen(s) : 2, headers);
    free(s);
}

void http_problem(hy_req *r, int status, const char *param, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(r, status, NULL, param, fmt, ap);
    va_end(ap);
}

void http_problem_h(hy_req *r, int status, const char *extra, const char *param, const char *fmt,
                    ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(r, status, extra, param, fmt, ap);
    va_end(ap);
}
