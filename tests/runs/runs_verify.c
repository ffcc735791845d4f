/* runs_verify.c - black-box helper of tests/runs: checks that a stored run reproduces.
 *
 *   runs_verify RUN_ID            re-evaluates every stored result of the run from the stored rule
 *                                 text (rule_sets.source), fact_schema and facts, compares
 * category, reasons, flags and score with what is stored, and checks the shape of store_explain()
 * for each initiative; exit 1 on any mismatch. runs_verify all               the same for every
 * stored run, oldest first, in one process (so that more rule sets than STORE_EXPLAIN_CACHE cycle
 * through the cache of compiled rule sets). runs_verify RUN_ID CODE       prints
 * store_explain(RUN_ID, CODE) as JSON (exit 1 on error).
 *
 * Connects with the PG* environment. Independent of store/evaluate.c on purpose: it rebuilds the
 * evaluation from the stored columns with the engine and SQL of its own.
 */
#include "evaluate.h"
#include "json_eng.h"
#include "store.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void fail(const char *code, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "MISMATCH %s: ", code);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    failures++;
}

/* "{a,b}" from the ids of the set bits, as PostgreSQL prints a text[] of identifiers. */
static void ids_literal(const eng_rules *r, eng_kind k, uint64_t bits, char *out, size_t n)
{
    size_t len = 0;
    out[len++] = '{';
    int count = eng_rules_count(r, k);
    bool first = true;
    for (int i = 0; i < count; i++) {
        if (!(bits & (UINT64_C(1) << i)))
            continue;
        len += (size_t)snprintf(out + len, n - len, "%s%s", first ? "" : ",",
                                eng_rules_get(r, k, i)->id);
        first = false;
    }
    snprintf(out + len, n - len, "}");
}

static bool check_step(const json_t *step, const char *code)
{
    static const char *const kinds[] = {"derived", "reason", "flag", "category", "score"};
    const char *kind = json_string_value(json_object_get(step, "kind"));
    bool kind_ok = false;
    for (size_t i = 0; kind != NULL && i < 5; i++)
        kind_ok = kind_ok || strcmp(kind, kinds[i]) == 0;
    const char *source = json_string_value(json_object_get(step, "source"));
    const char *colon = source != NULL ? strrchr(source, ':') : NULL;
    const json_t *expr = json_object_get(step, "expression");
    bool ok = kind_ok && json_is_string(json_object_get(step, "id")) && colon != NULL &&
              colon[1] >= '1' && colon[1] <= '9' && (json_is_string(expr) || json_is_null(expr)) &&
              json_is_object(json_object_get(step, "inputs")) &&
              json_object_get(step, "result") != NULL &&
              json_string_length(json_object_get(step, "text")) > 0;
    if (!ok) {
        char *s = json_dumps(step, JSON_COMPACT);
        fail(code, "explanation step has the wrong shape: %s%s", s, "");
        free(s);
    }
    return ok;
}

static int verified_flips, verified_none;

/* The category eng_evaluate gives with fact `slot` set to v (the other facts as reported). */
static int category_with(eng_ctx *ctx, eng_value *facts, int slot, eng_value v)
{
    eng_value keep = facts[slot];
    facts[slot] = v;
    eng_result res;
    eng_evaluate(ctx, facts, &res);
    facts[slot] = keep;
    return res.category;
}

/* Every counterfactual of store_explain re-evaluated here: the value reported ("to_exact") gives
 * the category, the adjacent double toward the reported value ("before") does not and is the
 * double next to it, the one beyond ("after") gives what it says; one entry per fact read and
 * better category. */
