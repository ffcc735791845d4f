/* test_expr.c - unit tests of the expression compiler and VM (lex, parse, compile, vm), value
 * helpers (eng_round, eng_value_format) and diagnostics (diag.c), as tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "alloc_count.h"
#include "expr_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---- a table-driven scope ------------------------------------------------------------------ */

enum {
    S_RATIO,
    S_REASONS,
    S_ACTUAL,
    S_PLANNED,
    S_CATEGORY,
    S_DECIDED,
    S_TITLE,
    S_ANY,
    S_PREV,
    NSLOTS
};

typedef struct scope_entry {
    const char *name;
    expr_name_status status;
    eng_type type;
    int slot; /* -1: a constant */
    eng_value constant;
    const char *later;
} scope_entry;

static const scope_entry scope_table[] = {
    {"progress_ratio", EXPR_NAME_OK, ENG_NUM, S_RATIO, {0}, NULL},
    {"reasons", EXPR_NAME_OK, ENG_NUM, S_REASONS, {0}, NULL},
    {"actual_progress", EXPR_NAME_OK, ENG_NUM, S_ACTUAL, {0}, NULL},
    {"planned_progress", EXPR_NAME_OK, ENG_NUM, S_PLANNED, {0}, NULL},
    {"category", EXPR_NAME_OK, ENG_STR, S_CATEGORY, {0}, NULL},
    {"plan_decided", EXPR_NAME_OK, ENG_BOOL, S_DECIDED, {0}, NULL},
    {"title", EXPR_NAME_OK, ENG_STR, S_TITLE, {0}, NULL},
    {"anything", EXPR_NAME_OK, ENG_NULL, S_ANY, {0}, NULL}, /* type unknown until run time */
    {"previous_score", EXPR_NAME_OK, ENG_NUM, S_PREV, {0}, NULL},
    {"thresholds.on_track_ratio", EXPR_NAME_OK, ENG_NUM, -1, {.type = ENG_NUM, .as.num = 0.9}, NULL},
    {"thresholds.delayed_ratio", EXPR_NAME_OK, ENG_NUM, -1, {.type = ENG_NUM, .as.num = 0.5}, NULL},
    {"thresholds.label", EXPR_NAME_OK, ENG_STR, -1, {.type = ENG_STR, .as.str = {"順調", 6}}, NULL},
    {"flag.delay",
     EXPR_NAME_LATER,
     ENG_BOOL,
     0,
     {0},
     "'flag.delay' is available from categories on"},
    {"start_date",
     EXPR_NAME_OPAQUE,
     ENG_OPAQUE,
     0,
     {0},
     "'start_date' is a date column and cannot be used in rules"},
};
#define NSCOPE ((int)(sizeof scope_table / sizeof scope_table[0]))

static int test_resolve(void *ud, const char *name, expr_name *out)
{
    (void)ud;
    memset(out, 0, sizeof *out);
    out->status = EXPR_NAME_UNKNOWN;
    for (int i = 0; i < NSCOPE; i++) {
        const scope_entry *e = &scope_table[i];
        if (strcmp(e->name, name) != 0)
            continue;
        out->status = e->status;
        out->type = e->type;
        out->is_const = e->slot < 0;
        out->slot = e->slot;
        out->constant = e->constant;
        if (e->later)
            snprintf(out->later, sizeof out->later, "%s", e->later);
    }
    return 0;
}

static int test_names(void *ud, const char *const **names)
{
    static const char *list[NSCOPE];
    (void)ud;
    for (int i = 0; i < NSCOPE; i++)
        list[i] = scope_table[i].name;
    *names = list;
    return NSCOPE;
}

static const expr_scope scope = {test_resolve, test_names, NULL};

/* Fact vectors the tables refer to by number. */
static eng_value facts[4][NSLOTS];

static void init_facts(void)
{
    /* 0: a typical initiative */
    facts[0][S_RATIO] = eng_num(0.42);
    facts[0][S_REASONS] = eng_num(0);
    facts[0][S_ACTUAL] = eng_num(0.21);
    facts[0][S_PLANNED] = eng_num(0.5);
    facts[0][S_CATEGORY] = eng_str("on_track");
    facts[0][S_DECIDED] = eng_bool(true);
    facts[0][S_TITLE] = eng_str("子育て支援");
    facts[0][S_ANY] = eng_num(7);
    facts[0][S_PREV] = eng_num(61.5);
    /* 1: everything null */
    for (int i = 0; i < NSLOTS; i++)
        facts[1][i] = eng_null();
    /* 2: planned 0, decided false, 'anything' a string */
    facts[2][S_RATIO] = eng_num(1.2);
    facts[2][S_REASONS] = eng_num(2);
    facts[2][S_ACTUAL] = eng_num(0.3);
    facts[2][S_PLANNED] = eng_num(0);
    facts[2][S_CATEGORY] = eng_str("delayed");
    facts[2][S_DECIDED] = eng_bool(false);
    facts[2][S_TITLE] = eng_str("");
    facts[2][S_ANY] = eng_str("x");
    facts[2][S_PREV] = eng_null();
    /* 3: NaN and infinity must act as null */
    for (int i = 0; i < NSLOTS; i++)
        facts[3][i] = facts[0][i];
    facts[3][S_RATIO] = eng_num(NAN);
    facts[3][S_ACTUAL] = eng_num(INFINITY);
}

/* Runs p on the register VM (expr_eval); with `reads`, traced. */
static eng_value run_traced(const expr_prog *p, const eng_value *f, bool *reads)
{
    static double scratch[4096];
    assert_true(expr_scratch_size(p) <= 4096);
    return reads ? expr_eval_traced(p, f, scratch, reads) : expr_eval(p, f, scratch);
}
static eng_value run(const expr_prog *p, const eng_value *f)
{
    return run_traced(p, f, NULL);
}

/* Compiles and runs; returns the formatted value or "ERR <first diag>". */
static const char *eval(const char *src, int f, eng_type want, eng_diags *d)
{
    static char buf[256];
    expr_prog *p = expr_compile(src, &scope, want, "t.cfg", 1, d);
    if (!p) {
        const eng_diag *g = eng_diags_get(d, 0);
        snprintf(buf, sizeof buf, "ERR %d:%d: %s", g ? g->line : 0, g ? g->col : 0,
                 g ? g->message : "(no diagnostic)");
        return buf;
    }
    eng_value v = run(p, facts[f]);
    eng_value_format(v, buf, sizeof buf);
    expr_free(p);
    return buf;
}

/* ---- values -------------------------------------------------------------------------------- */

typedef struct value_case {
    const char *expr;
    int facts;
    const char *expected;
} value_case;

