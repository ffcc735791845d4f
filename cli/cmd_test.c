/* cmd_test.c - `hyoka test [--coverage [--fail-under PERCENT]] RULES CASES`: runs rule test cases
 * (facts in, expected category, reasons, flags and score out) and prints every failing case with
 * its explanation. With --coverage, also which categories, reasons and flags the cases matched
 * and which none did, with file:line (store/coverage.h, as `hyoka coverage` counts a run); exit 1
 * when the share matched is below --fail-under. */
#include "i18n.h"
#include "cli.h"

#include "cfgutil.h"
#include "coverage.h"
#include "engine.h"
#include "xalloc.h"

#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CASES 10000 /* cases in one file */
#define SCORE_EPSILON 1e-9

/* One case as read from the file. */
typedef struct test_case {
    const char *name; /* borrowed from the config */
    int line;
    eng_value *facts; /* schema count values */
    const char *category;
    bool check_reasons, check_flags, check_score, score_null;
    uint64_t reasons, flags;
    double score;
} test_case;

typedef struct case_file {
    const char *path;
    const eng_rules *rules;
    const eng_schema *schema;
    eng_diags *d;
    test_case *cases;
    int ncases;
} case_file;

static int line_of(const config_setting_t *s)
{
    return (int)config_setting_source_line(s);
}

static void err(case_file *cf, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void err(case_file *cf, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, _(fmt), ap);
    va_end(ap);
    eng_diags_add(cf->d, cf->path, line, 0, 0, false, NULL, "%s", msg);
}

static const char *type_word(eng_type t)
{
    return t == ENG_NUM ? _("a number") : t == ENG_BOOL ? _("a boolean") : _("a string");
}

/* Reports an unknown key with a suggestion from `known`. */
static void unknown_key(case_file *cf, const config_setting_t *s, const char *where,
                        const char *const *known, int n)
{
    char list[200] = "";
    for (int i = 0; i < n; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, known[i], sizeof list - strlen(list) - 1);
    }
    err(cf, line_of(s), "unknown key '%s' in %s (known keys: %s)", config_setting_name(s), where,
        list);
}

static void read_facts(case_file *cf, test_case *tc, const config_setting_t *g, const char *what)
{
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        err(cf, line_of(g), "'facts' of %s must be a group { name = value; … }, not %s", what,
            eng_config_type_phrase(g));
        return;
    }
    for (int i = 0; i < config_setting_length(g); i++) {
        config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        int slot = eng_schema_find(cf->schema, name);
        if (slot < 0) {
            const char *hint = eng_schema_suggest(cf->schema, name);
            if (hint != NULL)
                err(cf, line_of(s), "unknown fact '%s' in %s (did you mean '%s'?)", name, what,
                    hint);
            else
                err(cf, line_of(s), "unknown fact '%s' in %s", name, what);
            continue;
        }
        eng_type t = eng_schema_type(cf->schema, slot);
        double num;
        if (t == ENG_NUM && eng_config_number(s, &num))
            tc->facts[slot] = eng_num(num);
        else if (t == ENG_BOOL && config_setting_type(s) == CONFIG_TYPE_BOOL)
            tc->facts[slot] = eng_bool(config_setting_get_bool(s) != 0);
        else if (t == ENG_STR && config_setting_type(s) == CONFIG_TYPE_STRING)
            tc->facts[slot] = eng_str(config_setting_get_string(s));
        else if (t == ENG_OPAQUE)
            err(cf, line_of(s), "fact '%s' cannot be given: rules cannot use its type", name);
        else
            err(cf, line_of(s), "fact '%s' is %s, not %s", name, type_word(t),
                eng_config_type_phrase(s));
    }
}

/* An array of ids of kind k -> a bit set. */
static uint64_t read_ids(case_file *cf, const config_setting_t *a, eng_kind k, const char *key,
                         const char *what)
{
    uint64_t bits = 0;
    if (config_setting_type(a) != CONFIG_TYPE_ARRAY && config_setting_type(a) != CONFIG_TYPE_LIST) {
        err(cf, line_of(a), "'%s' of %s must be an array of ids [ \"…\", … ], not %s", key, what,
            eng_config_type_phrase(a));
        return 0;
    }
    for (int i = 0; i < config_setting_length(a); i++) {
        config_setting_t *s = config_setting_get_elem(a, (unsigned)i);
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
            err(cf, line_of(s), "'%s' of %s must hold ids as strings, not %s", key, what,
                eng_config_type_phrase(s));
            continue;
        }
        const char *id = config_setting_get_string(s);
        int idx = eng_rules_find(cf->rules, k, id);
        if (idx < 0)
            err(cf, line_of(s), "unknown %s '%s' in 'expect' of %s", eng_kind_name(k), id, what);
        else
            bits |= UINT64_C(1) << idx;
    }
    return bits;
}

