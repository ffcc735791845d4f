/* explain.c - regenerates the explanation of a stored result from the run's rule text, fact schema
 * and facts (explanations are not stored: docs/contracts.md), with a small cache of compiled rule
 * sets shared by the server's threads. */
#include "counterfactuals.h"
#include "evaluate.h"
#include "fact_display.h"
#include "json_eng.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A compiled rule set, keyed by "sha256\nfact_schema" (the same text compiles differently against
 * another schema). `refs` counts callers using it; an evicted entry is freed by its last user. */
typedef struct cached_rules {
    char *key;
    eng_rules *rules;
    int refs;
    bool evicted;
    unsigned long used; /* tick of last use, for least-recently-used eviction */
} cached_rules;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cached_rules *cache[STORE_EXPLAIN_CACHE];
static unsigned long cache_tick;

static void entry_free(cached_rules *e)
{
    eng_rules_free(e->rules);
    free(e->key);
    free(e);
}

/* Returns a held entry for key, compiling `source` on a miss (under the lock: a compile takes
 * milliseconds and two threads compiling the same text would waste them). NULL with err set if
 * the stored text does not compile. */
static cached_rules *cache_acquire(const char *key, const char *source, const char *file_name,
                                   const eng_schema *schema, store_error *err)
{
    pthread_mutex_lock(&cache_lock);
    cached_rules *hit = NULL;
    int slot = -1;
    for (int i = 0; i < STORE_EXPLAIN_CACHE; i++) {
        if (cache[i] != NULL && strcmp(cache[i]->key, key) == 0) {
            hit = cache[i];
            break;
        }
        if (cache[i] == NULL && slot < 0)
            slot = i;
    }
    if (hit == NULL) {
        eng_diags *diags = eng_diags_new();
        eng_rules *rules = eng_rules_load_string(source, file_name, schema, diags);
        if (rules == NULL) {
            const eng_diag *d = NULL;
            for (int i = 0; i < eng_diags_count(diags) && d == NULL; i++)
                if (!eng_diags_get(diags, i)->warning)
                    d = eng_diags_get(diags, i);
            store_fail(err, STORE_EDB, "the run's stored rule set no longer compiles: %s:%d:%d: %s",
                       d ? d->file : file_name, d ? d->line : 0, d ? d->col : 0,
                       d ? d->message : "unknown error");
            eng_diags_free(diags);
            pthread_mutex_unlock(&cache_lock);
            return NULL;
        }
        eng_diags_free(diags);
        if (slot < 0) { /* full: evict the least recently used */
            slot = 0;
            for (int i = 1; i < STORE_EXPLAIN_CACHE; i++)
                if (cache[i]->used < cache[slot]->used)
                    slot = i;
            cached_rules *old = cache[slot];
            old->evicted = true;
            if (old->refs == 0)
                entry_free(old);
        }
        hit = xcalloc(1, sizeof *hit);
        hit->key = xstrdup(key);
        hit->rules = rules;
        cache[slot] = hit;
    }
    hit->refs++;
    hit->used = ++cache_tick;
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

static void cache_release(cached_rules *e)
{
    pthread_mutex_lock(&cache_lock);
    if (--e->refs == 0 && e->evicted)
        entry_free(e);
    pthread_mutex_unlock(&cache_lock);
}

void store_explain_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < STORE_EXPLAIN_CACHE; i++) {
        if (cache[i] == NULL)
            continue;
        cache[i]->evicted = true;
        if (cache[i]->refs == 0)
            entry_free(cache[i]);
        cache[i] = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
}

json_t *store_explain(PGconn *c, long long run_id, const char *initiative_code, store_error *err)
{
    return store_explain_in(c, run_id, initiative_code, NULL, err);
}

/* The stored result (category, reasons and flags as ids, score as text) as an eng_result of
 * `r`; -1 when an id is not in the rule set (the run is damaged). */