static const value_case value_cases[] = {
    /* literals */
    {"1", 0, "1"},
    {"2.50", 0, "2.5"},
    {"1e3", 0, "1000"},
    {"1.5E-2", 0, "0.015"},
    {"'on_track'", 0, "\"on_track\""},
    {"\"それ\"", 0, "\"それ\""},
    {"'say \"hi\"'", 0, "\"say \\\"hi\\\"\""},
    {"true", 0, "true"},
    {"false", 0, "false"},
    {"null", 0, "null"},
    /* facts and thresholds */
    {"progress_ratio", 0, "0.42"},
    {"category", 0, "\"on_track\""},
    {"thresholds.on_track_ratio", 0, "0.9"},
    {"thresholds.label", 0, "\"順調\""},
    /* arithmetic, precedence, associativity */
    {"1 + 2 * 3", 0, "7"},
    {"(1 + 2) * 3", 0, "9"},
    {"10 - 4 - 3", 0, "3"},
    {"100 / 10 / 5", 0, "2"},
    {"2 * 3 / 4", 0, "1.5"},
    {"-2 * 3", 0, "-6"},
    {"- -2", 0, "2"},
    {"-progress_ratio", 0, "-0.42"},
    {"actual_progress / planned_progress", 0, "0.42"},
    {"0.1 + 0.2", 0, "0.3"},
    {"1 + 2 < 4", 0, "true"},
    {"1 < 2 == 2 < 3", 0, "true"},
    {"1 < 2 == false", 0, "false"},
    {"true == false == false", 0, "true"}, /* (true == false) == false */
    {"1 == 1 != false", 0, "true"},
    {"!plan_decided && true", 2, "true"}, /* unary binds tighter than && */
    {"!plan_decided || plan_decided && false", 0, "false"},
    {"not true == false", 0, "true"}, /* (not true) == false */
    {"-reasons - 1", 2, "-3"},
    {"2 * -3", 0, "-6"},
    {"8 / 2 * 4", 0, "16"},              /* left-assoc: (8 / 2) * 4 */
    {"1 + 2 in (3) && true", 0, "true"}, /* (1 + 2) in (3) */
    {"1 + 2 > 2 ? 'a' : 'b' == 'b' ? 'c' : 'd'", 0, "\"a\""},
    {"plan_decided != false", 0, "true"},
    {"category != title", 0, "true"},
    {"1.5 != 1.5", 0, "false"},
    /* comparison */
    {"progress_ratio < 0.5", 0, "true"},
    {"progress_ratio <= 0.42", 0, "true"},
    {"progress_ratio > 0.42", 0, "false"},
    {"progress_ratio >= thresholds.on_track_ratio", 0, "false"},
    {"category == 'on_track'", 0, "true"},
    {"category != 'on_track'", 0, "false"},
    {"plan_decided == true", 0, "true"},
    {"title == '子育て支援'", 0, "true"},
    {"title == ''", 2, "true"},
    /* logic (both spellings) and precedence: && binds tighter than || */
    {"true || false && false", 0, "true"},
    {"(true || false) && false", 0, "false"},
    {"not plan_decided or reasons == 0", 0, "true"},
    {"!plan_decided", 0, "false"},
    {"plan_decided and reasons == 0", 0, "true"},
    {"!(1 < 2)", 0, "false"},
    /* ?: is right-associative and loosest */
    {"reasons > 1 ? 'many' : reasons > 0 ? 'one' : 'none'", 0, "\"none\""},
    {"reasons > 1 ? 'many' : reasons > 0 ? 'one' : 'none'", 2, "\"many\""},
    {"planned_progress > 0 ? actual_progress / planned_progress : 1", 0, "0.42"},
    {"planned_progress > 0 ? actual_progress / planned_progress : 1", 2, "1"},
    {"true ? 1 : 2 + 10", 0, "1"},
    {"false ? 1 : null", 0, "null"},
    /* in */
    {"category in ('on_track', 'delayed')", 0, "true"},
    {"category in ('delayed')", 0, "false"},
    {"reasons in (0, 1)", 0, "true"},
    {"-1 in (-1, 2)", 0, "true"},
    {"reasons + 1 in (1)", 0, "true"},
    {"category in ('x') == false", 0, "true"},
    /* functions */
    {"min(3, 1, 2)", 0, "1"},
    {"max(3, 1, 2)", 0, "3"},
    {"max(progress_ratio, 0.5)", 0, "0.5"},
    {"abs(-2.5)", 0, "2.5"},
    {"abs(progress_ratio - 1)", 0, "0.58"},
    {"round(2.5)", 0, "3"},
    {"round(-2.5)", 0, "-3"},
    {"round(61.45, 1)", 0, "61.5"},
    {"round(1234.5, -2)", 0, "1200"},
    {"round(progress_ratio * 100, 0)", 0, "42"},
    {"clamp(1.5, 0, 1)", 0, "1"},
    {"clamp(-1, 0, 1)", 0, "0"},
    {"clamp(progress_ratio, 0, 1)", 0, "0.42"},
    {"coalesce(previous_score, 0)", 0, "61.5"},
    {"coalesce(previous_score, 0)", 2, "0"},
    {"coalesce(null, null, 'x')", 0, "\"x\""},
    {"is_null(previous_score)", 2, "true"},
    {"is_null(previous_score)", 0, "false"},
    {"is_null(null)", 0, "true"},
    /* null semantics: arithmetic, comparison, in, functions, ?: */
    {"progress_ratio + 1", 1, "null"},
    {"1 - progress_ratio", 1, "null"},
    {"progress_ratio * 2", 1, "null"},
    {"progress_ratio / 2", 1, "null"},
    {"-progress_ratio", 1, "null"},
    {"progress_ratio < 1", 1, "null"},
    {"progress_ratio >= 1", 1, "null"},
    {"category == 'x'", 1, "null"},
    {"category != 'x'", 1, "null"},
    {"category in ('x', 'y')", 1, "null"},
    {"null in (1, 2)", 0, "null"},
    {"min(progress_ratio, 1)", 1, "null"},
    {"max(1, progress_ratio)", 1, "null"},
    {"abs(progress_ratio)", 1, "null"},
    {"round(progress_ratio)", 1, "null"},
    {"round(1.25, previous_score)", 2, "null"},
    {"round(1.25, progress_ratio)", 0, "null"}, /* decimals not an integer at run time */
    {"round(1.25, reasons + 16)", 0, "null"},   /* decimals beyond 15 at run time */
    {"round(1.25, reasons + 1)", 0, "1.3"},
    {"clamp(progress_ratio, 0, 1)", 1, "null"},
    {"clamp(0.5, previous_score, 1)", 2, "null"},
    {"coalesce(progress_ratio, previous_score)", 1, "null"},
    {"plan_decided ? 1 : 2", 1, "null"},
    {"!plan_decided", 1, "null"},
    {"not plan_decided", 1, "null"},
    {"is_null(category)", 1, "true"},
    /* Kleene truth table: null && false = false, null || true = true, otherwise null */
    {"plan_decided && false", 1, "false"},
    {"false && plan_decided", 1, "false"},
    {"plan_decided && true", 1, "null"},
    {"true && plan_decided", 1, "null"},
    {"plan_decided && plan_decided", 1, "null"},
    {"plan_decided || true", 1, "true"},
    {"true || plan_decided", 1, "true"},
    {"plan_decided || false", 1, "null"},
    {"false || plan_decided", 1, "null"},
    {"plan_decided || plan_decided", 1, "null"},
    {"plan_decided && reasons > 0", 2, "false"},
    {"plan_decided || reasons > 0", 2, "true"},
    {"plan_decided && plan_decided", 0, "true"},
    {"plan_decided || plan_decided", 2, "false"},
    /* division by zero; NaN/infinity never escape */
    {"1 / 0", 0, "null"},
    {"actual_progress / planned_progress", 2, "null"},
    {"1e308 * 10", 0, "null"},
    {"progress_ratio + 1", 3, "null"},
    {"actual_progress", 3, "null"},
    {"is_null(actual_progress)", 3, "true"},
    /* a name of a type unknown until run time */
    {"anything + 1", 0, "8"},
    {"anything + 1", 2, "null"},
    {"anything == 'x'", 2, "true"},
    {"anything == 7", 2, "false"},
    {"anything && true", 0, "null"},
    {"anything in ('x')", 2, "true"},
    {"coalesce(anything, 1)", 2, "1"}, /* a string where a number is due: null */
    {"coalesce(anything, 1)", 0, "7"},
    {"plan_decided ? 1 : anything", 2, "null"},
    {"plan_decided ? 'a' : anything", 2, "\"x\""},
    {"true ? anything : 1", 2, "null"}, /* a constant condition keeps the check of the branch */
    {"true ? anything : 1", 0, "7"},
    /* UTF-8 in strings */
    {"title in ('子育て支援', '道路')", 0, "true"},
    {"category == '順調' ? '順調' : '遅延'", 0, "\"遅延\""},
};

