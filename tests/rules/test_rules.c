/* test_rules.c - unit tests of the rule-set loader (rules.c), the evaluator (eval.c) and
 * explanations (explain.c): tables of rule texts and facts with the results they must give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "alloc_count.h"
#include "analyze.h"
#include "engine.h"
#include "xalloc.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---- helpers -------------------------------------------------------------------------------- */

static eng_schema *builtin;

static int setup(void **state)
{
    (void)state;
    builtin = eng_schema_new_builtin();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    eng_schema_free(builtin);
    return 0;
}

/* Loads rule text that must compile; fails the test with the diagnostics otherwise. */
static eng_rules *must_load(const char *text)
{
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_string(text, "t.cfg", builtin, d);
    if (r == NULL)
        eng_diags_print(d, stderr);
    assert_non_null(r);
    eng_diags_free(d);
    return r;
}

/* Facts: all null, then name=value pairs set by set_*. */
static eng_value facts[ENG_MAX_FACTS];

static void clear_facts(void)
{
    for (int i = 0; i < ENG_MAX_FACTS; i++)
        facts[i] = eng_null();
}

static void set_num(const char *name, double v)
{
    int slot = eng_schema_find(builtin, name);
    assert_true(slot >= 0);
    facts[slot] = eng_num(v);
}

static void set_bool(const char *name, bool v)
{
    int slot = eng_schema_find(builtin, name);
    assert_true(slot >= 0);
    facts[slot] = eng_bool(v);
}

static void set_str(const char *name, const char *v)
{
    int slot = eng_schema_find(builtin, name);
    assert_true(slot >= 0);
    facts[slot] = eng_str(v);
}

#define CATS                                                                                       \
    "categories = ( { id = \"ok\"; label = \"順調\"; when = \"actual_progress >= 0.5\"; },\n"    \
    "  { id = \"other\"; label = \"その他\"; response = \"確認する。\"; } );\n"
#define SCORE "score = ( { id = \"s\"; weight = 1; value = \"actual_progress\"; } );\n"

/* ---- schema --------------------------------------------------------------------------------- */

static void test_builtin_schema(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        eng_type type;
    } want[] = {{"initiative_code", ENG_STR},    {"measure_code", ENG_STR},
                {"departments", ENG_STR},        {"planned_progress", ENG_NUM},
                {"actual_progress", ENG_NUM},    {"budget_planned", ENG_NUM},
                {"budget_spent", ENG_NUM},       {"cost_benefit", ENG_NUM},
                {"kpi_attainment", ENG_NUM},     {"plan_decided", ENG_BOOL},
                {"context_changed", ENG_BOOL},   {"reported_reason", ENG_STR},
                {"months_since_start", ENG_NUM}, {"days_past_due", ENG_NUM},
                {"completed", ENG_BOOL},         {"previous_category", ENG_STR},
                {"previous_score", ENG_NUM}};
    int n = (int)(sizeof want / sizeof want[0]);
    assert_int_equal(eng_schema_count(builtin), n);
    for (int i = 0; i < n; i++) {
        assert_string_equal(eng_schema_name(builtin, i), want[i].name);
        assert_int_equal(eng_schema_type(builtin, i), want[i].type);
        assert_int_equal(eng_schema_find(builtin, want[i].name), i);
    }
    assert_int_equal(eng_schema_find(builtin, "as_of"), -1);
    assert_null(eng_schema_name(builtin, n));
}

static void test_schema_add_limits(void **state)
{
    (void)state;
    eng_schema *s = eng_schema_new();
    assert_int_equal(eng_schema_add(s, "a", ENG_NUM, NULL), 0);
    assert_int_equal(eng_schema_add(s, "a", ENG_NUM, NULL), -1);  /* duplicate */
    assert_int_equal(eng_schema_add(s, "1a", ENG_NUM, NULL), -1); /* not an identifier */
    assert_int_equal(eng_schema_add(s, "a-b", ENG_NUM, NULL), -1);
    assert_int_equal(eng_schema_add(s, "d", ENG_OPAQUE, "date"), 1);
    char name[32];
    for (int i = 2; i < ENG_MAX_FACTS; i++) {
        snprintf(name, sizeof name, "f%d", i);
        assert_int_equal(eng_schema_add(s, name, ENG_BOOL, NULL), i);
    }
    assert_int_equal(eng_schema_add(s, "one_too_many", ENG_BOOL, NULL), -1);
    assert_int_equal(eng_schema_count(s), ENG_MAX_FACTS);
    eng_schema_free(s);
    eng_schema_free(NULL);
}

/* ---- loading -------------------------------------------------------------------------------- */

static char *read_default(size_t *len)
{
    char *text;
    eng_diags *d = eng_diags_new();
    assert_int_equal(eng_file_read(HYOKA_SOURCE_DIR "/config/rules/default.cfg", &text, len, d), 0);
    eng_diags_free(d);
    return text;
}