static void read_expect(case_file *cf, test_case *tc, const config_setting_t *g, const char *what)
{
    static const char *const keys[] = {"category", "reasons", "flags", "score"};
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        err(cf, line_of(g), "'expect' of %s must be a group { category = …; … }, not %s", what,
            eng_config_type_phrase(g));
        return;
    }
    for (int i = 0; i < config_setting_length(g); i++) {
        config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *key = config_setting_name(s);
        if (strcmp(key, "category") == 0) {
            if (config_setting_type(s) != CONFIG_TYPE_STRING)
                err(cf, line_of(s), "'category' of %s must be a category id, not %s", what,
                    eng_config_type_phrase(s));
            else if (eng_rules_find(cf->rules, ENG_KIND_CATEGORY, config_setting_get_string(s)) < 0)
                err(cf, line_of(s), "unknown category '%s' in 'expect' of %s",
                    config_setting_get_string(s), what);
            else
                tc->category = config_setting_get_string(s);
        } else if (strcmp(key, "reasons") == 0) {
            tc->reasons = read_ids(cf, s, ENG_KIND_REASON, key, what);
            tc->check_reasons = true;
        } else if (strcmp(key, "flags") == 0) {
            tc->flags = read_ids(cf, s, ENG_KIND_FLAG, key, what);
            tc->check_flags = true;
        } else if (strcmp(key, "score") == 0) {
            tc->check_score = true;
            if (config_setting_type(s) == CONFIG_TYPE_STRING &&
                strcmp(config_setting_get_string(s), "null") == 0)
                tc->score_null = true;
            else if (!eng_config_number(s, &tc->score))
                err(cf, line_of(s), "'score' of %s must be a number or \"null\", not %s", what,
                    eng_config_type_phrase(s));
        } else
            unknown_key(cf, s, what, keys, 4);
    }
}

static void read_case_list(case_file *cf, config_setting_t *root);

static void read_cases(case_file *cf, config_t *cfg)
{
    static const char *const top[] = {"cases"};
    config_setting_t *root = config_root_setting(cfg);
    read_case_list(cf, root);
    for (int i = 0; i < config_setting_length(root); i++) { /* after: messages in line order */
        config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        if (strcmp(config_setting_name(s), "cases") != 0)
            unknown_key(cf, s, _("the case file"), top, 1);
    }
}

static void read_case_list(case_file *cf, config_setting_t *root)
{
    static const char *const keys[] = {"name", "facts", "expect"};
    config_setting_t *list = config_setting_get_member(root, "cases");
    if (list == NULL) {
        err(cf, 1,
            "the case file has no 'cases' (write cases = ( { name = …; facts = { … }; "
            "expect = { … }; }, … );)");
        return;
    }
    if (config_setting_type(list) != CONFIG_TYPE_LIST) {
        err(cf, line_of(list), "'cases' must be a list ( { … }, … ), not %s",
            eng_config_type_phrase(list));
        return;
    }
    int n = config_setting_length(list);
    if (n > MAX_CASES) {
        err(cf, line_of(config_setting_get_elem(list, MAX_CASES)), "too many cases (at most %d)",
            MAX_CASES);
        n = MAX_CASES;
    }
    int nfacts = eng_schema_count(cf->schema);
    cf->cases = xcalloc((size_t)n + 1, sizeof *cf->cases);
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        test_case *tc = &cf->cases[cf->ncases++];
        tc->line = line_of(e);
        tc->facts = xcalloc((size_t)nfacts + 1, sizeof *tc->facts); /* all null */
        char what[200];
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            err(cf, line_of(e), "case %d must be a group { name = …; … }, not %s", i + 1,
                eng_config_type_phrase(e));
            continue;
        }
        config_setting_t *name = config_setting_get_member(e, "name");
        if (name == NULL || config_setting_type(name) != CONFIG_TYPE_STRING) {
            err(cf, name ? line_of(name) : line_of(e), "case %d needs a 'name' (a string)", i + 1);
            snprintf(what, sizeof what, _("case %d"), i + 1);
        } else {
            tc->name = config_setting_get_string(name);
            snprintf(what, sizeof what, _("case '%s'"), tc->name);
            for (int j = 0; j < i; j++)
                if (cf->cases[j].name != NULL && strcmp(cf->cases[j].name, tc->name) == 0)
                    err(cf, line_of(name), "duplicate case name '%s' (first at line %d)", tc->name,
                        cf->cases[j].line);
        }
        for (int m = 0; m < config_setting_length(e); m++) {
            config_setting_t *s = config_setting_get_elem(e, (unsigned)m);
            const char *key = config_setting_name(s);
            if (strcmp(key, "name") && strcmp(key, "facts") && strcmp(key, "expect"))
                unknown_key(cf, s, what, keys, 3);
        }
        config_setting_t *facts = config_setting_get_member(e, "facts");
        if (facts != NULL)
            read_facts(cf, tc, facts, what);
        config_setting_t *expect = config_setting_get_member(e, "expect");
        if (expect == NULL)
            err(cf, line_of(e), "%s has no 'expect' (what should the rules give?)", what);
        else
            read_expect(cf, tc, expect, what);
    }
}

