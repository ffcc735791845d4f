/* test_explain.c - the plain-language text of explanation steps (engine/explain.c): every kind of
 * step in Japanese and English, negation, null, clamped and re-normalised score weights, fact
 * labels, rounding for reading (the exact values stay in `inputs` and `result`), the rule file's
 * `language` and the caller's override. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine.h"
#include "ruleset.h"

#include "../support/explain_same.h"

#include <math.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char rules_text[] =
    "version = \"1\";\n"                                                /* 1 */
    "language = \"ja\";\n"                                              /* 2 */
    "thresholds = { cost_min = 1.0; months = 12; on_track = 0.95; };\n" /* 3 */
    "derived = { ratio = \"planned_progress > 0 ? actual_progress / planned_progress : 1\"; };\n"
    "reasons = (\n"                                                                 /* 5 */
    "  { id = \"cost\"; label = \"費用対効果に課題があるもの\";\n"                  /* 6 */
    "    when = \"cost_benefit < thresholds.cost_min\"; },\n"                       /* 7 */
    "  { id = \"planning\"; label = \"具体案の検討に時間を要すもの\";\n"            /* 8 */
    "    when = \"!plan_decided && months_since_start > thresholds.months\"; },\n"  /* 9 */
    "  { id = \"context\"; label = \"状況の変化\"; when = \"context_changed\"; }\n" /* 10 */
    ");\n"                                                                          /* 11 */
    "flags = (\n"                                                                   /* 12 */
    "  { id = \"delay\"; label = \"遅延\"; severity = \"warning\";\n"               /* 13 */
    "    when = \"ratio < thresholds.on_track\"; },\n"                              /* 14 */
    "  { id = \"unreported\"; label = \"未報告\"; severity = \"critical\";\n"       /* 15 */
    "    when = \"is_null(actual_progress)\"; },\n"                                 /* 16 */
    "  { id = \"big\"; label = \"大型\"; severity = \"info\";\n"                    /* 17 */
    "    when = \"budget_planned >= 1000000 or departments in ('情報政策課', '財政課')\"; }\n"
    ");\n"                                                              /* 19 */
    "categories = (\n"                                                  /* 20 */
    "  { id = \"on_track\"; label = \"予定どおり順調\";\n"              /* 21 */
    "    when = \"reasons == 0 && ratio >= thresholds.on_track\"; },\n" /* 22 */
    "  { id = \"quiet\"; label = \"様子を見る\";\n"                     /* 23 */
    "    when = \"not reason.cost && !flag.delay\"; },\n"               /* 24 */
    "  { id = \"stalled\"; label = \"課題あり\"; }\n"                   /* 25 */
    ");\n"                                                              /* 26 */
    "score = (\n"                                                       /* 27 */
    "  { id = \"schedule\"; label = \"進捗\"; weight = 0.6; value = \"min(ratio, 1)\"; },\n" /* 28
                                                                                              */
    "  { id = \"kpi\"; label = \"指標達成\"; weight = 0.3; value = \"kpi_attainment\"; },\n" /* 29
                                                                                              */
    "  { id = \"issues\"; label = \"課題\"; weight = 0.1; value = \"1 - reasons / 3\"; }\n" /* 30 */
    ");\n";

static eng_schema *schema;
static eng_value facts[ENG_MAX_FACTS];

static int setup(void **state)
{
    (void)state;
    schema = eng_schema_new_builtin();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    eng_schema_free(schema);
    return 0;
}

static eng_rules *load(const char *text, const eng_schema *s)
{
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_string(text, "rules/t.cfg", s, d);
    if (r == NULL)
        eng_diags_print(d, stderr);
    assert_non_null(r);
    eng_diags_free(d);
    return r;
}

static void clear_facts(void)
{
    for (int i = 0; i < ENG_MAX_FACTS; i++)
        facts[i] = eng_null();
}

static void set(const char *name, eng_value v)
{
    int slot = eng_schema_find(schema, name);
    assert_true(slot >= 0);
    facts[slot] = v;
}

/* The step of rule `id` of kind k in the explanation (NULL when the rule did not run). */
static const eng_step *step(const eng_explanation *e, eng_kind k, const char *id)
{
    for (int i = 0; i < eng_explanation_count(e); i++) {
        const eng_step *s = eng_explanation_get(e, i);
        if (s->kind == k && strcmp(s->id, id) == 0)
            return s;
    }
    return NULL;
}

