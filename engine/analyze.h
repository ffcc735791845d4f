/* analyze.h - `hyoka check --analyze`: what a rule set can never do, found without data.
 *
 * Four kinds of finding, each at the file:line of the rule it is about:
 *   never_true      a reason's, flag's or category's `when` that no facts make true;
 *   shadowed        a category that is never reached: whenever its `when` is true, an earlier
 *                   category's is too (or, for the catch-all, some earlier one always matches);
 *   threshold_order two categories that bound the same value on the same side with thresholds
 *                   in the wrong order: the later one's band lies inside the earlier one's;
 *   score_range     a score component computed from `reasons` that leaves [0, 1] for a number of
 *                   reasons that can match together (it is clamped: the weights no longer fit).
 * Each finding that can have one carries an example of facts, and every example was evaluated by
 * the engine (eng_evaluate) and showed what the finding says before it is reported.
 *
 * The analysis is exact for `and`, `or`, `not` and `?:` over comparisons of facts, `reasons`,
 * reason.ID, flag.ID and derived values with constants and thresholds (interval reasoning per
 * value over a disjunctive normal form); a boolean derived value is read through its expression.
 * Anything else (arithmetic between facts, a derived number computed from facts) is treated as
 * able to take any value: that can hide a finding but never make a false one. Where such a part
 * decides whether a rule can match and no example made it match, the analysis says "not decided"
 * and where (an ENG_FINDING_UNDECIDED entry, which is not a finding).
 */
#ifndef HYOKA_ENGINE_ANALYZE_H
#define HYOKA_ENGINE_ANALYZE_H

#include "engine.h"

#include <stdio.h>

typedef enum eng_finding_kind {
    ENG_FINDING_NEVER_TRUE,
    ENG_FINDING_SHADOWED,
    ENG_FINDING_THRESHOLD_ORDER,
    ENG_FINDING_SCORE_RANGE,
    ENG_FINDING_UNDECIDED, /* a note, not a finding */
} eng_finding_kind;

typedef struct eng_finding {
    eng_finding_kind kind;
    eng_kind rule_kind; /* the rule it is about: its section and index in file order */
    int rule_index;
    const char *file;
    int line;
    int col;             /* UNDECIDED: column of the part not decided in the expression; else 0 */
    const char *message; /* one line, e.g. "category 'delayed' is never reached: ..." */
    const char *example; /* "facts: a=1, b=true -> category 'x'", or NULL */
} eng_finding;

typedef struct eng_analysis eng_analysis;

/* Analyses a loaded rule set. Never fails (aborts on OOM); the caller frees the result with
 * eng_analysis_free. Findings are in file order of the rules they are about. */
eng_analysis *eng_analyze(const eng_rules *r);
void eng_analysis_free(eng_analysis *a);
int eng_analysis_count(const eng_analysis *a); /* findings and notes */
int eng_analysis_findings(const eng_analysis *a); /* findings only (not UNDECIDED) */
const eng_finding *eng_analysis_get(const eng_analysis *a, int i);
/* Prints every entry as
 *     file:line: finding: MESSAGE
 *         example: EXAMPLE
 * (notes as "file:line:col: not decided: MESSAGE"). Returns 0, or -1 on a write error. */
int eng_analysis_print(const eng_analysis *a, FILE *out);

#endif
