/* test_config.c - unit tests of the service config loader: good files and bad ones with their exact positions. */
#include "config.h"
#include "i18n.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[] = "/tmp/hyoka-config-test-XXXXXX";

/* Writes `text` to DIR/name and returns the path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#define MINIMAL "rules = { file = \"r.cfg\"; };\n"
#define TOKEN "sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"

/* Bad files: the text and the first error, as "line: message-prefix". */
static const struct bad_case {
    const char *text;
    const char *expect; /* "LINE: substring of the message" */
} bad_cases[] = {
    {MINIMAL "server = { workers = 0; };\n", "2: server.workers: 0 is outside 1..256"},
    {MINIMAL "server = { workers = 257; };\n", "2: server.workers: 257 is outside 1..256"},
    {MINIMAL "server = { workers = \"4\"; };\n", "2: server.workers must be an integer, not a string"},
    {MINIMAL "server = {\n  worker = 4; };\n", "3: unknown key 'worker' in group 'server'"},
    {MINIMAL "\n\nsevrer = { workers = 4; };\n", "4: unknown group 'sevrer'"},
    {MINIMAL "server = { socket_mode = 660; };\n", "2: server.socket_mode must be an octal string"},
    {MINIMAL "server = { socket_mode = \"0980\"; };\n", "2: server.socket_mode must be an octal mode"},
    {MINIMAL "api = { write_tokens = [ \"abc\" ]; };\n", "2: api.write_tokens entries must be"},
    {MINIMAL "api = { write_tokens = [ \"sha256:0123\" ]; };\n", "2: api.write_tokens entries must be"},
    {MINIMAL "api = { write_tokens = \"" TOKEN "\"; };\n", "2: api.write_tokens must be an array"},
    {MINIMAL "limits = { max_body = 2000000; };\n", "2: limits.max_body: 2000000 is outside"},
    {MINIMAL "limits = { max_query = 5000000000L; };\n", "2: limits.max_query: 5000000000 is outside"},
    {MINIMAL "log = { level = \"verbose\"; };\n", "2: log.level must be one of"},
    {MINIMAL "database = { preferred_retry_ms = 99; };\n",
     "2: database.preferred_retry_ms: 99 is outside 100..3600000"},
    {MINIMAL "database = { preferred_retry_ms = 3600001; };\n",
     "2: database.preferred_retry_ms: 3600001 is outside 100..3600000"},
    {MINIMAL "api = { language = \"fr\"; };\n", "2: api.language must be \"ja\" or \"en\", not \"fr\""},
    {MINIMAL "api = { language = \"ja-JP\"; };\n", "2: api.language must be \"ja\" or \"en\""},
    {MINIMAL "api = { language = 1; };\n", "2: api.language must be a string, not an integer"},
    /* libconfig wraps this to 705032704, inside the range: caught from the literal. */
    {MINIMAL "limits = { cache_bytes = 5000000000; };\n",
     "2: limits.cache_bytes: 5000000000 does not fit a 32-bit integer"},
    {MINIMAL "limits = {\n  max_body = 4295016296; };\n",
     "3: limits.max_body: 4295016296 does not fit a 32-bit integer (libconfig would read 49000)"},
    {MINIMAL "database = \"dbname=x\";\n", "2: 'database' must be a group"},
    {"server = { workers = 4; };\n", "1: missing rules.file"},
    {MINIMAL "server = { workers = ; };\n", "2: syntax error"},
    {MINIMAL "rules = { file = \"other\"; };\n", "2: duplicate setting name"},
    {"\xEF\xBB\xBF" MINIMAL, "1: syntax error"},
};

static void test_bad_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const char *path = write_file("bad.cfg", bad_cases[i].text);
        eng_diags *d = eng_diags_new();
        hy_config c;
        int rc = hy_config_load(path, &c, d);
        if (rc != -1 || eng_diags_errors(d) < 1) {
            print_error("case %zu accepted: %s\n", i, bad_cases[i].text);
            fail();
        }
        const eng_diag *e = eng_diags_get(d, 0);
        char got[1024];
        snprintf(got, sizeof got, "%d: %s", e->line, e->message);
        int line = atoi(bad_cases[i].expect);
        const char *want = strchr(bad_cases[i].expect, ':') + 2;
        if (e->line != line || strstr(e->message, want) == NULL || strcmp(e->file, path) != 0) {
            print_error("case %zu: want '%s' in %s, got '%s' in %s\n", i, bad_cases[i].expect,
                        path, got, e->file);
            fail();
        }
        assert_null(c.path); /* refused: nothing left allocated */
        eng_diags_free(d);
    }
}