static const char *text(const eng_explanation *e, eng_kind k, const char *id)
{
    const eng_step *s = step(e, k, id);
    assert_non_null(s);
    return s->text;
}

/* Explains the current facts with rules r (language: the rules', or `lang`). */
static eng_explanation *explain(const eng_rules *r, const char *lang)
{
    eng_ctx *c = eng_ctx_new(r);
    eng_explanation *e = eng_explanation_new();
    assert_int_equal(eng_explanation_set_language(e, lang), 0);
    eng_result res;
    eng_explain(c, facts, &res, e);
    eng_ctx_free(c);
    return e;
}

/* A reason that applies, rounded for reading; the exact value stays in the step's inputs. */
static void test_ja_reason_applies(void **state)
{
    (void)state;
    eng_rules *r = load(rules_text, schema);
    assert_string_equal(eng_rules_language(r), "ja");
    clear_facts();
    set("cost_benefit", eng_num(0.3602));
    set("planned_progress", eng_num(0.8));
    set("actual_progress", eng_num(0.6));
    set("plan_decided", eng_bool(true));
    set("context_changed", eng_bool(false));
    eng_explanation *e = explain(r, NULL);
    const eng_step *s = step(e, ENG_KIND_REASON, "cost");
    assert_string_equal(s->text, "cost_benefit 0.36 が基準値 cost_min 1 を下回るため、"
                                 "理由『費用対効果に課題があるもの』に該当（t.cfg:7）");
    assert_string_equal(s->inputs[0].name, "cost_benefit");
    assert_true(s->inputs[0].value.type == ENG_NUM && s->inputs[0].value.as.num == 0.3602);
    assert_true(s->result.type == ENG_BOOL && s->result.as.b);
    /* a negated fact that is true: the plan was decided, so the reason does not apply */
    assert_string_equal(text(e, ENG_KIND_REASON, "planning"),
                        "plan_decided が「はい」であるため、"
                        "理由『具体案の検討に時間を要すもの』に該当しない（t.cfg:9）");
    assert_string_equal(text(e, ENG_KIND_REASON, "context"),
                        "context_changed が「いいえ」であるため、理由『状況の変化』に該当しない"
                        "（t.cfg:10）");
    assert_string_equal(text(e, ENG_KIND_DERIVED, "ratio"),
                        "ratio を 0.75 と計算：planned_progress 0.8 > 0 ? actual_progress 0.6 / "
                        "planned_progress 0.8 : 1（t.cfg:4）");
    assert_string_equal(text(e, ENG_KIND_FLAG, "delay"),
                        "ratio 0.75 が基準値 on_track 0.95 を下回るため、注意表示『遅延』（警告）を"
                        "付ける（t.cfg:14）");
    assert_string_equal(text(e, ENG_KIND_FLAG, "unreported"),
                        "actual_progress 0.6 が報告済みであるため、注意表示『未報告』（重大）は"
                        "付けない（t.cfg:16）");
    /* categories: && false on its first operand, a negated reason and flag, the catch-all */
    assert_string_equal(text(e, ENG_KIND_CATEGORY, "on_track"),
                        "該当した理由の数 1 が 0 と異なるため、分類『予定どおり順調』には当たらない"
                        "（t.cfg:22）");
    assert_string_equal(text(e, ENG_KIND_CATEGORY, "quiet"),
                        "理由『費用対効果に課題があるもの』に該当するため、分類『様子を見る』には"
                        "当たらない（t.cfg:24）");
    assert_string_equal(
        text(e, ENG_KIND_CATEGORY, "stalled"),
        "それより前の分類のいずれにも当たらないため、分類は『課題あり』（t.cfg:25）");
    eng_explanation_free(e);
    eng_rules_free(r);
}