static void test_default_rules_load(void **state)
{
    (void)state;
    size_t len;
    char *text = read_default(&len);
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_file(HYOKA_SOURCE_DIR "/config/rules/default.cfg", builtin, d);
    assert_non_null(r);
    assert_int_equal(eng_diags_count(d), 0); /* not even a warning */
    assert_string_equal(eng_rules_version(r), "2024.1");
    assert_string_equal(eng_rules_source(r), text);

    unsigned char md[32];
    unsigned mdlen;
    char hex[65];
    EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    assert_string_equal(eng_rules_sha256(r), hex);

    static const char *const reasons[] = {"cost", "planning", "context"};
    static const char *const flags[] = {"delay", "not_reported"};
    static const char *const cats[] = {"on_track", "delayed", "stalled"};
    static const char *const score[] = {"schedule", "kpi", "issues"};
    static const double weights[] = {0.6, 0.3, 0.1};
    assert_int_equal(eng_rules_count(r, ENG_KIND_DERIVED), 1);
    assert_string_equal(eng_rules_get(r, ENG_KIND_DERIVED, 0)->id, "progress_ratio");
    assert_int_equal(eng_rules_count(r, ENG_KIND_REASON), 3);
    assert_int_equal(eng_rules_count(r, ENG_KIND_FLAG), 2);
    assert_int_equal(eng_rules_count(r, ENG_KIND_CATEGORY), 3);
    assert_int_equal(eng_rules_count(r, ENG_KIND_SCORE), 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(eng_rules_get(r, ENG_KIND_REASON, i)->id, reasons[i]);
        assert_non_null(eng_rules_get(r, ENG_KIND_REASON, i)->response);
        assert_string_equal(eng_rules_get(r, ENG_KIND_CATEGORY, i)->id, cats[i]);
        assert_string_equal(eng_rules_get(r, ENG_KIND_SCORE, i)->id, score[i]);
        assert_true(eng_rules_get(r, ENG_KIND_SCORE, i)->weight == weights[i]);
        assert_int_equal(eng_rules_find(r, ENG_KIND_REASON, reasons[i]), i);
    }
    for (int i = 0; i < 2; i++)
        assert_string_equal(eng_rules_get(r, ENG_KIND_FLAG, i)->id, flags[i]);
    assert_string_equal(eng_rules_get(r, ENG_KIND_REASON, 0)->label, "費用対効果に課題があるもの");
    assert_string_equal(eng_rules_get(r, ENG_KIND_REASON, 0)->response,
                        "取組の必要性を再確認するとともに、優良な財源確保に努める。");
    assert_string_equal(eng_rules_get(r, ENG_KIND_FLAG, 1)->severity, "critical");
    assert_null(eng_rules_get(r, ENG_KIND_CATEGORY, 2)->expression); /* the catch-all */
    assert_null(eng_rules_get(r, ENG_KIND_CATEGORY, 0)->response);
    assert_null(eng_rules_get(r, ENG_KIND_CATEGORY, 3));
    assert_int_equal(eng_rules_find(r, ENG_KIND_FLAG, "nope"), -1);
    assert_string_equal(eng_kind_name(ENG_KIND_CATEGORY), "category");
    eng_rules_free(r);
    eng_diags_free(d);
    free(text);
}

/* Rule texts with the diagnostic they must produce: "line:col: message" (col 0 = none). */
static const struct {
    const char *text;
    const char *diag;
} bad_rules[] = {
    {"categories = ( { id = \"a\"; label = \"A\"; } );\n" SCORE,
     "1:0: the rule file has no 'version' (write e.g. version = \"2024.1\";)"},
    {"version = \"1\";\nflags = ( { id = \"f\"; label = \"F\";\n when = \"true\"; } );\n" CATS SCORE
     "x = 1;\n",
     "7:0: unknown key 'x' in the rule file (known keys: version, language, thresholds, "
     "derived, reasons, flags, categories, score)"},
    {"version = \"1\";\nflags = ( { id = \"f\"; label = \"F\"; severity = \"warn\";\n"
     " when = \"true\"; } );\n" CATS SCORE,
     "2:0: 'severity' of flags entry 'f' must be info, warning or critical, not 'warn'"},
    {"version = \"1\";\nderived = {\n  a = \"b\";\n  b = \"1\";\n};\n" CATS SCORE,
     "3:1: 'b' is defined later in derived (line 4); derived names can use only earlier ones"},
    {"version = \"1\";\nderived = {\n  x = \"1\";\n  a = \"x + b\";\n  b = \"a\";\n};\n" CATS SCORE,
     "5:1: derived 'b' is part of a cycle: b -> a -> b"},
    {"version = \"1\";\nderived = {\n  x = \"1\";\n  a = \"x + b\";\n  b = \"a\";\n};\n" CATS SCORE,
     "4:5: derived 'a' is part of a cycle: a -> b -> a"},
    {"version = \"1\";\nreasons = ( { id = \"r\"; label = \"R\";\n  when = \"flag.f\"; } );\n"
     "flags = ( { id = \"f\"; label = \"F\"; when = \"true\"; } );\n" CATS SCORE,
     "3:1: 'flag.f' is not available in reasons: flags are computed after reasons (available "
     "in categories and score)"},
    {"version = \"1\";\nthresholds = { t = 1; };\nderived = { d = \"1 + category\"; };\n" CATS
         SCORE,
     "3:5: 'category' is not available in derived: categories are computed after derived "
     "(available in score)"},
    {"version = \"1\";\nreasons = ( { id = \"r\"; label = \"R\";\n  when = \"reasons > 0\"; } "
     ");\n" CATS SCORE,
     "3:1: 'reasons' is not available in reasons: it is computed by this section (available "
     "in flags, categories and score)"},
    {"version = \"1\";\nthresholds = { big = 3000000000; };\n" CATS SCORE,
     "2:22: integer 3000000000 does not fit in 32 bits: write 3000000000L or 3e9"},
    {"version = \"1\";\nthresholds = { t = -1e999; };\n" CATS SCORE,
     "2:0: threshold 't' is -inf: write a number that fits in a double"},
    {"version = \"1\";\nthresholds = { t = 1234567890123; };\n" CATS SCORE,
     "2:20: integer 1234567890123 does not fit in 32 bits: write 1234567890123L or "
     "1.234567890123e12"},
    {"version = \"1\"; # 日本語 \x93\xfa\n" CATS SCORE,
     "1:22: invalid UTF-8 byte 0x93 (is the file Shift_JIS? save it as UTF-8)"},
    {"version = \"1\";\n  @include \"other.cfg\"\n" CATS SCORE,
     "2:3: @include is not supported: a rule set is one file, identified by its SHA-256"},
    {"version = \"1\";\ncategories = ( { id = \"a\"; label = \"A\"; when = \"true\"; } );\n" SCORE,
     "2:0: the last category ('a') is the catch-all and must not have 'when': add a category "
     "without 'when' after it, or remove this 'when'"},
    {"version = \"1\";\n" CATS "score = ( { id = \"s\"; weight = 0.0;\n value = \"1\"; } );\n",
     "4:0: 'weight' of score entry 's' must be > 0, not 0"},
    {"version = \"1\";\n" CATS "score = ( { id = \"s\"; weight = 1e400;\n value = \"1\"; } );\n",
     "4:0: 'weight' of score entry 's' is inf, more than 1e+06: weights are relative, use small "
     "numbers"},
    {"version = \"1\";\nreasons = ( { id = \"a\"; label = \"A\"; when = \"true\"; },\n"
     "  { id = \"a\"; label = \"B\"; when = \"true\"; } );\n" CATS SCORE,
     "3:0: duplicate id 'a' in reasons (first at line 2)"},
    {"version = \"1\";\nreasons = ( { id = \"a\"; label = \"A\";\n  when = \"as_of > 0\"; } "
     ");\n" CATS SCORE,
     "3:1: unknown name 'as_of'"},
};