static void test_values(void **state)
{
    (void)state;
    eng_diags *d = eng_diags_new();
    for (size_t i = 0; i < sizeof value_cases / sizeof value_cases[0]; i++) {
        const value_case *c = &value_cases[i];
        eng_diags_clear(d);
        const char *got = eval(c->expr, c->facts, ENG_NULL, d);
        if (strcmp(got, c->expected) != 0)
            fail_msg("%s (facts %d): expected %s, got %s", c->expr, c->facts, c->expected, got);
        if (eng_diags_count(d) != 0)
            fail_msg("%s: unexpected diagnostic %s", c->expr, eng_diags_get(d, 0)->message);
    }
    eng_diags_free(d);
}

/* ---- errors -------------------------------------------------------------------------------- */

typedef struct error_case {
    const char *expr;
    eng_type want;
    const char *expected; /* every diagnostic as "line:col+span: message", joined by " | " */
} error_case;

static const error_case error_cases[] = {
    /* names */
    {"progres_ratio >= 0.5", ENG_BOOL,
     "1:1+13: unknown name 'progres_ratio' (did you mean 'progress_ratio'?)"},
    {"foo > 1", ENG_BOOL, "1:1+3: unknown name 'foo'"},
    {"progres_ratio > 1 && categry == 'x' && zzz", ENG_BOOL,
     "1:1+13: unknown name 'progres_ratio' (did you mean 'progress_ratio'?) | "
     "1:22+7: unknown name 'categry' (did you mean 'category'?) | 1:40+3: unknown name 'zzz'"},
    {"thresholds.on_trak_ratio", ENG_NULL,
     "1:1+24: unknown name 'thresholds.on_trak_ratio' (did you mean 'thresholds.on_track_ratio'?)"},
    {"flag.delay && true", ENG_BOOL, "1:1+10: 'flag.delay' is available from categories on"},
    {"start_date > 1", ENG_BOOL,
     "1:1+10: 'start_date' is a date column and cannot be used in rules"},
    {"max + 1", ENG_NULL, "1:1+3: 'max' is a function: call it as max(...)"},
    /* functions and arity */
    {"mean(1, 2)", ENG_NULL, "1:1+4: unknown function 'mean'"},
    {"rond(1)", ENG_NULL, "1:1+4: unknown function 'rond' (did you mean 'round'?)"},
    {"round(1, 2, 3)", ENG_NULL, "1:1+5: function 'round' takes 1 or 2 arguments, got 3"},
    {"round()", ENG_NULL, "1:1+5: function 'round' takes 1 or 2 arguments, got 0"},
    {"min(1)", ENG_NULL, "1:1+3: function 'min' takes 2 or more arguments, got 1"},
    {"max(1)", ENG_NULL, "1:1+3: function 'max' takes 2 or more arguments, got 1"},
    {"coalesce(1)", ENG_NULL, "1:1+8: function 'coalesce' takes 2 or more arguments, got 1"},
    {"abs(1, 2)", ENG_NULL, "1:1+3: function 'abs' takes 1 argument, got 2"},
    {"is_null()", ENG_NULL, "1:1+7: function 'is_null' takes 1 argument, got 0"},
    {"clamp(1, 2)", ENG_NULL, "1:1+5: function 'clamp' takes 3 arguments, got 2"},
    {"abs(category)", ENG_NULL, "1:5+8: type error: 'abs' needs numbers, got string"},
    {"min(1, true)", ENG_NULL, "1:8+4: type error: 'min' needs numbers, got boolean"},
    {"coalesce(1, 'a')", ENG_NULL,
     "1:13+3: type error: 'coalesce' needs values of one type, got number and string"},
    {"round(1.25, 1.5)", ENG_NULL,
     "1:13+3: decimals of 'round' must be an integer from -15 to 15, got 1.5"},
    {"round(1.25, 16)", ENG_NULL,
     "1:13+2: decimals of 'round' must be an integer from -15 to 15, got 16"},
    /* types */
    {"true + 1", ENG_NULL, "1:1+8: type error: '+' needs numbers, got boolean and number"},
    {"category * 2", ENG_NULL, "1:1+12: type error: '*' needs numbers, got string and number"},
    {"category < 'b'", ENG_NULL, "1:1+14: type error: '<' needs numbers, got string and string"},
    {"category == 1", ENG_NULL,
     "1:1+13: type error: '==' needs two values of the same type, got string and number"},
    {"plan_decided != 0", ENG_NULL,
     "1:1+17: type error: '!=' needs two values of the same type, got boolean and number"},
    {"reasons && true", ENG_BOOL, "1:1+7: type error: '&&' needs booleans, got number"},
    {"true or 'x'", ENG_BOOL, "1:9+3: type error: 'or' needs booleans, got string"},
    {"!reasons", ENG_BOOL, "1:1+8: type error: '!' needs a boolean, got number"},
    {"-category", ENG_NULL, "1:1+9: type error: '-' needs a number, got string"},
    {"reasons ? 1 : 2", ENG_NULL,
     "1:1+7: type error: condition of '?:' must be boolean, got number"},
    {"plan_decided ? 1 : 'x'", ENG_NULL,
     "1:1+22: type error: branches of '?:' differ: number and string"},
    {"plan_decided in (true)", ENG_BOOL,
     "1:1+12: type error: 'in' needs a number or a string, got boolean"},
    {"not category in ('a')", ENG_BOOL,
     "1:1+21: type error: 'not' binds tighter than 'in': write not (x in (...))"},
    {"!categry in ('a')", ENG_BOOL,
     "1:2+7: unknown name 'categry' (did you mean 'category'?) | "
     "1:1+17: type error: '!' binds tighter than 'in': write !(x in (...))"},
    {"category in ('a', 2)", ENG_BOOL, "1:19+1: type error: 'in' list must hold string literals"},
    {"reasons in (1, -2, 'x')", ENG_BOOL,
     "1:20+3: type error: 'in' list must hold number literals"},
    {"reasons + 1", ENG_BOOL, "1:1+11: type error: expected a boolean condition, got number"},
    {"reasons > 1", ENG_NUM, "1:1+11: type error: expected a number, got boolean"},
    {"category", ENG_NUM, "1:1+8: type error: expected a number, got string"},
    /* errors after UTF-8 text: columns count characters */
    {"category == '順調' && progress_ratio + true > 1", ENG_BOOL,
     "1:21+21: type error: '+' needs numbers, got number and boolean"},
    {"title == '子育て' && progres_ratio > 1", ENG_BOOL,
     "1:19+13: unknown name 'progres_ratio' (did you mean 'progress_ratio'?)"},
    {"'順調' # 1", ENG_NULL, "1:6+1: syntax error: unexpected character '#'"},
    {"'順調' ＋ 1", ENG_NULL, "1:6+1: syntax error: unexpected character '＋' (U+FF0B)"},
    {"reasons　> 1", ENG_NULL, "1:8+1: syntax error: unexpected character '　' (U+3000)"},
    {".5 + 1", ENG_NULL, "1:1+2: syntax error: malformed number '.5' (write 0.5)"},
    /* syntax */
    {"1 +", ENG_NULL, "1:4+1: syntax error: unexpected end of expression"},
    {"", ENG_NULL, "1:1+1: syntax error: empty expression"},
    {"   ", ENG_NULL, "1:1+1: syntax error: empty expression"},
    {"* 2", ENG_NULL, "1:1+1: syntax error: unexpected '*' (expected an operand)"},
    {"1 2", ENG_NULL,
     "1:3+1: syntax error: unexpected '2' (expected an operator or the end of the expression)"},
    {"'abc", ENG_NULL, "1:1+1: syntax error: unterminated string"},
    {"\"abc'", ENG_NULL, "1:1+1: syntax error: unterminated string"},
    {"(1 + 2", ENG_NULL, "1:1+1: syntax error: missing ')'"},
    {"min(1, 2", ENG_NULL, "1:4+1: syntax error: missing ')'"},
    {"min(1 2)", ENG_NULL, "1:7+1: syntax error: unexpected '2' (expected ',' or ')')"},
    {"true ? 1", ENG_NULL, "1:6+1: syntax error: missing ':' of '?:'"},
    {"reasons = 1", ENG_NULL, "1:9+1: syntax error: unexpected character '=' (use '==')"},
    {"plan_decided & true", ENG_NULL,
     "1:14+1: syntax error: unexpected character '&' (use '&&' or 'and')"},
    {"plan_decided | true", ENG_NULL,
     "1:14+1: syntax error: unexpected character '|' (use '||' or 'or')"},
    {"1.", ENG_NULL, "1:1+2: syntax error: malformed number '1.'"},
    {"1e", ENG_NULL, "1:1+2: syntax error: malformed number '1e'"},
    {"12abc", ENG_NULL, "1:1+5: syntax error: malformed number '12abc'"},
    {"1e999", ENG_NULL, "1:1+5: syntax error: number '1e999' is out of range"},
    {"category in 'a'", ENG_NULL,
     "1:10+2: syntax error: 'in' needs a parenthesised list of literals"},
    {"category in (title)", ENG_NULL,
     "1:14+5: syntax error: unexpected 'title' in an 'in' list (expected a literal)"},
    {"reasons in (1,", ENG_NULL, "1:15+1: syntax error: unexpected end of expression"},
    {"a\x01", ENG_NULL, "1:2+1: syntax error: unexpected control character 0x01"},
    {"'\xff'", ENG_NULL, "1:2+1: expression holds invalid UTF-8 (byte 0xff)"},
    {"'\xe9\xa0'", ENG_NULL, "1:2+1: expression holds invalid UTF-8 (byte 0xe9)"},
    {"'\xed\xa0\x80'", ENG_NULL, "1:2+1: expression holds invalid UTF-8 (byte 0xed)"},
    {"'\xc0\xaf'", ENG_NULL, "1:2+1: expression holds invalid UTF-8 (byte 0xc0)"},
    {"'\xf4\x90\x80\x80'", ENG_NULL, "1:2+1: expression holds invalid UTF-8 (byte 0xf4)"},
    {"'\xf8\x88\x80\x80\x80'", ENG_NULL, "1:2+1: expression holds invalid UTF-8 (byte 0xf8)"},
    {"'\xf0\x9f\x98\x80' + \x80", ENG_NULL,
     "1:7+1: expression holds invalid UTF-8 (byte 0x80)"}, /* after a valid 4-byte emoji */
};