/* A negated false fact with && true; || and `in`; null; the score re-normalised and clamped. */
static void test_ja_negation_null_and_score(void **state)
{
    (void)state;
    eng_rules *r = load(rules_text, schema);
    clear_facts();
    set("plan_decided", eng_bool(false));
    set("months_since_start", eng_num(18));
    set("planned_progress", eng_num(0.5));
    set("actual_progress", eng_num(0.75));
    set("kpi_attainment", eng_num(1.25));
    set("budget_planned", eng_num(500000));
    set("departments", eng_str("財政課"));
    eng_explanation *e = explain(r, NULL);
    assert_string_equal(
        text(e, ENG_KIND_REASON, "planning"),
        "plan_decided が「いいえ」であり、かつ months_since_start 18 が基準値 months "
        "12 を上回るため、理由『具体案の検討に時間を要すもの』に該当（t.cfg:9）");
    assert_string_equal(
        text(e, ENG_KIND_REASON, "cost"),
        "理由『費用対効果に課題があるもの』は、cost_benefit が未報告のため判定できない"
        "（該当しないものとして扱う）（t.cfg:7）");
    assert_string_equal(
        text(e, ENG_KIND_FLAG, "big"),
        "departments 「財政課」 が 「情報政策課」、「財政課」 のいずれかであるため、"
        "注意表示『大型』（情報）を付ける（t.cfg:18）");
    assert_string_equal(
        text(e, ENG_KIND_FLAG, "delay"),
        "ratio 1.5 が基準値 on_track 0.95 以上であるため、注意表示『遅延』（警告）は"
        "付けない（t.cfg:14）");
    assert_string_equal(text(e, ENG_KIND_CATEGORY, "on_track"),
                        "該当した理由の数 1 が 0 と異なるため、分類『予定どおり順調』には当たらない"
                        "（t.cfg:22）");
    assert_string_equal(text(e, ENG_KIND_CATEGORY, "quiet"),
                        "理由『費用対効果に課題があるもの』に該当せず、かつ 注意表示『遅延』が"
                        "付いていないため、分類は『様子を見る』（t.cfg:24）");
    assert_null(step(e, ENG_KIND_CATEGORY, "stalled")); /* categories stop at the match */
    assert_string_equal(text(e, ENG_KIND_SCORE, "schedule"),
                        "点数の要素『進捗』：min(ratio 1.5, 1) = 1、重み 0.6（t.cfg:28）");
    assert_string_equal(
        text(e, ENG_KIND_SCORE, "kpi"),
        "点数の要素『指標達成』：kpi_attainment 1.25 = 1.25（1 に切り詰め）、重み 0.3"
        "（t.cfg:29）");
    eng_explanation_free(e);

    /* nothing reported: null reads 未報告のため判定できない, the score re-normalised */
    clear_facts();
    set("planned_progress", eng_num(0.8));
    set("months_since_start", eng_num(3));
    e = explain(r, NULL);
    assert_string_equal(
        text(e, ENG_KIND_DERIVED, "ratio"),
        "ratio は、actual_progress が未報告のため計算できない：planned_progress 0.8 > "
        "0 ? actual_progress 未報告 / planned_progress 0.8 : 1（t.cfg:4）");
    /* && with a null and a false operand is false: the false one is the reason */
    assert_string_equal(text(e, ENG_KIND_REASON, "planning"),
                        "months_since_start 3 が基準値 months 12 以下であるため、"
                        "理由『具体案の検討に時間を要すもの』に該当しない（t.cfg:9）");
    assert_string_equal(
        text(e, ENG_KIND_FLAG, "delay"),
        "注意表示『遅延』は、ratio が未報告のため判定できない（付けないものとして扱う）"
        "（t.cfg:14）");
    assert_string_equal(text(e, ENG_KIND_FLAG, "unreported"),
                        "actual_progress が未報告であるため、注意表示『未報告』（重大）を付ける"
                        "（t.cfg:16）");
    assert_string_equal(text(e, ENG_KIND_CATEGORY, "on_track"),
                        "分類『予定どおり順調』は、ratio が未報告のため判定できない"
                        "（当たらないものとして扱う）（t.cfg:22）");
    assert_string_equal(text(e, ENG_KIND_SCORE, "schedule"),
                        "点数の要素『進捗』は、ratio が未報告のため除外し、残りの要素の重みで"
                        "按分し直す（t.cfg:28）");
    assert_string_equal(
        text(e, ENG_KIND_SCORE, "kpi"),
        "点数の要素『指標達成』は、kpi_attainment が未報告のため除外し、残りの要素の"
        "重みで按分し直す（t.cfg:29）");
    /* the only component with a value carries the whole score: weight 0.1 counts as 1 */
    assert_string_equal(text(e, ENG_KIND_SCORE, "issues"),
                        "点数の要素『課題』：1 - reasons 0 / 3 = 1、重み 0.1"
                        "（値のない要素を除いて按分し直すと 1）（t.cfg:30）");
    eng_explanation_free(e);
    eng_rules_free(r);
}