/* True if `d` holds an error "line:col: message". */
static bool has_diag(const eng_diags *d, const char *want)
{
    char buf[1024];
    for (int i = 0; i < eng_diags_count(d); i++) {
        const eng_diag *g = eng_diags_get(d, i);
        snprintf(buf, sizeof buf, "%d:%d: %s", g->line, g->col, g->message);
        if (strcmp(buf, want) == 0 && !g->warning && strcmp(g->file, "t.cfg") == 0)
            return true;
    }
    return false;
}

static void test_bad_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_rules / sizeof bad_rules[0]; i++) {
        eng_diags *d = eng_diags_new();
        eng_rules *r = eng_rules_load_string(bad_rules[i].text, "t.cfg", builtin, d);
        if (r != NULL || !has_diag(d, bad_rules[i].diag)) {
            fprintf(stderr, "case %zu: want %s\n", i, bad_rules[i].diag);
            eng_diags_print(d, stderr);
        }
        assert_null(r);
        assert_true(has_diag(d, bad_rules[i].diag));
        eng_diags_free(d);
    }
}

static void test_opaque_fact(void **state)
{
    (void)state;
    eng_schema *s = eng_schema_new();
    eng_schema_add(s, "actual_progress", ENG_NUM, NULL);
    eng_schema_add(s, "as_of", ENG_OPAQUE, "date");
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_string("version = \"1\";\nreasons = ( { id = \"a\"; label = "
                                         "\"A\";\n  when = \"as_of > 0\"; } );\n" CATS SCORE,
                                         "t.cfg", s, d);
    assert_null(r);
    assert_true(has_diag(d, "3:1: fact 'as_of' has type date, which rules cannot use"));
    eng_diags_free(d);
    eng_schema_free(s);
}

/* A rule file with n entries in one section, for the limits. */
static char *many(const char *section, int n)
{
    size_t cap = (size_t)n * 128 + 1024, len = 0;
    char *t = xmalloc(cap);
    len += (size_t)snprintf(t + len, cap - len, "version = \"1\";\n%s = (\n", section);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(t + len, cap - len,
                                "  { id = \"e%d\"; label = \"E\"; when = \"true\"; }%s\n", i,
                                i + 1 < n ? "," : "");
    snprintf(t + len, cap - len, ");\n" CATS SCORE);
    return t;
}

static void test_limits(void **state)
{
    (void)state;
    char *t = many("reasons", ENG_MAX_REASONS);
    eng_rules *r = must_load(t);
    assert_int_equal(eng_rules_count(r, ENG_KIND_REASON), ENG_MAX_REASONS);
    eng_rules_free(r);
    free(t);

    t = many("flags", ENG_MAX_FLAGS + 1);
    eng_diags *d = eng_diags_new();
    assert_null(eng_rules_load_string(t, "t.cfg", builtin, d));
    char want[64];
    snprintf(want, sizeof want, "%d:0: too many flags (at most %d)", ENG_MAX_FLAGS + 3,
             ENG_MAX_FLAGS);
    assert_true(has_diag(d, want));
    eng_diags_free(d);
    free(t);

    /* an expression longer than ENG_MAX_EXPR_LEN */
    size_t n = ENG_MAX_EXPR_LEN + 100;
    char *expr = xmalloc(n + 1);
    memset(expr, ' ', n);
    memcpy(expr + n - 4, "true", 4);
    expr[n] = '\0';
    t = xmalloc(n + 512);
    snprintf(t, n + 512,
             "version = \"1\";\nreasons = ( { id = \"a\"; label = \"A\";\n"
             "  when = \"%s\"; } );\n" CATS SCORE,
             expr);
    d = eng_diags_new();
    assert_null(eng_rules_load_string(t, "t.cfg", builtin, d));
    snprintf(want, sizeof want, "3:1: expression too long (%zu bytes, limit %d)", n,
             ENG_MAX_EXPR_LEN);
    assert_true(has_diag(d, want));
    eng_diags_free(d);
    free(t);
    free(expr);
}

static void test_file_read(void **state)
{
    (void)state;
    char *text;
    size_t len;
    eng_diags *d = eng_diags_new();
    assert_int_equal(eng_file_read("/nonexistent/rules.cfg", &text, &len, d), -2);
    assert_null(text);
    assert_int_equal(eng_diags_count(d), 0);

    char path[] = "/tmp/hyoka-test-rules-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i <= ENG_MAX_FILE_BYTES / 64; i++)
        fputs("# 0123456789012345678901234567890123456789012345678901234567890\n", f);
    fclose(f);
    assert_int_equal(eng_file_read(path, &text, &len, d), -1);
    assert_true(has_diag(d, "1:0: file is larger than 1048576 bytes (1 MiB), the limit for a "
                            "rule or case file") ||
                eng_diags_errors(d) == 1);
    assert_string_equal(eng_diags_get(d, 0)->file, path);
    remove(path);
    eng_diags_free(d);
}

static void test_bom_and_string_name(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBFversion = \"1\";\n" CATS SCORE;
    eng_rules *r = must_load(text);
    assert_string_equal(eng_rules_source(r), text); /* the exact bytes, BOM included */
    eng_rules_free(r);

    eng_diags *d = eng_diags_new();
    assert_null(eng_rules_load_string("version = 1;", NULL, builtin, d));
    assert_string_equal(eng_diags_get(d, 0)->file, "<string>");
    eng_diags_free(d);
}

/* ---- evaluation ----------------------------------------------------------------------------- */

