/* http.h - one FastCGI request as handlers see it: method, path, decoded query parameters, and the
 * only ways to answer (a body, JSON, or an RFC 9457 problem).
 *
 * Parameters are percent-decoded here (nginx passes QUERY_STRING raw) into memory the request owns
 * (the query string is only read) and must be valid UTF-8 without control characters, the rule
 * the importer applies to codes (text_check.h). A parameter without '=' has the empty value.
 * The route table lists the parameters each route accepts (http_params_check); any other, or an
 * empty value where one is needed, is a 400 naming it.
 * The *_or_reply helpers answer the error themselves and return -1, so a handler just returns.
 * Every request is answered exactly once; http_finish answers 500 if a handler forgot.
 *
 * Ownership: strings returned by http_param/http_header live until http_req_cleanup.
 */
#ifndef HYOKA_FCGI_HTTP_H
#define HYOKA_FCGI_HTTP_H

#include <fcgiapp.h>
#include <jansson.h>
#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_PARAMS 32      /* query parameters in one request */
#define HTTP_MAX_PATH 1024      /* bytes of the decoded path */
#define HTTP_MAX_VALUE 1024     /* bytes of one decoded parameter value */

typedef struct http_kv {
    char *name;
    char *value;
} http_kv;

typedef struct hy_req {
    FCGX_Request *fcgi;
    const char *method;     /* REQUEST_METHOD */
    const char *path;       /* DOCUMENT_URI (decoded, normalised by nginx) */
    bool head;              /* HEAD: answer like GET without the body */
    http_kv params[HTTP_MAX_PARAMS];
    int nparams;
    char *query_buf;        /* owned: the decoded names and values, NUL-terminated */
    int status;             /* 0 until answered */
    size_t bytes_out;
    int route;              /* the route table's index once routed (metrics), -1 until then */
    double t0;              /* app_now() when the request had been read */
    int lang;               /* hy_lang of the messages: Accept-Language, else api.language */
    locale_t prev_locale;   /* the thread's locale before the request's (http_req_cleanup) */
} hy_req;

/* The language of a request that names none in Accept-Language (api.language; hy_lang). */
void http_set_default_language(int lang);

/* Reads method, path and query from the FastCGI environment. First chooses the language of the
 * request's messages (Accept-Language: ja or en with q-values, else api.language, else English)
 * and makes it the thread's LC_MESSAGES with uselocale() until http_req_cleanup, so that every
 * message translated while serving it (problems, store errors) is in that language; a problem
 * says which with Content-Language and Vary: Accept-Language. Returns 0, or -1 after answering
 * 400 (a path that is not UTF-8 text; malformed, duplicate or too many parameters) or 414 (path
 * or query too long). Reads f->envp; answers through f->ipcFd and f->out. */
int http_req_init(hy_req *r, FCGX_Request *f, long max_query, double t0);
void http_req_cleanup(hy_req *r);

const char *http_param(const hy_req *r, const char *name);     /* NULL if absent */
const char *http_env(const hy_req *r, const char *name);       /* FastCGI param or NULL */

/* The parameters a route accepts, as NULL-terminated lists of names: 400 naming the first
 * parameter not in `allowed`, or the first with an empty value ("?survey", "?survey=") that is
 * not in `may_be_empty` (NULL: none may be); returns -1 then, else 0. */
int http_params_check(hy_req *r, const char *const *allowed, const char *const *may_be_empty);
/* http_params_check(r, allowed, NULL): every parameter needs a value. */
int http_params_allowed(hy_req *r, const char *const *allowed);
/* Integer parameter in [lo, hi]; `def` when absent. -1 after a 400 naming it. */
int param_int_or_reply(hy_req *r, const char *name, long lo, long hi, long def, long *out);
/* One of `choices` (NULL-terminated); index in *out, `def` when absent. -1 after a 400. */
int param_enum_or_reply(hy_req *r, const char *name, const char *const *choices, int def,
                        int *out);

/* Answers with a body. `extra` is NULL or header lines each ending in "\r\n". */
void http_reply(hy_req *r, int status, const char *content_type, const char *body, size_t len,
                const char *extra);
/* Writes `head` then `body` to f->ipcFd as FCGI_STDOUT records of at most 65528 bytes, the empty
 * FCGI_STDOUT record that ends the stream and FCGI_END_REQUEST (application status 0): a complete
 * response, in one writev for bodies up to 4 MiB. Uses only f->ipcFd and f->requestId; the
 * caller makes sure libfcgi writes nothing more (http_reply marks the output stream closed).
 * Returns 0, or -1 with errno when the connection failed. */
int http_write_records(FCGX_Request *f, const char *head, size_t hlen, const char *body,
                       size_t blen);
/* Answers with `doc` serialised (application/json; charset=utf-8). Does not steal `doc`. */
void http_reply_json(hy_req *r, int status, const json_t *doc);
/* Serialises a document as the API does (compact, 15 significant digits). malloc'd, or NULL. */
char *http_dump(const json_t *doc, size_t *len);
/* application/problem+json {type, title, status, detail[, parameter]}; `param` may be NULL. */
void http_problem(hy_req *r, int status, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same with extra header lines (e.g. "Allow: GET, HEAD\r\n"). */
void http_problem_h(hy_req *r, int status, const char *extra, const char *param, const char *fmt,
                    ...) __attribute__((format(printf, 5, 6)));

const char *http_reason(int status);
/* Decodes the `n` bytes of application/x-www-form-urlencoded text at `src` ('+' is a space) into
 * `out`, which has room for n + 1 bytes, and NUL-terminates it; `src` is only read. Returns the
 * decoded length (the text may contain NUL bytes), or -1 on a malformed %XX. */
long http_url_decode(const char *src, size_t n, char *out);

#endif