/* English: the expression with values; a negated name keeps its value inside the negation;
 * re-normalised weights say so. The caller may choose the language over the rule file's. */
static void test_en_negation_and_weights(void **state)
{
    (void)state;
    eng_rules *r = load(rules_text, schema);
    clear_facts();
    set("plan_decided", eng_bool(true));
    set("months_since_start", eng_num(18));
    set("planned_progress", eng_num(0.8));
    set("actual_progress", eng_num(0.6));
    set("cost_benefit", eng_num(0.3602));
    eng_explanation *e = explain(r, "en");
    assert_string_equal(text(e, ENG_KIND_REASON, "planning"),
                        "!(plan_decided true) && months_since_start > thresholds.months 12 → "
                        "reason 具体案の検討に時間を要すもの does not apply (t.cfg:9)");
    assert_string_equal(text(e, ENG_KIND_CATEGORY, "quiet"),
                        "not (reason.cost true) && !flag.delay → not 様子を見る (t.cfg:24)");
    assert_string_equal(text(e, ENG_KIND_REASON, "cost"),
                        "cost_benefit 0.3602 < thresholds.cost_min 1 → reason "
                        "費用対効果に課題があるもの applies (t.cfg:7)");
    assert_string_equal(text(e, ENG_KIND_SCORE, "schedule"),
                        "schedule: min(ratio 0.75, 1) = 0.75 × weight 0.6, re-normalised to 0.8571 "
                        "without the components that have no value (t.cfg:28)");
    assert_string_equal(
        text(e, ENG_KIND_SCORE, "kpi"),
        "kpi: kpi_attainment null = null → left out, the other weights re-normalised "
        "(t.cfg:29)");
    eng_explanation_free(e);
    /* an unknown language is refused and changes nothing */
    e = eng_explanation_new();
    assert_int_equal(eng_explanation_set_language(e, "fr"), -1);
    assert_int_equal(eng_explanation_set_language(e, "ja"), 0);
    assert_int_equal(eng_explanation_set_language(e, "de"), -1);
    eng_ctx *c = eng_ctx_new(r);
    eng_result res;
    eng_explain(c, facts, &res, e);
    assert_string_equal(text(e, ENG_KIND_REASON, "planning"),
                        "plan_decided が「はい」であるため、"
                        "理由『具体案の検討に時間を要すもの』に該当しない（t.cfg:9）");
    eng_ctx_free(c);
    eng_explanation_free(e);
    eng_rules_free(r);

    /* a rule file without `language` is English */
    r = load("version = \"1\";\n"
             "categories = ( { id = \"a\"; label = \"A\"; when = \"!completed\"; },\n"
             "  { id = \"b\"; label = \"B\"; } );\n"
             "score = ( { id = \"s\"; weight = 1; value = \"1\"; } );\n",
             schema);
    assert_string_equal(eng_rules_language(r), "en");
    clear_facts();
    set("completed", eng_bool(true));
    e = explain(r, NULL);
    assert_string_equal(text(e, ENG_KIND_CATEGORY, "a"), "!(completed true) → not A (t.cfg:2)");
    eng_explanation_free(e);
    eng_rules_free(r);
}

/* A fact's label (from the schema) names it in Japanese; big numbers are grouped, tiny ones keep
 * two significant digits; a comparison no sentence fits reads as the expression. */