static const char scoped_rules[] =
    "version = \"scopes\";\n"
    "thresholds = { low = 0.5; };\n"
    "derived = { half = \"actual_progress / 2\"; twice = \"half * 4\"; };\n"
    "reasons = (\n"
    "  { id = \"a\"; label = \"A\"; when = \"twice > 1\"; response = \"RA\"; },\n"
    "  { id = \"b\"; label = \"B\"; when = \"actual_progress > thresholds.low\"; },\n"
    "  { id = \"c\"; label = \"C\"; when = \"context_changed\"; response = \"RC\"; }\n"
    ");\n"
    "flags = (\n"
    "  { id = \"two\"; label = \"2\"; when = \"reasons >= 2 && reason.b\"; },\n"
    "  { id = \"none\"; label = \"0\"; severity = \"info\"; when = \"reasons == 0\"; }\n"
    ");\n"
    "categories = (\n"
    "  { id = \"first\"; label = \"F\"; when = \"flag.two\"; response = \"RF\"; },\n"
    "  { id = \"second\"; label = \"S\"; when = \"flag.two || flag.none\"; },\n"
    "  { id = \"rest\"; label = \"R\"; response = \"RR\"; }\n"
    ");\n"
    "score = (\n"
    "  { id = \"p\"; weight = 3; value = \"actual_progress\"; },\n"
    "  { id = \"k\"; weight = 1; value = \"kpi_attainment\"; },\n"
    "  { id = \"c\"; weight = 1; value = \"category == 'first' ? 1 : 0\"; }\n"
    ");\n";

static void test_evaluate_scopes_and_order(void **state)
{
    (void)state;
    eng_rules *r = must_load(scoped_rules);
    eng_ctx *c = eng_ctx_new(r);
    eng_result res;
    static const struct {
        double actual; /* < 0: null */
        int context;   /* -1 null, 0 false, 1 true */
        double kpi;    /* < -10: null */
        int category;
        int primary;
        uint64_t reasons, flags;
        bool has_score;
        double score;
    } rows[] = {
        /* 0.8: twice 1.6 > 1 (a), 0.8 > 0.5 (b): two reasons, flag two, category first */
        {0.8, 0, 0.5, 0, 0, 0x3, 0x1, true, 100 * (3 * 0.8 + 0.5 + 1) / 5},
        /* 0.2: no reason, flag none; first does not match, second does */
        {0.2, 0, -20, 1, -1, 0x0, 0x2, true, 100 * (3 * 0.2 + 0) / 4},
        /* context only: one reason, no flag, catch-all; the primary is c */
        {0.1, 1, 2.0, 2, 2, 0x4, 0x0, true, 100 * (3 * 0.1 + 1 + 0) / 5},
        /* all null: a `when` that is null does not match; category c is still a number */
        {-1, -1, -20, 1, -1, 0x0, 0x2, true, 0.0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        clear_facts();
        if (rows[i].actual >= 0)
            set_num("actual_progress", rows[i].actual);
        if (rows[i].context >= 0)
            set_bool("context_changed", rows[i].context == 1);
        if (rows[i].kpi > -10)
            set_num("kpi_attainment", rows[i].kpi);
        assert_int_equal(eng_evaluate(c, facts, &res), 0);
        assert_int_equal(res.category, rows[i].category);
        assert_int_equal(res.primary_reason, rows[i].primary);
        assert_int_equal(res.reasons, rows[i].reasons);
        assert_int_equal(res.flags, rows[i].flags);
        assert_int_equal(res.has_score, rows[i].has_score);
        assert_true(res.score == eng_round(rows[i].score, 1));
    }
    eng_ctx_free(c);
    eng_rules_free(r);
}

static void test_score_renormalisation_and_rounding(void **state)
{
    (void)state;
    eng_rules *r = must_load("version = \"s\";\n" CATS "score = (\n"
                             "  { id = \"a\"; weight = 0.6; value = \"actual_progress\"; },\n"
                             "  { id = \"b\"; weight = 0.3; value = \"kpi_attainment\"; },\n"
                             "  { id = \"c\"; weight = 0.1; value = \"planned_progress\"; }\n"
                             ");\n");
    eng_ctx *c = eng_ctx_new(r);
    eng_result res;
    static const struct {
        double a, b, cc; /* -99: null */
        bool has;
        double score;
    } rows[] = {
        {1, 1, 1, true, 100.0},
        {-99, -99, -99, false, 0.0},          /* all null: no score */
        {0.5, -99, -99, true, 50.0},          /* only a: re-normalised to a alone */
        {1, -99, 0, true, 85.7},              /* (0.6×1 + 0.1×0) / 0.7 = 85.714… */
        {1.7, -3, 0.5, true, 65.0},           /* clamped: 0.6×1 + 0.3×0 + 0.1×0.5 */
        {0.615, 0.615, 0.615, true, 61.5},    /* 61.5 in decimals */
        {0.6155, 0.6155, 0.6155, true, 61.6}, /* 61.55 -> half away from zero */
        {0.6145, 0.6145, 0.6145, true, 61.5}, /* 61.45 -> 61.5 */
        {0, 0, 0, true, 0.0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        clear_facts();
        if (rows[i].a != -99)
            set_num("actual_progress", rows[i].a);
        if (rows[i].b != -99)
            set_num("kpi_attainment", rows[i].b);
        if (rows[i].cc != -99)
            set_num("planned_progress", rows[i].cc);
        eng_evaluate(c, facts, &res);
        if (res.has_score != rows[i].has || (res.has_score && res.score != rows[i].score))
            fprintf(stderr, "row %zu: got %d %.17g\n", i, res.has_score, res.score);
        assert_int_equal(res.has_score, rows[i].has);
        if (rows[i].has)
            assert_true(res.score == rows[i].score);
    }
    eng_ctx_free(c);
    eng_rules_free(r);
}

/* eng_evaluate rounds scores with a fast path that must agree with eng_round everywhere,
 * including the binary near-halves (0.615 × 100 = 61.49999999999999). */
static void test_score_rounding_matches_eng_round(void **state)
{
    (void)state;
    eng_rules *r =
        must_load("version = \"s\";\n" CATS
                  "score = ( { id = \"a\"; weight = 1; value = \"actual_progress\"; } );\n");
    eng_ctx *c = eng_ctx_new(r);
    eng_result res;
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 200000; i++) {
        double v;
        if (i < 1000) {
            v = (i + 0.5) / 1000.0; /* × 100 = every x.x5: the halves */
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v = (double)(x >> 11) / 9007199254740992.0;
        }
        clear_facts();
        set_num("actual_progress", v);
        eng_evaluate(c, facts, &res);
        double want = eng_round(100.0 * v / 1.0, 1);
        if (res.score != want)
            fprintf(stderr, "v %.17g: got %.17g, eng_round %.17g\n", v, res.score, want);
        assert_true(res.score == want);
    }
    eng_ctx_free(c);
    eng_rules_free(r);
}

static void test_recommendations(void **state)
{
    (void)state;
    eng_rules *r = must_load(scoped_rules);
    eng_result res = {.category = 2, .reasons = 0x7};
    const char *out[4];
    assert_int_equal(eng_recommendations(r, &res, out, 4), 3);
    assert_string_equal(out[0], "RA"); /* reasons in file order (b has none), then category */
    assert_string_equal(out[1], "RC");
    assert_string_equal(out[2], "RR");
    assert_int_equal(eng_recommendations(r, &res, out, 1), 3); /* truncated, count is whole */
    assert_string_equal(out[0], "RA");
    res = (eng_result){.category = 1, .reasons = 0x2};
    assert_int_equal(eng_recommendations(r, &res, out, 4), 0);
    res = (eng_result){.category = 0, .reasons = 0x4};
    assert_int_equal(eng_recommendations(r, &res, out, 4), 2);
    assert_string_equal(out[0], "RC");
    assert_string_equal(out[1], "RF");
    eng_rules_free(r);
}

/* The whole default rule set on hand-made initiatives. */
static void test_default_rules_cases(void **state)
{
    (void)state;
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_file(HYOKA_SOURCE_DIR "/config/rules/default.cfg", builtin, d);
    assert_non_null(r);
    eng_ctx *c = eng_ctx_new(r);
    static const struct {
        double planned, actual, cb, kpi, months; /* -1: null */
        int decided, changed;                    /* -1: null */
        const char *category;
        uint64_t reasons, flags;
        int primary;
        double score; /* -1: no score */
    } rows[] = {
        {0.6, 0.6, 1.5, 0.8, 10, 1, 0, "on_track", 0, 0, -1, 94.0},
        {0.8, 0.6, 2.0, 0.5, -1, 1, 0, "delayed", 0, 1, -1, 70.0},
        {0.8, 0.2, -1, -1, -1, 1, 0, "stalled", 0, 1, -1, 35.7},
        {0.5, 0.5, 0.5, 1.0, -1, 1, 0, "stalled", 1, 0, 0, 96.7},
        {0.4, 0.1, -1, 0.0, 18, 0, 1, "stalled", 6, 1, 1, 18.3},
        {1.0, 1.0, 1.2, 1.2, -1, 1, 1, "stalled", 4, 0, 2, 96.7},
        {-1, -1, -1, -1, -1, -1, -1, "stalled", 0, 2, -1, 100.0},
        {0.0, 0.0, -1, -1, -1, 1, -1, "on_track", 0, 0, -1, 100.0},
        {1.0, 0.95, -1, 0.5, -1, 1, 0, "on_track", 0, 0, -1, 82.0},
    };
    eng_result res;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        clear_facts();
        set_str("initiative_code", "1-2-03");
        set_str("departments", "情報政策課、市民課");
        if (rows[i].planned >= 0)
            set_num("planned_progress", rows[i].planned);
        if (rows[i].actual >= 0)
            set_num("actual_progress", rows[i].actual);
        if (rows[i].cb >= 0)
            set_num("cost_benefit", rows[i].cb);
        if (rows[i].kpi >= 0)
            set_num("kpi_attainment", rows[i].kpi);
        if (rows[i].months >= 0)
            set_num("months_since_start", rows[i].months);
        if (rows[i].decided >= 0)
            set_bool("plan_decided", rows[i].decided == 1);
        if (rows[i].changed >= 0)
            set_bool("context_changed", rows[i].changed == 1);
        eng_evaluate(c, facts, &res);
        assert_string_equal(eng_rules_get(r, ENG_KIND_CATEGORY, res.category)->id,
                            rows[i].category);
        assert_int_equal(res.reasons, rows[i].reasons);
        assert_int_equal(res.flags, rows[i].flags);
        assert_int_equal(res.primary_reason, rows[i].primary);
        assert_int_equal(res.has_score, rows[i].score >= 0);
        if (rows[i].score >= 0)
            assert_true(res.score == rows[i].score);
    }
    eng_ctx_free(c);
    eng_rules_free(r);
    eng_diags_free(d);
}