static int stored_result(const eng_rules *r, const char *category, const json_t *reasons,
                         const json_t *flags, const char *score, eng_result *out)
{
    *out = (eng_result){.category = eng_rules_find(r, ENG_KIND_CATEGORY, category),
                        .primary_reason = -1};
    if (out->category < 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(reasons, i, v)
    {
        int k = eng_rules_find(r, ENG_KIND_REASON, json_string_value(v));
        if (k < 0)
            return -1;
        out->reasons |= (uint64_t)1 << k;
        if (out->primary_reason < 0 || k < out->primary_reason)
            out->primary_reason = k;
    }
    json_array_foreach(flags, i, v)
    {
        int k = eng_rules_find(r, ENG_KIND_FLAG, json_string_value(v));
        if (k < 0)
            return -1;
        out->flags |= (uint64_t)1 << k;
    }
    out->has_score = score != NULL;
    out->score = score != NULL ? strtod(score, NULL) : 0.0;
    return 0;
}

json_t *store_explain_in(PGconn *c, long long run_id, const char *initiative_code,
                         const char *language, store_error *err)
{
    store_error_clear(err);
    if (language != NULL && !eng_language_known(language)) {
        store_fail(err, STORE_EUSER, "unknown language '%s': explanations are in ja or en",
                   language);
        return NULL;
    }
    char run_text[32];
    snprintf(run_text, sizeof run_text, "%lld", run_id);
    const char *params[2] = {run_text, initiative_code};
    PGresult *res = PQexecParams(
        c,
        /* the base name, also for a rule set stored with a path before 004_fast_facts.sql */
        "SELECT rs.sha256, rs.source, regexp_replace(coalesce(rs.file_name, '<string>'), "
        "'^.*/', ''), r.fact_schema::text, "
        "       res.facts::text, res.category, array_to_json(res.reasons)::text, "
        "       array_to_json(res.flags)::text, res.score::text, s.code "
        "  FROM evaluation_runs r JOIN rule_sets rs ON rs.id = r.rule_set_id "
        "  JOIN surveys s ON s.id = r.survey_id "
        "  LEFT JOIN (evaluation_results res JOIN initiatives i "
        "             ON i.id = res.initiative_id AND i.code = $2) ON res.run_id = r.id "
        " WHERE r.id = $1",
        2, NULL, params, NULL, NULL, 0);
    json_t *doc = NULL, *schema_json = NULL, *facts_json = NULL, *reasons_json = NULL,
           *flags_json = NULL;
    eng_schema *schema = NULL;
    cached_rules *entry = NULL;
    eng_ctx *ctx = NULL;
    eng_explanation *expl = NULL;
    eng_value *facts = NULL;
    char msg[256];

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_fail_pq(err, c, res, "reading the stored result");
        goto out;
    }
    if (PQntuples(res) == 0) {
        store_fail(err, STORE_ENOTFOUND, "unknown evaluation run %lld", run_id);
        goto out;
    }
    if (PQgetisnull(res, 0, 4)) {
        store_fail(err, STORE_ENOTFOUND, "initiative '%s' is not in evaluation run %lld",
                   initiative_code, run_id);
        goto out;
    }
    json_error_t jerr;
    schema_json = json_loads(PQgetvalue(res, 0, 3), 0, &jerr);
    facts_json = json_loads(PQgetvalue(res, 0, 4), 0, &jerr);
    reasons_json = json_loads(PQgetvalue(res, 0, 6), 0, &jerr);
    flags_json = json_loads(PQgetvalue(res, 0, 7), 0, &jerr);
    if (schema_json == NULL || facts_json == NULL || reasons_json == NULL || flags_json == NULL) {
        store_fail(err, STORE_EDB, "run %lld: stored JSON does not parse: %s", run_id, jerr.text);
        goto out;
    }
    schema = jeng_schema_parse(schema_json, msg, sizeof msg);
    if (schema == NULL) {
        store_fail(err, STORE_EDB, "run %lld: %s", run_id, msg);
        goto out;
    }
    /* key: sha256 + the schema text as stored (jsonb's canonical form, so equal schemas match) */
    size_t klen = strlen(PQgetvalue(res, 0, 0)) + strlen(PQgetvalue(res, 0, 3)) + 2;
    char *key = xmalloc(klen);
    snprintf(key, klen, "%s\n%s", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 3));
    entry = cache_acquire(key, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), schema, err);
    free(key);
    if (entry == NULL)
        goto out;

    int n = eng_schema_count(schema);
    facts = xcalloc((size_t)n + 1, sizeof *facts);
    if (jeng_facts_parse(facts_json, schema, facts, msg, sizeof msg) != 0) {
        store_fail(err, STORE_EDB, "run %lld, initiative '%s': %s", run_id, initiative_code, msg);
        goto out;
    }
    eng_result stored;
    if (stored_result(entry->rules, PQgetvalue(res, 0, 5), reasons_json, flags_json,
                      PQgetisnull(res, 0, 8) ? NULL : PQgetvalue(res, 0, 8), &stored) != 0) {
        store_fail(err, STORE_EDB,
                   "run %lld, initiative '%s': the stored result names a rule "
                   "the run's rule set does not have",
                   run_id, initiative_code);
        goto out;
    }
    ctx = eng_ctx_new(entry->rules);
    expl = eng_explanation_new();
    eng_explanation_set_language(expl, language);
    eng_result result;
    eng_explain(ctx, facts, &result, expl);

    doc = jeng_must(json_object());
    json_t *fo = jeng_must(json_object());
    json_t *run = jeng_must(json_pack("{s:I, s:s, s:s}", "id", (json_int_t)run_id, "survey",
                                      PQgetvalue(res, 0, 9), "rules_version",
                                      eng_rules_version(entry->rules)));
    for (int i = 0; i < n; i++) {
        const char *name = eng_schema_name(schema, i);
        json_t *v = json_object_get(facts_json, name);
        json_object_set_new(fo, name, v != NULL ? json_incref(v) : json_null());
    }
    json_object_set_new(doc, "run", run);
    json_object_set_new(doc, "evaluation", jeng_result(entry->rules, &stored));
    json_object_set_new(
        doc, "language",
        json_string(language != NULL ? language : eng_rules_language(entry->rules)));
    json_object_set_new(doc, "facts", fo);
    json_object_set_new(doc, "fact_display", fact_display_list(schema, facts_json, entry->rules));
    json_object_set_new(doc, "explanation", jeng_explanation(expl));
    json_object_set_new(doc, "counterfactuals",
                        store_counterfactuals(entry->rules, ctx, facts, facts_json, schema, language));

out:
    eng_explanation_free(expl);
    eng_ctx_free(ctx);
    free(facts);
    if (entry != NULL)
        cache_release(entry);
    eng_schema_free(schema);
    json_decref(schema_json);
    json_decref(facts_json);
    json_decref(reasons_json);
    json_decref(flags_json);
    PQclear(res);
    return doc;
}