static void test_ja_labels_and_numbers(void **state)
{
    (void)state;
    eng_schema *s = eng_schema_new_builtin();
    assert_int_equal(eng_schema_set_label(s, eng_schema_find(s, "cost_benefit"), "費用対効果"), 0);
    assert_int_equal(eng_schema_set_label(s, eng_schema_find(s, "budget_planned"), "予算額"), 0);
    assert_int_equal(eng_schema_set_label(s, ENG_MAX_FACTS, "x"), -1);
    assert_string_equal(eng_schema_label(s, eng_schema_find(s, "cost_benefit")), "費用対効果");
    assert_null(eng_schema_label(s, eng_schema_find(s, "kpi_attainment")));
    eng_rules *r = load("version = \"1\";\nlanguage = \"ja\";\n"
                        "thresholds = { cost_min = 1.0; };\n"
                        "reasons = ( { id = \"cost\"; label = \"費用\";\n"
                        "  when = \"cost_benefit < thresholds.cost_min\"; } );\n"
                        "flags = ( { id = \"big\"; label = \"大型\";\n"
                        "  when = \"budget_planned > 1000000\"; },\n"
                        "  { id = \"odd\"; label = \"変\";\n"
                        "  when = \"(kpi_attainment > 0 ? true : false)\"; },\n"
                        "  { id = \"late\"; label = \"遅い\";\n"
                        "  when = \"completed || days_past_due > -30\"; } );\n"
                        "categories = ( { id = \"a\"; label = \"A\"; } );\n"
                        "score = ( { id = \"s\"; label = \"点\"; weight = 1;\n"
                        "  value = \"kpi_attainment * 2\"; } );\n",
                        s);
    eng_schema_free(s); /* the rules keep their own copy, labels included */
    clear_facts();
    set("cost_benefit", eng_num(0.3602));
    set("budget_planned", eng_num(1234567.891));
    set("kpi_attainment", eng_num(0.000123));
    set("completed", eng_bool(false));
    set("days_past_due", eng_num(-365));
    eng_explanation *e = explain(r, NULL);
    /* || that did not hold: both operands, each with its own value; a negative literal as is */
    assert_string_equal(text(e, ENG_KIND_FLAG, "late"),
                        "completed が「いいえ」であり、days_past_due -365 が -30 以下であるため、"
                        "注意表示『遅い』（警告）は付けない（t.cfg:11）");
    assert_string_equal(text(e, ENG_KIND_REASON, "cost"),
                        "費用対効果 0.36 が基準値 cost_min 1 を下回るため、理由『費用』に該当"
                        "（t.cfg:5）");
    assert_string_equal(
        text(e, ENG_KIND_FLAG, "big"),
        "予算額 1,234,567.89 が 1,000,000 を上回るため、注意表示『大型』（警告）を付ける"
        "（t.cfg:7）");
    assert_string_equal(text(e, ENG_KIND_FLAG, "odd"),
                        "「(kpi_attainment 0.00012 > 0 ? true : false)」が成り立つため、"
                        "注意表示『変』（警告）を付ける（t.cfg:9）");
    assert_string_equal(
        text(e, ENG_KIND_SCORE, "s"),
        "点数の要素『点』：kpi_attainment 0.00012 * 2 = 0.00025、重み 1（t.cfg:14）");
    eng_explanation_free(e);
    eng_rules_free(r);
}

/* One explanation used again and again, as hyoka test, the sweep and the benchmark use it: with
 * another rule set (even one loaded where a freed one was, from the same text, with other fact
 * labels), another language, and values written before (the numbers' cache), each text is what
 * a new explanation writes. */
static const char reuse_rules[] = "version = \"1\";\nlanguage = \"ja\";\n"
                                  "thresholds = { big = 10000; };\n"
                                  "reasons = ( { id = \"big\"; label = \"大\";\n"
                                  "  when = \"budget_planned > thresholds.big\"; } );\n"
                                  "flags = ( { id = \"neg\"; label = \"負\";\n"
                                  "  when = \"budget_spent < 0 && !completed\"; } );\n"
                                  "categories = ( { id = \"a\"; label = \"A\"; } );\n"
                                  "score = ( { id = \"s\"; label = \"点\"; weight = 1;\n"
                                  "  value = \"budget_spent / budget_planned\"; } );\n";

/* rules_text's steps explained by `e` and by a new explanation, text for text. */
static void same_as_new(eng_explanation *e, const eng_rules *r, const char *lang)
{
    eng_ctx *c = eng_ctx_new(r);
    eng_explanation *fresh = eng_explanation_new();
    assert_int_equal(eng_explanation_set_language(e, lang), 0);
    assert_int_equal(eng_explanation_set_language(fresh, lang), 0);
    eng_result a, b;
    eng_explain(c, facts, &a, e);
    eng_explain(c, facts, &b, fresh);
    assert_int_equal(eng_explanation_count(e), eng_explanation_count(fresh));
    for (int i = 0; i < eng_explanation_count(e); i++)
        assert_string_equal(eng_explanation_get(e, i)->text, eng_explanation_get(fresh, i)->text);
    eng_explanation_free(fresh);
    eng_ctx_free(c);
}

