/* fuzz_rules.c - libFuzzer target for the rule loader: the input bytes as a rule file, compiled
 * against the built-in schema with eng_rules_load_string; when it loads, one initiative (all
 * facts null, then all set, then the same with the strings' symbols (eng_symtab), which must give
 * the same results) is evaluated and explained (in Japanese and English), checking
 * evaluate == explain, and that the rule set's traced program explains as the rule-by-rule loop
 * (each expression linked alone, eng_ctx.per_rule) does, step by step (inputs read, values,
 * text; the rule-by-rule text written by the reference, without prepared rules or cached
 * numbers, in both languages); and the rule set is analysed (check --analyze): nothing it calls
 * impossible may happen to those two initiatives. */
#include "analyze.h"
#include "engine.h"
#include "ruleset.h"
#include "xalloc.h"

#include "../support/explain_same.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* LeakSanitizer's suppressions for libconfig: lsan_libconfig.c */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static eng_schema *schema;
    static eng_symtab *syms; /* kept: the ids of one table for every input, as a reader's */
    if (schema == NULL)
        schema = eng_schema_new_builtin();
    if (syms == NULL)
        syms = eng_symtab_new(0);
    if (size > ENG_MAX_FILE_BYTES)
        return 0;
    char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';

    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_string(text, "fuzz.cfg", schema, d);
    if (r == NULL && eng_diags_errors(d) == 0)
        abort(); /* a refused rule set always says why */
    if (r != NULL) {
        eng_analysis *an = eng_analyze(r);
        uint64_t never[3] = {0, 0, 0}; /* reasons, flags, categories */
        for (int i = 0; i < eng_analysis_count(an); i++) {
            const eng_finding *f = eng_analysis_get(an, i);
            if (f->message == NULL || f->file == NULL)
                abort();
            if (f->kind == ENG_FINDING_NEVER_TRUE || f->kind == ENG_FINDING_SHADOWED)
                never[f->rule_kind == ENG_KIND_REASON ? 0 : f->rule_kind == ENG_KIND_FLAG ? 1 : 2] |=
                    UINT64_C(1) << f->rule_index;
        }
        eng_analysis_free(an);
        if (r->reg == NULL)
            abort(); /* every rule set that loads runs on the register VM */
        eng_value facts[ENG_MAX_FACTS];
        int n = eng_schema_count(schema);
        eng_ctx *c = eng_ctx_new(r), *cs = eng_ctx_new(r);
        cs->per_rule = true;
        eng_explanation *e = eng_explanation_new(), *es = eng_explanation_new();
        explain_set_reference(es, true); /* the slow way: the prepared text must equal it */
        eng_result plain = {0}; /* round 1's result */
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < n; i++) {
                eng_type t = eng_schema_type(schema, i);
                facts[i] = round == 0      ? eng_null()
                           : t == ENG_NUM  ? eng_num(0.5 * i - 2)
                           : t == ENG_BOOL ? eng_bool(i % 2)
                                           : eng_str("情報政策課");
                if (round == 2 && i % 2) /* with symbols, some */
                    facts[i] = eng_symtab_intern(syms, facts[i]);
            }
            eng_result a, b;
            eng_evaluate(c, facts, &a);
            if (round == 1)
                plain = a;
            if (round == 2 && (a.category != plain.category || a.reasons != plain.reasons ||
                               a.flags != plain.flags || a.has_score != plain.has_score ||
                               (a.has_score && a.score != plain.score)))
                abort(); /* symbols change nothing */
            eng_explain(c, facts, &b, e);
            if (a.category != b.category || a.reasons != b.reasons || a.flags != b.flags ||
                a.has_score != b.has_score || (a.has_score && a.score != b.score))
                abort();
            if (a.has_score && !(a.score >= 0 && a.score <= 100))
                abort();
            if ((a.reasons & never[0]) || (a.flags & never[1]) || ((never[2] >> a.category) & 1))
                abort(); /* the analysis called this impossible */
            eng_result b2;
            eng_explain(cs, facts, &b2, es);
            if (b2.category != b.category || b2.reasons != b.reasons || b2.flags != b.flags ||
                b2.has_score != b.has_score || (b.has_score && b2.score != b.score) ||
                explain_first_difference(e, es) >= 0)
                abort();
            for (int i = 0; i < eng_explanation_count(e); i++)
                if (eng_explanation_get(e, i)->text == NULL)
                    abort();
            /* the wording in the other language too: both sentence builders see every input */
            const char *other = strcmp(eng_rules_language(r), "ja") == 0 ? "en" : "ja";
            eng_explanation_set_language(e, other);
            eng_explanation_set_language(es, other);
            eng_explain(c, facts, &b, e);
            eng_explain(cs, facts, &b2, es);
            if (explain_first_difference(e, es) >= 0)
                abort();
            eng_explanation_set_language(e, NULL);
            eng_explanation_set_language(es, NULL);
            for (int i = 0; i < eng_explanation_count(e); i++)
                if (eng_explanation_get(e, i)->text == NULL)
                    abort();
            const char *rec[8];
            eng_recommendations(r, &a, rec, 8);
        }
        eng_explanation_free(e);
        eng_explanation_free(es);
        eng_ctx_free(c);
        eng_ctx_free(cs);
    }
    eng_rules_free(r);
    eng_diags_free(d);
    free(text);
    return 0;
}