/* All diagnostics of d as "line:col+span: message | ...". */
static const char *diags_text(const eng_diags *d)
{
    static char buf[2048];
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < eng_diags_count(d); i++) {
        const eng_diag *g = eng_diags_get(d, i);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%d:%d+%d: %s%s", i ? " | " : "", g->line,
                              g->col, g->span, g->warning ? "warning: " : "", g->message);
        if (n >= sizeof buf)
            break;
    }
    return buf;
}

static void test_errors(void **state)
{
    (void)state;
    eng_diags *d = eng_diags_new();
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const error_case *c = &error_cases[i];
        eng_diags_clear(d);
        expr_prog *p = expr_compile(c->expr, &scope, c->want, "t.cfg", 1, d);
        if (p) {
            expr_free(p);
            fail_msg("%s: compiled, expected %s", c->expr, c->expected);
        }
        const char *got = diags_text(d);
        if (strcmp(got, c->expected) != 0)
            fail_msg("%s:\n expected %s\n got      %s", c->expr, c->expected, got);
        assert_int_equal(eng_diags_errors(d), eng_diags_count(d));
        const eng_diag *g = eng_diags_get(d, 0);
        assert_string_equal(g->file, "t.cfg");
    }
    eng_diags_free(d);
}

static void test_null_comparison_warns(void **state)
{
    (void)state;
    eng_diags *d = eng_diags_new();
    assert_string_equal(eval("previous_score == null", 0, ENG_BOOL, d), "null");
    assert_string_equal(diags_text(d),
                        "1:1+22: warning: comparison with null is always null; use is_null(x)");
    assert_int_equal(eng_diags_errors(d), 0);
    eng_diags_clear(d);
    assert_string_equal(eval("null != category", 0, ENG_BOOL, d), "null");
    assert_int_equal(eng_diags_count(d), 1);
    assert_true(eng_diags_get(d, 0)->warning);
    eng_diags_free(d);
}

/* ---- compilation: folding, short-circuit, refs, limits -------------------------------------- */

static expr_prog *compile_ok(const char *src, eng_type want)
{
    eng_diags *d = eng_diags_new();
    expr_prog *p = expr_compile(src, &scope, want, "t.cfg", 1, d);
    if (!p)
        fail_msg("%s: %s", src, diags_text(d));
    eng_diags_free(d);
    return p;
}

