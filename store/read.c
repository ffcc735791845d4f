/* read.c - the read model: which stored run a view shows, and the lists the views show (read.h).
 * Loading a run's results and filtering them is read_run.c. */
#include "read.h"

#include "json_eng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *text_or_null(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? json_null() : jeng_must(json_string(PQgetvalue(res, row, col)));
}

static json_t *number_or_null(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? json_null()
                                      : jeng_number(strtod(PQgetvalue(res, row, col), NULL));
}

/* ---- which run ------------------------------------------------------------------------------ */

/* The default survey: the latest as-of date among the surveys that have a published run. */
#define DEFAULT_SURVEY_RUN                                                                         \
    "SELECT r.id FROM evaluation_runs r JOIN surveys s ON s.id = r.survey_id"                      \
    " WHERE r.id <= " STORE_READ_PUBLISHED " ORDER BY s.as_of DESC, r.id DESC LIMIT 1"

int store_read_run(PGconn *c, const char *survey_code, long long run_id, long long *out,
                   store_error *err)
{
    store_error_clear(err);
    char id[32];
    snprintf(id, sizeof id, "%lld", run_id);
    PGresult *res;
    int found;
    if (run_id > 0) {
        const char *params[] = {id, survey_code};
        /* the run if published, its survey, and whether the named survey exists */
        res = store_select_prepared(c, "hyoka_read_run_id",
                   "SELECT (SELECT s.code FROM evaluation_runs r JOIN surveys s"
                   "         ON s.id = r.survey_id WHERE r.id = $1::bigint"
                   "         AND r.id <= " STORE_READ_PUBLISHED "),"
                   " $2::text IS NULL OR EXISTS (SELECT 1 FROM surveys WHERE code = $2)",
                   2, params, "finding the evaluation run", err);
        if (res == NULL)
            return -1;
        if (survey_code != NULL && strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
            found = STORE_RUN_NO_SURVEY;
            store_fail(err, STORE_ENOTFOUND, "unknown survey '%s'", survey_code);
        } else if (PQgetisnull(res, 0, 0)) {
            found = STORE_RUN_UNKNOWN;
            store_fail(err, STORE_ENOTFOUND, "unknown evaluation run %lld", run_id);
        } else if (survey_code != NULL && strcmp(PQgetvalue(res, 0, 0), survey_code) != 0) {
            found = STORE_RUN_OTHER_SURVEY;
            store_fail(err, STORE_EUSER, "evaluation run %lld belongs to survey '%s', not '%s'",
                       run_id, PQgetvalue(res, 0, 0), survey_code);
        } else {
            found = STORE_RUN_FOUND;
            *out = run_id;
        }
        PQclear(res);
        return found;
    }
    if (survey_code != NULL) {
        const char *params[] = {survey_code};
        res = store_select_prepared(c, "hyoka_read_run_survey",
                   "SELECT (SELECT max(r.id) FROM evaluation_runs r WHERE r.survey_id = s.id"
                   "        AND r.id <= " STORE_READ_PUBLISHED ")"
                   " FROM surveys s WHERE s.code = $1",
                   1, params, "finding the survey's current run", err);
    } else {
        res = store_select_prepared(c, "hyoka_read_run_default", DEFAULT_SURVEY_RUN, 0, NULL,
                                    "finding the current run", err);
    }
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0 && survey_code != NULL) {
        found = STORE_RUN_NO_SURVEY;
        store_fail(err, STORE_ENOTFOUND, "unknown survey '%s'", survey_code);
    } else if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
        found = STORE_RUN_NONE;
        if (survey_code != NULL)
            store_fail(err, STORE_ENOTFOUND,
                       "survey '%s' has no evaluation run yet: run 'hyoka evaluate --survey %s'",
                       survey_code, survey_code);
        else
            store_fail(err, STORE_ENOTFOUND, "no survey has an evaluation run yet");
    } else {
        found = STORE_RUN_FOUND;
        *out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    }
    PQclear(res);
    return found;
}