/* "[cost, planning]" for the ids whose bits are set, in file order. */
static void format_ids(const eng_rules *r, eng_kind k, uint64_t bits, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "[");
    for (int i = 0; i < eng_rules_count(r, k) && n < size; i++)
        if (bits >> i & 1)
            n += (size_t)snprintf(out + n, size - n, "%s%s", n > 1 ? ", " : "",
                                  eng_rules_get(r, k, i)->id);
    if (n < size)
        snprintf(out + n, size - n, "]");
}

static void format_score(bool has, double score, char *out, size_t size)
{
    if (!has)
        snprintf(out, size, "null");
    else
        snprintf(out, size, "%.1f", score);
}

/* Runs one case; prints it when it fails. Returns true if it passed; its result in *out. */
static bool run_case(case_file *cf, eng_ctx *ctx, eng_explanation *ex, const test_case *tc,
                     eng_result *out)
{
    const eng_rules *r = cf->rules;
    eng_result res;
    eng_explain(ctx, tc->facts, &res, ex);
    *out = res;
    char diff[2048] = "";
    size_t n = 0;
    const char *got_cat = eng_rules_get(r, ENG_KIND_CATEGORY, res.category)->id;
    if (tc->category != NULL && strcmp(tc->category, got_cat) != 0)
        n += (size_t)snprintf(diff + n, sizeof diff - n, _("    category: expected %s, got %s\n"),
                              tc->category, got_cat);
    char a[512], b[512];
    if (tc->check_reasons && tc->reasons != res.reasons && n < sizeof diff) {
        format_ids(r, ENG_KIND_REASON, tc->reasons, a, sizeof a);
        format_ids(r, ENG_KIND_REASON, res.reasons, b, sizeof b);
        n +=
            (size_t)snprintf(diff + n, sizeof diff - n, _("    reasons: expected %s, got %s\n"), a, b);
    }
    if (tc->check_flags && tc->flags != res.flags && n < sizeof diff) {
        format_ids(r, ENG_KIND_FLAG, tc->flags, a, sizeof a);
        format_ids(r, ENG_KIND_FLAG, res.flags, b, sizeof b);
        n += (size_t)snprintf(diff + n, sizeof diff - n, _("    flags: expected %s, got %s\n"), a, b);
    }
    if (tc->check_score && n < sizeof diff) {
        bool ok = tc->score_null ? !res.has_score
                                 : res.has_score && fabs(res.score - tc->score) < SCORE_EPSILON;
        if (!ok) {
            format_score(!tc->score_null, tc->score, a, sizeof a);
            format_score(res.has_score, res.score, b, sizeof b);
            n += (size_t)snprintf(diff + n, sizeof diff - n, _("    score: expected %s, got %s\n"), a,
                                  b);
        }
    }
    if (n == 0)
        return true;
    printf(_("%s:%d: case '%s' failed:\n%s    explanation:\n"), cf->path, tc->line,
           tc->name ? tc->name : "?", diff);
    for (int i = 0; i < eng_explanation_count(ex); i++)
        printf("      %s\n", eng_explanation_get(ex, i)->text);
    return false;
}

