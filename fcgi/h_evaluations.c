/* h_evaluations.c - POST /api/v1/evaluations: bearer token first, then a bounded JSON body, then
 * store_evaluate on a writer connection; 201 with the new run's summary, or 200 with the survey's
 * newest run when the rules and facts are that run's (SPEC v1.1 "Identical evaluations"). */
#include "app.h"
#include "db.h"
#include "worker.h"
#include "evaluate.h"
#include "handlers.h"
#include "log.h"
#include "xalloc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bytes of a bearer token at most. Tokens are short random strings (scripts/stack.sh makes 48 hex
 * digits); a longer one is refused by its length, before it is hashed, with a 401 that says so
 * (tests/http/faults.test.mjs). nginx passes headers up to 16k (large_client_header_buffers). */
#define TOKEN_MAX 512

/* Whether `token`'s SHA-256 is one of api.write_tokens. Every configured hash is compared, each in
 * constant time (CRYPTO_memcmp), so timing tells nothing about which or how much matched. */
static bool token_ok(const char *token)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (EVP_Digest(token, strlen(token), digest, &dlen, EVP_sha256(), NULL) != 1 || dlen != 32)
        return false;
    char hex[65];
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    int match = 0;
    for (int i = 0; i < app.config.nwrite_tokens; i++)
        match |= CRYPTO_memcmp(hex, app.config.write_tokens[i], 64) == 0;
    return match != 0;
}

/* Reads the body, at most max bytes; returns it (NUL-terminated, malloc'd) or NULL if larger. */
static char *read_body(hy_req *r, long max, size_t *len)
{
    char *body = xmalloc((size_t)max + 1);
    size_t n = 0;
    for (;;) {
        int got = FCGX_GetStr(body + n, (int)((size_t)max + 1 - n), r->fcgi->in);
        if (got <= 0)
            break;
        n += (size_t)got;
        if (n > (size_t)max) {
            free(body);
            return NULL;
        }
    }
    body[n] = '\0';
    *len = n;
    return body;
}

/* The run's evaluated_at as GET /summary shows it (whole seconds, as SPEC's example):
 * "2024-05-10T09:00:00.123456+09:00" -> "2024-05-10T09:00:00+09:00". */
static void seconds_only(json_t *run)
{
    const char *t = json_string_value(json_object_get(run, "evaluated_at"));
    const char *dot = t != NULL ? strchr(t, '.') : NULL;
    if (dot == NULL)
        return;
    size_t frac = strspn(dot + 1, "0123456789");
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s%s", (int)(dot - t), t, dot + 1 + frac);
    json_object_set_new(run, "evaluated_at", json_string(buf));
}

