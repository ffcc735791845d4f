/* set_option.h - the value of `--set`: `thresholds.NAME=NUMBER` (`hyoka evaluate --dry-run`,
 * `hyoka diff`) or `thresholds.NAME=FROM:TO:STEP` (`hyoka sweep`), parsed and checked without
 * I/O (tests/cli, tests/fuzz/fuzz_set). Whether NAME is a threshold of the rule file is the
 * engine's to say (eng_rules_override).
 */
#ifndef HYOKA_CLI_SET_OPTION_H
#define HYOKA_CLI_SET_OPTION_H

#include <stdbool.h>
#include <stddef.h>

#define SET_MAX_POINTS 10000 /* values of one FROM:TO:STEP */
#define SET_ERROR_MAX 400    /* room for set_option_parse's message */

typedef struct set_option {
    char *name;  /* NAME, without "thresholds." (malloc'd: set_option_cleanup frees it) */
    double from; /* NUMBER, or FROM */
    double to;   /* NUMBER, or TO */
    double step; /* 0 for a NUMBER */
    int npoints; /* 1 for a NUMBER; FROM:TO:STEP: 1 .. SET_MAX_POINTS */
} set_option;

/* Parses `arg`, the text after --set. With `range`, FROM:TO:STEP is expected (STEP > 0, FROM <=
 * TO, at most SET_MAX_POINTS values, no two alike at 15 significant digits), else one NUMBER.
 * Numbers are plain decimals, optionally signed, with an optional exponent ("0.95", "-1", "1e3");
 * NAME is a threshold name as rule files write it ([a-z][a-z0-9_]*).
 * Returns 0 with *out set, or -1 with *out zeroed and a message in err (at most errlen bytes,
 * NUL-terminated) that quotes the argument (cut when long) and says what is wrong. */
int set_option_parse(const char *arg, bool range, set_option *out, char *err, size_t errlen);

/* Value i (0 <= i < npoints): FROM + i * STEP (never by adding STEP up, which drifts), taken at 15
 * significant digits, the digits hyoka's output shows: 0.5:0.95:0.05 ends at exactly 0.95, not
 * at 0.9500000000000001; value 0 is FROM as parsed. A NUMBER is returned as
 * parsed. */
double set_option_value(const set_option *o, int i);

void set_option_cleanup(set_option *o);

#endif