static eng_rules *load_labelled(const char *text, const char *budget_label)
{
    eng_schema *s = eng_schema_new_builtin();
    assert_int_equal(eng_schema_set_label(s, eng_schema_find(s, "budget_planned"), budget_label),
                     0);
    eng_rules *r = load(text, s);
    eng_schema_free(s);
    return r;
}

static void test_reused_explanation(void **state)
{
    (void)state;
    eng_explanation *e = eng_explanation_new();
    clear_facts();
    set("budget_planned", eng_num(1234567.891));
    set("budget_spent", eng_num(-20000.5));
    set("completed", eng_bool(false));

    eng_rules *r = load_labelled(reuse_rules, "予算額");
    same_as_new(e, r, NULL);
    assert_string_equal(text(e, ENG_KIND_REASON, "big"),
                        "予算額 1,234,567.89 が基準値 big 10,000 を上回るため、理由『大』に該当"
                        "（t.cfg:5）");
    same_as_new(e, r, "en");
    assert_string_equal(text(e, ENG_KIND_FLAG, "neg"),
                        "budget_spent -20000.5 < 0 && !(completed false) → flag 負 (warning) is "
                        "set (t.cfg:7)");
    same_as_new(e, r, "ja"); /* the same numbers again: from the cache */
    assert_string_equal(
        text(e, ENG_KIND_FLAG, "neg"),
        "budget_spent -20,000.5 が 0 を下回り、かつ completed が「いいえ」であるため、"
        "注意表示『負』（警告）を付ける（t.cfg:7）");
    eng_rules_free(r);

    /* the same text with another label: a rule set loaded after the first was freed */
    r = load_labelled(reuse_rules, "事業費");
    same_as_new(e, r, NULL);
    assert_string_equal(text(e, ENG_KIND_REASON, "big"),
                        "事業費 1,234,567.89 が基準値 big 10,000 を上回るため、理由『大』に該当"
                        "（t.cfg:5）");
    eng_rules_free(r);

    /* another text: the names, the expression's pieces and the lines are the new rules' */
    r = load_labelled("version = \"1\";\nlanguage = \"ja\";\n\n"
                      "reasons = ( { id = \"big\"; label = \"大\";\n"
                      "  when = \"budget_spent > budget_planned\"; } );\n"
                      "categories = ( { id = \"a\"; label = \"A\"; } );\n"
                      "score = ( { id = \"s\"; label = \"点\"; weight = 1;\n"
                      "  value = \"budget_planned - budget_spent\"; } );\n",
                      "事業費");
    same_as_new(e, r, NULL);
    assert_string_equal(text(e, ENG_KIND_REASON, "big"),
                        "budget_spent -20,000.5 が事業費 1,234,567.89 以下であるため、"
                        "理由『大』に該当しない（t.cfg:5）");
    assert_string_equal(text(e, ENG_KIND_SCORE, "s"),
                        "点数の要素『点』：budget_planned 1,234,567.89 - budget_spent -20,000.5 = "
                        "1,254,568.39（1 に切り詰め）、重み 1（t.cfg:8）");
    eng_rules_free(r);
    eng_explanation_free(e);
}

/* Rules with what the prepared text must handle like the reference: string literals holding
 * names, quotes and "not", names that begin other names, exponents, nested negation, strings. */
