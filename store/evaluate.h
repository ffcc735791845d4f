/* evaluate.h - evaluation runs: the facts schema of the database, evaluating a survey with a rule
 * set (and storing the run), and regenerating the explanation of a stored result.
 *
 * Ownership: returned eng_schema / json_t objects belong to the caller (eng_schema_free,
 * json_decref). The PGconn stays the caller's; these functions leave it outside any transaction.
 * On failure they return NULL with `err` set (docs/contracts.md maps its status to exit codes and
 * HTTP statuses); nothing is stored by a failed call.
 */
#ifndef HYOKA_EVALUATE_H
#define HYOKA_EVALUATE_H

#include "engine.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>

/* Bounds that keep one call's memory explicit. */
#define STORE_MAX_INITIATIVES 1000000 /* rows of one survey's facts */
/* From this many initiatives on, a survey's facts are read in two halves on two connections at
 * once (store/evaluate.c): ~0.3 s less for 100,000 on two cores; below, a second connection
 * would cost more than it saves. */
#define STORE_SPLIT_ROWS 10000
#define STORE_MAX_SURVEY_CHAIN 100    /* earlier surveys evaluated for previous_category/score */
#define STORE_EXPLAIN_CACHE 8         /* compiled rule sets store_explain keeps (by sha256) */

/* The fact names and types of the database's `evaluation_facts` view, in column order, without
 * the keys survey_id and initiative_id, followed by previous_category (string) and previous_score
 * (number). numeric/integer/float columns are numbers, boolean booleans, text/varchar/char
 * strings; any other column is ENG_OPAQUE under its SQL type name (usable in no rule). Each fact
 * with a row in fact_labels (sql/016) carries its label, unit, display kind and position.
 * Returns a new schema, or NULL with err set (STORE_EDB; STORE_ESCHEMA if the view itself has a
 * column named previous_category or previous_score). */
eng_schema *store_fact_schema(PGconn *c, store_error *err);

/* Evaluates one survey with `rules` (compiled against store_fact_schema's schema, or one whose
 * facts the view still provides with the same types) and, unless dry_run, stores the run in one
 * transaction: the rule set (once per sha256, with its catalog), the run (fact schema, total,
 * summary) and one result row per initiative with its facts.
 *
 * survey_code NULL means the survey with the latest as_of; an unknown code is STORE_ENOTFOUND
 * "unknown survey 'X'". `rules_file` is the name recorded with the rule set (positions in stored
 * explanations use it); NULL: the file the rules were loaded from.
 *
 * History: previous_category and previous_score of an initiative come from evaluating the
 * previous survey (the latest as_of before this one's) with the same rules. That survey's own
 * previous_* come from the one before it, and so on: the chain is evaluated oldest first, at most
 * STORE_MAX_SURVEY_CHAIN surveys back (older ones count as absent), all in one snapshot. When an
 * earlier survey has a stored run made with these very rules (same sha256) against the same fact
 * schema, its stored categories and scores are the history and the chain starts after it: the
 * record as it was stored, and no second pass over the facts view.
 *
 * Concurrency: two first evaluations with one new rule set at once make the second INSERT of the
 * rule set fail with a serialization error (REPEATABLE READ); the evaluation is retried once.
 *
 * Returns {"survey": {"code","as_of","label"}, "run": {"id","evaluated_at","rules":{"version",
 * "sha256"}} or null when dry_run, "summary": {...}}, or NULL with err set: the head of the
 * `hyoka evaluate --format json` document (SPEC "Precise semantics > Command line"), whose
 * "results" the CLI writes from store_evaluate_each's items. */
json_t *store_evaluate_summary(PGconn *c, const eng_rules *rules, const char *rules_file,
                               const char *survey_code, bool dry_run, store_error *err);

/* Called by store_evaluate_each once per initiative, in initiative code order compared by
 * numeric segments (1-2 before 1-10), with its ITEM borrowed for the duration of the call and, if
 * with_facts, its facts object as compact JSON text, numbers as the API shows them
 * (JENG_DUMP_FLAGS; NULL without with_facts). When storing, the calls happen while the results
 * are written, before the commit: a caller shows nothing of them unless store_evaluate_each then
 * succeeds (it returns NULL if the run could not be stored). */
typedef void (*store_item_fn)(const json_t *item, const char *facts, size_t facts_len, void *arg);
/* What store_evaluate does; zero-initialise and set what applies. */
typedef struct store_evaluate_opts {
    const eng_rules *rules;  /* required */
    const char *rules_file;  /* as store_evaluate_summary's */
    const char *survey_code; /* NULL: the survey with the latest as_of */
    bool dry_run;            /* evaluate only; nothing is stored */
    store_item_fn each;      /* NULL: none */
    bool with_facts;         /* as store_evaluate_each's */
    void *arg;
    const char *started_by;  /* "cli" or "api": stored with the run (GET /runs shows it) */
    bool *stored;            /* optional out: true when a new run was stored; false for a dry run
                              * and for an evaluation identical to the survey's newest run */
} store_evaluate_opts;