int cmd_test(const cli_opts *o)
{
    const char *rules_path = o->args[0], *cases_path = o->args[1];
    int rc = CLI_OK;
    double fail_under = 0;
    if (o->fail_under != NULL && !o->coverage) {
        fprintf(stderr, "hyoka test: --fail-under needs --coverage\n");
        return CLI_EUSER;
    }
    if (o->fail_under != NULL && coverage_parse_percent(o->fail_under, &fail_under) != 0) {
        fprintf(stderr, "hyoka test: --fail-under '%s': expected a percentage from 0 to 100\n",
                o->fail_under);
        return CLI_EUSER;
    }
    eng_diags *d = eng_diags_new();
    eng_schema *schema = eng_schema_new_builtin();
    eng_rules *r = NULL;
    char *text = NULL, *prepared = NULL;
    size_t len;
    config_t cfg;
    config_init(&cfg);
    case_file cf = {.path = cases_path, .schema = schema, .d = d};

    char *rules_text;
    size_t rules_len;
    int read = eng_file_read(rules_path, &rules_text, &rules_len, d);
    if (read == -2) {
        fprintf(stderr, _("hyoka test: cannot read %s: %s\n"), rules_path, strerror(errno));
        rc = CLI_EENV;
        goto out;
    }
    if (read == 0) {
        if (strlen(rules_text) == rules_len)
            r = eng_rules_load_string(rules_text, rules_path, schema, d);
        else
            free(eng_config_text_prepare(rules_text, rules_len, rules_path, d));
        free(rules_text);
    }
    if (r == NULL) {
        eng_diags_print(d, stderr);
        rc = CLI_EUSER;
        goto out;
    }
    eng_diags_clear(d); /* warnings about the rules are `hyoka check`'s business */
    cf.rules = r;

    read = eng_file_read(cases_path, &text, &len, d);
    if (read == -2) {
        fprintf(stderr, _("hyoka test: cannot read %s: %s\n"), cases_path, strerror(errno));
        rc = CLI_EENV;
        goto out;
    }
    if (read == 0)
        prepared = eng_config_text_prepare(text, len, cases_path, d);
    if (prepared != NULL) {
        if (config_read_string(&cfg, prepared) != CONFIG_TRUE)
            err(&cf, config_error_line(&cfg), "%s",
                _(config_error_text(&cfg) ? config_error_text(&cfg) : "syntax error"));
        else
            read_cases(&cf, &cfg);
    }
    if (eng_diags_errors(d) > 0 || prepared == NULL) {
        eng_diags_print(d, stderr);
        rc = CLI_EUSER;
        goto out;
    }

    eng_ctx *ctx = eng_ctx_new(r);
    eng_explanation *ex = eng_explanation_new();
    int passed = 0, failed = 0;
    coverage cv;
    coverage_init(&cv, r);
    for (int i = 0; i < cf.ncases; i++) {
        eng_result res;
        if (run_case(&cf, ctx, ex, &cf.cases[i], &res))
            passed++;
        else
            failed++;
        coverage_add(&cv, res.category, res.primary_reason, res.reasons, res.flags);
    }
    printf(_("%d passed, %d failed\n"), passed, failed);
    double percent = coverage_percent(&cv);
    if (o->coverage) {
        json_t *doc = coverage_json(&cv);
        coverage_print(doc, stdout);
        json_decref(doc);
    }
    coverage_cleanup(&cv);
    if (fflush(stdout) != 0)
        rc = CLI_EENV;
    else if (failed > 0)
        rc = CLI_EUSER;
    if (o->fail_under != NULL && percent < fail_under) {
        fprintf(stderr, "hyoka test: %.1f %% of the entries matched, under --fail-under %s\n",
                percent, o->fail_under);
        if (rc == CLI_OK)
            rc = CLI_EUSER;
    }
    eng_explanation_free(ex);
    eng_ctx_free(ctx);
out:
    for (int i = 0; i < cf.ncases; i++)
        free(cf.cases[i].facts);
    free(cf.cases);
    config_destroy(&cfg);
    free(prepared);
    free(text);
    eng_rules_free(r);
    eng_schema_free(schema);
    eng_diags_free(d);
    return rc;
}