static bool dump_has(const expr_prog *p, const char *what)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    assert_int_equal(expr_dump(p, f), 0);
    fclose(f);
    bool has = strstr(text, what) != NULL;
    free(text);
    return has;
}

typedef struct fold_case {
    const char *expr;
    int code_size; /* register instructions after folding */
    const char *value;
} fold_case;

static const fold_case fold_cases[] = {
    /* a constant or a name alone is no instruction: the result is its register */
    {"1 + 2 * 3", 0, "7"},
    {"thresholds.on_track_ratio * 100", 0, "90"},
    {"thresholds.delayed_ratio < thresholds.on_track_ratio", 0, "true"},
    {"max(thresholds.delayed_ratio, 0.7) + 1", 0, "1.7"},
    {"round(thresholds.on_track_ratio / 3, 2)", 0, "0.3"},
    {"thresholds.label == '順調' ? 'yes' : 'no'", 0, "\"yes\""},
    {"'a' in ('b', 'a')", 0, "true"},
    {"is_null(null)", 0, "true"},
    {"false && plan_decided", 0, "false"}, /* false decides */
    {"plan_decided && false", 0, "false"},
    {"true || progress_ratio > 1", 0, "true"},
    {"true && plan_decided", 0, "true"}, /* the neutral side disappears: the name alone */
    {"false || plan_decided", 0, "true"},
    {"1 < 2 ? progress_ratio : 0", 0, "0.42"},
    {"1 / 0", 0, "null"},
    {"progress_ratio >= thresholds.on_track_ratio", 1, "false"}, /* one GE, the constant's register */
    {"thresholds.on_track_ratio < progress_ratio", 1, "false"},
    {"0.42 <= progress_ratio", 1, "true"},
    {"0.42 == progress_ratio", 1, "true"},
    {"'on_track' != category", 1, "false"},
    {"progress_ratio + 0 >= 0.42", 2, "true"}, /* x + 0 is not folded (x may be null) */
};

static void test_folding(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fold_cases / sizeof fold_cases[0]; i++) {
        const fold_case *c = &fold_cases[i];
        expr_prog *p = compile_ok(c->expr, ENG_NULL);
        if (expr_reg_code_size(p) != c->code_size)
            fail_msg("%s: %d instructions, expected %d", c->expr, expr_reg_code_size(p),
                     c->code_size);
        char buf[64];
        eng_value_format(run(p, facts[0]), buf, sizeof buf);
        if (strcmp(buf, c->value) != 0)
            fail_msg("%s: expected %s, got %s", c->expr, c->value, buf);
        expr_free(p);
    }
    /* Thresholds are never loaded from a slot; the constant holds their value. */
    expr_prog *p =
        compile_ok("reasons == 0 && progress_ratio >= thresholds.on_track_ratio", ENG_BOOL);
    assert_false(dump_has(p, "thresholds.on_track_ratio")); /* no register of it */
    assert_true(dump_has(p, "  0 EQ_N     t0 = reasons 0\n"));
    assert_true(dump_has(p, "  1 GE       t1 = progress_ratio 0.9\n"));
    assert_true(dump_has(p, "  2 AND      t2 = t0 t1\n"));
    assert_int_equal(expr_reg_code_size(p), 3);
    expr_free(p);
}

typedef struct short_case {
    const char *expr;
    int facts;
    const char *reads; /* per ref in order: 1 read, 0 skipped */
} short_case;

static const short_case short_cases[] = {
    {"plan_decided && progress_ratio > 0", 2, "10"}, /* false && ...: right side not run */
    {"plan_decided && progress_ratio > 0", 0, "11"},
    {"plan_decided && progress_ratio > 0", 1, "11"}, /* null && x: x decides between false/null */
    {"plan_decided || progress_ratio > 0", 0, "10"}, /* true || ... */
    {"plan_decided || progress_ratio > 0", 2, "11"},
    {"plan_decided ? progress_ratio : reasons", 0, "110"},
    {"plan_decided ? progress_ratio : reasons", 2, "101"},
    {"plan_decided ? progress_ratio : reasons", 1, "100"}, /* null condition: neither branch */
    {"plan_decided and (reasons > 0 or actual_progress > 0)", 2, "100"},
    {"plan_decided and (reasons > 0 or actual_progress > 0)", 0, "111"}, /* fused compares */
    {"plan_decided and (0 < reasons or 0 < actual_progress)", 0, "111"},
};

static void test_short_circuit(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof short_cases / sizeof short_cases[0]; i++) {
        const short_case *c = &short_cases[i];
        expr_prog *p = compile_ok(c->expr, ENG_NULL);
        const expr_ref *refs;
        int n = expr_refs(p, &refs);
        assert_int_equal(n, (int)strlen(c->reads));
        bool reads[8] = {false};
        run_traced(p, facts[c->facts], reads);
        char got[9] = "";
        for (int k = 0; k < n; k++)
            got[k] = reads[k] ? '1' : '0';
        if (strcmp(got, c->reads) != 0)
            fail_msg("%s (facts %d): reads %s, expected %s", c->expr, c->facts, got, c->reads);
        expr_free(p);
    }
}

static void test_refs(void **state)
{
    (void)state;
    expr_prog *p = compile_ok("progress_ratio < thresholds.on_track_ratio && reasons == 0 && "
                              "progress_ratio > 0 && '順調' == thresholds.label",
                              ENG_BOOL);
    const expr_ref *refs;
    assert_int_equal(expr_refs(p, &refs), 4);
    assert_string_equal(refs[0].name, "progress_ratio");
    assert_int_equal(refs[0].offset, 0);
    assert_int_equal(refs[0].len, 14);
    assert_false(refs[0].is_const);
    assert_int_equal(refs[0].slot, S_RATIO);
    assert_string_equal(refs[1].name, "thresholds.on_track_ratio");
    assert_int_equal(refs[1].offset, 17);
    assert_true(refs[1].is_const);
    assert_true(refs[1].constant.as.num == 0.9);
    assert_string_equal(refs[2].name, "reasons");
    assert_int_equal(refs[2].slot, S_REASONS);
    assert_string_equal(refs[3].name, "thresholds.label");
    assert_int_equal(refs[3].constant.type, ENG_STR);
    assert_int_equal((int)refs[3].constant.as.str.len, 6);
    /* the program owns its copy of a string constant */
    assert_ptr_not_equal(refs[3].constant.as.str.ptr, scope_table[11].constant.as.str.ptr);
    assert_memory_equal(refs[3].constant.as.str.ptr, "順調", 6);
    assert_int_equal(expr_type(p), ENG_BOOL);
    assert_string_equal(expr_source(p), "progress_ratio < thresholds.on_track_ratio && reasons "
                                        "== 0 && progress_ratio > 0 && '順調' == thresholds.label");
    expr_free(p);
}

static char *repeat(const char *head, int n, const char *middle, const char *tail)
{
    size_t size = strlen(head) * (size_t)n + strlen(middle) + strlen(tail) * (size_t)n + 1;
    char *s = malloc(size);
    assert_non_null(s);
    s[0] = '\0';
    for (int i = 0; i < n; i++)
        strcat(s, head);
    strcat(s, middle);
    for (int i = 0; i < n; i++)
        strcat(s, tail);
    return s;
}