static const char tricky_rules[] =
    "version = \"1\";\nlanguage = \"ja\";\n"
    "thresholds = { lo = 0.5; hi = 1e4; };\n"
    "derived = { plan = \"coalesce(reported_reason, 'cost_benefit \\\" not x')\";\n"
    "  spent = \"budget_spent / 1e3 + budget_planned * -2.5e-1\"; };\n"
    "reasons = ( { id = \"r1\"; label = \"理由一\";\n"
    "  when = \"not (completed or !plan_decided) && cost_benefit >= thresholds.lo\"; },\n"
    "  { id = \"r2\"; label = \"理由二\";\n"
    "  when = \"departments in ('市民課', \\\"観光課\\\") || plan == 'cost_benefit'\"; },\n"
    "  { id = \"r3\"; label = \"理由三\";\n"
    "  when = \"is_null(kpi_attainment) || !(kpi_attainment > 0.5 ? plan_decided : completed)\"; } "
    ");\n"
    "flags = ( { id = \"f1\"; label = \"大\"; severity = \"info\";\n"
    "  when = \"spent > thresholds.hi and not reason.r1\"; },\n"
    "  { id = \"f2\"; label = \"負\"; severity = \"critical\";\n"
    "  when = \"!(budget_spent >= 0) && reasons < 2\"; } );\n"
    "categories = ( { id = \"a\"; label = \"A\";\n"
    "  when = \"!flag.f2 && (previous_category == 'x' || reasons == 0)\"; },\n"
    "  { id = \"b\"; label = \"B\"; when = \"max(cost_benefit, kpi_attainment) < 1\"; },\n"
    "  { id = \"c\"; label = \"C\"; } );\n"
    "score = ( { id = \"s1\"; label = \"一\"; weight = 0.7; value = \"clamp(spent / 1e6, -1, 2)\"; "
    "},\n"
    "  { id = \"s2\"; label = \"二\"; weight = 0.3; value = \"round(kpi_attainment, 3)\"; } );\n";

/* A fact value from a fixed-seed PRNG: null, booleans, strings (with quotes, control characters,
 * long), and numbers of every size and sign, on a half cent, zero, tiny, huge. */
static eng_value random_value(eng_type t, uint64_t *rng)
{
    *rng ^= *rng >> 12, *rng ^= *rng << 25, *rng ^= *rng >> 27;
    uint64_t u = *rng * 2685821657736338717u;
    if (u % 8 == 0)
        return eng_null();
    u >>= 3;
    if (t == ENG_BOOL)
        return eng_bool(u & 1);
    if (t == ENG_STR) {
        static const char *const strs[] = {
            "市民課",
            "観光課",
            "情報政策課、市民課",
            "x",
            "cost_benefit",
            "a \"quoted\" \\ one",
            "tab\there",
            "とても長い所管課の名前がここに入ります。とても長い所管課の名前がここに入ります。"};
        return eng_str(strs[u % 8]);
    }
    double m = (double)(u >> 11) / 9007199254740992.0;
    switch (u % 7) {
    case 0:
        return eng_num(0);
    case 1:
        return eng_num((floor(m * 1e6) + 0.5) / 100); /* on a half cent */
    case 2:
        return eng_num(-m * 1e9);
    case 3:
        return eng_num(m * 1e-4);
    case 4:
        return eng_num(m * 1e16);
    default:
        return eng_num(m * 3 - 1);
    }
}

/* The prepared text (rules prepared once, numbers cached, one explanation reused for every
 * initiative and language) equals the reference's (explain_set_reference: each name looked up,
 * the expression scanned, every number formatted, as before rules were prepared), step by step. */
static void test_prepared_equals_reference(void **state)
{
    (void)state;
    const char *texts[] = {rules_text, tricky_rules};
    uint64_t rng = 0x9E3779B97F4A7C15u;
    eng_explanation *e = eng_explanation_new(), *ref = eng_explanation_new();
    explain_set_reference(ref, true);
    long compared = 0;
    for (int t = 0; t < 2; t++) {
        eng_schema *sc = eng_schema_new_builtin();
        assert_int_equal(
            eng_schema_set_label(sc, eng_schema_find(sc, "cost_benefit"), "費用対効果"), 0);
        assert_int_equal(eng_schema_set_label(sc, eng_schema_find(sc, "budget_spent"), "spent 額"),
                         0);
        eng_rules *r = load(texts[t], sc);
        eng_schema_free(sc);
        eng_ctx *c = eng_ctx_new(r);
        for (int i = 0; i < 3000; i++) {
            for (int f = 0; f < eng_schema_count(schema); f++)
                facts[f] = random_value(eng_schema_type(schema, f), &rng);
            const char *lang = i % 3 == 0 ? NULL : i % 3 == 1 ? "en" : "ja";
            assert_int_equal(eng_explanation_set_language(e, lang), 0);
            assert_int_equal(eng_explanation_set_language(ref, lang), 0);
            eng_result a, b;
            eng_explain(c, facts, &a, e);
            eng_explain(c, facts, &b, ref);
            int d = explain_first_difference(e, ref);
            if (d >= 0)
                fail_msg("rules %d, initiative %d, step %d:\n%s\n%s", t, i, d,
                         eng_explanation_get(e, d)->text, eng_explanation_get(ref, d)->text);
            compared += eng_explanation_count(e);
        }
        eng_ctx_free(c);
        eng_rules_free(r);
    }
    assert_true(compared > 30000);
    eng_explanation_free(e);
    eng_explanation_free(ref);
}

