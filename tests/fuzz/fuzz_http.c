/* fuzz_http.c - libFuzzer target for what hyoka-fcgi does with a request before a handler touches
 * the database: the path and query string are parsed (http_req_init), the route is found and
 * its parameters checked (route_prepare), then the values handlers check first (limit, offset,
 * sort, format).
 *
 * The input is a request line as text, "METHOD PATH?QUERY" (no space: a GET of PATH?QUERY), cut
 * at the first NUL as the FastCGI environment is. The path is taken as nginx passes it, already
 * decoded: any bytes. Promises checked: only the statuses these steps may answer; every request
 * answered at most once; a request for the handler has at most HTTP_MAX_PARAMS parameters, each
 * known to the route, named once, UTF-8 without control characters, no longer than
 * HTTP_MAX_VALUE and not empty but for `q`; and encoding those parameters again and parsing the
 * result gives the same parameters. The input is also parsed as an Accept-Language header.
 */
#define _GNU_SOURCE /* asprintf */
#include "http.h"
#include "i18n.h"
#include "route.h"
#include "text_check.h"
#include "xalloc.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_QUERY 8192 /* limits.max_query's default */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Answers go to /dev/null: what is checked is the status and the parameters. */
static int sink(void)
{
    static int fd = -1;
    if (fd < 0)
        fd = open("/dev/null", O_WRONLY);
    if (fd < 0)
        abort();
    return fd;
}

typedef struct parsed {
    FCGX_Stream out;
    FCGX_Request f;
    char *env[4];
    hy_req r;
    char arg[HTTP_MAX_PATH + 1];
} parsed;

/* Parses and routes one request; the caller calls http_req_cleanup(&p->r) and frees env[]. */
static void parse(parsed *p, const char *method, const char *path, size_t plen, const char *query)
{
    memset(p, 0, sizeof *p);
    int n = 0;
    if (asprintf(&p->env[n++], "REQUEST_METHOD=%s", method) < 0 ||
        asprintf(&p->env[n++], "DOCUMENT_URI=%.*s", (int)plen, path) < 0 ||
        (query != NULL && asprintf(&p->env[n++], "QUERY_STRING=%s", query) < 0))
        abort();
    p->f.ipcFd = sink();
    p->f.requestId = 1;
    p->f.envp = p->env;
    p->f.out = &p->out;
    if (http_req_init(&p->r, &p->f, MAX_QUERY, 0) == 0)
        route_prepare(&p->r, p->arg, sizeof p->arg);
}

static void release(parsed *p)
{
    http_req_cleanup(&p->r);
    for (int i = 0; i < 4; i++)
        free(p->env[i]);
}

/* The parameters percent-encoded again, every byte but letters and digits as %XX. */
static char *encode(const hy_req *r)
{
    size_t cap = 1;
    for (int i = 0; i < r->nparams; i++)
        cap += 3 * (strlen(r->params[i].name) + strlen(r->params[i].value)) + 2;
    char *q = xmalloc(cap), *w = q;
    for (int i = 0; i < r->nparams; i++) {
        const char *parts[2] = {r->params[i].name, r->params[i].value};
        if (i > 0)
            *w++ = '&';
        for (int k = 0; k < 2; k++) {
            if (k == 1)
                *w++ = '=';
            for (const unsigned char *s = (const unsigned char *)parts[k]; *s; s++) {
                if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                    (*s >= '0' && *s <= '9'))
                    *w++ = (char)*s;
                else
                    w += sprintf(w, "%%%02X", *s);
            }
        }
    }
    *w = '\0';
    return q;
}

static void check_params(const hy_req *r)
{
    if (r->nparams < 0 || r->nparams > HTTP_MAX_PARAMS)
        abort();
    for (int i = 0; i < r->nparams; i++) {
        const char *name = r->params[i].name, *value = r->params[i].value;
        size_t vl = strlen(value);
        if (name[0] == '\0' || !text_is_clean(name, strlen(name)) ||
            !text_is_clean(value, vl) || vl > HTTP_MAX_VALUE)
            abort();
        if (vl == 0 && strcmp(name, "q") != 0)
            abort(); /* only q may be empty */
        if (http_param(r, name) != value)
            abort(); /* named once: the first with the name is this one */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = strnlen((const char *)data, size);
    char *line = xmalloc(len + 1);
    memcpy(line, data, len);
    line[len] = '\0';
    /* The same text as an Accept-Language header (hyoka-fcgi reads it before anything else):
     * a language we speak or none, never more. */
    int lang = hy_lang_accept(line);
    if (lang < -1 || lang > HY_LANG_JA)
        abort();
    const char *method = "GET", *target = line;
    char *space = strchr(line, ' ');
    if (space != NULL) {
        *space = '\0';
        method = line;
        target = space + 1;
    }
    const char *qmark = strchr(target, '?');
    size_t plen = qmark != NULL ? (size_t)(qmark - target) : strlen(target);

    parsed p;
    parse(&p, method, target, plen, qmark != NULL ? qmark + 1 : NULL);
    int st = p.r.status;
    if (st != 0 && st != 400 && st != 404 && st != 405 && st != 414)
        abort();
    if (st == 0) {
        check_params(&p.r);
        /* The same parameters, encoded differently, parse to the same (unless the encoding
         * grew beyond the limit). */
        char *again = encode(&p.r);
        if (strlen(again) <= MAX_QUERY) {
            parsed q;
            parse(&q, method, target, plen, again);
            if (q.r.status != 0 || q.r.nparams != p.r.nparams)
                abort();
            for (int i = 0; i < p.r.nparams; i++)
                if (strcmp(q.r.params[i].name, p.r.params[i].name) != 0 ||
                    strcmp(q.r.params[i].value, p.r.params[i].value) != 0)
                    abort();
            release(&q);
        }
        free(again);
        /* What handlers check before the database. */
        static const char *const sorts[] = {"code", "score", "-score", "title", NULL};
        static const char *const formats[] = {"json", "csv", NULL};
        long limit, offset;
        int sort, format;
        if (param_int_or_reply(&p.r, "limit", 1, 500, 50, &limit) == 0 &&
            (limit < 1 || limit > 500))
            abort();
        if (param_int_or_reply(&p.r, "offset", 0, 100000000L, 0, &offset) == 0 &&
            (offset < 0 || offset > 100000000L))
            abort();
        if (param_enum_or_reply(&p.r, "sort", sorts, 0, &sort) == 0 && (sort < 0 || sort > 3))
            abort();
        if (param_enum_or_reply(&p.r, "format", formats, 0, &format) == 0 &&
            (format < 0 || format > 1))
            abort();
        if (p.r.status != 0 && p.r.status != 400)
            abort();
    }
    release(&p);
    free(line);
    return 0;
}
