/* read.h - the read model: the one place that decides which stored run a view shows, loads a
 * run's results, filters and orders them, and lists what the views list (runs, surveys, an
 * initiative's history, projects). The server (fcgi/), the CLI and the report call it; no view
 * writes SQL of its own. KPI figures are store/kpi.h's, the order of codes store/code_order.h's.
 *
 * Which run: a run is readable once it is published (sql/010): the writer publishes it after the
 * COMMIT that stored it, so a reader that sees it also sees all its results. The current run of a
 * survey is its newest published run; without a survey, the newest published run of the survey
 * with the latest as-of date that has one. A view asked for `run=ID` shows that run, which must
 * be published and, when a survey is named too, belong to it.
 *
 * A loaded run (store_run) never changes, so a server may keep it (fcgi/run.c caches it per
 * worker, its results shared between workers as an image: store/run_image.h). Its strings live
 * in the run's own blocks, its results' in the run's image, until store_run_free. Out of memory aborts
 * (engine/xalloc.h), as everywhere in the tree.
 */
#ifndef HYOKA_STORE_READ_H
#define HYOKA_STORE_READ_H

#include "departments.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The newest published run id, as an SQL scalar subquery. */
#define STORE_READ_PUBLISHED "(SELECT newest_run FROM data_version)"

/* Entries per catalog section of a loaded run, as the engine's ENG_MAX_* (bit sets of 64). */
#define STORE_RUN_MAX_CATALOG 64

/* ---- which run ------------------------------------------------------------------------------ */

typedef enum {
    STORE_RUN_FOUND = 0,
    STORE_RUN_NO_SURVEY,    /* no survey has that code (STORE_ENOTFOUND) */
    STORE_RUN_NONE,         /* the survey (or, without a code, every survey) has no published run
                             * (STORE_ENOTFOUND) */
    STORE_RUN_UNKNOWN,      /* no published run has that id (STORE_ENOTFOUND) */
    STORE_RUN_OTHER_SURVEY, /* the run belongs to another survey than the one named
                             * (STORE_EUSER) */
} store_run_lookup;

/* The run a view shows: run_id when > 0 (checked against survey_code when that is given too),
 * else the current run of survey_code (NULL: the default survey). Returns a store_run_lookup:
 * FOUND with *out set, or another value with err set to a sentence for the reader (status
 * STORE_ENOTFOUND or STORE_EUSER as listed); -1 with err set for a database failure. */
int store_read_run(PGconn *c, const char *survey_code, long long run_id, long long *out,
                   store_error *err);

/* What a cache of runs and imported data depends on: the newest published run id and the import
 * counter (sql/009). 0, or -1 with err set. */
int store_read_versions(PGconn *c, long long *newest_run, long long *data_version,
                        store_error *err);

/* Publishes run `run_id`, stored by a transaction that has committed; readers see it from now
 * on, and listeners on hyoka_runs hear of it. 0, or -1 with err set. */
int store_publish_run(PGconn *c, long long run_id, store_error *err);

/* ---- a loaded run ---------------------------------------------------------------------------- */

typedef struct store_run_label {
    const char *id, *label, *response, *severity; /* NULL where the rule file has none */
} store_run_label;

/* A string of a loaded run's results: an offset into the run's text pool (store_run_text), so that
 * the results are the same bytes at any address (store/run_image.h shares them between processes). */
typedef uint32_t store_text;

typedef struct store_run_item {
    store_text code, title, measure_code, measure_title;
    uint32_t departments;     /* first of ndepartments texts in the run's lists (store_item_department) */
    uint32_t recommendations; /* first of nrecommendations texts (store_item_recommendation) */
    int32_t ndepartments, nrecommendations;
    int32_t category;       /* index into run->categories */
    int32_t primary_reason; /* index into run->reasons: the reason the summary counts; -1 none */
    uint32_t has_score;     /* 0 or 1 */
    uint32_t pad_;          /* 0: the layout has no implicit padding (images are checksummed) */
    double score;
    uint64_t reasons;       /* bit i: run->reasons[i] */
    uint64_t flags;         /* bit i: run->flags[i] */
} store_run_item;