/* `language` is checked by the loader with a positioned error. */
/* explain_number_2dp, the Japanese sentences' numbers without printf, against what it replaced:
 * "%.2f" of eng_round(x, 2) with trailing zeros cut and "-0" as "0". */
static void ref_2dp(double x, char *num, size_t size)
{
    snprintf(num, size, "%.2f", eng_round(x, 2));
    char *dot = strchr(num, '.');
    if (dot != NULL) {
        char *end = num + strlen(num);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    if (strcmp(num, "-0") == 0)
        snprintf(num, size, "0");
}

static void test_number_2dp(void **state)
{
    (void)state;
    uint64_t rng = 0x9E3779B97F4A7C15u;
    static const double fixed[] = {
        0,     -0.0,     0.01,         0.005, 0.015,         0.125,  1.005, 2.675, 0.5, 12,
        -3.25, 9999.995, 1e13 - 0.005, 1e13,  123456789.125, -0.004, 1e15,  0.1,   0.7, 99.995};
    long checked = 0;
    for (int i = 0; i < 400000 + (int)(sizeof fixed / sizeof fixed[0]); i++) {
        double x;
        if (i < (int)(sizeof fixed / sizeof fixed[0])) {
            x = fixed[i];
        } else {
            rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
            uint64_t u = rng * 2685821657736338717u;
            int scale = (int)(u % 16) - 3; /* 1e-3 .. 1e12 */
            double m = (double)(u >> 11) / 9007199254740992.0;
            x = (u & 1 ? -1 : 1) * m * pow(10, scale);
            if (u & 2) /* on a half cent: the rounding itself decides */
                x = (floor(x * 100) + 0.5) / 100;
        }
        char a[64], b[64];
        int n = explain_number_2dp(x, a, sizeof a);
        ref_2dp(x, b, sizeof b);
        if (strcmp(a, b) != 0 || n != (int)strlen(a))
            fail_msg("%.17g: %s, printf %s", x, a, b);
        checked++;
    }
    assert_true(checked > 400000);
}

static void test_language_setting(void **state)
{
    (void)state;
    static const struct {
        const char *text, *diag;
    } bad[] = {
        {"version = \"1\";\nlanguage = \"fr\";\n",
         "unknown language 'fr': explanations can be written in \"ja\" or \"en\""},
        {"version = \"1\";\n\nlanguage = 1;\n",
         "'language' must be a string, \"ja\" or \"en\", not a number"},
        {"version = \"1\";\nlangauge = \"ja\";\n",
         "unknown key 'langauge' in the rule file (did you mean 'language'?)"},
    };
    static const int lines[] = {2, 3, 2};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "%scategories = ( { id = \"a\"; label = \"A\"; } );\n"
                 "score = ( { id = \"s\"; weight = 1; value = \"1\"; } );\n",
                 bad[i].text);
        eng_diags *d = eng_diags_new();
        assert_null(eng_rules_load_string(text, "t.cfg", schema, d));
        bool found = false;
        for (int j = 0; j < eng_diags_count(d); j++) {
            const eng_diag *g = eng_diags_get(d, j);
            if (strcmp(g->message, bad[i].diag) == 0 && g->line == lines[i] && !g->warning)
                found = true;
        }
        if (!found)
            eng_diags_print(d, stderr);
        assert_true(found);
        eng_diags_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ja_reason_applies),
        cmocka_unit_test(test_ja_negation_null_and_score),
        cmocka_unit_test(test_en_negation_and_weights),
        cmocka_unit_test(test_ja_labels_and_numbers),
        cmocka_unit_test(test_language_setting),
        cmocka_unit_test(test_number_2dp),
        cmocka_unit_test(test_reused_explanation),
        cmocka_unit_test(test_prepared_equals_reference),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