static void test_evaluate_never_allocates(void **state)
{
    (void)state;
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_file(HYOKA_SOURCE_DIR "/config/rules/default.cfg", builtin, d);
    eng_ctx *c = eng_ctx_new(r);
    eng_result res;
    clear_facts();
    set_num("planned_progress", 0.8);
    set_num("actual_progress", 0.4);
    set_num("cost_benefit", 0.5);
    set_str("departments", "情報政策課");
    long before = alloc_count();
    for (int i = 0; i < 1000; i++)
        eng_evaluate(c, facts, &res);
    assert_int_equal(alloc_count(), before);
    /* the counter works: an explanation allocates the first time */
    eng_explanation *e = eng_explanation_new();
    eng_explain(c, facts, &res, e);
    assert_true(alloc_count() > before);
    /* and reuses its memory afterwards */
    before = alloc_count();
    eng_explain(c, facts, &res, e);
    assert_int_equal(alloc_count(), before);
    eng_explanation_free(e);
    eng_ctx_free(c);
    eng_rules_free(r);
    eng_diags_free(d);
}

/* ---- explanations --------------------------------------------------------------------------- */

static void test_explanation(void **state)
{
    (void)state;
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_file(HYOKA_SOURCE_DIR "/config/rules/default.cfg", builtin, d);
    eng_ctx *c = eng_ctx_new(r);
    eng_explanation *e = eng_explanation_new();
    /* the shipped rules explain in Japanese (tests/engine/test_explain.c); English here */
    assert_string_equal(eng_rules_language(r), "ja");
    assert_int_equal(eng_explanation_set_language(e, "en"), 0);
    eng_result res, plain;
    clear_facts();
    char dept[] = "情報政策課";
    facts[eng_schema_find(builtin, "departments")] = eng_str(dept);
    set_num("planned_progress", 0.5);
    set_num("actual_progress", 0.21);
    set_num("cost_benefit", 0.8);
    set_bool("plan_decided", true);
    assert_int_equal(eng_explain(c, facts, &res, e), 0);
    eng_evaluate(c, facts, &plain);
    assert_int_equal(res.category, plain.category);
    assert_int_equal(res.primary_reason, plain.primary_reason);
    assert_int_equal(res.reasons, plain.reasons);
    assert_int_equal(res.flags, plain.flags);
    assert_int_equal(res.has_score, plain.has_score);
    assert_true(res.score == plain.score);

    /* derived 1, reasons 3, flags 2, categories up to the match (3: the catch-all), score 3 */
    assert_int_equal(eng_explanation_count(e), 12);
    static const eng_kind kinds[] = {ENG_KIND_DERIVED,  ENG_KIND_REASON,   ENG_KIND_REASON,
                                     ENG_KIND_REASON,   ENG_KIND_FLAG,     ENG_KIND_FLAG,
                                     ENG_KIND_CATEGORY, ENG_KIND_CATEGORY, ENG_KIND_CATEGORY,
                                     ENG_KIND_SCORE,    ENG_KIND_SCORE,    ENG_KIND_SCORE};
    for (int i = 0; i < 12; i++)
        assert_int_equal(eng_explanation_get(e, i)->kind, kinds[i]);
    assert_null(eng_explanation_get(e, 12));

    const eng_step *s = eng_explanation_get(e, 0);
    assert_string_equal(s->id, "progress_ratio");
    assert_string_equal(s->text, "progress_ratio = planned_progress 0.5 > 0 ? actual_progress "
                                 "0.21 / planned_progress 0.5 : 1 → 0.42 (default.cfg:46)");
    assert_int_equal(s->result.type, ENG_NUM);
    assert_true(s->result.as.num == 0.42);
    assert_int_equal(s->ninputs, 2);
    assert_string_equal(s->inputs[0].name, "planned_progress");
    assert_string_equal(s->inputs[1].name, "actual_progress");

    s = eng_explanation_get(e, 1);
    assert_string_equal(s->id, "cost");
    assert_string_equal(s->file, HYOKA_SOURCE_DIR "/config/rules/default.cfg");
    assert_int_equal(s->line, 54);
    assert_string_equal(s->expression, "cost_benefit < thresholds.cost_benefit_min");
    assert_int_equal(s->ninputs, 2);
    assert_string_equal(s->inputs[1].name, "thresholds.cost_benefit_min");
    assert_true(s->inputs[1].value.type == ENG_NUM && s->inputs[1].value.as.num == 1.0);
    assert_true(s->result.type == ENG_BOOL && s->result.as.b);
    assert_string_equal(s->text, "cost_benefit 0.8 < thresholds.cost_benefit_min 1 → reason "
                                 "費用対効果に課題があるもの applies (default.cfg:54)");
    s = eng_explanation_get(e, 3);
    assert_string_equal(s->text, "context_changed null → null: reason "
                                 "計画時との状況の変化により、施策の見直しが必要なもの does not "
                                 "apply (default.cfg:60)");
    s = eng_explanation_get(e, 4);
    assert_string_equal(s->text, "progress_ratio 0.42 < thresholds.on_track_ratio 0.95 → flag "
                                 "遅延 (warning) is set (default.cfg:68)");
    /* `reasons == 0` is false: && does not read progress_ratio, so it is no input */
    s = eng_explanation_get(e, 7);
    assert_string_equal(s->text, "reasons 1 == 0 && progress_ratio >= "
                                 "thresholds.progressing_ratio 0.5 → not 遅延はしているが順調 "
                                 "(default.cfg:81)");
    assert_int_equal(s->ninputs, 2);
    assert_string_equal(s->inputs[0].name, "reasons");
    assert_string_equal(s->inputs[1].name, "thresholds.progressing_ratio");
    s = eng_explanation_get(e, 8);
    assert_null(s->expression);
    assert_int_equal(s->ninputs, 0);
    assert_string_equal(s->text, "no earlier category matched → 課題があり、進捗していない "
                                 "(default.cfg:82)");
    s = eng_explanation_get(e, 9);
    assert_string_equal(s->text, "schedule: min(progress_ratio 0.42, 1) = 0.42 × weight 0.6, "
                                 "re-normalised to 0.8571 without the components that have no "
                                 "value (default.cfg:92)");
    s = eng_explanation_get(e, 10);
    assert_string_equal(s->text, "kpi: kpi_attainment null = null → left out, the other weights "
                                 "re-normalised (default.cfg:93)");
    eng_explanation_free(e);

    /* on track: categories stop at the match; string inputs outlive the caller's facts */
    eng_rules *r2 = must_load("version = \"1\";\n"
                              "categories = ( { id = \"mine\"; label = \"M\";\n"
                              "  when = \"departments == '情報政策課'\"; },\n"
                              "  { id = \"rest\"; label = \"R\"; } );\n"
                              "score = ( { id = \"s\"; weight = 1;\n"
                              "  value = \"clamp(actual_progress * 2, 0, 1)\"; } );\n");
    eng_ctx *c2 = eng_ctx_new(r2);
    e = eng_explanation_new();
    eng_explain(c2, facts, &res, e);
    assert_int_equal(res.category, 0);
    assert_int_equal(eng_explanation_count(e), 2);
    memcpy(dept, "XXXXXXXXXXXXXXX", sizeof dept);
    s = eng_explanation_get(e, 0);
    assert_int_equal(s->inputs[0].value.type, ENG_STR);
    assert_memory_equal(s->inputs[0].value.as.str.ptr, "情報政策課", strlen("情報政策課"));
    assert_string_equal(s->text,
                        "departments \"情報政策課\" == '情報政策課' → category M (t.cfg:3)");
    s = eng_explanation_get(e, 1);
    assert_string_equal(s->text, "s: clamp(actual_progress 0.21 * 2, 0, 1) = 0.42 × weight 1 "
                                 "(t.cfg:6)");
    eng_explanation_free(e);
    eng_ctx_free(c2);
    eng_rules_free(r2);
    eng_ctx_free(c);
    eng_rules_free(r);
    eng_diags_free(d);
}