/* The one evaluation entry: store_evaluate_summary / store_evaluate_each with every option.
 * Identical evaluations (SPEC v1.1): when the survey's newest run was made with the same rule set
 * (sha256) and fact schema from the same facts (sql/014's facts_sha256, computed here), nothing is
 * stored: the document names that run (its id and evaluated_at) with its stored summary, *stored
 * is false, and the items still go to `each` (they equal that run's results). */
json_t *store_evaluate(PGconn *c, const store_evaluate_opts *o, store_error *err);


/* store_evaluate_summary, and every ITEM handed to `each` one at a time instead of being
 * collected: what the CLI uses to print 100,000 initiatives without holding them all. */
json_t *store_evaluate_each(PGconn *c, const eng_rules *rules, const char *rules_file,
                            const char *survey_code, bool dry_run, store_item_fn each,
                            bool with_facts, void *arg, store_error *err);

/* {"facts": {name: value, ... in fact-schema order}, "fact_display": [{"name", "label", "unit",
 * "display", "value", "text"}, ...] (fact_display_list: the labels, units and texts of the run's
 * fact schema), "explanation": [step, ...]} for one stored result, regenerated from the run's stored rule text, fact schema and facts (SPEC "HTTP API
 * details"). Compiled rule sets are cached (STORE_EXPLAIN_CACHE, by sha256 and fact schema,
 * guarded by a mutex: callable from several threads with one PGconn each).
 * Unknown run or initiative not in the run: STORE_ENOTFOUND. A stored rule set that no longer
 * compiles, or stored facts that do not fit their schema: STORE_EDB (the run is damaged). */
json_t *store_explain(PGconn *c, long long run_id, const char *initiative_code, store_error *err);
/* store_explain with the steps' `text` in `language` ("ja", "en"; NULL: the rule file's
 * `language`, what store_explain gives), e.g. for an API request's Accept-Language or lang=;
 * another language is STORE_EUSER. The document also has "run" {"id", "survey",
 * "rules_version"}, "language" (of the text) and "evaluation": the stored result as an ITEM's
 * rule part (jeng_result: "score", "category", "reasons", "flags", "recommendations") and
 * "counterfactuals" (store/counterfactuals.h: what one fact would have to be for a better
 * category, in the same language). */
json_t *store_explain_in(PGconn *c, long long run_id, const char *initiative_code,
                         const char *language, store_error *err);

/* A survey's facts, and those of the earlier surveys its previous_* come from, read once in one
 * snapshot and kept parsed in memory, to be evaluated with many rule sets (`hyoka sweep`, where
 * each value of a threshold is a rule set of its own). Nothing is stored. */
typedef struct store_facts store_facts;

/* Reads the facts of survey `survey_code` (NULL: the latest, as store_evaluate_summary picks it)
 * and of its earlier surveys, for rule sets compiled against the fact schema of `rules`. Also
 * finds, as store_evaluate_each does, the stored run that gives the history of a rule set with
 * the sha256 of `rules`. Bounded: STORE_MAX_INITIATIVES rows in all surveys (STORE_EUSER beyond).
 * Returns the facts (store_facts_free), or NULL with err set; the connection is left idle. */
store_facts *store_facts_read(PGconn *c, const eng_rules *rules, const char *survey_code,
                              store_error *err);
void store_facts_free(store_facts *sf);
/* The survey as the CLI's JSON shows it: {"code", "as_of", "label"} (a new reference). */
json_t *store_facts_survey(const store_facts *sf);
/* The survey's initiatives: results[i] of store_facts_evaluate is initiative i, whose code is
 * store_facts_code(i) (owned by sf; i in initiative id order, not code order). */
int store_facts_count(const store_facts *sf);
const char *store_facts_code(const store_facts *sf, int i);
/* Evaluates every initiative of the survey with `rules` (compiled against the same schema, e.g.
 * by eng_rules_override of those store_facts_read was given) into results[0 .. count), as
 * store_evaluate_each would: previous_* from the earlier surveys evaluated with `rules` too, or
 * from the stored run found by store_facts_read when `rules` has its sha256. No database access;
 * allocates only its scratch space. */
void store_facts_evaluate(const store_facts *sf, const eng_rules *rules, eng_result *results);
/* The facts of initiative i as read (eng_schema_count values; previous_category and
 * previous_score null: store_facts_evaluate takes them from the earlier surveys), owned by sf. */
const eng_value *store_facts_row(const store_facts *sf, int i);

/* Frees every cached compiled rule set (at exit, so leak checkers stay quiet). */
void store_explain_cache_clear(void);

#endif