int store_read_versions(PGconn *c, long long *newest_run, long long *data_version,
                        store_error *err)
{
    store_error_clear(err);
    PGresult *res = store_select(c, "SELECT newest_run, version FROM data_version", 0, NULL,
                         "reading what changed", err);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    if (n != 1) {
        PQclear(res);
        return store_fail(err, STORE_ESCHEMA, "data_version has %d rows, not 1", n);
    }
    *newest_run = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    *data_version = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    return 0;
}

int store_publish_run(PGconn *c, long long run_id, store_error *err)
{
    store_error_clear(err);
    char id[32];
    snprintf(id, sizeof id, "%lld", run_id);
    const char *params[] = {id};
    char what[64];
    snprintf(what, sizeof what, "publishing run %lld", run_id);
    PGresult *res = store_select(c, "SELECT hyoka_publish_run($1)", 1, params, what, err);
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

int store_read_as_of(PGconn *c, const char *survey_code, char out[11], store_error *err)
{
    store_error_clear(err);
    const char *params[] = {survey_code};
    PGresult *res =
        survey_code != NULL
            ? store_select(c, "SELECT as_of::text FROM surveys WHERE code = $1", 1, params,
                   "reading the survey", err)
            : store_select(c,
                   "SELECT s.as_of::text FROM surveys s WHERE s.id = (SELECT r.survey_id FROM"
                   " evaluation_runs r WHERE r.id = (" DEFAULT_SURVEY_RUN "))",
                   0, NULL, "reading the survey", err);
    if (res == NULL)
        return -1;
    int found = STORE_RUN_FOUND;
    out[0] = '\0';
    if (PQntuples(res) == 1)
        snprintf(out, 11, "%s", PQgetvalue(res, 0, 0));
    else if (survey_code != NULL) {
        store_fail(err, STORE_ENOTFOUND, "unknown survey '%s'", survey_code);
        found = STORE_RUN_NO_SURVEY;
    } else {
        found = STORE_RUN_NONE;
    }
    PQclear(res);
    return found;
}

/* ---- lists ----------------------------------------------------------------------------------- */

/* The columns of RUN (read.h), from evaluation_runs r, surveys s and rule_sets rs. */
#define RUN_COLUMNS                                                                                \
    " r.id, s.code, s.as_of::text, s.label,"                                                       \
    " to_char(r.evaluated_at, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM'),"                              \
    " rs.version, rs.sha256, r.total, r.started_by,"                                               \
    " r.id = (SELECT max(x.id) FROM evaluation_runs x WHERE x.survey_id = r.survey_id"             \
    "         AND x.id <= " STORE_READ_PUBLISHED ")"
#define RUN_NCOLUMNS 10

static json_t *survey_json(const PGresult *res, int row, int col)
{
    return jeng_must(json_pack("{s:s, s:s, s:o}", "code", PQgetvalue(res, row, col), "as_of",
                          PQgetvalue(res, row, col + 1), "label", text_or_null(res, row, col + 2)));
}

/* RUN from the RUN_COLUMNS starting at `col`. */
static json_t *run_json(const PGresult *res, int row, int col)
{
    return jeng_must(json_pack(
        "{s:I, s:o, s:s, s:{s:s, s:s}, s:I, s:o, s:b}", "id",
        (json_int_t)strtoll(PQgetvalue(res, row, col), NULL, 10), "survey",
        survey_json(res, row, col + 1), "evaluated_at", PQgetvalue(res, row, col + 4), "rules",
        "version", PQgetvalue(res, row, col + 5), "sha256", PQgetvalue(res, row, col + 6),
        "total", (json_int_t)strtoll(PQgetvalue(res, row, col + 7), NULL, 10), "started_by",
        text_or_null(res, row, col + 8), "newest", strcmp(PQgetvalue(res, row, col + 9), "t") == 0));
}

json_t *store_read_runs(PGconn *c, const char *survey_code, long limit, long offset,
                        store_error *err)
{
    store_error_clear(err);
    if (limit < 1 || limit > STORE_RUNS_LIMIT_MAX || offset < 0) {
        store_fail(err, STORE_EUSER, "limit %ld / offset %ld out of range (limit 1..%d)", limit,
                   offset, STORE_RUNS_LIMIT_MAX);
        return NULL;
    }
    /* The survey: named, else the default one (the latest with a run, else the latest). */
    const char *p1[] = {survey_code};
    PGresult *res =
        survey_code != NULL
            ? store_select(c, "SELECT id, code, as_of::text, label FROM surveys WHERE code = $1", 1, p1,
                   "reading the survey", err)
            : store_select(c,
                   "SELECT s.id, s.code, s.as_of::text, s.label FROM surveys s ORDER BY EXISTS"
                   " (SELECT 1 FROM evaluation_runs r WHERE r.survey_id = s.id AND r.id <= "
                   STORE_READ_PUBLISHED ") DESC, s.as_of DESC, s.id DESC LIMIT 1",
                   0, NULL, "reading the survey", err);
    if (res == NULL)
        return NULL;
    if (PQntuples(res) == 0) {
        if (survey_code != NULL)
            store_fail(err, STORE_ENOTFOUND, "unknown survey '%s'", survey_code);
        else
            store_fail(err, STORE_ENOTFOUND, "the database has no survey yet");
        PQclear(res);
        return NULL;
    }
    json_t *survey = survey_json(res, 0, 1);
    char lim[24], off[24];
    snprintf(lim, sizeof lim, "%ld", limit);
    snprintf(off, sizeof off, "%ld", offset);
    const char *p2[] = {PQgetvalue(res, 0, 0), lim, off};
    PGresult *runs = store_select(c,
                          "SELECT" RUN_COLUMNS ", count(*) OVER ()"
                          " FROM evaluation_runs r JOIN surveys s ON s.id = r.survey_id"
                          " JOIN rule_sets rs ON rs.id = r.rule_set_id"
                          " WHERE r.survey_id = $1 AND r.id <= " STORE_READ_PUBLISHED
                          " ORDER BY r.id DESC LIMIT $2 OFFSET $3",
                          3, p2, "listing the survey's runs", err);
    PQclear(res);
    if (runs == NULL) {
        json_decref(survey);
        return NULL;
    }
    long long total = 0;
    if (PQntuples(runs) > 0) {
        total = strtoll(PQgetvalue(runs, 0, RUN_NCOLUMNS), NULL, 10);
    } else if (offset > 0) { /* a page past the end: count them anyway */
        PGresult *n = store_select(c,
                           "SELECT count(*) FROM evaluation_runs r WHERE r.survey_id = $1"
                           " AND r.id <= " STORE_READ_PUBLISHED,
                           1, p2, "counting the survey's runs", err);
        if (n == NULL) {
            PQclear(runs);
            json_decref(survey);
            return NULL;
        }
        total = strtoll(PQgetvalue(n, 0, 0), NULL, 10);
        PQclear(n);
    }
    json_t *items = jeng_must(json_array());
    for (int i = 0; i < PQntuples(runs); i++)
        json_array_append_new(items, run_json(runs, i, 0));
    PQclear(runs);
    return jeng_must(json_pack("{s:o, s:I, s:I, s:I, s:o}", "survey", survey, "total",
                          (json_int_t)total, "limit", (json_int_t)limit, "offset",
                          (json_int_t)offset, "items", items));
}

json_t *store_read_surveys(PGconn *c, store_error *err)
{
    store_error_clear(err);
    PGresult *res = store_select(
        c,
        "SELECT s.code, s.as_of::text, s.label,"
        " (SELECT count(*) FROM evaluation_runs x WHERE x.survey_id = s.id"
        "   AND x.id <= " STORE_READ_PUBLISHED "),"
        " r.id IS NOT NULL," RUN_COLUMNS
        " FROM surveys s"
        " LEFT JOIN LATERAL (SELECT max(x.id) AS id FROM evaluation_runs x"
        "   WHERE x.survey_id = s.id AND x.id <= " STORE_READ_PUBLISHED ") lr ON true"
        " LEFT JOIN evaluation_runs r ON r.id = lr.id"
        " LEFT JOIN rule_sets rs ON rs.id = r.rule_set_id ORDER BY s.as_of, s.code",
        0, NULL, "listing the surveys", err);
    if (res == NULL)
        return NULL;
    json_t *items = jeng_must(json_array());
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *latest = strcmp(PQgetvalue(res, i, 4), "t") == 0 ? run_json(res, i, 5) : json_null();
        json_array_append_new(
            items, jeng_must(json_pack("{s:s, s:s, s:o, s:I, s:o}", "code", PQgetvalue(res, i, 0),
                                  "as_of", PQgetvalue(res, i, 1), "label",
                                  text_or_null(res, i, 2), "runs",
                                  (json_int_t)strtoll(PQgetvalue(res, i, 3), NULL, 10),
                                  "latest_run", latest)));
    }
    json_t *doc = jeng_must(json_pack("{s:i, s:o}", "total", PQntuples(res), "items", items));
    PQclear(res);
    return doc;
}

