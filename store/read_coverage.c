/* read_coverage.c - a stored run's rule coverage (read.h: store_run_coverage): the counts from
 * the run's stored results, the file:line of each entry from the run's own rule text, compiled
 * against the run's own fact schema (what the run was evaluated with, not today's file). */
#include "coverage.h"
#include "json_eng.h"
#include "read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sql_rules =
    "SELECT rs.source, regexp_replace(coalesce(rs.file_name, '<string>'), '^.*/', ''),"
    " r.fact_schema::text FROM evaluation_runs r JOIN rule_sets rs ON rs.id = r.rule_set_id"
    " WHERE r.id = $1";

/* The run's rule set as it was evaluated; NULL with err set. */
static eng_rules *run_rules(PGconn *c, long long run_id, store_error *err)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", run_id);
    const char *params[1] = {id};
    PGresult *res = store_select(c, sql_rules, 1, params, "reading the run's rule set", err);
    if (res == NULL)
        return NULL;
    eng_rules *r = NULL;
    eng_schema *schema = NULL;
    json_t *schema_json = NULL;
    char msg[256];
    if (PQntuples(res) == 0) {
        store_fail(err, STORE_ENOTFOUND, "unknown evaluation run %lld", run_id);
        goto out;
    }
    schema_json = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
    schema = schema_json ? jeng_schema_parse(schema_json, msg, sizeof msg) : NULL;
    if (schema == NULL) {
        store_fail(err, STORE_EDB, "run %lld: its stored fact schema does not parse", run_id);
        goto out;
    }
    eng_diags *d = eng_diags_new();
    r = eng_rules_load_string(PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), schema, d);
    if (r == NULL) {
        const eng_diag *first = eng_diags_count(d) > 0 ? eng_diags_get(d, 0) : NULL;
        store_fail(err, STORE_EDB, "the run's stored rule set no longer compiles: %s:%d: %s",
                   first ? first->file : PQgetvalue(res, 0, 1), first ? first->line : 0,
                   first ? first->message : "unknown error");
    }
    eng_diags_free(d);
out:
    json_decref(schema_json);
    eng_schema_free(schema);
    PQclear(res);
    return r;
}

/* rn's index of a catalog entry -> the compiled rule set's, or -1 when the ids differ. */
static int map_section(const eng_rules *r, eng_kind k, const store_run_label *list, int n,
                       int *map)
{
    if (n != eng_rules_count(r, k))
        return -1;
    for (int i = 0; i < n; i++)
        if ((map[i] = eng_rules_find(r, k, list[i].id)) < 0)
            return -1;
    return 0;
}

json_t *store_run_coverage(PGconn *c, const store_run *rn, store_error *err)
{
    store_error_clear(err);
    eng_rules *r = run_rules(c, rn->id, err);
    if (r == NULL)
        return NULL;
    int cmap[STORE_RUN_MAX_CATALOG], rmap[STORE_RUN_MAX_CATALOG], fmap[STORE_RUN_MAX_CATALOG];
    if (map_section(r, ENG_KIND_CATEGORY, rn->categories, rn->ncategories, cmap) < 0 ||
        map_section(r, ENG_KIND_REASON, rn->reasons, rn->nreasons, rmap) < 0 ||
        map_section(r, ENG_KIND_FLAG, rn->flags, rn->nflags, fmap) < 0) {
        store_fail(err, STORE_ESCHEMA, "run %lld: its catalog and its rule text disagree", rn->id);
        eng_rules_free(r);
        return NULL;
    }
    coverage cv;
    coverage_init(&cv, r);
    for (int i = 0; i < rn->nitems; i++) {
        const store_run_item *it = &rn->items[i];
        uint64_t reasons = 0, flags = 0;
        for (int b = 0; b < rn->nreasons; b++)
            if ((it->reasons >> b) & 1u)
                reasons |= UINT64_C(1) << rmap[b];
        for (int b = 0; b < rn->nflags; b++)
            if ((it->flags >> b) & 1u)
                flags |= UINT64_C(1) << fmap[b];
        coverage_add(&cv, cmap[it->category], it->primary_reason >= 0 ? rmap[it->primary_reason]
                                                                       : -1,
                     reasons, flags);
    }
    json_t *doc = coverage_json(&cv);
    coverage_cleanup(&cv);
    eng_rules_free(r);
    return doc;
}