static void test_limits(void **state)
{
    (void)state;
    eng_diags *d = eng_diags_new();
    /* parentheses: well within the limit compiles, beyond it is refused at the deep token */
    char *ok = repeat("(", ENG_MAX_DEPTH - 1, "1", ")"); /* 63 parentheses + the outer level */
    expr_prog *p = expr_compile(ok, &scope, ENG_NULL, "t.cfg", 1, d);
    assert_non_null(p);
    expr_free(p);
    free(ok);
    char *deep = repeat("(", ENG_MAX_DEPTH, "1", ")");
    assert_null(expr_compile(deep, &scope, ENG_NULL, "t.cfg", 1, d));
    assert_int_equal(eng_diags_count(d), 1);
    assert_string_equal(eng_diags_get(d, 0)->message, "expression nested too deeply (limit 64)");
    assert_int_equal(eng_diags_get(d, 0)->col, 65); /* at the operand one level too deep */
    free(deep);
    /* a chain of '?:' nests in its else branches */
    eng_diags_clear(d);
    char *conds = repeat("true ? 1 : ", 70, "2", "");
    assert_null(expr_compile(conds, &scope, ENG_NULL, "t.cfg", 1, d));
    assert_string_equal(eng_diags_get(d, 0)->message, "expression nested too deeply (limit 64)");
    free(conds);
    conds = repeat("true ? 1 : ", 30, "2", "");
    p = expr_compile(conds, &scope, ENG_NULL, "t.cfg", 1, d);
    assert_non_null(p);
    expr_free(p);
    free(conds);
    /* unary operators nest too */
    eng_diags_clear(d);
    char *neg = repeat("-", 100, "1", "");
    assert_null(expr_compile(neg, &scope, ENG_NULL, "t.cfg", 1, d));
    assert_string_equal(eng_diags_get(d, 0)->message, "expression nested too deeply (limit 64)");
    free(neg);
    eng_diags_clear(d);
    char *nots = repeat("!", 40, "true", "");
    p = expr_compile(nots, &scope, ENG_NULL, "t.cfg", 1, d);
    assert_non_null(p);
    expr_free(p);
    free(nots);
    /* length: exactly the limit compiles; one byte more is refused */
    char *longest = repeat("1+", (ENG_MAX_EXPR_LEN - 1) / 2, "1", "");
    assert_int_equal((int)strlen(longest), ENG_MAX_EXPR_LEN - 1);
    char *limit = malloc(ENG_MAX_EXPR_LEN + 2);
    snprintf(limit, ENG_MAX_EXPR_LEN + 2, "%s ", longest);
    assert_int_equal((int)strlen(limit), ENG_MAX_EXPR_LEN);
    p = expr_compile(limit, &scope, ENG_NULL, "t.cfg", 1, d);
    assert_non_null(p);
    assert_int_equal(expr_reg_code_size(p), 0); /* folded */
    assert_true(run(p, facts[0]).as.num == ENG_MAX_EXPR_LEN / 2);
    expr_free(p);
    strcat(limit, "1");
    eng_diags_clear(d);
    assert_null(expr_compile(limit, &scope, ENG_NULL, "t.cfg", 1, d));
    assert_string_equal(eng_diags_get(d, 0)->message,
                        "expression too long (4097 bytes, limit 4096)");
    free(limit);
    free(longest);
    eng_diags_free(d);
}

/* A name of a type unknown until run time keeps expr_type's promise: the value or null. */
static void test_unknown_type(void **state)
{
    (void)state;
    expr_prog *p = compile_ok("anything", ENG_BOOL);
    assert_int_equal(expr_type(p), ENG_BOOL);
    assert_true(dump_has(p, "LOAD_AS  t0 = anything boolean\n"));
    assert_int_equal(run(p, facts[0]).type, ENG_NULL); /* 7 is not a boolean */
    expr_free(p);
    p = compile_ok("anything", ENG_NUM);
    assert_int_equal(expr_type(p), ENG_NUM);
    eng_value v = run(p, facts[0]);
    assert_int_equal(v.type, ENG_NUM);
    assert_true(v.as.num == 7);
    assert_int_equal(run(p, facts[2]).type, ENG_NULL);
    expr_free(p);
    p = compile_ok("anything", ENG_NULL); /* any type: the value's own */
    assert_int_equal(expr_type(p), ENG_NULL);
    assert_int_equal(run(p, facts[2]).type, ENG_STR);
    v = run(p, facts[0]);
    assert_true(v.type == ENG_NUM && v.as.num == 7);
    expr_free(p);
    /* == tells a value of another type from null: false, as for two different values */
    p = compile_ok("anything == 7", ENG_BOOL);
    assert_true(dump_has(p, "LOAD_AS  t0 = anything number|other\n"));
    expr_free(p);
    p = compile_ok("progress_ratio", ENG_NUM);
    assert_false(dump_has(p, "LOAD_AS")); /* known types need no check */
    expr_free(p);
}

static void test_error_limit(void **state)
{
    (void)state;
    eng_diags *d = eng_diags_new();
    char *many = repeat("zz + ", 30, "zz", ""); /* 31 unknown names */
    assert_null(expr_compile(many, &scope, ENG_NULL, "t.cfg", 1, d));
    assert_int_equal(eng_diags_count(d), 21);
    assert_string_equal(eng_diags_get(d, 19)->message, "unknown name 'zz'");
    assert_int_equal(eng_diags_get(d, 19)->col, 96);
    assert_string_equal(eng_diags_get(d, 20)->message,
                        "too many errors in this expression (limit 20); the rest are not shown");
    free(many);
    eng_diags_free(d);
}

/* Straight-line register code: one instruction per operation left after folding, whatever the
 * nesting (every instruction writes a temporary of its own). */
static void test_register_code_size(void **state)
{
    (void)state;
    expr_prog *p = compile_ok("progress_ratio", ENG_NULL);
    assert_int_equal(expr_reg_code_size(p), 0);
    assert_true(dump_has(p, "    result progress_ratio\n"));
    expr_free(p);
    p = compile_ok("progress_ratio + (reasons * (actual_progress - planned_progress))", ENG_NULL);
    assert_int_equal(expr_reg_code_size(p), 3);
    assert_true(dump_has(p, "  0 SUB      t0 = actual_progress planned_progress\n"));
    assert_true(dump_has(p, "  1 MUL      t1 = reasons t0\n"));
    assert_true(dump_has(p, "  2 ADD      t2 = progress_ratio t1\n"));
    expr_free(p);
    p = compile_ok("max(progress_ratio, reasons, actual_progress, planned_progress)", ENG_NULL);
    assert_int_equal(expr_reg_code_size(p), 3); /* pairwise from the left */
    expr_free(p);
}