static void test_collects_every_error(void **state)
{
    (void)state;
    const char *path = write_file("many.cfg", MINIMAL "server = { workers = 0;\n backlog = 0;\n"
                                              " nope = 1; };\nlog = { level = 3; };\n");
    eng_diags *d = eng_diags_new();
    hy_config c;
    assert_int_equal(hy_config_load(path, &c, d), -1);
    assert_int_equal(eng_diags_errors(d), 4);
    assert_int_equal(eng_diags_get(d, 0)->line, 2);
    assert_int_equal(eng_diags_get(d, 1)->line, 3);
    assert_int_equal(eng_diags_get(d, 2)->line, 4);
    assert_int_equal(eng_diags_get(d, 3)->line, 5);
    eng_diags_free(d);
}

static void test_missing_file(void **state)
{
    (void)state;
    eng_diags *d = eng_diags_new();
    hy_config c;
    assert_int_equal(hy_config_load("/nonexistent/hyoka.cfg", &c, d), -1);
    assert_int_equal(eng_diags_errors(d), 1);
    assert_string_equal(eng_diags_get(d, 0)->file, "/nonexistent/hyoka.cfg");
    assert_non_null(strstr(eng_diags_get(d, 0)->message, "cannot read"));
    eng_diags_free(d);
}

static void test_good_file(void **state)
{
    (void)state;
    const char *path = write_file(
        "good.cfg", "database = { conninfo = \"dbname=x\"; writer_conninfo = \"dbname=w\";"
                    " standby_poll_ms = 250; preferred_retry_ms = 100; };\n"
                    "rules = { file = \"rules/default.cfg\"; };\n"
                    "server = { socket = \"run/h.sock\"; socket_mode = \"0640\"; workers = 256;"
                    " socket_group = \"www-data\"; };\n"
                    "api = { write_tokens = [ \"" TOKEN "\" ]; language = \"ja\"; };\n"
                    "limits = { max_body = 1024; max_query = 65536; cache_bytes = 3000000000L; };\n"
                    "log = { level = \"debug\"; };\n");
    eng_diags *d = eng_diags_new();
    hy_config c;
    assert_int_equal(hy_config_load(path, &c, d), 0);
    assert_int_equal(eng_diags_count(d), 0);
    assert_string_equal(c.conninfo, "dbname=x");
    assert_string_equal(c.writer_conninfo, "dbname=w");
    assert_int_equal(c.standby_poll_ms, 250);
    assert_int_equal(c.preferred_retry_ms, 100);
    char want[600];
    snprintf(want, sizeof want, "%s/rules/default.cfg", dir);
    assert_string_equal(c.rules_file, want);
    snprintf(want, sizeof want, "%s/run/h.sock", dir);
    assert_string_equal(c.socket, want);
    assert_int_equal(c.socket_mode, 0640);
    assert_null(c.socket_owner);
    assert_string_equal(c.socket_group, "www-data");
    assert_int_equal(c.workers, 256);
    assert_int_equal(c.backlog, HY_BACKLOG_DEFAULT);
    assert_int_equal(c.nwrite_tokens, 1);
    assert_string_equal(c.write_tokens[0],
                        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    assert_int_equal(c.max_body, 1024);
    assert_int_equal(c.max_query, 65536);
    assert_int_equal(c.cache_bytes, 3000000000L);
    assert_int_equal(c.log_level, HY_LOG_DEBUG);
    assert_int_equal(c.language, HY_LANG_JA);
    hy_config_cleanup(&c);
    hy_config_cleanup(&c); /* twice is fine */
    eng_diags_free(d);
}

static void test_defaults_and_shipped(void **state)
{
    (void)state;
    const char *path = write_file("min.cfg", MINIMAL);
    eng_diags *d = eng_diags_new();
    hy_config c;
    assert_int_equal(hy_config_load(path, &c, d), 0);
    assert_string_equal(c.conninfo, "");
    assert_null(c.writer_conninfo);
    assert_int_equal(c.standby_poll_ms, HY_STANDBY_POLL_DEFAULT);
    assert_int_equal(c.preferred_retry_ms, HY_PREFERRED_RETRY_DEFAULT);
    assert_null(c.socket);
    assert_int_equal(c.workers, HY_WORKERS_DEFAULT);
    assert_int_equal(c.max_body, HY_MAX_BODY_DEFAULT);
    assert_int_equal(c.log_level, HY_LOG_INFO);
    assert_int_equal(c.language, HY_LANG_EN);
    hy_config_cleanup(&c);
    /* The shipped config/hyoka.cfg is valid. */
    assert_int_equal(hy_config_load(HYOKA_SHIPPED_CONFIG, &c, d), 0);
    assert_int_equal(eng_diags_errors(d), 0);
    assert_int_equal(c.workers, 4);
    hy_config_cleanup(&c);
    eng_diags_free(d);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"bad.cfg", "many.cfg", "good.cfg", "min.cfg"};
    char path[600];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_files),     cmocka_unit_test(test_collects_every_error),
        cmocka_unit_test(test_missing_file),  cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_defaults_and_shipped),
    };
    return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
