/* sweep.h - what-if over the values of one threshold (SPEC v1.1 "Threshold overrides"): the one
 * computation behind `hyoka sweep` and GET /api/v1/rules/sweep (the planner page ルール調整).
 * The survey's facts are read once (store_facts); at each value the rule set is compiled with the
 * threshold replaced (eng_rules_override); per value the category and primary-reason counts
 * (jeng_tally, jeng_summary: the summary's own counts), and the initiatives whose category changes
 * from one value to the next. Nothing is stored. The first value is evaluated in full; after it,
 * only the initiatives that have a cut of the threshold (engine.h eng_tcuts: a value its
 * comparisons change outcome at) between two consecutive values are evaluated again, which gives
 * exactly what evaluating every value in full gives (tests/store/test_sweep.c); every value is
 * evaluated in full where the threshold has no cuts (store_sweep_full_reason).
 *
 * Ownership: store_sweep_run returns a sweep the caller frees with store_sweep_free; it borrows
 * `facts` and `rules`, which must outlive it. Borrowed pointers (points, codes) live as long as
 * the sweep.
 */
#ifndef HYOKA_SWEEP_H
#define HYOKA_SWEEP_H

#include "engine.h"
#include "evaluate.h"
#include "strbuf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Category changes one sweep keeps (12 bytes each): more are no reading for a person, and the
 * bound keeps memory explicit (10,000 values of 1,000,000 initiatives could otherwise flip 10^10
 * times). */
#define STORE_SWEEP_MAX_FLIPS 1000000

typedef struct store_sweep store_sweep;

/* Evaluates `facts` with `rules` at thresholds.NAME = values[0], values[1], ... (n >= 1, any
 * order: a change is from one value to the next). Returns the sweep, or NULL with err set
 * (STORE_EUSER): a NAME the rule set has no threshold for, or a value it refuses (the engine's
 * message, "file:line: ..."), or more than max_flips changes (at most STORE_SWEEP_MAX_FLIPS). */
store_sweep *store_sweep_run(const store_facts *facts, const eng_rules *rules, const char *name,
                             const double *values, int n, size_t max_flips, store_error *err);
void store_sweep_free(store_sweep *s);
/* store_sweep_run evaluating every value in full: the reference the incremental sweep equals
 * (tests, bench/whatif). */
store_sweep *store_sweep_run_full(const store_facts *facts, const eng_rules *rules,
                                  const char *name, const double *values, int n,
                                  size_t max_flips, store_error *err);
/* store_sweep_run (full: store_sweep_run_full) over `count` initiatives held in memory: rows
 * (count * eng_schema_count values, initiative i from rows + i * that) and codes (borrowed, as
 * rules are; store_sweep_write_json gives the survey as null). For tests. */
store_sweep *store_sweep_run_rows(const eng_rules *rules, int count, const eng_value *rows,
                                  const char *const *codes, const char *name,
                                  const double *values, int n, size_t max_flips, bool full,
                                  store_error *err);
/* Why this sweep evaluated every value in full ("rules.cfg:40: thresholds.x is read in
 * arithmetic ..."), or NULL: it was incremental (or had one value, which is evaluated in full
 * either way). Owned by the sweep. */
const char *store_sweep_full_reason(const store_sweep *s);
/* A sweep whose first point is `base`'s last (its value, counts and categories, taken as they
 * are, not evaluated again), followed by values[0..n): the same answer as store_sweep_run of all
 * n + 1 values, for the price of n. The planner's API sweeps the file's value once per worker and
 * continues from it for each value=V. The new sweep borrows base's facts and rules (as
 * store_sweep_run does); base itself may be freed after the call. NULL with err set as
 * store_sweep_run's. */
store_sweep *store_sweep_continue(const store_sweep *base, const double *values, int n,
                                  size_t max_flips, store_error *err);

/* The initiatives store_sweep_continue(base, values, n, ...) will evaluate, counted before any
 * is: one per initiative with a cut between two consecutive values (the whole survey where a
 * cut common to all lies between them), or the whole survey at each value where base takes full
 * passes. Finds base's cuts if it has not yet (as store_sweep_continue would, and kept for it),
 * so the count costs about one pass over the survey's facts, not an evaluation of each value. A
 * bound for the API's budget (fcgi/h_sweep.c), equal to store_sweep_evaluations of the sweep
 * that continues (tests/store/test_sweep.c). */
long store_sweep_continue_cost(const store_sweep *base, const double *values, int n);
/* The initiatives this sweep evaluated (an initiative evaluated at two values counts twice;
 * a continuation counts only its own work, not base's). */
long store_sweep_evaluations(const store_sweep *s);

/* [{"value", "total", "categories": [{"id", "count"}], "reasons": [{"id", "count"}]}] in the
 * order of the values (borrowed). */
const json_t *store_sweep_points(const store_sweep *s);
/* The index of the value the rule file itself has, if it is one of them; else -1. */
int store_sweep_file_point(const store_sweep *s);

/* The changes, by initiative code (store/code_order.h), then in the order of the values: the
 * initiative takes category `to` (was `from`) at values[point]. */
typedef struct store_sweep_flip {
    const char *code;
    int point;
    int from, to; /* category indexes of the rule set */
} store_sweep_flip;
size_t store_sweep_nflips(const store_sweep *s);
store_sweep_flip store_sweep_flip_at(const store_sweep *s, size_t i);

/* Appends SPEC's sweep JSON to `b`: {"survey": SURVEY, "threshold": "NAME", "points": [...],
 * "changes": [{"code", "flips": [{"value", "from", "to"}]}]}, one point or change per line.
 * Numbers with 15 significant digits (JENG_DUMP_FLAGS). */
void store_sweep_write_json(const store_sweep *s, strbuf *b);

#endif