static void test_no_allocation(void **state)
{
    (void)state;
    long before = alloc_count();
    expr_prog *p = compile_ok("reasons == 0 && progress_ratio >= thresholds.on_track_ratio ? "
                              "round(max(progress_ratio, 0.5) * 100, 1) : coalesce(previous_score, "
                              "-1)",
                              ENG_NULL);
    assert_true(alloc_count() > before); /* the counter sees this library's allocations */
    bool reads[8] = {false};
    before = alloc_count();
    for (int f = 0; f < 4; f++) {
        run(p, facts[f]);
        run_traced(p, facts[f], reads);
    }
    assert_int_equal(alloc_count(), before);
    expr_free(p);
}

/* ---- eng_eval_expression (a real eng_schema) ----------------------------------------------- */

static void test_eval_expression(void **state)
{
    (void)state;
    eng_schema *s = eng_schema_new();
    assert_int_equal(eng_schema_add(s, "progress_ratio", ENG_NUM, NULL), 0);
    assert_int_equal(eng_schema_add(s, "category", ENG_STR, NULL), 1);
    assert_int_equal(eng_schema_add(s, "due_date", ENG_OPAQUE, "date"), 2);
    eng_value f[3] = {eng_num(0.25), eng_str("delayed"), eng_null()};
    eng_diags *d = eng_diags_new();
    eng_value v;
    assert_int_equal(eng_eval_expression("progress_ratio * 4", s, f, &v, d), 0);
    assert_int_equal(v.type, ENG_NUM);
    assert_true(v.as.num == 1.0);
    assert_int_equal(eng_eval_expression("category == 'delayed' ? '遅延' : '順調'", s, f, &v, d),
                     0);
    assert_int_equal(v.type, ENG_STR);
    assert_int_equal((int)v.as.str.len, 6);
    assert_memory_equal(v.as.str.ptr, "遅延", 6);
    assert_int_equal(eng_diags_count(d), 0);
    assert_int_equal(eng_eval_expression("progres_ratio > 1", s, f, &v, d), -1);
    assert_string_equal(diags_text(d),
                        "1:1+13: unknown name 'progres_ratio' (did you mean 'progress_ratio'?)");
    assert_string_equal(eng_diags_get(d, 0)->file, "<expr>");
    eng_diags_clear(d);
    assert_int_equal(eng_eval_expression("due_date", s, f, &v, d), -1);
    assert_string_equal(diags_text(d),
                        "1:1+8: 'due_date' is a date column and cannot be used in rules");
    eng_diags_free(d);
    eng_schema_free(s);
}

/* ---- eng_round, eng_value_format ---------------------------------------------------------- */

typedef struct round_case {
    double x;
    int decimals;
    double expected;
} round_case;

static const round_case round_cases[] = {
    {0.5, 0, 1},
    {-0.5, 0, -1},
    {1.5, 0, 2},
    {2.5, 0, 3},
    {-2.5, 0, -3},
    {0.49999999999999994, 0, 1}, /* to 15 significant digits first: 0.500000000000000 */
    {0.4999999999999, 0, 0},
    {1.005, 2, 1.01}, /* binary 1.00499999999999989... */
    {2.675, 2, 2.68}, /* binary 2.67499999999999982... */
    {61.45, 1, 61.5},
    {-61.45, 1, -61.5},
    {61.49999999999999, 1, 61.5}, /* SPEC: 61.5 in decimals, 61.49999999999999 in binary */
    {61.44999, 1, 61.4},
    {0.125, 2, 0.13},
    {-0.125, 2, -0.13},
    {1234.5678, 2, 1234.57},
    {1234.5, -2, 1200},
    {1250, -2, 1300},
    {-1250, -2, -1300},
    {0.04, 1, 0},
    {0.05, 1, 0.1},
    {0.000001, 1, 0},
    {99.95, 1, 100},
    {999999999999999.0, 0, 999999999999999.0},
    {1e20, 1, 1e20},
    {1.23456789012345678e15, 2, 1.23456789012346e15},
    {123456789.123456789, 3, 123456789.123},
    {5e-324, 2, 0},
    {0, 3, 0},
    {-0.0, 1, 0},
    {42, 0, 42},
    {1.0 / 3.0 * 100, 1, 33.3},
    {2.0 / 3.0 * 100, 1, 66.7},
};

static void test_round(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof round_cases / sizeof round_cases[0]; i++) {
        const round_case *c = &round_cases[i];
        double got = eng_round(c->x, c->decimals);
        if (got != c->expected || eng_round_exact(c->x, c->decimals) != c->expected)
            fail_msg("eng_round(%.17g, %d) = %.17g, expected %.17g", c->x, c->decimals, got,
                     c->expected);
    }
    /* The fast path agrees with the decimal algorithm everywhere, halves included: multiples of a
     * half-unit, their binary neighbours, and a spread of ordinary values. */
    long checked = 0;
    for (int d = 0; d <= 4; d++) {
        for (long k = -5000; k <= 5000; k++) {
            double p10 = pow(10, d);
            double xs[] = {(double)k / (2 * p10), nextafter((double)k / (2 * p10), INFINITY),
                           nextafter((double)k / (2 * p10), -INFINITY), (double)k * 0.0137 + 0.001,
                           (double)k * 1234.5678};
            for (size_t j = 0; j < sizeof xs / sizeof xs[0]; j++) {
                double a = eng_round(xs[j], d), b = eng_round_exact(xs[j], d);
                if (a != b)
                    fail_msg("eng_round(%.17g, %d): fast %.17g, exact %.17g", xs[j], d, a, b);
                checked++;
            }
        }
    }
    assert_true(checked == 5 * 10001 * 5);
    assert_true(isnan(eng_round(NAN, 1)));
    assert_true(isinf(eng_round(INFINITY, 1)));
    assert_false(signbit(eng_round(-0.04, 1))); /* no "-0" */
}

typedef struct format_case {
    eng_value v;
    const char *expected;
} format_case;