static void check_counterfactuals(const json_t *doc, const char *code, const eng_rules *rules,
                                  eng_ctx *ctx, eng_value *facts, int current)
{
    const eng_schema *schema = eng_rules_schema(rules);
    const json_t *list = json_object_get(doc, "counterfactuals");
    eng_cf *cf = eng_cf_new(rules);
    if (!json_is_array(list) ||
        json_array_size(list) != (size_t)(eng_cf_nfacts(cf) * current)) {
        fail(code, "counterfactuals: not one entry per fact read and better category%s%s", "",
             "");
        eng_cf_free(cf);
        return;
    }
    eng_cf_free(cf);
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *fact = json_string_value(json_object_get(e, "fact"));
        const char *target = json_string_value(json_object_get(e, "category"));
        int slot = fact != NULL ? eng_schema_find(schema, fact) : -1;
        int k = target != NULL ? eng_rules_find(rules, ENG_KIND_CATEGORY, target) : -1;
        if (slot < 0 || k < 0 || k >= current) {
            fail(code, "counterfactual names fact %s, category %s", fact ? fact : "?",
                 target ? target : "?");
            continue;
        }
        const char *text = json_string_value(json_object_get(e, "text"));
        if (text == NULL || text[0] == '\0')
            fail(code, "counterfactual of %s without text%s", fact, "");
        if (!json_is_true(json_object_get(e, "found"))) {
            /* not exhaustive: null, both booleans, 0 and +-10^(-6..12) by quarter decades */
            bool flips = category_with(ctx, facts, slot, eng_null()) == k;
            if (eng_schema_type(schema, slot) == ENG_BOOL)
                flips = flips || category_with(ctx, facts, slot, eng_bool(true)) == k ||
                        category_with(ctx, facts, slot, eng_bool(false)) == k;
            else
                for (int p = -24; p <= 48 && !flips; p++)
                    flips = category_with(ctx, facts, slot, eng_num(pow(10, p / 4.0))) == k ||
                            category_with(ctx, facts, slot, eng_num(-pow(10, p / 4.0))) == k ||
                            category_with(ctx, facts, slot, eng_num(0)) == k;
            if (flips)
                fail(code, "counterfactual %s: yet some value of it gives the category", text, "");
            verified_none++;
            continue;
        }
        const json_t *to = json_object_get(e, "to");
        if (json_is_boolean(to)) {
            if (category_with(ctx, facts, slot, eng_bool(json_is_true(to))) != k)
                fail(code, "counterfactual %s: does not give that category", text, "");
            verified_flips++;
            continue;
        }
        const char *exact = json_string_value(json_object_get(e, "to_exact"));
        const json_t *before = json_object_get(e, "before"), *after = json_object_get(e, "after");
        const char *bx = json_string_value(json_object_get(before, "exact"));
        const char *ax = json_string_value(json_object_get(after, "exact"));
        const char *bcat = json_string_value(json_object_get(before, "category"));
        const char *acat = json_string_value(json_object_get(after, "category"));
        if (exact == NULL || bx == NULL || ax == NULL || bcat == NULL || acat == NULL) {
            fail(code, "counterfactual %s: no exact value or sides%s", text, "");
            continue;
        }
        double v = strtod(exact, NULL), b = strtod(bx, NULL), a = strtod(ax, NULL);
        bool up = b < v;
        if (b != nextafter(v, up ? -INFINITY : INFINITY) ||
            a != nextafter(v, up ? INFINITY : -INFINITY))
            fail(code, "counterfactual %s: the sides are not the adjacent doubles (%s)", text, bx);
        if (category_with(ctx, facts, slot, eng_num(v)) != k)
            fail(code, "counterfactual %s: %s does not give that category", text, exact);
        int cb = category_with(ctx, facts, slot, eng_num(b));
        if (cb == k || strcmp(eng_rules_get(rules, ENG_KIND_CATEGORY, cb)->id, bcat) != 0)
            fail(code, "counterfactual %s: the step before (%s) flips too or is another category",
                 text, bx);
        if (strcmp(eng_rules_get(rules, ENG_KIND_CATEGORY,
                                 category_with(ctx, facts, slot, eng_num(a)))
                       ->id,
                   acat) != 0)
            fail(code, "counterfactual %s: the step after (%s) is another category", text, ax);
        /* the nearest: no evaluated point strictly between the reported value and v flips */
        const json_t *reported = json_object_get(e, "value");
        if (json_is_number(reported)) {
            double x = json_number_value(reported);
            for (int p = 1; p < 64; p++) {
                double y = x + (b - x) * p / 64;
                if (category_with(ctx, facts, slot, eng_num(y)) == k)
                    fail(code, "counterfactual %s: a nearer value flips (%s)", text, "");
            }
        }
        verified_flips++;
    }
}