/* A long string value is cut in `text` on a character boundary, but kept whole in `inputs`;
 * quotes and control characters are escaped so the text stays one line. */
static void test_explanation_long_string(void **state)
{
    (void)state;
    eng_rules *r = must_load("version = \"1\";\n"
                             "categories = ( { id = \"mine\"; label = \"M\";\n"
                             "  when = \"departments == 'x'\"; },\n"
                             "  { id = \"rest\"; label = \"R\"; } );\n"
                             "score = ( { id = \"s\"; weight = 1; value = \"1\"; } );\n");
    eng_ctx *c = eng_ctx_new(r);
    eng_explanation *e = eng_explanation_new();
    eng_result res;
    char dept[200] = "\"a\"\n";
    for (int i = 0; i < 40; i++)
        strcat(dept, "課"); /* 3 bytes each: 124 bytes in all */
    clear_facts();
    set_str("departments", dept);
    eng_explain(c, facts, &res, e);
    const eng_step *s = eng_explanation_get(e, 0);
    char want[400] = "departments \"\\\"a\\\"\\u000a";
    for (int i = 0; i < 25; i++) /* 4 + 25 × 3 = 79 bytes: the 26th would pass 80 */
        strcat(want, "課");
    strcat(want, "…\" == 'x' → not M (t.cfg:3)");
    assert_string_equal(s->text, want);
    assert_int_equal(s->inputs[0].value.as.str.len, strlen(dept));
    assert_memory_equal(s->inputs[0].value.as.str.ptr, dept, strlen(dept));
    eng_explanation_free(e);
    eng_ctx_free(c);
    eng_rules_free(r);
}