/* What a view shows of another run beside a loaded one: its header and summary. */
typedef struct store_run_head {
    long long id; /* 0: there is no such run */
    const char *survey_code, *survey_as_of, *survey_label, *evaluated_at, *rules_version,
        *rules_sha256, *started_by;
    json_t *summary;
} store_run_head;

typedef struct store_run {
    long long id;
    const char *survey_code, *survey_as_of, *survey_label, *evaluated_at, *rules_version,
        *rules_sha256;
    const char *started_by; /* "cli", "api", or NULL (runs stored before sql/014) */
    bool newest;            /* the survey's current run when it was loaded */
    store_run_label categories[STORE_RUN_MAX_CATALOG], reasons[STORE_RUN_MAX_CATALOG],
        flags[STORE_RUN_MAX_CATALOG];
    int ncategories, nreasons, nflags;
    json_t *summary;        /* evaluation_runs.summary: {"total","categories","reasons","flags"} */
    /* The run it is compared with: the current run of the survey evaluated just before its
     * survey (the latest as-of date before it that has a published run); id 0 if none. Read by
     * the same query as the run (/summary's "previous" costs no query of its own). */
    store_run_head previous;
    const store_run_item *items; /* in code_order_cmp order, once store_run_load_items */
    int nitems;
    const char *texts_;          /* the text pool store_text offsets index (store_run_text) */
    const uint32_t *lists_;      /* texts of items' departments and recommendations */
    long total;             /* evaluation_runs.total: the results the run stored */
    bool items_loaded;
    /* Every department and its 部, in organisation order (store/departments.h), loaded with the
     * items: current, as titles are. Names are the items' department strings. */
    store_department *departments;
    int ndepartments;
    store_division *divisions; /* store_department.division_index indexes this */
    int ndivisions;
    size_t bytes;           /* memory the run holds (for a cache's budget), a mapped image
                             * (store/run_image.h) included though its pages are shared */
    bool image_mapped;      /* the results are a shared read-only mapping of an image file */
    /* private */
    void *image_;           /* the results' bytes (store/run_image.h): malloc'd or mapped */
    size_t image_size_;
    int image_fd_;          /* a mapped image's file, open with a shared flock while mapped */
    json_t *catalog;
    char **blocks_;
    int nblocks_, capblocks_;
    size_t block_used_;
} store_run;

/* Loads run `run_id`'s header, catalog and summary (not its results). NULL with err set
 * (STORE_ENOTFOUND: no such run; STORE_ESCHEMA: a malformed stored catalog; STORE_EDB). */
store_run *store_run_load(PGconn *c, long long run_id, store_error *err);
/* Loads the run's results (once; 0 at once if loaded). A run is read whole or not at all: 0, or
 * -1 with err set and rn without items. */
int store_run_load_items(PGconn *c, store_run *rn, store_error *err);
void store_run_free(store_run *rn);

/* The strings of a loaded run's results. */
static inline const char *store_run_text(const store_run *rn, store_text t)
{
    return rn->texts_ + t;
}
static inline const char *store_item_department(const store_run *rn, const store_run_item *it,
                                                int i)
{
    return rn->texts_ + rn->lists_[it->departments + (uint32_t)i];
}
static inline const char *store_item_recommendation(const store_run *rn, const store_run_item *it,
                                                    int i)
{
    return rn->texts_ + rn->lists_[it->recommendations + (uint32_t)i];
}

/* Index of `id` in a catalog section, or -1. */
int store_run_find(const store_run_label *list, int n, const char *id);

/* ---- filtering and ordering a run's results -------------------------------------------------- */

typedef enum { STORE_SORT_CODE, STORE_SORT_SCORE, STORE_SORT_SCORE_DESC, STORE_SORT_TITLE } store_sort;

typedef struct store_filter {
    int category;       /* index into run->categories, -1: any */
    int primary_reason; /* the reason the summary counts it under, -1: any */
    int reason;         /* any of its reasons, -1: any */
    int flag;           /* -1: any */
    const char *department, *measure; /* exact, NULL: any */
    const char *q; /* a substring of code or title (ASCII letters in either case); NULL or "" any */
} store_filter;