/* store_explain for one initiative: shape, and the matched category is the stored one. */
static void check_explain(PGconn *c, long long run, const char *code, const char *category,
                          const eng_rules *rules, eng_ctx *ctx, eng_value *facts, int current)
{
    store_error err = {0};
    json_t *doc = store_explain(c, run, code, &err);
    if (doc == NULL) {
        fail(code, "store_explain failed: %s%s", err.message, "");
        return;
    }
    const json_t *expl = json_object_get(doc, "explanation");
    if (!json_is_object(json_object_get(doc, "facts")) || !json_is_array(expl) ||
        json_array_size(expl) == 0) {
        fail(code, "store_explain: no facts object or empty explanation%s%s", "", "");
        json_decref(doc);
        return;
    }
    const char *matched = NULL;
    const char *stored = json_string_value(
        json_object_get(json_object_get(json_object_get(doc, "evaluation"), "category"), "id"));
    if (stored == NULL || strcmp(stored, category) != 0)
        fail(code, "store_explain: evaluation.category %s, stored %s", stored ? stored : "(none)",
             category);
    /* a Japanese rule set (the demo's) explains every step in a sentence: no English arrow, no
     * condition left as 「expression」が成り立つ because no sentence fitted */
    const char *language = json_string_value(json_object_get(doc, "language"));
    bool ja = language != NULL && strcmp(language, "ja") == 0;
    size_t i;
    json_t *step;
    json_array_foreach(expl, i, step)
    {
        if (!check_step(step, code))
            break;
        const char *text = json_string_value(json_object_get(step, "text"));
        if (ja && (strstr(text, "→") != NULL || strstr(text, "」が成り立") != NULL)) {
            fail(code, "a Japanese step without its sentence: %s%s", text, "");
            break;
        }
        if (strcmp(json_string_value(json_object_get(step, "kind")), "category") == 0 &&
            json_is_true(json_object_get(step, "result")))
            matched = json_string_value(json_object_get(step, "id"));
    }
    if (matched == NULL || strcmp(matched, category) != 0)
        fail(code, "explanation matches category %s, stored %s", matched ? matched : "(none)",
             category);
    check_counterfactuals(doc, code, rules, ctx, facts, current);
    json_decref(doc);
}