/* eng_rules_override: the thresholds replaced as constants (results, register VM and explanation
 * alike), the file's identity kept only when nothing changed, and every bad override refused. */
static void test_threshold_override(void **state)
{
    (void)state;
    eng_diags *d = eng_diags_new();
    eng_rules *base = eng_rules_load_file(HYOKA_SOURCE_DIR "/config/rules/default.cfg", builtin, d);
    assert_non_null(base);
    assert_string_equal(eng_rules_overrides(base), "");

    /* progress_ratio 0.8: delayed at the file's 0.95, on track at 0.8 and at 0.75 */
    clear_facts();
    set_num("planned_progress", 0.5);
    set_num("actual_progress", 0.4);
    set_bool("plan_decided", true);
    eng_result res;
    eng_ctx *c = eng_ctx_new(base);
    eng_evaluate(c, facts, &res);
    eng_ctx_free(c);
    assert_string_equal(eng_rules_get(base, ENG_KIND_CATEGORY, res.category)->id, "delayed");

    eng_threshold_override set[] = {{"on_track_ratio", 0.8}, {"cost_benefit_min", 0.5}};
    eng_rules *r = eng_rules_override(base, set, 2, d);
    assert_non_null(r);
    assert_int_equal(eng_diags_errors(d), 0);
    assert_string_equal(eng_rules_overrides(r),
                        "thresholds.on_track_ratio=0.8, thresholds.cost_benefit_min=0.5");
    assert_string_equal(eng_rules_source(r), eng_rules_source(base));
    assert_string_equal(eng_rules_version(r), eng_rules_version(base));
    assert_string_not_equal(eng_rules_sha256(r), eng_rules_sha256(base));
    c = eng_ctx_new(r);
    eng_evaluate(c, facts, &res);
    assert_string_equal(eng_rules_get(r, ENG_KIND_CATEGORY, res.category)->id, "on_track");
    assert_int_equal(res.flags, 0); /* delay: 0.8 < 0.8 is false */
    /* the explanation reads the overridden value */
    eng_explanation *e = eng_explanation_new();
    assert_int_equal(eng_explanation_set_language(e, "en"), 0);
    eng_explain(c, facts, &res, e);
    const eng_step *flag = eng_explanation_get(e, 4);
    assert_string_equal(flag->id, "delay");
    assert_string_equal(flag->inputs[1].name, "thresholds.on_track_ratio");
    assert_true(flag->inputs[1].value.as.num == 0.8);
    assert_non_null(strstr(flag->text, "thresholds.on_track_ratio 0.8"));
    eng_explanation_free(e);
    eng_ctx_free(c);

    /* the value is exact: 0.1 + 0.2 is not 0.3, and the text says so */
    eng_threshold_override odd[] = {{"on_track_ratio", 0.1 + 0.2}};
    eng_rules *r2 = eng_rules_override(r, odd, 1, d); /* from an overridden set: the file again */
    assert_non_null(r2);
    assert_string_equal(eng_rules_overrides(r2), "thresholds.on_track_ratio=0.30000000000000004");
    eng_rules_free(r2);

    /* the file's own value changes nothing, not even the identity */
    eng_threshold_override same[] = {{"on_track_ratio", 0.95}};
    r2 = eng_rules_override(base, same, 1, d);
    assert_non_null(r2);
    assert_string_equal(eng_rules_overrides(r2), "");
    assert_string_equal(eng_rules_sha256(r2), eng_rules_sha256(base));
    eng_rules_free(r2);
    eng_rules_free(r);

    /* refused: unknown (listing the thresholds, with a suggestion), twice, not finite */
    static const struct {
        eng_threshold_override set[2];
        int n;
        const char *message;
    } bad[] = {
        {{{"on_track_ratoi", 0.9}}, 1,
         "cannot override thresholds.on_track_ratoi: the rule file has no threshold "
         "'on_track_ratoi' (did you mean 'on_track_ratio'?); its thresholds are on_track_ratio, "
         "progressing_ratio, cost_benefit_min, planning_months"},
        {{{"x", 1}}, 1,
         "cannot override thresholds.x: the rule file has no threshold 'x'; its thresholds are "
         "on_track_ratio, progressing_ratio, cost_benefit_min, planning_months"},
        {{{"planning_months", 6}, {"planning_months", 9}}, 2,
         "thresholds.planning_months is overridden twice"},
        {{{"planning_months", HUGE_VAL}}, 1,
         "cannot override thresholds.planning_months with inf: a threshold is a finite number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        eng_diags_clear(d);
        assert_null(eng_rules_override(base, bad[i].set, bad[i].n, d));
        assert_int_equal(eng_diags_errors(d), 1);
        const eng_diag *g = eng_diags_get(d, 0);
        assert_string_equal(g->message, bad[i].message);
        assert_int_equal(g->line, 25); /* `thresholds = {` of default.cfg */
        assert_string_equal(g->file, HYOKA_SOURCE_DIR "/config/rules/default.cfg");
    }

    /* a rule file without thresholds says so */
    eng_rules *plain = must_load("version = \"1\";\n" CATS SCORE);
    eng_diags_clear(d);
    assert_null(eng_rules_override(plain, set, 1, d));
    assert_string_equal(eng_diags_get(d, 0)->message,
                        "cannot override thresholds.on_track_ratio: the rule file has no "
                        "thresholds");
    assert_int_equal(eng_diags_get(d, 0)->line, 1);
    eng_rules_free(plain);
    eng_rules_free(base);
    eng_diags_free(d);
}

/* ---- check --analyze is sound: what it calls impossible never happens -----------------------
 * Each analysed file is evaluated on many made-up initiatives, their numbers drawn from values
 * at and around every threshold and the usual ones: a reason, flag or category found never true
 * must never match, a category found never reached must never be chosen, and a file with findings
 * must have them (a planted wrong finding or a lost one fails here). */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void analysis_sound(const char *path, int want_findings)
{
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_file(path, builtin, d);
    if (r == NULL)
        eng_diags_print(d, stderr);
    assert_non_null(r);
    eng_analysis *an = eng_analyze(r);
    uint64_t never_reasons = 0, never_flags = 0, never_categories = 0;
    for (int i = 0; i < eng_analysis_count(an); i++) {
        const eng_finding *f = eng_analysis_get(an, i);
        if (f->kind != ENG_FINDING_NEVER_TRUE && f->kind != ENG_FINDING_SHADOWED)
            continue;
        uint64_t bit = UINT64_C(1) << f->rule_index;
        if (f->rule_kind == ENG_KIND_REASON)
            never_reasons |= bit;
        else if (f->rule_kind == ENG_KIND_FLAG)
            never_flags |= bit;
        else if (f->rule_kind == ENG_KIND_CATEGORY)
            never_categories |= bit;
    }
    /* numbers to draw from: the usual ones and each threshold, just below and above it */
    double pool[64] = {0, 1, -1, 0.5, 2, 3, 10, 100, 0.25, 0.75};
    int npool = 10;
    const char *src = eng_rules_source(r);
    for (const char *p = src; *p && npool < 60; p++) {
        char *end;
        if ((*p >= '0' && *p <= '9') && (p == src || !((p[-1] >= 'a' && p[-1] <= 'z') || p[-1] == '_'))) {
            double v = strtod(p, &end);
            pool[npool++] = v;
            pool[npool++] = nextafter(v, -INFINITY);
            pool[npool++] = nextafter(v, INFINITY);
            p = end - 1;
        }
    }
    const eng_schema *s = eng_rules_schema(r);
    int n = eng_schema_count(s);
    eng_value *vals = calloc((size_t)n, sizeof *vals);
    static const char *const strings[] = {"x", "M01", "on_track", "delayed"};
    eng_ctx *c = eng_ctx_new(r);
    for (int round = 0; round < 200000; round++) {
        for (int i = 0; i < n; i++) {
            uint64_t x = rng();
            if (x % 5 == 0) {
                vals[i] = eng_null();
                continue;
            }
            switch (eng_schema_type(s, i)) {
            case ENG_NUM:
                vals[i] = eng_num((x >> 8) % 4 == 0 ? (double)((x >> 16) % 4000) / 100.0 - 10
                                                       : pool[(x >> 8) % (uint64_t)npool]);
                break;
            case ENG_BOOL:
                vals[i] = eng_bool((x >> 8) & 1);
                break;
            case ENG_STR:
                vals[i] = eng_str(strings[(x >> 8) % 4]);
                break;
            default:
                vals[i] = eng_null();
            }
        }
        eng_result res;
        eng_evaluate(c, vals, &res);
        if ((res.reasons & never_reasons) || (res.flags & never_flags) ||
            ((never_categories >> res.category) & 1)) {
            fprintf(stderr, "%s: round %d matched what the analysis calls impossible\n", path,
                    round);
            fail();
        }
    }
    eng_ctx_free(c);
    free(vals);
    assert_int_equal(eng_analysis_findings(an), want_findings);
    eng_analysis_free(an);
    eng_rules_free(r);
    eng_diags_free(d);
}

static void test_analysis_sound(void **state)
{
    (void)state;
    analysis_sound(HYOKA_SOURCE_DIR "/config/rules/default.cfg", 0);
    analysis_sound(HYOKA_SOURCE_DIR "/tests/rules/analyze/clean.cfg", 0);
    analysis_sound(HYOKA_SOURCE_DIR "/tests/rules/analyze/undecided.cfg", 0);
    analysis_sound(HYOKA_SOURCE_DIR "/tests/rules/analyze/never.cfg", 3);
    analysis_sound(HYOKA_SOURCE_DIR "/tests/rules/analyze/shadow.cfg", 2);
    analysis_sound(HYOKA_SOURCE_DIR "/tests/rules/analyze/order.cfg", 2);
    analysis_sound(HYOKA_SOURCE_DIR "/tests/rules/analyze/score.cfg", 1);
    analysis_sound(HYOKA_SOURCE_DIR "/tests/rules/analyze/catchall.cfg", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_schema),
        cmocka_unit_test(test_schema_add_limits),
        cmocka_unit_test(test_default_rules_load),
        cmocka_unit_test(test_bad_rules),
        cmocka_unit_test(test_opaque_fact),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_file_read),
        cmocka_unit_test(test_bom_and_string_name),
        cmocka_unit_test(test_evaluate_scopes_and_order),
        cmocka_unit_test(test_score_renormalisation_and_rounding),
        cmocka_unit_test(test_score_rounding_matches_eng_round),
        cmocka_unit_test(test_recommendations),
        cmocka_unit_test(test_default_rules_cases),
        cmocka_unit_test(test_evaluate_never_allocates),
        cmocka_unit_test(test_explanation),
        cmocka_unit_test(test_explanation_long_string),
        cmocka_unit_test(test_threshold_override),
        cmocka_unit_test(test_analysis_sound),
    };
    return cmocka_run_group_tests_name("rules", tests, setup, teardown);
}