void h_evaluations(hy_req *r, const char *arg)
{
    static const char *const no_params[] = {NULL};
    (void)arg;
    char *body = NULL;
    json_t *in = NULL, *doc = NULL, *answer = NULL;
    PGconn *c = NULL;
    if (http_params_allowed(r, no_params) < 0)
        goto out;
    /* 1. Authorisation, before a byte of the body is read. */
    const char *auth = http_env(r, "HTTP_AUTHORIZATION");
    const char *why = NULL;
    if (auth == NULL || auth[0] == '\0')
        why = "this request needs an Authorization: Bearer TOKEN header";
    else if (strncasecmp(auth, "Bearer ", 7) != 0 || auth[7] == '\0')
        why = "the Authorization header must be 'Bearer TOKEN'";
    if (why != NULL) {
        http_problem_h(r, 401, "WWW-Authenticate: Bearer realm=\"hyoka\"\r\n", NULL, "%s", why);
        goto out;
    }
    size_t token_len = strlen(auth + 7);
    if (token_len > TOKEN_MAX) {
        http_problem_h(r, 401,
                       "WWW-Authenticate: Bearer realm=\"hyoka\", error=\"invalid_token\"\r\n",
                       NULL, "the bearer token has %zu bytes; at most %d are accepted", token_len,
                       TOKEN_MAX);
        goto out;
    }
    if (!token_ok(auth + 7)) {
        log_warn("POST /evaluations with a token that is not in api.write_tokens");
        http_problem(r, 403, NULL, "the token is not allowed to write");
        goto out;
    }
    if (app.config.writer_conninfo == NULL) {
        http_problem(r, 403, NULL, "writes are disabled: the server has no "
                                   "database.writer_conninfo");
        goto out;
    }
    /* nginx refused the body (over its client_max_body_size) without reading it, and asks this
     * answer of the authorised client (nginx/hyoka-locations.conf, @hyoka_body_too_large). */
    if (http_env(r, "HYOKA_BODY_TOO_LARGE") != NULL) {
        http_problem(r, 413, NULL, "the body is larger than nginx accepts (client_max_body_size)");
        goto out;
    }
    /* 2. The body: declared or actual size over the limit is 413 (the rest is drained later). */
    const char *cl = http_env(r, "CONTENT_LENGTH");
    if (cl != NULL && cl[0] != '\0' && strtoll(cl, NULL, 10) > app.config.max_body) {
        http_problem(r, 413, NULL, "the body has %s bytes; at most %ld are accepted", cl,
                     app.config.max_body);
        goto out;
    }
    size_t len = 0;
    body = read_body(r, app.config.max_body, &len);
    if (body == NULL) {
        http_problem(r, 413, NULL, "the body is larger than %ld bytes", app.config.max_body);
        goto out;
    }
    const char *survey = NULL;
    if (len > 0) {
        json_error_t jerr;
        in = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(in)) {
            http_problem(r, 400, NULL, "the body must be empty or a JSON object like "
                                       "{\"survey\": \"2023\"} (line %d, column %d: %s)",
                         jerr.line, jerr.column, in ? "not an object" : jerr.text);
            goto out;
        }
        const char *key;
        json_t *v;
        json_object_foreach(in, key, v) {
            if (strcmp(key, "survey") != 0) {
                http_problem(r, 400, key, "unknown member '%s' in the body (accepted: survey)",
                             key);
                goto out;
            }
            if (!json_is_string(v) || json_string_length(v) == 0) {
                http_problem(r, 400, "survey", "'survey' must be a survey code (a string)");
                goto out;
            }
            survey = json_string_value(v);
        }
    }
    /* 3. Evaluate and store, on a connection of the writer role (not kept: writes are rare). */
    store_error err = {0};
    worker_shed_idle(); /* seconds for a large survey: idle connections go to other workers */
    bool stored = false;
    store_evaluate_opts eo = {.rules = app.rules, .rules_file = app.config.rules_file,
                              .survey_code = survey, .started_by = "api", .stored = &stored};
    c = store_connect(app.config.writer_conninfo, &err);
    if (c != NULL)
        doc = store_evaluate(c, &eo, &err);
    if (doc == NULL) {
        if (err.status == STORE_ENOTFOUND)
            http_problem(r, 404, "survey", "%s", err.message);
        else if (err.status == STORE_EUSER)
            http_problem(r, 400, NULL, "%s", err.message);
        else {
            log_error("POST /evaluations: %s", err.message);
            http_problem(r, 503, NULL, "the database is unavailable; nothing was stored");
        }
        goto out;
    }
    answer = json_pack("{s:O, s:O}", "survey", json_object_get(doc, "survey"), "run",
                       json_object_get(doc, "run"));
    seconds_only(json_object_get(answer, "run"));
    json_object_update(answer, json_object_get(doc, "summary"));
    long long run_id = (long long)json_integer_value(json_object_get(json_object_get(doc, "run"), "id"));
    db_await_replay(c, run_id); /* reading from a standby: until it has the run */
    db_run_published(run_id);
    log_info("POST /evaluations: %s run %lld of survey %s", stored ? "stored" : "identical to",
             run_id, json_string_value(json_object_get(json_object_get(doc, "survey"), "code")));
    size_t n;
    char *text = http_dump(answer, &n);
    char location[300];
    const char *code = json_string_value(json_object_get(json_object_get(doc, "survey"), "code"));
    /* Survey codes are imported text: only a plain code goes into a header. */
    if (code != NULL && strlen(code) < 200 && strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                          "abcdefghijklmnopqrstuvwxyz0123456789-_.") ==
                                                   strlen(code))
        snprintf(location, sizeof location, "Location: /api/v1/summary?survey=%s&run=%lld\r\n",
                 code, run_id);
    else
        location[0] = '\0';
    if (text == NULL)
        http_problem(r, 500, NULL, "the response could not be serialised");
    else
        http_reply(r, stored ? 201 : 200, "application/json; charset=utf-8", text, n, location);
    free(text);
out:
    if (c != NULL)
        PQfinish(c);
    json_decref(answer);
    json_decref(doc);
    json_decref(in);
    free(body);
}