#define STORE_FILTER_ANY {-1, -1, -1, -1, NULL, NULL, NULL}

/* The indexes into rn->items of the results that pass `f`, in `sort` order (ties in code
 * order; scores missing last either way). Writes at most rn->nitems indexes into idx and returns
 * how many. The one filter of the API's list, its CSV and the dashboard's links. */
int store_run_select(const store_run *rn, const store_filter *f, store_sort sort, int *idx);

/* ---- by department --------------------------------------------------------------------------- */

/* The results of a loaded run (store_run_load_items) by department, in organisation order:
 * {"total": N, "items": [{"name", "kana", "position", "division": {"name", "kana"}, "total",
 * "counts": {CATEGORY_ID: n, …}, "mean_score"}, …], "divisions": [{"name", "kana", "total",
 * "counts", "mean_score", "departments": [NAME, …]}, …]}. Only departments with results are
 * listed, and divisions with such departments. An initiative counts for each of its departments,
 * and once in a division however many of its departments belong to it, so a division's total may
 * be less than the sum of its departments'. Null members: not imported (departments.csv); the
 * departments without a division are the last division, whose name is null. mean_score is
 * rounded to one decimal (null: no scored initiative). Never NULL (out of memory aborts). */
json_t *store_run_departments(const store_run *rn);
/* {"total", "items": [{"code", "title", "total", "counts", "mean_score"}]}: the run's results by
 * measure, in code_order_cmp order, counted and scored as store_run_departments does. */
json_t *store_run_measures(const store_run *rn);

/* ---- rule coverage --------------------------------------------------------------------------- */

/* Which categories, reasons and flags the results of a loaded run (store_run_load_items)
 * matched, and which never did, with the file:line of each in the run's own rule text (compiled
 * against the run's fact schema): store/coverage.h's document. The one computation behind
 * `hyoka coverage` and GET /api/v1/rules/coverage; its counts are the summary's (categories,
 * flags, and reasons' "primary"). NULL with err set (STORE_EDB, or STORE_ESCHEMA when the
 * run's catalog and rule text disagree). */
json_t *store_run_coverage(PGconn *c, const store_run *rn, store_error *err);

/* ---- lists ----------------------------------------------------------------------------------- */

/* Limits of a page of /runs. */
#define STORE_RUNS_LIMIT_MAX 500

/* {"survey": SURVEY, "total": N, "items": [RUN…]} of survey_code's published runs (NULL: the
 * default survey), newest first, `limit` from `offset`; RUN is {"id", "survey", "evaluated_at",
 * "rules": {"version", "sha256"}, "total", "started_by", "newest"} (SPEC v1.1 "Runs"). NULL with
 * err set (STORE_ENOTFOUND: unknown survey, no survey yet). */
json_t *store_read_runs(PGconn *c, const char *survey_code, long limit, long offset,
                        store_error *err);

/* {"total", "items": [{"code", "as_of", "label", "runs", "latest_run": RUN-or-null}]} of every
 * survey, oldest first. NULL with err set. */
json_t *store_read_surveys(PGconn *c, store_error *err);

/* [{"survey": {"code","as_of","label"}, "category": {"id","label"}, "score"}] of initiative
 * `code` in the current run of every survey, oldest survey first (empty if it has none). NULL
 * with err set. */
json_t *store_read_history(PGconn *c, const char *code, store_error *err);

/* {"total", "items": [{"theme", "department", "stage"}]} as the published report lists the
 * public-private projects: grouped by stage in order of first appearance, then as imported. */
json_t *store_read_projects(PGconn *c, store_error *err);

/* The as-of date ("YYYY-MM-DD", into out[11]) of survey_code, or of the default survey when NULL.
 * Returns STORE_RUN_FOUND, STORE_RUN_NO_SURVEY (err set) or STORE_RUN_NONE (no survey has a run:
 * out is "" and err is clear), or -1 with err set. */
int store_read_as_of(PGconn *c, const char *survey_code, char out[11], store_error *err);

#endif