/* The history in two queries: the current run of each survey, then the initiative's results in
 * those runs, named by a parameter. One query joining the runs in made PostgreSQL plan every
 * partition of evaluation_results (one per run, sql/005): 161 ms of planning at 502 runs, where
 * this takes ~6 ms. */
json_t *store_read_history(PGconn *c, const char *code, store_error *err)
{
    store_error_clear(err);
    PGresult *runs = store_select(
        c,
        "SELECT coalesce(array_agg(lr.id), '{}') FROM surveys s"
        " JOIN LATERAL (SELECT max(r.id) AS id FROM evaluation_runs r WHERE r.survey_id = s.id"
        "   AND r.id <= " STORE_READ_PUBLISHED ") lr ON lr.id IS NOT NULL",
        0, NULL, "finding the current runs", err);
    if (runs == NULL)
        return NULL;
    const char *params[] = {code, PQgetvalue(runs, 0, 0)};
    PGresult *res = store_select(
        c,
        "SELECT s.code, s.as_of::text, s.label, e.category, e.score::text,"
        " (SELECT x->>'label' FROM jsonb_array_elements(rs.catalog->'categories') x"
        "   WHERE x->>'id' = e.category LIMIT 1)"
        " FROM evaluation_results e"
        " JOIN initiatives i ON i.id = e.initiative_id AND i.code = $1"
        " JOIN evaluation_runs r ON r.id = e.run_id JOIN surveys s ON s.id = r.survey_id"
        " JOIN rule_sets rs ON rs.id = r.rule_set_id"
        " WHERE e.run_id = ANY ($2::bigint[])"
        " ORDER BY s.as_of, s.code",
        2, params, "reading the initiative's history", err);
    PQclear(runs);
    if (res == NULL)
        return NULL;
    json_t *history = jeng_must(json_array());
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(
            history, jeng_must(json_pack("{s:o, s:{s:s, s:o}, s:o}", "survey", survey_json(res, i, 0),
                                    "category", "id", PQgetvalue(res, i, 3), "label",
                                    text_or_null(res, i, 5), "score", number_or_null(res, i, 4))));
    PQclear(res);
    return history;
}

json_t *store_read_projects(PGconn *c, store_error *err)
{
    store_error_clear(err);
    PGresult *res = store_select(c,
                         "SELECT theme, department, stage FROM projects"
                         " ORDER BY min(id) OVER (PARTITION BY stage), id",
                         0, NULL, "listing the projects", err);
    if (res == NULL)
        return NULL;
    json_t *items = jeng_must(json_array());
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(items, jeng_must(json_pack("{s:s, s:o, s:o}", "theme",
                                                    PQgetvalue(res, i, 0), "department",
                                                    text_or_null(res, i, 1), "stage",
                                                    text_or_null(res, i, 2))));
    json_t *doc = jeng_must(json_pack("{s:i, s:o}", "total", PQntuples(res), "items", items));
    PQclear(res);
    return doc;
}
