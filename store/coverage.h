/* coverage.h - rule coverage: per category, reason and flag of a rule set, how many initiatives
 * (or test cases) matched it, and the entries that never matched, with their file:line. Counted
 * once here for both sources: a stored run (store_run_coverage in read.h, for `hyoka coverage`
 * and GET /api/v1/rules/coverage) and a rule file's test cases (`hyoka test --coverage`).
 *
 * The document (coverage_json, and store_run_coverage with "survey" and "run" added):
 *   {"total": N, "entries": E, "matched": M, "percent": P,
 *    "items": [{"kind", "id", "label", "file", "line", "count", "primary"}…],
 *    "never_matched": [{"kind", "id", "label", "file", "line"}…]}
 * items in the order categories, reasons, flags, each in file order; "count" is how many matched
 * the entry (for a category: were put in it; a reason: had it among their reasons; a flag: carry
 * it), "primary" for reasons how many had it as their first reason (the summary's count) and null
 * for the others; "percent" = 100 × M / E rounded to one decimal (100 with no entries). "file" is
 * the rule file's base name for a stored run (as runs store it), the path given for test cases.
 * Ownership: a coverage owns copies of every string; coverage_cleanup frees them. Out of memory
 * aborts.
 */
#ifndef HYOKA_STORE_COVERAGE_H
#define HYOKA_STORE_COVERAGE_H

#include "csvw.h"
#include "engine.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

typedef struct coverage_entry {
    eng_kind kind; /* ENG_KIND_CATEGORY, ENG_KIND_REASON or ENG_KIND_FLAG */
    char *id, *label, *file;
    int line;
    long count;
    long primary; /* reasons only */
} coverage_entry;

typedef struct coverage {
    long total;
    int n;
    coverage_entry *entries;
    int first[3];  /* index of the first category, reason, flag entry */
} coverage;

/* Sets up an empty count of `r`'s categories, reasons and flags. */
void coverage_init(coverage *cv, const eng_rules *r);
void coverage_cleanup(coverage *cv);
/* Counts one result: category index, first reason (-1 none) and bit sets, all in `r`'s order. */
void coverage_add(coverage *cv, int category, int primary_reason, uint64_t reasons,
                  uint64_t flags);
/* Entries matched at least once, and their percentage (one decimal). */
int coverage_matched(const coverage *cv);
double coverage_percent(const coverage *cv);
/* The document above (a new reference). */
json_t *coverage_json(const coverage *cv);

/* Writes a coverage document as people read it: one line per entry ("category on_track  82
 * default.cfg:79"), then the entries never matched with file:line, then "coverage: M of E entries
 * (P %)". Returns 0, or -1 on a write error. */
int coverage_print(const json_t *doc, FILE *out);
/* The document's items as CSV through the tree's CSV writer: kind, id, label, file, line, count,
 * primary (empty for categories and flags). The caller frees the text; its length in *len. */
char *coverage_csv(const json_t *doc, csvw_dialect dialect, size_t *len);

/* Parses --fail-under's PERCENT (a number 0..100). 0 with *out set, or -1. */
int coverage_parse_percent(const char *s, double *out);

#endif