static int verify(PGconn *c, const char *run_text)
{
    const char *params[1] = {run_text};
    PGresult *head =
        PQexecParams(c,
                     "SELECT rs.source, coalesce(rs.file_name, '<string>'), "
                     "       r.fact_schema::text, r.total "
                     "  FROM evaluation_runs r JOIN rule_sets rs ON rs.id = r.rule_set_id "
                     " WHERE r.id = $1",
                     1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(head) != PGRES_TUPLES_OK || PQntuples(head) != 1) {
        fprintf(stderr, "runs_verify: no run %s: %s", run_text, PQerrorMessage(c));
        PQclear(head);
        return 1;
    }
    char msg[256];
    json_t *schema_json = json_loads(PQgetvalue(head, 0, 2), 0, NULL);
    eng_schema *schema = jeng_schema_parse(schema_json, msg, sizeof msg);
    if (schema == NULL) {
        fprintf(stderr, "runs_verify: fact_schema: %s\n", msg);
        return 1;
    }
    eng_diags *diags = eng_diags_new();
    eng_rules *rules =
        eng_rules_load_string(PQgetvalue(head, 0, 0), PQgetvalue(head, 0, 1), schema, diags);
    if (rules == NULL) {
        eng_diags_print(diags, stderr);
        fprintf(stderr, "runs_verify: the stored rule text does not compile\n");
        return 1;
    }
    PGresult *rows =
        PQexecParams(c,
                     "SELECT i.code, r.category, r.score::text, r.primary_reason, "
                     "       r.reasons::text, r.flags::text, r.facts::text "
                     "  FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id "
                     " WHERE r.run_id = $1 ORDER BY i.code",
                     1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
        fprintf(stderr, "runs_verify: %s", PQerrorMessage(c));
        return 1;
    }
    int n = PQntuples(rows);
    if (n != atoi(PQgetvalue(head, 0, 3))) {
        fprintf(stderr, "MISMATCH run %s: total %s but %d result rows\n", run_text,
                PQgetvalue(head, 0, 3), n);
        failures++;
    }
    eng_ctx *ctx = eng_ctx_new(rules);
    eng_value *facts = xcalloc((size_t)eng_schema_count(schema) + 1, sizeof *facts);
    for (int i = 0; i < n; i++) {
        const char *code = PQgetvalue(rows, i, 0);
        json_t *fj = json_loads(PQgetvalue(rows, i, 6), 0, NULL);
        if (jeng_facts_parse(fj, schema, facts, msg, sizeof msg) != 0) {
            fail(code, "facts: %s%s", msg, "");
            json_decref(fj);
            continue;
        }
        eng_result res;
        eng_evaluate(ctx, facts, &res);
        const char *cat = eng_rules_get(rules, ENG_KIND_CATEGORY, res.category)->id;
        if (strcmp(cat, PQgetvalue(rows, i, 1)) != 0)
            fail(code, "category: re-evaluated %s, stored %s", cat, PQgetvalue(rows, i, 1));
        char buf[64];
        if (res.has_score)
            snprintf(buf, sizeof buf, "%.1f", res.score);
        else
            buf[0] = '\0';
        if (strcmp(buf, PQgetisnull(rows, i, 2) ? "" : PQgetvalue(rows, i, 2)) != 0)
            fail(code, "score: re-evaluated %s, stored %s", buf, PQgetvalue(rows, i, 2));
        const char *primary = res.primary_reason >= 0
                                  ? eng_rules_get(rules, ENG_KIND_REASON, res.primary_reason)->id
                                  : "";
        if (strcmp(primary, PQgetvalue(rows, i, 3)) != 0)
            fail(code, "primary reason: re-evaluated %s, stored %s", primary,
                 PQgetvalue(rows, i, 3));
        char ids[1024];
        ids_literal(rules, ENG_KIND_REASON, res.reasons, ids, sizeof ids);
        if (strcmp(ids, PQgetvalue(rows, i, 4)) != 0)
            fail(code, "reasons: re-evaluated %s, stored %s", ids, PQgetvalue(rows, i, 4));
        ids_literal(rules, ENG_KIND_FLAG, res.flags, ids, sizeof ids);
        if (strcmp(ids, PQgetvalue(rows, i, 5)) != 0)
            fail(code, "flags: re-evaluated %s, stored %s", ids, PQgetvalue(rows, i, 5));
        check_explain(c, atoll(run_text), code, PQgetvalue(rows, i, 1), rules, ctx, facts,
                      res.category);
        json_decref(fj);
    }
    printf("run %s: %d stored results re-evaluated from the stored rule text, %d mismatch%s; "
           "%d counterfactual values flip and the step before does not, %d say no single value\n",
           run_text, n, failures, failures == 1 ? "" : "es", verified_flips, verified_none);
    free(facts);
    eng_ctx_free(ctx);
    eng_rules_free(rules);
    eng_diags_free(diags);
    eng_schema_free(schema);
    json_decref(schema_json);
    PQclear(rows);
    PQclear(head);
    return failures > 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fputs("usage: runs_verify RUN_ID [INITIATIVE_CODE]\n", stderr);
        return 2;
    }
    store_error err = {0};
    PGconn *c = store_connect("", &err);
    if (c == NULL) {
        fprintf(stderr, "runs_verify: %s\n", err.message);
        return 2;
    }
    int rc;
    if (argc == 3) {
        json_t *doc = store_explain(c, atoll(argv[1]), argv[2], &err);
        if (doc == NULL) {
            fprintf(stderr, "runs_verify: %s\n", err.message);
            rc = store_exit_code(err.status);
        } else {
            json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
            fputc('\n', stdout);
            json_decref(doc);
            rc = 0;
        }
    } else if (strcmp(argv[1], "all") == 0) {
        PGresult *runs = PQexec(c, "SELECT id FROM evaluation_runs ORDER BY id");
        rc = PQresultStatus(runs) == PGRES_TUPLES_OK ? 0 : 2;
        for (int i = 0; rc != 2 && i < PQntuples(runs); i++)
            if (verify(c, PQgetvalue(runs, i, 0)) != 0)
                rc = 1;
        PQclear(runs);
    } else {
        rc = verify(c, argv[1]);
    }
    store_explain_cache_clear();
    PQfinish(c);
    return rc;
}