static void test_value_format(void **state)
{
    (void)state;
    const format_case cases[] = {
        {eng_null(), "null"},
        {eng_bool(true), "true"},
        {eng_bool(false), "false"},
        {eng_num(0.42), "0.42"},
        {eng_num(12), "12"},
        {eng_num(-3.5), "-3.5"},
        {eng_num(-0.0), "0"},
        {eng_num(0.1 + 0.2), "0.3"},
        {eng_num(61.49999999999999), "61.5"},
        {eng_num(123456789012345.0), "123456789012345"},
        {eng_num(1e20), "1e+20"},
        {eng_num(1e-7), "1e-07"},
        {eng_str("on_track"), "\"on_track\""},
        {eng_str("順調"), "\"順調\""},
        {eng_str("a\"b\\c"), "\"a\\\"b\\\\c\""},
        {eng_str("x\ny"), "\"x\\u000ay\""},
        {eng_str(""), "\"\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        int n = eng_value_format(cases[i].v, buf, sizeof buf);
        assert_string_equal(buf, cases[i].expected);
        assert_int_equal(n, (int)strlen(cases[i].expected));
    }
    /* truncation: NUL-terminated, returns the length needed */
    char small[5];
    assert_int_equal(eng_value_format(eng_str("abcdef"), small, sizeof small), 8);
    assert_string_equal(small, "\"abc");
    assert_int_equal(eng_value_format(eng_num(12345.5), small, sizeof small), 7);
    assert_string_equal(small, "1234");
}

/* eng_value_format prints most numbers without snprintf: it must print exactly what "%.15g"
 * does, for decimals of every length and scale, for arbitrary doubles and at the edges of its
 * fast path (1e-4, 1e15, 15 digits, 6 decimals). */
static void check_number_format(double d)
{
    char want[64], got[64];
    snprintf(want, sizeof want, "%.15g", d == 0 ? 0.0 : d);
    int n = eng_value_format(eng_num(d), got, sizeof got);
    if (strcmp(want, got) != 0 || n != (int)strlen(want))
        fail_msg("%.17g: \"%s\" (%d), snprintf gives \"%s\"", d, got, n, want);
}

static void test_number_format(void **state)
{
    (void)state;
    const double edges[] = {1e-4, 1e-5, 0.00012, 0.0001234567, 1e15, 1e14, 999999999999999.0,
                            99999999999999.9, 9999999999999.99, 0.1 + 0.2, 1.0 / 3, 2.0 / 3,
                            123456.123456, 0.000999, 5e-324, 1.7976931348623157e308, 0.5, 12};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        check_number_format(edges[i]);
        check_number_format(-edges[i]);
        check_number_format(nextafter(edges[i], 0));
        check_number_format(nextafter(edges[i], INFINITY));
    }
    uint64_t x = 0x9E3779B97F4A7C15u; /* xorshift64*, fixed seed */
    for (int i = 0; i < 200000; i++) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        uint64_t u = x * 2685821657736338717u;
        double m = (double)(u >> 11) / (double)(1ull << (u % 53)); /* 0 .. 2^53, any scale */
        int k = (int)(u % 9);                                       /* decimals 0 .. 8 */
        static const double p[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
        check_number_format(floor(m) / p[k]);
        check_number_format(-floor(m) / p[k]);
        check_number_format(eng_round(m / p[k], (int)(u % 7)));
        double bits;
        memcpy(&bits, &u, sizeof bits);
        if (isfinite(bits))
            check_number_format(bits);
    }
}

/* ---- diagnostics --------------------------------------------------------------------------- */

static char *print_to_string(const eng_diags *d)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    assert_int_equal(eng_diags_print(d, f), 0);
    fclose(f);
    return text;
}

static void test_diag_print(void **state)
{
    (void)state;
    eng_diags *d = eng_diags_new();
    assert_null(expr_compile("progres_ratio >= thresholds.on_track_ratio", &scope, ENG_BOOL,
                             "rules.cfg", 42, d));
    expr_compile("title == '子育て' && 1 + true > 0", &scope, ENG_BOOL, "rules.cfg", 7, d);
    expr_compile("1 +", &scope, ENG_NULL, "e.cfg", 2, d); /* the caret after the last character */
    eng_diags_add(d, "hyoka.cfg", 3, 0, 0, true, NULL, "unused key '%s'", "x");
    eng_diags_add(d, "a.cfg", 1, 4, 99, false, "ab\tcd", "tab before the column");
    eng_diags_add(d, "j.cfg", 1, 3, 2, false, "'順調' ＋ 1", "wide characters under the carets");
    eng_diags_add(d, "k.cfg", 2, 5, 1, false, "a\n\xff b", "a stray byte on the second line");
    char *text = print_to_string(d);
    assert_string_equal(text,
                        "rules.cfg:42:1: error: unknown name 'progres_ratio' (did you mean "
                        "'progress_ratio'?)\n"
                        "    progres_ratio >= thresholds.on_track_ratio\n"
                        "    ^^^^^^^^^^^^^\n"
                        "rules.cfg:7:19: error: type error: '+' needs numbers, got number and "
                        "boolean\n"
                        "    title == '子育て' && 1 + true > 0\n"
                        "                         ^^^^^^^^\n" /* 子育て: 6 cells */
                        "e.cfg:2:4: error: syntax error: unexpected end of expression\n"
                        "    1 +\n"
                        "       ^\n"
                        "hyoka.cfg:3: warning: unused key 'x'\n"
                        "a.cfg:1:4: error: tab before the column\n"
                        "    ab\tcd\n"
                        "      \t^^\n"
                        "j.cfg:1:3: error: wide characters under the carets\n"
                        "    '順調' ＋ 1\n"
                        "       ^^^\n" /* 調' under 順 (2 cells) */
                        "k.cfg:2:5: error: a stray byte on the second line\n"
                        "    \xff b\n"
                        "      ^\n");
    free(text);
    assert_int_equal(eng_diags_count(d), 7);
    assert_int_equal(eng_diags_errors(d), 6);
    FILE *full = fopen("/dev/full", "w"); /* every write fails: print says so */
    if (full) {
        setvbuf(full, NULL, _IONBF, 0);
        assert_int_equal(eng_diags_print(d, full), -1);
        fclose(full);
    }
    assert_null(eng_diags_get(d, 7));
    assert_null(eng_diags_get(d, -1));
    eng_diags_clear(d);
    assert_int_equal(eng_diags_count(d), 0);
    eng_diags_free(d);
    eng_diags_free(NULL);
}

typedef struct suggest_case {
    const char *name;
    const char *expected; /* NULL: no suggestion */
} suggest_case;

static void test_suggest(void **state)
{
    (void)state;
    const char *const names[] = {"progress_ratio",
                                 "planned_progress",
                                 "actual_progress",
                                 "category",
                                 "reasons",
                                 "abs",
                                 "max",
                                 "min"};
    const suggest_case cases[] = {
        {"progres_ratio", "progress_ratio"},  /* deletion */
        {"progress_ratoi", "progress_ratio"}, /* transposition counts once */
        {"categroy", "category"},
        {"reason", "reasons"},
        {"mxa", "max"}, /* transposition, short name: distance 1 */
        {"mean", NULL},
        {"zzz", NULL},
        {"cat", NULL}, /* too far from "category" */
        {"planed_progress", "planned_progress"},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = diag_suggest(cases[i].name, names, 8);
        if (!cases[i].expected ? got != NULL : !got || strcmp(got, cases[i].expected) != 0)
            fail_msg("suggest(%s) = %s, expected %s", cases[i].name, got ? got : "NULL",
                     cases[i].expected ? cases[i].expected : "NULL");
    }
    assert_int_equal(diag_chars("順調 ok", strlen("順調 ")), 3);
    assert_int_equal(diag_chars("abc", 2), 2);
}

int main(void)
{
    init_facts();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_null_comparison_warns),
        cmocka_unit_test(test_folding),
        cmocka_unit_test(test_short_circuit),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_unknown_type),
        cmocka_unit_test(test_error_limit),
        cmocka_unit_test(test_register_code_size),
        cmocka_unit_test(test_no_allocation),
        cmocka_unit_test(test_eval_expression),
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_value_format),
        cmocka_unit_test(test_number_format),
        cmocka_unit_test(test_diag_print),
        cmocka_unit_test(test_suggest),
    };
    return cmocka_run_group_tests_name("expr", tests, NULL, NULL);
}
